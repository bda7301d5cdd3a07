"""Near-silent stretches made digitally silent before PocketSphinx reads the audio.

PocketSphinx normalises the cepstra by their mean over the utterance and leaves frames of no
energy (digital silence) out of that mean, but not frames of very quiet noise. A voice line
with 12 s or more of noise at -80 to -95 dBFS before or after it (a recording left running in
a quiet booth, a line padded with dither rather than zeros) then has its mean pulled so far
from the speech that its correct transcript could not be aligned at all, while the same line
padded with zeros aligned. Stretches of at least :data:`MIN_QUIET_S` whose level stays below
:data:`QUIET_DBFS` carry nothing for the lips and are set to zero; anything louder or shorter,
a room's noise floor or a pause between words, is left exactly as it was.

Examples
--------
>>> import numpy as np
>>> rate = 16000
>>> tone = 0.1 * np.sin(np.arange(rate) / 5.0)
>>> hiss = np.full(2 * rate, 1e-5)  # -100 dBFS for 2 s
>>> out = silence_quiet_stretches(np.r_[tone, hiss, tone].astype("f4"), rate)
>>> bool(np.all(out[rate + 1000 : 3 * rate - 1000] == 0))  # the hiss
True
>>> bool(np.array_equal(out[:rate], tone.astype("f4")))  # the tone is left as it was
True
"""

from __future__ import annotations

import numpy as np

__all__ = ["MIN_QUIET_S", "QUIET_DBFS", "silence_quiet_stretches"]

QUIET_DBFS: float = -78.0
"""Level (RMS over :data:`_WINDOW_S`, dB below full scale) under which a stretch is silent:
about 4 steps of 16-bit audio. Room noise in ordinary recordings sits at -50 to -70 dBFS."""

MIN_QUIET_S: float = 1.0
"""Shortest stretch set to zero: pauses between words stay as they are."""

_WINDOW_S = 0.04


def silence_quiet_stretches(samples: np.ndarray, rate: int) -> np.ndarray:
    """A copy of mono ``samples`` with long near-silent stretches set to exactly zero.

    Parameters
    ----------
    samples
        Mono samples in [-1, 1].
    rate
        Sample rate in Hz.

    Returns
    -------
    numpy.ndarray
        The samples (the input itself when nothing is that quiet for that long), with every
        run of whole :data:`_WINDOW_S` windows quieter than :data:`QUIET_DBFS` lasting at least
        :data:`MIN_QUIET_S` set to zero.
    """
    n = max(1, int(round(_WINDOW_S * rate)))
    windows = len(samples) // n
    if windows * n < MIN_QUIET_S * rate:
        return samples
    power = np.mean(np.square(samples[: windows * n].reshape(windows, n), dtype=np.float64), axis=1)
    quiet = power < 10.0 ** (QUIET_DBFS / 10.0)
    edges = np.diff(np.r_[0, quiet.astype(np.int8), 0])
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    long_runs = (ends - starts) * n >= MIN_QUIET_S * rate
    if not long_runs.any():
        return samples
    out = np.array(samples, copy=True)
    for a, b in zip(starts[long_runs], ends[long_runs], strict=True):
        out[a * n : b * n] = 0.0
    return out
