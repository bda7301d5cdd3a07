"""Subtle head motion: smooth idle sway, livelier while speaking, light nods on emphasis.

Idle motion is a sum of a few slow sinusoids per axis (0.07-0.45 Hz, random phases from the
seed), a few degrees at most. While the voice is active the sway grows, and each emphasised
syllable (a loudness peak on a vowel that stands out from its surroundings) gets a small nod:
the chin dips 1-2.5 degrees and comes back over ~0.45 s.

The emotion may restyle the motion frame by frame
(:class:`~generators.rig.emotion_motion.MotionStyle`): livelier or calmer sway, larger or
smaller nods, and a pitch offset (joy lifts the chin, sadness droops it, anger pushes the head
forward, which a rotation-only pose shows as a chin-down tilt with less sway).

Examples
--------
>>> import numpy as np
>>> times = np.arange(150) / 30.0
>>> head = head_motion(times, seed=1)
>>> head.shape, bool(np.abs(head).max() < 8.0)
((150, 3), True)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from generators.rig.energy import EnergyEnvelope
from generators.rig.prosody import VOWEL_PHONES
from generators.take import PhonemeSegment

if TYPE_CHECKING:
    from generators.rig.emotion_motion import MotionStyle

__all__ = ["IDLE_AMPLITUDE_DEG", "NOD_MAX_DEG", "emphasis_peaks", "head_motion"]

IDLE_AMPLITUDE_DEG: tuple[float, float, float] = (1.6, 1.1, 0.8)
"""RMS of the idle sway in yaw, pitch, roll (degrees) when not speaking."""

SPEECH_BOOST: float = 0.7
"""Extra share of sway while speaking (1.7x the idle amplitude at full activity)."""

NOD_MAX_DEG: float = 2.5
"""Largest nod (pitch, chin down) on a strongly emphasised syllable."""

_NOD_WIDTH_S = 0.45
_SALT = 0x4EAD


def _sway(times: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(N, 3) unit-RMS smooth noise: three sinusoids per axis."""
    out = np.zeros((times.size, 3))
    for axis in range(3):
        freqs = rng.uniform(0.07, 0.45, size=3)
        phases = rng.uniform(0, 2 * np.pi, size=3)
        amps = rng.uniform(0.5, 1.0, size=3) / np.sqrt(freqs / 0.07)  # slower = larger
        comp = amps[None, :] * np.sin(2 * np.pi * freqs[None, :] * times[:, None] + phases)
        out[:, axis] = comp.sum(axis=1) / np.sqrt(0.5 * np.sum(amps**2))
    return out


def emphasis_peaks(
    envelope: EnergyEnvelope, phonemes: Sequence[PhonemeSegment], *, min_gap: float = 0.8
) -> list[tuple[float, float]]:
    """Emphasised syllables: ``(time, strength 0..1)`` of prominent loudness peaks on vowels.

    A vowel's peak loudness is compared with the median level of the speech in the second
    around it; peaks 3 dB or more above it count, strongest first, at least ``min_gap`` apart.
    """
    vowels = [p for p in phonemes if p.phone in VOWEL_PHONES and p.end - p.start >= 0.04]
    if not vowels:
        return []
    level = envelope.speech_level()
    cands: list[tuple[float, float]] = []
    for v in vowels:
        ts = np.arange(v.start, v.end, 0.01)
        db = envelope.at(ts)
        k = int(np.argmax(db))
        peak_t, peak_db = float(ts[k]), float(db[k])
        around = envelope.at(np.arange(peak_t - 0.5, peak_t + 0.5, 0.01))
        speech = around[around > level - 20.0]
        ref = float(np.median(speech)) if speech.size else level
        prominence = peak_db - ref
        if prominence >= 3.0 and peak_db > level - 6.0:
            cands.append((peak_t, float(np.clip((prominence - 2.0) / 6.0, 0.2, 1.0))))
    chosen: list[tuple[float, float]] = []
    for t, s in sorted(cands, key=lambda c: -c[1]):
        if all(abs(t - c) >= min_gap for c, _ in chosen):
            chosen.append((t, s))
    return sorted(chosen)


def head_motion(
    times: np.ndarray,
    *,
    seed: int = 0,
    activity: np.ndarray | None = None,
    emphasis: Sequence[tuple[float, float]] = (),
    amplitude: float = 1.0,
    style: MotionStyle | None = None,
) -> np.ndarray:
    """Head rotation over time.

    Parameters
    ----------
    times
        ``(N,)`` frame times in seconds.
    seed
        Random seed (same seed, same motion).
    activity
        ``(N,)`` speech activity 0..1 (more sway while speaking); ``None`` for idle.
    emphasis
        ``(time, strength)`` of emphasised syllables (:func:`emphasis_peaks`) to nod on.
    amplitude
        Multiplier of the whole motion, sway, nods and the style's offset (0: a still head).
    style
        Per-frame emotion styling (``len(style) == N``): the sway is multiplied by
        ``head_sway_factor``, each nod by ``nod_factor`` at its frame, and
        ``head_pitch_offset_deg`` is added to the pitch. The pose has no translation, so a
        forward push shows as its chin-down tilt. ``None``, or a neutral style: the same
        motion as without it.

    Returns
    -------
    numpy.ndarray
        ``(N, 3)`` float32 yaw, pitch, roll in degrees (positive pitch: chin down).
    """
    t = np.asarray(times, dtype=np.float64)
    if style is not None and len(style) != t.size:
        raise ValueError(f"style has {len(style)} frames, times {t.size}")
    rng = np.random.default_rng([_SALT, int(seed) & 0xFFFFFFFF])
    sway = _sway(t, rng) * np.asarray(IDLE_AMPLITUDE_DEG)[None, :]
    if activity is not None and t.size:
        act = np.asarray(activity, dtype=np.float64).reshape(t.size)
        # Smooth the activity over ~0.6 s so the sway swells and settles, never flickers.
        dt = t[1] - t[0] if t.size > 1 else 1.0 / 30
        k = max(1, int(round(0.6 / dt)))
        kernel = np.hanning(2 * k + 1)
        smooth = np.convolve(np.pad(act, k, mode="edge"), kernel / kernel.sum(), mode="valid")
        sway *= (1.0 + SPEECH_BOOST * smooth)[:, None]
    if style is not None and t.size:
        sway *= np.asarray(style.head_sway_factor, dtype=np.float64).reshape(t.size)[:, None]
    for when, strength in emphasis:
        centre = when + 0.08
        u = (t - centre) / (_NOD_WIDTH_S / 2)
        bump = np.where(np.abs(u) < 1, 0.5 * (1 + np.cos(np.pi * u)), 0.0)
        size = strength
        if style is not None and t.size:
            k = int(np.clip(np.searchsorted(t, centre), 0, t.size - 1))
            size = strength * float(style.nod_factor[k])
        sway[:, 1] += NOD_MAX_DEG * size * bump
    if style is not None and t.size:
        sway[:, 1] += np.asarray(style.head_pitch_offset_deg, dtype=np.float64).reshape(t.size)
    if amplitude != 1.0:
        sway *= float(amplitude)
    return sway.astype(np.float32)
