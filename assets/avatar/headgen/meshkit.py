"""Small mesh utilities: a part under construction, sampling, stitching, normals, mirroring."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MIRROR = np.array([-1.0, 1.0, 1.0])
"""Multiply a vector by this to mirror it across the X = 0 plane."""


@dataclass
class Piece:
    """Geometry of one construction piece (merged later into a glTF mesh).

    Parameters
    ----------
    positions
        ``(V, 3)`` float64 rest positions (build frame).
    triangles
        ``(T, 3)`` int vertex indices, counter-clockwise seen from the front side.
    colors
        ``(V, 3)`` linear vertex colour multipliers.
    kind
        Short name of what the piece is (``"skin"``, ``"lid"``, ``"brow"``, ...).
    tag
        ``(V,)`` int, vertices that may coincide at rest get different tags (mirror matching).
    attrs
        Per-vertex parameters the morph targets are computed from.
    """

    positions: np.ndarray
    triangles: np.ndarray
    colors: np.ndarray
    kind: str
    tag: np.ndarray | None = None
    attrs: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = self.positions.shape[0]
        if self.tag is None:
            self.tag = np.zeros(n, dtype=np.int64)
        self.triangles = np.asarray(self.triangles, dtype=np.int64).reshape(-1, 3)

    @property
    def count(self) -> int:
        """Number of vertices."""
        return int(self.positions.shape[0])


def graded(start: float, end: float, d_start: float, d_end: float) -> np.ndarray:
    """Samples in ``(start, end]`` whose spacing changes linearly from ``d_start`` to ``d_end``.

    The count is rounded so the last sample lands exactly on ``end``.
    """
    length = abs(end - start)
    if length == 0:
        return np.zeros(0)
    mean = 0.5 * (d_start + d_end)
    n = max(1, int(round(length / mean)))
    # spacing s(u) = d_start + (d_end - d_start) u over u in [0, 1]: position is its integral.
    u = np.arange(1, n + 1) / n
    pos = d_start * u + 0.5 * (d_end - d_start) * u * u
    pos = pos / pos[-1] * length
    return start + np.sign(end - start) * pos


def grid_triangles(rows: int, cols: int, *, wrap: bool = False) -> np.ndarray:
    """Triangles of a ``rows x cols`` vertex grid (row-major), CCW with rows going up.

    Column index grows to the right, row index grows upward; diagonals alternate with the
    column half so a grid that is mirror-symmetric in its columns triangulates symmetrically.
    """
    tris = []
    ncol = cols if wrap else cols - 1
    for r in range(rows - 1):
        for c in range(ncol):
            c1 = (c + 1) % cols
            a, b = r * cols + c, r * cols + c1
            d, e = (r + 1) * cols + c, (r + 1) * cols + c1
            if (c + 0.5) < cols / 2 or wrap:
                tris += [(a, b, e), (a, e, d)]
            else:
                tris += [(a, b, d), (b, e, d)]
    return np.asarray(tris, dtype=np.int64).reshape(-1, 3)


def vertex_normals(positions: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Area-weighted smooth vertex normals."""
    p = positions
    t = triangles
    fn = np.cross(p[t[:, 1]] - p[t[:, 0]], p[t[:, 2]] - p[t[:, 0]])
    n = np.zeros_like(p)
    for k in range(3):
        np.add.at(n, t[:, k], fn)
    length = np.linalg.norm(n, axis=1, keepdims=True)
    return n / np.maximum(length, 1e-20)


def mirror_map(positions: np.ndarray, tag: np.ndarray, tol: float = 1e-7) -> np.ndarray:
    """Index of each vertex's mirror image (``x -> -x``, same tag).

    Raises ``ValueError`` when some vertex has no mirror partner (the geometry is not
    symmetric).
    """
    cell = 1e-6
    keys = np.round(positions / cell).astype(np.int64)
    table = {(int(k[0]), int(k[1]), int(k[2]), int(t)): i
             for i, (k, t) in enumerate(zip(keys, tag, strict=True))}
    mirrored = positions * MIRROR
    mkeys = np.round(mirrored / cell).astype(np.int64)
    out = np.array([table.get((int(k[0]), int(k[1]), int(k[2]), int(t)), -1)
                    for k, t in zip(mkeys, tag, strict=True)])
    for i in np.flatnonzero(out < 0):  # rounded into a neighbouring cell: search directly
        same = np.flatnonzero(tag == tag[i])
        out[i] = same[np.argmin(np.linalg.norm(positions[same] - mirrored[i], axis=1))]
    dist = np.linalg.norm(positions[out] - mirrored, axis=1)
    if np.max(dist) > tol:
        bad = int(np.argmax(dist))
        raise ValueError(f"vertex {bad} at {positions[bad]} has no mirror (off by {dist[bad]:.3g})")
    return out


def symmetrize(values: np.ndarray, mirror: np.ndarray, *, vector: bool) -> np.ndarray:
    """Average per-vertex values with their mirror images so they are exactly symmetric."""
    other = values[mirror]
    if vector:
        other = other * MIRROR
    return 0.5 * (values + other)


