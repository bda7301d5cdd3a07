"""The worker process of the local backend: runs the jobs it is sent, one at a time.

A worker talks to its parent over one duplex pipe. The parent sends ``(job, out_dir)`` (or
``None`` to stop); the worker answers with ``("progress", fraction, message)`` now and then
(throttled) and one ``("finished", JobResult, last)`` per job, ``last`` saying that it ends
now. It reuses its process for job after job (warm imports, loaded speech models) and ends
after ``max_jobs`` jobs when asked to.

Cancellation arrives through a shared event that the worker's :class:`SharedCancelToken`
reads at every check of the running job. Ctrl-C in a terminal reaches every process of the
group: the worker ignores it, its parent decides. ``SIGTERM`` (the parent's hard stop) raises
``SystemExit`` so the exporters' clean-up runs and no temporary file is left behind.
"""

from __future__ import annotations

import os
import signal
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

from generators.errors import Cancelled
from generators.progress import CancelToken

__all__ = ["PipeProgress", "SharedCancelToken", "serve"]

PROGRESS_INTERVAL_S = 0.25
"""At most this often a running job's progress crosses the pipe."""

MAX_MESSAGE = 200


class _SharedEvent(Protocol):
    def is_set(self) -> bool: ...

    def set(self) -> None: ...


class SharedCancelToken(CancelToken):
    """A :class:`CancelToken` backed by an event shared between processes.

    Examples
    --------
    >>> import threading
    >>> token = SharedCancelToken(threading.Event())
    >>> token.cancelled
    False
    >>> token.cancel(); token.cancelled
    True
    """

    def __init__(self, event: _SharedEvent) -> None:
        self._shared = event

    def cancel(self) -> None:
        """Ask every worker sharing the event to stop at its next check."""
        self._shared.set()

    @property
    def cancelled(self) -> bool:
        """Whether the batch was cancelled."""
        return self._shared.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise :class:`~generators.errors.Cancelled` once the batch was cancelled."""
        if self._shared.is_set():
            raise Cancelled("batch cancelled")


class PipeProgress:
    """Sends a running job's progress to the parent, at most every ``interval`` seconds."""

    def __init__(self, conn: Connection, interval: float = PROGRESS_INTERVAL_S) -> None:
        self._conn = conn
        self._interval = interval
        self._last = time.monotonic()  # the parent announced the start: skip the first tick

    def report(self, fraction: float, message: str) -> None:
        """Forward the report unless one was sent less than ``interval`` ago."""
        now = time.monotonic()
        if now - self._last < self._interval:
            return
        self._last = now
        self._conn.send(("progress", float(fraction), str(message)[:MAX_MESSAGE]))


def _stop_now(signum: int, frame: Any) -> None:  # pragma: no cover - runs in the worker
    raise SystemExit(128 + signum)


def serve(conn: Connection, stop: _SharedEvent, max_jobs: int | None,
          interval: float = PROGRESS_INTERVAL_S) -> None:  # pragma: no cover - worker process
    """The worker's loop (the target of each worker process)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_now)
    from studio.batch.job import CANCELLED, FAILED, JobResult, run_job

    worker = f"pid {os.getpid()}"
    token = SharedCancelToken(stop)
    count = 0
    while max_jobs is None or count < max_jobs:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the parent went away
            return
        if message is None:
            return
        job, out_dir = message
        if token.cancelled:
            result = JobResult(job.name, CANCELLED, worker=worker)
        else:
            try:
                result = run_job(job, Path(out_dir), progress=PipeProgress(conn, interval),
                                 cancel=token, worker=worker)
            except Exception as exc:  # noqa: BLE001 - a bug fails this job, not the batch
                result = JobResult(job.name, FAILED, error=(
                    f"internal error: {type(exc).__name__}: {' '.join(str(exc).split())} "
                    "(report it with this line's files)"), worker=worker)
        count += 1
        conn.send(("finished", result, max_jobs is not None and count >= max_jobs))
