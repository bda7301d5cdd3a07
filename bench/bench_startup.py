"""Start-up time of the command line: ``affect-studio --help`` and ``--version``.

Run: ``.venv/bin/python bench/bench_startup.py`` (prints a table).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPEATS = 10


def time_command(cmd: list[str]) -> list[float]:
    """Wall-clock seconds of ``REPEATS`` runs of ``cmd`` (after one warm-up run)."""
    subprocess.run(cmd, capture_output=True, check=True)
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    """Print the start-up table, with bare Python start-up as the baseline."""
    exe = shutil.which("affect-studio", path=str(Path(sys.executable).parent))
    if exe is None:
        sys.exit("affect-studio is not installed in this environment (run installer/install.sh)")
    rows = [
        ("python -c pass (baseline)", [sys.executable, "-c", "pass"]),
        ("affect-studio --help", [exe, "--help"]),
        ("affect-studio --version", [exe, "--version"]),
    ]
    results = [(label, time_command(cmd)) for label, cmd in rows]
    base = statistics.median(results[0][1])
    print(f"{'command':<28} {'median s':>9} {'max s':>7} {'x baseline':>11}")
    for label, times in results:
        med = statistics.median(times)
        print(f"{label:<28} {med:>9.3f} {max(times):>7.3f} {med / base:>11.2f}")


if __name__ == "__main__":
    main()
