"""Inside the mouth: inner lip surfaces, the dark mouth bag, teeth and tongue."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import sdf, spec
from .meshkit import Piece, grid_triangles, smoothstep
from .skin import MM_PER_DEG, directions, lip_taper

STRIP_DEPTH_MM = np.array([0.0, 1.2, 2.6, 3.6, 4.3, 4.9, 5.5])
STRIP_LIFT_MM = np.array([0.0, 1.0, 2.6, 4.8, 7.2, 9.6, 11.5])


@dataclass
class Strip:
    """One inner-lip strip: new vertices plus triangles that also use the lip-edge vertices."""

    positions: np.ndarray
    colors: np.ndarray
    triangles: np.ndarray
    """Indices: ``< 0`` refers to ``edge[-i - 1]``, ``>= 0`` to the strip's own vertices."""
    depth: np.ndarray
    """Per new vertex, 0..1 how deep into the mouth it is."""


def build_strip(edge_pos: np.ndarray, edge_lon: np.ndarray, side: int) -> Strip:
    """Inner surface of the upper (``side=+1``) or lower (``-1``) lip.

    Parameters
    ----------
    edge_pos
        ``(N, 3)`` lip-edge positions from corner to corner.
    edge_lon
        Their longitudes.
    side
        +1 for the upper lip (the strip curls up), -1 for the lower lip.
    """
    n = edge_pos.shape[0]
    k = STRIP_DEPTH_MM.size
    taper = 0.3 + 0.7 * lip_taper(edge_lon * MM_PER_DEG) ** 0.5
    rows = []
    for r in range(1, k):
        off = np.array([0.0, side * STRIP_LIFT_MM[r], -STRIP_DEPTH_MM[r]]) * 1e-3
        rows.append(edge_pos + off[None, :] * taper[:, None])
    pos = np.concatenate(rows)
    # index grid: row 0 is the edge (negative ids), rows 1.. are own vertices
    idx = np.zeros((k, n), dtype=np.int64)
    idx[0] = -np.arange(n) - 1
    idx[1:] = np.arange((k - 1) * n).reshape(k - 1, n)
    tris = []
    for r in range(k - 1):
        for c in range(n - 1):
            a, b = idx[r, c], idx[r, c + 1]
            e, f = idx[r + 1, c], idx[r + 1, c + 1]
            if c < (n - 1) / 2:
                tris += [(a, b, f), (a, f, e)]
            else:
                tris += [(a, b, e), (b, f, e)]
    tri = np.asarray(tris, dtype=np.int64)
    if side < 0:
        tri = tri[:, ::-1]
    depth = np.repeat(np.arange(1, k) / (k - 1), n)
    inner = np.array([0.50, 0.17, 0.17]) / np.array([0.80, 0.47, 0.33])
    lip = np.array([0.62, 0.22, 0.20]) / np.array([0.80, 0.47, 0.33])
    w = smoothstep(0.0, 1.0, depth)[:, None]
    col = lip * (1 - w) + inner * 0.55 * w
    return Strip(pos, np.clip(col, 0, 1), tri, depth)


# -- the mouth bag -------------------------------------------------------------------------

BAG_DEPTH = np.array([0.0, 0.005, 0.012, 0.021, 0.031, 0.040, 0.046, 0.050])
BAG_SCALE = np.array([1.0, 1.22, 1.42, 1.48, 1.40, 1.15, 0.75, 0.35])


