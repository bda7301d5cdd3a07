"""Emotion from the voice: arousal from prosody, valence from the transcript, as face states.

The voice gives a point in valence/arousal space per frame (arousal from
:mod:`generators.emotion.voice_arousal`, valence from
:mod:`generators.emotion.transcript_sentiment`), each with a confidence. That point is read as a
mixture of emotions by a Gaussian kernel over the VAD coordinates of a few everyday emotions of
the table (:data:`VOICE_EMOTIONS`), with an intensity that grows with the point's distance from
neutral; each cue's confidence decides how much it counts. The rig blends these states with
the prompt's by the "follow the voice" control (0: the prompt alone); with no prompt the voice
alone decides.

Examples
--------
>>> import numpy as np
>>> mix, level = voice_mixture(np.array([[0.8, 0.6], [-0.7, -0.4]]))
>>> mix.shape[0], bool(level.min() > 0.3)
(2, True)
"""

from __future__ import annotations

import numpy as np

from generators.emotion.table import get_emotion_table

__all__ = ["KERNEL_WIDTH", "VOICE_EMOTIONS", "voice_mixture", "voice_valence_arousal"]

VOICE_EMOTIONS: tuple[str, ...] = (
    "neutral",
    "calm",
    "contentment",
    "happiness",
    "excitement",
    "sadness",
    "tiredness",
    "anger",
    "fear",
    "annoyance",
)
"""The emotions a voice is read as (the ones valence and arousal tell apart)."""

KERNEL_WIDTH: float = 0.45
"""Width (in valence/arousal units) of the Gaussian kernel that reads a point as emotions."""

FULL_AT: float = 0.8
"""Distance from neutral at which the voice's emotion reaches full intensity."""


def voice_mixture(va: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame mixtures and intensities for points in valence/arousal space.

    Parameters
    ----------
    va
        ``(N, 2)`` valence, arousal in -1..1.

    Returns
    -------
    mixture, intensity
        ``(N, E)`` weights over the emotion table's ``names`` (rows sum to 1) and ``(N,)``
        intensity 0..1 (the point's distance from neutral over :data:`FULL_AT`; how much to
        trust the point is the caller's business).
    """
    table = get_emotion_table()
    va = np.clip(np.asarray(va, dtype=np.float64).reshape(-1, 2), -1.0, 1.0)
    rows = [table.index[name] for name in VOICE_EMOTIONS]
    centres = table.vad[rows, :2]
    d2 = ((va[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    kernel = np.exp(-d2 / (2 * KERNEL_WIDTH**2))
    kernel /= kernel.sum(axis=1, keepdims=True)
    mixture = np.zeros((va.shape[0], len(table.names)))
    mixture[:, rows] = kernel
    intensity = np.clip(np.hypot(va[:, 0], va[:, 1]) / FULL_AT, 0.0, 1.0)
    return mixture, intensity


def voice_valence_arousal(
    times: np.ndarray,
    arousal: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
    sentences: list[tuple[float, float, float, float]],
) -> tuple[np.ndarray, np.ndarray]:
    """The voice's valence and arousal at frame times, with a confidence.

    Parameters
    ----------
    times
        ``(N,)`` frame times.
    arousal
        ``(times, arousal, confidence)`` from the prosody, or ``None``.
    sentences
        ``(start, end, valence, confidence)`` of each transcript sentence.

    Returns
    -------
    va, confidence
        ``(N, 2)`` valence, arousal and ``(N, 2)`` the confidence of each (0 where a cue is
        missing: no transcript, no voice).
    """
    t = np.asarray(times, dtype=np.float64).reshape(-1)
    va = np.zeros((t.size, 2))
    conf_a = np.zeros(t.size)
    conf_v = np.zeros(t.size)
    if arousal is not None and len(arousal[0]):
        at, a, c = (np.asarray(x, dtype=np.float64) for x in arousal)
        va[:, 1] = np.interp(t, at, a)
        conf_a = np.interp(t, at, c)
    for start, end, valence, confidence in sentences:
        inside = (t >= start) & (t < end)
        va[inside, 0] = valence
        conf_v[inside] = confidence
    if sentences and t.size > 1:  # ease between sentences over ~0.4 s rather than stepping
        dt = float(np.median(np.diff(t))) or 1.0 / 30
        k = 2 * max(1, round(0.2 / dt)) + 1
        kernel = np.hanning(k + 2)[1:-1]
        kernel /= kernel.sum()
        for col in (va[:, 0], conf_v):
            col[:] = np.convolve(np.pad(col, k // 2, mode="edge"), kernel, mode="valid")
    return va, np.column_stack([conf_v, conf_a])
