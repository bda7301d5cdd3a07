"""Pack a mesh's driven morph targets into one float texture for the morph vertex shader.

Layout (**mirrored in** ``shaders/morph.vert.glsl``), sparse by vertex: vertex ``v`` owns
entries ``start_v .. start_v + count_v - 1`` (a per-vertex ``ivec2`` attribute), one per
target that moves it, in target order. Entry ``e`` occupies two RGBA32F texels at linear
index ``2 e`` (position delta, target slot as float) and ``2 e + 1`` (normal delta, 0); linear
index ``t`` lives at texel ``(t % TEXTURE_WIDTH, t // TEXTURE_WIDTH)``. The shader therefore
loops only over the targets that touch each vertex.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from renderers.channels import NUM_CHANNELS
from renderers.deform import DrivenTargets

TEXTURE_WIDTH = 4096
"""Texels per row of the morph texture (a power of two; the shader uses shifts)."""

MAX_TARGETS = NUM_CHANNELS
"""Most driven targets one mesh may have (one per driven channel); size of the weight uniform."""


@dataclass(frozen=True)
class MorphPack:
    """A mesh's driven morph targets, packed for upload.

    Attributes
    ----------
    texels
        ``(rows, TEXTURE_WIDTH, 4)`` float32 texture data (at least one row).
    entries
        ``(V, 2)`` int32 ``(start, count)`` of each vertex's entries.
    """

    texels: np.ndarray
    entries: np.ndarray

    @property
    def entry_count(self) -> int:
        """Number of (vertex, target) pairs stored."""
        return int(self.entries[:, 1].sum())


def pack_morph_targets(targets: DrivenTargets) -> MorphPack:
    """Pack ``targets`` (see the module docstring for the layout).

    Raises
    ------
    ValueError
        When there are more than :data:`MAX_TARGETS` targets.
    """
    count, vertices = targets.positions.shape[:2]
    if count > MAX_TARGETS:
        raise ValueError(f"at most {MAX_TARGETS} driven targets per mesh, got {count}")
    moves = np.any(targets.positions != 0, axis=2) | np.any(targets.normals != 0, axis=2)
    vertex, slot = np.nonzero(moves.T)  # vertex-major, then target order
    per_vertex = np.bincount(vertex, minlength=vertices)
    starts = np.concatenate([[0], np.cumsum(per_vertex)[:-1]])
    rows = max(1, -(-2 * len(vertex) // TEXTURE_WIDTH))
    flat = np.zeros((rows * TEXTURE_WIDTH, 4), dtype=np.float32)
    pairs = flat[: 2 * len(vertex)].reshape(-1, 2, 4)
    pairs[:, 0, :3] = targets.positions[slot, vertex]
    pairs[:, 0, 3] = slot
    pairs[:, 1, :3] = targets.normals[slot, vertex]
    return MorphPack(
        texels=flat.reshape(rows, TEXTURE_WIDTH, 4),
        entries=np.stack([starts, per_vertex], axis=1).astype(np.int32),
    )
