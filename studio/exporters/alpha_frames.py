"""Shared pieces of the transparent exporters (PNG sequence, ProRes 4444): RGBA frames.

Frames come from :class:`renderers.avatar_renderer.AvatarRenderer` opened with
``transparent=True``: no backdrop, alpha 0 around the avatar and 255 on it. The exporters
write straight (non-premultiplied) alpha, which is what compositors expect from PNG and
ProRes 4444.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from renderers.avatar import Avatar
from studio.errors import ExportError

__all__ = ["straight_rgba", "transparent_renderer"]

def straight_rgba(frame: np.ndarray) -> np.ndarray:
    """``frame`` as ``(H, W, 4)`` uint8 RGBA with straight alpha.

    An RGB frame becomes fully opaque. Partly covered pixels (MSAA edges, which the renderer
    leaves premultiplied) are divided by their alpha; opaque and fully transparent pixels are
    left as they are, so the usual binary-alpha frame is returned unchanged.

    Examples
    --------
    >>> straight_rgba(np.array([[[64, 32, 0, 128]]], np.uint8))[0, 0].tolist()
    [128, 64, 0, 128]
    >>> straight_rgba(np.zeros((1, 1, 3), np.uint8))[0, 0].tolist()
    [0, 0, 0, 255]
    """
    if frame.ndim != 3 or frame.shape[2] not in (3, 4) or frame.dtype != np.uint8:
        raise ExportError(
            f"renderer returned a {frame.shape} {frame.dtype} frame; expected (H, W, 4) uint8"
        )
    if frame.shape[2] == 3:
        out = np.empty(frame.shape[:2] + (4,), np.uint8)
        out[:, :, :3] = frame
        out[:, :, 3] = 255
        return out
    alpha = frame[:, :, 3]
    partial = (alpha > 0) & (alpha < 255)
    if not partial.any():
        return frame
    frame = frame.copy()
    a = alpha[partial].astype(np.float32)[:, None]
    rgb = frame[:, :, :3][partial].astype(np.float32)
    frame[:, :, :3][partial] = np.clip(np.rint(rgb * 255.0 / a), 0, 255).astype(np.uint8)
    return frame


def transparent_renderer(avatar: Avatar | None, width: int, height: int) -> Any:
    """Open an :class:`~renderers.avatar_renderer.AvatarRenderer` with no backdrop.

    A :data:`studio.exporters.video.RendererFactory`; ``avatar=None`` loads the default one.
    """
    from studio.exporters.video import open_avatar_renderer

    return open_avatar_renderer(avatar, width, height, transparent=True)
