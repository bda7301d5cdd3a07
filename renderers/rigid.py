"""Rigid head and eye transforms shared by the GPU renderer and the numpy reference.

All matrices are row-major ``numpy`` arrays acting on column vectors (``p' = M @ p``);
transpose before handing them to GL as column-major uniforms.
"""

from __future__ import annotations

import numpy as np

from renderers.avatar import AvatarMesh
from renderers.pose import Pose


def _rot_x(deg: float) -> np.ndarray:
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def _rot_y(deg: float) -> np.ndarray:
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _rot_z(deg: float) -> np.ndarray:
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def rotation_matrix(yaw: float, pitch: float, roll: float = 0.0) -> np.ndarray:
    """Return the ``(3, 3)`` rotation for a yaw/pitch/roll in :class:`~renderers.pose.Pose` terms.

    Parameters
    ----------
    yaw
        Degrees about +Y; positive turns the face (+Z) toward the avatar's left (+X).
    pitch
        Degrees about +X; positive tips the chin down (+Z toward -Y).
    roll
        Degrees about +Z; positive tilts the top of the head toward the avatar's left
        shoulder (+Y toward +X).

    Returns
    -------
    numpy.ndarray
        ``R = Ry(yaw) @ Rx(pitch) @ Rz(-roll)`` (float64): roll first, then pitch, then yaw.

    Examples
    --------
    >>> import numpy as np
    >>> np.round(rotation_matrix(90, 0) @ [0, 0, 1], 6).tolist()
    [1.0, 0.0, 0.0]
    """
    return _rot_y(yaw) @ _rot_x(pitch) @ _rot_z(-roll)


def about(rotation: np.ndarray, pivot: np.ndarray) -> np.ndarray:
    """Return the ``(4, 4)`` transform rotating by ``rotation`` about ``pivot``."""
    pivot = np.asarray(pivot, dtype=np.float64).reshape(3)
    m = np.eye(4)
    m[:3, :3] = rotation
    m[:3, 3] = pivot - rotation @ pivot
    return m


def head_matrix(pose: Pose, head_pivot: np.ndarray) -> np.ndarray:
    """Return the ``(4, 4)`` head transform of ``pose`` about ``head_pivot`` (float64)."""
    yaw, pitch, roll = (float(a) for a in pose.head_rotation)
    return about(rotation_matrix(yaw, pitch, roll), head_pivot)


def eye_matrix(mesh: AvatarMesh, pose: Pose) -> np.ndarray:
    """Return the ``(4, 4)`` gaze transform of an eye mesh about its pivot (identity otherwise).

    ``eye_left`` meshes use the pose's left yaw/pitch, ``eye_right`` the right ones. A mesh
    without a pivot rotates about the centre of its bounding box.
    """
    if mesh.part == "eye_left":
        yaw, pitch = float(pose.eye_rotation[0]), float(pose.eye_rotation[1])
    elif mesh.part == "eye_right":
        yaw, pitch = float(pose.eye_rotation[2]), float(pose.eye_rotation[3])
    else:
        return np.eye(4)
    pivot = mesh.pivot
    if pivot is None:
        pivot = 0.5 * (mesh.positions.min(axis=0) + mesh.positions.max(axis=0))
    return about(rotation_matrix(yaw, pitch), pivot)


def mesh_matrix(mesh: AvatarMesh, pose: Pose, head_pivot: np.ndarray) -> np.ndarray:
    """Return the full ``(4, 4)`` rigid transform of a mesh: its eye gaze, then the head."""
    return head_matrix(pose, head_pivot) @ eye_matrix(mesh, pose)
