"""Video export speed: render-only, encode-only and render+encode, as frames/s and x real time.

Run: ``.venv/bin/python bench/bench_export.py`` (prints a table); ``--help`` for options, e.g.
``--presets ultrafast superfast veryfast faster`` to compare x264 presets on the encode.

The take is synthetic (every ARKit curve moving, head and eyes swinging, a tone as the voice)
so the numbers do not depend on the rig generator; the avatar is the default one when it
exists, else the renderer tests' synthetic head.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.synthetic_take import synthetic_take as moving_take  # noqa: E402
from generators.take import Take, frame_count  # noqa: E402
from renderers.avatar import Avatar  # noqa: E402
from studio.exporters.ffmpeg_pipe import FfmpegVideoWriter  # noqa: E402
from studio.exporters.video import VideoExporter  # noqa: E402

CORES = os.cpu_count() or 1

MAX_HELD_FRAMES = 600
"""Frames pre-rendered for the encode-only rows (longer takes cycle through them)."""


def load_avatar() -> tuple[Avatar, str]:
    """The default avatar, or the renderer tests' synthetic head when there is none yet."""
    try:
        from renderers.loaders import default_avatar

        return default_avatar(), "default avatar"
    except ImportError:
        from tests.renderers.synthetic import synthetic_avatar

        return synthetic_avatar(), "synthetic test head"


def synthetic_take(folder: Path, seconds: float, fps: float) -> Take:
    """A take whose curves all move, with a tone wav as its audio."""
    rate = 48000
    ts = np.arange(int(seconds * rate)) / rate
    audio = folder / "bench.wav"
    sf.write(audio, (0.2 * np.sin(2 * np.pi * 180 * ts)).astype(np.float32), rate)
    return moving_take(seconds, fps, audio)


@contextlib.contextmanager
def renderer(avatar: Avatar, width: int, height: int) -> Iterator[object]:
    from renderers.avatar_renderer import AvatarRenderer

    with AvatarRenderer(avatar, width=width, height=height) as r:
        yield r


def _cpu_seconds() -> float:
    """CPU time of this process (renderer threads included) plus its finished children (ffmpeg)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn: Callable[[], int]) -> tuple[int, float, float]:
    """Frames done, wall seconds and CPU seconds of ``fn()``."""
    cpu = _cpu_seconds()
    start = time.perf_counter()
    frames = fn()
    return frames, time.perf_counter() - start, _cpu_seconds() - cpu


def render_only(take: Take, avatar: Avatar, width: int, height: int, fps: float) -> int:
    n = frame_count(take.duration, fps)
    with renderer(avatar, width, height) as r:
        for i in range(n):
            r.render(take.pose_at(i / fps))  # type: ignore[attr-defined]
    return n


def encode_only(
    take: Take, frames: list[np.ndarray], out: Path, fps: float, crf: int, preset: str
) -> int:
    n = frame_count(take.duration, fps)
    height, width = frames[0].shape[:2]
    with FfmpegVideoWriter(
        out,
        width=width,
        height=height,
        fps=fps,
        duration=n / fps,
        audio=Path(take.audio_path),
        crf=crf,
        preset=preset,
    ) as writer:
        for i in range(n):
            writer.write(frames[i % len(frames)])
        writer.close()
    return n


def render_and_encode(
    take: Take, avatar: Avatar, out: Path, width: int, height: int, fps: float, crf: int,
    preset: str,
) -> int:  # fmt: skip
    exporter = VideoExporter(width=width, height=height, fps=fps, crf=crf, preset=preset)
    exporter.export(take, avatar, out)
    return frame_count(take.duration, fps)


def main(argv: list[str] | None = None) -> None:
    """Print the export speed table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="take length (10)")
    parser.add_argument("--size", default="1280x720", help="frame size (1280x720)")
    parser.add_argument("--fps", type=float, default=30.0, help="frame rate (30)")
    parser.add_argument("--crf", type=int, default=20, help="x264 CRF (20)")
    parser.add_argument("--preset", default="veryfast", help="x264 preset (veryfast)")
    parser.add_argument("--presets", nargs="*", default=[], help="extra presets, encode only")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    fps = args.fps

    avatar, avatar_name = load_avatar()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        take = synthetic_take(folder, args.seconds, fps)
        with renderer(avatar, width, height) as r:  # frames for the encode-only rows
            count = min(frame_count(take.duration, fps), MAX_HELD_FRAMES)
            frames = [
                r.render(take.pose_at(i / fps)).copy()  # type: ignore[attr-defined]
                for i in range(count)
            ]
        rows: list[tuple[str, str, int, float, float, float]] = []

        def add(mode: str, preset: str, result: tuple[int, float, float], size: int = 0) -> None:
            n, secs, cpu = result
            rows.append((mode, preset, n, secs, cpu, size / 1e6))

        add("render only", "-", timed(lambda: render_only(take, avatar, width, height, fps)))
        for preset in [args.preset, *args.presets]:
            out = folder / f"enc_{preset}.mp4"
            result = timed(lambda p=preset, o=out: encode_only(take, frames, o, fps, args.crf, p))
            add("encode only", preset, result, out.stat().st_size)
        out = folder / "full.mp4"
        result = timed(
            lambda: render_and_encode(take, avatar, out, width, height, fps, args.crf, args.preset)
        )
        add("render+encode", args.preset, result, out.stat().st_size)

    print(f"video export, {width}x{height} @ {fps:g} fps, {args.seconds:g} s take, "
          f"crf {args.crf}, {avatar_name}")  # fmt: skip
    header = f"{'mode':<14} {'preset':<10} {'frames':>6} {'seconds':>8} {'frames/s':>9} "
    header += f"{'x real time':>11} {'CPU s':>6} {'CPU-bound x':>11} {'MB':>6}"
    print(header)
    print("-" * len(header))
    for mode, preset, n, secs, cpu, mb in rows:
        speed = n / secs
        bound = n / max(cpu / CORES, secs / 100) / fps  # if the CPUs were all ours
        size = f"{mb:6.2f}" if mb else f"{'-':>6}"
        print(f"{mode:<14} {preset:<10} {n:>6} {secs:>8.2f} {speed:>9.1f} "
              f"{speed / fps:>11.2f} {cpu:>6.2f} {bound:>11.2f} {size}")  # fmt: skip
    print(
        f"CPU-bound x: upper bound on the real-time multiple if all {CORES} cores did only "
        "this work (CPU seconds / cores); far above 'x real time' = other load on the machine"
    )


if __name__ == "__main__":
    main()
