"""The face and head skin: rows of constant latitude cast onto the skull field.

Seen from the skull centre, every row is a ring of directions; each ring has its own longitude
sampling (fine on the face, coarse at the back), and neighbouring rings are stitched by a
deterministic zipper. The row at :data:`spec.MOUTH_LAT_DEG` is split between the mouth
corners: its vertices are duplicated, the rows above use the originals (upper lip), the rows
below use the copies (lower lip), so the lips can part. Lips, philtrum and mouth corners are
sculpted as displacements in (longitude, latitude) around that row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import sdf, spec
from .meshkit import Pchip, Piece, graded, smoothstep

MM_PER_DEG = 1.85
"""Arc length of one degree at the lips (the face is ~0.106 m from the skull centre), mm."""

SKIN_TAG_LOWER_COPY = 1
"""Mirror-matching tag of the duplicated lower-lip vertices on the slit row."""


def _segments(*segments: tuple[float, float, float, float]) -> np.ndarray:
    """Concatenate graded segments (start, end, d_start, d_end) into one increasing array."""
    out = [graded(*seg) for seg in segments]
    return np.concatenate(out)


def latitudes() -> np.ndarray:
    """Row latitudes (degrees, increasing) without the poles; the mouth row is exact."""
    m = spec.MOUTH_LAT_DEG
    band = 0.6
    k = 11
    mouth = m + band * np.arange(-k, k + 1)
    below = _segments((m - k * band, -60.0, band, 1.15), (-60.0, -87.0, 1.15, 6.0))[::-1]
    above = _segments((m + k * band, -14.0, band, 1.05), (-14.0, 22.0, 1.05, 1.05),
                  (22.0, 50.0, 1.05, 2.0), (50.0, 87.0, 2.0, 6.0))
    return np.concatenate([below, mouth, above])


def _face_weight(lat: float) -> float:
    """1 where a row crosses the face (fine longitudes), fading to 0 above and below."""
    return float(smoothstep(-75.0, -62.0, lat) * (1.0 - smoothstep(50.0, 66.0, lat)))


def longitudes(lat: float) -> np.ndarray:
    """Longitudes of one row, degrees in (-180, 180], mirror-symmetric, including 0 and 180."""
    f = _face_weight(lat)
    coarse = min(40.0, 5.0 / max(np.cos(np.radians(lat)), 0.05))
    if abs(lat - spec.MOUTH_LAT_DEG) < 9.0:
        pos = _segments((0.0, 30.0, 1.0, 1.0), (30.0, 75.0, 1.0, 2.4), (75.0, 180.0, 2.4, 5.5))
    else:
        fine = 1.0 + 0.3 * smoothstep(9.0, 14.0, abs(lat - spec.MOUTH_LAT_DEG))
        s1 = f * fine + (1 - f) * coarse
        s2 = f * 2.4 + (1 - f) * coarse
        s3 = f * 5.5 + (1 - f) * coarse
        pos = _segments((0.0, 30.0, s1, s1), (30.0, 75.0, s1, s2), (75.0, 180.0, s2, s3))
    pos = pos[pos < 180.0 - 1e-9]
    return np.concatenate([-pos[::-1], [0.0], pos, [180.0]])


def directions(lat: float | np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Unit direction(s) for latitude/longitude in degrees (lon 0 = +Z, +lon toward +X)."""
    la, lo = np.radians(lat), np.radians(lon)
    return np.stack(
        [np.cos(la) * np.sin(lo), np.sin(la) * np.ones_like(lo), np.cos(la) * np.cos(lo)], axis=-1
    )


def zip_half(a_idx: np.ndarray, a_lon: np.ndarray, b_idx: np.ndarray,
             b_lon: np.ndarray) -> list[tuple[int, int, int]]:
    """Triangulate the band between two open polylines, ``a`` below ``b``, both sorted by lon.

    The polylines share their first and last longitudes (-180 and 0); a one-vertex polyline
    is a pole.
    """
    na, nb = len(a_idx), len(b_idx)
    tris: list[tuple[int, int, int]] = []
    if na == 1:
        return [(int(a_idx[0]), int(b_idx[j + 1]), int(b_idx[j])) for j in range(nb - 1)]
    if nb == 1:
        return [(int(a_idx[i]), int(a_idx[i + 1]), int(b_idx[0])) for i in range(na - 1)]
    i = j = 0
    while i < na - 1 or j < nb - 1:
        if i == na - 1:
            adv_a = False
        elif j == nb - 1:
            adv_a = True
        else:
            adv_a = a_lon[i + 1] <= b_lon[j + 1]
        if adv_a:
            tris.append((int(a_idx[i]), int(a_idx[i + 1]), int(b_idx[j])))
            i += 1
        else:
            tris.append((int(a_idx[i]), int(b_idx[j + 1]), int(b_idx[j])))
            j += 1
    return tris


