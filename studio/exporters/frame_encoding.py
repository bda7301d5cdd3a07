"""Shared pieces of the exporters that render a take frame by frame (video, ProRes, PNG).

Frame ``i`` shows ``take.pose_at(i / fps)`` and a take of ``duration`` seconds has
``frame_count(duration, fps)`` frames, so an encoded file lasts as long as its audio.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from generators.progress import CancelToken, NullProgress, ProgressSink
from generators.take import Take, frame_count
from renderers.avatar import Avatar
from studio.errors import ExportError
from studio.exporters.base import atomic_output

__all__ = [
    "MAX_SIDE",
    "FrameExporter",
    "check_size",
    "encode_frames",
    "source_audio",
    "take_frames",
]


class FrameWriter(Protocol):
    """An encoder that takes frames one by one (e.g. an ffmpeg pipe)."""

    def write(self, frame: np.ndarray) -> None: ...

    def close(self) -> None: ...


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


def encode_frames(
    take: Take,
    avatar: Avatar | None,
    dest: Path,
    *,
    fps: float,
    frames: int,
    size: tuple[int, int],
    open_renderer: Callable[[Avatar | None, int, int], AbstractContextManager[Any]],
    open_writer: Callable[[Path], AbstractContextManager[FrameWriter]],
    convert: Callable[[np.ndarray], np.ndarray],
    progress: ProgressSink,
    cancel: CancelToken | None,
    what: str,
) -> Path:
    """Render ``frames`` frames of ``take`` and feed them to a writer, atomically.

    The writer writes to a temporary file beside ``dest`` that is renamed to ``dest`` only when
    every frame is in and the writer has closed; a failure or a cancel leaves nothing.

    Parameters
    ----------
    take, avatar, dest
        What to render, on which avatar, to which file.
    fps, frames, size
        Frame rate, frame count and ``(width, height)``.
    open_renderer
        ``(avatar, width, height)`` -> a context manager giving a renderer with
        ``render(pose) -> image``.
    open_writer
        Temporary path -> a context manager giving the writer.
    convert
        Turns a rendered image into what the writer takes (RGB, straight RGBA...).
    progress, cancel
        Progress sink, and a token checked before every frame.
    what
        What the file is, for progress messages ("video").

    Returns
    -------
    Path
        ``dest``.
    """
    width, height = size
    progress.report(0.0, f"rendering {frames} frames at {width}x{height}")
    with (
        atomic_output(dest) as tmp,
        open_renderer(avatar, width, height) as renderer,
        open_writer(tmp) as writer,
    ):
        for i in range(frames):
            if cancel is not None:
                cancel.raise_if_cancelled()
            writer.write(convert(renderer.render(take.pose_at(i / fps))))
            progress.report((i + 1) / (frames + 1), f"frame {i + 1}/{frames}")
        progress.report(frames / (frames + 1), f"finishing the {what} file")
        writer.close()
    progress.report(1.0, f"{what} written")
    return dest


class FrameExporter:
    """What the exporters that render frame by frame share: output size, frame rate, cancel.

    Subclasses set ``width``, ``height``, ``fps`` (``None``: the take's), ``cancel`` and
    ``renderer_factory`` in their constructor.
    """

    width: int
    height: int
    fps: float | None
    cancel: CancelToken | None

    @property
    def size(self) -> tuple[int, int]:
        """Output ``(width, height)``."""
        return self.width, self.height

    def _start(
        self,
        take: Take,
        dest: Path,
        progress: ProgressSink | None,
        cancel: CancelToken | None,
    ) -> tuple[Path, ProgressSink, CancelToken | None, float, int]:
        """``(dest, progress, cancel, fps, frames)`` for one export (defaults filled in).

        Raises
        ------
        ExportError
            When the take is empty.
        """
        fps = float(self.fps or take.fps)
        return Path(dest), progress or NullProgress(), cancel or self.cancel, fps, take_frames(
            take, fps
        )

