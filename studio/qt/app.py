"""Start the studio window: ``affect-studio`` or ``affect-studio gui [PROJECT|AUDIO]``."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from studio.qt.main_window import MainWindow
from studio.qt.theme import apply_dark_theme, set_app_icon
from studio.qt.viewport import configure_gl_format

APPLICATION_NAME = "Affect Studio"
ORGANISATION_NAME = "AffectStudio"
DESKTOP_FILE_NAME = "affect-studio"
"""The desktop entry ``installer/desktop.sh`` installs (``affect-studio.desktop``)."""


def create_application(argv: list[str] | None = None) -> QApplication:
    """The ``QApplication`` with the studio's GL format, names and dark theme."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    configure_gl_format()
    os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia*=false")  # codec probing noise
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APPLICATION_NAME)
    app.setOrganizationName(ORGANISATION_NAME)
    app.setApplicationDisplayName(APPLICATION_NAME)
    app.setDesktopFileName(DESKTOP_FILE_NAME)  # Wayland's app id: the installed desktop entry
    apply_dark_theme(app)
    set_app_icon(app)
    return app


def run(path: str | None = None, *, exit_after_show: bool = False) -> int:
    """Open the main window (and ``path``: a project or a voice line); return the exit code.

    Parameters
    ----------
    path
        An ``.affect.json`` project or an audio file to open.
    exit_after_show
        Print the time to the first shown frame and quit (start-up checks and benchmarks).
    """
    started = time.perf_counter()
    app = create_application()
    window = MainWindow()
    window.show()

    if path:
        window.open_path(Path(path))
    if exit_after_show:

        state = {"done": False}

        def finish() -> None:
            problem = getattr(window.viewport, "error", None)  # no usable OpenGL: say why
            drawn = f"cannot draw: {problem}" if problem else "first frame drawn"
            try:
                print(f"window shown after {shown_at[0] - started:.3f} s "
                      f"(viewport: {window.viewport.kind}, {drawn})", flush=True)
            except OSError:  # stdout closed: quit all the same
                pass
            finally:
                window.shutdown()
                app.quit()

        shown_at = [0.0]

        def report(_ms: float = 0.0) -> None:
            if window.isVisible() and not state["done"]:
                state["done"] = True
                shown_at[0] = time.perf_counter()
                QTimer.singleShot(0, finish)  # not inside the paint that reported the frame

        window.viewport.frame_drawn.connect(report)
        QTimer.singleShot(10_000, report)  # give up waiting for a frame
    code = app.exec()
    window.shutdown()
    return int(code)
