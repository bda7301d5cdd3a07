"""Head and eye angles as glTF rotation quaternions.

The avatar lives in glTF space (metres, +Y up, the face looks toward +Z, the avatar's left is
+X), so the renderer's rotation :func:`renderers.rigid.rotation_matrix` applies as is:
``R = Ry(yaw) @ Rx(pitch) @ Rz(-roll)``. Positive yaw turns the face toward the avatar's left,
positive pitch tips the chin down, positive roll tilts the head toward the avatar's left
shoulder. The quaternion of ``R`` is ``q = qy(yaw) * qx(pitch) * qz(-roll)``, written in glTF's
``(x, y, z, w)`` order.
"""

from __future__ import annotations

import numpy as np

__all__ = ["angle_quaternions", "quaternion_matrix"]


def _axis(angle_deg: np.ndarray, axis: int) -> np.ndarray:
    half = np.radians(np.asarray(angle_deg, dtype=np.float64)) / 2.0
    q = np.zeros((half.shape[0], 4), dtype=np.float64)
    q[:, axis] = np.sin(half)
    q[:, 3] = np.cos(half)
    return q


def _multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Hamilton product of ``(N, 4)`` ``(x, y, z, w)`` quaternions."""
    ax, ay, az, aw = a.T
    bx, by, bz, bw = b.T
    return np.stack([
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
        aw * bw - ax * bx - ay * by - az * bz,
    ], axis=1)


def angle_quaternions(yaw: np.ndarray, pitch: np.ndarray, roll: np.ndarray | None = None
                      ) -> np.ndarray:
    """``(N, 4)`` unit quaternions ``(x, y, z, w)`` for per-frame angles in degrees.

    Consecutive quaternions are kept in the same hemisphere (``q`` and ``-q`` are the same
    rotation), so a player interpolating between keys never takes the long way round.

    Examples
    --------
    >>> import numpy as np
    >>> np.round(angle_quaternions(np.array([90.0]), np.array([0.0])), 6).tolist()
    [[0.0, 0.707107, 0.0, 0.707107]]
    """
    yaw = np.nan_to_num(np.asarray(yaw, dtype=np.float64).reshape(-1))
    pitch = np.nan_to_num(np.asarray(pitch, dtype=np.float64).reshape(-1))
    roll = np.zeros_like(yaw) if roll is None else np.nan_to_num(
        np.asarray(roll, dtype=np.float64).reshape(-1))
    q = _multiply(_multiply(_axis(yaw, 1), _axis(pitch, 0)), _axis(-roll, 2))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    if q.shape[0] > 1:
        flips = np.einsum("ij,ij->i", q[1:], q[:-1]) < 0.0
        signs = np.cumprod(np.where(flips, -1.0, 1.0))
        q[1:] *= signs[:, None]
    return q


def quaternion_matrix(q: np.ndarray) -> np.ndarray:
    """The ``(3, 3)`` rotation matrix of one ``(x, y, z, w)`` quaternion.

    Examples
    --------
    >>> import numpy as np
    >>> np.round(quaternion_matrix(np.array([0.0, 0.0, 0.0, 1.0])), 6).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    x, y, z, w = np.asarray(q, dtype=np.float64) / np.linalg.norm(q)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])