def smoothstep(e0: float | np.ndarray, e1: float | np.ndarray, x: np.ndarray) -> np.ndarray:
    """Hermite step from 0 at ``e0`` to 1 at ``e1`` (either order)."""
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def bump(d: np.ndarray) -> np.ndarray:
    """Compactly supported smooth bump: 1 at ``d = 0``, 0 for ``|d| >= 1`` (Wendland C2)."""
    t = np.clip(np.abs(d), 0.0, 1.0)
    return (1.0 - t) ** 4 * (4.0 * t + 1.0)


def clip(positions: np.ndarray, triangles: np.ndarray, value: np.ndarray,
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Keep the part of a mesh where ``value > 0``, cutting triangles along ``value = 0``.

    Returns
    -------
    tuple
        ``(positions, triangles, source, weight)``: new vertices are blends
        ``(1 - weight) * old[source[:, 0]] + weight * old[source[:, 1]]``; use ``source`` and
        ``weight`` to carry per-vertex data over. Kept original vertices have
        ``source = (i, i)``. Unused vertices are dropped.
    """
    keep = value > 0
    n = positions.shape[0]
    src = [(i, i) for i in range(n)]
    wts = [0.0] * n
    cache: dict[tuple[int, int], int] = {}

    def cut(i: int, j: int) -> int:
        key = (i, j) if i < j else (j, i)
        if key not in cache:
            a, b = key
            t = float(value[a] / (value[a] - value[b]))
            cache[key] = len(src)
            src.append((a, b))
            wts.append(min(max(t, 0.0), 1.0))
        return cache[key]

    out: list[tuple[int, int, int]] = []
    for tri in triangles:
        k = keep[tri]
        nk = int(k.sum())
        if nk == 3:
            out.append(tuple(int(x) for x in tri))
        elif nk == 0:
            continue
        else:
            for r in range(3):  # rotate so the odd vertex comes first
                a, b, c = (int(tri[(r + s) % 3]) for s in range(3))
                if nk == 1 and keep[a]:
                    out.append((a, cut(a, b), cut(a, c)))
                    break
                if nk == 2 and not keep[a]:
                    eb, ec = cut(a, b), cut(a, c)
                    out.append((eb, b, c))
                    out.append((eb, c, ec))
                    break
    source = np.asarray(src, dtype=np.int64)
    weight = np.asarray(wts)
    w = weight[:, None]
    pos = positions[source[:, 0]] * (1 - w) + positions[source[:, 1]] * w
    tris = np.asarray(out, dtype=np.int64).reshape(-1, 3)
    used = np.zeros(pos.shape[0], dtype=bool)
    used[tris.ravel()] = True
    new_index = np.cumsum(used) - 1
    return pos[used], new_index[tris], source[used], weight[used]


def plateau(d: np.ndarray, inner: float = 0.35) -> np.ndarray:
    """Compactly supported mask: 1 for ``|d| <= inner``, easing to 0 at ``|d| = 1``."""
    return 1.0 - smoothstep(inner, 1.0, np.abs(d))


class Pchip:
    """Monotone piecewise-cubic interpolation (Fritsch-Carlson), clamped at the ends.

    Parameters
    ----------
    x, y
        Knots (``x`` strictly increasing) and values.
    """

    def __init__(self, x: np.ndarray | list[float], y: np.ndarray | list[float]) -> None:
        self.x = np.asarray(x, dtype=np.float64)
        self.y = np.asarray(y, dtype=np.float64)
        h = np.diff(self.x)
        delta = np.diff(self.y) / h
        d = np.zeros_like(self.y)
        for k in range(1, self.x.size - 1):
            if delta[k - 1] * delta[k] > 0:
                w1, w2 = 2 * h[k] + h[k - 1], h[k] + 2 * h[k - 1]
                d[k] = (w1 + w2) / (w1 / delta[k - 1] + w2 / delta[k])
        d[0] = self._end(h[0], h[1], delta[0], delta[1])
        d[-1] = self._end(h[-1], h[-2], delta[-1], delta[-2])
        self.d = d

    @staticmethod
    def _end(h0: float, h1: float, m0: float, m1: float) -> float:
        d = ((2 * h0 + h1) * m0 - h0 * m1) / (h0 + h1)
        if np.sign(d) != np.sign(m0):
            return 0.0
        if np.sign(m0) != np.sign(m1) and abs(d) > abs(3 * m0):
            return 3 * m0
        return float(d)

    def __call__(self, xq: np.ndarray) -> np.ndarray:
        """Evaluate at ``xq`` (clamped into the knot range)."""
        x = np.clip(np.asarray(xq, dtype=np.float64), self.x[0], self.x[-1])
        k = np.clip(np.searchsorted(self.x, x, side="right") - 1, 0, self.x.size - 2)
        h = self.x[k + 1] - self.x[k]
        t = (x - self.x[k]) / h
        t2, t3 = t * t, t * t * t
        return ((2 * t3 - 3 * t2 + 1) * self.y[k] + (t3 - 2 * t2 + t) * h * self.d[k]
                + (-2 * t3 + 3 * t2) * self.y[k + 1] + (t3 - t2) * h * self.d[k + 1])
