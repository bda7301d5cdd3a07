"""Filled pauses: the /m/ of "um" starts where the hum starts in the sound."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.lipsync_reference import reference_clips
from generators.audio import AudioClip
from generators.rig.filled_pauses import (
    MIN_VOWEL_FRAMES,
    low_band_tilt,
    place_filled_pause_nasals,
)
from generators.rig.lipsync import FRAME_CENTRE_S, analyse_speech
from generators.take import PhonemeSegment

SR = 16000


def _voiced(seconds: float, formants: list[tuple[float, float]], seed: int) -> np.ndarray:
    """A 120 Hz voice whose harmonics are shaped by the given (centre Hz, weight) peaks."""
    t = np.arange(max(int(seconds * SR), 1)) / SR
    out = np.zeros_like(t)
    for h in range(1, 40):
        f = 120.0 * h
        gain = sum(w / (1.0 + ((f - c) / 120.0) ** 2) for c, w in formants)
        out += gain * np.sin(2 * np.pi * f * t + h)
    rng = np.random.default_rng(seed)
    return out / np.abs(out).max() * 8000 + rng.normal(0, 20, len(t))


VOWEL = [(600.0, 1.0), (1200.0, 0.5), (2500.0, 0.2)]  # a schwa: first formant near 600 Hz
HUM = [(250.0, 1.0), (2200.0, 0.02)]  # a nasal murmur: the energy below 400 Hz


def _um(vowel_s: float, hum_s: float) -> tuple[np.ndarray, list[PhonemeSegment]]:
    """Silence, "um" (vowel then hum), silence; the aligner's /m/ only in the last 100 ms."""
    pause = np.zeros(int(0.3 * SR))
    samples = np.concatenate(
        [pause, _voiced(vowel_s, VOWEL, 1), _voiced(hum_s, HUM, 2), pause]
    ).astype(np.int16)
    word_end = 0.3 + vowel_s + hum_s
    phones = [
        PhonemeSegment("SIL", 0.0, 0.3),
        PhonemeSegment("AH", 0.3, word_end - 0.1, "um"),
        PhonemeSegment("M", word_end - 0.1, word_end, "um"),
        PhonemeSegment("SIL", word_end, word_end + 0.3),
    ]
    return samples, phones


def test_tilt_tells_a_hum_from_a_vowel() -> None:
    hum, vowel = _voiced(0.3, HUM, 0), _voiced(0.3, VOWEL, 0)
    assert np.median(low_band_tilt(hum, 2, 20)) > 10
    assert np.median(low_band_tilt(vowel, 2, 20)) < 0
    assert low_band_tilt(hum, 0, 0).shape == (0,)
    past_the_end = low_band_tilt(hum, 25, 10)  # zero-padded, no error, no NaN
    assert past_the_end.shape == (10,) and np.isfinite(past_the_end).all()


def test_hum_moves_the_nasal_to_where_it_starts() -> None:
    samples, phones = _um(0.15, 0.35)
    out, moved = place_filled_pause_nasals(phones, samples)
    assert moved == 1
    vowel, nasal = out[1], out[2]
    assert vowel.end == nasal.start
    assert abs(nasal.start - 0.45) <= 0.03  # the hum starts 0.15 s into the word
    assert (vowel.start, nasal.end) == (phones[1].start, phones[2].end)  # word span kept
    assert (vowel.word, nasal.word) == ("um", "um")
    assert out[0] == phones[0] and out[3] == phones[3]


def test_no_hum_keeps_the_aligners_boundary() -> None:
    pause = np.zeros(int(0.3 * SR))
    samples = np.concatenate([pause, _voiced(0.5, VOWEL, 3), pause]).astype(np.int16)
    _, phones = _um(0.25, 0.25)
    out, moved = place_filled_pause_nasals(phones, samples)
    assert moved == 0 and out == phones


def test_only_filled_pauses_change() -> None:
    samples, phones = _um(0.15, 0.35)
    come = [PhonemeSegment(p.phone, p.start, p.end, "come" if p.word else "") for p in phones]
    out, moved = place_filled_pause_nasals(come, samples)
    assert moved == 0 and out == come


def test_the_vowel_keeps_its_shortest_length() -> None:
    samples, phones = _um(0.01, 0.49)  # all hum: the vowel keeps its minimum
    out, moved = place_filled_pause_nasals(phones, samples)
    assert moved == 1
    assert out[1].end - out[1].start == pytest.approx(MIN_VOWEL_FRAMES / 100)


def test_hummed_um_of_a_real_clip(evaldata: Path) -> None:
    """acoustic_corpus: "um" at 8.03-8.58 s, its /m/ from 8.10 s in the reference alignment
    (the aligner alone starts it at 8.40 s; the lips then close 0.3 s late)."""
    clip = next(c for c in reference_clips() if c.name == "acoustic_corpus")
    speech = analyse_speech(AudioClip.load(clip.audio), clip.transcript)
    ums = [p for p in speech.phonemes if p.word == "um" and p.phone == "M" and p.start < 9.0]
    assert len(ums) == 1
    assert abs(ums[0].start - FRAME_CENTRE_S - 8.10) <= 0.03
    assert speech.diagnostics["filled_pause_nasals_moved"] >= 1
