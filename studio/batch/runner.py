"""Run a batch: check the plan, skip what is unchanged, run the rest, write the report.

:func:`run_batch` is what ``affect-studio batch`` and the studio's Batch dialog call. In order:

1. the output folder is created and probed (one clear error when it cannot be written);
2. lines the manifest could not read become ``failed`` results, with their reason;
3. a job writing a file another job writes, a reserved name or a path outside the output
   folder fails with the reason (the first of two clashing jobs runs);
4. a job whose fingerprint matches its record and whose outputs are intact is ``skipped``
   (:mod:`studio.batch.state`); the others lose their record and run on the backend, and each
   one that finishes ``done`` gets a fresh record at once (so an interrupted batch resumes);
5. ``OUT/batch-report.json`` is written atomically and the :class:`BatchReport` returned.

Every job gets exactly one :class:`~studio.batch.backend.JobFinished` event, the skipped and
failed-before-running ones included (sent before the others start), so a progress view that
counts finished jobs reaches the total.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from generators.progress import CancelToken
from studio.batch.backend import Backend, BatchEvent, JobFinished
from studio.batch.job import CANCELLED, DONE, FAILED, SKIPPED, BatchJob, JobResult
from studio.batch.report import REPORT_NAME, BatchReport
from studio.batch.state import STATE_DIR, ResumeState, software_versions, write_text_atomic
from studio.errors import StudioError

__all__ = ["BatchError", "prepare_out_dir", "run_batch"]


class BatchError(StudioError):
    """The batch as a whole cannot run (its output folder cannot be written...)."""


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def prepare_out_dir(out_dir: Path) -> None:
    """Create ``out_dir`` if needed and check that files can be written there.

    Raises
    ------
    BatchError
        It cannot be created or written (the message says why and what to do).
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise BatchError(f"the output folder is a file: {out_dir} (choose a folder)") from None
    except OSError as exc:
        raise BatchError(f"cannot create the output folder {out_dir} "
                         f"({exc.strerror or exc}; choose another folder)") from None
    try:
        fd, probe = tempfile.mkstemp(prefix=".affect-write-probe.", dir=out_dir)
    except OSError as exc:
        raise BatchError(f"the output folder is not writable: {out_dir} "
                         f"({exc.strerror or exc}; choose another folder)") from None
    os.close(fd)
    os.unlink(probe)


def _split(plan_or_jobs: Any) -> tuple[list[BatchJob], list[Any]]:
    """The jobs and the line problems of a ``BatchPlan``, or a plain list of jobs."""
    if hasattr(plan_or_jobs, "jobs"):
        return list(plan_or_jobs.jobs), list(getattr(plan_or_jobs, "problems", []))
    return list(plan_or_jobs), []


def _clash_check(jobs: Sequence[BatchJob], out_dir: Path) -> dict[int, str]:
    """Reasons (by job index) why a job must not run: a clash, a reserved or escaping name."""
    root = os.path.normpath(os.path.abspath(out_dir))
    reserved = {os.path.join(root, REPORT_NAME).casefold()}
    state_root = os.path.join(root, STATE_DIR).casefold()
    owners: dict[str, int] = {}
    reasons: dict[int, str] = {}
    for index, job in enumerate(jobs):
        keys = []
        for suffix in job.formats:
            path = os.path.normpath(os.path.join(root, f"{job.name}{suffix}"))
            key = path.casefold()
            if not path.startswith(root + os.sep):
                reasons[index] = (f"output {job.name}{suffix} would be written outside the "
                                  "output folder; give the line a plain name")
            elif key in reserved or key == state_root or key.startswith(state_root + os.sep):
                reasons[index] = (f"output {job.name}{suffix} is reserved for the batch's own "
                                  "files; give the line another name")
            elif key in owners or key in keys:
                other = jobs[owners.get(key, index)]
                where = f" ({other.source})" if other.source else ""
                reasons[index] = (f"writes {job.name}{suffix}, which job {other.name!r}{where} "
                                  "also writes; give each line its own name")
            else:
                keys.append(key)
                continue
            break
        else:
            owners.update(dict.fromkeys(keys, index))
    return reasons


