"""Validators of the rendered formats: ``.mp4``, ``.mov`` (ProRes 4444 with alpha), ``.png``.

Each decodes the whole output again (ffmpeg for the videos, Pillow for the PNG frames) and
checks its streams, frame size, frame count, length, sound track and alpha matte against the
take it was rendered from.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from studio.exporters.png_sequence import sequence_folder, sequence_name
from studio.selftest.media import audio_seconds, decode_errors, duration_of, gray_frames, streams
from studio.selftest.outcome import CheckError, Expected, expect

__all__ = ["check_mov", "check_mp4", "check_png"]

_FFMPEG_CONTEXT = re.compile(r"\[[^\]]* @ 0x[0-9a-f]+\]\s*")
"""ffmpeg's ``[component @ 0xADDRESS]`` prefixes, dropped from the messages shown."""

MIN_COVER = 0.02
"""Least share of a frame that must be transparent, and opaque, for an alpha matte."""


def _video_and_audio(path: Path, expected: Expected, codec: str) -> tuple[str, str]:
    """Check the stream list: one ``codec`` video of the expected size and a sound track."""
    found = streams(path)
    expect(bool(found), "ffmpeg finds no streams (not a media file, or truncated)")
    videos = [s for s in found if s.kind == "Video"]
    audios = [s for s in found if s.kind == "Audio"]
    expect(len(videos) == 1, f"{len(videos)} video streams (expected 1)")
    video = videos[0]
    expect(video.codec == codec, f"video codec is {video.codec} (expected {codec})")
    size = (expected.width, expected.height)
    expect(video.size == size, f"video size is {_size(video.size)} (expected {_size(size)})")
    expect(len(audios) == 1, f"{len(audios)} sound tracks (expected 1)")
    return video.pix_fmt, audios[0].codec


def _size(size: tuple[int, int] | None) -> str:
    return f"{size[0]}x{size[1]}" if size else "unknown"


def _clean_decode(path: Path) -> None:
    errors = decode_errors(path)
    if errors:
        last = _FFMPEG_CONTEXT.sub("", errors.splitlines()[-1]).strip()
        raise CheckError(f"decoding reports errors: {last}")


def _lengths(path: Path, expected: Expected, count: int) -> float:
    """Check frame count, container length and sound length; return the container's."""
    expect(abs(count - expected.frames) <= 1,
           f"{count} frames decoded (expected {expected.frames})")
    tolerance = expected.frame_tolerance
    container = duration_of(path)
    expect(container is not None, "the file states no duration")
    assert container is not None
    expect(abs(container - expected.duration) <= tolerance,
           f"lasts {container:.3f} s (expected {expected.duration:.3f} s)")
    sound = audio_seconds(path)
    expect(abs(sound - expected.duration) <= tolerance,
           f"sound track lasts {sound:.3f} s (expected {expected.duration:.3f} s)")
    return container


def _moves(frames: np.ndarray) -> None:
    expect(len(frames) > 0, "no frames decoded")
    expect(bool(np.any(frames != frames[:1])), "every frame is the same picture (nothing moves)")


def _matte(alpha: np.ndarray, where: str) -> None:
    """Each frame must have a transparent background and an opaque face."""
    pixels = alpha.shape[-2] * alpha.shape[-1]
    clear = (alpha == 0).reshape(len(alpha), -1).sum(axis=1) / pixels
    solid = (alpha == 255).reshape(len(alpha), -1).sum(axis=1) / pixels
    bad = np.flatnonzero((clear < MIN_COVER) | (solid < MIN_COVER))
    if bad.size:
        i = int(bad[0])
        raise CheckError(f"{where} frame {i} has no alpha matte (transparent {clear[i]:.0%}, "
                          f"opaque {solid[i]:.0%})")


def check_mp4(dest: Path, expected: Expected) -> str:
    """Validate an H.264 + AAC ``.mp4``: streams, size, clean decode, frames, length, motion."""
    pix_fmt, audio = _video_and_audio(dest, expected, "h264")
    expect(pix_fmt == "yuv420p", f"pixel format is {pix_fmt or 'unknown'} (expected yuv420p)")
    expect(audio == "aac", f"sound codec is {audio} (expected aac)")
    _clean_decode(dest)
    frames = gray_frames(dest, expected.width, expected.height)
    seconds = _lengths(dest, expected, len(frames))
    _moves(frames)
    expect(float(frames[0].std()) > 1.0, "the first frame is blank")
    return (f"h264 {expected.width}x{expected.height} {pix_fmt} + {audio}, "
            f"{len(frames)} frames, {seconds:.2f} s, decodes cleanly")


def check_mov(dest: Path, expected: Expected) -> str:
    """Validate a ProRes 4444 ``.mov``: streams, alpha plane, clean decode, frames, length."""
    pix_fmt, audio = _video_and_audio(dest, expected, "prores")
    expect(pix_fmt.startswith("yuva444p"),
           f"pixel format is {pix_fmt or 'unknown'} (expected yuva444p..., with alpha)")
    expect(audio.startswith("pcm_"), f"sound codec is {audio} (expected PCM)")
    _clean_decode(dest)
    alpha = gray_frames(dest, expected.width, expected.height, alpha=True)
    seconds = _lengths(dest, expected, len(alpha))
    _matte(alpha, "video")
    _moves(alpha)
    return (f"prores {pix_fmt} {expected.width}x{expected.height} + {audio}, "
            f"{len(alpha)} frames with alpha, {seconds:.2f} s, decodes cleanly")


def check_png(dest: Path, expected: Expected) -> str:
    """Validate a PNG sequence: the folder and names, every frame RGBA, sized, with a matte."""
    from PIL import Image

    folder = sequence_folder(dest)
    expect(folder.is_dir(), f"sequence folder {folder.name}/ is missing")
    names = sorted(p.name for p in folder.iterdir())
    wanted = [sequence_name(dest, i) for i in range(expected.frames)]
    extra = sorted(set(names) - set(wanted))
    missing = sorted(set(wanted) - set(names))
    expect(not missing, f"{len(missing)} frames missing, first {missing[0] if missing else ''}")
    expect(not extra, f"unexpected files in {folder.name}/, first {extra[0] if extra else ''}")
    alphas = []
    for name in wanted:
        try:
            with Image.open(folder / name) as image:
                image.load()
                kind, mode, size = image.format, image.mode, image.size
                pixels = np.asarray(image)
        except Exception as exc:  # Pillow raises many kinds for a broken file
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise CheckError(f"{name} does not decode ({reason})") from None
        expect(kind == "PNG", f"{name} is {kind}, not PNG")
        expect(mode == "RGBA", f"{name} is {mode} (expected RGBA)")
        expect(size == (expected.width, expected.height),
               f"{name} is {_size(size)} (expected {expected.width}x{expected.height})")
        alphas.append(pixels[:, :, 3])
    alpha = np.stack(alphas)
    _matte(alpha, "PNG")
    _moves(alpha)
    return (f"{len(wanted)} RGBA {expected.width}x{expected.height} frames in {folder.name}/, "
            "transparent background")
