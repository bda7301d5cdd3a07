"""Benchmark of the studio window: start-up, slider-to-frame latency, UI-thread stalls.

Usage::

    .venv/bin/python bench/bench_gui.py [--quick] [--startup-runs 5] [--moves 21] [--runs 3]

Three measurements, printed as one table:

* **Start-up**: wall time from spawning ``python -m studio gui --exit-after-show`` (and the
  installed ``affect-studio`` script) until its "window shown" line appears, median of
  ``--startup-runs`` after one warm-up run; under ``QT_QPA_PLATFORM=offscreen`` (image
  viewport) and, when ``Xvfb`` is installed, under ``xcb`` on a private Xvfb (GL viewport).
  A probe child opens the window the same way and reports whether ``torch`` was imported
  (or even looked for).
* **Slider -> frame**: in this process (offscreen, window 1440x900), a 60 s clip (the demo
  line tiled with its transcript, see ``bench_live_edit.tiled_request``) is loaded and
  analysed; then each slider move (one slider at a time, alternating values) is timed from
  ``QSlider.setValue`` until the viewport's ``frame_drawn`` signal, with ``Session.remap()``
  alone, the viewport render alone and Python's gen-2 garbage collections as separate rows;
  first with the window's default (empty) emotion track, then with a prompt set.
* **UI-thread stall**: a 5 ms ``QTimer`` on the UI thread records the gaps between its ticks
  from ``MainWindow.load_audio`` until the take exists and its first frame is drawn, with
  and without the transcript (a fresh window, so a fresh analysis, for each run; each window
  is first left idle for 2 s, so its analysis helper process is up).

Settings and autosaves go to a temporary folder (private ``XDG_*`` folders), never the user's.
Wall-clock figures on a 2-core machine suffer from any other load: CPU times are printed too
(process CPU, all threads: twice the wall time means a second core was busy as well).

Targets: window shown <= 2 s, slider -> frame <= 50 ms, longest stall <= 100 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QEventLoop, Qt, QTimer  # noqa: E402

from bench.bench_live_edit import tiled_request  # noqa: E402

CLIP_S = 60.0
STARTUP_TARGET_S = 2.0
SLIDER_TARGET_MS = 50.0
STALL_TARGET_MS = 100.0
TICK_MS = 5
WINDOW_SIZE = (1440, 900)
SHOWN_MARKER = "window shown after"
PROMPT = "nervous but hopeful"
WATCHED_MODULES = ("torch", "torchaudio", "transformers", "diffusers")

# Alternating slider positions (slider units: 100 per unit of value).
SLIDER_MOVES: tuple[tuple[str, int, int], ...] = (
    ("lip_articulation", 60, 140),
    ("upper_face", 140, 60),
    ("lower_face", 50, 150),
    ("head_motion", 160, 40),
    ("gaze_activity", 30, 170),
    ("blink_rate", 150, 50),
    ("intensity", 50, 100),
)


# ---------------------------------------------------------------------------------- helpers


def private_env(folder: Path) -> dict[str, str]:
    """XDG folders under ``folder``, so runs neither read nor write the user's settings."""
    env = {
        "XDG_CONFIG_HOME": str(folder / "config"),
        "XDG_DATA_HOME": str(folder / "data"),
        "XDG_CACHE_HOME": str(folder / "cache"),
        "XDG_RUNTIME_DIR": str(folder / "runtime"),
    }
    for path in env.values():
        os.makedirs(path, mode=0o700, exist_ok=True)
    return env


def write_tiled_clip(seconds: float, folder: Path) -> tuple[Path, str]:
    """Write the tiled demo line (``bench_live_edit.tiled_request``) as a FLAC file.

    Returns
    -------
    path, transcript
        The file and the transcript of the whole clip.
    """
    import soundfile as sf

    req = tiled_request(seconds)
    path = Path(folder) / f"tiled_{seconds:g}s.flac"
    sf.write(str(path), req.audio.samples, req.audio.sample_rate, subtype="PCM_16")
    assert req.transcript is not None
    return path, req.transcript


def process_events_for(seconds: float) -> None:
    """Run the Qt event loop for ``seconds`` (without spinning the CPU)."""
    loop = QEventLoop()
    QTimer.singleShot(max(0, round(seconds * 1000)), loop.quit)
    loop.exec()