def _half(idx: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The -X half of a ring (lon from -180 to 0), as an open polyline."""
    if len(idx) == 1:
        return idx, lon
    lo = np.where(lon >= 180.0, -180.0, lon)
    keep = lo <= 0.0
    order = np.argsort(lo[keep], kind="stable")
    return idx[keep][order], lo[keep][order]


# -- lips ----------------------------------------------------------------------------------

_UPPER = Pchip([0.0, 0.3, 0.55, 0.85, 1.0, 1.1, 1.3, 1.8, 3.0],
                           [0.9, 1.6, 1.75, 1.35, 0.8, 0.62, 0.25, 0.0, 0.0])
_LOWER = Pchip([0.0, 0.3, 0.55, 0.85, 1.0, 1.25, 1.8, 2.6, 3.5],
                           [0.9, 2.0, 2.15, 1.55, 0.75, -0.15, -0.6, 0.0, 0.0])


def lip_taper(u_mm: np.ndarray) -> np.ndarray:
    """1 at the mouth centre, 0 at and beyond the corners."""
    uc = spec.MOUTH_HALF_WIDTH_DEG * MM_PER_DEG
    return np.sqrt(np.clip(1.0 - (u_mm / uc) ** 2, 0.0, 1.0))


def upper_lip_height(u_mm: np.ndarray) -> np.ndarray:
    """Height of the upper lip's red part above the slit (with a cupid's bow), mm."""
    bow = -0.9 * np.exp(-((u_mm / 1.8) ** 2)) + 0.6 * np.exp(-(((np.abs(u_mm) - 4.6) / 2.4) ** 2))
    return 5.6 * lip_taper(u_mm) ** 0.6 + bow * lip_taper(u_mm)


def lower_lip_height(u_mm: np.ndarray) -> np.ndarray:
    """Height of the lower lip's red part below the slit, mm."""
    return 6.6 * lip_taper(u_mm) ** 0.5


def lip_displacement(u_mm: np.ndarray, v_mm: np.ndarray, side: np.ndarray) -> np.ndarray:
    """Outward displacement (mm) of the lips, philtrum and mouth corners.

    ``side`` is +1 above the slit, -1 below (the slit row itself is given by the vertex copy).
    """
    taper = lip_taper(u_mm)
    hu = np.maximum(upper_lip_height(u_mm), 0.8)
    hl = np.maximum(lower_lip_height(u_mm), 0.8)
    t_up = np.clip(np.maximum(v_mm, 0.0) / hu, 0.0, 3.0)
    t_lo = np.clip(np.maximum(-v_mm, 0.0) / hl, 0.0, 3.5)
    up = _UPPER(t_up) * taper**0.4
    lo = _LOWER(t_lo) * taper**0.4
    d = np.where(side >= 0, up, lo)
    # philtrum: a shallow groove between two soft ridges above the upper lip
    win = smoothstep(0.0, 2.5, v_mm - hu) * (1.0 - smoothstep(5.0, 11.0, v_mm - hu))
    phil = -0.3 * np.exp(-((u_mm / 2.2) ** 2)) + 0.12 * np.exp(-(((np.abs(u_mm) - 3.6) / 1.6) ** 2))
    d = d + np.where(side >= 0, phil * win, 0.0)
    # mouth corners: small pits
    uc = spec.MOUTH_HALF_WIDTH_DEG * MM_PER_DEG
    d = d - 1.5 * np.exp(-(((np.abs(u_mm) - uc) ** 2 + v_mm**2) / 3.2**2))
    return d


def resting_smile(u_mm: np.ndarray, v_mm: np.ndarray) -> np.ndarray:
    """Upward shift (metres) that turns the mouth corners up a little at rest."""
    uc = spec.MOUTH_HALF_WIDTH_DEG * MM_PER_DEG
    across = np.minimum(np.abs(u_mm) / uc, 1.0) ** 2 * np.exp(
        -(np.maximum(np.abs(u_mm) - uc, 0.0) / 9.0) ** 2)
    return 0.0019 * across * np.exp(-((v_mm / 10.0) ** 2))


def lip_mask(u_mm: np.ndarray, v_mm: np.ndarray, side: np.ndarray) -> np.ndarray:
    """0..1 amount of lip colour."""
    hu = upper_lip_height(u_mm)
    hl = lower_lip_height(u_mm)
    up = 1.0 - smoothstep(hu - 0.8, hu + 0.8, v_mm)
    lo = 1.0 - smoothstep(hl - 0.9, hl + 0.9, -v_mm)
    inside = np.where(side >= 0, up, lo)
    uc = spec.MOUTH_HALF_WIDTH_DEG * MM_PER_DEG
    return inside * (1.0 - smoothstep(uc - 4.0, uc + 0.5, np.abs(u_mm)))


