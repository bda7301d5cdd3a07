"""Points and sides of a face every loader needs: eye pivots, the head pivot, the midline.

Examples
--------
>>> midline_split(np.array([-1.0, 0.0, 1.0])).tolist()
[0.0, 0.5, 1.0]
"""

from __future__ import annotations

import numpy as np

from renderers.avatar import Avatar, AvatarMesh

__all__ = ["MIDLINE_BAND", "estimated_head_pivot", "eye_pivot", "fix_eye_sides",
           "midline_split"]

MIDLINE_BAND: float = 0.1
"""Share of a mesh's width over which a shape shared by both sides fades from one to the other."""


def midline_split(x: np.ndarray) -> np.ndarray:
    """Per-vertex weight of the avatar's left side (+X) for cutting an unsided shape in two.

    1 on the left, 0 on the right, easing across a band of :data:`MIDLINE_BAND` of the mesh's
    width around its median x (the face's midline), so the two halves add up to the whole.

    Examples
    --------
    >>> midline_split(np.array([-1.0, 0.0, 1.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return x
    mid = float(np.median(x))
    half_band = max(MIDLINE_BAND * float(np.ptp(x)), 1e-9) / 2
    u = np.clip((x - mid + half_band) / (2 * half_band), 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def eye_pivot(pos: np.ndarray, world: np.ndarray) -> np.ndarray:
    """Rotation centre of an eyeball: its node's origin when that lies inside, else a fit."""
    lo, hi = pos.min(axis=0), pos.max(axis=0)
    centre = 0.5 * (lo + hi)
    radius = 0.5 * float(np.max(hi - lo))
    origin = world[:3, 3]
    if np.linalg.norm(origin - centre) < 0.5 * radius:
        return origin
    fit = _sphere_centre(pos)
    if fit is not None and np.linalg.norm(fit - centre) < radius:
        return fit
    return centre


def _sphere_centre(pos: np.ndarray) -> np.ndarray | None:
    """Least-squares sphere centre of points (``None`` when degenerate)."""
    if pos.shape[0] < 4:
        return None
    a = np.concatenate([2 * pos, np.ones((pos.shape[0], 1))], axis=1)
    b = (pos**2).sum(axis=1)
    sol, *_ = np.linalg.lstsq(a, b, rcond=None)
    return sol[:3] if np.all(np.isfinite(sol)) else None


def fix_eye_sides(meshes: list[AvatarMesh]) -> None:
    """With a pair of eyes, the one at +X is the avatar's left, whatever the names say.

    Avatar space puts the avatar's left at +X (the side ``...Left`` ARKit shapes move); some
    rigs name their eye nodes from the viewer's side (three.js facecap), so position wins.
    """
    eyes = [m for m in meshes if m.part in ("eye_left", "eye_right")]
    if len(eyes) != 2:
        return
    a, b = sorted(eyes, key=lambda m: float(m.positions[:, 0].mean()))
    if float(b.positions[:, 0].mean()) - float(a.positions[:, 0].mean()) > 0:
        a.part, b.part = "eye_right", "eye_left"


def estimated_head_pivot(avatar: Avatar) -> np.ndarray:
    """Where the head turns when no neck joint says so: low in the head, slightly back."""
    lo, hi = avatar.bounds()
    size = hi - lo
    centre = 0.5 * (lo + hi)
    return np.array([centre[0], hi[1] - 0.85 * size[1], centre[2] - 0.1 * size[2]],
                    dtype=np.float32)
