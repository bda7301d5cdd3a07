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
    """The voice's valence and arousal at the frames (``va``, ``(N, 2)``) and how much to
    trust each (``confidence``, ``(N, 2)``, 0..1; 0 where a cue is missing)."""

    va: np.ndarray
    confidence: np.ndarray


Region = tuple[np.ndarray, np.ndarray, np.ndarray]
"""What a face region shows: mixture ``(N, E)``, intensity ``(N,)``, VAD ``(N, 3)``."""


@dataclass(frozen=True, eq=False)
class EmotionFrames:
    """Per-frame emotion of a take.

    Parameters
    ----------
    felt
        What is felt (mixture, intensity, VAD): drives blinks, gaze, head and articulation, and
        is exported.
    upper, lower
        What the upper and the lower face show (:data:`Region`).
    """

    felt: EmotionCurves
    upper: Region
    lower: Region

    @property
    def families(self) -> np.ndarray:
        """``(N, 8)`` share of each basic emotion times the intensity (the felt state)."""
        table = get_emotion_table()
        return (self.felt.mixture @ table.families) * self.felt.intensity[:, None]

    def dominant(self, i: int) -> str:
        """The felt state's dominant basic emotion at frame ``i``."""
        return get_emotion_table().dominant_family(self.felt.state(i).mixture)


def _table_columns(track: EmotionTrack, times: np.ndarray, region: str | None) -> Region:
    names, mix, level, vad = track.sample(times, region=region)
    to_table = mixture_matrix([{name: 1.0} for name in names])  # one-hot rows
    return mix @ to_table, level, vad


def _blend(state: Region, voice: Region, w: np.ndarray, w_va: np.ndarray) -> Region:
    """Move a state toward the voice's: mixture and intensity by ``w`` (N,), valence and
    arousal by ``w_va`` (N, 2); dominance stays the prompt's (the voice has no cue for it)."""
    mix, level, vad = state
    vmix, vlevel, vvad = voice
    amount = (1 - w)[:, None] * mix * level[:, None] + w[:, None] * vmix * vlevel[:, None]
    new_level = (1 - w) * level + w * vlevel
    total = amount.sum(axis=1, keepdims=True)
    neutral = get_emotion_table().index["neutral"]
    out = np.where(total > 1e-9, amount / np.maximum(total, 1e-12), 0.0)
    out[total[:, 0] <= 1e-9, neutral] = 1.0
    new_vad = vad.copy()
    new_vad[:, :2] = (1 - w_va) * vad[:, :2] + w_va * vvad[:, :2]
    return out, new_level, new_vad


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
    felt = _table_columns(track, t, None)
    if any(seg.state.regions for seg in track.segments):
        upper = _table_columns(track, t, "upper")
        lower = _table_columns(track, t, "lower")
    else:  # every region shows the whole state: one sampling serves all three
        upper = lower = felt
    w = 1.0 if not track.segments else float(np.clip(follow_voice, 0.0, 1.0))
    if voice is not None and w > 0.0:
        conf = np.clip(np.asarray(voice.confidence, dtype=np.float64).reshape(-1, 2), 0.0, 1.0)
        vmix, vlevel = voice_mixture(voice.va)
        vvad = np.column_stack([voice.va, np.zeros(t.size)])
        cue = (vmix, vlevel, vvad)
        w_frame, w_va = w * conf.mean(axis=1), w * conf
        felt = _blend(felt, cue, w_frame, w_va)
        upper = _blend(upper, cue, w_frame, w_va)
        lower = _blend(lower, cue, w_frame, w_va)
    mix, level, vad = felt
    curves = EmotionCurves(tuple(table.names), mix, level, np.clip(vad, -1.0, 1.0))
    return EmotionFrames(curves, upper, lower)
