"""The skull as a smooth implicit surface (signed-distance-like field) and a ray caster.

The field is a smooth union of ellipsoids and capsules (cranium, face mass, cheeks, chin,
nose, brow ridge, eye sockets, neck). It is exactly mirror-symmetric in X: every paired term
uses ``abs(x)``, so mirrored rays give bit-identical hits.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import spec

Field = Callable[[np.ndarray], np.ndarray]


def ellipsoid(p: np.ndarray, centre: tuple[float, ...], radii: tuple[float, ...]) -> np.ndarray:
    """Approximate signed distance to an axis-aligned ellipsoid (Quilez's bound)."""
    r = np.asarray(radii, dtype=np.float64)
    q = (p - np.asarray(centre)) / r
    k0 = np.linalg.norm(q, axis=-1)
    k1 = np.linalg.norm(q / r, axis=-1)
    return k0 * (k0 - 1.0) / np.maximum(k1, 1e-12)


def sphere(p: np.ndarray, centre: np.ndarray | tuple[float, ...], radius: float) -> np.ndarray:
    """Signed distance to a sphere."""
    return np.linalg.norm(p - np.asarray(centre), axis=-1) - radius


def capsule(p: np.ndarray, a: tuple[float, ...], b: tuple[float, ...], radius: float) -> np.ndarray:
    """Signed distance to a capsule from ``a`` to ``b``."""
    a_ = np.asarray(a, dtype=np.float64)
    ab = np.asarray(b, dtype=np.float64) - a_
    ap = p - a_
    h = np.clip((ap @ ab) / (ab @ ab), 0.0, 1.0)
    return np.linalg.norm(ap - h[..., None] * ab, axis=-1) - radius


def smin(a: np.ndarray, b: np.ndarray, k: float) -> np.ndarray:
    """Polynomial smooth minimum (smooth union) with blend width ``k``."""
    h = np.clip(0.5 + 0.5 * (b - a) / k, 0.0, 1.0)
    return b * (1.0 - h) + a * h - k * h * (1.0 - h)


def smax(a: np.ndarray, b: np.ndarray, k: float) -> np.ndarray:
    """Polynomial smooth maximum (smooth intersection / subtraction)."""
    return -smin(-a, -b, k)


def _mirror(p: np.ndarray) -> np.ndarray:
    """Fold X onto the positive side so paired features are exactly symmetric."""
    q = p.copy()
    q[..., 0] = np.abs(q[..., 0])
    return q


def head_field(p: np.ndarray) -> np.ndarray:
    """Field of the bare head and neck (negative inside) in the build frame.

    Parameters
    ----------
    p
        ``(..., 3)`` points.
    """
    q = _mirror(p)
    e = spec.EYE_CENTRE_LEFT
    d = ellipsoid(p, (0.0, 0.020, -0.020), (0.085, 0.094, 0.094))  # cranium
    d = smin(d, ellipsoid(p, (0.0, 0.042, 0.0), (0.073, 0.058, 0.084)), 0.02)  # forehead
    d = smin(d, ellipsoid(p, (0.0, -0.036, 0.012), (0.056, 0.054, 0.066)), 0.034)  # face mass
    # the side of the face from the temple down to the jaw: one broad convex mass, so the
    # cranium, the face mass and the cheeks meet without a hollow behind the cheekbone
    d = smin(d, ellipsoid(q, (0.030, -0.016, 0.010), (0.048, 0.050, 0.052)), 0.014)  # zygoma
    d = smin(d, ellipsoid(q, (0.040, 0.018, 0.026), (0.034, 0.028, 0.032)), 0.012)  # temples
    d = smin(d, ellipsoid(q, (0.037, -0.022, 0.048), (0.027, 0.024, 0.027)), 0.028)  # cheeks
    d = smin(d, ellipsoid(p, (0.0, -0.046, 0.058), (0.034, 0.021, 0.027)), 0.020)  # muzzle
    d = smin(d, ellipsoid(p, (0.0, -0.070, 0.050), (0.033, 0.021, 0.027)), 0.024)  # jaw front
    d = smin(d, ellipsoid(p, (0.0, -0.079, 0.062), (0.017, 0.012, 0.014)), 0.012)  # chin
    d = smin(d, ellipsoid(p, (0.0, 0.034, 0.058), (0.044, 0.012, 0.022)), 0.020)  # brow ridge
    # nose: a slim bridge from between the eyes, a small tip and neat wings
    d = smin(d, capsule(p, (0.0, 0.006, 0.0760), (0.0, -0.0150, 0.0880), 0.0042), 0.012)
    d = smin(d, ellipsoid(p, (0.0, -0.0165, 0.0885), (0.0070, 0.0062, 0.0072)), 0.016)
    d = smin(d, ellipsoid(q, (0.0062, -0.0198, 0.0842), (0.0042, 0.0036, 0.0046)), 0.010)
    # the bulge the eyelids rest on
    d = smin(d, sphere(q, e, spec.LID_RADIUS - 0.0004), 0.004)
    # neck, rounded off below the frame
    bottom = spec.NECK_BOTTOM_Y + 0.042
    d = smin(d, capsule(p, (0.0, -0.045, -0.022), (0.0, bottom, -0.026), 0.043), 0.028)
    return d


def ray_cast(
    field: Field,
    directions: np.ndarray,
    origin: np.ndarray | None = None,
    *,
    t_min: float = 0.02,
    t_max: float = 0.30,
    step: float = 0.001,
    iterations: int = 40,
) -> np.ndarray:
    """Distance along each ray from ``origin`` (inside) to where the field first turns positive.

    Parameters
    ----------
    field
        The implicit function (negative inside).
    directions
        ``(N, 3)`` unit directions.
    origin
        Ray origin (inside the surface); default the build-frame origin.
    t_min, t_max, step
        Marching range and step (the first sign change is refined by bisection).
    iterations
        Bisection steps.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` hit distances.
    """
    o = np.zeros(3) if origin is None else np.asarray(origin, dtype=np.float64)
    n = directions.shape[0]
    ts = np.arange(t_min, t_max + step, step)
    hit_hi = np.full(n, np.nan)
    for t in ts:
        todo = np.isnan(hit_hi)
        if not todo.any():
            break
        vals = field(o + t * directions[todo])
        out = vals > 0
        idx = np.flatnonzero(todo)[out]
        hit_hi[idx] = t
    if np.isnan(hit_hi).any():
        raise RuntimeError("ray missed the surface")
    lo = hit_hi - step
    hi = hit_hi.copy()
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        inside = field(o + mid[:, None] * directions) <= 0
        lo = np.where(inside, mid, lo)
        hi = np.where(inside, hi, mid)
    return 0.5 * (lo + hi)


def gradient(field: Field, p: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of ``field`` at points ``p`` (``(N, 3)``)."""
    g = np.empty_like(p)
    for k in range(3):
        e = np.zeros(3)
        e[k] = h
        g[:, k] = (field(p + e) - field(p - e)) / (2 * h)
    return g


def project(field: Field, p: np.ndarray, steps: int = 3) -> np.ndarray:
    """Move points onto the zero set along the field gradient (Newton steps)."""
    q = p.copy()
    for _ in range(steps):
        g = gradient(field, q)
        f = field(q)
        q = q - (f / np.maximum((g * g).sum(axis=1), 1e-12))[:, None] * g
    return q
