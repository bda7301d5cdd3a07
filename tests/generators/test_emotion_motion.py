"""The emotion drives blinks, gaze, head motion and articulation; neutral changes nothing."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from generators.emotion.base_emotions import BASE_EMOTIONS, BASE_INDEX
from generators.rig.blinks import MIN_INTERVAL_S, plan_blinks
from generators.rig.coarticulation import LipCurves, coarticulate
from generators.rig.emotion_motion import (
    FACTOR_BOUNDS,
    MotionStyle,
    articulation_gain,
    motion_style,
)
from generators.rig.gaze import gaze_motion
from generators.rig.head_motion import head_motion
from generators.rig.live_controls import scale_articulation
from generators.take import PhonemeSegment
from renderers.arkit import ARKIT_INDEX

T = np.arange(0, 60, 1 / 30)
SEAL = [ARKIT_INDEX[n] for n in ("mouthClose", "mouthPressLeft", "mouthPressRight")]
JAW = ARKIT_INDEX["jawOpen"]

# Typical full-strength states (VAD as the prompt parser gives them, families x intensity).
STATES: dict[str, tuple[tuple[float, float, float], dict[str, float]]] = {
    "neutral": ((0.0, 0.0, 0.0), {"neutral": 1.0}),
    "joy": ((0.7, 0.45, 0.4), {"happiness": 0.8}),
    "sadness": ((-0.55, -0.3, -0.3), {"sadness": 0.8}),
    "anger": ((-0.6, 0.7, 0.55), {"anger": 0.8}),
    "fear": ((-0.6, 0.65, -0.55), {"fear": 0.8}),
}


def _style(name: str, n: int = T.size) -> MotionStyle:
    vad, fam = STATES[name]
    return _style_of(vad, fam, n)


def _style_of(vad: tuple[float, float, float], fam: dict[str, float], n: int) -> MotionStyle:
    families = np.zeros((n, len(BASE_EMOTIONS)))
    for key, w in fam.items():
        families[:, BASE_INDEX[key]] = w
    return motion_style(np.tile(vad, (n, 1)), families)


def _lip() -> LipCurves:
    spec = "SIL M AA P AA B IY M AH SIL W EH M OW P SIL"
    phones, t = [], 0.0
    for i, p in enumerate(spec.split()):
        d = 0.3 if p == "SIL" else 0.09 + 0.02 * (i % 3)
        phones.append(PhonemeSegment(p, t, t + d))
        t += d
    return coarticulate(phones, np.arange(0, t, 1 / 60))


def _saccades(eyes: np.ndarray) -> tuple[int, float, float]:
    """Saccade count, mean hold between saccades (s) and 95th percentile of |yaw|."""
    yaw, pitch = eyes[:, 0].astype(np.float64), eyes[:, 1].astype(np.float64)
    moving = (np.abs(np.diff(yaw)) + np.abs(np.diff(pitch))) > 1e-3
    starts = np.flatnonzero(moving[1:] & ~moving[:-1]) + 1
    hold = float(np.diff(starts).mean() / 30.0) if starts.size > 1 else np.inf
    return int(starts.size), hold, float(np.percentile(np.abs(yaw), 95))


# ------------------------------------------------------------------ neutral: nothing changes


def test_neutral_state_gives_unit_factors_and_zero_offsets() -> None:
    style = _style("neutral", 50)
    assert style.is_neutral and len(style) == 50
    for name in FACTOR_BOUNDS:
        values = getattr(style, name)
        assert values.shape == (50,)
        assert np.all(values == (0.0 if name.endswith("_deg") else 1.0)), name
    assert MotionStyle.neutral(50).is_neutral
    assert not _style("joy", 50).is_neutral


def test_neutral_style_reproduces_the_unstyled_curves() -> None:
    style = _style("neutral")
    pauses = [(s, s + 0.5) for s in np.arange(1.0, 60.0, 3.7)]
    for seed in range(5):
        assert plan_blinks(60.0, seed=seed, pauses=pauses) == plan_blinks(
            60.0, seed=seed, pauses=pauses, rate_curve=(T, style.blink_rate_factor)
        )
        head = head_motion(T, seed=seed, activity=np.ones(T.size), emphasis=[(3.0, 0.8)])
        styled = head_motion(
            T, seed=seed, activity=np.ones(T.size), emphasis=[(3.0, 0.8)], style=style
        )
        assert np.array_equal(head, styled)
        for activity in (1.0, 0.5):
            plain = gaze_motion(T, seed=seed, head_rotation=head, activity=activity)
            assert np.array_equal(
                plain, gaze_motion(T, seed=seed, head_rotation=head, activity=activity, style=style)
            )
    lip = _lip()
    neutral = MotionStyle.neutral(lip.times.size)
    assert scale_articulation(lip, articulation_gain(neutral)) is lip.weights
    assert np.array_equal(
        scale_articulation(lip, articulation_gain(neutral, 0.5)), scale_articulation(lip, 0.5)
    )


# ------------------------------------------------------------------ blinks


def test_aroused_speakers_blink_more() -> None:
    def per_minute(arousal: float) -> float:
        style = _style_of((0.0, arousal, 0.0), {}, T.size)
        counts = [
            len(plan_blinks(60.0, seed=s, rate_curve=(T, style.blink_rate_factor)))
            for s in range(40)
        ]
        return float(np.mean(counts))

    calm, neutral, aroused = per_minute(-0.7), per_minute(0.0), per_minute(0.8)
    assert calm < neutral < aroused
    assert aroused > 1.3 * calm
    assert 14 <= neutral <= 24  # Bentivoglio et al. 1997: ~17/min at rest, ~26 in conversation
    fear = np.mean(
        [
            len(plan_blinks(60.0, seed=s, rate_curve=(T, _style("fear").blink_rate_factor)))
            for s in range(40)
        ]
    )
    assert fear > aroused * 0.95 and fear <= 45


def test_blink_intervals_are_log_normal_above_the_refractory_minimum() -> None:
    gaps = []
    for seed in range(20):
        starts = np.array([b.start for b in plan_blinks(600.0, seed=seed)])
        d = np.diff(starts)
        gaps.append(d[d > 0.5])  # double blinks come in quick pairs
    g = np.concatenate(gaps)
    assert g.size > 3000 and g.min() >= MIN_INTERVAL_S
    assert 2.7 <= np.median(g) <= 3.5  # median ~3 s in conversation
    assert stats.skew(g) > 1.0  # the intervals themselves are strongly right-skewed...
    excess = np.log(g - MIN_INTERVAL_S)  # ...their excess over the minimum is log-normal
    assert abs(stats.skew(excess)) < 0.15
    assert abs(stats.kurtosis(excess)) < 0.3
    assert np.std(excess) == pytest.approx(0.6, abs=0.05)


def test_the_blink_rate_follows_the_curve_in_time() -> None:
    factor = np.where(T < 30.0, 2.0, 0.5)
    first = second = 0
    for seed in range(20):
        starts = np.array([b.start for b in plan_blinks(60.0, seed=seed, rate_curve=(T, factor))])
        first += int(np.count_nonzero(starts < 30.0))
        second += int(np.count_nonzero(starts >= 30.0))
    assert first > 2.5 * second


# ------------------------------------------------------------------ gaze


def test_fear_darts_more_often_wider_and_with_shorter_holds() -> None:
    neutral = [_saccades(gaze_motion(T, seed=s)) for s in range(10)]
    fear = [_saccades(gaze_motion(T, seed=s, style=_style("fear"))) for s in range(10)]
    n_count, n_hold, n_amp = np.mean(neutral, axis=0)
    f_count, f_hold, f_amp = np.mean(fear, axis=0)
    assert f_count > 1.6 * n_count
    assert f_hold < 0.65 * n_hold
    assert f_amp > 1.2 * n_amp


def test_anger_holds_the_listener_longer_than_neutral() -> None:
    neutral = [_saccades(gaze_motion(T, seed=s)) for s in range(10)]
    anger = [_saccades(gaze_motion(T, seed=s, style=_style("anger"))) for s in range(10)]
    assert np.mean([h for _, h, _ in anger]) > 1.2 * np.mean([h for _, h, _ in neutral])


def test_sadness_looks_down_and_droops_the_head() -> None:
    sad = _style("sadness")
    neutral_pitch = np.mean([gaze_motion(T, seed=s)[:, 1].mean() for s in range(10)])
    sad_pitch = np.mean([gaze_motion(T, seed=s, style=sad)[:, 1].mean() for s in range(10)])
    assert sad_pitch > neutral_pitch + 5.0  # positive pitch looks down
    head = head_motion(T, seed=1, style=sad)
    assert head[:, 1].mean() > 4.0  # positive pitch: chin down
    # Even with the eyes counter-rotating the drooped head, the gaze stays down.
    eyes = gaze_motion(T, seed=1, head_rotation=head, style=sad)
    assert eyes[:, 1].mean() > neutral_pitch + 2.0
    assert np.abs(head).max() < 12.0


def test_joy_lifts_the_chin_and_anger_pushes_it_down_with_less_sway() -> None:
    speaking = np.ones(T.size)
    joy = [head_motion(T, seed=s, activity=speaking, style=_style("joy")) for s in range(8)]
    anger = [head_motion(T, seed=s, activity=speaking, style=_style("anger")) for s in range(8)]
    neutral = [head_motion(T, seed=s, activity=speaking) for s in range(8)]
    assert np.mean([h[:, 1].mean() for h in joy]) < -2.0  # chin up
    assert np.mean([h[:, 1].mean() for h in anger]) > 1.5  # chin down, head forward
    var_joy = np.mean([h[:, 0].var() for h in joy])
    var_anger = np.mean([h[:, 0].var() for h in anger])
    var_neutral = np.mean([h[:, 0].var() for h in neutral])
    assert var_anger < 0.7 * var_joy
    assert var_joy > var_neutral
    sad = [head_motion(T, seed=s, activity=speaking, style=_style("sadness")) for s in range(8)]
    assert np.mean([h[:, 0].var() for h in sad]) < 0.6 * var_neutral


def test_nods_scale_with_the_emotion() -> None:
    base = head_motion(T, seed=2)
    for name, lo, hi in (("sadness", 0.3, 0.85), ("anger", 1.15, 2.0)):
        style = _style(name)
        plain = head_motion(T, seed=2, style=style)
        nodded = head_motion(T, seed=2, emphasis=[(10.0, 1.0)], style=style)
        ratio = (nodded[:, 1] - plain[:, 1]).max() / (
            head_motion(T, seed=2, emphasis=[(10.0, 1.0)])[:, 1] - base[:, 1]
        ).max()
        assert lo < ratio < hi, name


def test_the_head_control_scales_the_emotion_offset_too() -> None:
    style = _style("sadness")
    assert not np.any(head_motion(T, seed=3, style=style, amplitude=0.0))
    np.testing.assert_allclose(
        head_motion(T, seed=3, style=style, amplitude=0.5),
        0.5 * head_motion(T, seed=3, style=style),
        atol=1e-5,
    )


# ------------------------------------------------------------------ articulation


def test_articulation_gain_orders_anger_and_joy_above_neutral_above_sadness() -> None:
    gain = {name: float(articulation_gain(_style(name, 4))[0]) for name in STATES}
    assert gain["neutral"] == 1.0
    assert gain["anger"] > gain["neutral"] and gain["joy"] > gain["neutral"]
    assert gain["neutral"] > gain["sadness"]
    assert gain["sadness"] >= 0.75 and gain["anger"] <= 1.3
    extreme = _style_of((1.0, 1.0, 1.0), {"anger": 1.0, "happiness": 1.0, "fear": 1.0}, 2)
    low = _style_of((-1.0, -1.0, -1.0), {"sadness": 1.0}, 2)
    assert float(articulation_gain(extreme)[0]) < 1.3
    assert float(articulation_gain(low)[0]) > 0.75
    assert np.allclose(articulation_gain(_style("joy", 3), 0.5), 0.5 * gain["joy"])


def test_per_frame_articulation_keeps_closures_closed() -> None:
    lip = _lip()
    assert lip.seal is not None and lip.seal.max() > 0.9
    n = lip.times.size
    gain = np.where(np.arange(n) < n // 2, 0.3, 1.25)
    out = scale_articulation(lip, gain)
    sealed = np.flatnonzero(lip.seal > 0.99)
    small = sealed[sealed < n // 2]
    assert small.size >= 2
    for f in small:  # the bilabials in the quiet half still close fully
        assert np.all(out[f, SEAL] >= lip.weights[f, SEAL] - 1e-6), f
        assert out[f, JAW] <= lip.weights[f, JAW] + 1e-6
    half = slice(0, n // 2)
    assert out[half, JAW].max() < 0.6 * lip.weights[half, JAW].max()
    # A per-frame gain equal everywhere is the scalar gain.
    for c in (0.4, 1.3):
        assert np.array_equal(scale_articulation(lip, np.full(n, c)), scale_articulation(lip, c))
    with pytest.raises(ValueError, match="frames"):
        scale_articulation(lip, np.ones(n + 1))


# ------------------------------------------------------------------ smoothness, shapes


def test_a_smooth_change_of_emotion_gives_smooth_motion() -> None:
    ramp = np.clip((T - 20.0) / 10.0, 0.0, 1.0)
    ramp = ramp * ramp * (3 - 2 * ramp)  # 0 -> 1 between 20 s and 30 s
    vad = np.outer(ramp, STATES["sadness"][0])
    families = np.zeros((T.size, len(BASE_EMOTIONS)))
    families[:, BASE_INDEX["sadness"]] = 0.8 * ramp
    families[:, BASE_INDEX["neutral"]] = 1.0 - ramp
    style = motion_style(vad, families)
    assert np.all(style.head_sway_factor[T < 20.0] == 1.0)
    for name in FACTOR_BOUNDS:
        assert np.abs(np.diff(getattr(style, name))).max() < 0.05, name
    head = head_motion(T, seed=4, activity=np.ones(T.size), style=style)
    assert np.abs(np.diff(head, axis=0)).max() < 0.5  # degrees per frame: no pops
    eyes = gaze_motion(T, seed=4, style=style)
    assert eyes[T > 31.0, 1].mean() > eyes[T < 19.0, 1].mean() + 4.0


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="vad"):
        motion_style(np.zeros((5, 2)), np.zeros((5, 8)))
    with pytest.raises(ValueError, match="families"):
        motion_style(np.zeros((5, 3)), np.zeros((4, 8)))
    with pytest.raises(ValueError, match="frames"):
        gaze_motion(T, style=MotionStyle.neutral(10))
    with pytest.raises(ValueError, match="frames"):
        head_motion(T, style=MotionStyle.neutral(10))
    with pytest.raises(ValueError, match="rate_curve"):
        plan_blinks(10.0, rate_curve=(np.arange(3.0), np.ones(4)))
