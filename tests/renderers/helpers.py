"""Shared helpers for the renderer tests: one GL context, avatars, projection, goldens."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import moderngl
import numpy as np

from renderers.avatar import Avatar
from renderers.avatar_renderer import AvatarRenderer
from renderers.camera import Camera
from renderers.context import create_headless_context
from tests.renderers.synthetic import synthetic_avatar

GOLDENS = Path(__file__).resolve().parents[1] / "goldens"


@lru_cache(maxsize=1)
def shared_context() -> moderngl.Context:
    """One headless context for the whole test session (creating one costs ~0.1 s)."""
    return create_headless_context()


@lru_cache(maxsize=1)
def synthetic() -> Avatar:
    """The synthetic test avatar (built once)."""
    return synthetic_avatar()


def renderer(avatar: Avatar, width: int, height: int, **kwargs: object) -> AvatarRenderer:
    """A renderer on the shared context."""
    return AvatarRenderer(avatar, width, height, ctx=shared_context(), **kwargs)


def project(camera: Camera, size: tuple[int, int], points: np.ndarray) -> np.ndarray:
    """Pixel ``(x, y)`` (row 0 at the top) of avatar-space points, as rendered images show them."""
    w, h = size
    pts = np.c_[np.asarray(points, dtype=np.float64).reshape(-1, 3), np.ones(len(points))]
    clip = pts @ (camera.projection_matrix(w / h) @ camera.view_matrix()).T.astype(np.float64)
    ndc = clip[:, :2] / clip[:, 3:4]
    return np.c_[(ndc[:, 0] + 1) * 0.5 * w, (1 - ndc[:, 1]) * 0.5 * h]


def foreground(r: AvatarRenderer) -> np.ndarray:
    """``(H, W)`` bool mask of pixels the avatar covers in the last offscreen render."""
    w, h = r.size
    depth = np.frombuffer(
        r.framebuffer.read(components=1, attachment=-1, dtype="f4"), dtype=np.float32
    ).reshape(h, w)
    return depth < 1.0


def changed(a: np.ndarray, b: np.ndarray, threshold: int = 12) -> np.ndarray:
    """``(H, W)`` bool mask of pixels whose largest channel difference exceeds ``threshold``."""
    return np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2) > threshold


def box_of(mask: np.ndarray) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)`` inclusive bounds of a non-empty mask."""
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def update_goldens() -> bool:
    """Whether ``AFFECT_UPDATE_GOLDENS=1`` asks to rewrite golden files."""
    return os.environ.get("AFFECT_UPDATE_GOLDENS") == "1"
