"""Take: everything one generation produced (curves, visemes, emotion) plus provenance.

The data here is Qt-free and generator-agnostic: the rig generator, the talking-head generator,
exporters, the viewport and the CLI all read it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from renderers.arkit import ARKIT_INDEX, ARKIT_NAMES, NUM_SHAPES
from renderers.pose import Pose

__all__ = [
    "ARKIT_NAMES",
    "CurveSet",
    "EmotionSegment",
    "EmotionState",
    "EmotionTrack",
    "PhonemeSegment",
    "Provenance",
    "Take",
    "VisemeSegment",
    "VisemeTrack",
    "frame_count",
]


def frame_count(duration: float, fps: float) -> int:
    """Frames needed to cover ``duration`` seconds at ``fps``: every ``i / fps < duration``.

    Examples
    --------
    >>> frame_count(5.0, 30)
    150
    >>> frame_count(5.01, 30)
    151
    """
    if duration <= 0:
        return 0
    return max(1, math.ceil(duration * fps - 1e-6))


def _interp_rows(values: np.ndarray, src_fps: float, times: np.ndarray) -> np.ndarray:
    """Linearly interpolate ``(N, K)`` rows sampled at ``i / src_fps`` at arbitrary ``times``."""
    n = values.shape[0]
    if n == 0:
        return np.zeros((len(times), values.shape[1]), dtype=np.float32)
    pos = np.clip(np.asarray(times, dtype=np.float64) * src_fps, 0.0, n - 1)
    i0 = np.floor(pos).astype(np.int64)
    i1 = np.minimum(i0 + 1, n - 1)
    w = (pos - i0)[:, None].astype(np.float32)
    return values[i0] * (1.0 - w) + values[i1] * w


@dataclass
class CurveSet:
    """ARKit-52 weight curves plus head and eye rotation, sampled at a fixed frame rate.

    Frame ``i`` is at time ``i / fps`` (never accumulated).

    Parameters
    ----------
    fps
        Frames per second.
    weights
        ``(N, 52)`` float32 weights in 0..1, columns in :data:`ARKIT_NAMES` order.
    head_rotation
        ``(N, 3)`` head yaw, pitch, roll in degrees (see :class:`~renderers.pose.Pose`).
    eye_rotation
        ``(N, 4)`` left yaw, left pitch, right yaw, right pitch in degrees.

    Examples
    --------
    >>> cs = CurveSet.zeros(30, 10)
    >>> cs.num_frames, cs.duration
    (10, 0.3333333333333333)
    >>> cs.resample(60).num_frames
    20
    """

    fps: float
    weights: np.ndarray
    head_rotation: np.ndarray | None = None
    eye_rotation: np.ndarray | None = None
    names: tuple[str, ...] = ARKIT_NAMES

    def __post_init__(self) -> None:
        if self.fps <= 0:
            raise ValueError("fps must be positive")
        self.weights = np.asarray(self.weights, dtype=np.float32).reshape(-1, NUM_SHAPES)
        n = self.weights.shape[0]
        if self.head_rotation is None:
            self.head_rotation = np.zeros((n, 3), dtype=np.float32)
        if self.eye_rotation is None:
            self.eye_rotation = np.zeros((n, 4), dtype=np.float32)
        self.head_rotation = np.asarray(self.head_rotation, dtype=np.float32).reshape(n, 3)
        self.eye_rotation = np.asarray(self.eye_rotation, dtype=np.float32).reshape(n, 4)

    @classmethod
    def zeros(cls, fps: float, num_frames: int) -> CurveSet:
        """A neutral curve set of ``num_frames`` frames."""
        return cls(fps, np.zeros((num_frames, NUM_SHAPES), dtype=np.float32))

    @property
    def num_frames(self) -> int:
        """Number of frames ``N``."""
        return int(self.weights.shape[0])

    @property
    def duration(self) -> float:
        """Time covered, ``N / fps`` seconds."""
        return self.num_frames / float(self.fps)

    @property
    def times(self) -> np.ndarray:
        """Frame times ``i / fps``."""
        return np.arange(self.num_frames, dtype=np.float64) / self.fps

    def curve(self, name: str) -> np.ndarray:
        """The ``(N,)`` curve of one ARKit shape."""
        return self.weights[:, ARKIT_INDEX[name]]

    def sample(self, t: float) -> np.ndarray:
        """The 52 weights at any time ``t`` (linear between frames, clamped at the ends)."""
        return _interp_rows(self.weights, self.fps, np.array([t]))[0]

    def pose_at(self, t: float) -> Pose:
        """The full :class:`~renderers.pose.Pose` (weights, head, eyes) at time ``t``."""
        tt = np.array([t])
        return Pose(
            weights=_interp_rows(self.weights, self.fps, tt)[0],
            head_rotation=_interp_rows(self.head_rotation, self.fps, tt)[0],
            eye_rotation=_interp_rows(self.eye_rotation, self.fps, tt)[0],
        )

    def resample(self, fps: float, num_frames: int | None = None) -> CurveSet:
        """Return the curves at another frame rate, by linear interpolation.

        ``num_frames`` defaults to the frames that cover the same duration.
        """
        n = frame_count(self.duration, fps) if num_frames is None else int(num_frames)
        times = np.arange(n, dtype=np.float64) / fps
        return CurveSet(
            fps,
            _interp_rows(self.weights, self.fps, times),
            _interp_rows(self.head_rotation, self.fps, times),
            _interp_rows(self.eye_rotation, self.fps, times),
        )


@dataclass(frozen=True)
class PhonemeSegment:
    """One phone of the lip-sync timeline.

    Parameters
    ----------
    phone
        ARPAbet phone without stress (``"AA"``, ``"P"``...) or ``"SIL"`` for silence/noise.
    start, end
        Seconds.
    word
        The word the phone belongs to, when known.
    """

    phone: str
    start: float
    end: float
    word: str = ""


@dataclass(frozen=True)
class VisemeSegment:
    """One viseme of the timeline (see ``generators.rig.visemes`` for the set)."""

    viseme: str
    start: float
    end: float


@dataclass
class VisemeTrack:
    """The phones and visemes of a clip in time order.

    Parameters
    ----------
    phonemes
        Phone segments (what was said and when).
    visemes
        Viseme segments derived from the phones.
    method
        How the phones were found: ``"forced-alignment"``, ``"phone-recognition"`` or
        ``"acoustic"`` (any language, from the sound alone; representative phones).
    edited
        Whether the visemes were corrected by hand (see :mod:`generators.viseme_edit`): they
        then cover the clip from 0 to its end and no longer follow from the phones, which
        stay as analysed.
    """

    phonemes: list[PhonemeSegment] = field(default_factory=list)
    visemes: list[VisemeSegment] = field(default_factory=list)
    method: str = ""
    edited: bool = False

    def viseme_at(self, t: float) -> str:
        """The viseme label at time ``t`` (``"sil"`` outside every segment)."""
        for seg in self.visemes:
            if seg.start <= t < seg.end:
                return seg.viseme
        return "sil"


@dataclass(frozen=True)
class EmotionState:
    """What an emotion prompt means at one instant.

    Parameters
    ----------
    mixture
        Emotion name -> weight (weights sum to 1; ``"neutral"`` may be present).
    intensity
        Overall strength 0..1.
    valence, arousal, dominance
        Each -1..1, 0 neutral.
    """

    mixture: dict[str, float] = field(default_factory=lambda: {"neutral": 1.0})
    intensity: float = 0.0
    valence: float = 0.0
    arousal: float = 0.0
    dominance: float = 0.0

    @classmethod
    def neutral(cls) -> EmotionState:
        """The neutral state."""
        return cls()

    def blend(self, other: EmotionState, w: float) -> EmotionState:
        """Linear blend toward ``other`` by ``w`` in 0..1."""
        names = set(self.mixture) | set(other.mixture)
        mix = {n: (1 - w) * self.mixture.get(n, 0.0) + w * other.mixture.get(n, 0.0) for n in names}
        mix = {n: v for n, v in mix.items() if v > 1e-6}

        def lerp(a: float, b: float) -> float:
            return (1 - w) * a + w * b

        return EmotionState(
            mix,
            lerp(self.intensity, other.intensity),
            lerp(self.valence, other.valence),
            lerp(self.arousal, other.arousal),
            lerp(self.dominance, other.dominance),
        )


@dataclass(frozen=True)
class EmotionSegment:
    """An emotion prompt active from ``start`` to ``end`` seconds (``end=None``: to the end)."""

    start: float
    end: float | None
    prompt: str
    state: EmotionState


@dataclass
class EmotionTrack:
    """Emotion prompts along the timeline, cross-faded over ``transition`` seconds.

    Examples
    --------
    >>> calm = EmotionState.neutral()
    >>> happy = EmotionState({"happiness": 1.0}, 1.0, 0.8, 0.5, 0.3)
    >>> track = EmotionTrack([EmotionSegment(0, 2, "", calm), EmotionSegment(2, None, "", happy)])
    >>> round(track.at(5.0).valence, 2)
    0.8
    """

    segments: list[EmotionSegment] = field(default_factory=list)
    transition: float = 0.4

    @classmethod
    def constant(cls, prompt: str, state: EmotionState) -> EmotionTrack:
        """One prompt for the whole clip."""
        return cls([EmotionSegment(0.0, None, prompt, state)])

    def at(self, t: float) -> EmotionState:
        """The emotion at time ``t``, cross-fading between neighbouring segments."""
        if not self.segments:
            return EmotionState.neutral()
        segs = sorted(self.segments, key=lambda s: s.start)
        current = segs[0]
        for seg in segs:
            if seg.start <= t:
                current = seg
        state = current.state
        idx = segs.index(current)
        if idx > 0 and self.transition > 0:
            w = (t - current.start) / self.transition
            if w < 1.0:
                state = segs[idx - 1].state.blend(current.state, max(0.0, w))
        if current.end is not None and t >= current.end:
            nxt = segs[idx + 1] if idx + 1 < len(segs) else None
            if nxt is None or nxt.start > t:
                w = min(1.0, (t - current.end) / max(self.transition, 1e-6))
                state = state.blend(EmotionState.neutral(), w)
        return state


@dataclass(frozen=True)
class Provenance:
    """How a take was made, so a result can be reproduced and audited.

    Parameters
    ----------
    generator
        Generator name (``"rig"``...).
    version
        Generator version string.
    settings
        The settings that shaped the result (fps, intensity, prompts...).
    seed
        Random seed used for blinks, idle motion and any sampling.
    audio_sha256
        Hash of the source audio.
    """

    generator: str
    version: str
    settings: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    audio_sha256: str = ""


@dataclass
class Take:
    """One generated performance.

    Parameters
    ----------
    curves
        Blendshape, head and eye curves.
    visemes
        The lip-sync timeline.
    emotion
        The emotion track the take was generated with.
    provenance
        How it was made.
    audio_path
        The source audio (exporters mux it into video).
    duration
        Length of the source audio in seconds.
    """

    curves: CurveSet
    visemes: VisemeTrack
    emotion: EmotionTrack
    provenance: Provenance
    audio_path: str = ""
    duration: float = 0.0

    @property
    def fps(self) -> float:
        """Frame rate of the curves."""
        return self.curves.fps

    def pose_at(self, t: float) -> Pose:
        """The pose at time ``t``; preview and export both call this."""
        return self.curves.pose_at(t)
