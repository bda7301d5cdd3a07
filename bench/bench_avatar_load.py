"""Avatar load speed: an OBJ head with a shapes folder, the same head as GLB, the default head.

Run: ``.venv/bin/python bench/bench_avatar_load.py`` (prints a table); ``--help`` for options.
A synthetic head of ``--vertices`` vertices (an ellipsoid grid with UVs, quad faces) and
``--shapes`` ARKit-named shapes (each moving one patch of the face) is written as a neutral OBJ
plus one full OBJ per shape (``v``, ``vt`` and ``f`` lines, ``%.6f`` coordinates, as Maya and
Blender write them), loaded with :func:`renderers.loaders.load_avatar`, exported as GLB with the
studio's exporter and loaded again. The shipped default head is the baseline. Each row is the
median of ``--repeats`` loads (the OS file cache is warm after the first). The target is well
under 1 s for 50k vertices and 52 shapes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.synthetic_take import synthetic_take  # noqa: E402
from renderers.arkit import ARKIT_NAMES  # noqa: E402
from renderers.avatar import Avatar  # noqa: E402
from renderers.loaders import default_avatar_path, load_avatar  # noqa: E402
from renderers.loaders.gltf import load_gltf  # noqa: E402
from studio.exporters.gltf_export import GlbExporter  # noqa: E402


def synthetic_head(vertices: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(positions, uvs, quads)`` of an open ellipsoid grid of about ``vertices`` vertices."""
    rows = max(int(np.sqrt(vertices * 1.25)), 4)
    cols = max(vertices // rows, 4)
    v, u = np.meshgrid(np.linspace(0.05, 0.95, rows), np.linspace(0.0, 1.0, cols),
                       indexing="ij")
    theta, phi = v * np.pi, (u - 0.5) * 1.6 * np.pi
    pos = np.stack([0.08 * np.sin(theta) * np.sin(phi), 0.12 * np.cos(theta) + 0.15,
                    0.09 * np.sin(theta) * np.cos(phi)], axis=-1).reshape(-1, 3)
    uvs = np.stack([u, 1.0 - v], axis=-1).reshape(-1, 2)
    r, c = np.meshgrid(np.arange(rows - 1), np.arange(cols - 1), indexing="ij")
    a = (r * cols + c).ravel()
    quads = np.stack([a, a + cols, a + cols + 1, a + 1], axis=1)
    return pos, uvs, quads


def shape_deltas(pos: np.ndarray, count: int) -> list[tuple[str, np.ndarray]]:
    """``count`` ARKit-named deltas, each a smooth bump on one patch of the face."""
    rng = np.random.default_rng(7)
    out = []
    for name in (ARKIT_NAMES * (count // len(ARKIT_NAMES) + 1))[:count]:
        centre = pos[rng.integers(len(pos))]
        weight = np.exp(-np.sum((pos - centre) ** 2, axis=1) / (2 * 0.015**2))
        out.append((name, weight[:, None] * rng.normal(0, 0.004, 3)))
    return out


def _rows(prefix: str, values: np.ndarray) -> str:
    fmt = prefix + " " + " ".join(["%.6f"] * values.shape[1]) + "\n"
    return "".join(fmt % tuple(row) for row in values.tolist())


def write_obj(path: Path, pos: np.ndarray, uvs: np.ndarray, quads: np.ndarray) -> None:
    """Write a full OBJ (positions, UVs, quad faces)."""
    q = quads + 1
    faces = "".join(f"f {a}/{a} {b}/{b} {c}/{c} {d}/{d}\n" for a, b, c, d in q.tolist())
    path.write_text(f"# synthetic head\ng head\n{_rows('v', pos)}{_rows('vt', uvs)}{faces}")


def timed(load: Callable[[], Avatar], repeats: int) -> tuple[float, float, Avatar]:
    """Median and best seconds of ``repeats`` loads, and the last avatar."""
    times = []
    avatar = load()  # warm the file cache and imports
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        avatar = load()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), avatar


def _size_mb(paths: list[Path]) -> float:
    return sum(p.stat().st_size for p in paths) / 2**20


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vertices", type=int, default=50_000, help="vertices of the head")
    parser.add_argument("--shapes", type=int, default=52, help="shape files")
    parser.add_argument("--repeats", type=int, default=5, help="loads per row (median kept)")
    args = parser.parse_args(argv)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pos, uvs, quads = synthetic_head(args.vertices)
        neutral = folder / "head.obj"
        write_obj(neutral, pos, uvs, quads)
        (folder / "head_shapes").mkdir()
        for name, delta in shape_deltas(pos, args.shapes):
            write_obj(folder / "head_shapes" / f"{name}.obj", pos + delta, uvs, quads)
        obj_files = [neutral, *sorted((folder / "head_shapes").iterdir())]
        median, best, avatar = timed(lambda: load_avatar(neutral), args.repeats)
        rows.append(("OBJ + shapes folder", avatar, _size_mb(obj_files), median, best))

        glb = folder / "head.glb"
        GlbExporter().export(synthetic_take(1.0, 30.0), avatar, glb)
        median, best, from_glb = timed(lambda: load_gltf(glb), args.repeats)
        rows.append(("same head as GLB", from_glb, _size_mb([glb]), median, best))

    default = default_avatar_path()
    median, best, baseline = timed(lambda: load_gltf(default), args.repeats)
    rows.append(("default head (baseline)", baseline, _size_mb([default]), median, best))

    print(f"Avatar load, median of {args.repeats} (after one warm-up load)")
    header = (f"{'avatar':<26} {'vertices':>9} {'targets':>8} {'files MB':>9} "
              f"{'median s':>9} {'best s':>7}")
    print(header)
    print("-" * len(header))
    for label, av, size, med, low in rows:
        vertices = sum(m.vertex_count for m in av.meshes)
        print(f"{label:<26} {vertices:>9} {len(av.target_names):>8} {size:>9.1f} "
              f"{med:>9.3f} {low:>7.3f}")


if __name__ == "__main__":
    main()
