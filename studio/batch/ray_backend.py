"""The Ray backend: batch jobs as Ray tasks, on a local Ray instance or an existing cluster.

Without an address the backend starts a private local Ray instance (``jobs`` CPUs, no
dashboard, quiet, its files in a fresh folder under the system temp) and shuts it down at the
end; with one (``HOST:6379``, ``auto``) it connects to that cluster and leaves it running.
Ray is imported only here, when a batch runs: it comes with the optional ``cluster`` extra.

Each job is a task (:func:`~studio.batch.ray_tasks.run_remote_job`) that writes its outputs
straight into ``out_dir``, so on a cluster ``out_dir`` must be a shared folder every node
reaches under the same path, and the manifest's audio, transcript, track and avatar paths
must be readable on every node under the same paths (relative ones are made absolute here,
against the driver's working folder). Ray reuses its worker processes, so imports and speech
models stay warm from job to job. At most ``2 x CPUs`` tasks are in flight at a time, so a
batch of thousands of lines keeps memory flat.

Events come from the thread that called :meth:`RayBackend.run`: the tasks report their start
and throttled progress to the batch's hub actor (:class:`~studio.batch.ray_tasks.BatchHub`),
which the driver drains now and then, and the results arrive through ``ray.wait`` as they
complete. Cancelling sets the hub's flag: running jobs stop at their next check and queued
ones never start (the hub refuses their claim), all finishing ``cancelled``. A
``KeyboardInterrupt`` in the driver (a second Ctrl-C) is a hard stop: running tasks are
interrupted (then killed after a grace period), the temporary files of their unfinished
outputs are removed, every unfinished job is reported ``cancelled`` and the interrupt is
raised again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import logging
import os
import shutil
import socket
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from generators.progress import CancelToken
from studio.batch.backend import BatchEvent, JobFinished, JobProgress, JobStarted
from studio.batch.job import CANCELLED, DONE, FAILED, BatchJob, JobResult
from studio.batch.local import remove_partial_outputs
from studio.batch.ray_tasks import PROGRESS_INTERVAL_S, BatchHub, run_remote_job
from studio.errors import StudioError

__all__ = ["NEEDS_EXTRA", "RayBackend", "import_ray"]

NEEDS_EXTRA = "the Ray backend needs the cluster extra: pip install 'affect-studio[cluster]'"

POLL_S = 0.1
"""How long the driver waits for a result before it looks at the hub and the cancel token."""

STOP_GRACE_S = 3.0
"""How long interrupted tasks get to clean up in a hard stop before they are killed."""

IN_FLIGHT_PER_CPU = 2
"""Tasks submitted per cluster CPU: enough to keep every CPU busy, few enough to stay flat."""

OBJECT_STORE_BYTES = 128 * 1024 * 1024
"""The local instance's object store: jobs and results are small (this also keeps Ray from
asking for a large ``/dev/shm``)."""

CONNECT_TIMEOUT_S = 5.0
"""How long to try reaching a cluster's address before failing (Ray itself waits minutes)."""

MAX_RETRIES = 1
"""Runs of a task again after its worker or node died (a bad line fails at once)."""


def import_ray() -> Any:
    """Ray, or a :class:`~studio.errors.StudioError` saying to install the cluster extra."""
    try:
        import ray
    except ImportError as exc:
        raise StudioError(NEEDS_EXTRA) from exc
    return ray


