"""When OpenGL is missing, the window says so and keeps working (no blank or crashing view)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT

from .xvfb import child_environment

PROBE = """
import json, sys
from PySide6.QtCore import QTimer
from studio.qt.app import create_application
from studio.qt.main_window import MainWindow
app = create_application()
w = MainWindow(check_recovery=False)
w.resize(900, 600)
w.show()
def done():
    image = w.viewport.grab_frame()
    box = w.message_box
    print(json.dumps({
        "kind": w.viewport.kind,
        "status": w.statusBar().currentMessage(),
        "box": box.text() if box is not None and box.isVisible() else None,
        "error": getattr(w.viewport, "error", None),
        "size": [image.width(), image.height()],
        "centre": image.pixelColor(image.width() // 2, image.height() // 3).name(),
    }))
    w.shutdown()
    app.quit()
QTimer.singleShot(3000, done)
sys.exit(app.exec())
"""


def _run(env: dict[str, str]) -> dict:
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          env=env, cwd=REPO_ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_window_without_gl_falls_back_to_offscreen_rendering(xvfb_display: str,
                                                             tmp_path: Path) -> None:
    env = child_environment(xvfb_display, tmp_path)
    env["QT_XCB_GL_INTEGRATION"] = "none"  # an X server whose windows cannot do OpenGL
    report = _run(env)
    assert report["kind"] == "image"
    assert report["status"].startswith("Window OpenGL unavailable")
    assert report["box"] is None  # a status message, not a dialog: the app works
    red, green, blue = (int(report["centre"][i:i + 2], 16) for i in (1, 3, 5))
    assert max(red, green, blue) - min(red, green, blue) > 20  # the (coloured) head is drawn


def test_no_usable_gl_at_all_is_reported_once_in_words(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
               MESA_GL_VERSION_OVERRIDE="2.1", MESA_GLSL_VERSION_OVERRIDE="120",
               XDG_CONFIG_HOME=str(tmp_path / "c"), XDG_DATA_HOME=str(tmp_path / "d"))
    report = _run(env)
    assert report["kind"] == "image"
    assert report["error"] and "OpenGL" in report["error"]
    assert report["box"] is not None and "OpenGL" in report["box"]
