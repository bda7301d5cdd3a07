"""The ARKit mapping editor: which morph target of an avatar file drives each ARKit shape.

One row per ARKit-52 shape, with a combo of the file's morph-target names (type to search)
and how the shape is matched; the logic lives in :class:`studio.mapping_edit.MappingEdit`, so
the table always shows what the loader will do. Save writes ``<avatar>.mapping.json`` beside
the avatar (only the entries that differ from the automatic match, atomically) and emits
:attr:`MappingEditor.saved`; the window then reloads the avatar.

Keyboard: Ctrl+F filters, Tab walks the combos of the shown rows (type a name, or Up/Down),
Ctrl+S saves, Escape cancels.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from renderers.arkit import ARKIT_NAMES
from renderers.errors import AvatarError
from renderers.loaders.arkit_match import IMPORTANT_SHAPES
from studio.mapping_edit import MappingData, MappingEdit, write_profile

__all__ = ["NONE_TEXT", "MappingEditor"]

NONE_TEXT = "(none)"
LIPS_LABELS = {"auto": "Automatic", "arkit": "ARKit mouth shapes",
               "visemes": "The avatar's own visemes"}
"""The lips choices (:data:`renderers.loaders.mapping_profile.LIPS_CHOICES`) as shown."""
"""The combo entry for "no target drives this shape" (its target is ignored)."""
ALERT = "#ff6b6b"
"""Colour of important shapes that nothing drives."""
COL_SHAPE, COL_TARGET, COL_HOW = range(3)

HOW_TIPS: dict[str, str] = {
    "exact": "the target has exactly the ARKit name",
    "case": "the name differs only in case or separators",
    "side": "the side is spelled differently (_L, .L, Left...)",
    "prefix": "a prefix such as 'blendShape1.' was removed",
    "halves": "a left and a right half are summed into this shape",
    "split": "one target for both sides, cut at the face's midline",
    "profile": "set in the mapping profile",
    "missing": "nothing drives this shape: it stays at rest",
}


def _how_tip(how: str) -> str:
    return "; ".join(HOW_TIPS.get(part, part) for part in how.split("+"))


class MappingEditor(QDialog):
    """Edit and save the ARKit mapping profile of one avatar file.

    Parameters
    ----------
    data
        The avatar's target names and current profile (:func:`studio.mapping_edit.
        read_mapping_data`).
    parent
        The owning window.

    Signals
    -------
    saved(object)
        The profile was written (or removed: nothing left to override); carries the avatar
        file's :class:`~pathlib.Path`.
    """

    saved = Signal(object)

    def __init__(self, data: MappingData, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data = data
        self.edit = MappingEdit.start(data.target_names, data.profile)
        self.message_box: QMessageBox | None = None
        self.last_error: str | None = None
        self._syncing = False
        self.setWindowTitle(f"ARKit mapping — {data.avatar_path.name}")
        self.setModal(True)
        self.resize(720, 640)
        self._build()
        self._refresh()

    # ------------------------------------------------------------------ construction

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"Choose the morph target of <b>{self.data.avatar_path.name}</b> that drives each "
            f"ARKit shape ({len(self.data.target_names)} targets in the file). "
            f"<i>{NONE_TEXT}</i> leaves the shape at rest and ignores its target. Saving "
            f"writes {self.data.profile_path.name} beside the avatar.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        if self.data.profile_problem:
            problem = QLabel(f"The existing mapping could not be read and is not applied "
                             f"({self.data.profile_problem}); saving replaces it.")
            problem.setWordWrap(True)
            problem.setStyleSheet(f"color: {ALERT};")
            layout.addWidget(problem)

        row = QHBoxLayout()
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter shapes, targets or 'missing'  (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.set_filter)
        filter_label = QLabel("&Filter:")
        filter_label.setBuddy(self.filter_edit)
        row.addWidget(filter_label)
        row.addWidget(self.filter_edit, 1)
        self.lips_combo = QComboBox()
        for choice, label in LIPS_LABELS.items():
            self.lips_combo.addItem(label, choice)
        self.lips_combo.setToolTip(
            "What forms the lips while speaking. Automatic uses the avatar's own viseme shapes "
            "(viseme_aa ...) when it has enough of them, else the ARKit mouth shapes.")
        self.lips_combo.currentIndexChanged.connect(self._lips_changed)
        lips_label = QLabel("&Lips:")
        lips_label.setBuddy(self.lips_combo)
        layout.addLayout(row)

        self.table = QTableWidget(len(ARKIT_NAMES), 3)
        self.table.setHorizontalHeaderLabels(["ARKit shape", "Morph target", "Matched by"])
        self.table.verticalHeader().hide()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(COL_SHAPE, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_TARGET, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_HOW, QHeaderView.ResizeMode.ResizeToContents)
        self.rows: dict[str, int] = {}
        self.combos: dict[str, QComboBox] = {}
        for i, arkit in enumerate(ARKIT_NAMES):
            self.rows[arkit] = i
            shape = QTableWidgetItem(arkit)
            shape.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.table.setItem(i, COL_SHAPE, shape)
            how = QTableWidgetItem("")
            how.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.table.setItem(i, COL_HOW, how)
            combo = self._make_combo(arkit)
            self.combos[arkit] = combo
            self.table.setCellWidget(i, COL_TARGET, combo)
        layout.addWidget(self.table, 1)

        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)

        buttons = QHBoxLayout()
        self.reset_button = QPushButton("&Reset to automatic")
        self.reset_button.setToolTip("Forget every override: match the targets by name only")
        self.reset_button.clicked.connect(self.reset_to_automatic)
        self.save_button = QPushButton("&Save")
        self.save_button.setToolTip(f"Write {self.data.profile_path.name} and reload the "
                                    "avatar (Ctrl+S)")
        self.save_button.clicked.connect(self.save)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Close without saving (Escape)")
        self.cancel_button.clicked.connect(self.reject)
        for button in (self.reset_button, self.save_button, self.cancel_button):
            button.setAutoDefault(False)  # Return confirms a typed target name, nothing more
            button.setDefault(False)
        buttons.addWidget(lips_label)
        buttons.addWidget(self.lips_combo)
        buttons.addWidget(self.reset_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)

        QShortcut(QKeySequence.StandardKey.Find, self, self._focus_filter)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)
        chain: list[QWidget] = [self.filter_edit, *self.combos.values(), self.lips_combo,
                                self.reset_button, self.save_button, self.cancel_button]
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def _make_combo(self, arkit: str) -> QComboBox:
        combo = QComboBox()
        combo.setEditable(True)
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        combo.addItem(NONE_TEXT, None)
        for name in self.data.target_names:
            combo.addItem(name, name)
        completer = QCompleter(combo.model(), combo)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        combo.setCompleter(completer)
        combo.setAccessibleName(f"Morph target for {arkit}")
        combo.setToolTip(f"The morph target that drives {arkit} (type to search)")
        combo.currentIndexChanged.connect(lambda _i, a=arkit: self._combo_changed(a))
        line = combo.lineEdit()
        line.editingFinished.connect(lambda a=arkit: self._typed(a))
        return combo

    # ------------------------------------------------------------------ edits

    def choose(self, arkit: str, target: str | None) -> list[str]:
        """Let ``target`` drive ``arkit`` (``None``: nothing; its target is then ignored),
        as picking it in the row's combo does.

        Returns
        -------
        list of str
            Other shapes left without a target (the chosen target was theirs).
        """
        try:
            lost = self.edit.choose(arkit, target)
        except AvatarError as exc:
            self._show_error("Cannot use this target", str(exc))
            self._refresh()
            return []
        shown = NONE_TEXT if target is None else target
        message = f"{arkit}: {shown}."
        if lost:
            their = "its target" if len(lost) == 1 else "their targets"
            message += f" {', '.join(lost)} lost {their}: a target drives one shape."
        self.status.setText(message)
        self._refresh()
        return lost

    def reset_to_automatic(self) -> None:
        """Back to the automatic match (nothing is written until Save)."""
        self.edit.reset()
        self.status.setText("Automatic match: the targets are matched by name only.")
        self._refresh()

    def set_filter(self, text: str) -> None:
        """Show only the rows whose shape, target or match contains ``text``."""
        needle = text.strip().lower()
        for arkit, row in self.rows.items():
            hay = [arkit, self.edit.how(arkit), *self.edit.sources(arkit)]
            if not self.edit.sources(arkit):
                hay.append(NONE_TEXT)
            show = not needle or any(needle in h.lower() for h in hay)
            self.table.setRowHidden(row, not show)
            self.combos[arkit].setVisible(show)  # now, so Tab skips it before the next layout

    def visible_shapes(self) -> list[str]:
        """The ARKit shapes of the rows shown (after the filter)."""
        return [a for a, row in self.rows.items() if not self.table.isRowHidden(row)]

    def save(self) -> bool:
        """Write the profile (only entries that change the automatic match) and close.

        A folder that cannot be written is reported and the dialog stays open with every
        change; the file on disk is left as it was.

        Returns
        -------
        bool
            Whether the profile was written.
        """
        path = self.data.profile_path
        try:
            write_profile(self.edit.profile(), path)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            self._show_error(
                "Cannot save the mapping",
                f"cannot write {path.name} in {path.parent}: {reason}; make that folder "
                "writable, or copy the avatar into a folder you can write to (your changes "
                "are still in the editor)")
            return False
        self.saved.emit(self.data.avatar_path)
        self.accept()
        return True

    def set_lips(self, choice: str) -> None:
        """Choose what forms the lips (``auto``, ``arkit`` or ``visemes``; saved with Save)."""
        self.edit.set_lips(choice)
        self.status.setText(f"Lips: {LIPS_LABELS[choice]}.")
        self._refresh()

    def _lips_changed(self) -> None:
        if not self._syncing:
            self.set_lips(self.lips_combo.currentData())

    # ------------------------------------------------------------------ combos

    def _combo_changed(self, arkit: str) -> None:
        if self._syncing:
            return
        data = self.combos[arkit].currentData()
        if isinstance(data, tuple):
            return  # the several targets already driving it (halves): nothing to change
        self.choose(arkit, data)

    def _typed(self, arkit: str) -> None:
        if self._syncing:
            return
        combo = self.combos[arkit]
        text = combo.currentText().strip()
        if text == combo.itemText(combo.currentIndex()):
            return
        index = combo.findText(text, Qt.MatchFlag.MatchExactly)
        if index < 0:
            index = combo.findText(text, Qt.MatchFlag.MatchFixedString)  # any case
        if index >= 0:
            combo.setCurrentIndex(index)  # chooses it (currentIndexChanged)
            return
        self.status.setText(f"{arkit}: the avatar has no morph target {text[:60]!r}; pick one "
                            "from the list.")
        self._syncing = True
        combo.setEditText(combo.itemText(combo.currentIndex()))
        self._syncing = False

    # ------------------------------------------------------------------ display

    def _refresh(self) -> None:
        report = self.edit.report
        important = set(IMPORTANT_SHAPES)
        self._syncing = True
        try:
            for arkit, row in self.rows.items():
                match = report.shape(arkit)
                self._show_sources(self.combos[arkit], match.sources)
                alert = not match.matched and arkit in important
                shape = self.table.item(row, COL_SHAPE)
                shape.setText(f"! {arkit}" if alert else arkit)
                font = QFont(shape.font())
                font.setBold(alert)
                shape.setFont(font)
                shape.setForeground(QBrush(QColor(ALERT)) if alert else QBrush())
                shape.setToolTip("Important for lip sync and the basic emotions, and nothing "
                                 "drives it" if alert else "")
                how = self.table.item(row, COL_HOW)
                how.setText(match.how)
                how.setToolTip(_how_tip(match.how))
                how.setForeground(QBrush(QColor(ALERT)) if alert else QBrush())
            self.lips_combo.setCurrentIndex(self.lips_combo.findData(self.edit.lips))
        finally:
            self._syncing = False
        missing = report.important_missing
        self.summary.setText(
            f"{len(report.matched)} of {len(ARKIT_NAMES)} ARKit shapes driven. Important "
            f"shapes missing: {', '.join(missing) if missing else 'none'}."
            + (f" Ignored targets: {', '.join(report.ignored)}." if report.ignored else "")
            + (" The lips use the avatar's own visemes." if report.lips == "visemes" else ""))
        self.set_filter(self.filter_edit.text())

    @staticmethod
    def _show_sources(combo: QComboBox, sources: tuple[str, ...]) -> None:
        if combo.count() > 1 and isinstance(combo.itemData(1), tuple):
            combo.removeItem(1)  # the previous "several targets" entry
        if not sources:
            combo.setCurrentIndex(0)
        elif len(sources) == 1:
            combo.setCurrentIndex(max(0, combo.findData(sources[0])))
        else:
            combo.insertItem(1, " + ".join(sources), tuple(sources))
            combo.setCurrentIndex(1)

    def _focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    def _show_error(self, title: str, message: str) -> None:
        self.last_error = message
        box = QMessageBox(QMessageBox.Icon.Critical, title, message,
                          QMessageBox.StandardButton.Ok, self)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.message_box = box
        box.open()
