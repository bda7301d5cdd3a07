"""End to end, as a user runs it: ``affect-studio render`` in a fresh process per run.

Run: ``.venv/bin/python bench/bench_cli_render.py`` (prints a table).

Each row is a new process (Python start, imports, audio decoding, lip sync, emotion, and for
video the renderer's start-up, rendering and encoding), so the figures include every one-off
cost a single command pays. The baseline row decodes the same audio and exits, in the same
kind of process.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "assets" / "demo" / "greeting.flac"
REPEATS = 3


def _exe() -> str:
    exe = shutil.which("affect-studio", path=str(Path(sys.executable).parent))
    if exe is None:
        sys.exit("affect-studio is not installed in this environment (run installer/install.sh)")
    return exe


def _median_wall(cmd: list[str]) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Print wall time and multiple of real time for each output kind."""
    exe = _exe()
    transcript = (DEMO.with_suffix(".txt")).read_text(encoding="utf-8").strip()
    duration = float(subprocess.run(
        [sys.executable, "-c", "from generators.audio import AudioClip; import sys; "
         f"print(AudioClip.load({str(DEMO)!r}).duration)"],
        check=True, capture_output=True, text=True, cwd=REPO).stdout)  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        base = [exe, "render", str(DEMO), "--prompt", "cheerful"]
        rows = [
            ("decode audio only (baseline)", [sys.executable, "-c",
             f"from generators.audio import AudioClip; AudioClip.load({str(DEMO)!r})"]),
            ("curves .json, no transcript", [*base, "-o", str(out / "a.json")]),
            ("curves .json, transcript", [*base, "--transcript", transcript,
                                          "-o", str(out / "b.json")]),
            ("video .mp4 1280x720, transcript", [*base, "--transcript", transcript,
                                                 "-o", str(out / "c.mp4")]),
            ("all five formats, transcript", [*base, "--transcript", transcript,
             *sum((["-o", str(out / f"d{ext}")] for ext in
                   (".json", ".csv", ".rhubarb.json", ".tsv", ".mp4")), [])]),
        ]  # fmt: skip
        print(f"demo line: {duration:.2f} s of audio; median of {REPEATS} fresh processes")
        print(f"{'command':<34} {'wall s':>7} {'x real time':>12} {'x baseline':>11}")
        baseline = None
        for label, cmd in rows:
            wall = _median_wall(cmd)
            baseline = baseline or wall
            print(f"{label:<34} {wall:>7.2f} {duration / wall:>12.2f} {wall / baseline:>11.1f}")


if __name__ == "__main__":
    main()
