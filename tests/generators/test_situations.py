"""Prompts that name no emotion are read by the situation they describe."""

from __future__ import annotations

import pytest

from generators.emotion.parse import parse_prompt
from generators.emotion.situations import situations
from generators.emotion.table import get_emotion_table
from generators.errors import PromptError


def test_the_shipped_situations_use_table_emotions_and_cover_every_basic_family() -> None:
    table = get_emotion_table()
    found = situations()
    assert len(found) >= 60
    families = {table.dominant_family({s.emotion: 1.0}) for s in found}
    assert families >= {"happiness", "sadness", "anger", "fear", "surprise", "disgust",
                        "contempt", "neutral"}


@pytest.mark.parametrize(
    ("prompt", "sign", "family"),
    [
        ("I lost my best friend to cancer last year", -1, "sadness"),
        ("we finally bought our first home together", 1, "happiness"),
        ("someone keeps stealing my lunch from the office fridge", -1, "anger"),
        ("a strange man is standing outside my window at night", -1, "fear"),
    ],
)
def test_a_situation_is_read_with_the_expected_valence(prompt: str, sign: int,
                                                       family: str) -> None:
    state = parse_prompt(prompt)
    assert state.valence * sign > 0.2, (state.mixture, state.valence)
    table = get_emotion_table()
    assert table.dominant_family(state.mixture) == family, state.mixture
    assert any("read as a situation" in note for note in state.notes), state.notes


def test_plain_statements_and_gibberish_still_have_no_emotion() -> None:
    for plain in ("the report has four sections", "I bought milk", "the train leaves at nine",
                  "a cup of tea", "she is reading a book"):
        with pytest.raises(PromptError, match="unknown emotion"):
            parse_prompt(plain)
    with pytest.raises(PromptError, match="unknown emotion"):
        parse_prompt("xyzzy")


def test_without_reading_by_meaning_a_situation_is_an_error() -> None:
    with pytest.raises(PromptError):
        parse_prompt("my cat was run over by a truck", by_meaning=False)


def test_a_situation_sharing_its_topic_with_an_opposite_one_keeps_its_feeling() -> None:
    # The nearest shipped situations share the topic, not the feeling ("the missing dog came
    # home", "the house we wanted sold to someone else"); the linear reading keeps the sign.
    assert parse_prompt("his dog died this morning").valence < -0.2
    assert parse_prompt("we finally bought our first home together").valence > 0.2


def test_a_nearly_known_situation_is_read_as_that_situation() -> None:
    state = parse_prompt("she found a hair in her soup")
    assert get_emotion_table().dominant_family(state.mixture) == "disgust", state.mixture


def test_the_linear_reading_is_fitted_on_the_shipped_examples() -> None:
    import numpy as np

    from generators.emotion.open_vocabulary import get_vocabulary
    from generators.emotion.situation_probe import fit_probe

    known = get_vocabulary()
    probe = known.situation_probe
    assert probe.weights.shape == (known.situation_vectors.shape[1] + 1, len(probe.labels) + 2)
    # On the examples it was fitted on, it names the basic emotion of most of them.
    reads = [probe.read(v)[0] for v in known.situation_vectors]
    agree = np.mean(np.asarray(reads) == known.situation_families)
    assert agree > 0.65, agree  # a strongly regularised fit: 0.74 with the shipped data
    with pytest.raises(ValueError, match="one embedding"):
        fit_probe(known.situation_vectors[:3], known.situation_families[:2], [(0.0, 0.0)] * 3)


def test_other_scripts_are_not_read_by_meaning() -> None:
    with pytest.raises(PromptError, match="unknown emotion"):
        parse_prompt("悲しい")
    with pytest.raises(PromptError, match="unknown emotion"):
        parse_prompt("我的狗今天早上死了")
