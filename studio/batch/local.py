"""The local backend: a pool of worker processes on this machine.

Each worker is a separate process (``forkserver`` where the platform has it, else ``spawn``:
forking a process that runs Qt, GL or threads is unsafe) that runs job after job, so imports
and speech models stay warm. The parent hands one job at a time to an idle worker over that
worker's pipe, relays the worker's throttled progress as events, and notices at once when a
worker dies (its job fails with the reason; a fresh worker takes over the rest).

Cancelling (the ``cancel`` token) sets an event every worker reads at its running job's next
check; jobs not handed out yet finish as ``cancelled`` at once. A ``KeyboardInterrupt`` in the
parent (a second Ctrl-C) is a hard stop: the workers are terminated, the temporary files of
their unfinished outputs are removed, every unfinished job is reported ``cancelled`` and the
interrupt is raised again.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import shutil
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from generators.progress import CancelToken
from studio.batch.backend import BatchEvent, JobFinished, JobProgress, JobStarted
from studio.batch.job import CANCELLED, FAILED, BatchJob, JobResult
from studio.batch.local_worker import PROGRESS_INTERVAL_S, serve
from studio.errors import StudioError

__all__ = ["LocalBackend", "remove_partial_outputs"]

POLL_S = 0.1
"""How often the parent looks at the cancel token while nothing else happens."""

STOP_GRACE_S = 3.0
"""How long terminated workers get to clean up before they are killed."""

PRELOAD = ["studio.batch.local_worker", "studio.batch.job", "generators.rig.generator",
           "studio.exporters.registry"]
"""Modules the fork server imports once, so that every worker starts warm."""


@dataclass
class _Worker:
    process: Any
    conn: Connection
    name: str
    job: tuple[int, BatchJob] | None = None
    started: float = 0.0
    retiring: bool = False


def _context(start_method: str | None) -> Any:
    methods = mp.get_all_start_methods()
    method = start_method or ("forkserver" if "forkserver" in methods else "spawn")
    if method == "fork":
        raise ValueError("the 'fork' start method is unsafe here; use forkserver or spawn")
    ctx = mp.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(PRELOAD)  # only used when the fork server starts
    return ctx


def remove_partial_outputs(job: BatchJob, out_dir: Path) -> list[Path]:
    """Remove the temporary files a killed job may have left beside its outputs.

    The exporters write ``.NAME.XXXX.part.EXT`` (or a ``.NAME.XXXX.part`` folder) and rename
    it on success; a process killed in between leaves that temporary behind.

    Returns
    -------
    list of Path
        What was removed.
    """
    removed = []
    for out in job.outputs(out_dir):
        folder = out.parent
        if not folder.is_dir():
            continue
        for tmp in folder.glob(f".{_glob_escape(out.name)}.*"):
            tail = tmp.name[len(out.name) + 2:]
            if ".part" not in tail and not tail.endswith(".old"):
                continue
            with contextlib.suppress(OSError):
                if tmp.is_dir():
                    shutil.rmtree(tmp)
                else:
                    tmp.unlink()
                removed.append(tmp)
    for probe in out_dir.glob(".affect-write-probe.*"):
        with contextlib.suppress(OSError):
            probe.unlink()
            removed.append(probe)
    return removed


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in text)


class LocalBackend:
    """Runs batch jobs in a pool of worker processes on this machine.

    Parameters
    ----------
    jobs
        Worker processes (default: one per CPU core).
    max_jobs_per_worker
        Replace a worker by a fresh process after this many jobs (default: never; memory
        stays flat without it).
    start_method
        ``forkserver`` (default where available) or ``spawn``.
    progress_interval
        Seconds between two progress events of one running job.

    Examples
    --------
    >>> LocalBackend(2).jobs
    2
    """

    name = "local"

    def __init__(self, jobs: int | None = None, *, max_jobs_per_worker: int | None = None,
                 start_method: str | None = None,
                 progress_interval: float = PROGRESS_INTERVAL_S) -> None:
        if jobs is not None and jobs < 1:
            raise ValueError(f"jobs must be at least 1, got {jobs}")
        if max_jobs_per_worker is not None and max_jobs_per_worker < 1:
            raise ValueError(f"max_jobs_per_worker must be at least 1, got {max_jobs_per_worker}")
        self.jobs = jobs or os.cpu_count() or 1
        self.max_jobs_per_worker = max_jobs_per_worker
        self.start_method = start_method
        self.progress_interval = progress_interval

    def run(
        self,
        jobs: Sequence[BatchJob],
        out_dir: Path,
        events: Callable[[BatchEvent], None],
        cancel: CancelToken,
    ) -> None:
        """Run ``jobs`` writing into ``out_dir``; report through ``events`` (see backend)."""
        _Pool(self, out_dir, events, cancel).run(jobs)


class _Pool:
    """One run of the pool: its workers, the jobs not handed out, the event relay."""

    def __init__(self, backend: LocalBackend, out_dir: Path,
                 events: Callable[[BatchEvent], None], cancel: CancelToken) -> None:
        self._backend = backend
        self._out_dir = out_dir
        self._events = events
        self._cancel = cancel
        self._ctx = _context(backend.start_method)
        self._stop = self._ctx.Event()
        self._workers: list[_Worker] = []
        self._pending: deque[tuple[int, BatchJob]] = deque()

    def run(self, jobs: Sequence[BatchJob]) -> None:
        self._pending.extend(enumerate(jobs))
        try:
            while self._pending or self._busy():
                if self._cancel.cancelled:
                    self._cancel_pending()
                self._hand_out()
                self._pump()
        except BaseException:
            self._hard_stop()
            raise
        finally:
            self._shut_down()

    # -- the loop ---------------------------------------------------------------------------

    def _busy(self) -> list[_Worker]:
        return [w for w in self._workers if w.job is not None]

    def _cancel_pending(self) -> None:
        self._stop.set()
        while self._pending:
            _, job = self._pending.popleft()
            self._events(JobFinished(JobResult(job.name, CANCELLED)))

    def _hand_out(self) -> None:
        while self._pending:
            serving = [w for w in self._workers if not w.retiring]
            worker = next((w for w in serving if w.job is None), None)
            if worker is None:
                if len(serving) >= self._backend.jobs:
                    return
                worker = self._start_worker()
            index, job = self._pending.popleft()
            worker.job, worker.started = (index, job), time.perf_counter()
            self._events(JobStarted(job.name, worker.name))
            try:
                worker.conn.send((job, str(self._out_dir)))
            except OSError:  # it died: the job fails with the reason, the pool goes on
                self._reap(worker)

    def _start_worker(self) -> _Worker:
        ours, theirs = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(
            target=serve, args=(theirs, self._stop, self._backend.max_jobs_per_worker,
                                self._backend.progress_interval),
            name="affect-batch-worker", daemon=True,
        )
        try:
            process.start()
        except OSError as exc:
            ours.close()
            theirs.close()
            raise StudioError(f"cannot start a worker process ({exc.strerror or exc}); "
                              "free some memory or run fewer jobs (--jobs)") from None
        theirs.close()
        worker = _Worker(process, ours, f"pid {process.pid}")
        self._workers.append(worker)
        return worker

    def _pump(self) -> None:
        """Wait for the workers' messages (or deaths) and relay them."""
        by_conn = {w.conn: w for w in self._workers}
        by_sentinel = {w.process.sentinel: w for w in self._workers}
        ready = wait([*by_conn, *by_sentinel], timeout=POLL_S)
        for item in ready:  # messages first: a worker's last words come before its death
            if item in by_conn:
                self._drain(by_conn[item])
        for item in ready:
            if item in by_sentinel:
                worker = by_sentinel[item]
                if worker in self._workers:
                    self._drain(worker)
                    self._reap(worker)

    def _drain(self, worker: _Worker) -> None:
        with contextlib.suppress(EOFError, OSError):
            while worker.conn.poll():
                message = worker.conn.recv()
                if message[0] == "progress" and worker.job is not None:
                    self._events(JobProgress(worker.job[1].name, message[1], message[2]))
                elif message[0] == "finished":
                    worker.job, worker.retiring = None, bool(message[2])
                    self._events(JobFinished(message[1]))

    def _reap(self, worker: _Worker) -> None:
        """A worker ended: its unfinished job (if any) failed; the pool goes on without it."""
        worker.process.join(STOP_GRACE_S)
        self._workers.remove(worker)
        worker.conn.close()
        if worker.job is None:
            return
        _, job = worker.job
        remove_partial_outputs(job, self._out_dir)
        code = worker.process.exitcode
        self._events(JobFinished(JobResult(
            job.name, FAILED, seconds=time.perf_counter() - worker.started, worker=worker.name,
            error=f"the worker process stopped unexpectedly (exit code {code}) while running "
            "this job; check the free memory, then run the batch again")))

    # -- ending -----------------------------------------------------------------------------

    def _hard_stop(self) -> None:
        """Terminate every worker now; report their jobs and the pending ones cancelled."""
        self._stop.set()
        for worker in self._workers:
            with contextlib.suppress(OSError, AttributeError):
                worker.process.terminate()
        deadline = time.monotonic() + STOP_GRACE_S
        for worker in self._workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(1.0)
        for worker in self._workers:
            if worker.job is not None:
                _, job = worker.job
                remove_partial_outputs(job, self._out_dir)
                worker.job = None
                self._events(JobFinished(JobResult(job.name, CANCELLED, worker=worker.name)))
        while self._pending:
            _, job = self._pending.popleft()
            self._events(JobFinished(JobResult(job.name, CANCELLED)))

    def _shut_down(self) -> None:
        for worker in self._workers:
            with contextlib.suppress(OSError):
                worker.conn.send(None)
        deadline = time.monotonic() + STOP_GRACE_S
        for worker in self._workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.terminate()
                worker.process.join(1.0)
            worker.conn.close()
        self._workers.clear()
