"""The standalone bundle: its size on disk and its start-up to a visible window.

Usage::

    python bench/bench_bundle.py [--bundle dist/affect-studio] [--runs 5]

Run with the Python of an environment where ``affect-studio`` is installed (the bundle build
runs it with ``build/bundle-venv``'s): the installed package, started as
``python -m studio gui --exit-after-show``, is the baseline the bundle's
``affect-studio gui --exit-after-show`` is compared with, in the same run. Each start-up row
is the wall time from spawning the command until it prints "window shown" (first viewport
frame drawn), median of ``--runs`` after one warm-up run, under ``QT_QPA_PLATFORM=offscreen``
(image viewport) and, when ``Xvfb`` is installed, under ``xcb`` on a private Xvfb (GL
viewport through Mesa). Settings go to a temporary folder. The size table lists the unpacked
folder and its largest parts.

Targets: the bundle shows its window in at most 3 s and is at most 600 MB unpacked.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_gui import private_env, time_to_shown, xvfb_display  # noqa: E402

STARTUP_TARGET_S = 3.0
SIZE_TARGET_MB = 600.0
MB = 1000**2
MIB = 1024**2


def folder_bytes(folder: Path) -> int:
    """Bytes of every regular file under ``folder`` (links not followed)."""
    total = 0
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(dirpath, name)
            if not path.is_symlink():
                total += path.stat().st_size
    return total


def size_rows(bundle: Path, top: int = 8) -> list[tuple[str, int]]:
    """The bundle's total and its ``top`` largest entries of ``_internal``, in bytes."""
    internal = bundle / "_internal"
    parts = []
    for entry in internal.iterdir():
        if entry.is_symlink():
            continue
        size = folder_bytes(entry) if entry.is_dir() else entry.stat().st_size
        parts.append((entry.name, size))
    parts.sort(key=lambda item: item[1], reverse=True)
    return [("whole bundle", folder_bytes(bundle)), *parts[:top]]


def startup_rows(bundle: Path, runs: int) -> list[tuple[str, str, list[float]]]:
    """(command, platform, wall seconds of each run) for the bundle and the baseline."""
    commands = [
        ("python -m studio (baseline)",
         [sys.executable, "-m", "studio", "gui", "--exit-after-show"]),
        ("bundle", [str(bundle / "affect-studio"), "gui", "--exit-after-show"]),
    ]
    rows = []
    with tempfile.TemporaryDirectory(prefix="affect-bundle-bench-") as tmp, \
            xvfb_display() as display:
        base_env = {"HOME": tmp, "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
                    **private_env(Path(tmp))}
        platforms = [("offscreen", {"QT_QPA_PLATFORM": "offscreen"})]
        if display is not None:
            platforms.append(("xcb (Xvfb)", {"QT_QPA_PLATFORM": "xcb", "DISPLAY": display}))
        for platform, extra in platforms:
            env = {**base_env, **extra}
            for label, cmd in commands:
                time_to_shown(cmd, env)  # warm-up: file cache, font cache
                rows.append((label, platform, [time_to_shown(cmd, env)[0] for _ in range(runs)]))
    return rows


def main(argv: list[str] | None = None) -> int:
    """Print the size and start-up tables (exit 2 when there is no bundle)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "affect-studio")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    bundle = args.bundle.resolve()
    if not (bundle / "affect-studio").is_file():
        print(f"error: no bundle at {bundle} (build it: bash installer/build-bundle.sh)",
              file=sys.stderr)
        return 2

    sizes = size_rows(bundle)
    print(f"{'bundle part':<28} {'MB':>8} {'MiB':>8}")
    for name, size in sizes:
        print(f"{name:<28} {size / MB:>8.1f} {size / MIB:>8.1f}")
    total_mb = sizes[0][1] / MB

    rows = startup_rows(bundle, args.runs)
    print()
    print(f"{'start-up to window shown':<28} {'platform':<11} {'median s':>9} {'max s':>7} "
          f"{'x baseline':>11}")
    baseline = {}
    worst_bundle = 0.0
    for label, platform, times in rows:
        median = statistics.median(times)
        baseline.setdefault(platform, median)
        if label == "bundle":
            worst_bundle = max(worst_bundle, median)
        print(f"{label:<28} {platform:<11} {median:>9.2f} {max(times):>7.2f} "
              f"{median / baseline[platform]:>11.2f}")
    print()
    size_ok = total_mb <= SIZE_TARGET_MB
    start_ok = worst_bundle <= STARTUP_TARGET_S
    print(f"size {total_mb:.0f} MB (target <= {SIZE_TARGET_MB:.0f}): "
          f"{'met' if size_ok else 'MISSED'}; start-up {worst_bundle:.2f} s "
          f"(target <= {STARTUP_TARGET_S:.0f}): {'met' if start_ok else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
