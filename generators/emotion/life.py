"""Subtle life for held expressions: slow, low-amplitude, deterministic intensity variation."""

from __future__ import annotations

import numpy as np

from generators.emotion.regions import REGION_NAMES

__all__ = ["life_modulation"]


def life_modulation(
    times: np.ndarray,
    *,
    seed: int = 0,
    amplitude: float = 0.08,
    num_regions: int = len(REGION_NAMES),
) -> np.ndarray:
    """Per-region intensity multipliers around 1 that drift slowly over time.

    Each region gets a sum of three slow sinusoids (0.05..0.35 Hz) with seeded random phases,
    60 % shared by the whole face and 40 % its own, normalised to -1..1 and scaled by
    ``amplitude``. It is a pure function of absolute time, so any frame rate or chunking of the
    timeline gives the same values at the same instants.

    Parameters
    ----------
    times
        ``(N,)`` seconds.
    seed
        Random seed; the same seed always gives the same motion.
    amplitude
        Largest relative change (0.08 = +-8 %).
    num_regions
        Number of independent columns (defaults to the face regions).

    Returns
    -------
    numpy.ndarray
        ``(N, num_regions)`` multipliers in ``1 +- amplitude``.

    Examples
    --------
    >>> m = life_modulation(np.linspace(0, 10, 301), seed=3)
    >>> m.shape, bool(abs(m - 1).max() <= 0.08)
    ((301, 6), True)
    """
    t = np.asarray(times, dtype=np.float64).reshape(-1, 1, 1)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 0x11FE]))
    k = 3
    freqs = rng.uniform(0.05, 0.35, size=(1, num_regions + 1, k))
    phases = rng.uniform(0.0, 2 * np.pi, size=(1, num_regions + 1, k))
    amps = rng.uniform(0.5, 1.0, size=(1, num_regions + 1, k))
    waves = (amps * np.sin(2 * np.pi * freqs * t + phases)).sum(axis=2) / amps.sum(axis=2)
    noise = 0.6 * waves[:, :1] + 0.4 * waves[:, 1:]
    return (1.0 + amplitude * noise).astype(np.float64)
