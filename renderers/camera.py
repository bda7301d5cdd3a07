"""An orbit camera and the view/projection matrices it produces."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from renderers.avatar import Avatar, AvatarMesh


def _vec(values: object, n: int) -> np.ndarray:
    return np.asarray(values, dtype=np.float32).reshape(n)


@dataclass
class Camera:
    """A camera orbiting a target point.

    Parameters
    ----------
    target
        Point the camera looks at (avatar space, metres).
    yaw
        Degrees about +Y; 0 looks at the face from the front (+Z), positive moves the camera
        toward the avatar's left (+X).
    pitch
        Degrees; positive raises the camera so it looks down on the face.
    distance
        Metres from the target.
    fov_deg
        Vertical field of view in degrees.
    pan
        ``(right, up)`` offset in metres in the camera plane, moving camera and target together.

    Examples
    --------
    >>> cam = Camera(target=(0, 0, 0), distance=2.0)
    >>> cam.eye.tolist()
    [0.0, 0.0, 2.0]
    """

    target: np.ndarray = field(default_factory=lambda: np.zeros(3, dtype=np.float32))
    yaw: float = 0.0
    pitch: float = 0.0
    distance: float = 1.0
    fov_deg: float = 25.0
    pan: np.ndarray = field(default_factory=lambda: np.zeros(2, dtype=np.float32))

    def __post_init__(self) -> None:
        self.target = _vec(self.target, 3)
        self.pan = _vec(self.pan, 2)
        if self.distance <= 0 or not 0 < self.fov_deg < 180:
            raise ValueError("camera distance must be > 0 and fov_deg within (0, 180)")

    # -- framing -------------------------------------------------------------------------

    @classmethod
    def framing(cls, avatar: Avatar, aspect: float = 16 / 9, *, fov_deg: float = 25.0) -> Camera:
        """Return a front camera framing the head and a little neck.

        The frame spans from the top of the head to a little below the chin (estimated from
        the eyes, or from the head pivot when there are no eye meshes), with the face filling
        most of the frame height (or width, for tall frames).

        Parameters
        ----------
        avatar
            The avatar to frame.
        aspect
            Frame width / height.
        fov_deg
            Vertical field of view in degrees.
        """
        lo, hi = _head_bounds(avatar)
        centre = 0.5 * (lo + hi)
        size = hi - lo
        margin = 1.05
        half_h = 0.5 * size[1] * margin
        half_w = 0.5 * size[0] * margin
        tan_v = math.tan(math.radians(fov_deg) / 2)
        tan_h = tan_v * aspect
        dist = max(half_h / tan_v, half_w / tan_h) + 0.3 * float(size[2])
        target = np.array([centre[0], centre[1], centre[2]], dtype=np.float32)
        return cls(target=target, distance=float(dist), fov_deg=fov_deg)

    # -- derived -------------------------------------------------------------------------

    @property
    def forward(self) -> np.ndarray:
        """Unit vector from the camera toward the target."""
        y, p = math.radians(self.yaw), math.radians(self.pitch)
        return -np.array(
            [math.sin(y) * math.cos(p), math.sin(p), math.cos(y) * math.cos(p)], dtype=np.float32
        )

    def basis(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return unit ``(right, up, back)`` vectors of the camera in avatar space."""
        back = -self.forward
        y = math.radians(self.yaw)
        right = np.array([math.cos(y), 0.0, -math.sin(y)], dtype=np.float32)
        up = np.cross(back, right).astype(np.float32)
        return right, up, back

    @property
    def look_at(self) -> np.ndarray:
        """The panned target point."""
        right, up, _ = self.basis()
        return (self.target + self.pan[0] * right + self.pan[1] * up).astype(np.float32)

    @property
    def eye(self) -> np.ndarray:
        """Camera position in avatar space."""
        return (self.look_at - self.distance * self.forward).astype(np.float32)

    @property
    def near(self) -> float:
        """Near clip distance."""
        return max(1e-3, 0.05 * self.distance)

    @property
    def far(self) -> float:
        """Far clip distance."""
        return 20.0 * self.distance + 1.0

    def view_matrix(self) -> np.ndarray:
        """Return the ``(4, 4)`` float32 world-to-camera matrix (row-major, column vectors)."""
        right, up, back = self.basis()
        m = np.eye(4, dtype=np.float32)
        m[0, :3], m[1, :3], m[2, :3] = right, up, back
        m[:3, 3] = -m[:3, :3] @ self.eye
        return m

    def projection_matrix(self, aspect: float) -> np.ndarray:
        """Return the ``(4, 4)`` float32 OpenGL perspective matrix for a width/height aspect."""
        f = 1.0 / math.tan(math.radians(self.fov_deg) / 2)
        n, fa = self.near, self.far
        m = np.zeros((4, 4), dtype=np.float32)
        m[0, 0], m[1, 1] = f / aspect, f
        m[2, 2], m[2, 3] = (fa + n) / (n - fa), 2 * fa * n / (n - fa)
        m[3, 2] = -1.0
        return m

    # -- edits (return new cameras, for viewports) ---------------------------------------

    def orbited(self, d_yaw: float, d_pitch: float) -> Camera:
        """Return a copy orbited by the given degrees (pitch clamped to +-89)."""
        pitch = float(np.clip(self.pitch + d_pitch, -89.0, 89.0))
        return replace(self, yaw=self.yaw + d_yaw, pitch=pitch)

    def zoomed(self, factor: float) -> Camera:
        """Return a copy with the distance multiplied by ``factor`` (> 1 moves away)."""
        return replace(self, distance=self.distance * float(factor))

    def panned(self, d_right: float, d_up: float) -> Camera:
        """Return a copy panned by metres in the camera plane."""
        return replace(self, pan=self.pan + np.array([d_right, d_up], dtype=np.float32))


def _head_bounds(avatar: Avatar) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of the head and a little neck, from the top of the head down.

    The chin is estimated from classical proportions, the eyes sitting halfway between the
    top of the skull (the skin, not the hair) and the chin; without eye meshes the head pivot
    (top of the neck) is used.
    """
    pts = np.concatenate([m.positions for m in avatar.meshes], axis=0).astype(np.float64)
    top, lowest = float(pts[:, 1].max()), float(pts[:, 1].min())
    skin = [m.positions for m in avatar.meshes if m.part == "skin" and m.vertex_count]
    skull_top = float(np.concatenate(skin)[:, 1].max()) if skin else top  # without the hair
    eyes = [m for m in avatar.meshes if m.part in ("eye_left", "eye_right")]
    if eyes:
        eye_y = float(np.mean([_centre(m)[1] for m in eyes]))
        chin = eye_y - (skull_top - eye_y)
    else:
        pivot_y = float(avatar.head_pivot[1])
        chin = pivot_y - 0.5 * (top - pivot_y) if lowest <= pivot_y < top else lowest
    bottom = max(lowest, chin - 0.08 * (skull_top - chin))
    head = pts[pts[:, 1] >= bottom]
    lo, hi = head.min(axis=0), head.max(axis=0)
    lo[1] = bottom
    return lo.astype(np.float32), hi.astype(np.float32)


def _centre(mesh: AvatarMesh) -> np.ndarray:
    if mesh.pivot is not None:
        return np.asarray(mesh.pivot, dtype=np.float64)
    return 0.5 * (mesh.positions.min(axis=0) + mesh.positions.max(axis=0))
