"""Automatic eye blinks: when (seeded, realistic intervals, drawn to pauses) and how (shape).

Spontaneous blinks come every 2-6 s in conversation and cluster at pauses and phrase ends.
Inter-blink intervals are strongly right-skewed (Ponder & Kennedy 1927, "On the act of
blinking"; Bentivoglio et al. 1997, "Analysis of blink rate patterns in normal subjects") and
are modelled here as a shifted log-normal: a refractory minimum of :data:`MIN_INTERVAL_S` plus a
log-normal excess with log-standard deviation :data:`INTERVAL_SIGMA` (0.6), scaled so the mean
interval is :data:`MEAN_INTERVAL_S` (3.5 s: median ~3.1 s, ~17-19 blinks a minute with the
double blinks, between Bentivoglio's ~17/min at rest and ~26/min in conversation). The rate
may vary over the clip (``rate_curve``: faster when aroused, see
:mod:`~generators.rig.emotion_motion`). One blink lasts ~150-250 ms and is asymmetric: the lid
drops fast (~60-80 ms), rests closed for a moment and rises more slowly (~100-140 ms). Both eyes
blink together, the second with a small random lag.

Examples
--------
>>> import numpy as np
>>> times = np.arange(300) / 30.0
>>> blinks = plan_blinks(10.0, seed=3)
>>> curves = blink_curves(blinks, times)
>>> curves.shape, bool(curves.max() > 0.9)
((300, 2), True)
>>> plan_blinks(10.0, seed=3) == blinks
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Blink", "blink_curves", "plan_blinks"]

MEAN_INTERVAL_S: float = 3.5
"""Mean time between blinks."""

MIN_INTERVAL_S: float = 1.2
"""Shortest gap between two blinks (double blinks excepted): the refractory minimum."""

INTERVAL_SIGMA: float = 0.6
"""Standard deviation of the log of an interval's excess over :data:`MIN_INTERVAL_S`."""

PAUSE_PULL_S: float = 0.9
"""A blink within this distance of a pause start moves to the pause (with some probability)."""

_SALT = 0x5EED_B1  # keeps the blink stream independent of other seeded streams


@dataclass(frozen=True)
class Blink:
    """One blink.

    Parameters
    ----------
    start
        Time the lids start to close (seconds).
    close, hold, open
        Durations of the closing, closed and opening phases (seconds).
    depth
        How far the lids close (1 = fully).
    lag
        Delay of the right eye relative to the left (seconds, may be negative).
    """

    start: float
    close: float
    hold: float
    open: float
    depth: float = 1.0
    lag: float = 0.0

    @property
    def duration(self) -> float:
        """Total length of the blink."""
        return self.close + self.hold + self.open


def _make_blink(rng: np.random.Generator, start: float) -> Blink:
    return Blink(
        start=float(start),
        close=float(rng.uniform(0.05, 0.075)),
        hold=float(rng.uniform(0.015, 0.035)),
        open=float(rng.uniform(0.09, 0.13)),
        depth=float(rng.uniform(0.92, 1.0)),
        lag=float(rng.uniform(-0.012, 0.012)),
    )


def _factor_at(rate_curve: tuple[np.ndarray, np.ndarray] | None, t: float) -> float:
    """The blink-rate factor at time ``t`` (1 without a curve; held flat past its ends)."""
    if rate_curve is None:
        return 1.0
    times, factor = rate_curve
    return max(float(np.interp(t, times, factor)), 0.05)


def _interval(rng: np.random.Generator, mean_interval: float) -> float:
    """One interval: :data:`MIN_INTERVAL_S` plus a log-normal excess, of mean ``mean_interval``.

    The excess' mean is kept at 0.3 s or more, so very fast rates saturate.
    """
    extra = max(mean_interval - MIN_INTERVAL_S, 0.3)
    mu = np.log(extra) - 0.5 * INTERVAL_SIGMA**2  # log-normal mean = exp(mu + sigma^2 / 2)
    return MIN_INTERVAL_S + float(rng.lognormal(mu, INTERVAL_SIGMA))


