"""The rig a ``.usda``/``.usd`` export writes, as plain numpy data (no ``pxr`` needed).

:func:`plan_rig` turns an :class:`~renderers.avatar.Avatar` into the UsdSkel layout:

* joints ``root`` (the origin), ``root/head`` at ``Avatar.head_pivot``, and one
  ``root/head/<EyeMesh>`` joint per eyeball at its pivot (the centre of its bounds when it has
  none), exactly the rigid transforms of :func:`renderers.rigid.mesh_matrix`;
* each mesh skinned rigidly to one joint (eyeballs to their eye joint, everything else to
  ``root/head``), except a skinned body that turns only partly with the head
  (:attr:`~renderers.avatar.AvatarMesh.head_weights`): each of its points is weighted
  ``1 - h`` on ``root`` and ``h`` on ``root/head``, as the renderer blends it;
* each mesh's blend shapes, and which of them are bound to an animation channel. An eyeball
  with a pivot turns by the gaze rotation, so, as in :class:`renderers.deform.DrivenTargets`,
  its own ``eyeLook*`` shapes stay in the file but are not bound (that would turn it twice).

:func:`joint_rotations` gives the per-frame joint quaternions from a take's head and eye angles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from renderers.avatar import Avatar, AvatarMesh
from renderers.deform import MORPH_EPSILON

__all__ = [
    "ANIMATION_PRIM",
    "HEAD_JOINT",
    "ROOT_JOINT",
    "SKELETON_PRIM",
    "BlendShapePlan",
    "JointPlan",
    "MeshPlan",
    "RigPlan",
    "joint_rotations",
    "plan_rig",
    "quaternions",
    "valid_identifier",
]

ROOT_JOINT = "root"
HEAD_JOINT = "root/head"
SKELETON_PRIM = "Skeleton"
ANIMATION_PRIM = "Animation"

SPARSE_FRACTION = 0.75
"""Shapes moving fewer than this fraction of the points are written sparse (``pointIndices``):
an index plus an offset (16 bytes) is then smaller than a dense offset per point (12 bytes)."""


@dataclass
class JointPlan:
    """One skeleton joint.

    Parameters
    ----------
    path
        Joint path in the skeleton (``"root/head"``).
    pivot
        ``(3,)`` float64 rest position in avatar space (the joint has no rest rotation).
    gaze
        ``None`` for the root, ``"head"`` for the head joint, ``"left"`` or ``"right"`` for
        an eye joint: which angles of the take turn it.
    """

    path: str
    pivot: np.ndarray
    gaze: str | None = None


@dataclass
class BlendShapePlan:
    """One morph target as a UsdSkel ``BlendShape``.

    Parameters
    ----------
    prim_name
        Name of the ``BlendShape`` prim (a valid identifier, unique within the mesh).
    channel
        Name of the animation channel (the morph target's name, e.g. ``"jawOpen"``).
    offsets
        ``(K, 3)`` float32 position offsets.
    point_indices
        ``(K,)`` int32 indices of the points ``offsets`` move, or ``None`` for one offset per
        point.
    bound
        Whether the shape is listed in the mesh's ``skel:blendShapes``.
    """

    prim_name: str
    channel: str
    offsets: np.ndarray
    point_indices: np.ndarray | None
    bound: bool = True


@dataclass
class MeshPlan:
    """One avatar mesh and how it is bound.

    Parameters
    ----------
    prim_name
        Name of the ``Mesh`` prim (a valid identifier, unique within the skel root).
    mesh
        The avatar mesh.
    joint
        Index of the joint it follows rigidly.
    shapes
        Its blend shapes, in the morph targets' order.
    """

    prim_name: str
    mesh: AvatarMesh
    joint: int
    shapes: list[BlendShapePlan] = field(default_factory=list)

    @property
    def bound_shapes(self) -> list[BlendShapePlan]:
        """The shapes listed in ``skel:blendShapes``."""
        return [s for s in self.shapes if s.bound]


@dataclass
class RigPlan:
    """Everything :mod:`studio.exporters.usd_stage` writes besides the animation.

    Parameters
    ----------
    joints
        Skeleton joints, parents before children.
    meshes
        One entry per avatar mesh, in the avatar's order.
    channels
        Animation channels: every bound shape's channel once, ARKit names first in Apple's
        order (meshes sharing a name follow the same channel).
    """

    joints: list[JointPlan]
    meshes: list[MeshPlan]
    channels: list[str]


def valid_identifier(name: str, taken: set[str]) -> str:
    """A USD prim name for ``name`` not in ``taken`` (which it is added to).

    Examples
    --------
    >>> taken = set()
    >>> valid_identifier("Head", taken), valid_identifier("Head", taken)
    ('Head', 'Head_1')
    >>> valid_identifier("3d mesh.001", taken)
    '_3d_mesh_001'
    """
    base = re.sub(r"\W", "_", name, flags=re.ASCII) or "_"
    if base[0].isdigit():
        base = "_" + base
    candidate, i = base, 0
    while candidate in taken:
        i += 1
        candidate = f"{base}_{i}"
    taken.add(candidate)
    return candidate


def plan_rig(avatar: Avatar) -> RigPlan:
    """The joints, skinning and blend shapes of ``avatar`` as UsdSkel needs them."""
    head_pivot = np.asarray(avatar.head_pivot, dtype=np.float64).reshape(3)
    joints = [
        JointPlan(ROOT_JOINT, np.zeros(3)),
        JointPlan(HEAD_JOINT, head_pivot, "head"),
    ]
    mesh_names = {SKELETON_PRIM, ANIMATION_PRIM}  # the SkelRoot's other children
    meshes: list[MeshPlan] = []
    for mesh in avatar.meshes:
        prim_name = valid_identifier(mesh.name, mesh_names)
        joint = 1
        if mesh.part in ("eye_left", "eye_right"):
            joints.append(JointPlan(f"{HEAD_JOINT}/{prim_name}", _eye_pivot(mesh), mesh.part[4:]))
            joint = len(joints) - 1
        meshes.append(MeshPlan(prim_name, mesh, joint, _shapes(mesh)))
    bound = {s.channel for m in meshes for s in m.bound_shapes}
    channels = [n for n in avatar.target_names if n in bound]
    return RigPlan(joints, meshes, channels)


def _eye_pivot(mesh: AvatarMesh) -> np.ndarray:
    """The gaze pivot of :func:`renderers.rigid.eye_matrix`: the mesh's, else its bounds' centre."""
    if mesh.pivot is not None:
        return np.asarray(mesh.pivot, dtype=np.float64).reshape(3)
    p = np.asarray(mesh.positions, dtype=np.float64)
    return 0.5 * (p.min(axis=0) + p.max(axis=0))


def _shapes(mesh: AvatarMesh) -> list[BlendShapePlan]:
    """One :class:`BlendShapePlan` per morph target, offsets under 1 micron dropped."""
    names: set[str] = set()
    v = mesh.vertex_count
    shapes = []
    for channel, delta in mesh.morph_targets.items():
        d = np.asarray(delta, dtype=np.float32).reshape(v, 3)
        keep = np.linalg.norm(d, axis=1) >= MORPH_EPSILON  # as the renderer does
        moved = np.flatnonzero(keep).astype(np.int32)
        indices: np.ndarray | None
        if len(moved) == 0:  # keep the shape (and the count): one zero offset
            indices = np.zeros(min(v, 1), np.int32)
            offsets = np.zeros((len(indices), 3), np.float32)
        elif len(moved) < SPARSE_FRACTION * v:
            indices, offsets = moved, np.ascontiguousarray(d[moved])
        else:
            indices, offsets = None, np.where(keep[:, None], d, np.float32(0.0))
        rigid_gaze = (
            channel.startswith("eyeLook")
            and mesh.part in ("eye_left", "eye_right")
            and mesh.pivot is not None
        )
        prim_name = valid_identifier(channel, names)
        shapes.append(BlendShapePlan(prim_name, channel, offsets, indices, not rigid_gaze))
    return shapes


def quaternions(yaw: np.ndarray, pitch: np.ndarray, roll: np.ndarray) -> np.ndarray:
    """``(N, 4)`` unit quaternions ``(w, x, y, z)`` of :func:`renderers.rigid.rotation_matrix`.

    ``R = Ry(yaw) @ Rx(pitch) @ Rz(-roll)``, angles in degrees.

    Examples
    --------
    >>> np.round(quaternions(np.array([90.0]), np.array([0.0]), np.array([0.0])), 6).tolist()
    [[0.707107, 0.0, 0.707107, 0.0]]
    """

    def axis_quat(deg: np.ndarray, axis: int) -> np.ndarray:
        half = np.radians(np.asarray(deg, dtype=np.float64)) / 2
        q = np.zeros((half.shape[0], 4))
        q[:, 0] = np.cos(half)
        q[:, 1 + axis] = np.sin(half)
        return q

    return _qmul(_qmul(axis_quat(yaw, 1), axis_quat(pitch, 0)), axis_quat(-roll, 2))


def _qmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Hamilton product ``a * b`` of ``(N, 4)`` ``(w, x, y, z)`` quaternions."""
    aw, ax, ay, az = a.T
    bw, bx, by, bz = b.T
    return np.stack(
        [
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ],
        axis=1,
    )


def joint_rotations(
    joints: list[JointPlan], head_rotation: np.ndarray, eye_rotation: np.ndarray
) -> np.ndarray:
    """``(N, J, 4)`` local rotation ``(w, x, y, z)`` of every joint at every frame.

    Parameters
    ----------
    joints
        From :func:`plan_rig`.
    head_rotation
        ``(N, 3)`` head yaw/pitch/roll in degrees.
    eye_rotation
        ``(N, 4)`` left yaw/pitch, right yaw/pitch in degrees.
    """
    head = np.nan_to_num(np.asarray(head_rotation, dtype=np.float64))
    eyes = np.nan_to_num(np.asarray(eye_rotation, dtype=np.float64))
    n = head.shape[0]
    zero = np.zeros(n)
    out = np.zeros((n, len(joints), 4))
    out[:, :, 0] = 1.0
    for j, joint in enumerate(joints):
        if joint.gaze == "head":
            out[:, j] = quaternions(head[:, 0], head[:, 1], head[:, 2])
        elif joint.gaze in ("left", "right"):
            c = 0 if joint.gaze == "left" else 2
            out[:, j] = quaternions(eyes[:, c], eyes[:, c + 1], zero)
    return out
