"""The rig's emotion stage: emotion curves over time and layering with lip sync."""

from __future__ import annotations

import numpy as np
import pytest

from generators.emotion import emotion_weights, parse_prompt, region_mask
from generators.emotion.life import life_modulation
from generators.emotion.regions import UPPER_FACE
from generators.errors import PromptError
from generators.rig.emotion_layer import (
    LIP_PARTING,
    SPEECH_LAYER_GAIN,
    combine_with_lipsync,
    emotion_curves,
)
from generators.take import EmotionSegment, EmotionState, EmotionTrack
from renderers.arkit import ARKIT_INDEX

FPS = 30
UPPER = region_mask(UPPER_FACE)


def col(name: str) -> int:
    return ARKIT_INDEX[name]


def times(seconds: float) -> np.ndarray:
    return np.arange(int(seconds * FPS)) / FPS


def constant(prompt: str) -> EmotionTrack:
    return EmotionTrack.constant(prompt, parse_prompt(prompt))


# --- emotion_curves -------------------------------------------------------------------------


def test_curves_shape_dtype_range() -> None:
    curves = emotion_curves(constant("furious"), times(4), 1.0)
    assert curves.shape == (120, 52)
    assert curves.dtype == np.float32
    assert np.all((curves >= 0) & (curves <= 1))


def test_curves_follow_the_static_expression_within_life_amplitude() -> None:
    state = parse_prompt("happy")
    curves = emotion_curves(EmotionTrack.constant("happy", state), times(10), 1.0)
    static = emotion_weights(state)
    ratio = curves[:, col("mouthSmileLeft")] / static[col("mouthSmileLeft")]
    assert np.all(np.abs(ratio - 1) <= 0.081)


def test_held_emotion_is_alive_but_subtle() -> None:
    curves = emotion_curves(constant("sad"), times(10), 1.0)
    brow = curves[:, col("browInnerUp")]
    assert brow.std() > 1e-3  # not frozen
    assert brow.max() - brow.min() < 0.2 * brow.mean()  # but subtle
    assert np.abs(np.diff(brow)).max() < 0.01  # and slow


def test_curves_are_deterministic_and_seeded() -> None:
    track, t = constant("nervous but hopeful"), times(5)
    a = emotion_curves(track, t, 0.8)
    assert np.array_equal(a, emotion_curves(track, t, 0.8))
    assert np.array_equal(a, emotion_curves(track, t, 0.8, seed=0))
    assert not np.array_equal(a, emotion_curves(track, t, 0.8, seed=1))


def test_curves_are_a_function_of_time_not_frame_rate() -> None:
    track = constant("angry")
    at30 = emotion_curves(track, np.arange(60) / 30, 1.0)
    at60 = emotion_curves(track, np.arange(120) / 60, 1.0)
    np.testing.assert_allclose(at30, at60[::2], atol=1e-6)


def test_global_intensity_scales() -> None:
    track, t = constant("surprised"), times(3)
    zero = emotion_curves(track, t, 0.0)
    half = emotion_curves(track, t, 0.5)
    one = emotion_curves(track, t, 1.0)
    assert not zero.any()
    np.testing.assert_allclose(half * 2, one, atol=1e-6)


@pytest.mark.parametrize("bad", [-0.5, 1.01, float("nan")])
def test_global_intensity_is_validated(bad: float) -> None:
    with pytest.raises(PromptError):
        emotion_curves(constant("happy"), times(1), bad)


def test_neutral_track_and_empty_times() -> None:
    assert not emotion_curves(EmotionTrack(), times(2), 1.0).any()
    assert emotion_curves(constant("happy"), np.array([]), 1.0).shape == (0, 52)
    with pytest.raises(ValueError):
        emotion_curves(constant("happy"), np.zeros((3, 2)), 1.0)


def test_segments_cross_fade() -> None:
    happy, angry = parse_prompt("happy"), parse_prompt("angry")
    track = EmotionTrack(
        [EmotionSegment(0.0, 2.0, "happy", happy), EmotionSegment(2.0, None, "angry", angry)],
        transition=0.5,
    )
    curves = emotion_curves(track, times(4), 1.0)
    smile, brow = curves[:, col("mouthSmileLeft")], curves[:, col("browDownLeft")]
    assert smile[30] > 0.4 and brow[30] < 0.1  # 1 s: happy
    assert smile[100] < 0.05 and brow[100] > 0.5  # 3.3 s: angry
    fade = slice(60, 76)  # 2.0 .. 2.5 s
    assert np.all(np.diff(smile[fade]) <= 1e-3)
    assert np.all(np.diff(brow[fade]) >= -1e-3)


def test_life_modulation() -> None:
    t = times(20)
    m = life_modulation(t, seed=7)
    assert m.shape == (len(t), 6)
    assert np.all(np.abs(m - 1) <= 0.08 + 1e-12)
    assert np.array_equal(m, life_modulation(t, seed=7))
    # regions drift differently
    assert not np.allclose(m[:, 0], m[:, 4])


# --- combine_with_lipsync -------------------------------------------------------------------


def frames(n: int, **weights: float) -> np.ndarray:
    out = np.zeros((n, 52), dtype=np.float32)
    for name, value in weights.items():
        out[:, col(name)] = value
    return out


def surprise_face(n: int) -> np.ndarray:
    return np.tile(emotion_weights(parse_prompt("extremely surprised")), (n, 1))


