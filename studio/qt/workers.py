"""Background jobs for the studio window: analysis, project loading and export.

A job is a plain function ``job(progress, cancel) -> result`` that touches no widget and no
session state. :class:`JobRunner` runs one job of a kind at a time on a worker thread and
reports back on the UI thread through Qt signals; starting a new job cancels the one
running, whose result is then dropped.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from generators.errors import Cancelled, GeneratorError
from generators.progress import CancelToken, ProgressSink
from renderers.errors import RendererError
from studio.errors import StudioError

Job = Callable[[ProgressSink, CancelToken], Any]

EXPECTED_ERRORS: tuple[type[BaseException], ...] = (GeneratorError, StudioError, RendererError,
                                                    OSError)
"""Errors that are the user's input being wrong (shown as a message, not a traceback)."""


class _SignalProgress:
    """A :class:`~generators.progress.ProgressSink` that forwards to a Qt signal."""

    def __init__(self, signal: Any, generation: int) -> None:
        self._signal = signal
        self._generation = generation

    def report(self, fraction: float, message: str) -> None:
        self._signal.emit(self._generation, float(fraction), str(message))


class _Worker(QObject):
    progressed = Signal(int, float, str)
    succeeded = Signal(int, object)
    failed = Signal(int, str, bool)
    cancelled = Signal(int)

    def __init__(self, job: Job, generation: int, token: CancelToken) -> None:
        super().__init__()
        self._job = job
        self._generation = generation
        self._token = token

    @Slot()
    def run(self) -> None:
        gen = self._generation
        try:
            result = self._job(_SignalProgress(self.progressed, gen), self._token)
        except Cancelled:
            self.cancelled.emit(gen)
        except EXPECTED_ERRORS as exc:
            if self._token.cancelled:
                self.cancelled.emit(gen)
            else:
                self.failed.emit(gen, str(exc), True)
        except Exception as exc:  # noqa: BLE001 - reported to the user with its traceback
            detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            self.failed.emit(gen, f"{type(exc).__name__}: {exc}\n\n{detail}", False)
        else:
            if self._token.cancelled:
                self.cancelled.emit(gen)
            else:
                self.succeeded.emit(gen, result)


class JobRunner(QObject):
    """Runs one job at a time on a worker thread.

    Signals
    -------
    started(str)
        A job with this label began.
    progressed(float, str)
        Fraction 0..1 and a message from the running job.
    succeeded(object)
        The job's result (on the UI thread).
    failed(str, bool)
        The error message and whether it is an expected (user input) error.
    cancelled()
        The job stopped because it was cancelled.
    busy_changed(bool)
        Whether a job is running.
    """

    started = Signal(str)
    progressed = Signal(float, str)
    succeeded = Signal(object)
    failed = Signal(str, bool)
    cancelled = Signal()
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._generation = 0
        self._token: CancelToken | None = None
        self._threads: list[tuple[QThread, _Worker]] = []
        self._label = ""

    @property
    def busy(self) -> bool:
        """Whether the current job is still running."""
        return self._token is not None

    @property
    def label(self) -> str:
        """What the current (or last) job is doing."""
        return self._label

    def start(self, label: str, job: Job) -> None:
        """Cancel any running job and start ``job`` on a new worker thread."""
        if self._token is not None:
            self._token.cancel()
        self._generation += 1
        self._token = CancelToken()
        self._label = label
        worker = _Worker(job, self._generation, self._token)
        thread = QThread()
        worker.moveToThread(thread)
        worker.progressed.connect(self._on_progress)
        worker.succeeded.connect(self._on_success)
        worker.failed.connect(self._on_failure)
        worker.cancelled.connect(self._on_cancelled)
        thread.started.connect(worker.run)
        # Direct: quit from the worker thread itself (QThread.quit is thread-safe), so that
        # wait() on the UI thread returns when the job ends instead of waiting for the UI
        # thread's event loop to deliver the quit.
        for signal in (worker.succeeded, worker.failed, worker.cancelled):
            signal.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(lambda t=thread: self._forget(t))
        self._threads.append((thread, worker))
        self.started.emit(label)
        self.busy_changed.emit(True)
        thread.start()

    def cancel(self) -> None:
        """Ask the running job to stop; :attr:`cancelled` follows when it has."""
        if self._token is not None:
            self._token.cancel()
            self._finish()
            self.cancelled.emit()

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Block until every worker thread has ended (tests and shutdown only)."""
        ok = True
        for thread, _ in list(self._threads):
            ok = thread.wait(timeout_ms) and ok
        return ok

    def shutdown(self, timeout_ms: int = 5_000) -> None:
        """Cancel the running job and wait for the worker threads to end."""
        if self._token is not None:
            self._token.cancel()
        self._token = None
        self.wait(timeout_ms)

    def _forget(self, thread: QThread) -> None:
        self._threads = [(t, w) for t, w in self._threads if t is not thread]
        thread.deleteLater()

    def _current(self, generation: int) -> bool:
        return generation == self._generation and self._token is not None

    def _finish(self) -> None:
        self._token = None
        self.busy_changed.emit(False)

    @Slot(int, float, str)
    def _on_progress(self, generation: int, fraction: float, message: str) -> None:
        if self._current(generation):
            self.progressed.emit(fraction, message)

    @Slot(int, object)
    def _on_success(self, generation: int, result: object) -> None:
        if self._current(generation):
            self._finish()
            self.succeeded.emit(result)

    @Slot(int, str, bool)
    def _on_failure(self, generation: int, message: str, expected: bool) -> None:
        if self._current(generation):
            self._finish()
            self.failed.emit(message, expected)

    @Slot(int)
    def _on_cancelled(self, generation: int) -> None:
        if self._current(generation):
            self._finish()
            self.cancelled.emit()
