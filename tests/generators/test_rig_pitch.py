"""F0 tracker: synthetic tones, glides, noise, silence, hum, determinism and a real voice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from generators.audio import AudioClip
from generators.rig.energy import energy_envelope
from generators.rig.pitch import PitchTrack, track_pitch

RATE = 16000


def _harmonic(f0: np.ndarray | float, seconds: float, rate: int = RATE, n: int = 12) -> np.ndarray:
    """A tone with ``n`` harmonics falling 6 dB/octave, following an F0 (Hz) per sample."""
    t = np.arange(int(seconds * rate)) / rate
    freq = np.broadcast_to(np.asarray(f0, dtype=np.float64), t.shape)
    phase = 2 * np.pi * np.cumsum(freq) / rate
    x = np.zeros_like(t)
    for k in range(1, n + 1):
        x += np.where(k * freq < rate / 2, np.sin(k * phase) / k, 0.0)
    return (0.3 * x / np.max(np.abs(x))).astype(np.float32)


def _track(x: np.ndarray, rate: int = RATE) -> PitchTrack:
    return track_pitch(AudioClip.from_samples(x, rate))


@pytest.mark.parametrize("f0", [55.0, 85.0, 110.0, 150.0, 220.0, 310.0, 440.0, 490.0])
def test_harmonic_tones_within_one_percent(f0: float) -> None:
    track = _track(_harmonic(f0, 1.0))
    inner = slice(5, -5)  # the first and last frames only half cover the tone
    assert track.voiced[inner].all()
    np.testing.assert_allclose(track.f0[inner], f0, rtol=0.01)


@pytest.mark.parametrize("f0", [100.0, 200.0, 400.0])
def test_pure_sines_within_one_percent(f0: float) -> None:
    t = np.arange(RATE) / RATE
    track = _track((0.2 * np.sin(2 * np.pi * f0 * t)).astype(np.float32))
    assert track.voiced[5:-5].all()
    np.testing.assert_allclose(track.f0[5:-5], f0, rtol=0.01)


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000])
def test_any_sample_rate(rate: int) -> None:
    track = _track(_harmonic(180.0, 1.0, rate), rate)
    assert track.f0.size == energy_envelope(AudioClip.from_samples(np.zeros(rate), rate)).db.size
    np.testing.assert_allclose(track.f0[10:-10], 180.0, rtol=0.01)


@pytest.mark.parametrize(("lo", "hi"), [(90.0, 270.0), (400.0, 120.0)])
def test_glides_are_followed(lo: float, hi: float) -> None:
    seconds = 2.0
    t = np.arange(int(seconds * RATE)) / RATE
    f0 = lo * (hi / lo) ** (t / seconds)  # exponential glide over 1.6 octaves
    track = _track(_harmonic(f0, seconds))
    truth = np.interp(track.times, t, f0)
    inner = slice(5, -5)
    assert track.voiced[inner].mean() > 0.98
    err = np.abs(track.f0[inner] / truth[inner] - 1.0)[track.voiced[inner]]
    assert err.max() < 0.02 and np.median(err) < 0.005


def test_noise_and_silence_are_unvoiced() -> None:
    rng = np.random.default_rng(7)
    noise = (0.1 * rng.standard_normal(2 * RATE)).astype(np.float32)
    assert _track(noise).voiced.mean() < 0.02
    silence = _track(np.zeros(RATE, dtype=np.float32))
    assert not silence.voiced.any() and np.all(silence.f0 == 0.0)
    assert _track(np.zeros(0, dtype=np.float32)).f0.size == 0


def test_voicing_follows_the_tone_in_noise() -> None:
    rng = np.random.default_rng(3)
    x = 0.01 * rng.standard_normal(3 * RATE)
    x[RATE : 2 * RATE] += _harmonic(140.0, 1.0)
    track = _track(x.astype(np.float32))
    assert track.voiced[110:190].all()
    assert track.voiced[:90].mean() < 0.05 and track.voiced[210:].mean() < 0.05
    np.testing.assert_allclose(track.f0[110:190], 140.0, rtol=0.01)


def test_no_octave_jumps_on_a_voice_with_a_weak_fundamental() -> None:
    t = np.arange(2 * RATE) / RATE
    f0 = 120.0 * 2 ** (np.sin(2 * np.pi * 0.5 * t) * 4 / 12)  # +-4 semitones
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    # Second harmonic twice as strong as the first: the classic trap for "too high" errors.
    x = 0.3 * np.sin(phase) + 0.6 * np.sin(2 * phase) + 0.3 * np.sin(3 * phase)
    track = _track((0.3 * x / np.abs(x).max()).astype(np.float32))
    truth = np.interp(track.times, t, f0)
    ok = track.voiced[5:-5]
    assert ok.mean() > 0.98
    ratio = track.f0[5:-5][ok] / truth[5:-5][ok]
    assert np.all(np.abs(ratio - 1.0) < 0.02)


def test_mains_hum_is_not_a_voice() -> None:
    hum = _harmonic(60.0, 1.0, n=5) * 0.2
    assert not _track(hum).voiced.any()


def test_deterministic() -> None:
    rng = np.random.default_rng(0)
    x = _harmonic(130.0, 1.5) + (0.02 * rng.standard_normal(int(1.5 * RATE))).astype(np.float32)
    a, b = _track(x), _track(x.copy())
    np.testing.assert_array_equal(a.f0, b.f0)
    np.testing.assert_array_equal(a.voiced, b.voiced)


def test_real_voice_register_and_continuity(evaldata: Path) -> None:
    """JFK (a raised male voice, median about 240 Hz) and a low male voice."""
    jfk = track_pitch(AudioClip.load(evaldata / "speech" / "whisper" / "jfk.flac"))
    assert 0.3 < jfk.voiced.mean() < 0.6
    assert 220 < np.median(jfk.f0[jfk.voiced]) < 260
    # Hum in the pauses of that old recording is not voice: no F0 near 60 Hz.
    assert np.percentile(jfk.f0[jfk.voiced], 2) > 120
    # Within voiced runs, frame-to-frame jumps of more than 5 semitones are rare.
    both = jfk.voiced[1:] & jfk.voiced[:-1]
    jumps = np.abs(np.diff(12 * np.log2(np.maximum(jfk.f0, 1.0))))[both]
    assert np.mean(jumps > 5) < 0.01
    mark = track_pitch(AudioClip.load(evaldata / "speech" / "nvidia_a2f" / "Mark_neutral.wav"))
    assert 110 < np.median(mark.f0[mark.voiced]) < 160
