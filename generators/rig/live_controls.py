"""The rig's side of the animation controls: scaling the emotion by region and the lip sync.

The other controls are parameters of their passes (``plan_blinks(rate=...)``,
``head_motion(amplitude=...)``, ``gaze_motion(activity=...)``); these two act on whole curve
arrays between passes.

Examples
--------
>>> import numpy as np
>>> from renderers.arkit import ARKIT_INDEX
>>> emo = np.full((2, 52), 0.25, dtype=np.float32)
>>> out = scale_emotion_regions(emo, upper=0.0, lower=2.0)
>>> float(out[0, ARKIT_INDEX["browInnerUp"]]), float(out[0, ARKIT_INDEX["mouthSmileLeft"]])
(0.0, 0.5)
"""

from __future__ import annotations

import numpy as np

from generators.emotion.regions import LOWER_FACE, UPPER_FACE, region_mask
from generators.rig.coarticulation import LipCurves
from generators.rig.visemes import viseme_table

__all__ = ["scale_articulation", "scale_emotion_regions", "scale_viseme_articulation"]

_UPPER = region_mask(UPPER_FACE)
_LOWER = region_mask(LOWER_FACE)


def scale_emotion_regions(emotion: np.ndarray, *, upper: float, lower: float) -> np.ndarray:
    """Scale an emotion's upper-face and lower-face shapes, clipping to 0..1.

    Parameters
    ----------
    emotion
        ``(N, 52)`` emotion weights.
    upper
        Multiplier of brows, eyes, cheeks and nose.
    lower
        Multiplier of mouth and jaw.

    Returns
    -------
    numpy.ndarray
        ``(N, 52)`` weights of ``emotion``'s dtype; ``emotion`` itself when both are 1.
    """
    if upper == 1.0 and lower == 1.0:
        return emotion
    gain = np.where(_UPPER, upper, np.where(_LOWER, lower, 1.0))
    return np.clip(emotion * gain[None, :], 0.0, 1.0).astype(emotion.dtype)


def scale_articulation(lip: LipCurves, amount: float | np.ndarray) -> np.ndarray:
    """Lip-sync weights with the mouth's movement scaled around the rest pose.

    ``rest + amount * (weights - rest)`` on the mouth and jaw shapes, clipped to 0..1. Frames
    held by a bilabial closure (``lip.seal``) keep their closed shape where ``amount`` < 1, so
    p, b and m still close however small the articulation.

    Parameters
    ----------
    lip
        From :func:`~generators.rig.coarticulation.coarticulate`.
    amount
        Articulation multiplier (0: the mouth stays at rest between closures): one for the
        whole clip, or ``(N,)`` one per frame (e.g. the control times
        :func:`~generators.rig.emotion_motion.articulation_gain`).

    Returns
    -------
    numpy.ndarray
        ``(N, 52)`` float32 weights; ``lip.weights`` itself when ``amount`` is 1 (everywhere).

    Raises
    ------
    ValueError
        If a per-frame ``amount`` does not have one value per frame.
    """
    found = _gain(lip, amount)
    if found is None:
        return lip.weights
    gain, below = found
    mouth = _LOWER
    rest = viseme_table()["sil"].weights[mouth]
    w = lip.weights.astype(np.float64)
    scaled = np.clip(rest + gain * (w[:, mouth] - rest), 0.0, 1.0)
    if np.any(below) and lip.seal is not None:
        b = np.asarray(lip.seal, dtype=np.float64)[:, None] * np.asarray(below)[..., None]
        scaled = (1.0 - b) * scaled + b * w[:, mouth]
    w[:, mouth] = scaled
    return w.astype(np.float32)


def scale_viseme_articulation(lip: LipCurves, amount: float | np.ndarray) -> np.ndarray | None:
    """The per-frame viseme shares scaled like :func:`scale_articulation` scales the mouth.

    Every viseme but ``sil`` is scaled by ``amount`` (the rest is the avatar's neutral mouth),
    and frames held by a bilabial closure keep their ``PP`` where ``amount`` < 1.

    Returns
    -------
    numpy.ndarray or None
        ``(N, 15)`` float32 in 0..1; ``None`` when ``lip`` has no viseme shares.

    Examples
    --------
    >>> import numpy as np
    >>> from generators.rig.coarticulation import coarticulate
    >>> from generators.take import PhonemeSegment
    >>> lip = coarticulate([PhonemeSegment("AA", 0.0, 0.5)], np.arange(15) / 30)
    >>> half = scale_viseme_articulation(lip, 0.5)
    >>> bool(np.allclose(half[7], np.clip(lip.visemes[7] * 0.5, 0, 1)))
    True
    """
    if lip.visemes is None:
        return None
    found = _gain(lip, amount)
    if found is None:
        return lip.visemes
    gain, below = found
    v = lip.visemes.astype(np.float64)
    scaled = np.clip(v * gain, 0.0, 1.0)
    scaled[:, 0] = v[:, 0]  # sil: the rest mouth
    if np.any(below) and lip.seal is not None:
        b = np.asarray(lip.seal, dtype=np.float64)[:, None] * np.asarray(below)[..., None]
        scaled = (1.0 - b) * scaled + b * v
    return scaled.astype(np.float32)


def _gain(
    lip: LipCurves, amount: float | np.ndarray
) -> tuple[float | np.ndarray, bool | np.ndarray] | None:
    """``(gain, below)`` for broadcasting over ``(N, K)`` rows, ``None`` when it is 1 everywhere."""
    if np.ndim(amount) == 0:
        value = float(amount)
        return None if value == 1.0 else (value, value < 1.0)
    per_frame = np.asarray(amount, dtype=np.float64).reshape(-1)
    if per_frame.shape[0] != lip.weights.shape[0]:
        raise ValueError(
            f"amount has {per_frame.shape[0]} values for {lip.weights.shape[0]} frames"
        )
    if np.all(per_frame == 1.0):
        return None
    return per_frame[:, None], per_frame < 1.0
