"""Free-text emotion prompts -> EmotionState (generators.emotion.parse, lexicon, describe)."""

from __future__ import annotations

import json

import pytest

from generators.emotion import BASE_EMOTIONS, EKMAN_EMOTIONS, describe, known_emotions
from generators.emotion.lexicon import get_lexicon
from generators.emotion.parse import parse_prompt, tokenize
from generators.emotion.table import get_emotion_table
from generators.errors import PromptError
from generators.take import EmotionState

EKMAN_WORDS = {
    "happiness": ["happy", "joy", "joyful", "happiness"],
    "sadness": ["sad", "sadness", "sorrow"],
    "anger": ["angry", "anger", "mad"],
    "fear": ["afraid", "scared", "fear", "fearful"],
    "surprise": ["surprised", "surprise"],
    "disgust": ["disgusted", "disgust"],
    "contempt": ["contemptuous", "contempt", "scornful"],
}


def dominant(state: EmotionState) -> str:
    return get_emotion_table().dominant_family(state.mixture)


@pytest.mark.parametrize(
    ("emotion", "word"), [(e, w) for e, words in EKMAN_WORDS.items() for w in words]
)
def test_ekman_words_map_to_their_base_emotion(emotion: str, word: str) -> None:
    state = parse_prompt(word)
    assert state.mixture == {emotion: pytest.approx(1.0)}
    assert 0.3 <= state.intensity <= 1.0


def test_empty_prompt_is_neutral() -> None:
    for prompt in ["", "   ", " , ; "]:
        assert parse_prompt(prompt) == EmotionState.neutral()
    state = parse_prompt("neutral")
    assert state.mixture == {"neutral": 1.0}
    assert state.intensity == 0.0


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("furious", "anger"),
        ("irritated", "anger"),
        ("annoyed", "anger"),
        ("cheerful", "happiness"),
        ("delighted", "happiness"),
        ("excited", "happiness"),
        ("proud", "happiness"),
        ("gloomy", "sadness"),
        ("melancholy", "sadness"),
        ("terrified", "fear"),
        ("anxious", "fear"),
        ("nervous", "fear"),
        ("hopeful", "happiness"),
        ("shocked", "surprise"),
        ("amazed", "surprise"),
        ("disgusted", "disgust"),
        ("grossed out", "disgust"),
        ("grossed-out", "disgust"),
        ("smug", "contempt"),
        ("sneering", "contempt"),
        ("calm", "neutral"),
        ("bored", "neutral"),
        ("tired", "neutral"),
        ("confused", "surprise"),
        ("over the moon", "happiness"),
        ("angrily", "anger"),
        ("nervousness", "fear"),
    ],
)
def test_lexicon_synonyms(prompt: str, expected: str) -> None:
    assert dominant(parse_prompt(prompt)) == expected


def families(prompt: str) -> dict[str, float]:
    return get_emotion_table().family_weights(parse_prompt(prompt).mixture)


def test_embarrassed_is_a_blend() -> None:
    assert {"happiness", "sadness", "fear"} <= set(families("embarrassed"))


def test_mixture_is_normalised_and_uses_table_names() -> None:
    table = get_emotion_table()
    for word in known_emotions():
        state = parse_prompt(word)
        assert set(state.mixture) <= set(table.emotions), word
        assert sum(state.mixture.values()) == pytest.approx(1.0), word
        assert 0.0 <= state.intensity <= 1.0, word
        for v in (state.valence, state.arousal, state.dominance):
            assert -1.0 <= v <= 1.0, word


def test_quietly_furious_is_anger_with_lower_arousal() -> None:
    loud, quiet = parse_prompt("furious"), parse_prompt("quietly furious")
    assert dominant(quiet) == "anger"
    assert quiet.arousal < loud.arousal - 0.2
    assert quiet.intensity < loud.intensity
    assert quiet.valence < 0


def test_nervous_but_hopeful_mixes_fear_and_happiness() -> None:
    mix = families("nervous but hopeful")
    assert mix["fear"] > 0.3
    assert mix["happiness"] > 0.25


