"""The Batch dialog's table: one row per job or bad line, with its live status."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from studio.batch.board import BatchBoard, BoardRow
from studio.batch.manifest import BatchPlan

__all__ = ["COLUMNS", "BatchTableModel"]

COLUMNS: tuple[str, ...] = ("Name", "Audio", "Transcript", "Prompt", "Formats", "Status",
                            "Details")
"""The table's column titles."""

ERROR_COLOR = QColor(200, 40, 40)

_Index = QModelIndex | QPersistentModelIndex


def _cell(row: BoardRow, column: int) -> str:
    values = (row.name, row.audio, "" if row.problem else ("yes" if row.transcript else "no"),
              row.prompt, row.formats, row.status_text, row.detail)
    return values[column]


class BatchTableModel(QAbstractTableModel):
    """A :class:`~studio.batch.board.BatchBoard` as a read-only Qt table (bad lines and failed
    jobs in red, the full reason as a tool tip)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.board = BatchBoard(BatchPlan())

    def set_plan(self, plan: BatchPlan) -> None:
        """Show the rows of ``plan`` (statuses reset)."""
        self.beginResetModel()
        self.board = BatchBoard(plan)
        self.endResetModel()

    def refresh_rows(self, rows: Iterable[int]) -> None:
        """Redraw ``rows`` after the board changed them."""
        rows = list(rows)
        if rows:
            last = len(COLUMNS) - 1
            self.dataChanged.emit(self.index(min(rows), 0), self.index(max(rows), last))

    def row(self, index: int) -> BoardRow:
        """The board's row ``index``."""
        return self.board.rows[index]

    # -- Qt model ----------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(self.board)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.board):
            return None
        row = self.board.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return _cell(row, index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            text = _cell(row, index.column())
            return row.detail or text or None
        if role == Qt.ItemDataRole.ForegroundRole and row.is_error:
            return QBrush(ERROR_COLOR)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt API
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return super().headerData(section, orientation, role)
