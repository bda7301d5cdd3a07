"""Audio energy: an RMS envelope at frame times, and the loudness gain that scales jaw opening."""

from __future__ import annotations

import numpy as np

from generators.audio import AudioClip

__all__ = ["EnergyEnvelope", "energy_envelope"]

_HOP_S = 0.01
_WIN_S = 0.04


class EnergyEnvelope:
    """RMS level of a clip every 10 ms, with helpers to sample it at frame times.

    Parameters
    ----------
    db
        ``(M,)`` RMS level in dBFS, one value per 10 ms hop (window 40 ms, centred).
    hop
        Seconds between values.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(16000) / 16000
    >>> clip = AudioClip.from_samples((0.1 * np.sin(2 * np.pi * 200 * t)).astype("f4"), 16000)
    >>> env = energy_envelope(clip)
    >>> round(float(np.median(env.db)), 0)
    -23.0
    """

    def __init__(self, db: np.ndarray, hop: float = _HOP_S) -> None:
        self.db = np.asarray(db, dtype=np.float64)
        self.hop = float(hop)

    def at(self, times: np.ndarray) -> np.ndarray:
        """Level in dBFS at arbitrary ``times`` (linear interpolation, clamped)."""
        if self.db.size == 0:
            return np.full(len(times), -120.0)
        pos = np.asarray(times, dtype=np.float64) / self.hop
        return np.interp(pos, np.arange(self.db.size), self.db)

    def speech_level(self) -> float:
        """A robust "speaking level": the 80th percentile of the levels above the floor."""
        if self.db.size == 0:
            return -120.0
        floor = np.percentile(self.db, 10)
        loud = self.db[self.db > floor + 10.0]
        return float(np.percentile(loud if loud.size else self.db, 80))

    def loudness_gain(self, times: np.ndarray, *, depth: float = 0.25) -> np.ndarray:
        """Multiplier for jaw opening: ``1 +- depth`` as speech is louder/quieter than usual.

        Parameters
        ----------
        times
            Frame times in seconds.
        depth
            Largest relative change (0.25: the jaw opens up to 25 % more on loud syllables).

        Returns
        -------
        numpy.ndarray
            ``(N,)`` gains in ``[1 - depth, 1 + depth]``; 1 at the clip's usual speaking level.
        """
        rel = self.at(times) - self.speech_level()
        # -12 dB below the usual level -> 1 - depth, +6 dB above -> 1 + depth.
        x = np.where(rel < 0, rel / 12.0, rel / 6.0)
        return 1.0 + depth * np.clip(x, -1.0, 1.0)


def energy_envelope(clip: AudioClip) -> EnergyEnvelope:
    """Compute the RMS envelope of ``clip`` (any sample rate).

    Parameters
    ----------
    clip
        The audio.

    Returns
    -------
    EnergyEnvelope
    """
    x = np.asarray(clip.samples, dtype=np.float64)
    sr = clip.sample_rate
    hop = max(1, int(round(_HOP_S * sr)))
    win = max(hop, int(round(_WIN_S * sr)))
    n = int(np.ceil(x.size / hop)) if x.size else 0
    if n == 0:
        return EnergyEnvelope(np.zeros(0))
    padded = np.concatenate([np.zeros(win // 2), x, np.zeros(win)])
    csum = np.concatenate([[0.0], np.cumsum(padded * padded)])
    starts = np.arange(n) * hop
    energy = (csum[starts + win] - csum[starts]) / win
    db = 10.0 * np.log10(np.maximum(energy, 1e-12))
    return EnergyEnvelope(db, hop / sr)
