"""PNG sequence (``.png``): one RGBA PNG per frame on a transparent background.

Naming: a destination ``take.png`` writes the folder ``take_png/`` beside it, holding
``take_000000.png``, ``take_000001.png``, ...; the number is the frame index ``i`` and the
file shows the avatar at ``take.pose_at(i / fps)`` (six digits, zero-based, so the name gives
the time directly). The images are 8-bit RGBA with straight (non-premultiplied) alpha: 0
around the avatar, 255 on it. A sequence has no sound (composite it with the take's audio).

The folder appears as a whole: frames go to a hidden temporary folder beside it that is
renamed at the end, so a failed or cancelled export leaves nothing. An earlier sequence of the
same name is replaced; a folder of that name holding anything else is left alone (an error).
The PNGs are written with numpy and zlib (Sub filter on every row), compressed on a few
threads while the next frames render.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import struct
import tempfile
import zlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from generators.progress import CancelToken, ProgressSink
from generators.take import Take
from renderers.avatar import Avatar
from studio.errors import ExportError
from studio.exporters.alpha_frames import straight_rgba, transparent_renderer
from studio.exporters.base import check_writable
from studio.exporters.frame_encoding import FrameExporter, check_size
from studio.exporters.video import RendererFactory

__all__ = ["PngSequenceExporter", "encode_png", "sequence_folder", "sequence_name"]

DIGITS = 6
"""Digits of the frame number in the file names."""

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def sequence_folder(dest: Path) -> Path:
    """The folder a sequence for ``dest`` is written to: ``take.png`` -> ``take_png``.

    Examples
    --------
    >>> sequence_folder(Path("out/take.png")).as_posix()
    'out/take_png'
    """
    dest = Path(dest)
    return dest.with_name(f"{_stem(dest)}_png")


def sequence_name(dest: Path, index: int) -> str:
    """File name of frame ``index`` of the sequence for ``dest``.

    Examples
    --------
    >>> sequence_name(Path("take.png"), 7)
    'take_000007.png'
    """
    return f"{_stem(Path(dest))}_{index:0{DIGITS}d}.png"


def _stem(dest: Path) -> str:
    name = dest.name
    return name[: -len(".png")] if name.lower().endswith(".png") else dest.stem


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(data, zlib.crc32(kind)) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def encode_png(rgba: np.ndarray, level: int = 6) -> bytes:
    """Encode an ``(H, W, 4)`` uint8 RGBA image as a PNG (8-bit, colour type 6).

    Parameters
    ----------
    rgba
        The image, row 0 at the top, straight alpha.
    level
        zlib compression level (1 = fastest, 9 = smallest).

    Examples
    --------
    >>> data = encode_png(np.zeros((2, 3, 4), np.uint8))
    >>> data[:8] == _PNG_SIGNATURE, data[16:24].hex()
    (True, '0000000300000002')
    """
    h, w, c = rgba.shape
    if c != 4 or rgba.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 4) uint8 image, got {rgba.shape} {rgba.dtype}")
    rows = np.empty((h, 1 + w * 4), np.uint8)
    rows[:, 0] = 1  # filter type Sub: each byte minus the one a pixel to its left
    filtered = rows[:, 1:].reshape(h, w, 4)
    filtered[:, 0] = rgba[:, 0]
    np.subtract(rgba[:, 1:], rgba[:, :-1], out=filtered[:, 1:])  # wraps modulo 256
    header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)
    return b"".join(
        (
            _PNG_SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(rows.tobytes(), level)),
            _chunk(b"IEND", b""),
        )
    )


def _write_png(path: Path, rgba: np.ndarray, level: int) -> None:
    path.write_bytes(encode_png(rgba, level))


class PngSequenceExporter(FrameExporter):
    """Render a take to a folder of transparent RGBA PNGs (see the module for the naming).

    Parameters
    ----------
    width, height
        Frame size in pixels.
    fps
        Frame rate; ``None`` uses the take's.
    compression
        zlib level 1..9 of the PNGs (lower is faster and bigger).
    threads
        PNG encoding threads; ``None`` uses up to four, one per core.
    cancel
        Checked before every frame; a cancelled export leaves nothing behind.
    renderer_factory
        Opens the renderer; defaults to a transparent
        :class:`renderers.avatar_renderer.AvatarRenderer`.

    Examples
    --------
    >>> PngSequenceExporter(width=641, height=361).size
    (641, 361)
    """

    name = "png-sequence"
    extensions: tuple[str, ...] = (".png",)

    def __init__(
        self,
        *,
        width: int = 1280,
        height: int = 720,
        fps: float | None = None,
        compression: int = 6,
        threads: int | None = None,
        cancel: CancelToken | None = None,
        renderer_factory: RendererFactory | None = None,
    ) -> None:
        check_size(width, height, fps, "PNG sequence")
        if not 1 <= compression <= 9:
            raise ExportError(f"PNG compression {compression} is outside 1..9")
        self.width, self.height = int(width), int(height)
        self.fps = fps
        self.compression = int(compression)
        self.threads = threads or max(1, min(4, os.cpu_count() or 1))
        self.cancel = cancel
        self.renderer_factory = renderer_factory

    def export(
        self,
        take: Take,
        avatar: Avatar | None,
        dest: Path,
        *,
        progress: ProgressSink | None = None,
        cancel: CancelToken | None = None,
    ) -> Path:
        """Render ``take`` to the sequence folder of ``dest``; return that folder.

        Raises
        ------
        ExportError
            Unwritable folder, a non-sequence folder in the way, renderer failure.
        generators.errors.Cancelled
            When ``cancel`` (or the constructor's token) is set; nothing is left on disk.
        """
        dest, progress, cancel, fps, n = self._start(take, dest, progress, cancel)
        check_writable(dest)
        folder = sequence_folder(dest)
        _check_replaceable(folder, dest)
        factory = self.renderer_factory or transparent_renderer
        progress.report(0.0, f"rendering {n} frames at {self.width}x{self.height}")
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".part", dir=folder.parent))
        try:
            with (
                factory(avatar, self.width, self.height) as renderer,
                ThreadPoolExecutor(self.threads, thread_name_prefix="png") as pool,
            ):
                pending: deque[Future[None]] = deque()
                try:
                    for i in range(n):
                        if cancel is not None:
                            cancel.raise_if_cancelled()
                        frame = straight_rgba(renderer.render(take.pose_at(i / fps)))
                        _check_frame(frame, self.width, self.height)
                        path = tmp / sequence_name(dest, i)
                        pending.append(pool.submit(_write_png, path, frame, self.compression))
                        while len(pending) > 2 * self.threads:
                            pending.popleft().result()
                        progress.report((i + 1) / (n + 1), f"frame {i + 1}/{n}")
                    progress.report(n / (n + 1), "finishing the PNG files")
                    while pending:
                        pending.popleft().result()
                finally:
                    for f in pending:
                        f.cancel()
            os.chmod(tmp, 0o777 & ~_current_umask())  # mkdtemp made it private (0700)
            _replace_folder(tmp, folder)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise ExportError(
                f"cannot write the PNG sequence {folder} ({exc.strerror or exc})"
            ) from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        progress.report(1.0, f"{n} PNG files written")
        return folder


def _check_frame(frame: np.ndarray, width: int, height: int) -> None:
    if frame.shape[:2] != (height, width):
        raise ExportError(
            f"renderer returned a {frame.shape} frame; expected ({height}, {width}, 4)"
        )


def _is_sequence_of(folder: Path, dest: Path) -> bool:
    pattern = re.compile(re.escape(_stem(dest)) + rf"_\d{{{DIGITS},}}\.png")
    return all(p.is_file() and pattern.fullmatch(p.name) for p in folder.iterdir())


def _check_replaceable(folder: Path, dest: Path) -> None:
    if not folder.exists() and not folder.is_symlink():
        return
    if folder.is_symlink() or not folder.is_dir():
        raise ExportError(
            f"{folder} exists and is not a folder (the PNG sequence for {dest.name} goes there; "
            "move it or choose another name)"
        )
    if not _is_sequence_of(folder, dest):
        raise ExportError(
            f"{folder} holds files that are not a PNG sequence of {dest.name}; it is not "
            "replaced (move it or choose another name)"
        )


def _replace_folder(new: Path, folder: Path) -> None:
    """Rename ``new`` to ``folder``, replacing an earlier sequence there (restored on failure)."""
    if not folder.exists():
        os.rename(new, folder)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".old", dir=folder.parent))
    os.rmdir(old)
    os.rename(folder, old)
    try:
        os.rename(new, folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.rename(old, folder)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
