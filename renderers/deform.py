"""Numpy reference of the GPU deformation: morph targets, then eye gaze, then head rotation.

The renderer's vertex stage computes exactly this (in float32); tests compare the two.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from renderers.arkit import ARKIT_INDEX
from renderers.avatar import AvatarMesh
from renderers.pose import Pose
from renderers.rigid import mesh_matrix

NORMAL_DELTA_EPS = 1e-6
"""Normal-delta components smaller than this are treated as zero (float noise)."""


def vertex_normals(positions: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Return area-weighted, unit-length vertex normals of a triangle mesh.

    Parameters
    ----------
    positions
        ``(V, 3)`` vertex positions.
    indices
        ``(T, 3)`` triangle vertex indices (counter-clockwise front faces).

    Returns
    -------
    numpy.ndarray
        ``(V, 3)`` float64 normals; vertices used by no triangle get ``(0, 0, 0)``.
    """
    p = np.asarray(positions, dtype=np.float64)
    tri = np.asarray(indices, dtype=np.int64).reshape(-1, 3)
    face = np.cross(p[tri[:, 1]] - p[tri[:, 0]], p[tri[:, 2]] - p[tri[:, 0]])
    flat = tri.reshape(-1)
    n = np.empty_like(p)
    for axis in range(3):
        n[:, axis] = np.bincount(flat, weights=np.repeat(face[:, axis], 3), minlength=len(p))
    length = np.linalg.norm(n, axis=1, keepdims=True)
    return np.divide(n, length, out=np.zeros_like(n), where=length > 0)


def target_normal_deltas(mesh: AvatarMesh) -> dict[str, np.ndarray]:
    """Return per-target normal deltas: normals of the fully applied target minus rest normals.

    Computed once at load from the mesh topology; the renderer adds ``weight * delta`` to the
    mesh's own rest normals and renormalises, an approximation that is exact at weight 0 and
    close for single targets at weight 1.

    Returns
    -------
    dict
        Target name -> ``(V, 3)`` float32 deltas (components below :data:`NORMAL_DELTA_EPS`
        are zeroed).
    """
    if not mesh.morph_targets:
        return {}
    rest = vertex_normals(mesh.positions, mesh.indices)
    out: dict[str, np.ndarray] = {}
    for name, delta in mesh.morph_targets.items():
        dn = vertex_normals(mesh.positions + delta, mesh.indices) - rest
        dn[np.abs(dn) < NORMAL_DELTA_EPS] = 0.0
        out[name] = dn.astype(np.float32)
    return out


def arkit_weights(mesh: AvatarMesh, pose: Pose) -> dict[str, float]:
    """Return the weight of each of the mesh's targets: ARKit names from the pose, others 0."""
    return {
        name: float(pose.weights[ARKIT_INDEX[name]]) if name in ARKIT_INDEX else 0.0
        for name in mesh.morph_targets
    }


def morph(
    mesh: AvatarMesh,
    weights: Mapping[str, float],
    normal_deltas: Mapping[str, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Apply morph targets (no rigid transform).

    Parameters
    ----------
    mesh
        The mesh.
    weights
        Target name -> weight; missing names count as 0.
    normal_deltas
        From :func:`target_normal_deltas`; computed when ``None``.

    Returns
    -------
    tuple of numpy.ndarray
        ``(positions, normals)``, both ``(V, 3)`` float32; normals unit length.
    """
    if normal_deltas is None:
        normal_deltas = target_normal_deltas(mesh)
    p = mesh.positions.astype(np.float32).copy()
    n = mesh.normals.astype(np.float32).copy()
    for name, delta in mesh.morph_targets.items():
        w = np.float32(weights.get(name, 0.0))
        if w == 0.0:
            continue
        p += w * delta.astype(np.float32)
        if name in normal_deltas:
            n += w * normal_deltas[name]
    return p, _normalize(n)


def deform_mesh(mesh: AvatarMesh, pose: Pose, head_pivot: np.ndarray) -> np.ndarray:
    """Return the mesh's deformed vertex positions for a pose.

    Morph targets named after ARKit shapes take their weight from ``pose.weights``; other
    targets stay at 0. Eye meshes then rotate about their pivot by the pose's gaze, and every
    mesh rotates about ``head_pivot`` by the head rotation.

    Parameters
    ----------
    mesh
        The mesh, in avatar space.
    pose
        The pose.
    head_pivot
        The avatar's head pivot (``Avatar.head_pivot``).

    Returns
    -------
    numpy.ndarray
        ``(V, 3)`` float32 positions in avatar space.
    """
    return deform_mesh_with_normals(mesh, pose, head_pivot)[0]


def deform_mesh_with_normals(
    mesh: AvatarMesh,
    pose: Pose,
    head_pivot: np.ndarray,
    normal_deltas: Mapping[str, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`deform_mesh` but also return the deformed unit normals ``(V, 3)``."""
    p, n = morph(mesh, arkit_weights(mesh, pose), normal_deltas)
    m = mesh_matrix(mesh, pose, head_pivot).astype(np.float32)
    positions = p @ m[:3, :3].T + m[:3, 3]
    normals = _normalize(n @ m[:3, :3].T)
    return positions.astype(np.float32), normals


def _normalize(v: np.ndarray) -> np.ndarray:
    length = np.linalg.norm(v, axis=1, keepdims=True)
    return np.divide(v, length, out=np.zeros_like(v), where=length > 0).astype(np.float32)
