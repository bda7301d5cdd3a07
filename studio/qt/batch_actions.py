"""The studio window's batch commands: File > Batch export… and Save settings as preset….

The Batch dialog is non-modal and kept once opened (its choices stay for the next batch);
saving a preset lists it in the dialog's settings at once. Questions (the preset's name,
replacing a preset) are asked with boxes that do not block the event loop. The dialog's
module loads when it is first opened, keeping the studio's start-up short.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox

from studio.batch.presets import (
    PresetError,
    check_preset_name,
    list_presets,
    save_preset,
    settings_from_session,
)

if TYPE_CHECKING:
    from studio.qt.batch_dialog import BatchDialog
    from studio.qt.main_window import MainWindow

__all__ = ["BatchActions"]


class BatchActions(QObject):
    """Batch export and Save settings as preset for a :class:`MainWindow`.

    Parameters
    ----------
    window
        The studio window (its session, status bar and error boxes are used).
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.dialog: BatchDialog | None = None
        self.name_dialog: QInputDialog | None = None
        self.confirm_box: QMessageBox | None = None
        w = window._action
        self.act_batch = w("&Batch export…", self.open_batch_dialog, None, None,
                           "Export a folder of voice lines (or a manifest) in one go")
        self.act_save_preset = w("Save settings as &preset…", self.ask_preset_name, None, None,
                                 "Save the prompt, intensity, animation controls, frame rate, "
                                 "size and avatar under a name, for batch exports")

    def file_actions(self) -> list[QAction]:
        """The actions for the File menu."""
        return [self.act_batch, self.act_save_preset]

    def current_settings(self) -> dict[str, Any]:
        """The open session's settings as preset fields."""
        return settings_from_session(self.window.session)

    # ------------------------------------------------------------------ batch dialog

    def open_batch_dialog(self) -> BatchDialog:
        """Show the Batch dialog (the one opened before, when there is one)."""
        if self.dialog is None:
            from studio.qt.batch_dialog import BatchDialog  # loaded when first asked for

            self.dialog = BatchDialog(self.current_settings,
                                      folder=Path(self.window._start_folder()),
                                      parent=self.window)
        else:
            self.dialog.refresh_presets()
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    def shutdown(self) -> None:
        """Cancel a running batch and wait for it (the window is closing)."""
        if self.dialog is not None:
            self.dialog.shutdown()

    # ------------------------------------------------------------------ presets

    def ask_preset_name(self) -> QInputDialog:
        """Ask for the preset's name, then save it (asking before replacing one)."""
        dialog = QInputDialog(self.window)
        dialog.setWindowTitle("Save settings as preset")
        dialog.setLabelText("Preset name (for batch lines: preset = NAME):")
        dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.textValueSelected.connect(self.save_preset_as)
        self.name_dialog = dialog
        dialog.open()
        return dialog

    def save_preset_as(self, name: str) -> None:
        """Save the session's settings as ``name``, asking first when that preset exists."""
        name = name.strip()
        try:
            check_preset_name(name)
            existing = [n for n in list_presets() if n.casefold() == name.casefold()]
        except PresetError as exc:
            self.window.show_error("Cannot save the preset", str(exc))
            return
        if not existing:
            self.save_preset(name)
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Replace preset",
                          f"A preset named {existing[0]!r} exists. Replace it?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                          self.window)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.finished.connect(lambda _result: self._replace_answered(box, existing[0]))
        self.confirm_box = box
        box.open()

    def _replace_answered(self, box: QMessageBox, name: str) -> None:
        self.confirm_box = None
        if box.standardButton(box.clickedButton()) == QMessageBox.StandardButton.Yes:
            self.save_preset(name)

    def save_preset(self, name: str) -> Path | None:
        """Save the session's settings as the preset ``name`` now (replacing one)."""
        try:
            path = save_preset(name, self.current_settings())
        except PresetError as exc:
            self.window.show_error("Cannot save the preset", str(exc))
            return None
        self.window.statusBar().showMessage(f"Preset {name!r} saved", 8000)
        if self.dialog is not None:
            self.dialog.refresh_presets()
        return path
