"""Face regions of the ARKit-52 shapes: brows, eyes, cheeks, nose, mouth, jaw.

Used for per-region breakdowns (``affect-studio emotion --json``), per-region emotion, and the
lip-sync priority rules (the upper face takes emotion freely, the mouth and jaw belong to speech).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from renderers.arkit import ARKIT_INDEX, ARKIT_NAMES, NUM_SHAPES

__all__ = [
    "LOWER_FACE",
    "REGIONS",
    "REGION_NAMES",
    "REGION_OF",
    "UPPER_FACE",
    "region_breakdown",
    "region_index",
    "region_mask",
]


def _prefixed(*prefixes: str) -> tuple[str, ...]:
    return tuple(n for n in ARKIT_NAMES if n.startswith(prefixes))


REGIONS: dict[str, tuple[str, ...]] = {
    "brows": _prefixed("brow"),
    "eyes": _prefixed("eye"),
    "cheeks": _prefixed("cheek"),
    "nose": _prefixed("nose"),
    "mouth": _prefixed("mouth", "tongue"),
    "jaw": _prefixed("jaw"),
}
"""Region -> the ARKit names in it (each name in exactly one region, Apple order within)."""

REGION_NAMES: tuple[str, ...] = tuple(REGIONS)
"""The regions, top of the face first."""

UPPER_FACE: tuple[str, ...] = ("brows", "eyes", "cheeks", "nose")
"""Regions that emotion drives freely, even during speech."""

LOWER_FACE: tuple[str, ...] = ("mouth", "jaw")
"""Regions shared with lip sync (speech has priority there)."""

REGION_OF: dict[str, str] = {name: region for region, names in REGIONS.items() for name in names}
"""ARKit name -> its region."""

assert len(REGION_OF) == NUM_SHAPES, "every ARKit shape must belong to exactly one region"


def region_index() -> np.ndarray:
    """``(52,)`` int array: the position in :data:`REGION_NAMES` of each shape's region.

    Examples
    --------
    >>> REGION_NAMES[region_index()[ARKIT_INDEX["jawOpen"]]]
    'jaw'
    """
    return np.array([REGION_NAMES.index(REGION_OF[n]) for n in ARKIT_NAMES], dtype=np.int64)


def region_mask(regions: str | Iterable[str]) -> np.ndarray:
    """``(52,)`` bool mask of the shapes in one or several regions.

    Examples
    --------
    >>> int(region_mask("brows").sum()), int(region_mask(UPPER_FACE).sum())
    (5, 24)
    """
    wanted = {regions} if isinstance(regions, str) else set(regions)
    unknown = wanted - set(REGIONS)
    if unknown:
        raise ValueError(f"unknown face region(s) {sorted(unknown)}; use {list(REGION_NAMES)}")
    return np.array([REGION_OF[n] in wanted for n in ARKIT_NAMES], dtype=bool)


def region_breakdown(weights: np.ndarray, threshold: float = 1e-3) -> dict[str, dict]:
    """How much each face region is affected by a ``(52,)`` expression.

    Parameters
    ----------
    weights
        ARKit-52 weights.
    threshold
        Shapes below it are not listed.

    Returns
    -------
    dict
        Region -> ``{"amount": max weight in the region, "shapes": {name: weight}}`` (shapes
        strongest first), for every region in :data:`REGION_NAMES` order.

    Examples
    --------
    >>> w = np.zeros(52); w[ARKIT_INDEX["browInnerUp"]] = 0.6
    >>> region_breakdown(w)["brows"]
    {'amount': 0.6, 'shapes': {'browInnerUp': 0.6}}
    """
    w = np.asarray(weights, dtype=np.float64).reshape(NUM_SHAPES)
    out: dict[str, dict] = {}
    for region, names in REGIONS.items():
        vals = {n: float(w[ARKIT_INDEX[n]]) for n in names}
        shapes = {n: v for n, v in sorted(vals.items(), key=lambda kv: -kv[1]) if v >= threshold}
        out[region] = {"amount": max(vals.values()), "shapes": shapes}
    return out
