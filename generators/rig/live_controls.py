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

__all__ = ["scale_articulation", "scale_emotion_regions"]

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


def scale_articulation(lip: LipCurves, amount: float) -> np.ndarray:
    """Lip-sync weights with the mouth's movement scaled around the rest pose.

    ``rest + amount * (weights - rest)`` on the mouth and jaw shapes, clipped to 0..1. Frames
    held by a bilabial closure (``lip.seal``) keep their closed shape when ``amount`` < 1, so
    p, b and m still close however small the articulation.

    Parameters
    ----------
    lip
        From :func:`~generators.rig.coarticulation.coarticulate`.
    amount
        Articulation multiplier (0: the mouth stays at rest between closures).

    Returns
    -------
    numpy.ndarray
        ``(N, 52)`` float32 weights; ``lip.weights`` itself when ``amount`` is 1.
    """
    if amount == 1.0:
        return lip.weights
    mouth = _LOWER
    rest = viseme_table()["sil"].weights[mouth]
    w = lip.weights.astype(np.float64)
    scaled = np.clip(rest + float(amount) * (w[:, mouth] - rest), 0.0, 1.0)
    if amount < 1.0 and lip.seal is not None:
        b = np.asarray(lip.seal, dtype=np.float64)[:, None]
        scaled = (1.0 - b) * scaled + b * w[:, mouth]
    w[:, mouth] = scaled
    return w.astype(np.float32)
