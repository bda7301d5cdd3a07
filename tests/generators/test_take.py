"""Core take data: frame counts, curve sampling and resampling, emotion cross-fades."""

from __future__ import annotations

import numpy as np
import pytest

from generators.take import (
    ARKIT_NAMES,
    CurveSet,
    EmotionSegment,
    EmotionState,
    EmotionTrack,
    frame_count,
)


def test_arkit_names_are_apples_52_in_order():
    assert len(ARKIT_NAMES) == 52 and len(set(ARKIT_NAMES)) == 52
    assert ARKIT_NAMES[0] == "eyeBlinkLeft"
    assert ARKIT_NAMES[17] == "jawOpen"
    assert ARKIT_NAMES[-1] == "tongueOut"


@pytest.mark.parametrize(
    ("dur", "fps", "n"),
    [(5.0, 30, 150), (5.001, 30, 151), (1.0, 24, 24), (0.01, 30, 1), (0.0, 30, 0)],
)
def test_frame_count_covers_duration(dur, fps, n):
    assert frame_count(dur, fps) == n


def ramp_curves(fps=30, n=31):
    w = np.zeros((n, 52), dtype=np.float32)
    w[:, 17] = np.linspace(0, 1, n)  # jawOpen ramps 0 -> 1 over 1 s
    head = np.zeros((n, 3), dtype=np.float32)
    head[:, 0] = np.linspace(0, 10, n)
    return CurveSet(fps, w, head_rotation=head)


def test_sample_interpolates_between_frames():
    cs = ramp_curves()
    assert cs.sample(0.5)[17] == pytest.approx(0.5, abs=1e-5)
    assert cs.sample(0.5 + 1 / 60)[17] == pytest.approx(0.5 + 1 / 60, abs=1e-5)
    assert cs.sample(-1.0)[17] == 0.0 and cs.sample(99.0)[17] == pytest.approx(1.0)
    pose = cs.pose_at(0.25)
    assert pose.weight("jawOpen") == pytest.approx(0.25, abs=1e-5)
    assert pose.head_rotation[0] == pytest.approx(2.5, abs=1e-4)


def test_resample_to_other_rates():
    cs = ramp_curves()
    up = cs.resample(60)
    assert up.fps == 60 and up.num_frames == frame_count(cs.duration, 60)
    assert np.allclose(up.curve("jawOpen"), np.clip(up.times, 0, 1), atol=1e-5)
    down = cs.resample(24)
    assert down.sample(0.5)[17] == pytest.approx(0.5, abs=1e-5)
    assert down.head_rotation.shape == (down.num_frames, 3)


def test_curveset_rejects_bad_shapes():
    with pytest.raises(ValueError):
        CurveSet(0, np.zeros((3, 52)))
    with pytest.raises(ValueError):
        CurveSet(30, np.zeros((3, 51)))


def test_emotion_track_crossfades_between_segments():
    happy = EmotionState({"happiness": 1.0}, 1.0, 0.8, 0.5, 0.3)
    sad = EmotionState({"sadness": 1.0}, 1.0, -0.7, -0.4, -0.3)
    track = EmotionTrack(
        [EmotionSegment(0.0, 2.0, "happy", happy), EmotionSegment(2.0, None, "sad", sad)],
        transition=0.4,
    )
    assert track.at(1.0).valence == pytest.approx(0.8)
    assert track.at(2.0).valence == pytest.approx(0.8)  # inertial: no jump at the change
    mid = track.at(2.2)
    # affective dynamics, not a linear cross-fade (which gave 0.05 here): eases out of happy
    assert 0.05 < mid.valence < 0.8
    assert set(mid.mixture) == {"happiness", "sadness"}
    late = track.at(4.0)
    assert late.mixture["sadness"] == pytest.approx(1.0, abs=1e-4)
    assert late.valence == pytest.approx(-0.7, abs=1e-4)


def test_emotion_segment_end_fades_to_neutral():
    happy = EmotionState({"happiness": 1.0}, 1.0, 0.8, 0.5, 0.3)
    track = EmotionTrack([EmotionSegment(1.0, 2.0, "happy", happy)], transition=0.5)
    assert track.at(1.5).valence == pytest.approx(0.8)
    fading = track.at(2.3)
    assert 0.0 < fading.valence < 0.8
    assert fading.mixture["happiness"] > 0.99  # fading lowers intensity, keeps the emotion
    assert track.at(5.0).valence == pytest.approx(0.0, abs=1e-4)
    assert track.at(0.0).valence == pytest.approx(0.8)  # before the first segment: hold it
