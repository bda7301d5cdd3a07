"""Offscreen rendering speed of the default avatar (headless EGL; llvmpipe on CPU machines).

Run: ``.venv/bin/python bench/bench_render.py [--frames N] [--rounds R] [--samples S]
[--synthetic | --dense | --avatar FILE]``

``--dense`` renders a 50,000-vertex head with all 52 targets (:mod:`bench.dense_avatar`), the
size the avatar-import target is stated for, after the default avatar as the baseline.

Prints one row per image size: frames per second including readback into a preallocated
array, and without readback (draw + ``glFinish``), each the best of ``R`` rounds (other
processes on a small machine only ever slow a round down), plus the process CPU time per
frame with readback (llvmpipe spreads rasterisation over ``LP_NUM_THREADS`` threads). Every
frame animates all 52 ARKit weights (the worst case for the morph stage) plus head and eye
rotation.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from renderers.arkit import NUM_SHAPES  # noqa: E402
from renderers.avatar import Avatar  # noqa: E402
from renderers.avatar_renderer import AvatarRenderer  # noqa: E402
from renderers.context import create_headless_context  # noqa: E402
from renderers.pose import Pose  # noqa: E402

SIZES = ((640, 360), (1280, 720), (1920, 1080))


def load_avatar(synthetic: bool) -> tuple[Avatar, str]:
    """The default avatar, or the synthetic test head when asked or when it is missing."""
    if not synthetic:
        try:
            from renderers.loaders import default_avatar

            return default_avatar(), "default avatar"
        except Exception as exc:  # noqa: BLE001 - report and fall back
            print(f"(default avatar unavailable: {exc}; using the synthetic head)")
    from tests.renderers.synthetic import synthetic_avatar

    return synthetic_avatar(rows=160, cols=192), "synthetic head"


def poses(n: int) -> list[Pose]:
    """``n`` animated poses with every weight non-zero and moving."""
    out = []
    phase = np.linspace(0, 2 * np.pi, NUM_SHAPES, endpoint=False)
    for i in range(n):
        t = i / 30.0
        pose = Pose(weights=0.3 + 0.25 * np.sin(2.1 * t + phase))
        pose.head_rotation[:] = (8 * np.sin(t), 4 * np.sin(1.3 * t), 3 * np.sin(0.7 * t))
        pose.eye_rotation[:] = (10 * np.sin(1.7 * t), 3 * np.sin(t), 10 * np.sin(1.7 * t), 3)
        out.append(pose)
    return out


def measure(renderer: AvatarRenderer, frames: list[Pose], readback: bool) -> tuple[float, float]:
    """``(frames per second, CPU ms per frame)`` over ``frames``."""
    w, h = renderer.size
    buf = np.empty((h, w, 3), dtype=np.uint8)
    cpu, start = time.process_time(), time.perf_counter()
    for pose in frames:
        if readback:
            renderer.render(pose, out=buf)
        else:
            renderer.render_to_fbo(pose)
            renderer.ctx.finish()
    wall = time.perf_counter() - start
    return len(frames) / wall, (time.process_time() - cpu) / len(frames) * 1000


def best(renderer: AvatarRenderer, frames: list[Pose], readback: bool, rounds: int) -> tuple:
    """The fastest of ``rounds`` measurements (after a warm-up)."""
    measure(renderer, frames[:5], readback)
    return max(measure(renderer, frames, readback) for _ in range(rounds))


def main() -> None:
    """Print the fps table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=120, help="frames per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per measurement")
    parser.add_argument("--samples", type=int, default=0, help="MSAA samples (default 0)")
    parser.add_argument("--synthetic", action="store_true", help="use the synthetic test head")
    parser.add_argument("--dense", action="store_true",
                        help="also a 50k-vertex, 52-target head (after the default avatar)")
    parser.add_argument("--avatar", help="render this avatar file instead")
    args = parser.parse_args()

    if args.avatar:
        from renderers.loaders import load_avatar as load_file

        table(load_file(args.avatar), args.avatar, args)
        return
    table(*load_avatar(args.synthetic), args)
    if args.dense:
        from bench.dense_avatar import dense_avatar

        table(dense_avatar(), "dense 50k head", args, sizes=((1280, 720),))


def table(avatar: Avatar, label: str, args: argparse.Namespace,
          sizes: tuple[tuple[int, int], ...] = SIZES) -> None:
    """Print the fps table of one avatar."""
    verts = sum(m.vertex_count for m in avatar.meshes)
    tris = sum(m.triangle_count for m in avatar.meshes)
    ctx = create_headless_context()
    print(
        f"{label}: {len(avatar.meshes)} meshes, {verts} vertices, {tris} triangles, "
        f"{len(avatar.target_names)} targets"
    )
    print(
        f"GL: {ctx.info['GL_RENDERER']}; LP_NUM_THREADS={os.environ.get('LP_NUM_THREADS', '-')}"
        f"; cores={os.cpu_count()}; MSAA={args.samples}x; best of {args.rounds} x "
        f"{args.frames} frames"
    )
    frames = poses(args.frames)
    columns = ("fps (readback)", "fps (no readback)", "CPU ms/frame")
    header = f"{'size':>10} | " + " | ".join(columns)
    print(header)
    print("-" * len(header))
    for w, h in sizes:
        with AvatarRenderer(avatar, w, h, ctx=ctx, samples=args.samples) as renderer:
            with_read, cpu_ms = best(renderer, frames, True, args.rounds)
            without, _ = best(renderer, frames, False, args.rounds)
        print(f"{f'{w}x{h}':>10} | {with_read:14.1f} | {without:17.1f} | {cpu_ms:12.1f}")
    ctx.release()


if __name__ == "__main__":
    main()
