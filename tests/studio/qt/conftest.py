"""Qt test set-up: an offscreen platform and private settings/data folders.

The environment is set before pytest-qt creates the ``QApplication``, so every widget test
runs without a display; tests of the real ``QOpenGLWidget`` run in a subprocess under Xvfb
(see ``tests/studio/qt/xvfb.py``).
"""

from __future__ import annotations

import os
import tempfile

os.environ["QT_QPA_PLATFORM"] = "offscreen"
_PRIVATE = tempfile.mkdtemp(prefix="affect-qt-tests-")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_PRIVATE, "config")
os.environ["XDG_DATA_HOME"] = os.path.join(_PRIVATE, "data")
os.environ["XDG_CACHE_HOME"] = os.path.join(_PRIVATE, "cache")
os.environ.setdefault("XDG_RUNTIME_DIR", os.path.join(_PRIVATE, "runtime"))
os.makedirs(os.environ["XDG_RUNTIME_DIR"], mode=0o700, exist_ok=True)

# ---------------------------------------------------------------------- Xvfb (real GL window)

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from .xvfb import xvfb_server  # noqa: E402


@pytest.fixture(scope="session")
def xvfb_display() -> Iterator[str]:
    """``DISPLAY`` of a private Xvfb server, started once for the session (see ``xvfb.py``)."""
    with xvfb_server() as display:
        yield display


# ---------------------------------------------------------------------- the studio window


@pytest.fixture
def app(qapp):  # noqa: ANN001 - pytest-qt fixture
    """The application, set up as the studio sets it up (style, icons, names)."""
    from studio.qt.app import create_application

    return create_application()


@pytest.fixture
def window(app, qtbot):  # noqa: ANN001 - pytest-qt fixtures
    """A shown studio window, closed without questions after the test."""
    from .windows import dispose, make_window

    w = make_window(qtbot)
    yield w
    dispose(w)


@pytest.fixture
def demo_copy(tmp_path, demo_audio):  # noqa: ANN001, ANN201
    """The demo clip in a fresh project folder."""
    import shutil

    folder = tmp_path / "project"
    folder.mkdir()
    return Path(shutil.copy(demo_audio, folder / "greeting.flac"))