@pytest.mark.parametrize(
    ("prompt", "a", "b"),
    [
        ("happy and surprised", "happiness", "surprise"),
        ("sad, angry", "sadness", "anger"),
        ("angry / disgusted", "anger", "disgust"),
        ("scared yet excited", "fear", "happiness"),
    ],
)
def test_mixes(prompt: str, a: str, b: str) -> None:
    mix = families(prompt)
    assert mix[a] > 0.25
    assert mix[b] > 0.25


def test_explicit_weights() -> None:
    for prompt in [
        "anger:0.7, joy:0.3",
        "anger=0.7 joy=0.3",
        "70% angry, 30% happy",
        "anger 0.7 joy",
    ]:
        mix = parse_prompt(prompt).mixture
        assert mix["anger"] == pytest.approx(0.7), prompt
        assert mix["happiness"] == pytest.approx(0.3), prompt


def test_weight_modifiers() -> None:
    mix = parse_prompt("mostly sad with a hint of anger").mixture
    assert mix["sadness"] > 0.75
    assert 0.05 < mix["anger"] < 0.25


def test_intensity_modifiers_order() -> None:
    order = ["barely sad", "slightly sad", "a bit sad", "sad", "very sad", "extremely sad"]
    levels = [parse_prompt(p).intensity for p in order]
    assert levels == sorted(levels)
    assert levels[0] < 0.25 and levels[-1] == pytest.approx(1.0)
    # VAD magnitude follows intensity
    assert abs(parse_prompt("slightly sad").valence) < abs(parse_prompt("very sad").valence)


def test_intensity_argument_overrides_and_scales() -> None:
    assert parse_prompt("annoyed", intensity=1.0).intensity == pytest.approx(1.0)
    assert parse_prompt("furious", intensity=0.2).intensity == pytest.approx(0.2)
    assert parse_prompt("slightly happy", intensity=1.0).intensity < 0.6
    assert parse_prompt("happy", intensity=0.0).intensity == 0.0
    low, high = parse_prompt("happy", intensity=0.3), parse_prompt("happy", intensity=0.9)
    assert low.valence < high.valence


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan"), float("inf"), "high", True])
def test_intensity_argument_is_validated(bad: object) -> None:
    with pytest.raises(PromptError, match="0 to 1"):
        parse_prompt("happy", intensity=bad)  # type: ignore[arg-type]


def test_negation() -> None:
    not_happy = parse_prompt("not happy")
    assert not_happy.valence < 0
    assert dominant(not_happy) == "sadness"
    assert not_happy.intensity < parse_prompt("sad").intensity
    not_angry = parse_prompt("not angry")
    assert "anger" not in not_angry.mixture
    assert not_angry.arousal < 0
    assert "fear" not in parse_prompt("isn't scared").mixture
    assert parse_prompt("not calm").arousal > 0
    assert dominant(parse_prompt("not not sad")) == "sadness"


def test_fillers_and_unknown_words_are_ignored_once_something_is_known() -> None:
    state = parse_prompt("I'm feeling kind of gloomy about the weather")
    assert dominant(state) == "sadness"
    assert state.intensity < parse_prompt("gloomy").intensity


@pytest.mark.parametrize("prompt", ["xyzzy", "banana", "very", "not", "the feeling"])
def test_unknown_prompts_raise_prompt_error(prompt: str) -> None:
    with pytest.raises(PromptError) as info:
        parse_prompt(prompt)
    message = str(info.value)
    assert "\n" not in message
    assert "happy" in message and "nervous but hopeful" in message


def test_unknown_word_message() -> None:
    with pytest.raises(PromptError, match=r"^unknown emotion 'xyzzy'; try e\.g\. happy, sad"):
        parse_prompt("xyzzy")
    with pytest.raises(PromptError, match="did you mean 'happy'"):
        parse_prompt("hapyy xq")


def test_misspelt_words_are_read_with_a_note() -> None:
    state = parse_prompt("very hapy")
    assert dominant(state) == "happiness"
    assert state.intensity > parse_prompt("hapy").intensity
    assert any("misspelling of 'happy'" in n for n in state.notes)


