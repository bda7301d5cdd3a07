"""Prosody track and arousal from the voice: synthetic voices, eSpeak NG, labelled real speech.

The labelled clips are NVIDIA's Audio2Face samples in ../shared/evaldata (the same speaker
reading with different emotions); eSpeak NG (installer/test.sh installs it) reads one sentence
loud, high, wide and fast, and soft, low, flat and slow.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import lfilter

from generators.audio import AudioClip
from generators.emotion.voice_arousal import (
    VoiceArousal,
    arousal_from_prosody,
    expected_f0_hz,
)
from generators.rig.prosody import ProsodyTrack, prosody_track
from generators.take import PhonemeSegment

RATE = 16000


def synthetic_voice(
    f0: float,
    range_st: float,
    syllables_per_s: float,
    tilt: float,
    amplitude: float,
    seconds: float = 5.0,
) -> np.ndarray:
    """A buzzy vowel voice: pulse train, spectral tilt, four formants, syllables, pauses.

    Parameters
    ----------
    f0
        Centre pitch, Hz.
    range_st
        Peak-to-peak pitch movement, semitones.
    syllables_per_s
        Syllable rate within phrases (1.6 s phrases, 0.4 s pauses).
    tilt
        Pole of the two source low-passes: near 1 a steep spectrum (soft voice), lower a flat one
        (effortful voice).
    amplitude
        Peak amplitude.
    seconds
        Length.
    """
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    phrase = np.mod(t, 2.0)
    in_phrase = phrase < 1.6
    contour = np.sin(np.pi * phrase / 1.6) - 0.5 + 0.5 * np.sin(2 * np.pi * 1.3 * t)
    phase = np.cumsum(f0 * 2.0 ** (range_st * contour / 24.0)) / RATE
    pulses = np.zeros(n)
    pulses[np.flatnonzero(np.diff(np.floor(phase)) > 0) + 1] = 1.0
    source = lfilter([1.0], [1.0, -tilt], lfilter([1.0], [1.0, -tilt], pulses))
    x = lfilter([1.0], [1.0, -0.96], np.diff(source, prepend=0.0))
    for fc, bw in ((700, 110), (1220, 120), (2600, 160), (3300, 250)):
        r = np.exp(-np.pi * bw / RATE)
        x = lfilter([1 - r], [1, -2 * r * np.cos(2 * np.pi * fc / RATE), r * r], x)
    syllables = 0.5 - 0.5 * np.cos(2 * np.pi * syllables_per_s * phrase)
    x = x * np.where(in_phrase, 0.15 + 0.85 * syllables, 0.0)
    noise = 1e-4 * np.random.default_rng(1).standard_normal(n)
    return (amplitude * x / np.max(np.abs(x)) + noise).astype(np.float32)


def _arousal(x: np.ndarray, rate: int = RATE) -> tuple[ProsodyTrack, VoiceArousal]:
    track = prosody_track(AudioClip.from_samples(x, rate))
    return track, arousal_from_prosody(track)


AROUSED = (150.0, 10.0, 6.5, 0.7, 0.5)  # higher, wider, faster, flatter spectrum, louder
CALM = (100.0, 2.0, 3.0, 0.95, 0.05)  # lower, flat, slow, steep spectrum, soft


def test_an_aroused_synthetic_voice_scores_above_a_calm_one() -> None:
    hot, hot_a = _arousal(synthetic_voice(*AROUSED))
    cold, cold_a = _arousal(synthetic_voice(*CALM))
    # Each cue moves the way it was made to.
    h, c = hot.summary, cold.summary
    assert h.effort_db > c.effort_db + 6
    assert h.f0_median_hz > c.f0_median_hz * 1.3
    assert h.pitch_range_st > c.pitch_range_st + 3
    assert h.rate > c.rate + 2
    assert h.attack_db_s > c.attack_db_s
    # ...and the arousal follows.
    assert hot_a.summary.arousal > 0.3 > -0.3 > cold_a.summary.arousal
    assert hot_a.summary.confidence > 0.5 and cold_a.summary.confidence > 0.5
    assert np.mean(hot_a.arousal) > np.mean(cold_a.arousal) + 0.5


def test_each_cue_alone_raises_arousal() -> None:
    base = (105.0, 5.0, 4.5, 0.9, 0.2)
    reference = _arousal(synthetic_voice(*base))[1].summary.arousal
    for i, value in [(0, 120.0), (1, 10.0), (2, 6.5), (3, 0.75)]:
        changed = list(base)
        changed[i] = value
        assert _arousal(synthetic_voice(*changed))[1].summary.arousal > reference, i


def test_the_recording_gain_does_not_change_the_arousal() -> None:
    x = synthetic_voice(*AROUSED)
    loud = _arousal(x)[1].summary.arousal
    quiet = _arousal((x * 0.05).astype(np.float32))[1].summary.arousal
    assert abs(loud - quiet) < 0.02


def test_arousal_changes_within_a_clip() -> None:
    x = np.concatenate(
        [synthetic_voice(*CALM, seconds=6.0), synthetic_voice(*AROUSED, seconds=6.0)]
    )
    result = _arousal(x)[1]
    early, _ = result.at(np.array([1.0, 2.0, 3.0, 4.0]))
    late, conf = result.at(np.array([8.0, 9.0, 10.0, 11.0]))
    assert late.min() > early.max() + 0.5
    assert conf.min() > 0.5
    assert np.all(np.abs(np.diff(result.arousal)) < 0.1)  # smooth: ~1 s, 50 ms steps


def test_curves_line_up_and_unpack() -> None:
    track, result = _arousal(synthetic_voice(*AROUSED))
    times, arousal, confidence = result
    assert times.shape == arousal.shape == confidence.shape == track.times.shape
    assert np.all(np.diff(times) > 0)
    assert np.all((arousal >= -1) & (arousal <= 1)) and np.all(
        (confidence >= 0) & (confidence <= 1)
    )
    for name in ("loudness_db", "effort_db", "pitch_level_st", "pitch_range_st", "rate"):
        values = getattr(track, name)
        assert values.shape == times.shape and np.all(np.isfinite(values)), name


def test_phones_give_the_syllable_rate() -> None:
    clip = AudioClip.from_samples(synthetic_voice(*CALM), RATE)

    def every(step: float) -> list[PhonemeSegment]:
        edges = np.arange(0.0, 5.0, step / 2)
        return [
            PhonemeSegment("AA" if i % 2 else "T", float(a), float(a + step / 2))
            for i, a in enumerate(edges)
        ]

    slow = prosody_track(clip, phonemes=every(0.4)).summary.rate
    fast = prosody_track(clip, phonemes=every(0.2)).summary.rate
    assert 2.0 < slow < 3.0  # one vowel per 0.4 s of speech
    assert fast == pytest.approx(2 * slow, rel=0.1)


def test_silence_is_neutral_with_no_confidence() -> None:
    for seconds in (0.0, 0.3, 3.0):
        track, result = _arousal(np.zeros(int(seconds * RATE), dtype=np.float32))
        assert result.summary.arousal == 0.0 and result.summary.confidence == 0.0
        assert np.all(result.arousal == 0.0) and np.all(result.confidence == 0.0)
        assert np.all(track.support == 0.0)
        for name in ("loudness_db", "effort_db", "pitch_level_st", "pitch_range_st", "rate"):
            assert np.all(np.isfinite(getattr(track, name)))


@pytest.mark.parametrize("seconds", [0.001, 0.05, 0.2, 0.6])
def test_short_clips_do_not_crash(seconds: float) -> None:
    x = synthetic_voice(*AROUSED, seconds=2.0)[int(0.2 * RATE) :][: max(1, int(seconds * RATE))]
    track, result = _arousal(x)
    assert np.all(np.isfinite(result.arousal)) and np.all(np.isfinite(track.rate))
    assert -1.0 <= result.summary.arousal <= 1.0
    assert 0.0 <= result.summary.confidence <= 0.5  # too little voice to be sure


def test_register_base() -> None:
    assert expected_f0_hz(85.0) == pytest.approx(120.0, rel=0.01)
    assert expected_f0_hz(190.0) == pytest.approx(210.0, rel=0.01)
    assert 130.0 < expected_f0_hz(125.0) < 190.0
    lows = np.linspace(60.0, 300.0, 50)
    assert np.all(np.diff([expected_f0_hz(f) for f in lows]) >= 0.0)
    assert expected_f0_hz(0.0) == pytest.approx(np.sqrt(120.0 * 210.0), rel=1e-6)


@pytest.fixture(scope="module")
def espeak(tmp_path_factory: pytest.TempPathFactory) -> dict[str, AudioClip]:
    exe = shutil.which("espeak-ng")
    if exe is None:  # installer/test.sh installs it: a missing tool is a failure
        pytest.fail("eSpeak NG is not installed (apt-get install espeak-ng)")
    out = tmp_path_factory.mktemp("espeak_arousal")
    text = "The weather was lovely on the morning we left the old harbour, and we all waited."
    voices = {
        "hot": ["-a", "180", "-p", "70", "-s", "220"],
        "cold": ["-a", "40", "-p", "20", "-s", "120"],
    }
    clips = {}
    for name, opts in voices.items():
        wav = out / f"{name}.wav"
        subprocess.run([exe, *opts, "-w", str(wav), text], check=True, capture_output=True)
        clips[name] = AudioClip.load(wav)
    return clips


def test_espeak_loud_high_fast_beats_soft_low_slow(espeak: dict[str, AudioClip]) -> None:
    hot = prosody_track(espeak["hot"])
    cold = prosody_track(espeak["cold"])
    assert hot.summary.f0_median_hz > cold.summary.f0_median_hz * 1.4
    assert hot.summary.rate > cold.summary.rate
    assert (
        arousal_from_prosody(hot).summary.arousal > arousal_from_prosody(cold).summary.arousal + 0.3
    )


@pytest.fixture(scope="module")
def a2f(evaldata: Path) -> dict[str, float]:
    folder = evaldata / "speech" / "nvidia_a2f"
    names = ["Claire_anger", "Claire_neutral", "Claire_sadness", "Mark_anger", "Mark_joy"]
    names += ["Mark_neutral", "Mark_sadness"]
    return {
        n: arousal_from_prosody(prosody_track(AudioClip.load(folder / f"{n}.wav"))).summary.arousal
        for n in names
    }


@pytest.mark.parametrize("speaker", ["Claire", "Mark"])
def test_anger_sounds_more_aroused_than_sadness(a2f: dict[str, float], speaker: str) -> None:
    assert a2f[f"{speaker}_anger"] > a2f[f"{speaker}_sadness"] + 0.1


def test_labelled_clips_order(a2f: dict[str, float]) -> None:
    assert a2f["Claire_anger"] > a2f["Claire_neutral"] > a2f["Claire_sadness"]
    assert a2f["Mark_joy"] > a2f["Mark_neutral"] > a2f["Mark_sadness"]
    assert a2f["Claire_sadness"] < 0 and a2f["Mark_sadness"] < 0
    assert a2f["Mark_joy"] > 0.3 and a2f["Claire_anger"] > 0


def test_oratory_is_aroused(evaldata: Path) -> None:
    track = prosody_track(AudioClip.load(evaldata / "speech" / "whisper" / "jfk.flac"))
    assert arousal_from_prosody(track).summary.arousal > 0.15
