"""Idle head motion, nods on emphasis, gaze saccades and the matching eyeLook* shapes."""

from __future__ import annotations

import numpy as np
import pytest

from generators.audio import AudioClip
from generators.rig.energy import energy_envelope
from generators.rig.gaze import (
    EYE_LOOK_RANGE_DEG,
    eye_look_weights,
    gaze_from_eye_look,
    gaze_motion,
)
from generators.rig.head_motion import NOD_MAX_DEG, emphasis_peaks, head_motion
from generators.take import PhonemeSegment
from renderers.arkit import ARKIT_INDEX

T = np.arange(0, 60, 1 / 30)


def test_head_motion_is_subtle_smooth_and_deterministic() -> None:
    head = head_motion(T, seed=5)
    assert head.shape == (T.size, 3) and head.dtype == np.float32
    assert np.abs(head).max() < 6.0
    assert 0.3 < head[:, 0].std() < 3.0
    assert np.abs(np.diff(head, axis=0)).max() < 0.5  # degrees per frame: slow, no pops
    assert np.array_equal(head, head_motion(T, seed=5))
    assert not np.array_equal(head, head_motion(T, seed=6))


def test_head_moves_more_while_speaking() -> None:
    idle = head_motion(T, seed=2)
    talking = head_motion(T, seed=2, activity=np.ones(T.size))
    assert talking[:, 0].std() > 1.4 * idle[:, 0].std()


def test_nods_on_emphasis() -> None:
    base = head_motion(T, seed=2)
    nodded = head_motion(T, seed=2, emphasis=[(10.0, 1.0)])
    diff = nodded[:, 1] - base[:, 1]  # positive pitch: chin down
    assert diff.max() == pytest.approx(NOD_MAX_DEG, rel=0.05)
    assert abs(T[np.argmax(diff)] - 10.0) < 0.2
    assert np.abs(diff[np.abs(T - 10.0) > 0.5]).max() == 0.0


def test_emphasis_peaks_find_loud_vowels() -> None:
    rate = 16000
    t = np.arange(3 * rate) / rate
    level = np.where((t > 1.0) & (t < 1.2), 0.5, 0.1)  # one vowel much louder than the rest
    clip = AudioClip.from_samples((level * np.sin(2 * np.pi * 150 * t)).astype("f4"), rate)
    phones = [PhonemeSegment("AA", s, s + 0.2) for s in (0.2, 0.6, 1.0, 1.4, 1.8, 2.2)]
    peaks = emphasis_peaks(energy_envelope(clip), phones)
    assert len(peaks) == 1
    assert 1.0 <= peaks[0][0] <= 1.2 and peaks[0][1] > 0.5


def test_gaze_saccades_are_small_occasional_and_quick() -> None:
    eyes = gaze_motion(T, seed=4)
    assert eyes.shape == (T.size, 4)
    assert np.array_equal(eyes[:, 0], eyes[:, 2]) and np.array_equal(eyes[:, 1], eyes[:, 3])
    assert np.abs(eyes[:, 0]).max() <= 9.0 and np.abs(eyes[:, 1]).max() <= 6.0
    moves = np.abs(np.diff(eyes[:, 0])) > 0.3
    starts = np.flatnonzero(moves & ~np.roll(moves, 1))
    per_minute = starts.size
    assert 10 <= per_minute <= 90
    # A saccade is over within ~3 frames at 30 fps.
    runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], moves.astype(int), [0]]))))[::2]
    assert runs.max() <= 3


def test_eyes_counter_rotate_the_head() -> None:
    head = np.zeros((T.size, 3), np.float32)
    head[:, 0] = 5.0
    still = gaze_motion(T, seed=1)
    turned = gaze_motion(T, seed=1, head_rotation=head)
    assert np.allclose(turned[:, 0] - still[:, 0], -0.6 * 5.0, atol=1e-4)


def test_eye_look_weights_match_the_rotation() -> None:
    yaw, pitch = EYE_LOOK_RANGE_DEG
    rot = np.array([[yaw / 2, pitch / 2, yaw / 2, pitch / 2], [-yaw, -pitch, -yaw, -pitch]])
    w = eye_look_weights(rot)
    i = ARKIT_INDEX
    # Looking to the avatar's left: left eye outward, right eye inward (toward the nose); down.
    assert w[0, i["eyeLookOutLeft"]] == pytest.approx(0.5)
    assert w[0, i["eyeLookInRight"]] == pytest.approx(0.5)
    assert w[0, i["eyeLookDownLeft"]] == pytest.approx(0.5)
    assert w[0, i["eyeLookInLeft"]] == 0 and w[0, i["eyeLookUpLeft"]] == 0
    # Looking to the avatar's right and up, fully.
    assert w[1, i["eyeLookInLeft"]] == pytest.approx(1.0)
    assert w[1, i["eyeLookOutRight"]] == pytest.approx(1.0)
    assert w[1, i["eyeLookUpRight"]] == pytest.approx(1.0)
    others = [k for k in range(52) if not list(ARKIT_INDEX)[k].startswith("eyeLook")]
    assert not np.any(w[:, others])


def test_gaze_from_eye_look_inverts_eye_look_weights() -> None:
    rot = gaze_motion(T, seed=9)
    assert np.allclose(gaze_from_eye_look(eye_look_weights(rot)), rot, atol=1e-4)
