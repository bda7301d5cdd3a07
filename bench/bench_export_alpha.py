"""Transparent export speed: PNG sequence and ProRes 4444 ``.mov``, as frames/s and x real time.

Run: ``.venv/bin/python bench/bench_export_alpha.py`` (prints a table); ``--help`` for options.
Each row renders the take with the transparent renderer and writes it (the ``.mp4`` exporter
is timed alongside for comparison). The take is synthetic, as in ``bench_export.py``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_export import load_avatar, synthetic_take, timed  # noqa: E402
from generators.take import frame_count  # noqa: E402
from studio.exporters.png_sequence import PngSequenceExporter  # noqa: E402
from studio.exporters.prores import ProresExporter  # noqa: E402
from studio.exporters.video import VideoExporter  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    """Print the transparent export speed table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="take length (10)")
    parser.add_argument("--size", default="1280x720", help="frame size (1280x720)")
    parser.add_argument("--fps", type=float, default=30.0, help="frame rate (30)")
    parser.add_argument("--png-level", type=int, default=6, help="PNG zlib level (6)")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    fps = args.fps
    avatar, avatar_name = load_avatar()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        take = synthetic_take(folder, args.seconds, fps)
        n = frame_count(take.duration, fps)
        exporters = [
            ("mp4 H.264 (reference)", VideoExporter(width=width, height=height, fps=fps),
             "take.mp4"),
            (f"PNG sequence (zlib {args.png_level})",
             PngSequenceExporter(width=width, height=height, fps=fps,
                                 compression=args.png_level), "take.png"),
            ("mov ProRes 4444 + alpha", ProresExporter(width=width, height=height, fps=fps),
             "take.mov"),
        ]  # fmt: skip
        for label, exporter, name in exporters:
            frames, wall, cpu = timed(
                lambda e=exporter, d=folder / name: (e.export(take, avatar, d), n)[1]
            )
            out = folder / name
            out = out if out.is_file() else folder / "take_png"
            size = sum(p.stat().st_size for p in ([out] if out.is_file() else out.iterdir()))
            rows.append((label, frames, wall, cpu, size))
    print(f"{args.seconds:g} s take at {width}x{height}, {fps:g} fps, {avatar_name}")
    print(f"{'export':<28} {'frames':>6} {'wall s':>7} {'fps':>7} {'x real':>7} "
          f"{'cpu s':>7} {'MiB':>7}")  # fmt: skip
    for label, frames, wall, cpu, size in rows:
        print(f"{label:<28} {frames:>6} {wall:>7.2f} {frames / wall:>7.1f} "
              f"{args.seconds / wall:>7.2f} {cpu:>7.2f} {size / 2**20:>7.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