def build_mouth_bag() -> Piece:
    """A dark sack behind the lips, seen from inside (normals point into the mouth)."""
    n = 36
    phi = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    lon = 1.22 * spec.MOUTH_HALF_WIDTH_DEG * np.cos(phi)
    lat = spec.MOUTH_LAT_DEG + 5.6 * np.sin(phi)
    dirs = directions(lat, lon)
    r = sdf.ray_cast(sdf.head_field, dirs)
    rim = dirs * (r - 0.0038)[:, None]
    centre = rim.mean(axis=0)
    rings = []
    for depth, scale in zip(BAG_DEPTH, BAG_SCALE, strict=True):
        off = (rim - centre) * np.array([scale, scale * 1.12, 1.0])
        rings.append(centre + off + np.array([0.0, 0.0, -depth]))
    pos = np.concatenate(rings + [centre[None, :] + np.array([0.0, 0.0, -BAG_DEPTH[-1] - 0.004])])
    tris = grid_triangles(len(rings), n, wrap=True)
    back = len(rings) * n
    last = (len(rings) - 1) * n
    fan = [(last + (i + 1) % n, last + i, back) for i in range(n)]
    tris = np.concatenate([tris, np.asarray(fan)])
    depth = np.concatenate([np.repeat(BAG_DEPTH / BAG_DEPTH[-1], n), [1.0]])
    col = np.ones((pos.shape[0], 3)) * (1.0 - 0.55 * smoothstep(0.1, 1.0, depth))[:, None]
    # every triangle faces into the sack (it is seen from inside)
    inner = pos.mean(axis=0)
    t = tris
    fn = np.cross(pos[t[:, 1]] - pos[t[:, 0]], pos[t[:, 2]] - pos[t[:, 0]])
    outward = (fn * (pos[t].mean(axis=1) - inner)).sum(axis=1) > 0
    tris = np.where(outward[:, None], t[:, ::-1], t)
    return Piece(pos, tris, col, "mouth")


def _orient(piece: Piece, centre: np.ndarray, *, inward: bool) -> None:
    p, t = piece.positions, piece.triangles
    fn = np.cross(p[t[:, 1]] - p[t[:, 0]], p[t[:, 2]] - p[t[:, 0]])
    c = p[t].mean(axis=1) - centre
    outward = np.mean((fn * c).sum(axis=1) > 0) > 0.5
    if outward == inward:
        piece.triangles = t[:, ::-1].copy()


# -- teeth ---------------------------------------------------------------------------------

TEETH_COLOR = np.array([0.86, 0.83, 0.76])
GUM_COLOR = np.array([0.62, 0.24, 0.25])
TOOTH_WIDTH_MM = 4.3


def mouth_front_z() -> float:
    """Depth of the lips' front at the mouth centre."""
    d = directions(np.array(spec.MOUTH_LAT_DEG), np.array([0.0]))
    return float(sdf.ray_cast(sdf.head_field, d)[0] * d[0, 2]) + 0.0017


