"""A synthetic take for the export benchmarks: every curve, the head and the eyes move."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from generators.take import CurveSet, EmotionTrack, Provenance, Take, VisemeTrack, frame_count
from renderers.arkit import NUM_SHAPES


def synthetic_take(seconds: float, fps: float, audio: Path | None = None) -> Take:
    """Smooth waves on all 52 ARKit curves (0..0.6), a few degrees of head and eye motion.

    Parameters
    ----------
    seconds, fps
        Length and frame rate.
    audio
        A sound file to attach (``None``: no audio, for formats that carry none).
    """
    n = frame_count(seconds, fps)
    t = np.arange(n)[:, None] / fps
    k = np.arange(NUM_SHAPES)[None, :]
    weights = (0.5 + 0.5 * np.sin(2 * np.pi * (0.2 + 0.03 * k) * t + k)) * 0.6
    head = np.concatenate([8 * np.sin(t), 4 * np.sin(0.7 * t), 3 * np.sin(0.5 * t)], axis=1)
    eyes = np.concatenate([6 * np.sin(2 * t), 3 * np.cos(2 * t)] * 2, axis=1)
    curves = CurveSet(fps, weights.astype(np.float32), head, eyes)
    source = "" if audio is None else str(audio)
    return Take(curves, VisemeTrack(), EmotionTrack(), Provenance("bench", "0"), source, seconds)
