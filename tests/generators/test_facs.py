"""FACS prototypes, the AU -> ARKit table, emotion expressions and face regions."""

from __future__ import annotations

import numpy as np
import pytest

from generators.emotion import EKMAN_EMOTIONS, parse_prompt
from generators.emotion.data import load_preset
from generators.emotion.facs import (
    action_units,
    au_to_arkit,
    emotion_weights,
    expression_weights,
    get_facs_model,
    mixture_matrix,
    parse_facs_code,
    prototype,
    saturate,
)
from generators.emotion.regions import (
    LOWER_FACE,
    REGION_OF,
    REGIONS,
    UPPER_FACE,
    region_breakdown,
    region_mask,
)
from generators.emotion.table import get_emotion_table
from generators.errors import PromptError
from generators.take import EmotionState
from renderers.arkit import ARKIT_INDEX, ARKIT_NAMES


def full(emotion: str, intensity: float = 1.0) -> np.ndarray:
    return emotion_weights(EmotionState({emotion: 1.0}, intensity))


def w(weights: np.ndarray, name: str) -> float:
    return float(weights[ARKIT_INDEX[name]])


def both(weights: np.ndarray, stem: str) -> tuple[float, float]:
    return w(weights, stem + "Left"), w(weights, stem + "Right")


EMFACS = {
    "happiness": {"6", "12"},
    "sadness": {"1", "4", "15"},
    "surprise": {"1", "2", "5", "26"},
    "fear": {"1", "2", "4", "5", "7", "20", "26"},
    "anger": {"4", "5", "7", "23"},
    "disgust": {"9", "15", "16"},
    "contempt": {"R12", "R14"},
}


def test_parse_facs_code() -> None:
    assert parse_facs_code("1+2+5B+26") == {"1": 0.6, "2": 0.6, "5": 0.4, "26": 0.6}
    assert parse_facs_code("R12A+R14A") == {"R12": 0.2, "R14": 0.2}
    assert parse_facs_code("") == {}
    with pytest.raises(ValueError):
        parse_facs_code("12Z")


@pytest.mark.parametrize("emotion", EKMAN_EMOTIONS)
def test_prototypes_contain_emfacs_aus(emotion: str) -> None:
    reference = set(parse_facs_code(load_preset("facs.json")["emfacs"][emotion]))
    assert reference == EMFACS[emotion]
    assert EMFACS[emotion] <= set(prototype(emotion))
    assert EMFACS[emotion] <= set(action_units(EmotionState({emotion: 1.0}, 1.0)))


def test_au_to_arkit_table() -> None:
    expected = {
        "1": ["browInnerUp"],
        "2": ["browOuterUpLeft", "browOuterUpRight"],
        "4": ["browDownLeft", "browDownRight"],
        "5": ["eyeWideLeft", "eyeWideRight"],
        "6": ["cheekSquintLeft", "cheekSquintRight", "eyeSquintLeft", "eyeSquintRight"],
        "7": ["eyeSquintLeft", "eyeSquintRight"],
        "9": ["noseSneerLeft", "noseSneerRight"],
        "10": ["mouthUpperUpLeft", "mouthUpperUpRight"],
        "12": ["mouthSmileLeft", "mouthSmileRight"],
        "14": ["mouthDimpleLeft", "mouthDimpleRight"],
        "15": ["mouthFrownLeft", "mouthFrownRight"],
        "16": ["mouthLowerDownLeft", "mouthLowerDownRight"],
        "17": ["mouthShrugLower"],
        "20": ["mouthStretchLeft", "mouthStretchRight"],
        "23": ["mouthPressLeft", "mouthPressRight", "mouthRollUpper"],
        "24": ["mouthPressLeft", "mouthPressRight"],
        "26": ["jawOpen"],
        "43": ["eyeBlinkLeft", "eyeBlinkRight"],
        "45": ["eyeBlinkLeft", "eyeBlinkRight"],
    }
    for au, names in expected.items():
        row = au_to_arkit(au)
        assert row.shape == (52,)
        for name in names:
            assert row[ARKIT_INDEX[name]] > 0, (au, name)
    # a one-sided AU drives only its side
    right = au_to_arkit("R12")
    assert w(right, "mouthSmileRight") == 1.0 and w(right, "mouthSmileLeft") == 0.0
    left = au_to_arkit("L14")
    assert w(left, "mouthDimpleLeft") == 1.0 and w(left, "mouthDimpleRight") == 0.0


def test_neutral_is_all_zero() -> None:
    assert not full("neutral").any()
    assert not emotion_weights(EmotionState.neutral()).any()


def test_happiness() -> None:
    x = full("happiness")
    assert min(both(x, "mouthSmile")) > 0.6
    assert min(both(x, "cheekSquint")) > 0.3
    assert max(both(x, "mouthFrown")) == 0.0
    assert max(both(x, "browDown")) == 0.0


def test_sadness() -> None:
    x = full("sadness")
    assert w(x, "browInnerUp") > 0.5
    assert min(both(x, "mouthFrown")) > 0.5
    assert max(both(x, "mouthSmile")) == 0.0


def test_anger() -> None:
    x = full("anger")
    assert min(both(x, "browDown")) > 0.6
    assert min(both(x, "eyeSquint")) > 0.4
    assert min(both(x, "mouthPress")) > 0.4
    assert w(x, "browInnerUp") == 0.0


def test_surprise() -> None:
    x = full("surprise")
    assert w(x, "browInnerUp") > 0.5
    assert min(both(x, "browOuterUp")) > 0.5
    assert min(both(x, "eyeWide")) > 0.2
    assert w(x, "jawOpen") > 0.2
    assert max(both(x, "browDown")) == 0.0