def wait_until(condition: Callable[[], bool], timeout_s: float, poll_ms: int = 2) -> bool:
    """Run the Qt event loop until ``condition()`` holds (checked every ``poll_ms``)."""
    if condition():
        return True
    loop = QEventLoop()
    deadline = time.perf_counter() + timeout_s

    def check() -> None:
        if condition() or time.perf_counter() > deadline:
            loop.quit()

    poll = QTimer()
    poll.setTimerType(Qt.TimerType.PreciseTimer)
    poll.setInterval(poll_ms)
    poll.timeout.connect(check)
    poll.start()
    loop.exec()
    poll.stop()
    return condition()


class StallRecorder:
    """Gaps between the ticks of a 5 ms timer on the UI thread (a stall shows as a long gap)."""

    def __init__(self, interval_ms: int = TICK_MS) -> None:
        self.gaps_ms: list[float] = []
        self.gap_ends: list[float] = []
        self.started = 0.0
        self._last = 0.0
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        """Start recording (the first gap is measured from now)."""
        self.started = self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        """Stop recording, counting the gap up to now."""
        self._tick()
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps_ms.append((now - self._last) * 1000.0)
        self.gap_ends.append(now - self.started)
        self._last = now

    @property
    def longest_ms(self) -> float:
        """The longest gap between ticks."""
        return max(self.gaps_ms, default=0.0)

    def percentile_ms(self, q: float) -> float:
        """The ``q``-th percentile of the gaps."""
        return float(np.percentile(self.gaps_ms, q)) if self.gaps_ms else 0.0

    def worst(self, n: int = 5) -> list[tuple[float, float]]:
        """The ``n`` longest gaps as ``(gap ms, seconds after start when it ended)``."""
        pairs = sorted(zip(self.gaps_ms, self.gap_ends, strict=True), reverse=True)
        return pairs[:n]


@dataclass
class LoadResult:
    """One load-and-analyse run of a window."""

    analysis_s: float
    longest_ms: float
    p99_ms: float
    ticks: int
    gaps_ms: list[float] = field(repr=False)
    worst: list[tuple[float, float]]


def load_and_analyse(
    window: object, path: Path, transcript: str | None, timeout_s: float = 120.0
) -> LoadResult:
    """Load ``path`` into ``window`` (a ``MainWindow``) and wait for the take, recording stalls.

    Recording runs from the ``load_audio`` call until the take exists and its first frame has
    been drawn (or 1 s after the take, if no frame comes).

    Raises
    ------
    RuntimeError
        If no take appears within ``timeout_s`` (the window's last error is in the message).
    """
    w = window
    frames: list[float] = []

    def drawn(_ms: float) -> None:
        if w.session.take is not None:  # type: ignore[attr-defined]
            frames.append(time.perf_counter())

    w.viewport.frame_drawn.connect(drawn)  # type: ignore[attr-defined]
    recorder = StallRecorder()
    recorder.start()
    w.load_audio(path)  # type: ignore[attr-defined]
    if transcript is not None:
        w.edit_transcript(transcript)  # type: ignore[attr-defined]
    ok = wait_until(lambda: w.session.take is not None, timeout_s)  # type: ignore[attr-defined]
    took = time.perf_counter() - recorder.started
    if ok:
        wait_until(lambda: bool(frames), 1.0)
    recorder.stop()
    w.viewport.frame_drawn.disconnect(drawn)  # type: ignore[attr-defined]
    if not ok:
        raise RuntimeError(f"no take after {timeout_s:g} s (last error: {w.last_error})")  # type: ignore[attr-defined]
    return LoadResult(
        took,
        recorder.longest_ms,
        recorder.percentile_ms(99),
        len(recorder.gaps_ms),
        recorder.gaps_ms,
        recorder.worst(),
    )


def new_window(size: tuple[int, int] = WINDOW_SIZE, settle_s: float = 2.0) -> object:
    """A shown ``MainWindow`` (no recovery prompt), settled so its analysis helper is warm."""
    from studio.qt.main_window import MainWindow

    window = MainWindow(check_recovery=False)
    window.resize(*size)
    window.show()
    process_events_for(settle_s)
    return window


def close_window(window: object) -> None:
    """Shut a window down without prompting."""
    w = window
    w._dirty_without_undo = False  # type: ignore[attr-defined]
    w.undo_stack.setClean()  # type: ignore[attr-defined]
    w.shutdown()  # type: ignore[attr-defined]
    w.close()  # type: ignore[attr-defined]
    w.deleteLater()  # type: ignore[attr-defined]
    process_events_for(0.05)


