"""Fundamental frequency (F0) every 10 ms: a vectorised YIN tracker.

The method is YIN (de Cheveigné & Kawahara 2002, "YIN, a fundamental frequency estimator for
speech and music", JASA 111(4)), computed for all frames at once:

1. The clip is brought to 16 kHz and every 10 ms a frame of 40 ms (a 20 ms integration window
   plus the longest period searched, 20 ms) is taken, centred on the frame time.
2. The squared-difference function ``d(tau)`` of each frame comes from one batched FFT
   cross-correlation plus running energy sums; it is normalised by its cumulative mean (the
   CMNDF ``d'``), which is near 0 at the period of a periodic signal and near 1 for noise.
3. The period is the first dip of ``d'`` in the 50-500 Hz lag range that is below
   :data:`THRESHOLD` (or, when none is, within :data:`DIP_MARGIN` of the deepest dip), refined
   by parabolic interpolation. Taking the *first* good dip rather than the deepest one keeps
   the tracker off multiples of the period (octave-too-low errors).
4. A frame is voiced when that dip is below :data:`VOICING_THRESHOLD` and the frame is loud
   enough (within :data:`VOICING_RANGE_DB` of the clip's loud frames, above -70 dBFS).
5. Octave guard: a voiced frame more than :data:`OCTAVE_JUMP` away from the median of the
   voiced frames around it (+-0.3 s) is moved to the double or half lag when ``d'`` there is
   nearly as low; a frame still far off is left unvoiced.
6. A 5-frame median over voiced frames smooths the track; mains hum (0.2 s or more of F0 on
   50 or 60 Hz, :data:`MAINS_HZ`) and voiced runs shorter than 30 ms are dropped.

Cost is about 2 ms of CPU per second of 16 kHz audio; the result depends only on the
samples (no randomness, no state).

Examples
--------
>>> import numpy as np
>>> t = np.arange(16000) / 16000
>>> clip = AudioClip.from_samples((0.3 * np.sin(2 * np.pi * 150 * t)).astype("f4"), 16000)
>>> track = track_pitch(clip)
>>> round(float(np.median(track.f0[track.voiced])), 1)
150.0
>>> bool(track.voiced[20:80].all())
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import fft as sfft

from generators.audio import AudioClip

__all__ = [
    "F0_MAX",
    "F0_MIN",
    "HOP_S",
    "MAINS_HZ",
    "THRESHOLD",
    "VOICING_THRESHOLD",
    "PitchTrack",
    "track_pitch",
]

F0_MIN: float = 50.0
"""Lowest F0 searched, Hz (low male creak)."""

F0_MAX: float = 500.0
"""Highest F0 searched, Hz (high female and child voices, shouts)."""

HOP_S: float = 0.01
"""Seconds between frames (the energy envelope's hop, so the two line up)."""

THRESHOLD: float = 0.15
"""A dip of the CMNDF below this is taken as the period (YIN's absolute threshold)."""

DIP_MARGIN: float = 0.08
"""When no dip is below :data:`THRESHOLD`, the first dip within this of the deepest is taken."""

VOICING_THRESHOLD: float = 0.45
"""A frame is periodic enough to be voiced when its chosen dip is below this (about a
normalised autocorrelation of 0.55: rough, pressed and breathy voice still counts, fricatives
and noise, whose dips stay near 1, do not)."""

VOICING_RANGE_DB: float = 40.0
"""Voiced frames are at most this far below the clip's loud frames (95th percentile level)."""

OCTAVE_JUMP: float = 0.75
"""Octaves (9 semitones) off the local median at which a frame is checked for an octave error."""

MAINS_HZ: tuple[float, ...] = (50.0, 60.0)
"""Mains frequencies: when 0.2 s or more of a clip's "voice" sits within 1.5 % of one of these,
those frames are hum, not speech (old and field recordings often carry a mains buzz that is as
periodic as a vowel)."""

_HUM_TOLERANCE = 0.015
_HUM_MIN_S = 0.2
_RATE = 16000
_WIN_S = 0.02  # integration window (at least the longest period searched)
_MIN_LEVEL_DB = -70.0
_OCTAVE_SLACK = 0.12  # the other lag's d' may be this much higher and still win
_GUARD_HALF_S = 0.3
_MEDIAN = 5  # frames in the smoothing median
_MIN_RUN = 3  # shortest voiced run kept, frames


@dataclass(frozen=True)
class PitchTrack:
    """F0 of a clip every :data:`HOP_S` seconds.

    Parameters
    ----------
    times
        ``(M,)`` frame centres in seconds (``i * hop``, as the energy envelope's frames).
    f0
        ``(M,)`` fundamental frequency in Hz; 0 where the frame is unvoiced.
    voiced
        ``(M,)`` bool: the frame is periodic speech.
    periodicity
        ``(M,)`` ``1 - d'`` at the chosen lag, 0..1 (1: perfectly periodic).
    hop
        Seconds between frames.
    """

    times: np.ndarray
    f0: np.ndarray
    voiced: np.ndarray
    periodicity: np.ndarray
    hop: float = HOP_S

    @property
    def voiced_seconds(self) -> float:
        """Seconds of voiced frames."""
        return float(np.count_nonzero(self.voiced)) * self.hop

    def semitones(self, reference: float = 100.0) -> np.ndarray:
        """F0 of the voiced frames in semitones re ``reference`` Hz (unvoiced frames dropped)."""
        return 12.0 * np.log2(self.f0[self.voiced] / reference)


def _empty(n: int) -> PitchTrack:
    return PitchTrack(
        np.arange(n) * HOP_S, np.zeros(n), np.zeros(n, dtype=bool), np.zeros(n), HOP_S
    )


_BLOCK_FRAMES = 1000  # frames per block (10 s): bounds the FFT work arrays to ~30 MB


def _cmndf(x: np.ndarray, n: int, hop: int, win: int, tau_max: int) -> tuple[np.ndarray, ...]:
    """CMNDF ``(n, tau_max + 1)`` (float32) and frame energy ``(n,)`` of frames centred on
    ``i * hop``, computed block by block so memory stays bounded on long clips."""
    length = win + tau_max
    padded = np.concatenate([np.zeros(length // 2), x, np.zeros(length + hop)])
    frames = np.lib.stride_tricks.sliding_window_view(padded, length)[: n * hop : hop]
    cmndf = np.empty((n, tau_max + 1), dtype=np.float32)
    power = np.empty(n)
    for lo in range(0, n, _BLOCK_FRAMES):
        hi = min(n, lo + _BLOCK_FRAMES)
        cmndf[lo:hi], power[lo:hi] = _cmndf_block(frames[lo:hi], win, tau_max)
    return cmndf, power


def _cmndf_block(frames: np.ndarray, win: int, tau_max: int) -> tuple[np.ndarray, np.ndarray]:
    n, length = frames.shape
    nfft = sfft.next_fast_len(length, real=True)
    spec_frame = sfft.rfft(frames, nfft, axis=1)
    spec_head = sfft.rfft(frames[:, :win], nfft, axis=1)
    corr = sfft.irfft(np.conj(spec_head) * spec_frame, nfft, axis=1)[:, : tau_max + 1]
    csum = np.zeros((n, length + 1))
    np.cumsum(frames * frames, axis=1, out=csum[:, 1:])
    energy = csum[:, win : win + tau_max + 1] - csum[:, : tau_max + 1]  # sum x[j+tau]^2
    diff = np.maximum(energy[:, :1] + energy - 2.0 * corr, 0.0)
    diff[:, 0] = 0.0
    running = np.cumsum(diff[:, 1:], axis=1) / np.arange(1, tau_max + 1)
    cmndf = np.ones_like(diff)
    ok = running > 1e-12 * np.maximum(energy[:, :1], 1e-30)
    np.divide(diff[:, 1:], running, out=cmndf[:, 1:], where=ok)
    return cmndf, energy[:, 0] / win


def _refine(cmndf: np.ndarray, lag: np.ndarray, tau_min: int, tau_max: int) -> np.ndarray:
    """Sub-sample lag by a parabola through ``d'`` at ``lag - 1, lag, lag + 1``."""
    rows = np.arange(lag.size)
    inner = np.clip(lag, tau_min + 1, tau_max - 1)
    a = cmndf[rows, inner - 1]
    b = cmndf[rows, inner]
    c = cmndf[rows, inner + 1]
    den = a - 2.0 * b + c
    shift = np.where(den > 1e-12, 0.5 * (a - c) / np.where(den > 1e-12, den, 1.0), 0.0)
    return np.where(lag == inner, lag + np.clip(shift, -1.0, 1.0), lag).astype(np.float64)


def _choose_lags(cmndf: np.ndarray, tau_min: int, tau_max: int) -> np.ndarray:
    """Integer lag of the first good dip of each frame (YIN step 4, vectorised)."""
    band = cmndf[:, tau_min : tau_max + 1]
    deepest = band.min(axis=1)
    limit = np.maximum(THRESHOLD, deepest + DIP_MARGIN)[:, None]
    # A dip: below the limit and no higher than the next lag (the bottom of a valley).
    falling_end = np.ones_like(band, dtype=bool)
    falling_end[:, :-1] = band[:, 1:] >= band[:, :-1]
    below = band <= limit
    first_below = np.argmax(below, axis=1)
    cols = np.arange(band.shape[1])[None, :]
    candidate = below & falling_end & (cols >= first_below[:, None])
    return tau_min + np.argmax(candidate, axis=1)


def _windowed_median(values: np.ndarray, valid: np.ndarray, half: int) -> np.ndarray:
    """Median of the valid values within ``+-half`` frames of each frame (NaN when none)."""
    n = values.size
    filled = np.where(valid, values, np.inf)
    pad = np.pad(filled, half, constant_values=np.inf)
    windows = np.sort(np.lib.stride_tricks.sliding_window_view(pad, 2 * half + 1)[:n], axis=1)
    count = np.count_nonzero(np.isfinite(windows), axis=1)
    rows = np.arange(n)
    lo = windows[rows, np.maximum(count - 1, 0) // 2]
    hi = windows[rows, np.maximum(count, 1) // 2]
    out = 0.5 * (lo + hi)
    out[count == 0] = np.nan
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def track_pitch(clip: AudioClip) -> PitchTrack:
    """Track the F0 of ``clip`` every 10 ms.

    Parameters
    ----------
    clip
        The audio, any sample rate (brought to 16 kHz first).

    Returns
    -------
    PitchTrack
        One frame per 10 ms hop, as many as :func:`~generators.rig.energy.energy_envelope`
        gives for the same clip; f0 in 50-500 Hz on voiced frames, 0 elsewhere.
    """
    x = np.asarray(clip.samples, dtype=np.float64)
    rate = clip.sample_rate
    hop_in = max(1, int(round(HOP_S * rate)))
    n = int(np.ceil(x.size / hop_in)) if x.size else 0
    if n == 0:
        return _empty(0)
    if rate != _RATE:
        x = np.asarray(clip.resampled(_RATE).samples, dtype=np.float64)
    x = x - x.mean()
    hop = int(round(HOP_S * _RATE))
    win = int(round(_WIN_S * _RATE))
    # One lag of slack each side, so the parabola can refine the range's end points.
    tau_min = int(np.floor(_RATE / F0_MAX)) - 1
    tau_max = int(np.ceil(_RATE / F0_MIN)) + 1
    cmndf, power = _cmndf(x, n, hop, win, tau_max)

    level = 10.0 * np.log10(np.maximum(power, 1e-14))
    loud = level > max(_MIN_LEVEL_DB, float(np.percentile(level, 95)) - VOICING_RANGE_DB)
    int_lag = _choose_lags(cmndf, tau_min, tau_max)
    rows = np.arange(n)
    dip = cmndf[rows, int_lag]
    voiced = loud & (dip < VOICING_THRESHOLD)

    # Octave guard against the median of the voiced frames around each frame.
    log_f0 = np.log2(_RATE / _refine(cmndf, int_lag, tau_min, tau_max))
    ref = _windowed_median(log_f0, voiced, int(round(_GUARD_HALF_S / HOP_S)))
    off = np.where(np.isnan(ref), 0.0, log_f0 - np.nan_to_num(ref))
    for sign in (1, -1):  # +1: too high (lag too short, try 2x); -1: too low (try lag / 2)
        wrong = voiced & (sign * off > OCTAVE_JUMP)
        alt = int_lag * 2 if sign > 0 else np.round(int_lag / 2).astype(int)
        alt = np.clip(alt, tau_min, tau_max)
        ok = (alt != int_lag) & (cmndf[rows, alt] < dip + _OCTAVE_SLACK)
        int_lag = np.where(wrong & ok, alt, int_lag)
        voiced &= ~(wrong & ~ok)
    dip = cmndf[rows, int_lag]
    f0 = _RATE / _refine(cmndf, int_lag, tau_min, tau_max)
    in_range = (f0 >= F0_MIN * 0.97) & (f0 <= F0_MAX * 1.03)
    voiced &= in_range

    # Median smoothing over voiced frames, then drop mains hum and blips.
    smooth = np.exp2(
        np.nan_to_num(_windowed_median(np.log2(np.where(voiced, f0, 1.0)), voiced, _MEDIAN // 2))
    )
    hum = voiced & np.any([np.abs(smooth / m - 1.0) < _HUM_TOLERANCE for m in MAINS_HZ], axis=0)
    if np.count_nonzero(hum) * HOP_S >= _HUM_MIN_S:
        voiced &= ~hum
    for a, b in _runs(voiced):
        if b - a < _MIN_RUN:
            voiced[a:b] = False
    f0_out = np.where(voiced, smooth, 0.0)
    periodicity = np.clip(1.0 - dip, 0.0, 1.0)
    return PitchTrack(np.arange(n) * HOP_S, f0_out, voiced, periodicity, HOP_S)
