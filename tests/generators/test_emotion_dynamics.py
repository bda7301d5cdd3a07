"""Affective dynamics: the inertial, asymmetric emotion state between timeline prompts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from generators.emotion.dynamics import (
    OFFSET_RATE,
    ONSET_RATE,
    SETTLE_FRACTION,
    SETTLE_TIME_FACTOR,
    AffectPath,
    affect_trajectory,
)
from generators.emotion.speed_words import FAST_SPEED, SLOW_SPEED, prompt_speed
from generators.rig.emotion_frames import emotion_frames
from generators.rig.emotion_layer import emotion_curves
from generators.take import EmotionSegment, EmotionState, EmotionTrack

SYMMETRIC = {"onset_rate": 1.0, "offset_rate": 1.0}


def step(up: bool = True, speed: float = 1.0) -> list:
    a, b = (0.0, 1.0) if up else (1.0, 0.0)
    return [(0.0, [a], 1.0), (1.0, [b], speed)]


def test_settle_constant_solves_the_90_percent_equation() -> None:
    x = SETTLE_TIME_FACTOR
    assert (1 + x) * math.exp(-x) == pytest.approx(1 - SETTLE_FRACTION, abs=1e-15)


def test_step_is_monotone_without_overshoot_and_90_percent_at_transition() -> None:
    t = np.linspace(0.0, 4.0, 4001)
    x = affect_trajectory(step(), t, transition=0.5, **SYMMETRIC)[:, 0]
    assert x.shape == (4001,)
    assert np.all(x[t <= 1.0] == 0.0)
    assert np.all(np.diff(x) >= 0.0)  # monotone
    assert x.max() <= 1.0  # no overshoot
    at = affect_trajectory(step(), [1.5], transition=0.5, **SYMMETRIC)[0, 0]
    assert at == pytest.approx(0.9, abs=1e-12)
    assert x[-1] == pytest.approx(1.0, abs=1e-8)


def test_velocity_is_continuous_and_starts_at_zero() -> None:
    dt = 1e-4
    t = np.arange(0.9, 2.0, dt)
    x = affect_trajectory(step(), t, transition=0.5)[:, 0]
    v = np.diff(x) / dt
    assert abs(v[np.searchsorted(t, 1.0)]) < 0.05  # eases in: no velocity jump at the key
    assert np.max(np.abs(np.diff(v))) < 0.2  # no jump anywhere (max accel * dt is ~0.12)
    # a change of target mid-transition keeps the velocity continuous too
    keys = [(0.0, [0.0], 1.0), (1.0, [1.0], 1.0), (1.2, [-1.0], 1.0)]
    x = affect_trajectory(keys, t, transition=0.5)[:, 0]
    v = np.diff(x) / dt
    assert np.max(np.abs(np.diff(v))) < 0.5


def test_onset_is_faster_than_offset() -> None:
    assert ONSET_RATE > 1.0 > OFFSET_RATE
    up = affect_trajectory(step(up=True), [1.2], transition=0.5)[0, 0]
    down = 1.0 - affect_trajectory(step(up=False), [1.2], transition=0.5)[0, 0]
    assert up > down
    # 90 % points scale with the rate factors
    on = affect_trajectory(step(), [1.0 + 0.5 / ONSET_RATE], transition=0.5)[0, 0]
    off = affect_trajectory(step(False), [1.0 + 0.5 / OFFSET_RATE], transition=0.5)[0, 0]
    assert on == pytest.approx(0.9, abs=1e-12)
    assert off == pytest.approx(0.1, abs=1e-12)


def test_onset_and_offset_are_chosen_per_dimension() -> None:
    keys = [(0.0, [1.0, 0.0], 1.0), (1.0, [0.0, 1.0], 1.0)]
    x = affect_trajectory(keys, [1.2], transition=0.5)[0]
    assert x[1] > 1.0 - x[0]  # the rising dimension leads the fading one


@pytest.mark.parametrize("transition", [0.3, 0.4, 1.0])
def test_independent_of_frame_rate_and_chunking(transition: float) -> None:
    keys = [
        (0.0, [0.2, -0.3, 0.0], 1.0),
        (1.1, [0.9, 0.5, 0.4], 3.0),
        (1.3, [0.1, -0.8, 0.0], 0.4),
        (4.05, [0.0, 0.0, 0.0], 1.0),
    ]
    by_fps = {}
    for fps in (24, 30, 60):
        times = np.arange(int(6 * fps)) / fps
        by_fps[fps] = (times, affect_trajectory(keys, times, transition=transition))
    shared = np.arange(0, 6 * 6) / 6  # instants every 1/6 s lie on all three grids
    for times, x in by_fps.values():
        idx = np.searchsorted(times, shared)
        assert np.allclose(times[idx], shared, atol=0, rtol=0)
        ref = affect_trajectory(keys, shared, transition=transition)
        assert np.max(np.abs(x[idx] - ref)) < 1e-9
    times, full = by_fps[60]
    chunks = np.concatenate(
        [affect_trajectory(keys, c, transition=transition) for c in np.array_split(times, 7)]
    )
    assert np.max(np.abs(chunks - full)) < 1e-12
    reverse = affect_trajectory(keys, times[::-1], transition=transition)[::-1]
    assert np.max(np.abs(reverse - full)) < 1e-12


def test_speed_scales_the_response_time() -> None:
    base = affect_trajectory(step(), [1.3], transition=0.6, **SYMMETRIC)[0, 0]
    fast = affect_trajectory(step(speed=3.0), [1.1], transition=0.6, **SYMMETRIC)[0, 0]
    slow = affect_trajectory(step(speed=0.5), [1.6], transition=0.6, **SYMMETRIC)[0, 0]
    assert fast == pytest.approx(base, abs=1e-12)
    assert slow == pytest.approx(base, abs=1e-12)
    assert affect_trajectory(step(speed=3.0), [1.2], transition=0.6)[0, 0] > base


def test_transition_zero_is_an_instant_step() -> None:
    x = affect_trajectory(step(), [0.5, 0.999, 1.0, 1.001, 9.0], transition=0.0)[:, 0]
    assert x.tolist() == [0.0, 0.0, 1.0, 1.0, 1.0]


def test_starts_at_the_first_target_and_holds_it_before() -> None:
    keys = [(2.0, [0.7, -0.2], 1.0), (3.0, [0.0, 0.0], 1.0)]
    x = affect_trajectory(keys, [0.0, 1.0, 2.0, 3.0], transition=0.4)
    assert x[:4].tolist() == [[0.7, -0.2]] * 4


def test_three_key_track() -> None:
    keys = [(0.0, [0.0], 1.0), (1.0, [1.0], 1.0), (3.0, [0.5], 1.0)]
    t = np.arange(0, 6, 0.01)
    x = affect_trajectory(keys, t, transition=0.4)[:, 0]
    assert x[t < 1.0].max() == 0.0
    assert x[np.searchsorted(t, 2.99)] == pytest.approx(1.0, abs=1e-4)
    assert np.all(np.diff(x[(t >= 1.0) & (t < 3.0)]) >= 0)
    after = x[t >= 3.0]
    assert np.all(np.diff(after) <= 1e-12)  # settles down to 0.5 without undershoot
    assert after.min() >= 0.5 - 1e-9
    assert after[-1] == pytest.approx(0.5, abs=1e-6)


def test_unsorted_keys_are_sorted() -> None:
    keys = [(1.0, [1.0], 1.0), (0.0, [0.0], 1.0)]
    assert np.array_equal(
        affect_trajectory(keys, [0.5, 1.5], transition=0.4),
        affect_trajectory(keys[::-1], [0.5, 1.5], transition=0.4),
    )


def test_prepared_path_matches_function() -> None:
    keys = [(0.0, [0.0, 1.0], 1.0), (1.0, [1.0, 0.0], 2.0)]
    path = AffectPath(keys, transition=0.4)
    assert path.dim == 2
    t = np.linspace(0, 3, 50)
    assert np.array_equal(path(t), affect_trajectory(keys, t, transition=0.4))


@pytest.mark.parametrize(
    ("keys", "kwargs", "match"),
    [
        ([], {}, "at least one key"),
        ([(0.0, [1.0])], {}, "key 0 must be"),
        ([(0.0, [1.0], 0.0)], {}, "speed must be"),
        ([(0.0, [1.0], -1.0)], {}, "speed must be"),
        ([(0.0, [1.0], math.nan)], {}, "speed must be"),
        ([(math.inf, [1.0], 1.0)], {}, "finite"),
        ([(0.0, [math.nan], 1.0)], {}, "finite"),
        ([(0.0, [1.0], 1.0), (1.0, [1.0, 2.0], 1.0)], {}, "key 1: target has 2"),
        ([(0.0, [[1.0]], 1.0)], {}, "1-D"),
        ([(0.0, "abc", 1.0)], {}, "numbers"),
        ([(0.0, [1.0], 1.0)], {"transition": -0.1}, "transition"),
        ([(0.0, [1.0], 1.0)], {"transition": math.inf}, "transition"),
        ([(0.0, [1.0], 1.0)], {"onset_rate": 0.0}, "onset_rate"),
        ([(0.0, [1.0], 1.0)], {"times": [math.nan]}, "times"),
        ([(0.0, [1.0], 1.0)], {"times": [[0.0]]}, "times"),
    ],
)
def test_validation(keys: list, kwargs: dict, match: str) -> None:
    args = {"transition": 0.4, **kwargs}
    times = args.pop("times", [0.0])
    with pytest.raises(ValueError, match=match):
        affect_trajectory(keys, times, **args)


# --- the emotion track ------------------------------------------------------------------------

HAPPY = EmotionState(mixture={"happiness": 1.0}, intensity=1.0, valence=0.8, arousal=0.5,
                     dominance=0.3)
ANGRY = EmotionState(mixture={"anger": 0.8, "disgust": 0.2}, intensity=0.9, valence=-0.7,
                     arousal=0.8, dominance=0.6)


def five_segment_track() -> EmotionTrack:
    states = [HAPPY, ANGRY, EmotionState.neutral(), HAPPY, ANGRY]
    segs = [EmotionSegment(i * 100.0, i * 100.0 + 90.0, "", s, 1.0 + i)
            for i, s in enumerate(states)]
    return EmotionTrack(segs, transition=0.5)


def test_track_at_equals_sample() -> None:
    track = five_segment_track()
    times = np.arange(0, 500, 0.37)
    names, mix, level, vad = track.sample(times)
    assert mix.shape == (len(times), len(names)) and vad.shape == (len(times), 3)
    assert np.allclose(mix.sum(axis=1), 1.0)
    for i in range(0, len(times), 97):
        state = track.at(float(times[i]))
        one = track.sample([times[i]])
        assert state.intensity == one[2][0] and state.valence == one[3][0, 0]
        assert state.intensity == pytest.approx(level[i], abs=1e-12)
        assert state.arousal == pytest.approx(vad[i, 1], abs=1e-12)
        for name, w in state.mixture.items():
            assert w == pytest.approx(mix[i, names.index(name)], abs=1e-12)


def test_track_holds_exact_states_and_fades_by_intensity() -> None:
    track = EmotionTrack([EmotionSegment(0.0, 2.0, "", ANGRY)], transition=0.4)
    held = track.at(1.0)
    assert held.mixture == pytest.approx(ANGRY.mixture)
    assert (held.intensity, held.valence) == (ANGRY.intensity, ANGRY.valence)
    fading = track.at(2.3)
    assert 0.0 < fading.intensity < ANGRY.intensity
    assert fading.mixture["anger"] == pytest.approx(0.8, abs=0.01)  # not renamed to neutral
    gone = track.at(10.0)
    assert gone.intensity < 1e-9 and max(gone.mixture, key=gone.mixture.get) == "neutral"


def test_segment_speed_and_default() -> None:
    assert EmotionSegment(0.0, None, "", HAPPY).speed == 1.0
    slow = EmotionTrack([EmotionSegment(0, None, "", HAPPY), EmotionSegment(1, None, "", ANGRY)])
    fast = EmotionTrack(
        [EmotionSegment(0, None, "", HAPPY), EmotionSegment(1, None, "", ANGRY, speed=3.0)]
    )
    assert fast.at(1.1).valence < slow.at(1.1).valence


def test_track_with_extra_state_fields_and_regions() -> None:
    upper = EmotionState(mixture={"sadness": 1.0}, intensity=0.6, valence=-0.5)
    state = EmotionState(mixture={"happiness": 1.0}, intensity=0.8, valence=0.6,
                         regions={"upper": upper})
    track = EmotionTrack([EmotionSegment(0.0, None, "", state)])
    names, mix, _, vad = track.sample([0.0], region="upper")
    assert mix[0, names.index("sadness")] == 1.0 and vad[0, 0] == -0.5
    assert track.at(0.0).valence == 0.6


def test_empty_track_is_neutral() -> None:
    names, mix, level, vad = EmotionTrack().sample(np.arange(3))
    assert names == ("neutral",) and mix.tolist() == [[1.0]] * 3
    assert not level.any() and not vad.any()
    assert EmotionTrack().at(1.0) == EmotionState.neutral()


def test_frames_of_a_long_clip_sample_the_track_once() -> None:
    track = five_segment_track()
    times = np.arange(10 * 60 * 60) / 60.0  # 10 minutes at 60 fps
    frames = emotion_frames(track, times)
    n = len(times)
    assert frames.felt.mixture.shape[0] == frames.felt.vad.shape[0] == n
    assert frames.upper[0].shape[0] == frames.lower[1].shape[0] == n
    probe = [0, n // 3, n - 1]
    for i in probe:
        want = track.at(times[i])
        assert frames.felt.state(i).valence == pytest.approx(want.valence, abs=1e-9)


def test_emotion_curves_follow_the_dynamics() -> None:
    fps = 60
    times = np.arange(4 * fps) / fps
    jumps = {}
    for speed in (1.0, 3.0):
        track = EmotionTrack(
            [EmotionSegment(0.0, 2.0, "", HAPPY), EmotionSegment(2.0, None, "", ANGRY, speed)],
            transition=0.5,
        )
        curves = emotion_curves(track, times, 1.0).astype(np.float64)
        assert np.allclose(curves[0], curves[fps], atol=0.2)
        jumps[speed] = np.abs(np.diff(curves, axis=0)).max(axis=1)
    assert jumps[1.0].max() < 0.1  # no pops between frames at the normal speed
    assert jumps[3.0].max() > jumps[1.0].max()  # "suddenly" is visibly faster


@pytest.mark.parametrize(
    ("prompt", "speed"),
    [
        ("suddenly furious", FAST_SPEED),
        ("abruptly angry", FAST_SPEED),
        ("instantly happy", FAST_SPEED),
        ("snaps into anger", FAST_SPEED),
        ("slowly sad", SLOW_SPEED),
        ("gradually calm", SLOW_SPEED),
        ("gently turning sad", SLOW_SPEED),
        ("gently sad", 1.0),
        ("happy", 1.0),
        ("", 1.0),
    ],
)
def test_prompt_speed(prompt: str, speed: float) -> None:
    assert prompt_speed(prompt) == speed
