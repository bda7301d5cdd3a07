"""The worker side of the Ray backend: the task that runs one job and the batch's hub actor.

A batch run creates one :class:`BatchHub` actor (no CPU of its own). Every task first *claims*
its job at the hub, which refuses once the batch is cancelled, so a job queued in Ray when the
user cancels never starts. While the job runs, a small thread of the task sends its latest
progress to the hub every ``interval`` seconds and reads the cancel flag in the same call; the
driver drains the hub now and then and turns what it holds into events. Nothing here imports
Ray at module level: the module is importable without the ``cluster`` extra.

Examples
--------
>>> hub = BatchHub()
>>> hub.claim("a", "pid 1"), hub.poll("a", (0.5, "speech"))
(True, False)
>>> hub.drain()
([('a', 'pid 1')], [('a', 0.5, 'speech')])
>>> hub.cancel(); hub.claim("b", "pid 2")
False
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from generators.progress import CancelToken
from studio.batch.job import CANCELLED, BatchJob, JobResult, run_job

__all__ = ["PROGRESS_INTERVAL_S", "BatchHub", "HubLink", "run_remote_job"]

PROGRESS_INTERVAL_S = 0.25
"""At most this often a running job's progress (and the cancel flag) crosses the network."""

HUB_TIMEOUT_S = 30.0
"""How long a task waits for the hub before it gives up on one report."""

MAX_MESSAGE = 200


class BatchHub:
    """What the tasks of one batch tell the driver, and the batch's cancel flag.

    Runs as a Ray actor (methods are called one at a time), but is plain Python.
    """

    def __init__(self) -> None:
        self._cancelled = False
        self._started: list[tuple[str, str]] = []
        self._progress: dict[str, tuple[float, str]] = {}

    def claim(self, name: str, worker: str) -> bool:
        """Mark job ``name`` started on ``worker``; ``False`` once the batch is cancelled."""
        if self._cancelled:
            return False
        self._started.append((name, worker))
        return True

    def poll(self, name: str, progress: tuple[float, str] | None) -> bool:
        """Record job ``name``'s latest ``(fraction, message)``; return the cancel flag."""
        if progress is not None:
            self._progress[name] = progress
        return self._cancelled

    def cancel(self) -> None:
        """Cancel the batch: running jobs stop at their next check, others never start."""
        self._cancelled = True

    def drain(self) -> tuple[list[tuple[str, str]], list[tuple[str, float, str]]]:
        """The starts and the latest progress of each job since the previous drain."""
        started, progress = self._started, self._progress
        self._started, self._progress = [], {}
        return started, [(name, f, m) for name, (f, m) in progress.items()]


class HubLink:
    """A running job's line to the hub: a progress sink and a cancel token in one.

    ``report`` only keeps the latest progress; a thread sends it (throttled) and sets
    :attr:`token` when the hub says the batch was cancelled. Use it as a context manager.

    Parameters
    ----------
    hub
        The hub actor's handle.
    name
        The job's name.
    interval
        Seconds between two calls to the hub.
    """

    def __init__(self, hub: Any, name: str, interval: float = PROGRESS_INTERVAL_S) -> None:
        self.token = CancelToken()
        self._hub = hub
        self._name = name
        self._interval = interval
        self._lock = threading.Lock()
        self._latest: tuple[float, str] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"hub-link {name}", daemon=True)

    def report(self, fraction: float, message: str) -> None:
        """Keep ``fraction`` (clamped to 0..1) and ``message`` for the next call to the hub."""
        with self._lock:
            self._latest = (min(max(float(fraction), 0.0), 1.0), str(message)[:MAX_MESSAGE])

    def __enter__(self) -> HubLink:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        import ray

        while not self._stop.wait(self._interval):
            with self._lock:
                latest, self._latest = self._latest, None
            try:
                if ray.get(self._hub.poll.remote(self._name, latest), timeout=HUB_TIMEOUT_S):
                    self.token.cancel()
            except Exception:  # a lost report must not fail the job
                continue


def run_remote_job(job: BatchJob, out_dir: str, hub: Any,
                   interval: float = PROGRESS_INTERVAL_S) -> JobResult:
    """The Ray task: run ``job`` into ``out_dir`` unless the batch was cancelled first.

    Returns
    -------
    JobResult
        :func:`~studio.batch.job.run_job`'s result, or ``cancelled`` with no worker when the
        hub refused the claim (the job never started).
    """
    import ray

    worker = f"pid {os.getpid()} on {ray.util.get_node_ip_address()}"
    if not ray.get(hub.claim.remote(job.name, worker), timeout=HUB_TIMEOUT_S):
        return JobResult(job.name, CANCELLED)
    with HubLink(hub, job.name, interval) as link:
        return run_job(job, Path(out_dir), progress=link, cancel=link.token, worker=worker)
