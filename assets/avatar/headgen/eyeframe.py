"""Eye-local angles and the almond-shaped opening the eyelids frame.

Angles are in degrees. ``a`` is the azimuth about the eye's up axis, positive toward the outer
(lateral) corner; ``b`` is the elevation. For the left eye (+X) ``a > 0`` points to +X, for the
right eye to -X.
"""

from __future__ import annotations

import numpy as np

from . import spec
from .meshkit import smoothstep

A_IN, B_IN = spec.EYE_CORNER_IN
A_OUT, B_OUT = spec.EYE_CORNER_OUT

A_MIN = A_IN - 26.0
"""Medial end of the lid shell."""

A_MAX = A_OUT + 24.0
"""Lateral end of the lid shell."""

B_TOP = 66.0
"""Top of the upper lid shell."""

B_BOTTOM = -58.0
"""Bottom of the lower lid shell."""


def eye_centre(sign: int) -> np.ndarray:
    """Eyeball centre of the left (``sign=+1``) or right (``-1``) eye."""
    return spec.EYE_CENTRE_LEFT * np.array([sign, 1.0, 1.0])


def opening_param(a: np.ndarray) -> np.ndarray:
    """0 at the inner corner, 1 at the outer corner (unclamped)."""
    return (a - A_IN) / (A_OUT - A_IN)


def corner_line(a: np.ndarray) -> np.ndarray:
    """Elevation of the straight line through both corners."""
    return B_IN + (B_OUT - B_IN) * opening_param(a)


def _hump(s: np.ndarray, gamma: float, power: float) -> np.ndarray:
    inside = (s > 0) & (s < 1)
    sc = np.clip(s, 0.0, 1.0)
    return np.where(inside, np.sin(np.pi * sc**gamma) ** power, 0.0)


def upper_edge(a: np.ndarray) -> np.ndarray:
    """Elevation of the upper lid edge at rest."""
    return corner_line(a) + spec.UPPER_LID_HEIGHT_DEG * _hump(opening_param(a), 0.85, 0.72)


def lower_edge(a: np.ndarray) -> np.ndarray:
    """Elevation of the lower lid edge at rest."""
    return corner_line(a) - spec.LOWER_LID_DEPTH_DEG * _hump(opening_param(a), 1.25, 0.85)


def closed_edge(a: np.ndarray) -> np.ndarray:
    """Where both lids meet in a blink (a little below the middle of the opening)."""
    lo, up = lower_edge(a), upper_edge(a)
    return lo + 0.3 * (up - lo)


def openness(a: np.ndarray) -> np.ndarray:
    """0 at and beyond the corners, 1 where the opening is taller than a few degrees."""
    return smoothstep(0.0, 5.0, upper_edge(a) - lower_edge(a))


def direction(a: np.ndarray, b: np.ndarray, sign: int) -> np.ndarray:
    """Unit direction from the eyeball centre for eye-local angles."""
    ar, br = np.radians(a), np.radians(b)
    d = np.stack([np.sin(ar) * np.cos(br), np.sin(br), np.cos(ar) * np.cos(br)], axis=-1)
    d[..., 0] *= sign
    return d


def to_angles(p: np.ndarray, sign: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eye-local ``(a, b, radius)`` of points ``p`` (``(N, 3)``)."""
    q = p - eye_centre(sign)
    q[:, 0] *= sign
    r = np.linalg.norm(q, axis=1)
    a = np.degrees(np.arctan2(q[:, 0], q[:, 2]))
    b = np.degrees(np.arcsin(np.clip(q[:, 1] / np.maximum(r, 1e-12), -1.0, 1.0)))
    return a, b, r
