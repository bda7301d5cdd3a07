"""What a batch did: the report (JSON and a printed summary) and the live progress views.

* :class:`BatchReport`: every job's result, the totals and the timing; written as
  ``OUT/batch-report.json`` by the runner, printed by :func:`format_summary`.
* :class:`BatchProgress`: follows the batch events (counts, running jobs, overall fraction).
* :class:`TerminalBatchView` draws it in a terminal: an overall bar with the counts and one
  line per running job; :class:`JsonBatchView` writes one JSON object per event
  (``--json-progress``).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from studio.batch.backend import BatchEvent, JobFinished, JobProgress, JobStarted
from studio.batch.job import CANCELLED, DONE, FAILED, SKIPPED, JobResult

__all__ = [
    "REPORT_NAME",
    "STATUSES",
    "BatchProgress",
    "BatchReport",
    "JsonBatchView",
    "TerminalBatchView",
    "format_summary",
]

REPORT_NAME = "batch-report.json"
"""The report's file name inside the output folder."""

REPORT_VERSION = 1
STATUSES = (DONE, SKIPPED, FAILED, CANCELLED)
MAX_FAILED_SHOWN = 20


@dataclass
class BatchReport:
    """How a batch went.

    Parameters
    ----------
    results
        One result per job, in the batch's order.
    out_dir
        The output folder.
    backend
        ``local`` or ``ray``.
    started, finished
        Wall-clock times (ISO 8601, UTC).
    seconds
        How long the batch took.
    software
        Versions of this program and its speech recogniser.
    sources
        Where each job was defined (``"lines.csv line 12"``), in the order of ``results``.
    interrupted
        The batch was cancelled or stopped before every job ran.

    Examples
    --------
    >>> r = BatchReport([JobResult("a", DONE), JobResult("b", FAILED, error="bad")],
    ...                 Path("out"), "local", "", "", 2.0, {})
    >>> r.counts()
    {'done': 1, 'skipped': 0, 'failed': 1, 'cancelled': 0}
    >>> r.ok, r.throughput
    (False, 0.5)
    """

    results: list[JobResult]
    out_dir: Path
    backend: str
    started: str
    finished: str
    seconds: float
    software: Mapping[str, str]
    sources: Sequence[str] = ()
    interrupted: bool = False

    def counts(self) -> dict[str, int]:
        """Jobs per status (every status, zeros included)."""
        counts = dict.fromkeys(STATUSES, 0)
        for result in self.results:
            counts[result.status] = counts.get(result.status, 0) + 1
        return counts

    @property
    def failed(self) -> list[JobResult]:
        """The jobs that failed."""
        return [r for r in self.results if r.status == FAILED]

    def failed_with_sources(self) -> list[tuple[JobResult, str]]:
        """The jobs that failed, each with where it was defined."""
        return [(r, self.source(i)) for i, r in enumerate(self.results) if r.status == FAILED]

    @property
    def ok(self) -> bool:
        """Every job is done or was skipped as unchanged."""
        return all(r.status in (DONE, SKIPPED) for r in self.results)

    @property
    def throughput(self) -> float:
        """Jobs done per second of the batch's wall time (skipped ones do not count)."""
        done = sum(1 for r in self.results if r.status == DONE)
        return done / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (output paths relative to the output folder)."""
        return {
            "version": REPORT_VERSION,
            "software": dict(self.software),
            "backend": self.backend,
            "out": str(self.out_dir),
            "started": self.started,
            "finished": self.finished,
            "seconds": round(self.seconds, 3),
            "interrupted": self.interrupted,
            "totals": {"jobs": len(self.results), **self.counts()},
            "throughput_per_s": round(self.throughput, 3),
            "jobs": [self._job(r, i) for i, r in enumerate(self.results)],
        }

    def source(self, index: int) -> str:
        """Where the ``index``-th job was defined (empty when unknown)."""
        return self.sources[index] if index < len(self.sources) else ""

    def _job(self, result: JobResult, index: int) -> dict[str, Any]:
        return {
            "name": result.name,
            "source": self.source(index),
            "status": result.status,
            "outputs": [_relative(Path(p), self.out_dir) for p in result.outputs],
            "error": result.error,
            "seconds": round(result.seconds, 3),
            "worker": result.worker,
        }


def _relative(path: Path, folder: Path) -> str:
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return str(path)


def format_summary(report: BatchReport, report_path: Path | None = None) -> str:
    """The table printed at the end of a batch.

    Examples
    --------
    >>> r = BatchReport([JobResult("a", DONE), JobResult("b", FAILED, error="no audio")],
    ...                 Path("out"), "local", "", "", 2.0, {}, ["", "lines.csv line 3"])
    >>> print(format_summary(r))
    batch: 2 jobs in 2.0 s with the local backend (0.50 jobs/s)
      done          1
      skipped       0
      failed        1
      cancelled     0
    failed jobs:
      b (lines.csv line 3): no audio
    """
    lines = [f"batch: {len(report.results)} jobs in {report.seconds:.1f} s with the "
             f"{report.backend} backend ({report.throughput:.2f} jobs/s)"]
    lines += [f"  {status:<10} {count:>4}" for status, count in report.counts().items()]
    failed = report.failed_with_sources()
    if failed:
        lines.append("failed jobs:")
        for result, source in failed[:MAX_FAILED_SHOWN]:
            where = f" ({source})" if source else ""
            lines.append(f"  {result.name}{where}: {result.error}")
        if len(failed) > MAX_FAILED_SHOWN:
            lines.append(f"  ... and {len(failed) - MAX_FAILED_SHOWN} more (see the report)")
    if report.interrupted:
        lines.append("stopped before the end: run the same command again to finish the rest")
    if report_path is not None:
        lines.append(f"report: {report_path}")
    return "\n".join(lines)


class BatchProgress:
    """Follows the batch events: counts per status, the running jobs, the overall fraction.

    Examples
    --------
    >>> p = BatchProgress(2)
    >>> p(JobStarted("a")); p(JobProgress("a", 0.5))
    >>> p.fraction
    0.25
    >>> p(JobFinished(JobResult("a", DONE))); p.fraction, p.counts[DONE]
    (0.5, 1)
    """

    def __init__(self, total: int) -> None:
        self.total = max(int(total), 0)
        self.counts = dict.fromkeys(STATUSES, 0)
        self.running: dict[str, tuple[float, str]] = {}

    @property
    def finished(self) -> int:
        """Jobs that ended, whatever their status."""
        return sum(self.counts.values())

    @property
    def fraction(self) -> float:
        """The whole batch's progress, 0..1 (running jobs count by their own fraction)."""
        if self.total == 0:
            return 1.0
        partial = sum(f for f, _ in self.running.values())
        return min(1.0, (self.finished + partial) / self.total)

    def __call__(self, event: BatchEvent) -> None:
        """Take one event into account."""
        if isinstance(event, JobStarted):
            self.running[event.name] = (0.0, "started")
        elif isinstance(event, JobProgress):
            if event.name in self.running:
                self.running[event.name] = (min(max(event.fraction, 0.0), 1.0), event.message)
        elif isinstance(event, JobFinished):
            self.running.pop(event.result.name, None)
            status = event.result.status
            self.counts[status] = self.counts.get(status, 0) + 1


