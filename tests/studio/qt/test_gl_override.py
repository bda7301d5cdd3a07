"""A machine whose OpenGL is older than 3.3 (Mesa told to offer 3.0) gets words, not a crash.

``MESA_GL_VERSION_OVERRIDE=3.0`` makes Mesa (llvmpipe here) offer OpenGL 3.0 to every
context, EGL and GLX alike: rendering a video stops with the one-line GLContextError, and the
studio window still comes up on X11 (Xvfb) and says why its viewport cannot draw.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf

from tests.conftest import REPO_ROOT, tone

from .test_viewport_fallback import _run
from .xvfb import child_environment

OLD_GL = {"MESA_GL_VERSION_OVERRIDE": "3.0", "MESA_GLSL_VERSION_OVERRIDE": "130"}
GL_MESSAGE = "cannot create a headless OpenGL 3.3 context via EGL"
GUI_TIMEOUT_S = 120
SCREEN_PROBE = """
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from studio.qt.app import create_application
from studio.qt.main_window import MainWindow
app = create_application()
w = MainWindow(check_recovery=False)
w.resize(900, 600)
w.show()
def grab():
    if w.message_box is not None:
        w.message_box.close()
    QTimer.singleShot(1000, done)
def done():
    # What the X server shows, not what the widgets would paint: the window's own pixels.
    image = QGuiApplication.primaryScreen().grabWindow(0).toImage()
    geometry = w.frameGeometry()
    lit = total = 0
    for y in range(geometry.top() + 5, geometry.bottom() - 5, 7):
        for x in range(geometry.left() + 5, geometry.right() - 5, 7):
            colour = image.pixelColor(x, y)
            lit += max(colour.red(), colour.green(), colour.blue()) > 12
            total += 1
    print(json.dumps({"kind": w.viewport.kind, "lit": lit / max(1, total),
                      "status": w.statusBar().currentMessage()}))
    w.shutdown()
    app.quit()
QTimer.singleShot(3000, grab)
sys.exit(app.exec())
"""


def test_render_without_opengl_33_fails_with_one_line(tmp_path: Path) -> None:
    audio = tmp_path / "line.wav"
    sf.write(audio, tone(1.0, 16000), 16000)
    out = tmp_path / "out"
    out.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "studio", "render", str(audio), "--language", "other",
         "--size", "64x64", "-o", str(out / "x.mp4")],
        cwd=REPO_ROOT, env=dict(os.environ, **OLD_GL), capture_output=True, text=True,
        timeout=120, check=False)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {GL_MESSAGE}"), result.stderr
    assert "sudo apt-get install libegl1" in lines[0]
    assert list(out.iterdir()) == []  # no video, no partial file


def test_gui_without_opengl_33_comes_up_and_says_why(xvfb_display: str,
                                                     tmp_path: Path) -> None:
    env = dict(child_environment(xvfb_display, tmp_path), **OLD_GL)
    result = subprocess.run([sys.executable, "-m", "studio", "gui", "--exit-after-show"],
                            cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                            timeout=GUI_TIMEOUT_S, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "Fatal" not in result.stderr
    assert "window shown after" in result.stdout
    assert f"(viewport: image, cannot draw: {GL_MESSAGE}" in result.stdout, result.stdout


def test_window_without_opengl_33_shows_the_reason(xvfb_display: str, tmp_path: Path) -> None:
    report = _run(dict(child_environment(xvfb_display, tmp_path), **OLD_GL))
    assert report["kind"] == "image"  # window GL failed first, then the offscreen fallback
    assert GL_MESSAGE in report["error"]
    assert report["status"].startswith(f"The viewport cannot draw: {GL_MESSAGE}")
    assert report["box"] is not None and GL_MESSAGE in report["box"]


@pytest.mark.parametrize("gl_env", [OLD_GL, {"QT_XCB_GL_INTEGRATION": "none"}],
                         ids=["opengl-3.0", "no-window-opengl"])
def test_window_without_usable_opengl_is_shown_on_the_screen(xvfb_display: str,
                                                             tmp_path: Path,
                                                             gl_env: dict[str, str]) -> None:
    # A QOpenGLWidget makes Qt compose its whole window through OpenGL; with an unusable
    # context that window stays black. The studio must not add one there.
    env = dict(child_environment(xvfb_display, tmp_path), **gl_env)
    result = subprocess.run([sys.executable, "-c", SCREEN_PROBE], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=GUI_TIMEOUT_S, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["kind"] == "image"
    assert report["lit"] > 0.5, report  # the dark theme's panels, not a black window
    assert "OpenGL" in report["status"]
