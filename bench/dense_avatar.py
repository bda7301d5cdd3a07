"""A dense benchmark avatar: about 50,000 vertices and all 52 ARKit targets.

Built from the synthetic test head at a finer tessellation; each ARKit target is a smooth,
local displacement (a Gaussian patch of the face, like a sculpted blendshape touching a tenth
to a fifth of the head), so the morph stage has real work: the worst case a user's scan or
MetaHuman-density head brings.
"""

from __future__ import annotations

import numpy as np

from renderers.arkit import ARKIT_NAMES
from renderers.avatar import Avatar
from tests.renderers.synthetic import synthetic_avatar

__all__ = ["dense_avatar"]


def dense_avatar(vertices: int = 50_000, seed: int = 0) -> Avatar:
    """A synthetic head of about ``vertices`` vertices with every ARKit target."""
    rows = max(8, int(np.sqrt(vertices / 1.25)))
    avatar = synthetic_avatar(rows=rows, cols=int(rows * 1.25))
    head = avatar.mesh("skin")
    p = head.positions.astype(np.float64)
    lo, hi = p.min(axis=0), p.max(axis=0)
    rng = np.random.default_rng(seed)
    front = p[:, 2] > 0.5 * (lo[2] + hi[2])
    anchors = p[front][rng.choice(int(front.sum()), len(ARKIT_NAMES), replace=False)]
    sigma = 0.12 * float(np.max(hi - lo))
    targets = {}
    for name, centre in zip(ARKIT_NAMES, anchors, strict=True):
        w = np.exp(-np.sum((p - centre) ** 2, axis=1) / (2 * sigma**2))
        w[w < 0.02] = 0.0
        direction = rng.normal(size=3)
        direction *= 0.01 / np.linalg.norm(direction)
        targets[name] = (w[:, None] * direction[None, :]).astype(np.float32)
    head.morph_targets = targets
    avatar.name = "dense"
    return avatar
