"""The rig generator's emotion stage: emotion curves over time, and layering them with lip sync.

Two functions, called by the rig pipeline:

* :func:`emotion_curves` turns an :class:`~generators.take.EmotionTrack` into ARKit-52 curves,
  with a slow, seeded "life" variation so a held emotion never looks frozen;
* :func:`combine_with_lipsync` layers those curves over the lip-sync curves: the upper face takes
  the emotion freely, the mouth and jaw give speech priority and never break a lip closure.
"""

from __future__ import annotations

import numpy as np

from generators.emotion.facs import expression_weights
from generators.emotion.intensity import check_intensity
from generators.emotion.life import life_modulation
from generators.emotion.regions import LOWER_FACE, UPPER_FACE, region_index, region_mask
from generators.rig.emotion_frames import EmotionFrames, emotion_frames
from generators.take import EmotionTrack
from renderers.arkit import ARKIT_INDEX, ARKIT_NAMES, NUM_SHAPES

__all__ = [
    "CLOSURE_FULL",
    "LIFE_AMPLITUDE",
    "LIP_PARTING",
    "SPEECH_LAYER_GAIN",
    "combine_with_lipsync",
    "emotion_curves",
]

LIFE_AMPLITUDE: float = 0.08
"""Largest relative drift of a held expression's intensity (+-8 %)."""

SPEECH_LAYER_GAIN: dict[str, float] = {
    "mouthSmileLeft": 0.6,
    "mouthSmileRight": 0.6,
    "mouthFrownLeft": 0.6,
    "mouthFrownRight": 0.6,
    "mouthDimpleLeft": 0.6,
    "mouthDimpleRight": 0.6,
    "mouthStretchLeft": 0.35,
    "mouthStretchRight": 0.35,
    "mouthShrugLower": 0.3,
    "mouthShrugUpper": 0.3,
}
"""Mouth shapes that coexist with speech, and the share of the emotion they keep while talking.

Every other mouth and jaw shape (jawOpen, mouthClose, mouthFunnel, mouthPucker, mouthPress,
mouthRoll*, mouthLowerDown*, mouthUpperUp*, mouthLeft/Right, tongueOut...) would fight the visemes:
during speech it comes from lip sync alone."""

LIP_PARTING: tuple[str, ...] = (
    "jawOpen",
    "mouthFunnel",
    "mouthLowerDownLeft",
    "mouthLowerDownRight",
    "mouthUpperUpLeft",
    "mouthUpperUpRight",
)
"""Shapes that would part the lips; emotion never adds them during a lip closure (p, b, m)."""

CLOSURE_FULL: float = 0.15
"""Lip-sync ``mouthClose`` at or above which the lips always count as fully closed.

They also count as closed when ``mouthClose`` reaches lip sync's own ``jawOpen`` (ARKit's
mouthClose seals the lips against an open jaw), but never below ``_CLOSE_FLOOR`` (0.05), so a
trace of mouthClose at rest does not block the emotion's mouth."""

_CLOSE_FLOOR: float = 0.05

_UPPER = region_mask(UPPER_FACE)
_LOWER = region_mask(LOWER_FACE)
_GAIN = np.array([SPEECH_LAYER_GAIN.get(n, 0.0) for n in ARKIT_NAMES])
_COEXIST = _GAIN > 0
_CONFLICT = _LOWER & ~_COEXIST
_PARTING = np.isin(np.array(ARKIT_NAMES), LIP_PARTING)
_REGION_COL = region_index()


def emotion_curves(
    track: EmotionTrack,
    times: np.ndarray,
    intensity: float,
    *,
    seed: int = 0,
    frames: EmotionFrames | None = None,
) -> np.ndarray:
    """The emotion expression over time, as ARKit-52 curves.

    Parameters
    ----------
    track
        Emotion prompts along the timeline; sampled with ``track.sample(times)`` (affective
        dynamics between neighbouring segments).
    times
        ``(N,)`` frame times in seconds (``i / fps``).
    intensity
        Global emotion intensity 0..1 (the take's slider); scales the whole expression.
    seed
        Seed of the slow "life" variation (+-8 % of the expression, per face region, a pure
        function of time): same seed, same curves.
    frames
        The per-frame emotion already sampled from ``track`` (with the voice blended in), from
        :func:`~generators.rig.emotion_frames.emotion_frames`; sampled here when ``None``. The
        upper face shows its own state and the lower face its own (regional prompts, display
        rules), each with its own VAD (a mask does not take on the hidden emotion's tone).

    Returns
    -------
    numpy.ndarray
        ``(N, 52)`` float32 weights in 0..1, columns in ``ARKIT_NAMES`` order.

    Raises
    ------
    PromptError
        If ``intensity`` is not in 0..1 or the track names an unknown emotion.
    ValueError
        If ``times`` is not a 1-D array of finite numbers.

    Examples
    --------
    >>> from generators.emotion import parse_prompt
    >>> from generators.take import EmotionTrack
    >>> from renderers.arkit import ARKIT_INDEX
    >>> track = EmotionTrack.constant("happy", parse_prompt("happy"))
    >>> curves = emotion_curves(track, np.arange(90) / 30, 1.0)
    >>> curves.shape, curves.dtype.name
    ((90, 52), 'float32')
    >>> bool(curves[:, ARKIT_INDEX["mouthSmileLeft"]].min() > 0.5)
    True
    """
    gain = check_intensity(intensity)
    t = np.asarray(times, dtype=np.float64)
    if t.ndim != 1 or not np.all(np.isfinite(t)):
        raise ValueError("times must be a 1-D array of finite seconds")
    if t.size == 0:
        return np.zeros((0, NUM_SHAPES), dtype=np.float32)
    if frames is None:
        frames = emotion_frames(track, t)
    upper = expression_weights(*frames.upper).astype(np.float64)
    lower = expression_weights(*frames.lower).astype(np.float64)
    expr = np.where(_UPPER[None, :], upper, lower)
    life = life_modulation(t, seed=seed, amplitude=LIFE_AMPLITUDE)[:, _REGION_COL]
    return np.clip(expr * life * gain, 0.0, 1.0).astype(np.float32)