@pytest.mark.parametrize("activity", [0.0, 0.3, 1.0])
def test_closures_are_never_broken(activity: float) -> None:
    lip = frames(3, mouthClose=1.0, mouthPressLeft=0.3, mouthPressRight=0.3)
    emo = surprise_face(3)
    assert emo[0, col("jawOpen")] > 0.3
    out = combine_with_lipsync(lip, emo, np.full(3, activity))
    assert np.all(out[:, col("jawOpen")] == 0.0)
    assert np.all(out[:, col("mouthClose")] == 1.0)
    for name in LIP_PARTING:
        assert np.all(out[:, col(name)] == lip[:, col(name)]), name
    # the upper face still shows the surprise
    assert np.all(out[:, col("browInnerUp")] > 0.5)


def test_closure_with_some_jaw_keeps_lip_jaw() -> None:
    lip = frames(2, jawOpen=0.1, mouthClose=0.1)
    out = combine_with_lipsync(lip, surprise_face(2), np.array([0.0, 1.0]))
    assert np.allclose(out[:, col("jawOpen")], 0.1)


def test_upper_face_emotion_shows_during_speech() -> None:
    lip = frames(4, jawOpen=0.5, mouthFunnel=0.3, eyeBlinkLeft=0.2)
    emo = np.tile(emotion_weights(parse_prompt("furious")), (4, 1))
    out = combine_with_lipsync(lip, emo, np.ones(4))
    np.testing.assert_allclose(
        out[:, UPPER], np.clip(lip[:, UPPER] + emo[:, UPPER], 0, 1), atol=1e-6
    )
    assert np.all(out[:, col("browDownLeft")] > 0.6)
    assert np.allclose(
        out[:, col("eyeBlinkLeft")], np.clip(0.2 + emo[:, col("eyeBlinkLeft")], 0, 1)
    )


def test_speech_owns_conflicting_mouth_shapes() -> None:
    lip = frames(2, jawOpen=0.4, mouthFunnel=0.5)
    emo = np.tile(emotion_weights(parse_prompt("furious")), (2, 1))
    emo[:, col("jawOpen")] = 0.9
    out = combine_with_lipsync(lip, emo, np.ones(2))
    for name in ("jawOpen", "mouthFunnel", "mouthPressLeft", "mouthPressRight", "mouthRollUpper"):
        assert np.allclose(out[:, col(name)], lip[:, col(name)]), name


def test_coexisting_mouth_shapes_layer_at_reduced_weight_while_speaking() -> None:
    lip = frames(2, jawOpen=0.4)
    emo = np.tile(emotion_weights(parse_prompt("very happy")), (2, 1))
    smile = emo[0, col("mouthSmileLeft")]
    out = combine_with_lipsync(lip, emo, np.array([1.0, 0.0]))
    gain = SPEECH_LAYER_GAIN["mouthSmileLeft"]
    assert out[0, col("mouthSmileLeft")] == pytest.approx(gain * smile, abs=1e-6)
    assert out[1, col("mouthSmileLeft")] == pytest.approx(smile, abs=1e-6)
    assert 0 < gain < 1


def test_mouth_emotion_shows_fully_in_silence() -> None:
    lip = frames(2)
    for prompt in ("furious", "extremely surprised", "disgusted", "sad"):
        emo = np.tile(emotion_weights(parse_prompt(prompt)), (2, 1))
        out = combine_with_lipsync(lip, emo, np.zeros(2))
        np.testing.assert_allclose(out, emo, atol=1e-6, err_msg=prompt)


def test_mouth_activity_blends_smoothly() -> None:
    lip = frames(11, jawOpen=0.2)
    emo = np.tile(emotion_weights(parse_prompt("extremely surprised")), (11, 1))
    out = combine_with_lipsync(lip, emo, np.linspace(1, 0, 11))
    jaw = out[:, col("jawOpen")]
    assert np.all(np.diff(jaw) >= -1e-7)
    assert jaw[0] == pytest.approx(0.2) and jaw[-1] == pytest.approx(
        max(0.2, emo[0, col("jawOpen")])
    )


def test_combined_output_is_clipped_and_deterministic() -> None:
    rng = np.random.default_rng(0)
    lip = rng.uniform(-0.2, 1.2, size=(50, 52))
    emo = rng.uniform(0.0, 1.0, size=(50, 52))
    act = rng.uniform(-0.5, 1.5, size=50)
    out = combine_with_lipsync(lip, emo, act)
    assert out.dtype == np.float32 and out.shape == (50, 52)
    assert np.all((out >= 0) & (out <= 1))
    assert np.array_equal(out, combine_with_lipsync(lip, emo, act))


def test_shape_validation() -> None:
    with pytest.raises(ValueError):
        combine_with_lipsync(np.zeros((3, 52)), np.zeros((4, 52)), np.zeros(3))
    with pytest.raises(ValueError):
        combine_with_lipsync(np.zeros((3, 52)), np.zeros((3, 52)), np.zeros(2))
    with pytest.raises(ValueError):
        combine_with_lipsync(np.zeros((3, 51)), np.zeros((3, 51)), np.zeros(3))


def test_end_to_end_with_curves() -> None:
    t = times(3)
    emo = emotion_curves(constant("quietly furious"), t, 0.9, seed=3)
    lip = frames(len(t), jawOpen=0.3)
    lip[30:35, col("jawOpen")] = 0.0
    lip[30:35, col("mouthClose")] = 0.6
    act = np.ones(len(t))
    out = combine_with_lipsync(lip, emo, act)
    assert np.all(out[30:35, col("jawOpen")] == 0.0)
    assert np.all(out[:, col("browDownLeft")] > 0.4)
    assert isinstance(EmotionState.neutral(), EmotionState)