class RayBackend:
    """Runs batch jobs as Ray tasks (see the module notes).

    Parameters
    ----------
    address
        An existing Ray cluster: ``HOST:PORT`` of its head (``ray start --head`` prints it),
        ``auto`` on a node of it, or ``ray://HOST:10001`` through Ray Client (needs
        ``ray[client]``); ``None``: start a local Ray instance for this batch.
    jobs
        Without ``address``: the local instance's CPUs (default: one per core). With one: the
        most jobs running at once (default: as many as the cluster's CPUs allow).
    progress_interval
        Seconds between two progress reports of one running job.
    temp_dir
        Without ``address``: the folder for the local instance's sockets and logs, kept
        afterwards (default: a fresh folder under the system temp, removed afterwards). Keep
        its path short: Unix socket paths are limited to about 100 characters.

    Examples
    --------
    >>> RayBackend(jobs=2).name
    'ray'
    """

    name = "ray"

    def __init__(self, address: str | None = None, jobs: int | None = None, *,
                 progress_interval: float = PROGRESS_INTERVAL_S,
                 temp_dir: Path | None = None) -> None:
        if jobs is not None and jobs < 1:
            raise ValueError(f"jobs must be at least 1, got {jobs}")
        self.address = address
        self.jobs = jobs
        self.progress_interval = progress_interval
        self.temp_dir = temp_dir

    def run(
        self,
        jobs: Sequence[BatchJob],
        out_dir: Path,
        events: Callable[[BatchEvent], None],
        cancel: CancelToken,
    ) -> None:
        """Run ``jobs`` writing into ``out_dir``; report through ``events`` (see backend).

        Raises
        ------
        StudioError
            Ray is not installed, or the cluster at ``address`` cannot be reached.
        """
        ray = import_ray()
        with _connected(ray, self.address, self.jobs, self.temp_dir) as owned:
            cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
            limit = IN_FLIGHT_PER_CPU * cpus
            if self.jobs is not None and not owned:
                limit = self.jobs
            run = _RayRun(ray, Path(out_dir).absolute(), events, cancel, limit,
                          self.progress_interval)
            try:
                run.run(jobs)
            except ray.exceptions.RayError as exc:  # the cluster itself failed
                raise StudioError(f"the Ray cluster failed during the batch "
                                  f"({_one_line(str(exc))[:300]}); run the batch again: "
                                  "finished jobs are kept") from exc


@contextlib.contextmanager
def _connected(ray: Any, address: str | None, jobs: int | None,
               temp_dir: Path | None) -> Iterator[bool]:
    """Ray connected for one batch; yields whether this batch started (and so owns) it."""
    if ray.is_initialized():  # the caller set Ray up: use it and leave it
        yield False
        return
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no reports over the network
    quiet: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR,
                             "configure_logging": True}
    temp: str | None = None  # ours to remove
    try:
        if address is None:
            if temp_dir is None:
                temp = tempfile.mkdtemp(prefix="affect-ray-")
            ray.init(num_cpus=jobs or os.cpu_count() or 1, include_dashboard=False,
                     object_store_memory=OBJECT_STORE_BYTES,
                     _temp_dir=str(Path(temp_dir).absolute()) if temp_dir else temp, **quiet)
        else:
            _probe(address)
            ray.init(address=address, **quiet)
    except BaseException as exc:  # Ctrl-C while starting included: leave nothing behind
        if ray.is_initialized():
            with contextlib.suppress(Exception):
                ray.shutdown()
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
        if isinstance(exc, StudioError) or not isinstance(exc, Exception):
            raise
        where = f"the Ray cluster at {address}" if address else "a local Ray instance"
        raise StudioError(f"cannot connect to {where}: {_one_line(str(exc))}; "
                          f"{_connect_advice(address)}") from exc
    try:
        yield True
    finally:
        ray.shutdown()  # a local instance stops; a cluster only loses this driver
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)


AUTH_MODE_ENV = "RAY_AUTH_MODE"
"""Ray's switch for token authentication (``token`` or ``disabled``)."""


