"""Open the skin over the eyes.

The skull field wraps each eye in a sphere just inside the eyelid shell, so around the eye the
skin lies under the lids and the lids show on top; where the face rises (brow, nose side) the
skin climbs over the shell and that line reads as the lid fold. This module cuts away, along a
smooth curve, the skin that lies under the shell over the largest eye opening (every place the
lid edges can retract to with eyeWide or gaze), so the eyeball shows there.
"""

from __future__ import annotations

import numpy as np

from . import eyeframe as ef
from . import spec
from .meshkit import Piece, clip

UPPER_TRAVEL_DEG = 13.0
"""Most the upper lid edge may retract above rest (middle of the lid)."""

LOWER_TRAVEL_DEG = 7.0
"""Most the lower lid edge may drop below rest (middle of the lid)."""

MARGIN_DEG = 2.0
"""Extra opening beyond the travel, hidden under the lids."""


def travel_profile(a: np.ndarray) -> np.ndarray:
    """0..1 along the opening: how much of the full lid travel a column may use."""
    s = np.clip(ef.opening_param(a), 0.0, 1.0)
    return np.sin(np.pi * s) ** 0.8


def in_opening(a: np.ndarray, b: np.ndarray, margin: float = MARGIN_DEG) -> np.ndarray:
    """Whether eye-local directions lie inside the largest eye opening (plus ``margin``)."""
    k = travel_profile(a)
    up = ef.upper_edge(a) + UPPER_TRAVEL_DEG * k + margin
    lo = ef.lower_edge(a) - LOWER_TRAVEL_DEG * k - margin
    return (a > ef.A_IN - 1.0) & (a < ef.A_OUT + 1.0) & (b < up) & (b > lo)


CUT_ABOVE_LID = -0.0001
"""Skin closer to the eyeball centre than the lid radius plus this is cut over the opening.

Negative: only skin tucked under the lids goes, so the cut edge always hides beneath them.
"""


def opening_value(pos: np.ndarray) -> np.ndarray:
    """Positive where skin stays, negative over the eye openings (smooth, for clipping)."""
    val = np.full(pos.shape[0], 1.0)
    for sign in (1, -1):
        a, b, r = ef.to_angles(pos, sign)
        k = travel_profile(a)
        up = ef.upper_edge(a) + UPPER_TRAVEL_DEG * k + MARGIN_DEG
        lo = ef.lower_edge(a) - LOWER_TRAVEL_DEG * k - MARGIN_DEG
        out_deg = np.maximum(np.maximum(b - up, lo - b),
                             np.maximum(ef.A_IN + 0.5 - a, a - ef.A_OUT + 0.5))
        out_deg = np.where(pos[:, 2] < ef.eye_centre(sign)[2], 90.0, out_deg)
        v = np.maximum(r - (spec.LID_RADIUS + CUT_ABOVE_LID), out_deg * 0.00027)
        val = np.minimum(val, v)
    return val


def cut_openings(skin: Piece) -> tuple[Piece, np.ndarray]:
    """Cut the skin away in front of the eyeballs along a smooth curve.

    Returns the new skin and, per old vertex, its new index (-1 where it was removed).
    """
    value = opening_value(skin.positions)
    pos, tris, source, weight = clip(skin.positions, skin.triangles, value)
    w = weight[:, None]
    colors = skin.colors[source[:, 0]] * (1 - w) + skin.colors[source[:, 1]] * w
    attrs = {}
    for key, arr in skin.attrs.items():
        if key == "side":
            kept = np.where(value[source[:, 0]] > 0, source[:, 0], source[:, 1])
            attrs[key] = arr[kept]
        else:
            attrs[key] = arr[source[:, 0]] * (1 - weight) + arr[source[:, 1]] * weight
    kept = np.where(value[source[:, 0]] > 0, source[:, 0], source[:, 1])
    piece = Piece(pos, tris, colors, skin.kind, tag=skin.tag[kept], attrs=attrs)
    old_to_new = np.full(skin.count, -1, dtype=np.int64)
    orig = source[:, 0] == source[:, 1]
    old_to_new[source[orig, 0]] = np.flatnonzero(orig)
    return piece, old_to_new