def plan_blinks(
    duration: float,
    *,
    seed: int = 0,
    pauses: Sequence[tuple[float, float]] = (),
    mean_interval: float = MEAN_INTERVAL_S,
    rate: float = 1.0,
    rate_curve: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[Blink]:
    """Choose blink times for a clip.

    Intervals follow a log-normal distribution shifted by :data:`MIN_INTERVAL_S` (see the
    module docstring), so blinks are neither metronomic nor bunched; a blink near the start of
    a pause moves into it with probability 0.6; one blink in ten is a double blink.

    Parameters
    ----------
    duration
        Clip length in seconds.
    seed
        Random seed (same seed, same blinks).
    pauses
        ``(start, end)`` of pauses in the speech, in seconds.
    mean_interval
        Mean time between blinks.
    rate
        Multiplier of the blink frequency (the mean interval is divided by it; 0: no blinks).
    rate_curve
        ``(times, factor)``: a further, time-varying multiplier of the frequency (e.g.
        :attr:`~generators.rig.emotion_motion.MotionStyle.blink_rate_factor`); each interval
        is drawn with the mean interval divided by the factor at the blink that starts it.
        ``None`` or a factor of exactly 1 everywhere: the same blinks as without it.

    Returns
    -------
    list of Blink
        In time order, all starting inside ``[0, duration)``.
    """
    if rate <= 0:
        return []
    if rate != 1.0:
        mean_interval = mean_interval / float(rate)
    if rate_curve is not None:
        curve_t = np.asarray(rate_curve[0], dtype=np.float64).reshape(-1)
        curve_f = np.asarray(rate_curve[1], dtype=np.float64).reshape(-1)
        if curve_t.size != curve_f.size or curve_t.size == 0:
            raise ValueError("rate_curve must be two arrays of the same, non-zero length")
        rate_curve = (curve_t, curve_f)
    rng = np.random.default_rng([_SALT, int(seed) & 0xFFFFFFFF])
    pause_starts = np.array(sorted(s for s, e in pauses if e - s >= 0.15), dtype=np.float64)
    blinks: list[Blink] = []
    first_mean = mean_interval / _factor_at(rate_curve, 0.0)
    t = float(rng.uniform(0.3, min(2.5, first_mean)))
    while t < duration:
        start = t
        if pause_starts.size:
            k = int(np.argmin(np.abs(pause_starts - t)))
            near = pause_starts[k]
            last_start = blinks[-1].start if blinks else -np.inf
            pulled = float(near + rng.uniform(0.03, 0.12))
            if (
                abs(near - t) < PAUSE_PULL_S
                and rng.random() < 0.6
                and pulled - last_start >= MIN_INTERVAL_S
            ):
                start = pulled
        if start >= duration:
            break
        blink = _make_blink(rng, start)
        blinks.append(blink)
        if rng.random() < 0.1:  # double blink
            second = start + blink.duration + float(rng.uniform(0.05, 0.12))
            if second < duration:
                blinks.append(_make_blink(rng, second))
        last = blinks[-1].start
        t = last + _interval(rng, mean_interval / _factor_at(rate_curve, last))
    return blinks


def _ease(x: np.ndarray) -> np.ndarray:
    """Smoothstep on 0..1."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _shape(blink: Blink, t: np.ndarray) -> np.ndarray:
    """Lid closure 0..depth of one blink at times ``t`` (relative to the clip)."""
    u = t - blink.start
    closing = _ease(u / blink.close)
    opening = 1.0 - _ease((u - blink.close - blink.hold) / blink.open) ** 0.8
    val = np.where(u < blink.close, closing, np.where(u < blink.close + blink.hold, 1.0, opening))
    return blink.depth * np.where((u >= 0) & (u <= blink.duration), val, 0.0)


def blink_curves(blinks: Sequence[Blink], times: np.ndarray) -> np.ndarray:
    """Render blinks as ``(N, 2)`` eyeBlinkLeft / eyeBlinkRight weights at ``times``.

    Parameters
    ----------
    blinks
        From :func:`plan_blinks`.
    times
        Frame times in seconds.

    Returns
    -------
    numpy.ndarray
        ``(N, 2)`` float32 weights in 0..1.
    """
    t = np.asarray(times, dtype=np.float64)
    out = np.zeros((t.size, 2), dtype=np.float64)
    for b in blinks:
        lo = np.searchsorted(t, b.start - 0.05)
        hi = np.searchsorted(t, b.start + b.duration + 0.05, side="right")
        if hi <= lo:
            continue
        w = t[lo:hi]
        out[lo:hi, 0] = np.maximum(out[lo:hi, 0], _shape(b, w))
        out[lo:hi, 1] = np.maximum(out[lo:hi, 1], _shape(b, w - b.lag))
    return np.clip(out, 0.0, 1.0).astype(np.float32)
