"""Undoable edits: one :class:`ValueCommand` per change the user makes to the session."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from PySide6.QtGui import QUndoCommand

MERGE_ID = 0x4146  # any constant: all value commands merge only with their own key


class ValueCommand(QUndoCommand):
    """Set a value through ``apply``; undo sets the old value back.

    Parameters
    ----------
    label
        Shown in the Edit menu ("Undo <label>").
    apply
        Puts a value into the session (must not push commands itself).
    old, new
        The values before and after.
    merge_key
        Consecutive commands with the same key merge into one undo step (one slider drag,
        a burst of typing); ``None`` never merges.
    """

    def __init__(
        self,
        label: str,
        apply: Callable[[Any], None],
        old: Any,
        new: Any,
        merge_key: Hashable | None = None,
    ) -> None:
        super().__init__(label)
        self._apply = apply
        self.old = old
        self.new = new
        self.merge_key = merge_key

    def redo(self) -> None:  # noqa: D102 - Qt override
        self._apply(self.new)

    def undo(self) -> None:  # noqa: D102 - Qt override
        self._apply(self.old)

    def id(self) -> int:  # noqa: D102 - Qt override
        return -1 if self.merge_key is None else MERGE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802, D102 - Qt override
        if not isinstance(other, ValueCommand) or other.merge_key != self.merge_key:
            return False
        self.new = other.new
        return True
