"""Opening, loading and closing the real studio window in tests (shared by the Qt test modules)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox

from studio.qt.main_window import MainWindow

ANALYSIS_TIMEOUT_MS = 90_000


def make_window(qtbot) -> MainWindow:  # noqa: ANN001
    """A shown 1200x800 window that does not offer autosaved work back."""
    w = MainWindow(check_recovery=False)
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    return w


def dispose(w: MainWindow) -> None:
    """Close ``w`` without questions: unsaved work is dropped, open message boxes dismissed."""
    w._dirty_without_undo = False
    w.undo_stack.setClean()
    for box in QApplication.topLevelWidgets():
        if isinstance(box, QMessageBox) and box.isVisible():
            box.done(0)
    w.shutdown()
    w.close()
    w.deleteLater()


def idle(w: MainWindow) -> bool:
    """Neither analysing nor mapping: the take on show is up to date."""
    return not w.analyser.busy and not w.mapper.busy


def load(qtbot, w: MainWindow, audio: Path, transcript: str | None = None) -> None:  # noqa: ANN001
    """Load ``audio`` (and a transcript) into ``w`` and wait until the take is ready."""
    w.load_audio(audio)
    qtbot.waitUntil(lambda: w.session.audio is not None, timeout=20_000)
    if transcript is not None:
        w.edit_transcript(transcript)
    qtbot.waitUntil(
        lambda: w.session.take is not None and idle(w), timeout=ANALYSIS_TIMEOUT_MS
    )
