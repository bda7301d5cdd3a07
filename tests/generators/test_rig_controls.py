"""Animation controls (the studio's live sliders) on real speech: each moves only its curves."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from generators.audio import AudioClip
from generators.base import AnimationControls, GenerationRequest
from generators.controls import CONTROL_RANGE, control_default, control_range
from generators.emotion import parse_prompt
from generators.emotion.regions import LOWER_FACE, UPPER_FACE, region_mask
from generators.errors import PromptError
from generators.rig.blinks import plan_blinks
from generators.rig.emotion_layer import CLOSURE_FULL
from generators.rig.gaze import EYE_LOOK_COLUMNS, VOR_GAIN, gaze_motion
from generators.rig.generator import RigAnalysis, RigGenerator
from generators.take import EmotionTrack, Take
from renderers.arkit import ARKIT_INDEX

UPPER = region_mask(UPPER_FACE)
LOWER = region_mask(LOWER_FACE)
BROWS = region_mask("brows")
BLINK_COLS = [
    ARKIT_INDEX[n] for n in ("eyeBlinkLeft", "eyeBlinkRight", "eyeWideLeft", "eyeWideRight")
]
LOOK = list(EYE_LOOK_COLUMNS)
JAW = ARKIT_INDEX["jawOpen"]
SEAL = [ARKIT_INDEX[n] for n in ("mouthClose", "mouthPressLeft", "mouthPressRight")]


def _except(*groups: list[int] | np.ndarray) -> np.ndarray:
    keep = np.ones(52, dtype=bool)
    for g in groups:
        keep[g] = False
    return keep


@pytest.fixture(scope="module")
def request_(demo_audio: Path, demo_transcript: str) -> GenerationRequest:
    track = EmotionTrack.constant("surprised and happy", parse_prompt("surprised and happy"))
    return GenerationRequest(AudioClip.load(demo_audio), track, demo_transcript, fps=30, seed=3)


@pytest.fixture(scope="module")
def analysis(request_: GenerationRequest) -> RigAnalysis:
    return RigGenerator().analyse(request_)


def _map(analysis: RigAnalysis, request: GenerationRequest, **controls: float) -> Take:
    req = GenerationRequest(
        request.audio,
        request.emotion,
        request.transcript,
        request.intensity,
        request.fps,
        request.seed,
        AnimationControls(**controls),
    )
    return RigGenerator().map(analysis, req)


@pytest.fixture(scope="module")
def base(analysis: RigAnalysis, request_: GenerationRequest) -> Take:
    return _map(analysis, request_)


@pytest.fixture(scope="module")
def no_emotion(analysis: RigAnalysis, request_: GenerationRequest) -> Take:
    req = GenerationRequest(
        request_.audio, request_.emotion, request_.transcript, 0.0, request_.fps, request_.seed
    )
    return RigGenerator().map(analysis, req)


def _same(a: Take, b: Take, cols: np.ndarray | None = None) -> bool:
    w_a, w_b = a.curves.weights, b.curves.weights
    if cols is not None:
        w_a, w_b = w_a[:, cols], w_b[:, cols]
    return bool(np.array_equal(w_a, w_b))


def _sealed(row: np.ndarray) -> bool:
    """The lips touch: mouthClose seals against the jaw (or is fully on) and they press."""
    close = row[SEAL[0]]
    return bool(close >= min(row[JAW], CLOSURE_FULL) - 1e-6 and close > 0.04)


def _bilabial_frames(take: Take) -> list[int]:
    fps = take.curves.fps
    return [
        round(0.5 * (p.start + p.end) * fps)
        for p in take.visemes.phonemes
        if p.phone in ("P", "B", "M")
    ]


# ---------------------------------------------------------------- the value type


@pytest.mark.parametrize("name", AnimationControls.names())
@pytest.mark.parametrize("bad", ["below", "above", math.nan, math.inf, "x", None, True])
def test_bad_values_raise_prompt_error(name: str, bad: object) -> None:
    lo, hi = control_range(name)
    value = {"below": lo - 0.01, "above": hi + 0.01}.get(bad, bad)  # type: ignore[call-overload]
    with pytest.raises(PromptError, match=f"^{name} must be a number between {lo:g} and {hi:g}"):
        AnimationControls(**{name: value})  # type: ignore[arg-type]


def test_controls_are_frozen_floats_with_a_dict_round_trip() -> None:
    c = AnimationControls(upper_face=0, head_motion=2)
    assert c.upper_face == 0.0 and isinstance(c.upper_face, float)
    assert CONTROL_RANGE == (0.0, 2.0)
    with pytest.raises(AttributeError):
        c.upper_face = 1.0  # type: ignore[misc]
    assert AnimationControls.from_dict(c.as_dict()) == c
    assert c.replace(upper_face=1, head_motion=1).is_default
    with pytest.raises(PromptError, match="unknown animation control"):
        AnimationControls.from_dict({"eyebrows": 1.0})


# ---------------------------------------------------------------- on the rig


def test_defaults_reproduce_the_take_without_controls(
    analysis: RigAnalysis, request_: GenerationRequest, base: Take
) -> None:
    assert request_.controls == AnimationControls()
    plain = RigGenerator().map(analysis, request_)
    explicit = _map(
        analysis, request_, **{n: control_default(n) for n in AnimationControls.names()}
    )
    for take in (plain, explicit):
        assert _same(take, base)
        assert np.array_equal(take.curves.head_rotation, base.curves.head_rotation)
        assert np.array_equal(take.curves.eye_rotation, base.curves.eye_rotation)


def test_controls_are_recorded_in_provenance_and_deterministic(
    analysis: RigAnalysis, request_: GenerationRequest
) -> None:
    a = _map(analysis, request_, blink_rate=2.0, gaze_activity=0.3, lip_articulation=1.4)
    b = _map(analysis, request_, blink_rate=2.0, gaze_activity=0.3, lip_articulation=1.4)
    assert a.provenance.settings["controls"] == {
        **AnimationControls().as_dict(),
        "blink_rate": 2.0,
        "gaze_activity": 0.3,
        "lip_articulation": 1.4,
    }
    assert _same(a, b)
    assert np.array_equal(a.curves.eye_rotation, b.curves.eye_rotation)


def test_upper_face_zero_removes_the_emotion_above_the_mouth(
    analysis: RigAnalysis, request_: GenerationRequest, base: Take, no_emotion: Take
) -> None:
    assert base.curves.weights[:, BROWS].max() > 0.2  # the prompt does raise the brows
    take = _map(analysis, request_, upper_face=0.0)
    assert take.curves.weights[:, BROWS].max() == 0.0
    assert _same(take, no_emotion, UPPER)  # blinks and gaze as without emotion
    assert _same(take, base, LOWER)  # the mouth keeps its emotion
    assert np.array_equal(take.curves.head_rotation, base.curves.head_rotation)
    doubled = _map(analysis, request_, upper_face=2.0)
    assert doubled.curves.weights[:, BROWS].mean() > base.curves.weights[:, BROWS].mean()
    assert _same(doubled, base, LOWER)


def test_lower_face_zero_removes_the_emotion_from_the_mouth_only(
    analysis: RigAnalysis, request_: GenerationRequest, base: Take, no_emotion: Take
) -> None:
    smile = ARKIT_INDEX["mouthSmileLeft"]
    assert base.curves.weights[:, smile].mean() > no_emotion.curves.weights[:, smile].mean()
    take = _map(analysis, request_, lower_face=0.0)
    assert _same(take, no_emotion, LOWER)
    assert _same(take, base, UPPER)
    assert np.array_equal(take.curves.eye_rotation, base.curves.eye_rotation)


def test_lip_articulation_scales_the_mouth_but_bilabials_still_close(
    analysis: RigAnalysis, request_: GenerationRequest, base: Take
) -> None:
    frames = _bilabial_frames(base)
    assert len(frames) >= 3  # "... make some faces ..." has m, b, m
    small = _map(analysis, request_, lip_articulation=0.5)
    w0, w = base.curves.weights, small.curves.weights
    assert w[:, JAW].max() < 0.65 * w0[:, JAW].max()
    for f in frames:
        assert _sealed(w[f]), f
        assert w[f, JAW] <= w0[f, JAW] + 1e-6
    assert _same(small, base, UPPER)
    assert np.array_equal(small.curves.head_rotation, base.curves.head_rotation)
    assert np.array_equal(small.curves.eye_rotation, base.curves.eye_rotation)

    big = _map(analysis, request_, lip_articulation=2.0)
    assert big.curves.weights[:, JAW].max() > w0[:, JAW].max()
    assert big.curves.weights.max() <= 1.0
    assert _same(big, base, UPPER)

    still = _map(analysis, request_, lip_articulation=0.0).curves.weights
    assert still[:, JAW].max() < 0.5 * w0[:, JAW].max()
    for f in frames:
        assert _sealed(still[f]), f


def test_blink_rate_zero_removes_blinks_and_nothing_else(
    analysis: RigAnalysis, request_: GenerationRequest, base: Take, no_emotion: Take
) -> None:
    assert base.provenance.settings["blinks"] > 0
    take = _map(analysis, request_, blink_rate=0.0)
    assert take.provenance.settings["blinks"] == 0
    assert take.curves.weights[:, BLINK_COLS[:2]].max() < 0.5
    assert _same(take, base, _except(BLINK_COLS, LOOK))
    assert np.array_equal(take.curves.head_rotation, base.curves.head_rotation)
    more = _map(analysis, request_, blink_rate=2.0)
    assert more.provenance.settings["blinks"] >= base.provenance.settings["blinks"]
    assert _same(more, base, _except(BLINK_COLS, LOOK))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_blink_rate_multiplies_the_frequency(seed: int) -> None:
    pauses = [(s, s + 0.4) for s in np.arange(2.0, 1200.0, 4.3)]

    def count(rate: float) -> int:
        return len(plan_blinks(1200.0, seed=seed, pauses=pauses, rate=rate))

    one = count(1.0)
    assert 250 < one < 450
    assert count(2.0) / one == pytest.approx(2.0, rel=0.12)
    assert count(0.5) / one == pytest.approx(0.5, rel=0.12)
    assert count(0.0) == 0
    assert plan_blinks(1200.0, seed=seed, pauses=pauses) == plan_blinks(
        1200.0, seed=seed, pauses=pauses, rate=1.0
    )


def test_head_motion_scales_the_head_and_zero_keeps_it_still(
    analysis: RigAnalysis, request_: GenerationRequest, base: Take
) -> None:
    still = _map(analysis, request_, head_motion=0.0)
    assert not np.any(still.curves.head_rotation)
    assert _same(still, base, _except(LOOK))  # only the eyes' counter-rotation changes
    half = _map(analysis, request_, head_motion=0.5)
    np.testing.assert_allclose(
        half.curves.head_rotation, 0.5 * base.curves.head_rotation, atol=1e-5
    )


def test_gaze_activity_zero_steadies_the_gaze(
    analysis: RigAnalysis, request_: GenerationRequest, base: Take
) -> None:
    take = _map(analysis, request_, gaze_activity=0.0)
    assert _same(take, base, _except(LOOK))
    assert np.array_equal(take.curves.head_rotation, base.curves.head_rotation)
    head = take.curves.head_rotation.astype(np.float64)
    # No saccades: what is left of the eye motion is the counter-rotation of the head.
    for eye_col, head_col in ((0, 0), (1, 1), (2, 0), (3, 1)):
        world = take.curves.eye_rotation[:, eye_col] + VOR_GAIN * head[:, head_col]
        assert np.ptp(world) < 0.5
    still = _map(analysis, request_, gaze_activity=0.0, head_motion=0.0)
    assert np.ptp(still.curves.eye_rotation, axis=0).max() < 0.5


def test_gaze_activity_scales_saccade_amplitude_and_frequency() -> None:
    times = np.arange(600 * 30) / 30.0

    def saccades(activity: float) -> tuple[int, float]:
        yaw = gaze_motion(times, seed=5, activity=activity)[:, 0].astype(np.float64)
        jumps = np.abs(np.diff(yaw)) > 1e-3
        starts = int(np.count_nonzero(jumps[1:] & ~jumps[:-1]) + jumps[0])
        return starts, float(np.abs(yaw).max())

    n1, a1 = saccades(1.0)
    n2, a2 = saccades(2.0)
    n_half, a_half = saccades(0.5)
    assert n2 / n1 == pytest.approx(2.0, rel=0.2)
    assert n_half / n1 == pytest.approx(0.5, rel=0.2)
    assert a_half < 0.6 * a1 and a2 > 1.5 * a1
    assert not np.any(gaze_motion(times, seed=5, activity=0.0))


def test_lip_timing_controls_move_only_the_mouth_in_time(
    analysis: RigAnalysis, request_: GenerationRequest, base: Take
) -> None:
    earlier = _map(analysis, request_, lip_offset=-0.1)
    jaw_base, jaw_early = base.curves.weights[:, JAW], earlier.curves.weights[:, JAW]
    # Frame i of the shifted take shows (about) what frame i + 3 showed: 0.1 s at 30 fps. The
    # emotion layered on top does not move, so compare where the mouth is busy.
    busy = jaw_base[3:] > 0.1
    assert np.corrcoef(jaw_early[:-3][busy], jaw_base[3:][busy])[0, 1] > 0.95
    assert np.corrcoef(jaw_early[3:][busy], jaw_base[:-3][busy])[0, 1] < 0.9
    upper = _except(LOWER, BLINK_COLS, LOOK)
    assert np.array_equal(earlier.curves.weights[:, upper], base.curves.weights[:, upper])
    late = _map(analysis, request_, lip_anticipation=0.0)
    eager = _map(analysis, request_, lip_anticipation=2.0)
    assert not np.array_equal(late.curves.weights[:, JAW], eager.curves.weights[:, JAW])
    assert late.provenance.settings["controls"]["lip_anticipation"] == 0.0
