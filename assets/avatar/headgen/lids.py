"""Eyelids: a spherical shell around each eyeball with an almond-shaped opening.

Each lid vertex is defined by eye-local angles: a column azimuth ``a`` and a row that sits a
fixed fraction of the way from the lid edge to the shell's top (upper lid) or bottom (lower
lid). Moving the edge (blink, squint, wide, gaze) and re-evaluating the rows gives the morph
targets, so lids slide over the eyeball instead of cutting through it. The edge row is a rim
that curls in to touch the eyeball, so the lid has thickness and no gap shows.
"""

from __future__ import annotations

import numpy as np

from . import eyeframe as ef
from . import spec
from .meshkit import Piece, graded, grid_triangles, smoothstep
from .socket import in_opening

# rows of one lid: (offset from the edge in degrees, fraction toward the shell end)
RIM = (0.0, 0.0)
ROWS = [(1.6, 0.0), (1.6, 0.04), (1.6, 0.10), (1.6, 0.18), (1.6, 0.28), (1.6, 0.40),
        (1.6, 0.53), (1.6, 0.67), (1.6, 0.82), (1.6, 1.0)]

N_OPEN_COLUMNS = 40
BURY = 0.0011
"""How far the shell sinks below its radius at its outer boundary (hides it in the skin)."""


def columns() -> np.ndarray:
    """Azimuths of the lid columns (inner end to outer end), corners included exactly."""
    inner = graded(ef.A_IN, ef.A_MIN, 3.0, 5.0)[::-1]
    opening = ef.A_IN + (ef.A_OUT - ef.A_IN) * np.linspace(0.0, 1.0, N_OPEN_COLUMNS + 1)
    outer = graded(ef.A_OUT, ef.A_MAX, 3.0, 5.0)
    return np.concatenate([inner, opening, outer])


def row_elevation(edge: np.ndarray, off: np.ndarray, t: np.ndarray, side: np.ndarray) -> np.ndarray:
    """Elevation of a lid row given the current edge elevation."""
    end = np.where(side > 0, ef.B_TOP, ef.B_BOTTOM)
    start = edge + side * off
    return start + t * (end - start)


def shell_radius(a: np.ndarray, off: np.ndarray, t: np.ndarray, side: np.ndarray) -> np.ndarray:
    """Radius of each lid vertex (rim curls in to the eyeball, outer boundary sinks)."""
    k = ef.openness(a)
    base = spec.LID_RADIUS + np.where(side > 0, 0.00028, -0.00014) * k
    q_col = np.maximum((ef.A_IN - a) / (ef.A_IN - ef.A_MIN), (a - ef.A_OUT) / (ef.A_MAX - ef.A_OUT))
    bury = 1.0 - (1.0 - smoothstep(0.45, 1.0, t)) * (1.0 - smoothstep(0.3, 1.0, q_col))
    r = base - BURY * bury
    rim = (off == 0) & (t == 0)
    margin = (off > 0) & (t == 0)
    # the rim hugs the eyeball along the opening and a little past the corners (no gap)
    k2 = smoothstep(ef.A_IN - 7.0, ef.A_IN, a) * (1.0 - smoothstep(ef.A_OUT, ef.A_OUT + 7.0, a))
    rim_r = (spec.LID_RADIUS - 0.0004) * (1 - k2) + (spec.EYE_RADIUS + 0.00022) * k2
    r = np.where(rim, rim_r, r)
    r = np.where(margin, base - 0.0004 * k2, r)
    return r


def positions(sign: int, a: np.ndarray, b: np.ndarray, r: np.ndarray) -> np.ndarray:
    """3D positions of lid vertices of one eye."""
    return ef.eye_centre(sign) + ef.direction(a, b, sign) * r[:, None]


