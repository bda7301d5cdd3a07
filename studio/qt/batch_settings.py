"""The Batch dialog's folder-mode settings: which settings every clip gets, and the formats."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QWidget,
)

from studio.batch.folder_settings import FolderSettings, folder_defaults_file
from studio.batch.manifest import DEFAULT_FORMATS
from studio.batch.presets import PresetError, list_presets, load_preset
from studio.exporters.registry import BUILTIN_EXPORTERS
from studio.qt.export_dialog import FORMAT_LABELS

__all__ = ["BUILTIN", "CURRENT", "FOLDER", "PRESET", "FolderSettingsBox"]

CURRENT, FOLDER, BUILTIN, PRESET = "current", "folder", "builtin", "preset"
"""Kinds of settings choice (the combo's item data is ``(kind, preset name or "")``)."""

FORMAT_ORDER = (".json", ".csv", ".rhubarb.json", ".tsv", ".mp4", ".glb")
"""The formats listed first (the ones batches use most), the others after them."""

CURRENT_LABEL = "(current settings)"
BUILTIN_LABEL = "(built-in defaults)"

SettingsSource = Callable[[], Mapping[str, Any]]


class FolderSettingsBox(QGroupBox):
    """Settings for every clip of a folder: the open session's, a saved preset, the folder's
    own defaults file or the built-in defaults; and the output formats.

    Parameters
    ----------
    current_settings
        Returns the open session's settings as preset fields (``None``: no
        "(current settings)" choice).

    Signals
    -------
    changed()
        The choice changed (the batch must be read again).
    """

    changed = Signal()

    def __init__(self, current_settings: SettingsSource | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__("Settings for every clip (folder mode)", parent)
        self._current_settings = current_settings
        self._folder_file: Path | None = None
        self.problem = ""
        self.combo = QComboBox()
        self.combo.setToolTip("What every clip of the folder is rendered with; presets are "
                              "saved with File > Save settings as preset…")
        self.combo.currentIndexChanged.connect(self._chosen)
        self.format_boxes: dict[str, QCheckBox] = {}
        self._suffixes: dict[str, tuple[str, ...]] = {}
        grid = QGridLayout()
        exporters = [factory() for factory in BUILTIN_EXPORTERS]
        exporters.sort(key=lambda e: FORMAT_ORDER.index(e.extensions[0])
                       if e.extensions[0] in FORMAT_ORDER else len(FORMAT_ORDER))
        for i, exporter in enumerate(exporters):
            ext = exporter.extensions[0]
            self._suffixes[ext] = tuple(exporter.extensions)
            box = QCheckBox(f"{ext}  {FORMAT_LABELS.get(exporter.name, exporter.name)}")
            box.setChecked(ext in DEFAULT_FORMATS)
            box.toggled.connect(lambda _on: self.changed.emit())
            self.format_boxes[ext] = box
            grid.addWidget(box, i // 2, i % 2)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("Settings", self.combo)
        form.addRow("Formats", grid)
        form.addRow(self.note)
        self.refresh_presets()

    # -- choices -------------------------------------------------------------------------------

    def refresh_presets(self) -> None:
        """List the saved presets again (the current choice kept when it still exists)."""
        kept = self.combo.currentData()
        items: list[tuple[str, tuple[str, str]]] = []
        if self._current_settings is not None:
            items.append((CURRENT_LABEL, (CURRENT, "")))
        if self._folder_file is not None:
            items.append((f"(the folder's {self._folder_file.name})", (FOLDER, "")))
        items.append((BUILTIN_LABEL, (BUILTIN, "")))
        self.problem = ""
        try:
            items += [(name, (PRESET, name)) for name in list_presets()]
        except PresetError as exc:
            self.problem = str(exc)
        self.combo.blockSignals(True)
        self.combo.clear()
        for label, data in items:
            self.combo.addItem(label, data)
        self.combo.setCurrentIndex(max(self._index_of(kept), 0))
        self.combo.blockSignals(False)
        self._chosen()

    def presets(self) -> list[str]:
        """The preset names the combo lists."""
        return [self.combo.itemData(i)[1] for i in range(self.combo.count())
                if self.combo.itemData(i)[0] == PRESET]

    def choose(self, kind: str, name: str = "") -> bool:
        """Select a choice (``PRESET`` with its name); ``False`` when it is not listed."""
        index = self._index_of((kind, name))
        if index >= 0:
            self.combo.setCurrentIndex(index)
        return index >= 0

    def _index_of(self, data: object) -> int:
        """The item holding ``data`` (``-1``: none; ``findData`` cannot compare tuples)."""
        for index in range(self.combo.count()):
            if self.combo.itemData(index) == data:
                return index
        return -1

    def set_source(self, source: Path | None) -> None:
        """The batch's source: a folder enables the box (and offers its own defaults file,
        chosen at once), a manifest file disables it."""
        is_folder = source is not None and source.is_dir()
        self.setEnabled(is_folder)
        found = folder_defaults_file(source) if source is not None and is_folder else None
        if found != self._folder_file:
            self._folder_file = found
            self.refresh_presets()
            if found is not None:
                self.choose(FOLDER)

    def needs_formats(self) -> bool:
        """No format is checked while the choice takes its formats from the check boxes."""
        kind = (self.combo.currentData() or (BUILTIN, ""))[0]
        return kind != FOLDER and not self.formats()

    def formats(self) -> tuple[str, ...]:
        """The checked output suffixes."""
        return tuple(ext for ext, box in self.format_boxes.items() if box.isChecked())

    def folder_settings(self) -> FolderSettings:
        """The choice as :class:`~studio.batch.folder_settings.FolderSettings` (the session's
        settings are read now, on the calling thread).

        Raises
        ------
        studio.errors.StudioError
            The session's settings cannot be read.
        """
        kind, name = self.combo.currentData() or (BUILTIN, "")
        formats = self.formats()
        if kind == FOLDER:
            return FolderSettings(folder_defaults=True)
        if kind == PRESET:
            return FolderSettings(preset=name, formats=formats)
        if kind == CURRENT and self._current_settings is not None:
            return FolderSettings(settings=dict(self._current_settings()), formats=formats)
        return FolderSettings(formats=formats)

    def _chosen(self, *_args: object) -> None:
        kind, name = self.combo.currentData() or (BUILTIN, "")
        for box in self.format_boxes.values():
            box.setEnabled(kind != FOLDER)
        note = self.problem
        if kind == FOLDER and self._folder_file is not None:
            note = f"Every setting and format comes from {self._folder_file.name}."
        elif kind == PRESET:
            try:
                formats = load_preset(name).get("formats")
            except PresetError as exc:
                note = str(exc)
            else:
                if formats:
                    self._check(formats)
        self.note.setText(note)
        self.changed.emit()

    def _check(self, formats: tuple[str, ...]) -> None:
        for ext, box in self.format_boxes.items():
            box.blockSignals(True)
            box.setChecked(any(s in formats for s in self._suffixes[ext]))
            box.blockSignals(False)
