"""The studio window's pre-start check of the system libraries Qt's X11 platform needs."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from studio import system_check
from studio.system_check import gui_library_problem, missing_libraries, uses_xcb
from tests.conftest import REPO_ROOT

FAKE = "libaffect-studio-no-such.so.7"
X11 = {"DISPLAY": ":0"}


def test_every_library_has_a_package_and_loads_here() -> None:
    assert all(name.startswith("lib") and ".so." in name for name in system_check.GUI_LIBRARIES)
    assert all(system_check.GUI_LIBRARIES.values())
    assert missing_libraries() == []  # the test machine has them (installer/install.sh)


def test_a_missing_library_is_named_with_its_package_in_one_line() -> None:
    libraries = {"libc.so.6": "libc6", FAKE: "affect-no-such7", "libm.so.6": "libc6",
                 "libaffect-other.so.1": "affect-no-such7"}
    assert missing_libraries(libraries) == [FAKE, "libaffect-other.so.1"]
    message = gui_library_problem(libraries, X11, "linux")
    assert message is not None and "\n" not in message
    assert f"({FAKE}, libaffect-other.so.1)" in message
    assert message.endswith("install them with: sudo apt-get install affect-no-such7")


def test_nothing_missing_is_no_problem() -> None:
    assert gui_library_problem({"libc.so.6": "libc6"}, X11, "linux") is None


@pytest.mark.parametrize(("environ", "platform", "expected"), [
    ({"DISPLAY": ":0"}, "linux", True),
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, "linux", True),
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb:nomitshm"}, "linux", True),
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux", False),
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "wayland;xcb"}, "linux", False),
    ({"DISPLAY": ":0", "XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"},
     "linux", False),
    ({"DISPLAY": ":0", "XDG_SESSION_TYPE": "x11", "WAYLAND_DISPLAY": "wayland-0"},
     "linux", True),
    ({"QT_QPA_PLATFORM": "xcb"}, "linux", False),  # no display: the CLI says so itself
    ({}, "linux", False),
    ({"DISPLAY": ":0"}, "darwin", False),
    ({"DISPLAY": ":0"}, "win32", False),
])
def test_only_qts_x11_platform_is_checked(environ: dict[str, str], platform: str,
                                          expected: bool) -> None:
    assert uses_xcb(environ, platform) is expected
    problem = gui_library_problem({FAKE: "affect-no-such7"}, environ, platform)
    assert (problem is not None) is expected


def test_gui_command_stops_with_the_line_before_qt_starts() -> None:
    # A fake library added to the list in a fresh interpreter: `affect-studio gui` on X11
    # must print the one line, exit 2, and never have imported Qt.
    code = (
        "import sys\n"
        "from studio import system_check\n"
        f"system_check.GUI_LIBRARIES[{FAKE!r}] = 'affect-no-such7'\n"
        "from studio.cli import main\n"
        "code = main(['gui'])\n"
        "print('qt imported' if 'PySide6' in sys.modules else 'no qt')\n"
        "sys.exit(code)\n"
    )
    env = {k: v for k, v in os.environ.items()
           if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE")}
    env["DISPLAY"] = ":0"  # never reached: the check runs before any connection
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2, result.stderr
    assert result.stdout.strip() == "no qt"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: the studio window cannot start: ")
    assert FAKE in lines[0] and "sudo apt-get install affect-no-such7" in lines[0]
