"""Ears and eyebrows: separate surfaces that sit on (or sink into) the skull."""

from __future__ import annotations

import numpy as np

from . import sdf
from .meshkit import Piece, grid_triangles, smoothstep

# -- ears ----------------------------------------------------------------------------------

EAR_CENTRE = np.array([0.0815, -0.004, -0.013])
"""Centre of the left ear (build frame)."""


def _rot_y(deg: float) -> np.ndarray:
    t = np.radians(deg)
    return np.array([[np.cos(t), 0, np.sin(t)], [0, 1, 0], [-np.sin(t), 0, np.cos(t)]])


def _rot_x(deg: float) -> np.ndarray:
    t = np.radians(deg)
    return np.array([[1, 0, 0], [0, np.cos(t), -np.sin(t)], [0, np.sin(t), np.cos(t)]])


def _rot_z(deg: float) -> np.ndarray:
    t = np.radians(deg)
    return np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])


def build_ear(sign: int) -> Piece:
    """A stylized ear: a flattened shell with a bowl, flared away from the head.

    Local frame: ``u`` forward, ``v`` up, ``w`` out of the head (the bowl faces +w).
    """
    n_theta, n_phi = 30, 17
    theta = np.linspace(0.0, 2 * np.pi, n_theta, endpoint=False)
    phi = np.linspace(0.0, np.pi, n_phi)
    th, ph = np.meshgrid(theta, phi)  # rows: phi (from +w pole to -w pole)
    au, av, aw = 0.0115, 0.0185, 0.0048
    # outline: narrower at the lobe, wider at the top
    su = 1.0 + 0.12 * np.sin(th)
    u = au * np.sin(ph) * np.cos(th) * su
    v = av * np.sin(ph) * np.sin(th)
    w = aw * np.cos(ph)
    rho = np.sin(ph)
    bowl = 1.0 - smoothstep(0.45, 0.8, rho)
    front = w > 0
    w = np.where(front, w - 0.0068 * bowl * np.abs(np.cos(ph)) ** 0.3, w)
    # a rolled rim (helix) and a soft inner ridge (antihelix)
    w = np.where(front, w + 0.0016 * np.exp(-(((rho - 0.9) / 0.09) ** 2)), w)
    w = np.where(front, w + 0.0010 * np.exp(-(((rho - 0.6) / 0.07) ** 2)), w)
    local = np.stack([u, v, w], axis=-1).reshape(-1, 3)
    rot = _rot_y(-90.0) @ _rot_x(0.0)  # w -> +X (out of the left side of the head)
    rot = _rot_y(17.0) @ _rot_z(-10.0) @ rot  # flare the back out, tilt the top back
    pos = local @ rot.T + EAR_CENTRE
    tris = grid_triangles(n_phi, n_theta, wrap=True)
    # weld the two poles
    piece_pos, tris = _weld_rows(pos, tris, n_phi, n_theta)
    col = np.ones((piece_pos.shape[0], 3))
    inner = np.concatenate([[1.0], bowl.reshape(-1)[n_theta:-n_theta] * front.reshape(-1)[
        n_theta:-n_theta], [0.0]])
    col = col * (1 - 0.2 * inner[:, None]) + np.array([0.92, 0.72, 0.68]) * 0.2 * inner[:, None]
    if sign < 0:
        piece_pos = piece_pos * np.array([-1.0, 1.0, 1.0])
        tris = tris[:, ::-1]
    piece = Piece(piece_pos, tris, col, "ear")
    _orient_outward(piece, EAR_CENTRE * np.array([sign, 1.0, 1.0]))
    return piece


def _weld_rows(pos: np.ndarray, tris: np.ndarray, rows: int, cols: int) -> tuple[np.ndarray,
                                                                                   np.ndarray]:
    """Collapse the first and last rows of a wrapped grid into single pole vertices."""
    v = pos.shape[0]
    remap = np.arange(v)
    remap[:cols] = 0
    remap[v - cols :] = v - cols
    t = remap[tris]
    ok = (t[:, 0] != t[:, 1]) & (t[:, 1] != t[:, 2]) & (t[:, 0] != t[:, 2])
    t = t[ok]
    keep = np.ones(v, dtype=bool)
    keep[1:cols] = False
    keep[v - cols + 1 :] = False
    new = np.cumsum(keep) - 1
    return pos[keep], new[t]


