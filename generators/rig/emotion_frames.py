"""The emotion at every frame: the prompt track's dynamics, each face region, and the voice.

:func:`emotion_frames` samples the emotion track once for all frames (its affective dynamics,
:meth:`~generators.take.EmotionTrack.sample`) for the felt state and for what the upper and lower
face show, then blends in the voice's own emotion (:mod:`generators.emotion.voice_emotion`) by
the "follow the voice" control: ``0`` keeps the prompt alone, ``1`` lets the voice decide; with no
prompt at all the voice alone decides. Mixture columns follow the emotion table's ``names``.

Examples
--------
>>> from generators.emotion import parse_prompt
>>> from generators.take import EmotionTrack
>>> times = np.arange(30) / 30
>>> frames = emotion_frames(EmotionTrack.constant("happy", parse_prompt("happy")), times)
>>> frames.felt.num_frames, frames.dominant(0)
(30, 'happiness')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generators.emotion.facs import mixture_matrix
from generators.emotion.table import get_emotion_table
from generators.emotion.voice_emotion import voice_mixture
from generators.take import EmotionCurves, EmotionTrack

__all__ = ["EmotionFrames", "VoiceCue", "emotion_frames"]


@dataclass(frozen=True, eq=False)
class VoiceCue:
    """The voice's valence and arousal at the frames, with a confidence (0..1)."""

    va: np.ndarray
    confidence: np.ndarray


@dataclass(frozen=True, eq=False)
class EmotionFrames:
    """Per-frame emotion of a take.

    Parameters
    ----------
    felt
        What is felt (mixture, intensity, VAD): drives blinks, gaze, head and articulation, and
        is exported.
    upper, lower
        ``(mixture (N, E), intensity (N,))`` that the upper and the lower face show.
    """

    felt: EmotionCurves
    upper: tuple[np.ndarray, np.ndarray]
    lower: tuple[np.ndarray, np.ndarray]

    @property
    def families(self) -> np.ndarray:
        """``(N, 8)`` share of each basic emotion times the intensity (the felt state)."""
        table = get_emotion_table()
        return (self.felt.mixture @ table.families) * self.felt.intensity[:, None]

    def dominant(self, i: int) -> str:
        """The felt state's dominant basic emotion at frame ``i``."""
        return get_emotion_table().dominant_family(self.felt.state(i).mixture)


def _table_columns(
    track: EmotionTrack, times: np.ndarray, region: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    names, mix, level, vad = track.sample(times, region=region)
    to_table = mixture_matrix([{name: 1.0} for name in names])  # one-hot rows
    return mix @ to_table, level, vad


def _blend(
    mix: np.ndarray, level: np.ndarray, vmix: np.ndarray, vlevel: np.ndarray, w: float
) -> tuple[np.ndarray, np.ndarray]:
    if w <= 0.0:
        return mix, level
    amount = (1 - w) * mix * level[:, None] + w * vmix * vlevel[:, None]
    new_level = (1 - w) * level + w * vlevel
    total = amount.sum(axis=1, keepdims=True)
    neutral = get_emotion_table().index["neutral"]
    out = np.where(total > 1e-9, amount / np.maximum(total, 1e-12), 0.0)
    out[total[:, 0] <= 1e-9, neutral] = 1.0
    return out, new_level


def emotion_frames(
    track: EmotionTrack,
    times: np.ndarray,
    *,
    voice: VoiceCue | None = None,
    follow_voice: float = 0.0,
) -> EmotionFrames:
    """The felt and shown emotion at every frame.

    Parameters
    ----------
    track
        The prompts along the timeline (no segments: no prompt).
    times
        ``(N,)`` frame times.
    voice
        The voice's valence/arousal per frame, or ``None`` (no voice cue).
    follow_voice
        0..1: how much the voice's emotion replaces the prompt's (ignored without a voice; with
        no prompt the voice alone decides).

    Returns
    -------
    EmotionFrames
    """
    t = np.asarray(times, dtype=np.float64).reshape(-1)
    table = get_emotion_table()
    mix, level, vad = _table_columns(track, t, None)
    if track.segments:
        upper = _table_columns(track, t, "upper")[:2]
        lower = _table_columns(track, t, "lower")[:2]
    else:
        upper = lower = (mix, level)
    w = 1.0 if not track.segments else float(np.clip(follow_voice, 0.0, 1.0))
    if voice is not None and w > 0.0:
        vmix, vlevel = voice_mixture(voice.va, voice.confidence)
        mix, level = _blend(mix, level, vmix, vlevel, w)
        upper = _blend(*upper, vmix, vlevel, w)
        lower = _blend(*lower, vmix, vlevel, w)
        voice_vad = np.column_stack([voice.va * voice.confidence[:, None], np.zeros(t.size)])
        vad = (1 - w) * vad + w * voice_vad
    felt = EmotionCurves(tuple(table.names), mix, level, np.clip(vad, -1.0, 1.0))
    return EmotionFrames(felt, upper, lower)