def _grid_mirror(lat: np.ndarray, lon: np.ndarray, tag: np.ndarray) -> np.ndarray:
    """Index of each grid vertex's mirror image (same row and copy, negated longitude)."""
    lon_m = np.where(lon >= 180.0, 180.0, -lon)
    lon_m = np.where(np.abs(lat) >= 90.0, 0.0, lon_m)
    key = {(float(a), float(b), int(t)): i
           for i, (a, b, t) in enumerate(zip(lat, lon, tag, strict=True))}
    return np.array([key[(float(a), float(b), int(t))]
                     for a, b, t in zip(lat, lon_m, tag, strict=True)])


def relax_weight(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """How freely each vertex may slide during relaxation (0 = pinned)."""
    dlat = lat - spec.MOUTH_LAT_DEG
    mouth = (1.0 - smoothstep(20.0, 27.0, np.abs(lon))) * \
        smoothstep(-17.0, -13.0, dlat) * (1.0 - smoothstep(11.0, 15.0, dlat))
    neck = 1.0 - smoothstep(-72.0, -66.0, lat)
    return (1.0 - mouth) * (1.0 - neck)


def relax(pos: np.ndarray, tris: np.ndarray, weight: np.ndarray, iterations: int = 30,
          rate: float = 0.5) -> np.ndarray:
    """Tangential umbrella smoothing that keeps the vertices on the skull field."""
    n = pos.shape[0]
    edges = np.unique(np.sort(np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]]),
                              axis=1), axis=0)
    deg = np.bincount(edges.ravel(), minlength=n).astype(np.float64)

    def neighbour_sum(p: np.ndarray) -> np.ndarray:
        acc = np.zeros_like(p)
        np.add.at(acc, edges[:, 0], p[edges[:, 1]])
        np.add.at(acc, edges[:, 1], p[edges[:, 0]])
        return acc

    active = weight > 0
    p = pos.copy()
    for _ in range(iterations):
        q = p[active]
        g = sdf.gradient(sdf.head_field, q)
        nrm = g / np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-12)
        d = neighbour_sum(p)[active] / deg[active, None] - q
        d -= (d * nrm).sum(axis=1, keepdims=True) * nrm
        q = q + rate * weight[active, None] * d
        p[active] = sdf.project(sdf.head_field, q, steps=2)
    return p


# -- the skin piece ------------------------------------------------------------------------

SKIN_TONE = np.array([0.80, 0.47, 0.33])
"""Linear base colour of the skin material (vertex colours multiply it)."""

LIP_COLOR = np.array([0.62, 0.22, 0.20])
"""Linear lip colour (final, before lighting)."""


BLUSH = np.array([1.0, 0.80, 0.80])
"""Colour multiplier at the middle of the cheek blush and the nose tip."""


def _blush(pos: np.ndarray, col: np.ndarray) -> np.ndarray:
    """Warm the cheek apples and the tip of the nose a little."""
    q = pos.copy()
    q[:, 0] = np.abs(q[:, 0])
    cheek = np.exp(-np.sum(((q - np.array([0.038, -0.026, 0.072])) / np.array(
        [0.016, 0.012, 0.02])) ** 2, axis=1))
    nose = np.exp(-np.sum(((q - np.array([0.0, -0.018, 0.099])) / 0.007) ** 2, axis=1))
    w = (0.55 * cheek + 0.35 * nose)[:, None]
    return col * (1 - w) + col * BLUSH * w


@dataclass
class SkinResult:
    """The skin piece plus what other builders need to know about it."""

    piece: Piece
    slit_upper: np.ndarray
    """Vertex indices of the upper lip edge, corner to corner (corners included)."""
    slit_lower: np.ndarray
    """Vertex indices of the lower lip edge, same order as ``slit_upper``."""
    slit_lon: np.ndarray
    """Longitudes of the slit vertices."""


