"""A stylized hair cap: a thick shell over the skull with a soft side-swept fringe.

Each column of the grid runs from the hairline (where the shell tucks under the skin, so the
edge looks thick) up to the crown. Thickness adds volume on top, a swept fringe and gentle
clumps whose grooves are darkened in the vertex colours.
"""

from __future__ import annotations

import numpy as np

from . import sdf
from .meshkit import Pchip, Piece, smoothstep
from .skin import directions

HAIR_COLOR = np.array([0.16, 0.075, 0.04])
"""Linear base colour of the hair material."""

# hairline latitude (deg) by longitude (deg, +X = avatar's left); the fringe sweeps to +X
_LINE_LON = np.array([-180, -150, -125, -112, -100, -88, -80, -74, -62, -45, -25, -8, 8, 22,
                      36, 50, 62, 74, 80, 88, 100, 112, 125, 150, 180], dtype=float)
_LINE_LAT = np.array([-22, -19, -6, 6, 17, 13, 2, 16, 30, 38, 43, 40, 35, 31, 28, 26, 27,
                      16, 2, 13, 17, 6, -6, -19, -22], dtype=float)


def hairline(lon: np.ndarray) -> np.ndarray:
    """Latitude of the hairline for each longitude (degrees)."""
    f = Pchip(_LINE_LON, _LINE_LAT)
    return f(((lon + 180.0) % 360.0) - 180.0)


def thickness(lon: np.ndarray, lat: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Shell thickness above the skin (metres) for rows ``t`` (0 at the hairline)."""
    front = np.cos(np.radians(lon)) * 0.5 + 0.5
    top = 0.0042 + 0.0095 * smoothstep(0.0, 58.0, lat)
    sides = np.exp(-(((np.abs(lon) - 92.0) / 38.0) ** 2)) * (1 - smoothstep(15.0, 50.0, lat))
    nape = (1 - front) * (1 - smoothstep(-20.0, 25.0, lat))
    base = top * (1 - 0.45 * sides) * (1 - 0.35 * nape)
    quiff = 0.0055 * np.exp(-(((lon - 12.0) / 38.0) ** 2)) * smoothstep(25.0, 45.0, lat) * (
        1 - smoothstep(55.0, 80.0, lat))
    fringe = 0.0028 * np.exp(-(((lon - 30.0) / 25.0) ** 2)) * (1 - smoothstep(30.0, 50.0, lat))
    full = base + quiff + fringe
    edge = smoothstep(0.0, 1.0, np.clip(t / 0.16, 0.0, 1.0)) ** 0.5
    amp = 0.06 * (0.3 + 0.7 * front)
    clumps = 1.0 + amp * np.sin(flow_phase(lon, lat)) * smoothstep(0.05, 0.3, t)
    return -0.0012 + (full * clumps + 0.0012) * edge


def flow_phase(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Phase of the hair clumps: stripes radiating from the crown, swept across the fringe."""
    sweep = 38.0 * np.exp(-((lon / 70.0) ** 2)) * (1 - smoothstep(40.0, 80.0, lat))
    return np.radians(lon + sweep) * 22.0


def build_hair() -> Piece:
    """Build the hair shell."""
    n_cols = 128
    lon = np.linspace(-180.0, 180.0, n_cols, endpoint=False)
    t_rows = np.concatenate([[0.0, 0.02, 0.05, 0.09, 0.14, 0.2], np.linspace(0.27, 0.97, 16)])
    line = hairline(lon)
    tt, ll = np.meshgrid(t_rows, lon, indexing="ij")  # rows: t, cols: lon
    lat = line[None, :] + (90.0 - line[None, :]) * tt
    dirs = directions(lat.ravel(), ll.ravel())
    r = sdf.ray_cast(sdf.head_field, dirs)
    th = thickness(ll.ravel(), lat.ravel(), tt.ravel())
    pos = dirs * (r + th)[:, None]
    # crown vertex
    top_dir = directions(np.array([90.0]), np.array([0.0]))
    r_top = sdf.ray_cast(sdf.head_field, top_dir)
    top = top_dir * (r_top + thickness(np.array([0.0]), np.array([90.0]), np.array([1.0])))[
        :, None]
    pos = np.concatenate([pos, top])
    n_rows = t_rows.size
    tris = []
    for i in range(n_rows - 1):
        for j in range(n_cols):
            a, b = i * n_cols + j, i * n_cols + (j + 1) % n_cols
            c, d = (i + 1) * n_cols + j, (i + 1) * n_cols + (j + 1) % n_cols
            tris += [(a, b, d), (a, d, c)]
    apex = n_rows * n_cols
    last = (n_rows - 1) * n_cols
    tris += [(last + j, last + (j + 1) % n_cols, apex) for j in range(n_cols)]
    groove = 0.5 + 0.5 * np.sin(flow_phase(ll.ravel(), lat.ravel()))
    shade = 0.72 + 0.28 * groove
    shade *= 0.75 + 0.25 * smoothstep(0.0, 0.25, tt.ravel())
    col = np.concatenate([shade, [1.0]])[:, None] * np.ones((1, 3))
    tip = np.concatenate([tt.ravel(), [1.0]])
    col = col * (1 + 0.25 * smoothstep(0.4, 1.0, tip))[:, None]
    return Piece(pos, np.asarray(tris, dtype=np.int64), np.clip(col, 0.0, 1.0), "hair")
