"""``.glb`` export speed and size: the default avatar with takes of several lengths.

Run: ``.venv/bin/python bench/bench_export_glb.py`` (prints a table); ``--help`` for options.
The budget is 2 s for a 60 s take at 30 fps (1800 frames). Each row is the best of
``--repeats`` exports into a temporary folder; the avatar is loaded once beforehand, as the
application does.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.synthetic_take import synthetic_take  # noqa: E402
from renderers.loaders import default_avatar, load_avatar  # noqa: E402
from studio.exporters.gltf_export import GlbExporter  # noqa: E402

BUDGET_S = 2.0
"""Longest acceptable export of a 60 s take at 30 fps."""


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, nargs="+", default=[10.0, 60.0, 300.0, 600.0],
                        help="take lengths to export")
    parser.add_argument("--fps", type=float, default=30.0, help="frame rate of the takes")
    parser.add_argument("--repeats", type=int, default=3, help="exports per row (best kept)")
    parser.add_argument("--avatar", type=Path, default=None,
                        help="avatar .glb/.gltf/.vrm (default: the shipped head)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    avatar = load_avatar(args.avatar) if args.avatar else default_avatar()
    load_s = time.perf_counter() - start
    vertices = sum(m.vertex_count for m in avatar.meshes)
    print(f".glb export, avatar {avatar.name!r} ({len(avatar.meshes)} meshes, {vertices} "
          f"vertices, {len(avatar.target_names)} targets, loaded in {load_s:.2f} s), "
          f"{args.fps:g} fps, best of {args.repeats}")
    header = f"{'seconds':>8} {'frames':>7} {'size MB':>8} {'export s':>9} {'frames/s':>9}"
    print(header)
    print("-" * len(header))
    exporter = GlbExporter()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "take.glb"
        for seconds in args.seconds:
            take = synthetic_take(seconds, args.fps)
            best = float("inf")
            for _ in range(max(1, args.repeats)):
                t0 = time.perf_counter()
                exporter.export(take, avatar, out)
                best = min(best, time.perf_counter() - t0)
            n = take.curves.num_frames
            note = ""
            if seconds == 60.0 and args.fps == 30.0 and args.avatar is None:
                note = "  ok" if best <= BUDGET_S else f"  OVER the {BUDGET_S:g} s budget"
            print(f"{seconds:>8g} {n:>7} {out.stat().st_size / 1e6:>8.2f} {best:>9.3f} "
                  f"{n / best:>9.0f}{note}")


if __name__ == "__main__":
    main()
