"""Eyeballs: spheres in node-local space (centre at the origin, looking toward +Z).

Sclera, iris and pupil are vertex colours on rings placed densely around their borders, so
the edges stay crisp with few vertices.
"""

from __future__ import annotations

import numpy as np

from . import spec
from .meshkit import Piece, grid_triangles, smoothstep

SEGMENTS = 48
SCLERA = np.array([0.80, 0.77, 0.73])
PUPIL = np.array([0.008, 0.008, 0.01])
IRIS_INNER = np.array([0.36, 0.22, 0.07])
IRIS_MID = np.array([0.07, 0.26, 0.30])
IRIS_OUTER = np.array([0.025, 0.085, 0.11])
LIMBUS = np.array([0.012, 0.02, 0.026])


def ring_angles() -> np.ndarray:
    """Polar angles (degrees from the front pole) of the vertex rings."""
    p, i = spec.PUPIL_ANGLE_DEG, spec.IRIS_ANGLE_DEG
    return np.array([0.0, 4.0, 8.0, p - 0.6, p + 0.6, p + 2.5, p + 5.5, p + 9.0, i - 5.0,
                     i - 2.2, i - 0.6, i + 0.6, i + 3.0, i + 7.0, i + 13.0, 52.0, 62.0, 74.0,
                     88.0, 104.0, 122.0, 142.0, 162.0, 180.0])


def ring_color(theta: float, phi: np.ndarray) -> np.ndarray:
    """Colour of the vertices on one ring (``phi`` = azimuths in radians)."""
    p, i = spec.PUPIL_ANGLE_DEG, spec.IRIS_ANGLE_DEG
    n = phi.shape[0]
    if theta < p:
        return np.tile(PUPIL, (n, 1))
    if theta < i:
        u = (theta - p) / (i - p)  # 0 at the pupil, 1 at the limbus
        base = np.where(u < 0.45, 0.0, 1.0)
        c_in = IRIS_INNER + (IRIS_MID - IRIS_INNER) * smoothstep(0.0, 0.45, u)
        c_out = IRIS_MID + (IRIS_OUTER - IRIS_MID) * smoothstep(0.45, 0.92, u)
        c = np.where(base > 0, c_out, c_in)
        c = c + (LIMBUS - c) * smoothstep(0.85, 1.0, u)
        streak = 1.0 + 0.22 * np.sin(7 * phi + 3.1 * u) + 0.12 * np.sin(17 * phi + 1.7)
        return np.tile(c, (n, 1)) * streak[:, None]
    w = smoothstep(i + 0.5, i + 4.0, theta)
    c = LIMBUS + (SCLERA - LIMBUS) * w
    warm = smoothstep(50.0, 100.0, theta)
    c = c * (1 - 0.18 * warm) + np.array([0.80, 0.62, 0.58]) * 0.18 * warm
    return np.tile(c, (n, 1))


def build_eyeball() -> Piece:
    """One eyeball in node-local coordinates (the same mesh serves both eyes)."""
    thetas = ring_angles()
    phi = np.linspace(0.0, 2 * np.pi, SEGMENTS, endpoint=False)
    pos, col = [], []
    for th in thetas:
        t = np.radians(th)
        ring = np.stack([np.sin(t) * np.cos(phi), np.sin(t) * np.sin(phi),
                         np.full_like(phi, np.cos(t))], axis=1)
        pos.append(ring * spec.EYE_RADIUS)
        col.append(ring_color(float(th), phi))
    p = np.concatenate(pos)
    c = np.concatenate(col)
    tris = grid_triangles(len(thetas), SEGMENTS, wrap=True)
    # rings grow away from +Z; with azimuth counter-clockwise seen from the front the
    # grid's "up" is outward, so triangles face -Z: flip them.
    tris = tris[:, ::-1]
    return _weld_poles(Piece(p, tris, c, "eye"))


def _weld_poles(piece: Piece) -> Piece:
    """Collapse the first and last rings (degenerate poles) into single vertices."""
    n = SEGMENTS
    v = piece.count
    keep = np.ones(v, dtype=bool)
    keep[1:n] = False
    keep[v - n + 1 :] = False
    remap = np.arange(v)
    remap[:n] = 0
    remap[v - n :] = v - n
    tris = remap[piece.triangles]
    ok = (tris[:, 0] != tris[:, 1]) & (tris[:, 1] != tris[:, 2]) & (tris[:, 0] != tris[:, 2])
    tris = tris[ok]
    new_index = np.cumsum(keep) - 1
    return Piece(piece.positions[keep], new_index[tris], piece.colors[keep], piece.kind)
