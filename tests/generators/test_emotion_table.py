"""The emotion table: published norms, FACS recipes through the one AU -> ARKit table."""

from __future__ import annotations

import json

import numpy as np
import pytest

from generators.emotion.data import load_preset
from generators.emotion.facs import emotion_weights, get_facs_model, parse_facs_code
from generators.emotion.table import FAMILIES, build_emotion_table, get_emotion_table
from generators.errors import PromptError
from generators.take import EmotionState
from renderers.arkit import ARKIT_INDEX


def test_table_has_thirty_emotions_with_compounds_and_sources() -> None:
    table = get_emotion_table()
    assert len(table.emotions) >= 30
    compounds = [n for n in table.emotions if (table.families[table.index[n]] > 0.2).sum() >= 2]
    assert len(compounds) >= 12  # Du, Tao & Martinez's compounds and everyday blends
    data = load_preset("emotion_table.json")
    for name, spec in data["emotions"].items():
        assert spec["facs_source"] in data["sources"], name
        if name != "neutral":
            assert spec["norms"], name
    assert "Mohammad" in data["sources"]["nrc_vad"]


def test_vad_is_the_rescaled_mean_of_the_cited_norms() -> None:
    data = load_preset("emotion_table.json")
    table = get_emotion_table()
    for name, spec in data["emotions"].items():
        if name == "neutral":
            assert table.term_vad(name) == (0.0, 0.0, 0.0)
            continue
        expected = np.mean(list(spec["norms"].values()), axis=0) * 2 - 1
        np.testing.assert_allclose(table.term_vad(name), expected, atol=1e-12)
    v, a, _ = table.term_vad("happiness")
    assert v > 0.8 and a > 0
    assert table.term_vad("calm")[1] < -0.5  # low arousal
    assert table.term_vad("rage")[1] > 0.6


def test_every_recipe_maps_through_the_au_table() -> None:
    table = get_emotion_table()
    units = load_preset("facs.json")["action_units"]
    for name in table.names:
        for key in parse_facs_code(table.recipes[name]):
            assert key.lstrip("LR") in units, (name, key)
    model = get_facs_model()
    assert model.prototypes.shape[0] == len(table.names)


@pytest.mark.parametrize(
    ("term", "shape"),
    [
        ("happily surprised", "browInnerUp"),
        ("happily surprised", "mouthSmileLeft"),
        ("embarrassment", "eyeLookDownLeft"),
        ("shame", "eyeLookDownRight"),
        ("anxiety", "mouthStretchLeft"),
        ("determination", "mouthPressLeft"),
        ("tiredness", "eyeBlinkLeft"),
        ("hatred", "noseSneerLeft"),
    ],
)
def test_recipes_show_their_signature_shapes(term: str, shape: str) -> None:
    w = emotion_weights(EmotionState({term: 1.0}, 1.0))
    assert w[ARKIT_INDEX[shape]] > 0.15, (term, shape)


def test_families_and_dominant() -> None:
    table = get_emotion_table()
    assert table.families.shape == (len(table.names), len(FAMILIES))
    np.testing.assert_allclose(table.families.sum(axis=1), 1.0)
    assert table.dominant_family({"sadly angry": 1.0}) == "anger"  # the head noun leads
    assert table.dominant_family({"calm": 1.0}) == "neutral"
    assert table.dominant_family({"social smile": 1.0}) == "happiness"
    assert table.dominant_family({}) == "neutral"
    with pytest.raises(PromptError, match="unknown emotion"):
        table.canonical("xyzzy")


def test_bad_tables_are_refused() -> None:
    data = json.loads(json.dumps(load_preset("emotion_table.json")))
    broken = json.loads(json.dumps(data))
    broken["emotions"]["anger"]["norms"] = {"angry": [1.4, 0.5, 0.5]}
    with pytest.raises(ValueError, match="0..1"):
        build_emotion_table(broken)
    broken = json.loads(json.dumps(data))
    broken["emotions"]["anger"]["facs_source"] = "nowhere"
    with pytest.raises(ValueError, match="unknown source"):
        build_emotion_table(broken)
    broken = json.loads(json.dumps(data))
    del broken["emotions"]["fear"]
    with pytest.raises(ValueError, match="basic emotions"):
        build_emotion_table(broken)