def _check_rows(name: str, a: np.ndarray, n: int | None) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != NUM_SHAPES or (n is not None and a.shape[0] != n):
        want = f"({n if n is not None else 'N'}, {NUM_SHAPES})"
        raise ValueError(f"{name} must have shape {want}, got {a.shape}")
    return a


def combine_with_lipsync(
    lip: np.ndarray, emotion: np.ndarray, mouth_activity: np.ndarray
) -> np.ndarray:
    """Layer emotion curves over lip-sync curves, speech keeping priority on the mouth.

    Rules, per frame, with ``a`` = mouth activity (1 while speaking, 0 in silence):

    * upper face (brows, eyes, cheeks, nose): ``lip + emotion`` (emotion shows fully, even while
      speaking);
    * mouth shapes that coexist with speech (:data:`SPEECH_LAYER_GAIN`: smile, frown, dimple,
      and partly stretch and shrug): ``lip + g * emotion`` with ``g`` going from 1 in silence to
      the shape's gain while speaking;
    * the other mouth and jaw shapes, which would fight the visemes: lip sync, raised toward the
      emotion only as ``a`` falls (``lip + (1 - a) * max(emotion - lip, 0)``), so the emotion's
      mouth shows fully in silence;
    * closures: while lip sync seals the lips (``mouthClose`` >= its ``jawOpen`` or
      >= :data:`CLOSURE_FULL`, fading in below that) the emotion adds none of the lip-parting
      shapes (:data:`LIP_PARTING`: jawOpen, mouthFunnel, mouthLowerDown, mouthUpperUp), so p/b/m
      closures are never broken;
    * everything is clipped to 0..1.

    Parameters
    ----------
    lip
        ``(N, 52)`` lip-sync weights.
    emotion
        ``(N, 52)`` emotion weights (from :func:`emotion_curves`).
    mouth_activity
        ``(N,)`` speech activity 0..1 (values outside are clipped).

    Returns
    -------
    numpy.ndarray
        ``(N, 52)`` float32 weights in 0..1.

    Raises
    ------
    ValueError
        If the shapes do not match.

    Examples
    --------
    >>> from renderers.arkit import ARKIT_INDEX
    >>> lip = np.zeros((1, 52)); lip[0, ARKIT_INDEX["mouthClose"]] = 1.0
    >>> emo = np.zeros((1, 52)); emo[0, ARKIT_INDEX["jawOpen"]] = 0.6
    >>> emo[0, ARKIT_INDEX["browInnerUp"]] = 0.5
    >>> out = combine_with_lipsync(lip, emo, np.array([0.0]))
    >>> float(out[0, ARKIT_INDEX["jawOpen"]]), float(out[0, ARKIT_INDEX["browInnerUp"]])
    (0.0, 0.5)
    """
    lip_a = _check_rows("lip", lip, None)
    n = lip_a.shape[0]
    emo = np.clip(_check_rows("emotion", emotion, n), 0.0, 1.0)
    act = np.asarray(mouth_activity, dtype=np.float64).reshape(-1)
    if act.shape[0] != n:
        raise ValueError(f"mouth_activity must have shape ({n},), got {act.shape}")
    act = np.clip(np.nan_to_num(act, nan=1.0), 0.0, 1.0)[:, None]
    lip_a = np.clip(lip_a, 0.0, 1.0)

    out = lip_a.copy()
    out[:, _UPPER] = lip_a[:, _UPPER] + emo[:, _UPPER]

    gain = 1.0 - act * (1.0 - _GAIN[_COEXIST][None, :])
    out[:, _COEXIST] = lip_a[:, _COEXIST] + gain * emo[:, _COEXIST]

    raise_by = (1.0 - act) * np.maximum(emo[:, _CONFLICT] - lip_a[:, _CONFLICT], 0.0)
    close = lip_a[:, ARKIT_INDEX["mouthClose"]]
    sealed_at = np.minimum(CLOSURE_FULL, np.maximum(lip_a[:, ARKIT_INDEX["jawOpen"]], _CLOSE_FLOOR))
    closure = np.clip(close / sealed_at, 0.0, 1.0)[:, None]
    raise_by = raise_by * np.where(_PARTING[_CONFLICT][None, :], 1.0 - closure, 1.0)
    out[:, _CONFLICT] = lip_a[:, _CONFLICT] + raise_by

    return np.clip(out, 0.0, 1.0).astype(np.float32)