def run_batch(
    plan_or_jobs: Any,
    out_dir: Path,
    backend: Backend,
    *,
    events: Callable[[BatchEvent], None] | None = None,
    cancel: CancelToken | None = None,
) -> BatchReport:
    """Run a batch into ``out_dir`` and write its report there.

    Parameters
    ----------
    plan_or_jobs
        A ``BatchPlan`` (its ``jobs`` and line ``problems``) or a sequence of
        :class:`~studio.batch.job.BatchJob`.
    out_dir
        The output folder (created if needed).
    backend
        Where the jobs run (:class:`~studio.batch.local.LocalBackend`, the Ray backend).
    events
        Called with every job's events, from this thread.
    cancel
        Set it to stop: running jobs stop at their next check, the rest end ``cancelled``.

    Returns
    -------
    BatchReport
        One result per job in the batch's order (problems of the manifest last).

    Raises
    ------
    BatchError
        The output folder cannot be created or written.
    KeyboardInterrupt
        A hard stop during the run; the report is written first.
    """
    out_dir = Path(out_dir)
    emit = events or (lambda event: None)
    cancel = cancel or CancelToken()
    jobs, problems = _split(plan_or_jobs)
    prepare_out_dir(out_dir)
    start, started = time.perf_counter(), _now()

    results: list[JobResult | None] = [None] * (len(jobs) + len(problems))
    sources = [job.source for job in jobs] + [str(getattr(p, "source", "")) for p in problems]

    def finish(index: int, result: JobResult) -> None:
        results[index] = result
        emit(JobFinished(result))

    for index, reason in sorted(_clash_check(jobs, out_dir).items()):
        finish(index, JobResult(jobs[index].name, FAILED, error=reason))
    for offset, problem in enumerate(problems):
        name = str(getattr(problem, "name", "") or f"line {offset + 1}")
        finish(len(jobs) + offset, JobResult(name, FAILED, error=str(problem.reason)))

    state = ResumeState(out_dir)
    to_run: list[BatchJob] = []
    waiting: dict[str, tuple[int, str | None]] = {}
    for index, job in enumerate(jobs):
        if results[index] is not None:
            continue
        fingerprint = state.fingerprint(job)
        if state.is_current(job, fingerprint):
            finish(index, JobResult(job.name, SKIPPED,
                                    tuple(str(p) for p in job.outputs(out_dir))))
            continue
        state.forget(job)
        waiting[job.name] = (index, fingerprint)
        to_run.append(job)
    by_name = {job.name: job for job in to_run}

    def relay(event: BatchEvent) -> None:
        if isinstance(event, JobFinished):
            result = event.result
            if result.name not in waiting:  # unknown or already reported: not ours to count
                return
            index, fingerprint = waiting.pop(result.name)
            results[index] = result
            if result.status == DONE:
                job = by_name[result.name]
                state.record(job, fingerprint, job.outputs(out_dir))
        emit(event)

    interrupt: KeyboardInterrupt | None = None
    try:
        if to_run:
            backend.run(to_run, out_dir, relay, cancel)
    except KeyboardInterrupt as exc:
        interrupt = exc
    for name in list(waiting):  # a backend that lost a job
        stopped = interrupt is not None or cancel.cancelled
        relay(JobFinished(JobResult(name, CANCELLED) if stopped else JobResult(
            name, FAILED, error="the backend did not report this job; run the batch again")))

    final = [r for r in results if r is not None]
    report = BatchReport(
        final, out_dir, getattr(backend, "name", type(backend).__name__), started, _now(),
        time.perf_counter() - start, software_versions(),
        [s for s, r in zip(sources, results, strict=True) if r is not None],
        interrupted=interrupt is not None or any(r.status == CANCELLED for r in final),
    )
    write_text_atomic(out_dir / REPORT_NAME, json.dumps(report.to_dict(), indent=1) + "\n")
    if interrupt is not None:
        raise interrupt
    return report