class TerminalBatchView:
    """Draws the batch in a terminal: an overall bar with the counts, one line per running job.

    Failed jobs are printed once, above the live lines, as they fail. Redraws at most ten times
    a second.
    """

    def __init__(self, total: int, stream: TextIO | None = None, width: int = 30,
                 max_running_lines: int = 8) -> None:
        self.progress = BatchProgress(total)
        self._stream = stream or sys.stderr
        self._width = width
        self._max_lines = max_running_lines
        self._drawn = 0
        self._last = 0.0

    def __call__(self, event: BatchEvent) -> None:
        """Take the event and redraw when due."""
        self.progress(event)
        failed = isinstance(event, JobFinished) and event.result.status == FAILED
        if failed:
            self._clear()
            self._stream.write(f"failed: {event.result.name}: {event.result.error}\n")
        now = time.monotonic()
        if failed or now - self._last >= 0.1 or self.progress.finished == self.progress.total:
            self._last = now
            self._draw()

    def _clear(self) -> None:
        if self._drawn:
            up = f"\x1b[{self._drawn - 1}A" if self._drawn > 1 else ""
            self._stream.write(f"{up}\r\x1b[J")
            self._drawn = 0

    def _draw(self) -> None:
        p = self.progress
        filled = int(round(p.fraction * self._width))
        bar = "#" * filled + "." * (self._width - filled)
        c = p.counts
        lines = [f"[{bar}] {p.fraction * 100:5.1f}%  {p.finished}/{p.total}  running "
                 f"{len(p.running)}  done {c[DONE]}  skipped {c[SKIPPED]}  failed {c[FAILED]}"
                 + (f"  cancelled {c[CANCELLED]}" if c[CANCELLED] else "")]
        for name, (fraction, message) in list(p.running.items())[:self._max_lines]:
            lines.append(f"  {name[:40]:<40} {fraction * 100:3.0f}%  {message[:30]}")
        self._clear()
        self._stream.write("\n".join(lines))
        self._stream.flush()
        self._drawn = len(lines)

    def close(self) -> None:
        """Draw the final state and end its lines."""
        self._draw()
        self._stream.write("\n")
        self._stream.flush()
        self._drawn = 0


class JsonBatchView:
    """Writes one JSON object per batch event (``--json-progress``).

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> view = JsonBatchView(2, out)
    >>> view(JobStarted("a", "pid 7")); view(JobFinished(JobResult("a", DONE)))
    >>> [json.loads(line)["event"] for line in out.getvalue().splitlines()]
    ['job_started', 'job_finished']
    >>> json.loads(out.getvalue().splitlines()[-1])["fraction"]
    0.5
    """

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.progress = BatchProgress(total)
        self._stream = stream or sys.stderr

    def __call__(self, event: BatchEvent) -> None:
        """Write the event's line."""
        self.progress(event)
        line: dict[str, Any]
        if isinstance(event, JobStarted):
            line = {"event": "job_started", "name": event.name, "worker": event.worker}
        elif isinstance(event, JobProgress):
            line = {"event": "job_progress", "name": event.name,
                    "job_fraction": round(event.fraction, 4), "message": event.message}
        else:
            r = event.result
            line = {"event": "job_finished", "name": r.name, "status": r.status,
                    "error": r.error, "seconds": round(r.seconds, 3), "worker": r.worker}
        line["fraction"] = round(self.progress.fraction, 4)
        line["finished"] = self.progress.finished
        line["total"] = self.progress.total
        self._stream.write(json.dumps(line) + "\n")
        self._stream.flush()

    def close(self) -> None:
        """Nothing to finish."""