def build_lids(sign: int) -> Piece:
    """Build the upper and lower lids of the left (``+1``) or right (``-1``) eye."""
    cols = columns()
    up_e = ef.upper_edge(cols)
    lo_e = ef.lower_edge(cols)
    merged = (up_e - lo_e) < 1e-9
    rows_lower = [*ROWS[::-1], RIM]
    rows_upper = [RIM, *ROWS]
    n_rows = len(rows_lower) + len(rows_upper)
    idx = np.zeros((len(cols), n_rows), dtype=np.int64)
    a_l, off_l, t_l, side_l = [], [], [], []
    n = 0
    for c, a in enumerate(cols):
        for r, (off, t) in enumerate(rows_lower):
            idx[c, r] = n
            a_l.append(a), off_l.append(off), t_l.append(t), side_l.append(-1.0)
            n += 1
        for r, (off, t) in enumerate(rows_upper):
            rr = len(rows_lower) + r
            if r == 0 and merged[c]:
                idx[c, rr] = idx[c, rr - 1]
                side_l[-1] = 0.0
                continue
            idx[c, rr] = n
            a_l.append(a), off_l.append(off), t_l.append(t), side_l.append(1.0)
            n += 1
    a_v, off_v, t_v, side_v = map(np.asarray, (a_l, off_l, t_l, side_l))
    edge = np.where(side_v > 0, ef.upper_edge(a_v), np.where(side_v < 0, ef.lower_edge(a_v),
                                                            ef.corner_line(a_v)))
    b_v = row_elevation(edge, off_v, t_v, np.where(side_v == 0, 1.0, side_v))
    r_v = shell_radius(a_v, off_v, t_v, side_v)

    tris = []
    gap = len(rows_lower) - 1  # the row pair (lower rim, upper rim) is the opening
    for c in range(len(cols) - 1):
        for r in range(n_rows - 1):
            if r == gap:
                continue
            v00, v01 = idx[c, r], idx[c + 1, r]
            v10, v11 = idx[c, r + 1], idx[c + 1, r + 1]
            for tri in ((v00, v01, v11), (v00, v11, v10)):
                if len(set(tri)) == 3:
                    tris.append(tri)
    tri_arr = np.asarray(tris, dtype=np.int64)
    if sign < 0:
        tri_arr = tri_arr[:, ::-1]

    pos = positions(sign, a_v, b_v, r_v)
    col = lid_colors(a_v, off_v, t_v, side_v)
    attrs = {"a": a_v, "off": off_v, "t": t_v, "side": side_v, "r": r_v,
             "eye": np.full(a_v.shape, float(sign))}
    return Piece(pos, tri_arr, col, "lid", attrs=attrs)


def lid_colors(a: np.ndarray, off: np.ndarray, t: np.ndarray, side: np.ndarray) -> np.ndarray:
    """Vertex colour multipliers: a dark lash line on the upper lid, a soft lower lid rim."""
    s = ef.opening_param(a)
    col = np.ones((a.shape[0], 3))
    lash = (side > 0) & (t <= 0.04)
    strength = smoothstep(-0.05, 0.25, s) * (1.0 - smoothstep(1.02, 1.12, s))
    dark = np.array([0.09, 0.075, 0.08])
    w = np.where(lash, strength * np.where(t == 0, 1.0, 0.85), 0.0)
    liner = (side > 0) & (t > 0.04) & (t <= 0.10)
    w = np.where(liner, 0.35 * strength, w)
    col = col * (1 - w[:, None]) + dark[None, :] * w[:, None]
    lower_rim = (side < 0) & (t == 0)
    pink = np.array([0.95, 0.72, 0.72])
    wl = np.where(lower_rim, 0.8, 0.0) + np.where((side < 0) & (t > 0) & (t < 0.05), 0.25, 0.0)
    col = col * (1 - wl[:, None]) + pink[None, :] * wl[:, None]
    return col


def build_lining(sign: int) -> Piece:
    """A dark shell between eyeball and lids, outside the eye opening.

    Nothing normally shows it; at grazing angles it stops the eye from seeing into the head
    past the eye corners.
    """
    a = np.arange(ef.A_MIN + 2.0, ef.A_MAX - 1.0, 4.0)
    b = np.arange(ef.B_BOTTOM + 2.0, ef.B_TOP - 1.0, 4.0)
    aa, bb = np.meshgrid(a, b)  # rows: b (up), cols: a (outward)
    r = np.full(aa.size, spec.EYE_RADIUS + 0.0005)
    pos = positions(sign, aa.ravel(), bb.ravel(), r)
    tris = grid_triangles(b.size, a.size)
    inside = in_opening(aa.ravel(), bb.ravel(), margin=1.0)
    tris = tris[~inside[tris].any(axis=1)]
    if sign < 0:
        tris = tris[:, ::-1]
    used = np.zeros(pos.shape[0], dtype=bool)
    used[tris.ravel()] = True
    new = np.cumsum(used) - 1
    col = np.tile(np.array([0.55, 0.4, 0.4]), (int(used.sum()), 1))
    return Piece(pos[used], new[tris], col, "lining")
