"""Stream raw RGB frames into the bundled ffmpeg (H.264 + AAC in MP4), overlapping the work.

ffmpeg runs in its own process; a writer thread feeds its stdin from a small queue so that
rendering the next frame (GL readback included) overlaps the pipe write and the encode, and a
reader thread keeps ffmpeg's stderr drained (its last line is the error message when it fails).
No frame ever touches the disk.
"""

from __future__ import annotations

import collections
import contextlib
import queue
import subprocess
import threading
from pathlib import Path
from types import TracebackType

import numpy as np

from studio.errors import ExportError

__all__ = ["FfmpegVideoWriter", "ffmpeg_exe"]

_STOP = object()


def ffmpeg_exe() -> str:
    """Path of the ffmpeg bundled with ``imageio-ffmpeg``.

    Raises
    ------
    ExportError
        When the bundled binary is missing (reinstall ``imageio-ffmpeg``).
    """
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as exc:  # missing package or binary
        raise ExportError(
            f"ffmpeg is not available ({exc}); reinstall the 'imageio-ffmpeg' package"
        ) from None


class FfmpegVideoWriter:
    """Encode ``width`` x ``height`` RGB frames at ``fps`` to an MP4 with a sound track.

    Parameters
    ----------
    dest
        Output file (an ``.mp4``; the caller makes it atomic).
    width, height
        Frame size in pixels; both must be even (yuv420p).
    fps
        Frames per second of the frames written.
    duration
        Length of the output in seconds: the sound is padded with silence or trimmed to it.
    audio
        Sound track source; ``None`` for a silent AAC track.
    crf, preset
        libx264 quality (lower is better; 18-23 is typical) and speed preset.
    audio_bitrate
        AAC bit rate, e.g. ``"160k"``.
    queue_frames
        Frames buffered between the renderer and the pipe.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "grey.mp4"
    >>> with FfmpegVideoWriter(out, width=64, height=48, fps=10, duration=0.3) as w:
    ...     for _ in range(3):
    ...         w.write(np.full((48, 64, 3), 128, np.uint8))
    ...     w.close()
    >>> out.stat().st_size > 0
    True
    """

    def __init__(
        self,
        dest: Path,
        *,
        width: int,
        height: int,
        fps: float,
        duration: float,
        audio: Path | None = None,
        crf: int = 20,
        preset: str = "veryfast",
        audio_bitrate: str = "160k",
        queue_frames: int = 4,
    ) -> None:
        if width <= 0 or height <= 0 or width % 2 or height % 2:
            raise ValueError(f"frame size must be positive and even, got {width}x{height}")
        if fps <= 0 or duration <= 0:
            raise ValueError("fps and duration must be positive")
        self.dest = Path(dest)
        self.width, self.height, self.fps, self.duration = width, height, fps, duration
        self.audio = audio
        self.crf, self.preset, self.audio_bitrate = crf, preset, audio_bitrate
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max(1, queue_frames))
        self._stderr: collections.deque[str] = collections.deque(maxlen=40)
        self._proc: subprocess.Popen[bytes] | None = None
        self._threads: list[threading.Thread] = []
        self._pipe_error: BaseException | None = None
        self._closed = False
        self.frames_written = 0

    # -- lifecycle -------------------------------------------------------------------------

    def command(self) -> list[str]:
        """The ffmpeg command line."""
        if self.audio is not None:
            audio_in = ["-i", str(self.audio)]
        else:
            audio_in = ["-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono"]
        return [
            ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{self.width}x{self.height}",
            "-framerate", f"{self.fps:g}", "-i", "pipe:0",
            *audio_in,
            "-map", "0:v:0", "-map", "1:a:0",
            "-vf", "scale=out_color_matrix=bt709:out_range=tv",
            "-c:v", "libx264", "-preset", self.preset, "-crf", str(self.crf),
            "-pix_fmt", "yuv420p",
            "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
            "-c:a", "aac", "-b:a", self.audio_bitrate, "-ar", "48000", "-af", "apad",
            "-t", f"{self.duration:.6f}",
            "-movflags", "+faststart", "-f", "mp4", str(self.dest),
        ]  # fmt: skip

    def start(self) -> FfmpegVideoWriter:
        """Start ffmpeg and the helper threads."""
        try:
            self._proc = subprocess.Popen(
                self.command(),
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        except OSError as exc:
            raise ExportError(f"cannot start ffmpeg ({exc.strerror or exc})") from None
        self._threads = [
            threading.Thread(target=self._pump_frames, name="ffmpeg-writer", daemon=True),
            threading.Thread(target=self._drain_stderr, name="ffmpeg-stderr", daemon=True),
        ]
        for t in self._threads:
            t.start()
        return self

    def __enter__(self) -> FfmpegVideoWriter:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.abort()
        elif not self._closed:
            self.close()

    channels: int = 3
    """Colour channels per pixel the writer takes (3: RGB; a subclass may take RGBA)."""

    def write(self, frame: np.ndarray) -> None:
        """Queue one ``(height, width, channels)`` uint8 frame (top row first).

        Raises
        ------
        ExportError
            When the frame has the wrong size or ffmpeg has stopped.
        """
        if self._proc is None or self._closed:
            raise RuntimeError("writer is not running")
        self._raise_if_failed()
        shape = (self.height, self.width, self.channels)
        if frame.shape != shape or frame.dtype != np.uint8:
            raise ExportError(
                f"renderer returned a {frame.shape} {frame.dtype} frame; expected "
                f"{shape} uint8"
            )
        data = np.ascontiguousarray(frame)
        while True:  # wait for room, but notice when ffmpeg dies meanwhile
            try:
                self._queue.put(data, timeout=0.5)
                break
            except queue.Full:
                self._raise_if_failed()
        self.frames_written += 1

    def close(self) -> None:
        """Flush the queue, finish the file and wait for ffmpeg.

        Raises
        ------
        ExportError
            With ffmpeg's last error line when encoding failed.
        """
        if self._proc is None or self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._threads[0].join()
        with contextlib.suppress(OSError):
            assert self._proc.stdin is not None
            self._proc.stdin.close()
        code = self._proc.wait()
        self._threads[1].join(timeout=5)
        if code != 0 or self._pipe_error is not None:
            raise self._failure(code)

    def abort(self) -> None:
        """Stop at once: kill ffmpeg and let the threads finish (the output is garbage)."""
        if self._proc is None:
            return
        self._closed = True
        if self._proc.poll() is None:
            self._proc.kill()
        with contextlib.suppress(queue.Full):
            while True:  # unblock the writer thread
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break
            self._queue.put_nowait(_STOP)
        for t in self._threads:
            t.join(timeout=5)
        with contextlib.suppress(OSError):
            assert self._proc.stdin is not None
            self._proc.stdin.close()
        self._proc.wait()

    # -- threads ---------------------------------------------------------------------------

    def _pump_frames(self) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        stdin = self._proc.stdin
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            if self._pipe_error is not None:
                continue  # ffmpeg is gone; keep draining so the producer never blocks
            try:
                stdin.write(memoryview(item).cast("B"))  # type: ignore[arg-type]
            except (BrokenPipeError, OSError, ValueError) as exc:
                self._pipe_error = exc

    def _drain_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        for raw in self._proc.stderr:
            line = raw.decode("utf-8", "replace").strip()
            if line:
                self._stderr.append(line)

    def _raise_if_failed(self) -> None:
        assert self._proc is not None
        if self._pipe_error is not None or self._proc.poll() is not None:
            code = self._proc.wait()
            self._threads[1].join(timeout=5)
            raise self._failure(code)

    def _failure(self, code: int | None) -> ExportError:
        last = self._stderr[-1] if self._stderr else f"exit code {code}"
        return ExportError(f"video encoding failed: {last}")
