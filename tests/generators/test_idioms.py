"""Emotion idioms: patterns, their forms, the lexicon built with them, and prompts using them."""

from __future__ import annotations

import pytest

from generators.emotion.data import load_preset
from generators.emotion.idioms import MAX_VARIANTS, expand_pattern, idiom_name, idiom_patterns
from generators.emotion.lexicon import build_lexicon, get_lexicon
from generators.emotion.parse import parse_prompt
from generators.emotion.table import get_emotion_table


def family(prompt: str) -> str:
    return get_emotion_table().dominant_family(parse_prompt(prompt).mixture)


def test_a_pattern_stands_for_its_verb_forms_possessives_and_optional_words() -> None:
    forms = expand_pattern("fly|flew off the handle")
    assert forms == [("fly", "off", "the", "handle"), ("flew", "off", "the", "handle")]
    wits = expand_pattern("at one's wits end")
    assert ("at", "their", "wits", "end") in wits and ("at", "one's", "wits", "end") in wits
    assert len(wits) == 8
    assert set(expand_pattern("[as] cool as a cucumber")) == {
        ("as", "cool", "as", "a", "cucumber"), ("cool", "as", "a", "cucumber")}
    assert expand_pattern("hot-headed") == [("hot", "headed")]
    assert ("could", "not", "care", "less") in expand_pattern("couldnt care less")
    assert ("can", "not", "be", "bothered") in expand_pattern("cant be bothered")
    assert ("cannot", "be", "bothered") in expand_pattern("cant be bothered")
    assert idiom_name("see|saw red") == "see red"
    assert idiom_name("at one's wits end") == "at one's wits end"


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("", "empty"),
        ("see r3d", "must be words"),
        ("see||red", "must be words"),
        ("[very] [much]", "only optional"),
        (" ".join(["a|b|c"] * 5), f"at most {MAX_VARIANTS}"),
        (" ".join(["word"] * 13), "more than 12 words"),
    ],
)
def test_a_malformed_pattern_is_refused_with_what_is_wrong(pattern: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        expand_pattern(pattern)


def test_the_idioms_file_is_checked_like_the_lexicon() -> None:
    data = load_preset("emotions.json")
    with pytest.raises(ValueError, match="already a word"):
        build_lexicon(data, idioms={"idioms": {"furious": {"mixture": {"rage": 1}}}})
    with pytest.raises(ValueError, match="unknown emotions"):
        build_lexicon(data, idioms={"idioms": {"see red": {"mixture": {"redness": 1}}}})
    with pytest.raises(ValueError, match="is already the filler"):
        build_lexicon(data, idioms={"idioms": {"[in] [the] feeling": {"mixture": {"calm": 1}}}})
    with pytest.raises(ValueError, match="share a name"):
        idiom_patterns({"idioms": {"see red": {}, "see|saw red": {}}})
    with pytest.raises(ValueError, match="'idioms' object"):
        idiom_patterns({"idioms": ["see red"]})
    many = {f"{chr(97 + i % 26)}{chr(97 + i // 26)} a|b|c|d|e|f|g|h|i|j x|y|z|q|r|s|t|u|v|w":
            {"mixture": {"calm": 1}} for i in range(600)}  # 100 phrases each: 60,000 in all
    with pytest.raises(ValueError, match="more than 50000 phrases"):
        build_lexicon(data, idioms={"idioms": many})
    with pytest.raises(ValueError, match="rare_words must map"):
        build_lexicon({**data, "rare_words": ["edgy"]})
    with pytest.raises(ValueError, match="rare_words must map"):
        build_lexicon({**data, "rare_words": {"edgy": 3}})


def test_the_shipped_idioms_load_and_cover_every_basic_emotion() -> None:
    lex = get_lexicon()
    assert len(lex.idioms) >= 150
    families = {get_emotion_table().dominant_family(lex.words[i].mixture) for i in lex.idioms}
    assert families >= {"happiness", "sadness", "anger", "fear", "surprise", "disgust",
                        "contempt"}
    assert lex.match(["saw", "red"], 0) == ("word", "see red", 2)


@pytest.mark.parametrize(
    ("prompt", "expected", "sign"),
    [
        ("she's seeing red", "anger", -1),
        ("he cannot be bothered", "?", -1),
        ("I can't wait", "happiness", 1),
        ("Hot-headed", "anger", -1),
        ("tickled pink", "happiness", 1),
        ("feeling down in the dumps", "sadness", -1),
        ("at her wits' end", "fear", -1),
        ("green with envy", "anger", -1),
        ("on cloud nine", "happiness", 1),
    ],
)
def test_idioms_in_prompts_mean_what_they_say(prompt: str, expected: str, sign: int) -> None:
    state = parse_prompt(prompt)
    assert state.valence * sign > 0.2, (state.mixture, state.valence)
    if expected == "fear":  # "at one's wits' end": stress or despair, read as either
        assert family(prompt) in {"fear", "sadness"}, state.mixture
    elif expected != "?":
        assert family(prompt) == expected, state.mixture
    assert not any("read by meaning" in n for n in state.notes), state.notes


def test_idioms_take_modifiers_negation_and_mixes_like_words() -> None:
    slightly, fully = parse_prompt("slightly hot under the collar"), parse_prompt(
        "hot under the collar")
    assert 0 < slightly.intensity < fully.intensity
    assert parse_prompt("not on cloud nine").valence < 0
    mix = parse_prompt("on pins and needles but tickled pink")
    families = get_emotion_table().family_weights(mix.mixture)
    assert families.get("fear", 0) > 0.2 and families.get("happiness", 0) > 0.2, mix.mixture


def test_idioms_and_rare_words_are_known_but_not_neighbours_for_unknown_words() -> None:
    from generators.emotion.open_vocabulary import get_vocabulary

    lex = get_lexicon()
    assert "apoplectic" in lex.rare and "apoplectic" in lex.words
    neighbours = {entry.word for entry in get_vocabulary().entries}
    assert not neighbours & (lex.idioms | lex.rare)
    assert parse_prompt("apoplectic").valence < -0.2  # an exact rare word still reads
    with pytest.raises(ValueError, match="also listed under words"):
        data = dict(load_preset("emotions.json"))
        build_lexicon({**data, "rare_words": {"furious": {"mixture": {"rage": 1}}}})
