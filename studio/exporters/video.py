"""Video (``.mp4``): the take rendered frame by frame, H.264 + AAC with the source audio muxed.

Every frame ``i`` is the avatar at ``take.pose_at(i / fps)`` drawn by
:class:`renderers.avatar_renderer.AvatarRenderer`: the same ``pose_at`` and the same renderer the
preview uses. Frames stream as raw RGB to the bundled ffmpeg (:mod:`.ffmpeg_pipe`); the
output lasts exactly ``frame_count(duration, fps) / fps`` seconds, so it matches the audio's
duration within one frame (the audio is padded with silence or trimmed to that length).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from generators.progress import CancelToken, ProgressSink
from generators.take import Take
from renderers.avatar import Avatar
from renderers.pose import Pose
from studio.errors import ExportError
from studio.exporters.base import check_writable
from studio.exporters.ffmpeg_pipe import FfmpegVideoWriter
from studio.exporters.frame_encoding import FrameExporter, encode_frames, source_audio

__all__ = ["FrameRenderer", "RendererFactory", "VideoExporter"]

MAX_SIDE = 8192
"""Largest frame side accepted, in pixels."""


class FrameRenderer(Protocol):
    """What the video exporter needs from a renderer."""

    def render(self, pose: Pose) -> np.ndarray:
        """Draw ``pose``; return ``(H, W, 3)`` uint8 RGB, top row first."""
        ...


RendererFactory = Callable[
    [Avatar | None, int, int], contextlib.AbstractContextManager[FrameRenderer]
]
"""Opens a renderer for ``(avatar, width, height)``; closing it releases the GL resources.
``avatar`` is ``None`` when the caller gave none (the default factory then loads the default
avatar)."""


class EncodedVideoExporter(FrameExporter):
    """An exporter that renders every frame and pipes it to an ffmpeg encoder with the audio.

    Subclasses set :attr:`writer` (an ffmpeg writer class), :attr:`what` (for messages),
    :meth:`convert` (rendered image -> the writer's frames), :meth:`default_renderer` and
    :meth:`encoder_options`.
    """

    writer: type[FfmpegVideoWriter] = FfmpegVideoWriter
    what: str = "video"
    renderer_factory: RendererFactory | None

    def convert(self, frame: np.ndarray) -> np.ndarray:
        """The writer's frame from a rendered image."""
        return frame

    def default_renderer(self, avatar: Avatar | None, width: int, height: int) -> Any:
        """Open the renderer used when no ``renderer_factory`` was given."""
        return open_avatar_renderer(avatar, width, height)

    def encoder_options(self) -> dict[str, object]:
        """Encoder settings beyond size, rate, duration and audio."""
        return {}

    def export(
        self,
        take: Take,
        avatar: Avatar | None,
        dest: Path,
        *,
        progress: ProgressSink | None = None,
        cancel: CancelToken | None = None,
    ) -> Path:
        """Render and encode ``take`` to ``dest``; return ``dest``.

        Raises
        ------
        ExportError
            Missing source audio, unwritable folder, renderer or ffmpeg failure.
        generators.errors.Cancelled
            When ``cancel`` (or the constructor's token) is set; nothing is left on disk.
        """
        dest, progress, cancel, fps, n = self._start(take, dest, progress, cancel)
        audio = source_audio(take)
        check_writable(dest)
        options = {
            "fps": fps,
            "duration": n / fps,
            "audio": audio,
            "width": self.width,
            "height": self.height,
            **self.encoder_options(),
        }
        return encode_frames(
            take,
            avatar,
            dest,
            fps=fps,
            frames=n,
            size=self.size,
            open_renderer=self.renderer_factory or self.default_renderer,
            open_writer=lambda tmp: self.writer(tmp, **options),  # type: ignore[arg-type]
            convert=self.convert,
            progress=progress,
            cancel=cancel,
            what=self.what,
        )


class VideoExporter(EncodedVideoExporter):
    """Render a take to an MP4 (H.264 yuv420p + AAC) with its source audio.

    Parameters
    ----------
    width, height
        Frame size in pixels; odd values are rounded down to even (yuv420p needs even sizes).
    fps
        Frame rate; ``None`` uses the take's.
    crf
        libx264 constant rate factor: lower is better and bigger (18-23 is typical).
    preset
        libx264 speed preset; ``"veryfast"`` keeps 720p export well above real time.
    cancel
        Checked before every frame; a cancelled export leaves no file behind.
    renderer_factory
        Opens the renderer; defaults to :class:`renderers.avatar_renderer.AvatarRenderer`.

    Examples
    --------
    >>> VideoExporter(width=641, height=360).size
    (640, 360)
    """

    name = "video"
    extensions: tuple[str, ...] = (".mp4",)

    def __init__(
        self,
        *,
        width: int = 1280,
        height: int = 720,
        fps: float | None = None,
        crf: int = 20,
        preset: str = "veryfast",
        cancel: CancelToken | None = None,
        renderer_factory: RendererFactory | None = None,
    ) -> None:
        if not (2 <= width <= MAX_SIDE and 2 <= height <= MAX_SIDE):
            raise ExportError(f"video size {width}x{height} is outside 2..{MAX_SIDE} pixels")
        if fps is not None and not 0 < fps <= 240:
            raise ExportError(f"video frame rate {fps} is outside 0..240 fps")
        if not 0 <= crf <= 51:
            raise ExportError(f"crf {crf} is outside 0..51 (lower is better; try 20)")
        self.width, self.height = int(width) // 2 * 2, int(height) // 2 * 2
        self.fps = fps
        self.crf = int(crf)
        self.preset = preset
        self.cancel = cancel
        self.renderer_factory = renderer_factory

    def convert(self, frame: np.ndarray) -> np.ndarray:
        """RGB for the H.264 encoder (an RGBA render loses its alpha)."""
        return _as_rgb(frame)

    def encoder_options(self) -> dict[str, object]:
        """libx264's quality and speed."""
        return {"crf": self.crf, "preset": self.preset}


def _as_rgb(frame: np.ndarray) -> np.ndarray:
    if frame.ndim == 3 and frame.shape[2] == 4:
        frame = frame[:, :, :3]
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
def open_avatar_renderer(
    avatar: Avatar | None, width: int, height: int, *, transparent: bool = False
) -> Iterator[Any]:
    """Open an :class:`~renderers.avatar_renderer.AvatarRenderer` (a :data:`RendererFactory`);
    ``avatar=None`` loads the default avatar, ``transparent`` drops the backdrop (RGBA)."""
    if avatar is None:
        avatar = _default_avatar()
    try:
        from renderers.avatar_renderer import AvatarRenderer
    except ImportError as exc:
        raise ExportError(f"the avatar renderer is unavailable ({exc})") from None
    with AvatarRenderer(avatar, width=width, height=height, transparent=transparent) as renderer:
        yield renderer
