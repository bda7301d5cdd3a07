"""The ``affect-studio batch`` command: arguments, progress display, Ctrl-C, exit code.

Only the standard library is imported here, so building the CLI's parser stays cheap; the
batch machinery loads when the command runs.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from studio.batch.job import BatchJob

__all__ = ["EXIT_FAILED", "add_batch_command", "run_batch_command"]

EXIT_FAILED = 3
"""Exit code of a batch that ran to its end with failed jobs."""

MAX_JOBS = 512

EXIT_CODES = """exit codes:
  0    every job is done (or skipped: unchanged since the last run)
  2    bad usage, or a manifest/folder that cannot be read at all (one "error: ..." line)
  3    the batch ran, but some jobs failed (the summary and OUT/batch-report.json list them)
  130  interrupted with Ctrl-C (rerun the same command to finish: finished jobs are skipped)
  1    internal error"""


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"jobs must be a whole number, got {text!r}") from None
    if not 1 <= value <= MAX_JOBS:
        raise argparse.ArgumentTypeError(f"jobs must be between 1 and {MAX_JOBS}, got {value}")
    return value


def add_batch_command(sub: Any) -> argparse.ArgumentParser:
    """Add the ``batch`` sub-command to the CLI's sub-parsers."""
    batch = sub.add_parser(
        "batch", help="export many voice lines from a manifest or a folder of clips",
        description="Render every line of MANIFEST (CSV, JSON or TOML; see docs/formats.md)\n"
        "or every audio file of FOLDER (with its same-named .txt transcript) into DIR.\n"
        "A rerun skips the lines whose inputs, settings and software are unchanged and\n"
        "redoes the rest; a bad line fails alone and the batch goes on. Ctrl-C stops\n"
        "cleanly (no half-written files); press it twice to stop at once.",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    batch.add_argument("source", metavar="MANIFEST|FOLDER",
                       help="a manifest (.csv, .json, .toml) or a folder of audio files")
    batch.add_argument("--out", required=True, metavar="DIR",
                       help="output folder (created if needed); holds the outputs, "
                       "batch-report.json and the resume records (.affect-batch/)")
    batch.add_argument("--jobs", type=_jobs, default=None, metavar="N",
                       help="jobs run at once (default: one per CPU core)")
    batch.add_argument("--backend", choices=("local", "ray"), default="local",
                       help="local: worker processes on this machine (default); ray: tasks on "
                       "a Ray cluster (pip install 'affect-studio[cluster]')")
    batch.add_argument("--address", metavar="ADDR",
                       help="the Ray cluster to join (e.g. HEAD:6379 or auto; default: "
                       "start Ray on this machine)")
    batch.add_argument("--defaults", metavar="FILE",
                       help="settings for every line that does not give its own (a defaults "
                       "file or a preset saved from the studio)")
    batch.add_argument("--json-progress", action="store_true",
                       help="print one JSON object per job event on stderr")
    batch.set_defaults(func=run_batch_command)
    return batch


@contextlib.contextmanager
def _ctrl_c_cancels(cancel: Any, json_lines: bool) -> Iterator[None]:
    """First Ctrl-C: cancel (running jobs stop at their next step); second: stop at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        if cancel.cancelled:
            raise KeyboardInterrupt
        cancel.cancel()
        note = "running jobs end at their next step (press Ctrl-C again to stop at once)"
        text = (json.dumps({"event": "stopping", "message": note}) + "\n"
                if json_lines else f"\nstopping: {note}\n")
        # Straight to the file descriptor: the handler may interrupt a write to sys.stderr,
        # and writing through the same buffered stream then raises (reentrant call).
        with contextlib.suppress(OSError):
            os.write(sys.stderr.fileno(), text.encode())

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def make_backend(kind: str, jobs: int | None, address: str | None) -> Any:
    """The backend named ``kind`` (the Ray one is imported only when asked for).

    Raises
    ------
    BatchError
        Ray is asked for but not installed, or ``address`` is given without it.
    """
    from studio.batch.runner import BatchError

    if kind != "ray":
        if address:
            raise BatchError("--address is for the Ray backend (add --backend ray)")
        from studio.batch.local import LocalBackend

        return LocalBackend(jobs)
    try:
        module = importlib.import_module("studio.batch.ray_backend")
        return module.RayBackend(address, jobs)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] == "ray":
            raise BatchError("the Ray backend needs Ray, which is not installed "
                             "(pip install 'affect-studio[cluster]')") from None
        raise


SHARED_FRAME_BATCH = 4
"""Frames a talking-head line denoises together when several jobs may share one GPU."""


def fixed_frame_batches(jobs: list[BatchJob]) -> list[BatchJob]:
    """``jobs`` with an automatic talking-head frame batch fixed to :data:`SHARED_FRAME_BATCH`.

    Jobs that run side by side, each with its own copy of the models, would each size its
    batch by the free memory it sees at its own moment: together they could run out of it,
    and which size a line gets would depend on timing. A line's own ``frame_batch`` stays.
    """
    fixed = []
    for job in jobs:
        head = job.spec.talking_head
        if head is not None and head.batch_size is None:
            head = replace(head, batch_size=SHARED_FRAME_BATCH)
            job = replace(job, spec=replace(job.spec, talking_head=head))
        fixed.append(job)
    return fixed


def run_batch_command(args: argparse.Namespace) -> int:
    """Run ``affect-studio batch``; returns the exit code (see :data:`EXIT_CODES`)."""
    from generators.progress import CancelToken
    from studio.batch.report import REPORT_NAME, JsonBatchView, TerminalBatchView, format_summary
    from studio.batch.runner import BatchError, run_batch

    source = Path(args.source)
    if not source.exists():
        raise BatchError(f"manifest or folder not found: {source} (check the path)")
    defaults = Path(args.defaults) if args.defaults else None
    if defaults is not None and not defaults.is_file():
        raise BatchError(f"defaults file not found: {defaults} (check the path)")
    backend = make_backend(args.backend, args.jobs, args.address)  # fails before reading
    read_batch = importlib.import_module("studio.batch.manifest").read_batch
    plan = read_batch(source, defaults=defaults)
    if args.jobs is None and args.backend == "local" and any(
            job.spec.talking_head is not None for job in plan.jobs):
        backend = make_backend("local", 1, None)  # one copy of the diffusion models
        print("note: talking-head lines run one at a time (the models are loaded once); "
              "--jobs N runs N, each with its own copy of the models", file=sys.stderr)
    if args.backend != "local" or (getattr(backend, "jobs", None) or 1) > 1:
        fixed = fixed_frame_batches(plan.jobs)
        if fixed != plan.jobs:
            print(f"note: with several jobs at once, talking-head lines denoise "
                  f"{SHARED_FRAME_BATCH} frames together (set frame_batch for more)",
                  file=sys.stderr)
        plan.jobs = fixed
    total = len(plan.jobs) + len(plan.problems)
    if total == 0:
        raise BatchError(f"nothing to do: {source} has no lines or audio files")
    out = Path(args.out)
    view: Any = None
    if args.json_progress:
        view = JsonBatchView(total)
    elif sys.stderr.isatty():
        view = TerminalBatchView(total)
    cancel = CancelToken()
    with _ctrl_c_cancels(cancel, args.json_progress):
        try:
            report = run_batch(plan, out, backend, events=view, cancel=cancel)
        finally:
            if view is not None:
                view.close()
    if args.json_progress:
        print(json.dumps({"event": "batch_finished", "fraction": 1.0,
                          "totals": report.to_dict()["totals"],
                          "report": str(out / REPORT_NAME)}), file=sys.stderr)
    print(format_summary(report, out / REPORT_NAME))
    if cancel.cancelled:
        return 130
    return 0 if report.ok else EXIT_FAILED
