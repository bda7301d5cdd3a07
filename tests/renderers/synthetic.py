"""A small synthetic face avatar for renderer tests (no asset files needed).

An ellipsoid head with a nose and a neck, two eyeballs with iris and pupil colours, and a
few ARKit targets (jawOpen, mouthSmileLeft/Right, browInnerUp) plus one non-ARKit target.
Vertices are ordered top to bottom, like many real face meshes.
"""

from __future__ import annotations

import numpy as np

from renderers.avatar import Avatar, AvatarMesh, Material
from renderers.deform import vertex_normals

HEAD_CENTRE = np.array([0.0, 0.10, 0.0])
HEAD_RADII = np.array([0.075, 0.10, 0.09])
EYE_RADIUS = 0.012
EYE_CENTRES = {"eye_left": np.array([0.03, 0.105, 0.077]),
               "eye_right": np.array([-0.03, 0.105, 0.077])}  # fmt: skip
MOUTH_Y = 0.055


def uv_sphere(rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit sphere, top pole first, then rings top to bottom, then the bottom pole."""
    theta = np.linspace(0, np.pi, rows + 1)[1:-1]
    phi = np.linspace(0, 2 * np.pi, cols, endpoint=False)
    t, p = np.meshgrid(theta, phi, indexing="ij")
    ring = np.stack([np.sin(t) * np.sin(p), np.cos(t), np.sin(t) * np.cos(p)], axis=-1)
    pts = np.concatenate([[[0, 1, 0]], ring.reshape(-1, 3), [[0, -1, 0]]])
    tris = []
    ring_idx = lambda r, c: 1 + r * cols + (c % cols)  # noqa: E731
    for c in range(cols):
        tris.append((0, ring_idx(0, c), ring_idx(0, c + 1)))
    for r in range(rows - 2):
        for c in range(cols):
            a, b = ring_idx(r, c), ring_idx(r, c + 1)
            d, e = ring_idx(r + 1, c), ring_idx(r + 1, c + 1)
            tris += [(a, d, e), (a, e, b)]
    last = len(pts) - 1
    for c in range(cols):
        tris.append((last, ring_idx(rows - 2, c + 1), ring_idx(rows - 2, c)))
    return pts.astype(np.float64), np.array(tris, dtype=np.uint32)


def _bump(p: np.ndarray, centre: tuple[float, float, float], sigma: float) -> np.ndarray:
    d2 = np.sum((p - np.asarray(centre)) ** 2, axis=1)
    return np.exp(-d2 / (2 * sigma**2))


def _head(rows: int, cols: int) -> AvatarMesh:
    unit, tris = uv_sphere(rows, cols)
    p = HEAD_CENTRE + unit * HEAD_RADII
    front = np.clip(unit[:, 2], 0, 1)
    p[:, 2] += 0.022 * _bump(p, (0, 0.08, 0.09), 0.012) * front  # nose
    p[:, 2] -= 0.008 * _bump(p, (0.03, 0.105, 0.08), 0.012)  # eye sockets
    p[:, 2] -= 0.008 * _bump(p, (-0.03, 0.105, 0.08), 0.012)
    p[:, 2] += 0.006 * _bump(p, (0, MOUTH_Y, 0.085), 0.012) * front  # lips
    p[:, 1] -= 0.01 * np.clip(0.05 - p[:, 1], 0, None) / 0.05 * front  # chin taper
    targets: dict[str, np.ndarray] = {}
    below = np.clip((MOUTH_Y - p[:, 1]) / 0.03, 0, 1) * front
    targets["jawOpen"] = np.stack([0 * below, -0.025 * below, -0.006 * below], axis=1)
    for name, x in (("mouthSmileLeft", 0.025), ("mouthSmileRight", -0.025)):
        w = _bump(p, (x, MOUTH_Y, 0.08), 0.012) * front
        targets[name] = np.stack([np.sign(x) * 0.006 * w, 0.008 * w, -0.002 * w], axis=1)
    w = _bump(p, (0, 0.15, 0.08), 0.02) * front
    targets["browInnerUp"] = np.stack([0 * w, 0.01 * w, 0.001 * w], axis=1)
    w = _bump(p, (0, 0.2, 0.0), 0.03)
    targets["customBulge"] = np.stack([0 * w, 0.05 * w, 0 * w], axis=1)  # not ARKit: never driven
    for name, d in targets.items():
        d[np.abs(d) < 1e-7] = 0.0  # keep targets local, like real ones
        targets[name] = d.astype(np.float32)
    return AvatarMesh(
        name="head", part="skin", positions=p.astype(np.float32),
        normals=vertex_normals(p, tris).astype(np.float32), indices=tris,
        morph_targets=targets,
        material=Material(base_color=(0.60, 0.38, 0.30, 1.0), roughness=0.5, subsurface=0.35),
    )  # fmt: skip


def _neck() -> AvatarMesh:
    cols, rows = 48, 8
    phi = np.linspace(0, 2 * np.pi, cols, endpoint=False)
    ys = np.linspace(0.03, -0.09, rows)
    p = np.array([(0.045 * np.sin(a), y, 0.045 * np.cos(a) - 0.01) for y in ys for a in phi])
    tris = []
    for r in range(rows - 1):
        for c in range(cols):
            a, b = r * cols + c, r * cols + (c + 1) % cols
            d, e = a + cols, b + cols
            tris += [(a, d, e), (a, e, b)]
    tris = np.array(tris, dtype=np.uint32)
    return AvatarMesh(
        name="neck", part="skin", positions=p.astype(np.float32),
        normals=vertex_normals(p, tris).astype(np.float32), indices=tris,
        material=Material(base_color=(0.60, 0.38, 0.30, 1.0), roughness=0.5, subsurface=0.35),
    )  # fmt: skip


def _eye(part: str) -> AvatarMesh:
    unit, tris = uv_sphere(24, 32)
    centre = EYE_CENTRES[part]
    p = centre + unit * EYE_RADIUS
    colors = np.ones((len(p), 4), dtype=np.float32)
    colors[:, :3] = (0.85, 0.83, 0.80)
    colors[unit[:, 2] > 0.88, :3] = (0.10, 0.22, 0.35)  # iris
    colors[unit[:, 2] > 0.97, :3] = (0.01, 0.01, 0.01)  # pupil
    return AvatarMesh(
        name=part, part=part, positions=p.astype(np.float32), normals=unit.astype(np.float32),
        indices=tris, colors=colors, pivot=centre.astype(np.float32),
        material=Material(base_color=(1, 1, 1, 1), roughness=0.08),
    )  # fmt: skip


def synthetic_avatar(rows: int = 96, cols: int = 128) -> Avatar:
    """Return the synthetic test avatar (about ``rows * cols`` head vertices)."""
    return Avatar(
        name="synthetic",
        meshes=[_head(rows, cols), _neck(), _eye("eye_left"), _eye("eye_right")],
        head_pivot=np.array([0.0, 0.02, -0.01], dtype=np.float32),
        source="synthetic",
    )