def test_bad_weights_and_lengths() -> None:
    with pytest.raises(PromptError, match="out of range"):
        parse_prompt("anger:250")
    with pytest.raises(PromptError, match="zero"):
        parse_prompt("anger:0, joy:0")
    with pytest.raises(PromptError, match="characters"):
        parse_prompt("happy " * 200)
    with pytest.raises(PromptError, match="text"):
        parse_prompt(42)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("word", "valence", "arousal", "dominance"),
    [
        ("angry", -1, 1, 1),
        ("sad", -1, -1, -1),
        ("happy", 1, 1, 1),
        ("afraid", -1, 1, -1),
        # The NRC VAD norms rate "disgust" and "contempt" below the dominance midpoint.
        ("disgusted", -1, 1, -1),
        ("contemptuous", -1, 1, -1),
        ("calm", 1, -1, 1),
        ("tired", -1, -1, -1),
        ("excited", 1, 1, 1),
    ],
)
def test_vad_signs(word: str, valence: int, arousal: int, dominance: int) -> None:
    state = parse_prompt(word)
    for got, sign in (
        (state.valence, valence),
        (state.arousal, arousal),
        (state.dominance, dominance),
    ):
        assert got * sign > 0, (word, state)


def test_surprise_is_high_arousal() -> None:
    assert parse_prompt("surprised").arousal > 0.5


def test_deterministic() -> None:
    assert parse_prompt("nervous but hopeful") == parse_prompt("nervous but hopeful")


def test_tokenize() -> None:
    assert tokenize("Don't be grossed-out!") == ["do", "not", "be", "grossed", "out", "!"]


def test_lexicon_is_consistent() -> None:
    lex = get_lexicon()
    assert set(lex.base_vad) == set(BASE_EMOTIONS)
    for emotion in EKMAN_EMOTIONS:
        assert emotion in {e.main_emotion for e in lex.words.values()}
    for word in lex.suggestions:
        assert word in lex.words


def test_describe_is_json_ready() -> None:
    d = describe(parse_prompt("quietly furious"), "quietly furious")
    text = json.dumps(d)
    assert json.loads(text) == d
    assert d["prompt"] == "quietly furious"
    assert d["dominant"] == "anger"
    assert list(d["regions"]) == ["upper", "lower"]
    upper, lower = d["regions"]["upper"], d["regions"]["lower"]
    assert upper["dominant"] == "anger" and upper["shapes"]["browDownLeft"] > 0.3
    assert "tight lips" in lower["mixture"]  # held back: the lips press together
    assert lower["shapes"]["mouthPressLeft"] > 0.1
    assert not any(n.startswith("mouth") or n.startswith("jaw") for n in upper["shapes"])
    assert any(au["au"] == "AU4" and au["name"] == "brow lowerer" for au in d["action_units"])
    assert set(d["vad"]) == {"valence", "arousal", "dominance"}
    assert d["notes"] and "held back" in d["notes"][0]
    for key in ("intensity", "mixture", "families", "notes"):
        assert key in d


def test_describe_neutral() -> None:
    d = describe(EmotionState.neutral())
    assert d["dominant"] == "neutral"
    assert d["action_units"] == []
    assert all(r["shapes"] == {} and r["dominant"] == "neutral" for r in d["regions"].values())
    assert d["notes"] == []


def test_accents_and_other_scripts() -> None:
    assert tokenize("Naïve, TRÈS") == ["naive", ",", "tres"]
    with pytest.raises(PromptError, match="no emotion word"):
        parse_prompt("😢")
    with pytest.raises(PromptError, match="unknown emotion"):
        parse_prompt("悲しい")
    assert parse_prompt(",,,").mixture == {"neutral": 1.0}


def test_a_less_word_lacks_the_emotion_it_names() -> None:
    assert parse_prompt("joyless").valence < -0.1
    assert "'joyless' read as 'not joy'" in parse_prompt("joyless").notes
    assert parse_prompt("loveless").valence < -0.1
    assert parse_prompt("not joyless").valence > 0.1
    with pytest.raises(PromptError, match="unknown emotion"):
        parse_prompt("tableless")
    assert "happiness" not in parse_prompt("doubtless furious").mixture  # "surely", not joy
    for word in ("unless", "helpless", "regardless"):  # no emotion word before "less"
        state = None
        try:
            state = parse_prompt(word)
        except PromptError:
            continue
        assert not any("read as 'not" in note for note in state.notes)
