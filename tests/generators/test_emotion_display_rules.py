"""Display rules and regional prompts: what is felt versus what each half of the face shows."""

from __future__ import annotations

import numpy as np
import pytest

from generators.emotion.display_rules import get_display_rules, region_state
from generators.emotion.facs import emotion_weights
from generators.emotion.parse import parse_prompt
from generators.emotion.regions import LOWER_FACE, UPPER_FACE, region_mask
from generators.emotion.table import get_emotion_table
from renderers.arkit import ARKIT_INDEX

UPPER = region_mask(UPPER_FACE)
LOWER = region_mask(LOWER_FACE)


def shown(prompt: str, region: str) -> str:
    state = parse_prompt(prompt)
    return get_emotion_table().dominant_family(state.shown_by(region).mixture)


def face(prompt: str, region: str) -> np.ndarray:
    return emotion_weights(parse_prompt(prompt).shown_by(region))


def test_regional_prompt_splits_the_face() -> None:
    state = parse_prompt("smiling mouth, sad eyes")
    assert shown("smiling mouth, sad eyes", "upper") == "sadness"
    assert shown("smiling mouth, sad eyes", "lower") == "happiness"
    prompt = "smiling mouth, sad eyes"
    lower, upper = face(prompt, "lower"), face(prompt, "upper")
    assert lower[ARKIT_INDEX["mouthSmileLeft"]] > 0.3
    assert upper[ARKIT_INDEX["browInnerUp"]] > 0.3
    assert lower[ARKIT_INDEX["mouthFrownLeft"]] < 0.05  # the mouth is not sad
    assert {"happiness", "sadness"} <= set(state.mixture)  # both are felt
    assert len(state.notes) == 2


@pytest.mark.parametrize(
    ("prompt", "upper", "lower"),
    [
        ("happy eyes, frowning mouth", "happiness", "sadness"),
        ("angry brows and a smile", "anger", "happiness"),
        ("surprised eyes, neutral mouth", "surprise", "neutral"),
        ("sad eyes with a smile", "sadness", "happiness"),
    ],
)
def test_regions_follow_their_words(prompt: str, upper: str, lower: str) -> None:
    assert shown(prompt, "upper") == upper
    assert shown(prompt, "lower") == lower


def test_hidden_fear_leaks_in_the_upper_face_only() -> None:
    state = parse_prompt("trying to hide her fear")
    felt = parse_prompt("afraid")
    assert get_emotion_table().dominant_family(state.mixture) == "fear"
    assert state.valence < 0 and state.arousal > 0  # still felt
    upper = state.shown_by("upper")
    assert 0 < upper.intensity <= get_display_rules().leak * 1.0
    assert state.shown_by("lower").intensity == 0.0  # the mouth keeps its mask
    assert face("trying to hide her fear", "upper")[ARKIT_INDEX["browInnerUp"]] > 0.1
    assert emotion_weights(state.shown_by("lower"))[LOWER].max() < 0.05
    assert felt.regions == {}
    assert "hidden" in state.notes[0]


@pytest.mark.parametrize("prompt", ["forced smile", "a fake smile", "polite smile"])
def test_put_on_smiles_lack_the_cheek_raise(prompt: str) -> None:
    lower, upper = face(prompt, "lower"), face(prompt, "upper")
    real = emotion_weights(parse_prompt("smiling"))
    assert lower[ARKIT_INDEX["mouthSmileLeft"]] > 0.3
    assert upper[ARKIT_INDEX["cheekSquintLeft"]] < 0.02  # no AU6: not a felt smile
    assert real[ARKIT_INDEX["cheekSquintLeft"]] > 0.2


def test_mask_behind_a_smile() -> None:
    for prompt in ("hiding anger behind a smile", "masking sadness with a smile"):
        assert shown(prompt, "lower") == "happiness", prompt
        assert shown(prompt, "upper") in ("anger", "sadness"), prompt
        assert parse_prompt(prompt).valence < 0, prompt


def test_quietly_furious_is_held_back() -> None:
    state = parse_prompt("quietly furious")
    lower = face("quietly furious", "lower")
    loud = emotion_weights(parse_prompt("furious"))
    assert shown("quietly furious", "upper") == "anger"
    assert lower[ARKIT_INDEX["mouthPressLeft"]] > 0.1  # tight lips
    assert face("quietly furious", "upper")[UPPER].max() < loud[UPPER].max()
    assert state.valence < -0.3


def test_prompts_without_rules_have_no_regions() -> None:
    for prompt in ("furious", "nervous but hopeful", "not happy", "slightly sad"):
        assert parse_prompt(prompt).regions == {}, prompt


def test_region_state_mixes_by_intensity() -> None:
    s = region_state([({"anger": 1.0}, 0.2), ({"tight lips": 1.0}, 0.6)])
    assert s.intensity == pytest.approx(0.6)
    assert s.mixture["tight lips"] == pytest.approx(0.75)


@pytest.mark.parametrize(
    "prompt", ["smiling mouth, sad eyes", "smiling mouth sad eyes", "sad eyes smiling mouth"]
)
def test_region_words_bind_to_their_own_emotion(prompt: str) -> None:
    assert (shown(prompt, "upper"), shown(prompt, "lower")) == ("sadness", "happiness")


def test_region_word_before_its_emotion() -> None:
    assert shown("eyes that look sad", "upper") == "sadness"
    assert shown("eyes that look sad", "lower") == "neutral"


@pytest.mark.parametrize("prompt", ["not hiding fear", "not pretending to be happy"])
def test_negated_rule_shows_the_emotion_openly(prompt: str) -> None:
    state = parse_prompt(prompt)
    assert state.regions == {} and state.valence * (1 if "happy" in prompt else -1) > 0


@pytest.mark.parametrize("prompt", ["scared but hiding it", "angry, but hiding it", "fear hidden"])
def test_rule_after_its_emotion_applies_to_it(prompt: str) -> None:
    state = parse_prompt(prompt)
    assert state.regions, prompt
    assert state.shown_by("lower").intensity == 0.0
    assert 0 < state.shown_by("upper").intensity < state.intensity


def test_mask_named_before_the_hidden_emotion() -> None:
    assert shown("smiling but sad inside", "lower") == "happiness"
    assert shown("smiling but sad inside", "upper") == "sadness"
    assert face("smiling but sad inside", "upper")[ARKIT_INDEX["cheekSquintLeft"]] < 0.05


def test_an_emotion_word_qualifies_the_smile_after_it() -> None:
    state = parse_prompt("a sad smile")
    lower = state.shown_by("lower").mixture
    assert lower["sadness"] > lower["happiness"] > 0  # a smile, tinged with sadness
    assert shown("a sad smile", "upper") == "sadness"
    assert any("qualifies" in n for n in state.notes)
    assert shown("contemptuous smile", "lower") == "contempt"
    assert parse_prompt("smiling").regions == {}  # a smile alone is a whole-face smile
