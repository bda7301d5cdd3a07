"""The export dialog: formats, resolution, frame rate and destination; runs in a worker."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from generators.progress import CancelToken, ProgressSink, SubProgress
from studio.exporters.base import exporter_for
from studio.exporters.registry import BUILTIN_EXPORTERS
from studio.qt.workers import JobRunner

SIZES: tuple[tuple[int, int], ...] = ((640, 360), (1280, 720), (1920, 1080), (1080, 1920))
_SAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')

FORMAT_LABELS: dict[str, str] = {
    "video": "Video (MP4, H.264 + AAC)",
    "curves-json": "ARKit curves (Audio2Face-style JSON)",
    "livelink-csv": "Live Link Face CSV",
    "rhubarb-json": "Mouth cues (Rhubarb JSON)",
    "rhubarb-tsv": "Mouth cues (Rhubarb TSV)",
    "glb": "Avatar + animation (glTF binary)",
    "usd": "Avatar + animation (OpenUSD)",
    "png-sequence": "Image sequence with transparency (PNG)",
    "prores-4444": "Video with transparency (ProRes 4444 .mov)",
}


@dataclass(frozen=True)
class ExportPlan:
    """What the user asked to export.

    Parameters
    ----------
    folder
        Destination folder.
    stem
        File name without extension.
    extensions
        One extension per chosen format.
    width, height, fps
        Video size and frame rate (the curves use the frame rate too).
    """

    folder: Path
    stem: str
    extensions: tuple[str, ...]
    width: int
    height: int
    fps: float

    def outputs(self) -> list[Path]:
        """The files the plan writes."""
        return [self.folder / f"{self.stem}{ext}" for ext in self.extensions]


ExportJobFactory = Callable[[ExportPlan], Callable[[ProgressSink, CancelToken], list[Path]]]
OutputWriter = Callable[[object, Path, ProgressSink, CancelToken], Path]
"""``writer(take, dest, progress, cancel) -> dest``: writes one output in place of its exporter."""


def export_job(plan: ExportPlan, take_for_fps: Callable[[float], object], avatar: object,
               writers: Mapping[str, OutputWriter] | None = None):
    """A worker job writing every output of ``plan`` (atomic per file).

    ``take_for_fps(fps)`` returns the take at the plan's frame rate (cheap re-mapping);
    ``writers`` replace the exporters of some extensions (``".mp4"``: the talking-head video).
    """
    writers = dict(writers or {})

    def job(progress: ProgressSink, cancel: CancelToken) -> list[Path]:
        progress.report(0.0, "preparing the take")
        take = take_for_fps(plan.fps)
        written: list[Path] = []
        outputs = plan.outputs()
        for i, dest in enumerate(outputs):
            cancel.raise_if_cancelled()
            sink = SubProgress(progress, i / len(outputs), (i + 1) / len(outputs))
            writer = writers.get(dest.suffix.lower())
            if writer is not None:
                sink.report(0.0, f"writing {dest.name}")
                written.append(writer(take, dest, sink, cancel))
                continue
            exporter = exporter_for(
                dest, width=plan.width, height=plan.height, fps=plan.fps, cancel=cancel
            )
            sink.report(0.0, f"writing {dest.name}")
            written.append(exporter.export(take, avatar, dest, progress=sink))
        progress.report(1.0, "export finished")
        return written

    return job


class ExportDialog(QDialog):
    """Choose formats, size, frame rate and destination, then export with progress.

    ``note``, when given, is shown under the formats (e.g. that the video is the talking
    head's).

    Signals
    -------
    exported(list)
        The files written.
    """

    exported = Signal(list)

    def __init__(
        self,
        job_factory: ExportJobFactory,
        *,
        folder: Path,
        stem: str,
        width: int,
        height: int,
        fps: float,
        note: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.setModal(True)
        self._job_factory = job_factory
        self.runner = JobRunner(self)
        self.runner.progressed.connect(self._progress)
        self.runner.succeeded.connect(self._done)
        self.runner.failed.connect(self._failed)
        self.runner.cancelled.connect(self._cancelled)
        self.written: list[Path] = []
        self.last_error: str | None = None
        self._showing_problem = False

        formats = QGroupBox("Formats")
        fl = QVBoxLayout(formats)
        self.format_boxes: dict[str, QCheckBox] = {}
        for factory in BUILTIN_EXPORTERS:
            exporter = factory()
            ext = exporter.extensions[0]
            box = QCheckBox(f"{FORMAT_LABELS.get(exporter.name, exporter.name)}  ({ext})")
            box.setChecked(exporter.name in ("video", "curves-json"))
            box.toggled.connect(self._validate)
            self.format_boxes[ext] = box
            fl.addWidget(box)

        self.size_combo = QComboBox()
        for w, h in SIZES:
            self.size_combo.addItem(f"{w} × {h}", (w, h))
        self.size_combo.addItem("Custom", None)
        self.width_spin = QSpinBox()
        self.height_spin = QSpinBox()
        for spin in (self.width_spin, self.height_spin):
            spin.setRange(16, 4096)
            spin.setSingleStep(2)
            spin.valueChanged.connect(self._validate)
        self.width_spin.setValue(width)
        self.height_spin.setValue(height)
        index = self.size_combo.findData((width, height))
        self.size_combo.setCurrentIndex(index if index >= 0 else self.size_combo.count() - 1)
        self.size_combo.currentIndexChanged.connect(self._size_chosen)
        self._size_chosen()
        self.fps_spin = QDoubleSpinBox()
        self.fps_spin.setRange(1.0, 240.0)
        self.fps_spin.setDecimals(3)
        self.fps_spin.setValue(fps)

        self.folder_edit = QLineEdit(str(folder))
        self.folder_edit.textChanged.connect(self._validate)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(browse)
        self.name_edit = QLineEdit(stem)
        self.name_edit.textChanged.connect(self._validate)
        self.open_when_done = QCheckBox("Open the folder when done")
        self.open_when_done.setChecked(True)

        size_row = QHBoxLayout()
        size_row.addWidget(self.size_combo)
        size_row.addWidget(self.width_spin)
        size_row.addWidget(QLabel("×"))
        size_row.addWidget(self.height_spin)
        form = QFormLayout()
        form.addRow("Video size", size_row)
        form.addRow("Frame rate", self.fps_spin)
        form.addRow("Folder", folder_row)
        form.addRow("File name", self.name_edit)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton(
            "Export", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.export_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self._cancel_or_close)

        self.note = QLabel(note or "")
        self.note.setWordWrap(True)
        self.note.setVisible(bool(note))

        layout = QVBoxLayout(self)
        layout.addWidget(formats)
        layout.addWidget(self.note)
        layout.addLayout(form)
        layout.addWidget(self.open_when_done)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self._validate()

    # -- choices ---------------------------------------------------------------------------

    def plan(self) -> ExportPlan:
        """The export the dialog describes now."""
        exts = tuple(ext for ext, box in self.format_boxes.items() if box.isChecked())
        return ExportPlan(
            folder=Path(self.folder_edit.text().strip()).expanduser(),
            stem=self.name_edit.text().strip(),
            extensions=exts,
            width=self.width_spin.value(),
            height=self.height_spin.value(),
            fps=self.fps_spin.value(),
        )

    def problem(self) -> str | None:
        """Why the export cannot start, or ``None``."""
        plan = self.plan()
        if not plan.extensions:
            return "Choose at least one format."
        if not plan.stem or _SAFE_NAME.search(plan.stem) or plan.stem in (".", ".."):
            return "Give a file name without / \\ : * ? \" < > |."
        if not str(plan.folder) or not plan.folder.is_dir():
            return f"The folder {plan.folder} does not exist; choose an existing folder."
        if plan.width % 2 or plan.height % 2:
            return "Video width and height must be even numbers (H.264)."
        return None

    def _validate(self, *_args: object) -> None:
        if not hasattr(self, "export_button"):
            return  # still being built
        problem = self.problem()
        self.export_button.setEnabled(problem is None and not self.runner.busy)
        if self.runner.busy:
            return
        if problem is not None:
            self.status.setText(problem)
            self._showing_problem = True
        elif self._showing_problem:
            self.status.setText("")
            self._showing_problem = False

    def _size_chosen(self) -> None:
        data = self.size_combo.currentData()
        custom = data is None
        self.width_spin.setEnabled(custom)
        self.height_spin.setEnabled(custom)
        if not custom:
            self.width_spin.setValue(data[0])
            self.height_spin.setValue(data[1])

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export to", self.folder_edit.text())
        if folder:
            self.folder_edit.setText(folder)

    # -- running ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start exporting in the background."""
        problem = self.problem()
        if problem is not None:
            self.status.setText(problem)
            return
        plan = self.plan()
        self.last_error = None
        self.progress.setValue(0)
        self.status.setText("Exporting…")
        self.runner.start("export", self._job_factory(plan))
        self.export_button.setEnabled(False)
        self.cancel_button.setText("Cancel export")

    def _progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(round(fraction * 1000))
        self.status.setText(message)

    def _finished_running(self) -> None:
        self.cancel_button.setText("Close")
        self._validate()

    def _done(self, written: object) -> None:
        self.written = list(written)  # type: ignore[arg-type]
        self.progress.setValue(1000)
        names = ", ".join(p.name for p in self.written)
        self.status.setText(f"Wrote {names}")
        self._finished_running()
        self.exported.emit(self.written)
        if self.open_when_done.isChecked() and self.written:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.written[0].parent)))

    def _failed(self, message: str, expected: bool) -> None:
        self.last_error = message.splitlines()[0]
        self.status.setText(f"Export failed: {self.last_error}")
        self._finished_running()

    def _cancelled(self) -> None:
        self.progress.setValue(0)
        self.status.setText("Export cancelled; the file being written was discarded.")
        self._finished_running()

    def _cancel_or_close(self) -> None:
        if self.runner.busy:
            self.runner.cancel()
        else:
            self.reject()

    def done(self, result: int) -> None:  # noqa: D102 - Qt override
        if self.runner.busy:
            self.runner.cancel()
        self.runner.shutdown()
        super().done(result)
