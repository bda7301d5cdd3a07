"""What a batch backend does: run jobs somewhere and report each one's progress and result.

A backend receives the jobs that need running (the runner has already skipped unchanged ones)
and calls ``events`` from the thread that called :meth:`Backend.run`, never from a worker:

* ``JobStarted(name, worker)`` when a worker picks a job up;
* ``JobProgress(name, fraction, message)`` now and then while it runs;
* ``JobFinished(result)`` exactly once per job (``cancelled`` for jobs never started when the
  batch is cancelled).

:meth:`Backend.run` returns when every job has finished or been cancelled; it checks
``cancel`` between events and, once it is set, lets running jobs stop at their next check
(their outputs are written atomically, so nothing half-written is left).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from generators.progress import CancelToken
from studio.batch.job import BatchJob, JobResult

__all__ = ["Backend", "BatchEvent", "JobFinished", "JobProgress", "JobStarted"]


@dataclass(frozen=True)
class JobStarted:
    """A worker picked the job up."""

    name: str
    worker: str = ""


@dataclass(frozen=True)
class JobProgress:
    """A running job's progress (0..1) and what it is doing."""

    name: str
    fraction: float
    message: str = ""


@dataclass(frozen=True)
class JobFinished:
    """A job ended (done, failed or cancelled)."""

    result: JobResult


BatchEvent = JobStarted | JobProgress | JobFinished


class Backend(Protocol):
    """Runs batch jobs (see the module notes for the event contract)."""

    name: str
    """``"local"`` or ``"ray"``."""

    def run(
        self,
        jobs: Sequence[BatchJob],
        out_dir: Path,
        events: Callable[[BatchEvent], None],
        cancel: CancelToken,
    ) -> None:
        """Run ``jobs`` writing into ``out_dir``; report through ``events``."""
        ...
