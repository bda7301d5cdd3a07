"""Lip sync from the sound alone (``language="other"``) and the ``language`` setting.

Synthetic voices with known syllable times check the acoustic pass itself; real German and
Mandarin clips from the shared evaluation data check that the jaw follows the syllables.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from generators.audio import AudioClip
from generators.base import GenerationRequest
from generators.errors import GeneratorError
from generators.language import LANGUAGES, check_language
from generators.progress import CancelToken, NullProgress
from generators.rig.acoustic_lipsync import ACOUSTIC, analyse_acoustics
from generators.rig.energy import energy_envelope
from generators.rig.generator import RigGenerator
from generators.rig.language_check import (
    MIN_PHONE_COVERAGE,
    EnglishConfidence,
    english_confidence,
)
from generators.rig.lipsync import PHONE_RECOGNITION
from generators.rig.phone_recognition import RecognitionResult
from generators.take import PhonemeSegment
from renderers.arkit import ARKIT_INDEX

SR = 16000
JAW = ARKIT_INDEX["jawOpen"]
VOWELS = {"AA", "AO", "EH", "IH", "UW"}


def voice(seconds: float, f0: float = 130.0) -> np.ndarray:
    """A buzzy voiced source (harmonics with a vowel-like spectral tilt)."""
    t = np.arange(int(seconds * SR)) / SR
    return sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 25))


def syllables(
    centres: list[float], seconds: float, width: float = 0.18, gains: list[float] | None = None
) -> np.ndarray:
    """A voice whose loudness rises and falls to silence around each centre."""
    n = int(seconds * SR)
    env = np.zeros(n)
    half = int(width * SR / 2)
    bump = np.hanning(2 * half)
    for i, c in enumerate(centres):
        k = int(c * SR)
        env[k - half : k + half] += bump * (gains[i] if gains else 1.0)
    return (0.25 * env * voice(seconds) / 6.0).astype(np.float32)


def clip_of(x: np.ndarray) -> AudioClip:
    return AudioClip.from_samples(np.asarray(x, dtype=np.float32), SR)


def take_of(clip: AudioClip, language: str = "other", fps: float = 30.0, transcript=None):  # noqa: ANN001, ANN201
    req = GenerationRequest(clip, language=language, fps=fps, transcript=transcript)
    return RigGenerator().generate(req, progress=NullProgress(), cancel=CancelToken())


# --------------------------------------------------------------------------- synthetic voices

CENTRES = [0.40, 0.65, 0.90, 1.15, 2.20, 2.45, 2.70]  # a pause between 1.25 and 2.1 s


@pytest.fixture(scope="module")
def train() -> AudioClip:
    rng = np.random.default_rng(1)
    x = syllables(CENTRES, 3.2) + 1e-4 * rng.standard_normal(int(3.2 * SR)).astype(np.float32)
    return clip_of(x)


def test_nuclei_are_found_near_the_true_syllable_peaks(train: AudioClip) -> None:
    result = analyse_acoustics(train)
    found = np.array([n.time for n in result.nuclei])
    assert len(found) == len(CENTRES)
    assert np.max(np.abs(found - np.array(CENTRES))) < 0.03
    assert all(n.phone in VOWELS for n in result.nuclei)
    assert 4.0 < result.syllable_rate < 12.0


def test_segments_are_contiguous_from_zero_to_the_end(train: AudioClip) -> None:
    phones = analyse_acoustics(train).phonemes
    assert phones[0].start == 0.0
    assert phones[-1].end == pytest.approx(train.duration, abs=1e-9)
    for a, b in zip(phones, phones[1:], strict=False):
        assert a.end == pytest.approx(b.start, abs=1e-9)
        assert a.end > a.start


def test_pauses_are_silence_and_close_the_mouth(train: AudioClip) -> None:
    phones = analyse_acoustics(train).phonemes
    pause = [p for p in phones if p.phone == "SIL" and p.start < 1.7 < p.end]
    assert pause and pause[0].start < 1.45 and pause[0].end > 1.95
    assert phones[0].phone == "SIL" and phones[-1].phone == "SIL"
    take = take_of(train)
    jaw = take.curves.weights[:, JAW]
    times = take.curves.times
    assert jaw[(times > 1.5) & (times < 1.9)].max() < 0.02
    assert jaw[times < 0.15].max() < 0.02
    peaks = [jaw[np.argmin(np.abs(times - c))] for c in CENTRES]
    assert min(peaks) > 0.1, "every syllable opens the mouth"


def test_the_jaw_closes_between_syllables_where_the_sound_falls(train: AudioClip) -> None:
    take = take_of(train)
    times = take.curves.times
    jaw = take.curves.weights[:, JAW]
    for a, b in zip(CENTRES[:3], CENTRES[1:4], strict=True):  # fully separated syllables
        between = jaw[(times > a) & (times < b)].min()
        at_peaks = min(jaw[np.argmin(np.abs(times - a))], jaw[np.argmin(np.abs(times - b))])
        assert between < 0.5 * at_peaks
    labels = [p.phone for p in take.visemes.phonemes]
    assert "M" in labels, "a dip down to silence between syllables closes the lips"


def test_louder_syllables_open_the_mouth_wider() -> None:
    centres = [0.4, 0.75, 1.1, 1.45, 1.8, 2.15]
    gains = [1.0, 0.25, 1.0, 0.25, 1.0, 0.25]
    clip = clip_of(syllables(centres, 2.6, gains=gains))
    result = analyse_acoustics(clip)
    assert len(result.nuclei) == len(centres)
    order = {"UW": 0, "IH": 0, "AO": 1, "EH": 1, "AA": 2}
    loud = [order[n.phone] for n, g in zip(result.nuclei, gains, strict=True) if g == 1.0]
    soft = [order[n.phone] for n, g in zip(result.nuclei, gains, strict=True) if g < 1.0]
    assert min(loud) > max(soft)
    take = take_of(clip)
    jaw = take.curves.weights[:, JAW]
    at = [jaw[np.argmin(np.abs(take.curves.times - c))] for c in centres]
    assert min(at[0::2]) > 1.5 * max(at[1::2])


def test_hissing_between_vowels_is_a_fricative() -> None:
    rng = np.random.default_rng(3)
    x = syllables([0.4, 0.9], 1.4)
    hiss = rng.standard_normal(x.size)
    spectrum = np.fft.rfft(hiss)
    spectrum[np.fft.rfftfreq(hiss.size, 1 / SR) < 4500] = 0  # a sibilant: energy above 4.5 kHz
    hiss = np.fft.irfft(spectrum, hiss.size)
    gate = np.zeros(x.size)
    gate[int(0.58 * SR) : int(0.72 * SR)] = 1.0
    x = x + (0.05 * hiss / hiss.std() * gate).astype(np.float32)
    phones = analyse_acoustics(clip_of(x)).phonemes
    at = {t: next(p.phone for p in phones if p.start <= t < p.end) for t in (0.6, 0.65, 0.7)}
    assert set(at.values()) == {"S"}, at
    assert not any(p.phone in {"S", "F"} for p in phones if p.end <= 0.5 or p.start >= 0.8)


@pytest.mark.parametrize("noise", [3e-3, 1e-2])
def test_a_noisy_room_does_not_count_as_speech(noise: float) -> None:
    rng = np.random.default_rng(2)
    hiss = noise * rng.standard_normal(int(3.2 * SR))  # white noise, loud in the fricative band
    result = analyse_acoustics(clip_of(syllables(CENTRES, 3.2) + hiss.astype(np.float32)))
    assert len(result.nuclei) == len(CENTRES)
    pause = [p for p in result.phonemes if p.start <= 1.7 < p.end]
    assert pause[0].phone == "SIL" and pause[0].start < 1.4 and pause[0].end > 2.0
    assert not any(p.phone in {"S", "F"} for p in result.phonemes)


def test_digital_silence_is_all_silence() -> None:
    clip = clip_of(np.zeros(SR, dtype=np.float32))
    result = analyse_acoustics(clip)
    assert [p.phone for p in result.phonemes] == ["SIL"]
    assert result.nuclei == [] and result.syllable_rate == 0.0


def test_compute_is_well_under_a_twentieth_of_real_time(train: AudioClip) -> None:
    long = clip_of(np.tile(train.samples, 10))  # 32 s
    analyse_acoustics(long)  # warm-up (imports, FFT plans)
    start = time.process_time()
    analyse_acoustics(long)
    assert (time.process_time() - start) / long.duration < 0.05


# --------------------------------------------------------------------------- real speech


def _level_and_jaw(path, language: str = "other"):  # noqa: ANN001, ANN202
    clip = AudioClip.load(path)
    take = take_of(clip, language)
    env = energy_envelope(clip)
    floor = float(np.percentile(env.db, 5))
    level = np.maximum(env.at(take.curves.times), floor)
    return take, level, take.curves.weights[:, JAW].astype(np.float64), floor


@pytest.mark.parametrize(
    ("rel", "min_r"),
    [
        ("speech/sadtalker/deyu.wav", 0.6),
        ("speech/sadtalker/japanese.wav", 0.55),
        ("speech/nvidia_a2f/Claire_outofbreath_mandarin.wav", 0.6),
    ],
)
def test_jaw_follows_the_loudness_of_real_non_english_speech(evaldata, rel, min_r) -> None:  # noqa: ANN001
    take, level, jaw, floor = _level_and_jaw(evaldata / rel)
    assert take.visemes.method == ACOUSTIC
    r = float(np.corrcoef(level, jaw)[0, 1])
    assert r >= min_r, f"correlation of loudness and jaw opening {r:.2f}"
    rate = take.provenance.settings["lip_sync_diagnostics"]["syllable_rate"]
    assert 2.5 <= rate <= 8.0
    speech = level > floor + 15.0
    assert jaw[speech].mean() > 0.15


def test_real_pauses_close_the_mouth(evaldata) -> None:  # noqa: ANN001
    take, level, jaw, floor = _level_and_jaw(evaldata / "speech/sadtalker/deyu.wav")
    quiet = level < floor + 6.0
    assert quiet.sum() > 30  # the clip starts and ends with more than a second of silence
    assert np.mean(jaw[quiet] < 0.1) > 0.9


# --------------------------------------------------------------------------- the setting


def test_language_values_are_checked() -> None:
    assert LANGUAGES == ("auto", "en", "other")
    assert check_language("en") == "en"
    for bad in ("de", "", None, "OTHER"):
        with pytest.raises(GeneratorError, match="use auto, en or other"):
            check_language(bad)


def test_generator_refuses_an_unknown_language(train: AudioClip) -> None:
    with pytest.raises(GeneratorError) as err:
        RigGenerator().analyse(GenerationRequest(train, language="german"))
    assert "unknown language 'german'" in str(err.value)
    assert "\n" not in str(err.value)


def test_other_ignores_a_transcript_and_says_so(evaldata) -> None:  # noqa: ANN001
    clip = AudioClip.load(evaldata / "speech/sadtalker/fayu.wav")
    take = take_of(clip, "other", transcript="this is certainly not what is said here")
    settings = take.provenance.settings
    assert settings["language"] == "other"
    assert settings["lip_sync"] == ACOUSTIC
    assert "any language" in settings["speech_engine"]
    assert settings["lip_sync_diagnostics"]["transcript_ignored"] is True
    assert settings["lip_sync_diagnostics"]["language_mode"] == "acoustic"


def test_the_analysis_belongs_to_one_language(train: AudioClip) -> None:
    gen = RigGenerator()
    analysis = gen.analyse(GenerationRequest(train, language="other"))
    assert analysis.language == "other"
    assert analysis.matches(GenerationRequest(train, language="other"))
    assert not analysis.matches(GenerationRequest(train, language="auto"))
    with pytest.raises(GeneratorError, match="transcript or language"):
        gen.map(analysis, GenerationRequest(train, language="en"))


def test_auto_keeps_english_on_english_speech(evaldata) -> None:  # noqa: ANN001
    take = take_of(AudioClip.load(evaldata / "speech/whisper/jfk.flac"), "auto")
    settings = take.provenance.settings
    diag = settings["lip_sync_diagnostics"]
    assert settings["lip_sync"] == PHONE_RECOGNITION
    assert diag["language_mode"] == "en"
    assert diag["english_coverage"] > 0.9 and -40 < diag["english_fit"] < -20


def test_auto_switches_to_the_sound_when_english_phones_cannot_follow_the_voice() -> None:
    # A hummed buzz shaped into syllables: loud and voiced, but no English phone fits it.
    t = np.arange(3 * SR) / SR
    hum = sum(0.1 / k * np.sin(2 * np.pi * 150 * k * t) for k in range(1, 20))
    x = (hum * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)) ** 2).astype(np.float32)
    clip = clip_of(x)
    take = take_of(clip, "auto")
    diag = take.provenance.settings["lip_sync_diagnostics"]
    assert take.provenance.settings["lip_sync"] == ACOUSTIC
    assert diag["language_mode"] == "acoustic"
    assert diag["english_coverage"] < MIN_PHONE_COVERAGE
    assert "labels only" in diag["language_reason"]
    assert take_of(clip, "en").provenance.settings["lip_sync"] == PHONE_RECOGNITION


def test_english_confidence_measures_coverage_and_fit() -> None:
    phones = [
        PhonemeSegment("SIL", 0.0, 0.5),
        PhonemeSegment("AA", 0.5, 0.8),
        PhonemeSegment("SIL", 0.8, 1.0),
    ]
    rec = RecognitionResult(phones, [(0, 50, -1000.0), (50, 30, -1500.0), (80, 20, -400.0)], 100)
    speech = np.zeros(100, dtype=bool)
    speech[40:90] = True  # the voice is active 0.4-0.9 s; the recogniser covers 0.5-0.8 s
    conf = english_confidence(rec, speech)
    assert conf.coverage == pytest.approx(30 / 50)
    assert conf.fit == pytest.approx(-50.0)
    assert not conf.low
    assert EnglishConfidence(fit=-80.0, coverage=0.9).low
    assert EnglishConfidence(fit=-40.0, coverage=0.2).low