def slider_latencies(
    window: object, moves: int, playhead_s: float = 2.0, gap_s: float = 0.05
) -> tuple[list[float], list[float], list[float]]:
    """Time ``moves`` slider moves from ``setValue`` to the viewport's next drawn frame.

    Returns
    -------
    latencies_ms, cpu_ms, render_ms
        Per move: setValue -> ``frame_drawn`` wall time, the CPU time this process used
        meanwhile (all threads, llvmpipe's included), and the draw time the viewport
        reported.
    """
    w = window
    w.playback.seek(playhead_s)  # type: ignore[attr-defined]
    process_events_for(0.1)
    state: dict[str, float] = {}
    loop_ref: list[QEventLoop] = []

    def drawn(ms: float) -> None:
        if "at" not in state:
            state["at"] = time.perf_counter()
            state["cpu"] = time.process_time()
            state["ms"] = ms
            if loop_ref:
                loop_ref[0].quit()

    w.viewport.frame_drawn.connect(drawn)  # type: ignore[attr-defined]
    latencies, cpus, renders = [], [], []
    try:
        for i in range(moves):
            name, a, b = SLIDER_MOVES[i % len(SLIDER_MOVES)]
            value = a if (i // len(SLIDER_MOVES)) % 2 == 0 else b
            slider = w.controls_panel.slider(name)  # type: ignore[attr-defined]
            if slider.value() == value:
                value = b if value == a else a
            state.clear()
            loop = QEventLoop()
            loop_ref[:] = [loop]
            QTimer.singleShot(5000, loop.quit)
            started, started_cpu = time.perf_counter(), time.process_time()
            slider.setValue(value)
            if "at" not in state:
                loop.exec()
            if "at" not in state:
                raise RuntimeError(f"no frame drawn within 5 s of moving {name}")
            latencies.append((state["at"] - started) * 1000.0)
            cpus.append((state["cpu"] - started_cpu) * 1000.0)
            renders.append(state["ms"])
            process_events_for(gap_s)
    finally:
        w.viewport.frame_drawn.disconnect(drawn)  # type: ignore[attr-defined]
    return latencies, cpus, renders


def set_prompt(window: object, prompt: str, timeout_s: float = 10.0) -> None:
    """Give the prompt under the playhead new text and wait for the re-mapped take."""
    w = window
    before = w.session.take  # type: ignore[attr-defined]
    w.edit_prompt(prompt)  # type: ignore[attr-defined]
    if not wait_until(lambda: w.session.take is not before, timeout_s):  # type: ignore[attr-defined]
        raise RuntimeError(f"the prompt {prompt!r} did not update the take")
    process_events_for(0.1)


@contextlib.contextmanager
def gc_pauses() -> Iterator[list[tuple[int, float]]]:
    """Collect ``(generation, ms)`` of every garbage collection inside the ``with`` block."""
    found: list[tuple[int, float]] = []
    started: list[float] = []

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started:
            found.append((info["generation"], (time.perf_counter() - started[0]) * 1000.0))

    gc.callbacks.append(callback)
    try:
        yield found
    finally:
        gc.callbacks.remove(callback)


def remap_ms(window: object, repeat: int) -> tuple[list[float], list[float]]:
    """``Session.remap()`` alone on the window's session: wall and CPU ms per run."""
    session = window.session  # type: ignore[attr-defined]
    walls, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        session.remap()
        walls.append((time.perf_counter() - t0) * 1000.0)
        cpus.append((time.process_time() - c0) * 1000.0)
    return walls, cpus


def render_ms(window: object, repeat: int) -> list[float]:
    """The image viewport's render (EGL draw + readback) alone, at its current size (ms)."""
    w = window
    viewport = w.viewport  # type: ignore[attr-defined]
    if not hasattr(viewport, "render_now"):
        return []
    take = w.session.take  # type: ignore[attr-defined]
    times = []
    for i in range(repeat):
        viewport.set_pose(take.pose_at(1.0 + 0.37 * i))
        t0 = time.perf_counter()
        viewport.render_now()
        times.append((time.perf_counter() - t0) * 1000.0)
    return times


# ---------------------------------------------------------------------------------- start-up


@contextlib.contextmanager
def xvfb_display() -> Iterator[str | None]:
    """A private Xvfb server's ``DISPLAY`` (``None`` if Xvfb is not installed or fails)."""
    exe = shutil.which("Xvfb")
    if exe is None:
        yield None
        return
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [exe, "-displayfd", str(write_fd), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
        pass_fds=[write_fd],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    display = None
    try:
        data = b""
        deadline = time.monotonic() + 15.0
        while not data.endswith(b"\n") and time.monotonic() < deadline:
            ready, _, _ = select.select([read_fd], [], [], 0.5)
            if ready:
                chunk = os.read(read_fd, 64)
                if not chunk:
                    break
                data += chunk
        if data.strip().isdigit():
            display = f":{data.strip().decode()}"
        yield display
    finally:
        os.close(read_fd)
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def time_to_shown(
    cmd: list[str], env: dict[str, str], timeout_s: float = 60.0
) -> tuple[float, float, str, int]:
    """Spawn ``cmd`` and time it until it prints the "window shown" line.

    Returns
    -------
    wall_s, reported_s, viewport, exit_code
        Wall time from spawn to the line, the time the window itself reported (from
        ``app.run()``), the viewport kind it names and the child's exit code.
    """
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT
    )
    assert proc.stdout is not None
    line = ""
    try:
        for line in proc.stdout:  # noqa: B007 - the matching line is used below
            if SHOWN_MARKER in line:
                break
        else:
            line = ""
        wall = time.perf_counter() - started
        proc.stdout.read()
        proc.wait(timeout_s)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if not line:
        raise RuntimeError(
            f"{' '.join(cmd)} printed no '{SHOWN_MARKER}' line (exit code {proc.returncode})"
        )
    reported = float(line.split(SHOWN_MARKER)[1].split()[0])
    viewport = line.split("viewport:")[1].split(",")[0].strip() if "viewport:" in line else "?"
    return wall, reported, viewport, proc.returncode


PROBE = f"""
import json, sys
WATCHED = {WATCHED_MODULES!r}
attempts = []

class _Watch:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in WATCHED:
            attempts.append(name)
        return None

sys.meta_path.insert(0, _Watch())


class _Tee:
    # reports the modules as soon as the window says it is shown (before it quits)

    def __init__(self, out):
        self.out = out

    def write(self, text):
        n = self.out.write(text)
        if {SHOWN_MARKER!r} in text:
            found = {{"imported": [m for m in WATCHED if m in sys.modules],
                      "attempted": sorted(set(attempts))}}
            self.out.write("\\nPROBE " + json.dumps(found) + "\\n")
            self.out.flush()
        return n

    def __getattr__(self, name):
        return getattr(self.out, name)


sys.stdout = _Tee(sys.stdout)
from studio.cli import main
sys.exit(main(["gui", "--exit-after-show"]))
"""


def torch_probe(env: dict[str, str]) -> tuple[list[str], list[str]]:
    """Open the window in a child (as ``affect-studio gui`` does) and list heavy imports.

    Returns
    -------
    imported, attempted
        Watched modules in the child's ``sys.modules`` after the window was shown, and the
        ones it tried to import (even unsuccessfully: a finder on ``sys.meta_path`` sees it).
    """
    proc = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("PROBE "):
            found = json.loads(line.removeprefix("PROBE "))
            return list(found["imported"]), list(found["attempted"])
    raise RuntimeError(
        f"the probe's window never showed (exit code {proc.returncode}): {proc.stderr[-2000:]}"
    )


@dataclass
class StartupRow:
    label: str
    platform: str
    viewport: str
    walls: list[float]
    reported: list[float]
    exit_codes: list[int]


def startup_rows(base_env: dict[str, str], runs: int) -> tuple[list[StartupRow], list[str]]:
    """Time the start-up commands under offscreen and (if available) xcb; probe imports."""
    commands = [
        ("python -m studio gui", [sys.executable, "-m", "studio", "gui", "--exit-after-show"])
    ]
    script = shutil.which("affect-studio", path=str(Path(sys.executable).parent))
    if script is not None:
        commands.append(("affect-studio gui", [script, "gui", "--exit-after-show"]))
    rows: list[StartupRow] = []
    notes: list[str] = []

    def run_platform(platform: str, env: dict[str, str]) -> None:
        for label, cmd in commands:
            time_to_shown(cmd, env)  # warm-up (disk cache, font cache)
            walls, reported, codes, kinds = [], [], [], set()
            for _ in range(runs):
                wall, rep, kind, code = time_to_shown(cmd, env)
                walls.append(wall)
                reported.append(rep)
                codes.append(code)
                kinds.add(kind)
            rows.append(
                StartupRow(label, platform, "/".join(sorted(kinds)), walls, reported, codes)
            )
        imported, attempted = torch_probe(env)
        notes.append(
            f"{platform}: heavy modules imported by the window: "
            f"{', '.join(imported) or 'none'}; import attempts: "
            f"{', '.join(attempted) or 'none'} (watched: {', '.join(WATCHED_MODULES)})"
        )

    env = dict(base_env, QT_QPA_PLATFORM="offscreen")
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    run_platform("offscreen", env)
    with xvfb_display() as display:
        if display is None:
            notes.append("xcb: skipped (Xvfb not installed or did not start)")
        else:
            env = dict(base_env, QT_QPA_PLATFORM="xcb", DISPLAY=display)
            env.pop("WAYLAND_DISPLAY", None)
            run_platform("xcb (Xvfb)", env)
    return rows, notes


# ---------------------------------------------------------------------------------- main


def machine_line() -> str:
    """Cores, CPU model and Python version of this machine."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"machine: {cores} cores ({os.cpu_count()} online){', ' + model if model else ''}; "
        f"Python {sys.version.split()[0]}"
    )


def main() -> None:
    """Print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--quick",
        action="store_true",
        help="fewer repeats (2 start-ups, 8 slider moves, 1 load per mode)",
    )
    ap.add_argument("--startup-runs", type=int, default=None, help="start-ups per command")
    ap.add_argument("--moves", type=int, default=None, help="slider moves")
    ap.add_argument(
        "--runs",
        type=int,
        default=None,
        help="load-and-analyse runs per mode (with/without transcript)",
    )
    ap.add_argument("--no-startup", action="store_true", help="skip the start-up rows")
    args = ap.parse_args()
    startup_runs = args.startup_runs or (2 if args.quick else 5)
    moves = args.moves or (8 if args.quick else 21)
    runs = args.runs or (1 if args.quick else 3)

    work = Path(tempfile.mkdtemp(prefix="bench-gui-"))
    try:
        env = dict(os.environ, **private_env(work / "children"))
        os.environ.update(private_env(work / "in-process"))
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia*=false")

        rows: list[StartupRow] = []
        notes: list[str] = []
        if not args.no_startup:
            rows, notes = startup_rows(env, startup_runs)

        from studio.qt.app import create_application

        app = create_application()
        clip, transcript = write_tiled_clip(CLIP_S, work)

        loads: dict[str, list[LoadResult]] = {"with transcript": [], "without transcript": []}
        lat: list[float] = []
        lat_cpu: list[float] = []
        drawn: list[float] = []
        remaps: list[float] = []
        remaps_cpu: list[float] = []
        lat_prompt: list[float] = []
        lat_prompt_cpu: list[float] = []
        remaps_prompt: list[float] = []
        remaps_prompt_cpu: list[float] = []
        pauses: list[tuple[int, float]] = []
        renders: list[float] = []
        viewport_size = ""
        for i in range(runs):
            for mode in loads:
                window = new_window()
                result = load_and_analyse(
                    window, clip, transcript if mode == "with transcript" else None
                )
                loads[mode].append(result)
                if mode == "with transcript" and i == 0:
                    vp = window.viewport  # type: ignore[attr-defined]
                    viewport_size = f"{vp.width()}x{vp.height()} {vp.kind}"
                    with gc_pauses() as pauses:
                        lat, lat_cpu, drawn = slider_latencies(window, moves)
                    remaps, remaps_cpu = remap_ms(window, max(5, moves // 2))
                    renders = render_ms(window, max(5, moves // 2))
                    set_prompt(window, PROMPT)
                    lat_prompt, lat_prompt_cpu, _ = slider_latencies(window, moves)
                    remaps_prompt, remaps_prompt_cpu = remap_ms(window, max(5, moves // 2))
                close_window(window)
        app.processEvents()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(machine_line())
    print(
        f"clip: demo line tiled to {CLIP_S:g} s (with its transcript), window "
        f"{WINDOW_SIZE[0]}x{WINDOW_SIZE[1]}, viewport {viewport_size}"
    )
    print()
    head = f"{'measurement':<50} {'median':>8} {'p99':>8} {'max':>8} {'target':>9}  {'notes'}"
    print(head)
    print("-" * len(head))

    def line(
        label: str,
        med: float,
        p99: float | None,
        worst: float,
        unit: str,
        target: str = "",
        note: str = "",
    ) -> None:
        d = 2 if unit == "s" else 1
        cells = [
            f"{med:.{d}f} {unit}",
            "-" if p99 is None else f"{p99:.{d}f} {unit}",
            f"{worst:.{d}f} {unit}",
        ]
        print(f"{label:<50} " + " ".join(f"{c:>8}" for c in cells) + f" {target:>9}  {note}")

    for row in rows:
        bad = [c for c in row.exit_codes if c != 0]
        exits = f"; exit code {bad[0]} in {len(bad)}/{len(row.exit_codes)} runs" if bad else ""
        line(
            f"start-up: {row.label} [{row.platform}, {row.viewport}]",
            statistics.median(row.walls),
            None,
            max(row.walls),
            "s",
            f"<= {STARTUP_TARGET_S:g} s",
            f"in-process {statistics.median(row.reported):.2f} s, n={len(row.walls)}{exits}",
        )
    if lat:
        line(
            "slider -> frame drawn, 60 s clip, no prompt",
            statistics.median(lat),
            float(np.percentile(lat, 99)),
            max(lat),
            "ms",
            f"<= {SLIDER_TARGET_MS:g} ms",
            f"n={len(lat)}, CPU median {statistics.median(lat_cpu):.1f} ms",
        )
        line(
            "  Session.remap() alone",
            statistics.median(remaps),
            None,
            max(remaps),
            "ms",
            note=f"n={len(remaps)}, CPU median {statistics.median(remaps_cpu):.1f} ms",
        )
        if renders:
            line(
                "  viewport render alone (EGL + readback)",
                statistics.median(renders),
                None,
                max(renders),
                "ms",
                note=f"n={len(renders)}",
            )
        line(
            "  render time reported during the moves",
            statistics.median(drawn),
            None,
            max(drawn),
            "ms",
        )
        gen2 = [ms for gen, ms in pauses if gen == 2]
        line(
            "  Python gen-2 GC pauses during the moves",
            statistics.median(gen2) if gen2 else 0,
            None,
            max(gen2, default=0.0),
            "ms",
            note=f"n={len(gen2)}",
        )
    if lat_prompt:
        line(
            f"slider -> frame drawn, prompt '{PROMPT}'",
            statistics.median(lat_prompt),
            float(np.percentile(lat_prompt, 99)),
            max(lat_prompt),
            "ms",
            f"<= {SLIDER_TARGET_MS:g} ms",
            f"n={len(lat_prompt)}, CPU median {statistics.median(lat_prompt_cpu):.1f} ms",
        )
        line(
            "  Session.remap() alone",
            statistics.median(remaps_prompt),
            None,
            max(remaps_prompt),
            "ms",
            note=f"n={len(remaps_prompt)}, CPU median "
            f"{statistics.median(remaps_prompt_cpu):.1f} ms",
        )
    for mode, results in loads.items():
        gaps = np.concatenate([r.gaps_ms for r in results])
        line(
            f"UI-thread gap, load + analyse, {mode}",
            float(np.median(gaps)),
            float(np.percentile(gaps, 99)),
            max(r.longest_ms for r in results),
            "ms",
            f"<= {STALL_TARGET_MS:g} ms",
            f"analysis {statistics.median(r.analysis_s for r in results):.2f} s, "
            f"runs={len(results)}",
        )
    print()
    print(
        "start-up: wall time from spawn to the 'window shown' line, after one warm-up run; "
        "'in-process' is the time the window reports from app.run()."
    )
    print(
        "UI-thread gap: gaps between the ticks of a 5 ms timer from load_audio() until the "
        "take's first frame is drawn; analysis = load_audio() -> take exists."
    )
    for note in notes:
        print(note)
    for mode, results in loads.items():
        worst = results[int(np.argmax([r.longest_ms for r in results]))].worst[:3]
        listed = ", ".join(f"{g:.0f} ms at {t:.2f} s" for g, t in worst)
        print(f"longest gaps {mode}: {listed}")


if __name__ == "__main__":
    main()
