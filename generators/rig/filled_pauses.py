"""The hum of a filled pause ("um"), found in the sound.

A hesitation "um" is mostly hum: a short, neutral vowel and then the lips close on a nasal
murmur that may last half a second. The bundled acoustic model was trained on read speech, which
has no such hums, and its scores favour the vowel over /m/ through most of them: the aligner
gives the vowel the whole hum and the lips close hundreds of milliseconds late, at the end of
the word. The murmur is easy to see in the sound, though: with the lips shut and the sound
leaving through the nose, the energy lies below 400 Hz and the band of the vowel's first
formant (400-1000 Hz) falls silent, so the level of 80-400 Hz stands well above that of
400-1000 Hz, where the vowel before it keeps both bands about level.

:func:`place_filled_pause_nasals` moves the vowel-nasal boundary of every aligned filled pause
(:data:`FILLED_PAUSES`) to the start of the first sustained murmur
(:data:`NASAL_RUN_FRAMES` analysis frames of :data:`NASAL_TILT_DB` or more) after the shortest
vowel (:data:`MIN_VOWEL_FRAMES`). Where no such murmur shows, the aligner's boundary stays:
a voice whose murmur is less marked keeps the aligner's timing.

On the real evaluation clips with their Montreal Forced Aligner references
(``bench/bench_lipsync.py``), two of five "um"s moved, from 300 and 260 ms after the reference's
start of /m/ to within 10 ms of it; the other three kept their boundary.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from generators.rig.prosody import VOWEL_PHONES
from generators.rig.sphinx import FRAME_RATE, SAMPLE_RATE
from generators.take import PhonemeSegment

__all__ = [
    "FILLED_PAUSES",
    "MIN_VOWEL_FRAMES",
    "NASAL_RUN_FRAMES",
    "NASAL_TILT_DB",
    "low_band_tilt",
    "place_filled_pause_nasals",
]

FILLED_PAUSES: frozenset[str] = frozenset({"um", "umm", "ummm", "uhm", "uhmm", "erm", "ermm"})
"""Hesitation words that end in a hummed /m/ (a transcript's words, lower case)."""

NASAL_TILT_DB: float = 6.0
"""A frame sounds like a nasal murmur when its 80-400 Hz level is at least this many dB over
its 400-1000 Hz level (a vowel's first formant keeps the two bands within a few dB)."""

NASAL_RUN_FRAMES: int = 5
"""Consecutive murmur frames (10 ms) that make a hum rather than a passing dip of the vowel."""

MIN_VOWEL_FRAMES: int = 4
"""The vowel of a filled pause keeps at least this many 10 ms frames."""

_WINDOW = 400  # 25 ms at 16 kHz, as the decoder's analysis window
_HOP = SAMPLE_RATE // int(FRAME_RATE)
_FFT = 512
_LOW_HZ, _SPLIT_HZ, _HIGH_HZ = 80.0, 400.0, 1000.0


def low_band_tilt(samples: np.ndarray, first: int, count: int) -> np.ndarray:
    """Level of 80-400 Hz over 400-1000 Hz, in dB, of decoder frames ``first .. first+count``.

    Parameters
    ----------
    samples
        16 kHz mono samples (any scale).
    first, count
        Frames (10 ms hops; frame ``k`` is the 25 ms window that starts at ``k / 100`` s, as
        the decoder frames the sound). Windows past the end are zero-padded.

    Returns
    -------
    numpy.ndarray
        ``(count,)`` float64 dB.

    Examples
    --------
    >>> t = np.arange(16000) / 16000
    >>> hum, vowel = np.sin(2 * np.pi * 200 * t), np.sin(2 * np.pi * 600 * t)
    >>> bool(low_band_tilt(hum, 10, 1)[0] > 20), bool(low_band_tilt(vowel, 10, 1)[0] < -20)
    (True, True)
    """
    if count <= 0:
        return np.zeros(0)
    start = first * _HOP
    span = np.zeros((count - 1) * _HOP + _WINDOW)
    piece = np.asarray(samples[start : start + len(span)], dtype=np.float64)
    span[: len(piece)] = piece
    frames = np.lib.stride_tricks.sliding_window_view(span, _WINDOW)[::_HOP][:count]
    power = np.abs(np.fft.rfft(frames * np.hanning(_WINDOW), _FFT, axis=1)) ** 2
    freq = np.fft.rfftfreq(_FFT, 1.0 / SAMPLE_RATE)
    low = power[:, (freq >= _LOW_HZ) & (freq < _SPLIT_HZ)].sum(axis=1)
    mid = power[:, (freq >= _SPLIT_HZ) & (freq < _HIGH_HZ)].sum(axis=1)
    tiny = 1e-6 * max(float(power.max()), 1e-12)  # no dB of silence against silence
    return 10.0 * np.log10((low + tiny) / (mid + tiny))


def _murmur_start(tilt: np.ndarray) -> int | None:
    """First frame of the first :data:`NASAL_RUN_FRAMES` murmur frames after the shortest
    vowel, within the frames of a filled pause's vowel and nasal."""
    murmur = tilt >= NASAL_TILT_DB
    for k in range(MIN_VOWEL_FRAMES, len(tilt) - NASAL_RUN_FRAMES + 1):
        if murmur[k : k + NASAL_RUN_FRAMES].all():
            return k
    return None


def place_filled_pause_nasals(
    phones: Sequence[PhonemeSegment], samples: np.ndarray
) -> tuple[list[PhonemeSegment], int]:
    """Start the /m/ of every filled pause where its hum starts in the sound.

    Parameters
    ----------
    phones
        Aligned phones, each with its word (decoder times: boundaries on 10 ms frames).
    samples
        The 16 kHz mono samples they were aligned on.

    Returns
    -------
    tuple
        The phones (a new list; only a filled pause's vowel and /m/ change, the word's span
        stays) and how many boundaries moved.
    """
    out = list(phones)
    moved = 0
    for i in range(1, len(out)):
        vowel, nasal = out[i - 1], out[i]
        if not (
            nasal.phone == "M"
            and vowel.phone in VOWEL_PHONES
            and nasal.word.lower() in FILLED_PAUSES
            and vowel.word == nasal.word
        ):
            continue
        first = int(round(vowel.start * FRAME_RATE))
        end = int(round(nasal.end * FRAME_RATE))
        k = _murmur_start(low_band_tilt(samples, first, end - first))
        if k is None:
            continue
        boundary = (first + k) / FRAME_RATE
        if abs(boundary - nasal.start) < 0.5 / FRAME_RATE:
            continue
        out[i - 1] = PhonemeSegment(vowel.phone, vowel.start, boundary, vowel.word)
        out[i] = PhonemeSegment(nasal.phone, boundary, nasal.end, nasal.word)
        moved += 1
    return out, moved
