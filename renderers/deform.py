"""Numpy reference of the GPU deformation: morph targets, then eye gaze, then head rotation.

The renderer's morph stage (``shaders/morph.vert.glsl``) computes exactly this in float32
from the same :class:`DrivenTargets`; tests compare the two.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from renderers.avatar import AvatarMesh
from renderers.channel_drive import ChannelDrive
from renderers.channels import CHANNEL_INDEX
from renderers.pose import Pose
from renderers.rigid import mesh_matrix

MORPH_EPSILON = 1e-6
"""Position deltas shorter than this (metres, 1 micron) are dropped: far below a pixel, and
dropping them makes the GPU skip most vertex/target pairs of real blendshape sets."""

NORMAL_EPSILON = 1e-6
"""Normal-delta components smaller than this are float noise and set to zero."""


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
    return _unit(_normal_sums(p, tri, len(p)))


def _face_normals(p: np.ndarray, tri: np.ndarray) -> np.ndarray:
    """Area-weighted (unnormalised) triangle normals."""
    return np.cross(p[tri[:, 1]] - p[tri[:, 0]], p[tri[:, 2]] - p[tri[:, 0]])


def _normal_sums(p: np.ndarray, tri: np.ndarray, count: int) -> np.ndarray:
    """Per vertex, the sum of the area-weighted normals of its triangles."""
    face = _face_normals(p, tri)
    flat = tri.reshape(-1)
    n = np.empty((count, 3), dtype=np.float64)
    for axis in range(3):
        n[:, axis] = np.bincount(flat, weights=np.repeat(face[:, axis], 3), minlength=count)
    return n


def _unit(n: np.ndarray) -> np.ndarray:
    length = np.linalg.norm(n, axis=1, keepdims=True)
    return np.divide(n, length, out=np.zeros_like(n), where=length > 0)


def _target_normal_delta(
    rest_p: np.ndarray, tri: np.ndarray, rest_sums: np.ndarray, rest_n: np.ndarray, d: np.ndarray
) -> np.ndarray:
    """Normals of ``rest_p + d`` minus the rest normals, recomputing only touched triangles.

    Equal to ``vertex_normals(rest_p + d) - vertex_normals(rest_p)``, but a blendshape moves a
    few percent of a face, so only the triangles with a moved corner are recomputed.
    """
    moved = np.any(d != 0.0, axis=1)
    faces = tri[moved[tri].any(axis=1)]
    out = np.zeros_like(rest_n)
    if len(faces) == 0:
        return out
    change = _face_normals(rest_p + d, faces) - _face_normals(rest_p, faces)
    verts = np.unique(faces)
    local = np.searchsorted(verts, faces).reshape(-1)
    sums = rest_sums[verts].copy()
    for axis in range(3):
        sums[:, axis] += np.bincount(local, np.repeat(change[:, axis], 3), minlength=len(verts))
    out[verts] = _unit(sums) - rest_n[verts]
    return out


@dataclass(frozen=True)
class DrivenTargets:
    """The morph targets of one mesh that a :class:`~renderers.pose.Pose` can drive.

    Only targets named after a driven channel are kept (ARKit-52, visemes, expression presets:
    :mod:`renderers.channels`; other names are never driven, so they stay at 0);
    an eyeball with a pivot turns rigidly by ``Pose.eye_rotation``, so its own ``eyeLook*``
    targets (kept in the file for DCC tools) are not driven as well, which would turn it twice;
    position deltas shorter than :data:`MORPH_EPSILON` are dropped, and each target carries
    the normal delta it causes (normals of the fully applied target minus rest normals).

    Attributes
    ----------
    names
        Target names, in the mesh's order.
    channel_index
        ``(T,)`` index of each target in :data:`~renderers.channels.CHANNEL_NAMES`.
    positions
        ``(T, V, 3)`` float32 position deltas.
    normals
        ``(T, V, 3)`` float32 normal deltas.
    """

    names: tuple[str, ...]
    channel_index: np.ndarray
    positions: np.ndarray
    normals: np.ndarray

    @classmethod
    def from_mesh(cls, mesh: AvatarMesh) -> DrivenTargets:
        """Collect, prune and derive normal deltas for ``mesh``'s driven targets."""
        v = mesh.vertex_count
        names, positions, normals = [], [], []
        rest = None
        for name, delta in mesh.morph_targets.items():
            if name not in CHANNEL_INDEX or _gaze_is_rigid(mesh, name):
                continue
            d = np.array(delta, dtype=np.float32).reshape(v, 3)
            d[np.linalg.norm(d, axis=1) < MORPH_EPSILON] = 0.0
            if not d.any():
                continue
            if rest is None:
                rest_p = np.asarray(mesh.positions, dtype=np.float64)
                tri = np.asarray(mesh.indices, dtype=np.int64).reshape(-1, 3)
                rest_sums = _normal_sums(rest_p, tri, v)
                rest = _unit(rest_sums)
            dn = _target_normal_delta(rest_p, tri, rest_sums, rest, d.astype(np.float64))
            dn[np.abs(dn) < NORMAL_EPSILON] = 0.0
            names.append(name)
            positions.append(d)
            normals.append(dn.astype(np.float32))
        empty = np.zeros((0, v, 3), dtype=np.float32)
        return cls(
            names=tuple(names),
            channel_index=np.array([CHANNEL_INDEX[n] for n in names], dtype=np.int64),
            positions=np.stack(positions) if positions else empty,
            normals=np.stack(normals) if normals else empty.copy(),
        )

    def weights(self, pose: Pose, drive: ChannelDrive | None = None) -> np.ndarray:
        """``(T,)`` float32 weight of each target in ``pose``.

        ``drive`` is the avatar's :class:`~renderers.channel_drive.ChannelDrive`; ``None``
        derives one from this mesh's own targets.
        """
        if drive is None:
            drive = ChannelDrive.for_targets(self.names)
        return self.select(drive.weights(pose))

    def select(self, channels: np.ndarray) -> np.ndarray:
        """``(T,)`` float32 weight of each target from all ``(72,)`` channel weights."""
        return np.asarray(channels, dtype=np.float32)[self.channel_index]