def _orient_outward(piece: Piece, centre: np.ndarray) -> None:
    """Flip the winding if most triangles face the centre."""
    p, t = piece.positions, piece.triangles
    fn = np.cross(p[t[:, 1]] - p[t[:, 0]], p[t[:, 2]] - p[t[:, 0]])
    c = p[t].mean(axis=1) - centre
    if np.mean((fn * c).sum(axis=1) > 0) < 0.5:
        piece.triangles = t[:, ::-1].copy()


# -- eyebrows ------------------------------------------------------------------------------

BROW_COLOR = np.array([0.10, 0.055, 0.035])
"""Linear brow colour (final)."""

# left brow centre line in front view (x, y) from the inner end to the outer end
_BROW_X = np.array([0.0105, 0.0190, 0.0290, 0.0380, 0.0450, 0.0505])
_BROW_Y = np.array([0.0265, 0.0300, 0.0330, 0.0335, 0.0310, 0.0265])
_BROW_HALF_WIDTH = np.array([0.0026, 0.0027, 0.0024, 0.0019, 0.0013, 0.0006])


def surface_point_z(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Skin points seen straight from the front at ``(x, y)``."""
    n = x.shape[0]
    z = np.full(n, np.nan)
    zs = np.arange(0.14, 0.0, -0.0005)
    for zz in zs:
        todo = np.isnan(z)
        if not todo.any():
            break
        p = np.stack([x[todo], y[todo], np.full(todo.sum(), zz)], axis=1)
        inside = sdf.head_field(p) < 0
        idx = np.flatnonzero(todo)[inside]
        z[idx] = zz
    lo, hi = z, z + 0.0005
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        inside = sdf.head_field(np.stack([x, y, mid], axis=1)) < 0
        lo = np.where(inside, mid, lo)
        hi = np.where(inside, hi, mid)
    return np.stack([x, y, 0.5 * (lo + hi)], axis=1)


def build_brow(sign: int) -> Piece:
    """A tapered eyebrow ribbon lying on the skin (left ``+1`` or right ``-1``)."""
    n_along, n_across = 26, 7
    s = np.linspace(0.0, 1.0, n_along)
    knots = np.linspace(0.0, 1.0, _BROW_X.size)
    cx = np.interp(s, knots, _BROW_X)
    cy = np.interp(s, knots, _BROW_Y)
    # smooth the polyline a little
    for _ in range(3):
        cx[1:-1] = 0.25 * cx[:-2] + 0.5 * cx[1:-1] + 0.25 * cx[2:]
        cy[1:-1] = 0.25 * cy[:-2] + 0.5 * cy[1:-1] + 0.25 * cy[2:]
    hw = np.interp(s, knots, _BROW_HALF_WIDTH)
    tx, ty = np.gradient(cx), np.gradient(cy)
    tl = np.hypot(tx, ty)
    nx, ny = -ty / tl, tx / tl
    w = np.linspace(-1.0, 1.0, n_across)
    ss, ww = np.meshgrid(s, w)  # rows: across, cols: along
    x = (cx[None, :] + ww * hw[None, :] * nx[None, :]).ravel()
    y = (cy[None, :] + ww * hw[None, :] * ny[None, :]).ravel()
    base = surface_point_z(x, y)
    g = sdf.gradient(sdf.head_field, base)
    n = g / np.linalg.norm(g, axis=1, keepdims=True)
    lift = 0.00075 * np.sqrt(np.clip(1 - ww.ravel() ** 2, 0, 1)) - 0.00025
    lift = lift * (0.5 + 0.5 * smoothstep(0.0, 0.25, ss.ravel()))
    pos = base + n * lift[:, None]
    tris = grid_triangles(n_across, n_along)
    col = np.tile(BROW_COLOR, (pos.shape[0], 1))
    # softer at the inner end and along the edges
    fade = (1 - smoothstep(0.0, 0.18, ss.ravel())) * 0.5 + 0.3 * np.abs(ww.ravel()) ** 3
    col = col * (1 - fade[:, None]) + np.array([0.35, 0.22, 0.17]) * fade[:, None]
    if sign < 0:
        pos = pos * np.array([-1.0, 1.0, 1.0])
        tris = tris[:, ::-1]
    piece = Piece(pos, tris, col, "brow", attrs={"s": ss.ravel(), "w": ww.ravel()})
    _orient_outward(piece, np.array([0.0, 0.0, 0.0]))
    return piece