def _connect_advice(address: str | None) -> str:
    """What to check when connecting failed.

    Since Ray 2.59 ``ray start`` turns token authentication on, and a driver given an explicit
    address sends no token unless ``RAY_AUTH_MODE=token`` (Ray never hands the local token to
    an address on its own): the usual reason a reachable cluster refuses the batch.
    """
    if address is None:
        return "check the free disk space and memory, or run the batch with --backend local"
    if address != "auto" and os.environ.get(AUTH_MODE_ENV, "").strip().lower() != "token":
        return (f"if the cluster uses token authentication (what 'ray start' does since Ray "
                f"2.59), set {AUTH_MODE_ENV}=token and give its token in RAY_AUTH_TOKEN or "
                "~/.ray/auth_token ('ray get-auth-token' on the head node prints it)")
    return "check the address, the cluster's token and that 'ray start --head' runs there"


def _probe(address: str) -> None:
    """Fail at once when ``HOST:PORT`` does not answer (Ray would retry for minutes)."""
    if address == "auto":
        return
    if address.startswith("ray://") and importlib.util.find_spec("grpc") is None:
        raise StudioError(f"the address {address} needs Ray Client: pip install 'ray[client]', "
                          "or run the batch on a node of the cluster with --address HEAD:6379")
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        raise StudioError(f"the Ray address {address!r} is not HOST:PORT; give the head node's "
                          "address, e.g. --address 10.0.0.5:6379, or 'auto' on a cluster node")
    try:
        socket.create_connection((host.strip("[]"), int(port)), CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise StudioError(f"cannot reach the Ray cluster at {address} ({exc.strerror or exc}); "
                          "check the address and that 'ray start --head' runs there") from exc


class _RayRun:
    """One batch on Ray: the tasks in flight, the hub, the event relay."""

    def __init__(self, ray: Any, out_dir: Path, events: Callable[[BatchEvent], None],
                 cancel: CancelToken, limit: int, interval: float) -> None:
        self._ray = ray
        self._out_dir = out_dir
        self._events = events
        self._cancel = cancel
        self._limit = limit
        self._interval = interval
        self._task = ray.remote(run_remote_job).options(num_cpus=1, max_retries=MAX_RETRIES)
        self._hub = ray.remote(BatchHub).options(num_cpus=0).remote()
        self._in_flight: dict[Any, tuple[BatchJob, float]] = {}
        self._started: dict[str, str] = {}  # running job -> its worker
        self._cancel_sent = False
        self._last_drain = time.monotonic()

    def run(self, jobs: Sequence[BatchJob]) -> None:
        pending = deque(jobs)
        try:
            while pending or self._in_flight:
                if self._cancel.cancelled:
                    self._cancel_pending(pending)
                self._submit(pending)
                self._pump()
        except BaseException:
            self._hard_stop(pending)
            raise
        finally:
            with contextlib.suppress(Exception):
                self._ray.kill(self._hub)

    # -- the loop ---------------------------------------------------------------------------

    def _cancel_pending(self, pending: deque[BatchJob]) -> None:
        if not self._cancel_sent:
            self._cancel_sent = True
            self._hub.cancel.remote()  # the hub runs calls in order: later claims are refused
        while pending:
            self._events(JobFinished(JobResult(pending.popleft().name, CANCELLED)))

    def _submit(self, pending: deque[BatchJob]) -> None:
        while pending and len(self._in_flight) < self._limit:
            job = pending.popleft()
            ref = self._task.remote(_absolute(job), str(self._out_dir), self._hub,
                                    self._interval)
            self._in_flight[ref] = (job, time.perf_counter())

    def _pump(self) -> None:
        """Wait a little for results; relay the hub's news, then the results."""
        if not self._in_flight:
            return
        refs = list(self._in_flight)
        ready, _ = self._ray.wait(refs, num_returns=1, timeout=POLL_S)
        if ready and len(refs) > 1:
            ready, _ = self._ray.wait(refs, num_returns=len(refs), timeout=0)
        if time.monotonic() - self._last_drain >= self._interval:
            self._drain()
        for ref in ready:  # a job that ended before a drain saw its start: from its result
            job, submitted = self._in_flight.pop(ref)
            self._finish(job, self._result(ref, job, submitted))

    def _drain(self) -> None:
        self._last_drain = time.monotonic()
        started, progress = self._ray.get(self._hub.drain.remote())
        running = {job.name for job, _ in self._in_flight.values()}
        for name, worker in started:
            if name in running and name not in self._started:
                self._started[name] = worker
                self._events(JobStarted(name, worker))
        for name, fraction, message in progress:
            if name in running and name in self._started:
                self._events(JobProgress(name, fraction, message))

    def _finish(self, job: BatchJob, result: JobResult) -> None:
        if job.name not in self._started and result.worker:
            self._events(JobStarted(job.name, result.worker))
        self._started.pop(job.name, None)
        self._events(JobFinished(result))

    def _result(self, ref: Any, job: BatchJob, submitted: float) -> JobResult:
        try:
            result = self._ray.get(ref)
        except self._ray.exceptions.TaskCancelledError:
            return JobResult(job.name, CANCELLED, seconds=time.perf_counter() - submitted,
                             worker=self._started.get(job.name, ""))
        except self._ray.exceptions.RayError as exc:
            return JobResult(job.name, FAILED, error=_task_error(self._ray, exc),
                             seconds=time.perf_counter() - submitted,
                             worker=self._started.get(job.name, ""))
        return result

    # -- ending -----------------------------------------------------------------------------

    def _hard_stop(self, pending: deque[BatchJob]) -> None:
        """Interrupt the running tasks (kill them after a grace period); report the rest."""
        ray = self._ray
        with contextlib.suppress(Exception):
            self._hub.cancel.remote()
        refs = list(self._in_flight)
        done: list[Any] = []
        with contextlib.suppress(Exception):
            for ref in refs:
                ray.cancel(ref)  # KeyboardInterrupt in the task: the exporters clean up
            done, rest = ray.wait(refs, num_returns=len(refs), timeout=STOP_GRACE_S)
            for ref in rest:
                ray.cancel(ref, force=True)
        for ref in refs:
            job, submitted = self._in_flight.pop(ref)
            result = JobResult(job.name, CANCELLED, seconds=time.perf_counter() - submitted,
                               worker=self._started.pop(job.name, ""))
            if ref in done:
                with contextlib.suppress(Exception):
                    got = ray.get(ref, timeout=0)
                    if isinstance(got, JobResult) and got.status == DONE:
                        result = got
            if result.status != DONE:
                remove_partial_outputs(job, self._out_dir)
            with contextlib.suppress(Exception):
                self._events(JobFinished(result))
        while pending:
            with contextlib.suppress(Exception):
                self._events(JobFinished(JobResult(pending.popleft().name, CANCELLED)))


def _absolute(job: BatchJob) -> BatchJob:
    """``job`` with the spec's relative paths made absolute (workers run elsewhere)."""
    spec = job.spec
    changes = {
        name: Path.cwd() / value
        for name in ("audio", "emotion_track", "visemes", "avatar")
        if (value := getattr(spec, name)) is not None and not Path(value).is_absolute()
    }
    return dataclasses.replace(job, spec=dataclasses.replace(spec, **changes)) if changes else job


def _task_error(ray: Any, exc: Exception) -> str:
    """One line for a task that raised or whose worker died."""
    cause = getattr(exc, "cause", None)
    if isinstance(exc, ray.exceptions.RayTaskError) and isinstance(cause, BaseException):
        what = _one_line(f"{type(cause).__name__}: {cause}")[:300]
        if isinstance(cause, ImportError):
            return (f"the Ray worker could not run the job ({what}); install the same "
                    "affect-studio[cluster] on every node of the cluster")
        return f"the job failed in its Ray worker ({what}); see the Ray worker logs"
    what = _one_line(f"{type(exc).__name__}: {exc}")[:300]
    return (f"the Ray worker running this job stopped ({what}); check the node's free memory "
            "and the Ray logs, then run the batch again")


def _one_line(text: str) -> str:
    return " ".join(text.split())