def _gaze_is_rigid(mesh: AvatarMesh, name: str) -> bool:
    return (
        name.startswith("eyeLook")
        and mesh.part in ("eye_left", "eye_right")
        and mesh.pivot is not None
    )


def morph(
    mesh: AvatarMesh, weights: np.ndarray, targets: DrivenTargets
) -> tuple[np.ndarray, np.ndarray]:
    """Blend the targets into the rest pose (no rigid transform).

    Parameters
    ----------
    mesh
        The mesh.
    weights
        ``(T,)`` weight of each of ``targets``.
    targets
        From :meth:`DrivenTargets.from_mesh`.

    Returns
    -------
    tuple of numpy.ndarray
        ``(positions, normals)``, both ``(V, 3)`` float32; normals unit length.
    """
    p = mesh.positions.astype(np.float32).copy()
    n = mesh.normals.astype(np.float32).copy()
    for t, w in enumerate(np.asarray(weights, dtype=np.float32)):
        if w != 0.0:
            p += w * targets.positions[t]
            n += w * targets.normals[t]
    return p, _normalize(n)


def deform_mesh(
    mesh: AvatarMesh,
    pose: Pose,
    head_pivot: np.ndarray,
    targets: DrivenTargets | None = None,
    drive: ChannelDrive | None = None,
) -> np.ndarray:
    """Return the mesh's deformed vertex positions for a pose.

    Morph targets named after driven channels take their weight from the pose through
    ``drive`` (:mod:`renderers.channel_drive`); other targets stay at 0. Eye meshes then
    rotate about their pivot by the pose's gaze, and every mesh rotates about ``head_pivot`` by
    the head rotation.

    Parameters
    ----------
    mesh
        The mesh, in avatar space.
    pose
        The pose.
    head_pivot
        The avatar's head pivot (``Avatar.head_pivot``).
    targets
        ``DrivenTargets.from_mesh(mesh)``, to reuse across calls (computed when ``None``).
    drive
        The avatar's ``ChannelDrive.for_avatar(avatar)``; ``None`` derives one from this
        mesh's targets alone.

    Returns
    -------
    numpy.ndarray
        ``(V, 3)`` float32 positions in avatar space.
    """
    return deform_mesh_with_normals(mesh, pose, head_pivot, targets, drive)[0]


def deform_mesh_with_normals(
    mesh: AvatarMesh,
    pose: Pose,
    head_pivot: np.ndarray,
    targets: DrivenTargets | None = None,
    drive: ChannelDrive | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`deform_mesh`, also returning the deformed unit normals ``(V, 3)``."""
    if targets is None:
        targets = DrivenTargets.from_mesh(mesh)
    p, n = morph(mesh, targets.weights(pose, drive), targets)
    m = mesh_matrix(mesh, pose, head_pivot).astype(np.float32)
    positions = p @ m[:3, :3].T + m[:3, 3]
    normals = n @ m[:3, :3].T
    if mesh.head_weights is not None:  # only the head's share of each vertex turns
        h = np.asarray(mesh.head_weights, dtype=np.float32).reshape(-1, 1)
        positions = p + h * (positions - p)
        normals = _normalize(n) + h * (_normalize(normals) - _normalize(n))
    return positions.astype(np.float32), _normalize(normals)


def _normalize(v: np.ndarray) -> np.ndarray:
    length = np.linalg.norm(v, axis=1, keepdims=True)
    return np.divide(v, length, out=np.zeros_like(v), where=length > 0).astype(np.float32)
