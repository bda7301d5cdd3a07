"""Read encoded media back with the bundled ffmpeg (the same binary the exporters use).

Nothing here needs ``ffprobe``, which ``imageio-ffmpeg`` does not ship: the stream list comes
from ``ffmpeg -i`` (what it prints about its input), and the pictures and sound from decoding
them to raw bytes.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.exporters.ffmpeg_pipe import ffmpeg_exe
from studio.selftest.outcome import CheckError

__all__ = ["Stream", "audio_seconds", "decode_errors", "duration_of", "gray_frames", "streams"]

TIMEOUT_S = 120.0
"""Longest one ffmpeg run may take before the check fails."""

_STREAM = re.compile(r"Stream #\d+:\d+\S*: (Video|Audio|Subtitle|Data): (\w+)(.*)")
_SIZE = re.compile(r"\b(\d{1,5})x(\d{1,5})\b")
_PIX_FMT = re.compile(r",\s*([a-z][a-z0-9]*)(?:\(|,)")
_DURATION = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class Stream:
    """One stream of a media file as ffmpeg describes it.

    Parameters
    ----------
    kind
        ``"Video"``, ``"Audio"``...
    codec
        ffmpeg's codec name (``h264``, ``aac``, ``prores``...).
    details
        The rest of ffmpeg's line (profile, pixel format, size, rate).
    """

    kind: str
    codec: str
    details: str

    @property
    def size(self) -> tuple[int, int] | None:
        """``(width, height)`` of a video stream, ``None`` when ffmpeg printed none."""
        match = _SIZE.search(self.details)
        return (int(match.group(1)), int(match.group(2))) if match else None

    @property
    def pix_fmt(self) -> str:
        """The pixel format of a video stream (``yuv420p``...), ``""`` when not found."""
        match = _PIX_FMT.search(self.details)
        return match.group(1) if match else ""


def _run(args: list[str], what: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            [ffmpeg_exe(), "-nostdin", "-hide_banner", *args],
            capture_output=True, timeout=TIMEOUT_S, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise CheckError(f"ffmpeg took over {TIMEOUT_S:g} s to {what}") from None
    except OSError as exc:
        raise CheckError(f"cannot run ffmpeg to {what} ({exc.strerror or exc})") from None


def _last_line(data: bytes) -> str:
    lines = [line.strip() for line in data.decode("utf-8", "replace").splitlines()]
    lines = [line for line in lines if line]
    return lines[-1] if lines else "no message"


def _info(path: Path) -> str:
    # ffmpeg exits 1 here ("At least one output file must be specified"); the description
    # of the input on stderr is what is wanted.
    return _run(["-i", str(path)], "read the file").stderr.decode("utf-8", "replace")


def streams(path: Path) -> list[Stream]:
    """The streams ffmpeg finds in ``path`` (empty when it cannot open the file)."""
    return [Stream(m.group(1), m.group(2), m.group(3)) for m in _STREAM.finditer(_info(path))]


def duration_of(path: Path) -> float | None:
    """The container's duration in seconds, ``None`` when ffmpeg reports none."""
    match = _DURATION.search(_info(path))
    if match is None:
        return None
    h, m, s = match.groups()
    return int(h) * 3600 + int(m) * 60 + float(s)


def decode_errors(path: Path) -> str:
    """Decode every stream of ``path`` completely; ffmpeg's errors (``""`` when clean)."""
    proc = _run(["-v", "error", "-i", str(path), "-map", "0", "-f", "null", "-"],
                "decode the file")  # fmt: skip
    errors = proc.stderr.decode("utf-8", "replace").strip()
    if proc.returncode != 0 and not errors:
        errors = f"ffmpeg exited with status {proc.returncode}"
    return errors


def gray_frames(path: Path, width: int, height: int, *, alpha: bool = False) -> np.ndarray:
    """Every video frame of ``path`` as ``(N, height, width)`` uint8.

    Parameters
    ----------
    alpha
        Decode the alpha plane instead of the brightness (fails when there is none).

    Raises
    ------
    CheckError
        ffmpeg cannot decode the video, or the bytes do not make whole frames of that size.
    """
    filters = ["-vf", "alphaextract"] if alpha else []
    what = "decode the alpha plane" if alpha else "decode the video"
    proc = _run(["-v", "error", "-i", str(path), "-map", "0:v:0", *filters,
                 "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"], what)  # fmt: skip
    if proc.returncode != 0:
        raise CheckError(f"cannot {what}: {_last_line(proc.stderr)}")
    per_frame = width * height
    if len(proc.stdout) % per_frame:
        raise CheckError(f"decoded video is not made of {width}x{height} frames")
    return np.frombuffer(proc.stdout, np.uint8).reshape(-1, height, width)


def audio_seconds(path: Path, rate: int = 8000) -> float:
    """Length of the first sound track of ``path`` once decoded, in seconds.

    Raises
    ------
    CheckError
        There is no sound track or it cannot be decoded.
    """
    proc = _run(["-v", "error", "-i", str(path), "-map", "0:a:0", "-ac", "1", "-ar", str(rate),
                 "-f", "s16le", "pipe:1"], "decode the sound")  # fmt: skip
    if proc.returncode != 0:
        raise CheckError(f"cannot decode the sound track: {_last_line(proc.stderr)}")
    return len(proc.stdout) / 2 / rate