def build_teeth(upper: bool) -> Piece:
    """A stylized row of teeth: a rounded band along a U-shaped arch."""
    y_m = mouth_line_y()
    z_front = mouth_front_z() - (0.0079 if upper else 0.0090)
    half_w = 0.0215 if upper else 0.0195
    depth = 0.021 if upper else 0.019
    height = 0.0088 if upper else 0.0078
    thick = 0.0034
    y_edge = y_m - 0.0030 if upper else y_m - 0.0036
    n_s, n_c = 41, 12
    s = np.linspace(-1.0, 1.0, n_s)
    cx = half_w * s
    cz = z_front - depth * s**2
    tx = np.gradient(cx)
    tz = np.gradient(cz)
    tl = np.hypot(tx, tz)
    nx, nz = tz / tl, -tx / tl  # outward (front) normal in the xz-plane
    nx, nz = np.where(nz < 0, -nx, nx), np.abs(nz)
    arc = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(cx), np.diff(cz)))])
    arc = arc - arc[n_s // 2]
    psi = np.linspace(0.0, 2 * np.pi, n_c, endpoint=False)
    cn = 0.5 * thick * np.sign(np.cos(psi)) * np.abs(np.cos(psi)) ** 0.6
    cy = 0.5 * height * np.sign(np.sin(psi)) * np.abs(np.sin(psi)) ** 0.35
    centre_y = y_edge + (0.5 * height if upper else -0.5 * height)
    pos = np.zeros((n_s, n_c, 3))
    phase = np.abs(arc) * 1000.0 / TOOTH_WIDTH_MM
    frac = phase - np.round(phase)
    scallop = 0.00035 * (1 - np.exp(-((frac / 0.22) ** 2)))
    for i in range(n_s):
        edge_lift = np.where(cy * (1 if upper else -1) < -0.45 * height, scallop[i], 0.0)
        y = centre_y + cy + (edge_lift if upper else -edge_lift)
        pos[i, :, 0] = cx[i] + cn * nx[i]
        pos[i, :, 1] = y
        pos[i, :, 2] = cz[i] + cn * nz[i]
    pos = pos.reshape(-1, 3)
    tris = grid_triangles(n_s, n_c, wrap=True)
    # colours: tooth gaps, translucent biting edge, gums
    gap = np.exp(-((frac / 0.07) ** 2))
    col = np.tile(TEETH_COLOR, (n_s, n_c, 1))
    col = col * (1 - 0.45 * gap[:, None, None])
    rel = (cy / (0.5 * height)) * (1 if upper else -1)  # +1 at the root, -1 at the edge
    gum = smoothstep(0.35, 0.6, rel - 0.15 * gap[:, None])
    col = col * (1 - gum[..., None]) + GUM_COLOR * gum[..., None]
    edge = smoothstep(-0.7, -1.0, rel)
    col = col * (1 - 0.12 * edge[..., None])
    side_dark = smoothstep(0.5, 1.0, np.abs(s))[:, None, None]
    col = col * (1 - 0.5 * side_dark)
    piece = Piece(pos, tris, (col / TEETH_COLOR).reshape(-1, 3).clip(0, 1), "teeth")
    # the front-most triangle must face forward (+Z)
    t = piece.triangles
    fn = np.cross(pos[t[:, 1]] - pos[t[:, 0]], pos[t[:, 2]] - pos[t[:, 0]])
    front = int(np.argmax(pos[t].mean(axis=1)[:, 2]))
    if fn[front, 2] < 0:
        piece.triangles = t[:, ::-1].copy()
    return piece


def mouth_line_y() -> float:
    """Height of the lips' parting line at the mouth centre."""
    d = directions(np.array(spec.MOUTH_LAT_DEG), np.array([0.0]))
    return float(sdf.ray_cast(sdf.head_field, d)[0] * d[0, 1])


# -- tongue --------------------------------------------------------------------------------

TONGUE_COLOR = np.array([0.66, 0.22, 0.24])


def build_tongue() -> Piece:
    """A soft tongue resting on the floor of the mouth behind the lower teeth."""
    n_t, n_p = 28, 16
    th = np.linspace(0.0, 2 * np.pi, n_t, endpoint=False)
    ph = np.linspace(0.0, np.pi, n_p)
    tt, pp = np.meshgrid(th, ph)
    rx, ry, rz = 0.0158, 0.0062, 0.021
    x = rx * np.sin(pp) * np.cos(tt)
    z = rz * np.sin(pp) * np.sin(tt)
    y = ry * np.cos(pp)
    y = np.where(y > 0, y * 0.8 - 0.0008 * np.exp(-((x / 0.004) ** 2)) * np.sin(pp), y * 1.1)
    x = x * (1 - 0.25 * smoothstep(0.0, rz, z))  # narrower toward the tip
    y_m = mouth_line_y()
    z_tip = mouth_front_z() - 0.0090 - 0.0034 - 0.0006
    centre = np.array([0.0, y_m - 0.0098, z_tip - rz])
    pos = np.stack([x, y, z], axis=-1).reshape(-1, 3) + centre
    tris = grid_triangles(n_p, n_t, wrap=True)
    from .features import _weld_rows  # local import: shared helper

    pos, tris = _weld_rows(pos, tris, n_p, n_t)
    back = smoothstep(0.5 * rz, -rz, pos[:, 2] - centre[2])
    col = np.ones((pos.shape[0], 3)) * (1 - 0.45 * back)[:, None]
    piece = Piece(pos, tris, col, "tongue")
    _orient(piece, centre, inward=False)
    return piece
