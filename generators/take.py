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
from renderers.channels import EXPRESSION_CHANNELS, VISEME_CHANNELS
from renderers.pose import Pose

__all__ = [
    "ARKIT_NAMES",
    "CurveSet",
    "EmotionCurves",
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
    visemes
        Optional ``(N, 15)`` viseme shares (:data:`~renderers.channels.VISEME_CHANNELS`
        order), for avatars whose own viseme shapes form the lips.
    speech
        Optional ``(N, 52)``: the lip-sync part of ``weights``.
    expressions
        Optional ``(N, 5)`` expression-preset weights
        (:data:`~renderers.channels.EXPRESSION_CHANNELS` order).

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
    visemes: np.ndarray | None = None
    speech: np.ndarray | None = None
    expressions: np.ndarray | None = None

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
        widths = {"visemes": len(VISEME_CHANNELS), "speech": NUM_SHAPES,
                  "expressions": len(EXPRESSION_CHANNELS)}
        for name, width in widths.items():
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, np.asarray(value, dtype=np.float32).reshape(n, width))

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

        def at(rows: np.ndarray | None) -> np.ndarray | None:
            return None if rows is None else _interp_rows(rows, self.fps, tt)[0]

        return Pose(
            weights=_interp_rows(self.weights, self.fps, tt)[0],
            head_rotation=_interp_rows(self.head_rotation, self.fps, tt)[0],
            eye_rotation=_interp_rows(self.eye_rotation, self.fps, tt)[0],
            visemes=at(self.visemes),
            speech=at(self.speech),
            expressions=at(self.expressions),
        )

    def resample(self, fps: float, num_frames: int | None = None) -> CurveSet:
        """Return the curves at another frame rate, by linear interpolation.

        ``num_frames`` defaults to the frames that cover the same duration.
        """
        n = frame_count(self.duration, fps) if num_frames is None else int(num_frames)
        times = np.arange(n, dtype=np.float64) / fps
        def at(rows: np.ndarray | None) -> np.ndarray | None:
            return None if rows is None else _interp_rows(rows, self.fps, times)

        return CurveSet(
            fps,
            _interp_rows(self.weights, self.fps, times),
            _interp_rows(self.head_rotation, self.fps, times),
            _interp_rows(self.eye_rotation, self.fps, times),
            visemes=at(self.visemes),
            speech=at(self.speech),
            expressions=at(self.expressions),
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
        Each -1..1, 0 neutral: what is felt, whatever the face shows.
    regions
        What a face region shows when it differs from the whole state: ``"upper"`` (brows,
        eyes, cheeks, nose) and/or ``"lower"`` (mouth, jaw) -> the state that region displays
        ("smiling mouth, sad eyes", or a mask such as "trying to hide her fear"). A region not
        listed shows the whole state. Region states carry no regions of their own.
    notes
        How the prompt was understood, one short sentence each (display rules, words read by
        similarity...).
    """

    mixture: dict[str, float] = field(default_factory=lambda: {"neutral": 1.0})
    intensity: float = 0.0
    valence: float = 0.0
    arousal: float = 0.0
    dominance: float = 0.0
    regions: dict[str, EmotionState] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def shown_by(self, region: str) -> EmotionState:
        """The state a face region displays: its own when the prompt gave one, else this one.

        Examples
        --------
        >>> sad = EmotionState({"sadness": 1.0}, 0.6, -0.5, -0.3, -0.3)
        >>> state = EmotionState({"happiness": 0.5, "sadness": 0.5}, 0.6, regions={"upper": sad})
        >>> state.shown_by("upper") is sad, state.shown_by("lower") is state
        (True, True)
        """
        return self.regions.get(region, self)

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
    """An emotion prompt active from ``start`` to ``end`` seconds (``end=None``: to the end).

    ``speed`` (> 0) multiplies how fast the emotion moves to this prompt: 1 normal, above 1
    faster ("suddenly furious"), below 1 slower ("slowly calming down"). ``intensity`` is the
    strength override the prompt was parsed with (``None``: from its words), kept so the
    segment can be saved and parsed again to the same state.
    """

    start: float
    end: float | None
    prompt: str
    state: EmotionState
    speed: float = 1.0
    intensity: float | None = None


@dataclass
class EmotionTrack:
    """Emotion prompts along the timeline, moved between by affective dynamics.

    Each segment's state is a target; the state shown follows the targets as a smoothed,
    inertial system (:func:`generators.emotion.dynamics.affect_trajectory`): a change eases in
    without a velocity jump or overshoot, covering about 90 % of the way in ``transition``
    seconds (faster for a rising expression, slower for a fading one, scaled by each segment's
    ``speed``). Before the first segment the state is the first segment's; after a segment's
    ``end``, when no other segment has started, it fades to neutral.

    The state is a vector of the mixture weights over every emotion the track names, each
    multiplied by its state's intensity (so a fade to neutral lowers the intensity rather than
    renaming the emotion), then intensity, valence, arousal and dominance; the mixture is
    renormalised after smoothing.

    Examples
    --------
    >>> calm = EmotionState.neutral()
    >>> happy = EmotionState({"happiness": 1.0}, 1.0, 0.8, 0.5, 0.3)
    >>> track = EmotionTrack([EmotionSegment(0, 2, "", calm), EmotionSegment(2, None, "", happy)])
    >>> round(track.at(5.0).valence, 2)
    0.8
    >>> 0.0 < track.at(2.1).valence < 0.8
    True
    """

    segments: list[EmotionSegment] = field(default_factory=list)
    transition: float = 0.4

    @classmethod
    def constant(cls, prompt: str, state: EmotionState) -> EmotionTrack:
        """One prompt for the whole clip."""
        return cls([EmotionSegment(0.0, None, prompt, state)])

    _MIX_FLOOR = 1e-3  # weight of a zero-intensity state's mixture, so holding it keeps it
    _MIX_MIN = 1e-6  # mixture shares below this are dropped

    def _keys(
        self, region: str | None
    ) -> tuple[tuple[str, ...], list[tuple[float, np.ndarray, float]]]:
        """Emotion names and the dynamics keys ``(start, vector, speed)`` of the segments."""
        segs = sorted(self.segments, key=lambda s: s.start)
        states = []
        for seg in segs:
            state = seg.state
            shown_by = getattr(state, "shown_by", None)
            if region is not None and shown_by is not None:
                state = shown_by(region)
            states.append(state)
        names: list[str] = []
        for state in states:
            names.extend(n for n in state.mixture if n not in names)
        if "neutral" not in names:
            names.append("neutral")

        def vector(state: EmotionState) -> np.ndarray:
            level = float(state.intensity)
            weight = max(level, self._MIX_FLOOR)
            mix = [float(state.mixture.get(n, 0.0)) * weight for n in names]
            return np.array(
                [*mix, level, float(state.valence), float(state.arousal), float(state.dominance)]
            )

        neutral = vector(EmotionState.neutral())
        keys: list[tuple[float, np.ndarray, float]] = []
        for i, (seg, state) in enumerate(zip(segs, states, strict=True)):
            keys.append((float(seg.start), vector(state), float(seg.speed)))
            nxt = segs[i + 1].start if i + 1 < len(segs) else None
            if seg.end is not None and seg.end > seg.start and (nxt is None or nxt > seg.end):
                keys.append((float(seg.end), neutral, 1.0))
        return tuple(names), keys

    def _path(self, region: str | None) -> tuple[tuple[str, ...], Any]:
        """Names and the prepared dynamics of the segments, cached while they are unchanged.

        The cache holds the segment objects themselves and is used only while the track holds
        the very same ones (segments are frozen) with the same ``transition``.
        """
        from generators.emotion.dynamics import AffectPath

        cache: dict[str | None, tuple[Any, ...]] = self.__dict__.setdefault("_paths", {})
        segs = tuple(self.segments)
        hit = cache.get(region)
        if (
            hit is not None
            and hit[0] == self.transition
            and len(hit[1]) == len(segs)
            and all(a is b for a, b in zip(hit[1], segs, strict=True))
        ):
            return hit[2], hit[3]
        names, keys = self._keys(region)
        path = AffectPath(keys, transition=self.transition)
        cache[region] = (self.transition, segs, names, path)
        return names, path

    def sample(
        self, times: Any, *, region: str | None = None
    ) -> tuple[tuple[str, ...], np.ndarray, np.ndarray, np.ndarray]:
        """The emotion at many instants at once, as arrays.

        Parameters
        ----------
        times
            ``(N,)`` seconds, any order; each value depends only on its own instant.
        region
            Sample what a face region shows (``"upper"``/``"lower"``: each segment's
            ``state.shown_by(region)``) instead of the whole state.

        Returns
        -------
        names : tuple of str
            The emotion names of the mixture columns (every name the track uses, and
            ``"neutral"``).
        mixture : numpy.ndarray
            ``(N, E)`` shares, each row summing to 1.
        intensity : numpy.ndarray
            ``(N,)`` in 0..1.
        vad : numpy.ndarray
            ``(N, 3)`` valence, arousal, dominance in -1..1.

        Raises
        ------
        ValueError
            If ``times`` are not finite, ``transition`` is negative or a segment's speed is
            not > 0.
        """
        t = np.asarray(times, dtype=np.float64).reshape(-1)
        if not self.segments:
            if not np.all(np.isfinite(t)):
                raise ValueError("times must be finite seconds")
            n = t.shape[0]
            return ("neutral",), np.ones((n, 1)), np.zeros(n), np.zeros((n, 3))
        names, path = self._path(region)
        traj = path(t)
        e = len(names)
        mix = np.clip(traj[:, :e], 0.0, None)
        total = mix.sum(axis=1, keepdims=True)
        mix = np.divide(mix, total, out=np.zeros_like(mix), where=total > 0.0)
        mix[mix < self._MIX_MIN] = 0.0
        total = mix.sum(axis=1, keepdims=True)
        empty = total[:, 0] <= 0.0
        mix[empty, names.index("neutral")] = 1.0
        total[empty] = 1.0
        mix /= total
        intensity = np.clip(traj[:, e], 0.0, 1.0)
        vad = np.clip(traj[:, e + 1 : e + 4], -1.0, 1.0)
        return names, mix, intensity, vad

    def states_at(self, times: Any, *, region: str | None = None) -> list[EmotionState]:
        """The emotion at many instants, as states (see :meth:`sample`).

        The states carry mixture, intensity and VAD only (no regions or notes).
        """
        names, mix, intensity, vad = self.sample(times, region=region)
        out = []
        for row, level, (val, aro, dom) in zip(mix.tolist(), intensity.tolist(), vad.tolist(),
                                               strict=True):
            mixture = {n: w for n, w in zip(names, row, strict=True) if w > 0.0}
            mixture = dict(sorted(mixture.items(), key=lambda kv: -kv[1]))
            out.append(
                EmotionState(
                    mixture=mixture, intensity=level, valence=val, arousal=aro, dominance=dom
                )
            )
        return out

    def at(self, t: float) -> EmotionState:
        """The emotion at time ``t`` (the same as ``states_at([t])[0]``)."""
        if not self.segments:
            return EmotionState.neutral()
        return self.states_at([float(t)])[0]


@dataclass(frozen=True, eq=False)
class EmotionCurves:
    """The felt emotion at every frame of a take, as generated (after the emotion track's
    dynamics and the voice).

    Parameters
    ----------
    names
        Emotion names of the mixture columns.
    mixture
        ``(N, E)`` shares, rows summing to 1.
    intensity
        ``(N,)`` 0..1.
    vad
        ``(N, 3)`` valence, arousal, dominance in -1..1.
    """

    names: tuple[str, ...]
    mixture: np.ndarray
    intensity: np.ndarray
    vad: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.intensity)
        if self.mixture.shape != (n, len(self.names)) or self.vad.shape != (n, 3):
            raise ValueError(
                f"emotion curves need mixture ({n}, {len(self.names)}) and vad ({n}, 3), "
                f"got {self.mixture.shape} and {self.vad.shape}"
            )

    @property
    def num_frames(self) -> int:
        """Number of frames."""
        return len(self.intensity)

    def state(self, i: int) -> EmotionState:
        """The state at frame ``i`` (shares below 1e-6 left out, largest first).

        Examples
        --------
        >>> c = EmotionCurves(("neutral", "anger"), np.array([[0.25, 0.75]]), np.array([0.5]),
        ...                   np.array([[-0.4, 0.3, 0.2]]))
        >>> c.state(0).mixture, c.state(0).valence
        ({'anger': 0.75, 'neutral': 0.25}, -0.4)
        """
        row = self.mixture[i]
        mix = {n: float(w) for n, w in zip(self.names, row, strict=True) if w > 1e-6}
        v, a, d = (float(x) for x in self.vad[i])
        return EmotionState(
            dict(sorted(mix.items(), key=lambda kv: -kv[1])), float(self.intensity[i]), v, a, d
        )


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
    emotion_curves
        The felt emotion at every frame as generated (``None``: read it from ``emotion``).
    """

    curves: CurveSet
    visemes: VisemeTrack
    emotion: EmotionTrack
    provenance: Provenance
    audio_path: str = ""
    duration: float = 0.0
    emotion_curves: EmotionCurves | None = None

    def emotion_states(self) -> list[EmotionState]:
        """The felt emotion at every frame of the curves (what exporters write)."""
        n = self.curves.num_frames
        c = self.emotion_curves
        if c is not None and c.num_frames == n:
            return [c.state(i) for i in range(n)]
        if not self.emotion.segments:
            return [EmotionState.neutral()] * n
        return self.emotion.states_at(np.arange(n, dtype=np.float64) / self.curves.fps)

    @property
    def fps(self) -> float:
        """Frame rate of the curves."""
        return self.curves.fps

    def pose_at(self, t: float) -> Pose:
        """The pose at time ``t``; preview and export both call this."""
        return self.curves.pose_at(t)
