"""Running a batch on a worker thread for the Batch dialog.

:class:`BatchRun` calls :func:`~studio.batch.runner.run_batch` on a thread of its own and hands
the batch events to the UI thread in bundles (a burst of events, such as thousands of skipped
jobs, costs one wake-up of the UI thread, not one each). Unlike a
:class:`~studio.qt.workers.JobRunner` job, a cancelled batch still ends with its report:
cancelling only asks the running jobs to stop, and :attr:`BatchRun.finished` follows once
they have (with the cancelled jobs in the report).
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from generators.progress import CancelToken
from studio.batch.backend import Backend, BatchEvent
from studio.batch.manifest import BatchPlan
from studio.batch.runner import run_batch
from studio.qt.workers import EXPECTED_ERRORS

__all__ = ["BatchRun"]


class _Worker(QObject):
    """Runs one batch; lives on the worker thread."""

    events_ready = Signal()
    finished = Signal(object)
    failed = Signal(str, bool)

    def __init__(self, plan: BatchPlan, out_dir: Path, backend: Backend,
                 cancel: CancelToken) -> None:
        super().__init__()
        self._plan, self._out_dir, self._backend, self._cancel = plan, out_dir, backend, cancel
        self._lock = threading.Lock()
        self._events: list[BatchEvent] = []

    def take_events(self) -> list[BatchEvent]:
        """The events gathered since the last call (any thread)."""
        with self._lock:
            events, self._events = self._events, []
        return events

    def _add(self, event: BatchEvent) -> None:
        with self._lock:
            first = not self._events
            self._events.append(event)
        if first:
            self.events_ready.emit()

    @Slot()
    def run(self) -> None:
        try:
            self._run()
        finally:
            QThread.currentThread().quit()  # the thread ends even while the UI thread waits

    def _run(self) -> None:
        try:
            report = run_batch(self._plan, self._out_dir, self._backend, events=self._add,
                               cancel=self._cancel)
        except EXPECTED_ERRORS as exc:
            self.failed.emit(" ".join(str(exc).split()), True)
        except Exception as exc:  # noqa: BLE001 - reported to the user with its traceback
            detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            self.failed.emit(f"{type(exc).__name__}: {exc}\n\n{detail}", False)
        else:
            self.finished.emit(report)


class BatchRun(QObject):
    """Runs one batch at a time on a worker thread.

    Signals
    -------
    events(list)
        Batch events (:mod:`studio.batch.backend`), in order, on the UI thread.
    finished(object)
        The :class:`~studio.batch.report.BatchReport` (cancelled batches included), after
        every event.
    failed(str, bool)
        The batch could not run (e.g. the output folder cannot be written): the message and
        whether it is the user's input being wrong.
    """

    events = Signal(list)
    finished = Signal(object)
    failed = Signal(str, bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: _Worker | None = None
        self._cancel: CancelToken | None = None

    @property
    def busy(self) -> bool:
        """A batch is running (cancelled or not)."""
        return self._worker is not None

    @property
    def cancelling(self) -> bool:
        """The running batch was asked to stop."""
        return self._cancel is not None and self._cancel.cancelled

    def start(self, plan: BatchPlan, out_dir: Path, backend_factory: Callable[[], Backend]
              ) -> None:
        """Run ``plan`` into ``out_dir`` on the backend made by ``backend_factory``.

        Raises
        ------
        RuntimeError
            A batch is already running.
        """
        if self.busy:
            raise RuntimeError("a batch is already running")
        self._cancel = CancelToken()
        worker = _Worker(plan, Path(out_dir), backend_factory(), self._cancel)
        thread = QThread()
        worker.moveToThread(thread)
        worker.events_ready.connect(self._relay)
        worker.finished.connect(self._finished)
        worker.failed.connect(self._failed)
        thread.started.connect(worker.run)
        self._thread, self._worker = thread, worker
        thread.start()

    def cancel(self) -> None:
        """Ask the running jobs to stop (their outputs are not left half-written)."""
        if self._cancel is not None:
            self._cancel.cancel()

    def wait(self, timeout_ms: int = 60_000) -> bool:
        """Block until the worker thread has ended (shutdown and tests only)."""
        return self._thread is None or self._thread.wait(timeout_ms)

    def shutdown(self, timeout_ms: int = 60_000) -> None:
        """Cancel the batch and wait for its worker thread."""
        self.cancel()
        self.wait(timeout_ms)

    @Slot()
    def _relay(self) -> None:
        if self._worker is not None:
            events = self._worker.take_events()
            if events:
                self.events.emit(events)

    def _end(self) -> None:
        self._relay()
        thread = self._thread
        if thread is not None:
            thread.quit()
            thread.wait()
            thread.deleteLater()
        if self._worker is not None:
            self._worker.deleteLater()
        self._thread = self._worker = None
        self._cancel = None

    @Slot(object)
    def _finished(self, report: Any) -> None:
        self._end()
        self.finished.emit(report)

    @Slot(str, bool)
    def _failed(self, message: str, expected: bool) -> None:
        self._end()
        self.failed.emit(message, expected)