def test_fear() -> None:
    x = full("fear")
    assert w(x, "browInnerUp") > 0.5
    assert min(both(x, "eyeWide")) > 0.5
    assert min(both(x, "mouthStretch")) > 0.5
    assert min(both(x, "browDown")) > 0.2
    assert w(x, "jawOpen") > 0.1


def test_disgust() -> None:
    x = full("disgust")
    assert min(both(x, "noseSneer")) > 0.5
    assert min(both(x, "mouthUpperUp")) > 0.2
    assert min(both(x, "mouthFrown")) > 0.2


def test_contempt_is_one_sided() -> None:
    x = emotion_weights(parse_prompt("contemptuous"))
    assert w(x, "mouthSmileRight") > 0.1 and w(x, "mouthSmileLeft") == 0.0
    assert w(x, "mouthDimpleRight") > 0.2 and w(x, "mouthDimpleLeft") == 0.0


def test_intensity_scales_every_shape() -> None:
    for emotion in EKMAN_EMOTIONS:
        levels = [full(emotion, i) for i in (0.0, 0.25, 0.5, 0.75, 1.0)]
        assert not levels[0].any()
        for lo, hi in zip(levels, levels[1:], strict=False):
            assert np.all(hi >= lo - 1e-7), emotion
        assert levels[-1].max() > 2 * levels[1].max(), emotion


def test_prompt_intensity_reaches_the_face() -> None:
    slight = emotion_weights(parse_prompt("slightly happy"))
    very = emotion_weights(parse_prompt("very happy"))
    assert w(very, "mouthSmileLeft") > w(slight, "mouthSmileLeft") + 0.2


def test_mixes_show_both_emotions_and_never_overflow() -> None:
    x = emotion_weights(parse_prompt("nervous but hopeful"))
    assert min(both(x, "mouthSmile")) > 0.1  # hope
    assert min(both(x, "mouthStretch")) > 0.05  # nerves: the lip stretcher of anxiety
    assert w(x, "browInnerUp") > 0.1
    all_at_once = EmotionState({e: 1.0 for e in EKMAN_EMOTIONS}, 1.0, 1.0, 1.0, 1.0)
    y = emotion_weights(all_at_once)
    assert y.dtype == np.float32 and y.shape == (52,)
    assert np.all((y >= 0) & (y <= 1))


def test_all_outputs_in_range_for_every_word() -> None:
    from generators.emotion import known_emotions

    for word in known_emotions():
        for prefix in ("", "extremely ", "barely "):
            x = emotion_weights(parse_prompt(prefix + word))
            assert np.all((x >= 0) & (x <= 1)), word


def test_low_arousal_droops_the_lids() -> None:
    tired = emotion_weights(parse_prompt("exhausted"))
    assert min(both(tired, "eyeBlink")) > 0.15


def test_aliases_and_unknown_mixture_names() -> None:
    assert np.allclose(
        emotion_weights(EmotionState({"joy": 1.0}, 0.8)),
        emotion_weights(EmotionState({"happiness": 1.0}, 0.8)),
    )
    with pytest.raises(PromptError, match="unknown emotion 'xyzzy'"):
        emotion_weights(EmotionState({"xyzzy": 1.0}, 0.8))


def test_expression_weights_batch_matches_single() -> None:
    states = [parse_prompt(p) for p in ("happy", "quietly furious", "nervous but hopeful")]
    batch = expression_weights(
        mixture_matrix([s.mixture for s in states]),
        np.array([s.intensity for s in states]),
        np.array([(s.valence, s.arousal, s.dominance) for s in states]),
    )
    for row, state in zip(batch, states, strict=True):
        np.testing.assert_allclose(row, emotion_weights(state), atol=1e-6)


def test_saturate() -> None:
    x = np.linspace(0, 10, 1001)
    y = saturate(x)
    assert np.all(np.diff(y) >= 0)
    assert y.max() <= 1.0
    assert np.allclose(y[x <= 0.7], x[x <= 0.7])


def test_model_shapes() -> None:
    model = get_facs_model()
    assert model.prototypes.shape == (len(get_emotion_table().names), len(model.au_keys))
    assert model.au_arkit.shape == (len(model.au_keys), 52)
    assert not model.prototypes[0].any()  # neutral


def test_regions_partition_arkit() -> None:
    names = [n for group in REGIONS.values() for n in group]
    assert sorted(names) == sorted(ARKIT_NAMES)
    assert len(names) == 52
    assert set(UPPER_FACE) | set(LOWER_FACE) == set(REGIONS)
    assert REGION_OF["browInnerUp"] == "brows"
    assert REGION_OF["cheekSquintLeft"] == "cheeks"
    assert REGION_OF["noseSneerRight"] == "nose"
    assert REGION_OF["tongueOut"] == "mouth"
    assert REGION_OF["jawOpen"] == "jaw"
    assert not np.any(region_mask(UPPER_FACE) & region_mask(LOWER_FACE))
    with pytest.raises(ValueError):
        region_mask("ears")


def test_region_breakdown_per_emotion() -> None:
    anger = region_breakdown(full("anger"))
    assert anger["brows"]["amount"] > 0.6
    assert anger["nose"]["amount"] == 0.0
    disgust = region_breakdown(full("disgust"))
    assert disgust["nose"]["amount"] > 0.5
    surprise = region_breakdown(full("surprise"))
    assert surprise["jaw"]["amount"] > 0.2