def build_skin() -> SkinResult:
    """Build the head skin with its lip slit."""
    lats = latitudes()
    i_mouth = int(np.argmin(np.abs(lats - spec.MOUTH_LAT_DEG)))
    rings_lon = [longitudes(float(la)) for la in lats]

    lat_l: list[np.ndarray] = [np.array([-90.0])]
    lon_l: list[np.ndarray] = [np.array([0.0])]
    for la, lo in zip(lats, rings_lon, strict=True):
        lat_l.append(np.full(lo.shape, la))
        lon_l.append(lo)
    lat_l.append(np.array([90.0]))
    lon_l.append(np.array([0.0]))
    lat_all = np.concatenate(lat_l)
    lon_all = np.concatenate(lon_l)
    starts = np.cumsum([0] + [len(x) for x in lon_l])

    # duplicate the split part of the mouth row
    mouth_start = starts[i_mouth + 1]
    mouth_lon = rings_lon[i_mouth]
    split = np.flatnonzero(np.abs(mouth_lon) < spec.MOUTH_HALF_WIDTH_DEG - 1e-9)
    n_base = lat_all.shape[0]
    copies = n_base + np.arange(split.size)
    lat_all = np.concatenate([lat_all, lat_all[mouth_start + split]])
    lon_all = np.concatenate([lon_all, lon_all[mouth_start + split]])
    side = np.where(lat_all > spec.MOUTH_LAT_DEG + 1e-9, 1.0,
                    np.where(lat_all < spec.MOUTH_LAT_DEG - 1e-9, -1.0, 0.0))
    side[mouth_start + split] = 1.0
    side[copies] = -1.0
    tag = np.zeros(lat_all.shape[0], dtype=np.int64)
    tag[copies] = SKIN_TAG_LOWER_COPY

    # stitch the -X half, then mirror the triangles onto the +X half
    ring_idx = [np.arange(starts[k], starts[k + 1]) for k in range(len(lon_l))]
    lower_view = ring_idx[i_mouth + 1].copy()
    lower_view[split] = copies
    half: list[tuple[int, int, int]] = []
    for k in range(len(ring_idx) - 1):
        b_idx = lower_view if k == i_mouth else ring_idx[k + 1]
        a_h = _half(ring_idx[k], lon_l[k])
        b_h = _half(b_idx, lon_l[k + 1])
        half += zip_half(a_h[0], a_h[1], b_h[0], b_h[1])
    mirror = _grid_mirror(lat_all, lon_all, tag)
    half_arr = np.asarray(half, dtype=np.int64)
    tris_arr = np.concatenate([half_arr, mirror[half_arr][:, ::-1]])

    # cast, then even out the triangles away from the mouth
    dirs = directions(lat_all, lon_all)
    r = sdf.ray_cast(sdf.head_field, dirs)
    pos = dirs * r[:, None]
    free = relax_weight(lon_all, lat_all)
    pos = relax(pos, tris_arr, free)
    moved = free > 0
    lon_all = np.where(moved, np.degrees(np.arctan2(pos[:, 0], pos[:, 2])), lon_all)
    lat_all = np.where(moved, np.degrees(np.arcsin(pos[:, 1] / np.linalg.norm(pos, axis=1))),
                       lat_all)
    u_mm = lon_all * MM_PER_DEG
    v_mm = (lat_all - spec.MOUTH_LAT_DEG) * MM_PER_DEG
    disp = lip_displacement(u_mm, v_mm, side) * 1e-3
    grad = sdf.gradient(sdf.head_field, pos)
    field_normal = grad / np.linalg.norm(grad, axis=1, keepdims=True)
    pos = pos + pos / np.linalg.norm(pos, axis=1, keepdims=True) * disp[:, None]
    lift = resting_smile(u_mm, v_mm)
    pos[:, 1] += lift
    disp = np.abs(disp) + lift

    # colours: lips, slit line, cheeks blush, nostrils
    lips = lip_mask(u_mm, v_mm, side)
    col = np.ones((pos.shape[0], 3))
    col = col * (1 - lips[:, None]) + (LIP_COLOR / SKIN_TONE)[None, :] * lips[:, None]
    uc = spec.MOUTH_HALF_WIDTH_DEG * MM_PER_DEG
    slit_dark = np.exp(-((v_mm / 0.9) ** 2)) * (1.0 - smoothstep(uc - 2, uc + 2, np.abs(u_mm)))
    col *= (1.0 - 0.35 * slit_dark)[:, None]
    col = _blush(pos, col)

    # where the skin is exactly the skull field, its gradient is the smoothest normal
    use_field = 1.0 - smoothstep(0.0, 0.00015, np.abs(disp))
    piece = Piece(pos, tris_arr, col, "skin", tag=tag,
                  attrs={"lon": lon_all, "lat": lat_all, "side": side,
                         "field_nx": field_normal[:, 0], "field_ny": field_normal[:, 1],
                         "field_nz": field_normal[:, 2], "field_w": use_field})
    order = np.argsort(mouth_lon)
    sel = order[np.abs(mouth_lon[order]) <= spec.MOUTH_HALF_WIDTH_DEG + 1e-9]
    slit_upper = mouth_start + sel
    slit_lower = slit_upper.copy()
    for n, s in enumerate(sel):
        hit = np.flatnonzero(split == s)
        if hit.size:
            slit_lower[n] = copies[hit[0]]
    return SkinResult(piece, slit_upper, slit_lower, mouth_lon[sel])
