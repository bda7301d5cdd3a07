"""OpenUSD export speed: a long take on the default avatar to ``.usda`` and ``.usd``.

Usage::

    .venv/bin/python bench/bench_export_usd.py [--seconds 60] [--fps 30] [--repeat 3]

Prints one row per format: frames, file size and the median wall-clock seconds of a whole
``UsdExporter.export`` (rig plan, stage build, atomic write), after one warm-up export that
imports OpenUSD and loads the avatar. The take is synthetic (every ARKit curve moving, head and
eyes swinging), so the numbers do not depend on the rig generator. The target is at most 2 s
per format for 60 s at 30 fps. Needs the ``usd`` extra.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synthetic_take import synthetic_take  # noqa: E402
from renderers.loaders import default_avatar  # noqa: E402
from studio.exporters.usd_export import UsdExporter  # noqa: E402

FORMATS = (".usda", ".usd")
TARGET_SECONDS = 2.0
"""Budget per format for a 60 s take at 30 fps."""


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return 1 when a format misses the budget (60 s at 30 fps only)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="take length (60)")
    parser.add_argument("--fps", type=float, default=30.0, help="frames per second (30)")
    parser.add_argument("--repeat", type=int, default=3, help="timed exports per format (3)")
    args = parser.parse_args(argv)

    avatar = default_avatar()
    take = synthetic_take(args.seconds, args.fps)
    exporter = UsdExporter()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        exporter.export(take, avatar, Path(tmp) / "warmup.usda")
        for ext in FORMATS:
            dest = Path(tmp) / f"take{ext}"
            times = []
            for _ in range(max(1, args.repeat)):
                start = time.perf_counter()
                exporter.export(take, avatar, dest)
                times.append(time.perf_counter() - start)
            rows.append((ext, take.curves.num_frames, dest.stat().st_size, times))

    vertices = sum(m.vertex_count for m in avatar.meshes)
    print(
        f"OpenUSD export, {args.seconds:g} s take @ {args.fps:g} fps, default avatar "
        f"({len(avatar.meshes)} meshes, {vertices} vertices), median of {args.repeat}"
    )
    header = f"{'format':<8} {'frames':>7} {'size MB':>9} {'seconds':>8} {'best s':>8}"
    print(header)
    print("-" * len(header))
    slow = False
    for ext, frames, size, times in rows:
        median = statistics.median(times)
        print(f"{ext:<8} {frames:>7} {size / 1e6:>9.2f} {median:>8.3f} {min(times):>8.3f}")
        slow |= median > TARGET_SECONDS
    budgeted = args.seconds == 60.0 and args.fps == 30.0
    if budgeted:
        print(f"budget: {TARGET_SECONDS:g} s per format -> {'MISSED' if slow else 'met'}")
    return 1 if budgeted and slow else 0


if __name__ == "__main__":
    sys.exit(main())
