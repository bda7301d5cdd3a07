"""The Batch dialog: export a folder of voice lines (or a manifest) with progress and cancel.

The batch is read on a worker thread whenever its source or settings change (a big folder
does not freeze the window) and previewed as a table: one row per job, bad lines in red with
their reason. Run hands it to :func:`~studio.batch.runner.run_batch` with the local backend on
another worker thread; the rows follow each job (queued, running, done, failed with its
reason, skipped, cancelled) and the end shows the report's summary and path. Cancel asks the
running jobs to stop at their next step; nothing half-written is left.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from studio.batch.backend import Backend, BatchEvent
from studio.batch.folder_settings import FolderSettings, read_plan
from studio.batch.job import CANCELLED, DONE, FAILED, SKIPPED
from studio.batch.manifest import BatchPlan
from studio.batch.report import REPORT_NAME, BatchReport
from studio.errors import StudioError
from studio.qt.batch_settings import FolderSettingsBox
from studio.qt.batch_table import BatchTableModel
from studio.qt.batch_worker import BatchRun
from studio.qt.workers import JobRunner

__all__ = ["MAX_JOBS", "BatchDialog", "local_backend", "summary_text"]

MAX_JOBS = 512
"""Most jobs run at once (as the command line allows)."""

PREVIEW_DELAY_MS = 300
"""How long typing must pause before the batch is read again."""

MANIFEST_FILTER = "Batch manifests (*.csv *.json *.toml);;All files (*)"

BackendFactory = Callable[[int], Backend]


def local_backend(jobs: int) -> Backend:
    """The local process pool running ``jobs`` jobs at once."""
    from studio.batch.local import LocalBackend

    return LocalBackend(jobs)


def summary_text(report: BatchReport) -> str:
    """One line about a finished batch: counts, time and throughput.

    Examples
    --------
    >>> from studio.batch.job import JobResult
    >>> r = BatchReport([JobResult("a", DONE), JobResult("b", FAILED, error="bad")],
    ...                 Path("out"), "local", "", "", 2.0, {})
    >>> summary_text(r)
    '2 jobs in 2.0 s (0.50 jobs/s): 1 done, 0 skipped, 1 failed, 0 cancelled'
    """
    counts = report.counts()
    listed = ", ".join(f"{counts[s]} {s}" for s in (DONE, SKIPPED, FAILED, CANCELLED))
    return (f"{len(report.results)} jobs in {report.seconds:.1f} s "
            f"({report.throughput:.2f} jobs/s): {listed}")


class BatchDialog(QDialog):
    """Build a batch from a folder or a manifest, preview it, run it with progress and cancel.

    Parameters
    ----------
    current_settings
        Returns the open session's settings as preset fields (offered as
        "(current settings)" for folder mode; ``None``: not offered).
    folder
        Where the file choosers start.
    backend_factory
        Makes the backend for a run from the number of jobs (default: :func:`local_backend`).

    Signals
    -------
    batch_finished(object)
        The :class:`~studio.batch.report.BatchReport` of a run (cancelled ones included).
    """

    batch_finished = Signal(object)

    def __init__(self, current_settings: Callable[[], Mapping[str, Any]] | None = None, *,
                 folder: Path | None = None, backend_factory: BackendFactory | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Batch export")
        self.setModal(False)
        self.resize(900, 640)
        self._start_folder = folder or Path.home()
        self._backend_factory = backend_factory or local_backend
        self.plan: BatchPlan | None = None
        self.report: BatchReport | None = None
        self.last_error: str | None = None  # the error the status line shows, if any
        self.confirm_box: QMessageBox | None = None
        self._out_suggested = True
        self._close_when_done = False
        self._run_after_read = False
        self._plan_settings: FolderSettings | None = None

        self.reader = JobRunner(self)
        self.reader.succeeded.connect(self._plan_read)
        self.reader.failed.connect(self._plan_failed)
        self.batch = BatchRun(self)
        self.batch.events.connect(self._events)
        self.batch.finished.connect(self._batch_done)
        self.batch.failed.connect(self._batch_failed)
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self.preview)

        self.source_edit = QLineEdit()
        self.source_edit.setPlaceholderText("a folder of voice lines, or a .csv/.json/.toml "
                                            "manifest")
        self.source_edit.textChanged.connect(self._source_changed)
        folder_button = QPushButton("Folder…")
        folder_button.clicked.connect(self._browse_folder)
        manifest_button = QPushButton("Manifest…")
        manifest_button.clicked.connect(self._browse_manifest)
        source_row = QHBoxLayout()
        source_row.addWidget(self.source_edit, 1)
        source_row.addWidget(folder_button)
        source_row.addWidget(manifest_button)

        self.out_edit = QLineEdit()
        self.out_edit.setPlaceholderText("where the outputs and batch-report.json go")
        self.out_edit.textEdited.connect(self._out_edited)
        self.out_edit.textChanged.connect(self._update_buttons)
        out_button = QPushButton("Browse…")
        out_button.clicked.connect(self._browse_out)
        out_row = QHBoxLayout()
        out_row.addWidget(self.out_edit, 1)
        out_row.addWidget(out_button)

        self.jobs_spin = QSpinBox()
        self.jobs_spin.setRange(1, MAX_JOBS)
        self.jobs_spin.setValue(min(os.cpu_count() or 1, MAX_JOBS))
        self.jobs_spin.setToolTip("Voice lines rendered at once (one per CPU core is fastest)")

        self.settings_box = FolderSettingsBox(current_settings)
        self.settings_box.changed.connect(self._schedule_preview)
        self.settings_box.setEnabled(False)

        form = QFormLayout()
        form.addRow("Source", source_row)
        form.addRow("Output folder", out_row)
        form.addRow("Jobs at once", self.jobs_spin)

        self.model = BatchTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((140, 160, 80, 140, 140, 100)):
            self.table.setColumnWidth(column, width)

        self.status = QLabel("Choose a folder of voice lines or a manifest.")
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.report_label = QLabel("")
        self.report_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_report_button = QPushButton("Open report")
        self.open_report_button.clicked.connect(self.open_report)
        self.open_folder_button = QPushButton("Open folder")
        self.open_folder_button.clicked.connect(self.open_folder)
        report_row = QHBoxLayout()
        report_row.addWidget(self.report_label, 1)
        report_row.addWidget(self.open_report_button)
        report_row.addWidget(self.open_folder_button)

        self.preview_button = QPushButton("Preview")
        self.preview_button.setToolTip("Read the folder or manifest again")
        self.preview_button.clicked.connect(self.preview)
        self.run_button = QPushButton("Run")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the batch: running jobs end at their next step, "
                                      "the rest are not started")
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.preview_button)
        buttons.addStretch(1)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.settings_box)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        layout.addLayout(report_row)
        layout.addLayout(buttons)
        self._update_buttons()

    # -- state ---------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """A batch is running (or stopping after Cancel)."""
        return self.batch.busy

    def source(self) -> Path | None:
        """The folder or manifest chosen (``None`` when the field is empty)."""
        text = self.source_edit.text().strip()
        return Path(text).expanduser() if text else None

    def out_dir(self) -> Path | None:
        """The output folder chosen (``None`` when the field is empty)."""
        text = self.out_edit.text().strip()
        return Path(text).expanduser() if text else None

    def _update_buttons(self, *_args: object) -> None:
        running = self.running
        ready = (self.plan is not None and len(self.model.board) > 0 and not self.reader.busy
                 and not self._preview_timer.isActive() and self.out_dir() is not None)
        self.run_button.setEnabled(ready and not running)
        self.cancel_button.setEnabled(running and not self.batch.cancelling)
        self.preview_button.setEnabled(not running and self.source() is not None)
        for widget in (self.source_edit, self.out_edit, self.jobs_spin):
            widget.setEnabled(not running)
        self.settings_box.setEnabled(not running and self.source() is not None
                                     and self.source().is_dir())
        has_report = self.report is not None
        self.open_report_button.setEnabled(has_report)
        self.open_folder_button.setEnabled(has_report)

    def _set_status(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: rgb(200, 40, 40);" if error else "")
        self.last_error = text if error else None

    # -- choosing ------------------------------------------------------------------------------

    def set_source(self, source: Path) -> None:
        """Use ``source`` (a folder or a manifest) and read it."""
        self.source_edit.setText(str(source))
        self._preview_timer.stop()
        self.preview()

    def set_out_dir(self, folder: Path) -> None:
        """Write the outputs into ``folder``."""
        self._out_suggested = False
        self.out_edit.setText(str(folder))

    def _source_changed(self, *_args: object) -> None:
        source = self.source()
        self.settings_box.set_source(source)
        if self._out_suggested:
            suggestion = ""
            if source is not None and source.name:
                stem = source.name if source.is_dir() else source.stem
                suggestion = str(source.parent / f"{stem}-batch")
            self.out_edit.setText(suggestion)
        self._schedule_preview()

    def _out_edited(self, text: str) -> None:
        self._out_suggested = not text.strip()

    def _browse_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Batch: folder of voice lines",
                                                  self._browse_start())
        if folder:
            self.set_source(Path(folder))

    def _browse_manifest(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Batch: manifest", self._browse_start(),
                                              MANIFEST_FILTER)
        if path:
            self.set_source(Path(path))

    def _browse_out(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Batch: output folder",
                                                  self.out_edit.text() or self._browse_start())
        if folder:
            self.set_out_dir(Path(folder))

    def _browse_start(self) -> str:
        source = self.source()
        if source is not None and source.exists():
            return str(source if source.is_dir() else source.parent)
        return str(self._start_folder)

    def refresh_presets(self) -> None:
        """List the saved presets again (after one was saved)."""
        self.settings_box.refresh_presets()

    # -- preview -------------------------------------------------------------------------------

    def _schedule_preview(self) -> None:
        if self.running:
            return
        self.plan = None
        self._preview_timer.start()
        self._update_buttons()

    def preview(self) -> None:
        """Read the batch again on a worker thread and show its jobs and bad lines."""
        self._preview_timer.stop()
        if self.running:
            return
        self.plan = None
        self.report = None
        source = self.source()
        self.settings_box.set_source(source)  # its defaults file may have come or gone
        self._preview_timer.stop()
        if source is None:
            self.reader.cancel()
            self.model.set_plan(BatchPlan())
            self._set_status("Choose a folder of voice lines or a manifest.")
            self._update_buttons()
            return
        folder_settings: FolderSettings | None = None
        if source.is_dir():
            if self.settings_box.needs_formats():
                self._show_unreadable("Choose at least one output format.")
                return
            try:
                folder_settings = self.settings_box.folder_settings()
            except StudioError as exc:
                self._show_unreadable(f"Cannot use the current settings: {exc}")
                return

        def job(progress: Any, cancel: Any) -> BatchPlan:
            progress.report(0.0, f"reading {source.name}")
            return read_plan(source, folder_settings)

        self._plan_settings = folder_settings

        self._set_status(f"Reading {source.name}…")
        self.reader.start("batch preview", job)
        self._update_buttons()

    def _show_unreadable(self, message: str) -> None:
        self._run_after_read = False
        self.reader.cancel()
        self.model.set_plan(BatchPlan())
        self._set_status(message, error=True)
        self._update_buttons()

    def _plan_read(self, plan: object) -> None:
        assert isinstance(plan, BatchPlan)
        self.plan = plan
        self.model.set_plan(plan)
        self.progress.setValue(0)
        self.summary.setText("")
        self.report_label.setText("")
        jobs, bad = len(plan.jobs), len(plan.problems)
        if jobs + bad == 0:
            self._set_status(f"Nothing to do: {self.source()} has no lines or audio files.",
                             error=True)
        else:
            lines = f"{jobs} job{'s' if jobs != 1 else ''} to run"
            if bad:
                lines += f"; {bad} bad line{'s' if bad != 1 else ''} (in red) will be " \
                         "reported as failed"
            self._set_status(lines + ".", error=False)
        self._update_buttons()
        if self._run_after_read:
            self._run_after_read = False
            self.run()

    def _plan_failed(self, message: str, _expected: bool) -> None:
        self._show_unreadable(message.splitlines()[0])

    # -- running -------------------------------------------------------------------------------

    def run(self) -> bool:
        """Run the previewed batch (read again first when the folder-mode settings changed
        since, e.g. the session's); ``False`` when there is nothing to run or no output
        folder."""
        out_dir = self.out_dir()
        if self.running or self.plan is None or out_dir is None or not len(self.model.board):
            return False
        if self._settings_moved():  # e.g. a slider moved since the preview: read again first
            self._run_after_read = True
            self.preview()
            return True
        self.report = None
        self._close_when_done = False
        self.model.refresh_rows(self.model.board.start())
        self.progress.setValue(0)
        self.summary.setText("")
        self.report_label.setText("")
        jobs = self.jobs_spin.value()
        self.batch.start(self.plan, out_dir, lambda: self._backend_factory(jobs))
        self._set_status(f"Running {len(self.model.board)} jobs, {jobs} at once…")
        self._update_buttons()
        return True

    def _settings_moved(self) -> bool:
        """The folder-mode settings differ from those the previewed plan was read with."""
        source = self.source()
        if source is None or not source.is_dir() or self.settings_box.needs_formats():
            return False
        try:
            return self.settings_box.folder_settings() != self._plan_settings
        except StudioError:
            return True

    def cancel(self) -> None:
        """Stop the running batch: running jobs end at their next step, the rest never
        start; the report follows."""
        if self.running and not self.batch.cancelling:
            self.batch.cancel()
            self._set_status("Cancelling: the running jobs stop at their next step…")
            self._update_buttons()

    def _events(self, events: list[BatchEvent]) -> None:
        board = self.model.board
        changed: set[int] = set()
        for event in events:
            changed.update(board.apply(event))
        self.model.refresh_rows(changed)
        progress = board.progress
        self.progress.setValue(round(progress.fraction * 1000))
        if not self.batch.cancelling:
            counts = progress.counts
            self._set_status(
                f"{progress.finished} of {progress.total} finished ({counts[DONE]} done, "
                f"{counts[SKIPPED]} skipped, {counts[FAILED]} failed); "
                f"{len(progress.running)} running")

    def _batch_done(self, report: object) -> None:
        assert isinstance(report, BatchReport)
        self.report = report
        self.model.board.settle(report)
        self.model.refresh_rows(range(len(self.model.board)))
        self.progress.setValue(1000 if not report.interrupted else self.progress.value())
        self.summary.setText(summary_text(report))
        self.report_label.setText(f"Report: {self.report_path()}")
        if report.interrupted:
            self._set_status("Stopped before the end: run again to finish the rest (finished "
                             "jobs are skipped).")
        elif report.ok:
            self._set_status("Every job is done.")
        else:
            self._set_status(f"{len(report.failed)} job(s) failed; their reasons are in the "
                             "table and the report.", error=True)
        self._update_buttons()
        self.batch_finished.emit(report)
        if self._close_when_done:
            super().reject()

    def _batch_failed(self, message: str, _expected: bool) -> None:
        self.model.refresh_rows(self.model.board.start())
        self.progress.setValue(0)
        self._set_status(f"The batch cannot run: {message.splitlines()[0]}", error=True)
        self._update_buttons()
        if self._close_when_done:
            super().reject()

    # -- the report ----------------------------------------------------------------------------

    def report_path(self) -> Path | None:
        """The last run's ``batch-report.json``."""
        return None if self.report is None else Path(self.report.out_dir) / REPORT_NAME

    def open_report(self) -> None:
        """Show the report file in the system's viewer."""
        path = self.report_path()
        if path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    def open_folder(self) -> None:
        """Show the output folder in the system's file browser."""
        if self.report is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.report.out_dir)))

    # -- closing -------------------------------------------------------------------------------

    def reject(self) -> None:  # noqa: D102 - Qt override (Close, Escape, the title bar)
        if not self.running:
            super().reject()
            return
        if self._close_when_done:
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Batch export",
                          "A batch is running. Cancel it and close?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.finished.connect(lambda _result: self._close_answered(box))
        self.confirm_box = box
        box.open()

    def _close_answered(self, box: QMessageBox) -> None:
        self.confirm_box = None
        if box.standardButton(box.clickedButton()) != QMessageBox.StandardButton.Yes:
            return
        if not self.running:
            super().reject()
            return
        self._close_when_done = True
        self.cancel()

    def shutdown(self, timeout_ms: int = 60_000) -> None:
        """Cancel any batch and wait for the worker threads (the studio is closing)."""
        self.reader.shutdown()
        self.batch.shutdown(timeout_ms)
