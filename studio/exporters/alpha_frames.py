"""Shared pieces of the transparent exporters (PNG sequence, ProRes 4444): RGBA frames.

Frames come from :class:`renderers.avatar_renderer.AvatarRenderer` opened with
``transparent=True``: no backdrop, alpha 0 around the avatar and 255 on it. The exporters
write straight (non-premultiplied) alpha, which is what compositors expect from PNG and
ProRes 4444.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from generators.take import Take, frame_count
from renderers.avatar import Avatar
from studio.errors import ExportError

__all__ = ["check_size", "source_audio", "straight_rgba", "take_frames", "transparent_renderer"]

MAX_SIDE = 8192
"""Largest frame side accepted, in pixels."""


def check_size(width: int, height: int, fps: float | None, what: str) -> None:
    """Reject frame sizes and rates outside what the exporters accept.

    Raises
    ------
    ExportError
        When a side is outside ``2..MAX_SIDE`` or ``fps`` outside ``0..240``.
    """
    if not (2 <= width <= MAX_SIDE and 2 <= height <= MAX_SIDE):
        raise ExportError(f"{what} size {width}x{height} is outside 2..{MAX_SIDE} pixels")
    if fps is not None and not 0 < fps <= 240:
        raise ExportError(f"{what} frame rate {fps} is outside 0..240 fps")


def take_frames(take: Take, fps: float) -> int:
    """Number of frames of ``take`` at ``fps`` (frame ``i`` shows ``take.pose_at(i / fps)``).

    Raises
    ------
    ExportError
        When the take is empty.
    """
    duration = take.duration if take.duration > 0 else take.curves.duration
    n = frame_count(duration, fps)
    if n == 0:
        raise ExportError("the take is empty (0 s); generate it again before exporting")
    return n


def source_audio(take: Take) -> Path | None:
    """The take's audio file, ``None`` when it has none.

    Raises
    ------
    ExportError
        When the take names an audio file that is missing.
    """
    if not take.audio_path:
        return None
    p = Path(take.audio_path)
    if not p.is_file():
        raise ExportError(
            f"source audio not found: {p} (the export needs it for its sound track; "
            "restore the file or generate the take again)"
        )
    return p


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


def _default_avatar() -> Avatar:
    try:
        from renderers.loaders import default_avatar
    except ImportError as exc:
        raise ExportError(
            f"no avatar given and the default avatar is unavailable ({exc})"
        ) from None
    return default_avatar()


@contextlib.contextmanager
def transparent_renderer(avatar: Avatar | None, width: int, height: int) -> Iterator[Any]:
    """Open an :class:`~renderers.avatar_renderer.AvatarRenderer` with no backdrop.

    A :data:`studio.exporters.video.RendererFactory`; ``avatar=None`` loads the default one.
    """
    if avatar is None:
        avatar = _default_avatar()
    try:
        from renderers.avatar_renderer import AvatarRenderer
    except ImportError as exc:
        raise ExportError(f"the avatar renderer is unavailable ({exc})") from None
    with AvatarRenderer(avatar, width=width, height=height, transparent=True) as renderer:
        yield renderer
