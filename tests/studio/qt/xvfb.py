"""A private Xvfb server for tests of the real OpenGL window, and a way to run code under it.

The Qt tests in this folder run in-process on the ``offscreen`` platform, where the studio
falls back to its image viewport. The ``QOpenGLWidget`` viewport needs a platform with window
OpenGL, so those tests start their own virtual X server (:func:`xvfb_server`, or the
session-scoped ``xvfb_display`` fixture from ``conftest.py``) and run a script in a
subprocess on the ``xcb`` platform (:func:`run_under_xvfb`).

Xvfb is required, never optional: when the binary is missing the test fails and names the
Debian/Ubuntu package to install (``xvfb``; ``installer/test.sh`` installs it).
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
SCREEN = "1600x1000x24"
START_TIMEOUT_S = 30.0
"""How long Xvfb may take to report its display number."""
STOP_TIMEOUT_S = 5.0

# Variables of the calling process that would change which platform or viewport the child
# uses, or leak a real session into it.
_DROPPED_ENV = ("WAYLAND_DISPLAY", "AFFECT_VIEWPORT", "QT_QPA_PLATFORMTHEME", "QT_SCALE_FACTOR",
                "QT_SCREEN_SCALE_FACTORS", "QT_AUTO_SCREEN_SCALE_FACTOR", "XAUTHORITY")


def xvfb_binary() -> str:
    """The path of the ``Xvfb`` program; fails the test when it is not installed.

    Returns
    -------
    str
        An executable ``Xvfb``.
    """
    found = shutil.which("Xvfb") or (
        "/usr/bin/Xvfb" if os.access("/usr/bin/Xvfb", os.X_OK) else None
    )
    if found is None:
        pytest.fail(
            "Xvfb is not installed, so the studio window's OpenGL viewport cannot be tested: "
            "install the apt package `xvfb` (sudo apt-get install xvfb, or run "
            "installer/test.sh, which installs it)",
            pytrace=False,
        )
    return found


def _read_display_number(proc: subprocess.Popen[bytes], fd: int, timeout: float) -> str:
    """Read the display number Xvfb writes to ``fd`` once it accepts connections."""
    deadline = time.monotonic() + timeout
    data = b""
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"Xvfb did not report a display within {timeout:g} s")
        ready, _, _ = select.select([fd], [], [], min(left, 0.25))
        if ready:
            chunk = os.read(fd, 64)
            if not chunk:  # Xvfb closed the pipe: it exited
                break
            data += chunk
        elif proc.poll() is not None:
            break
    number = data.strip().decode("ascii", "replace")
    if not number.isdigit():
        raise RuntimeError(f"Xvfb reported no display number (got {data!r})")
    return number


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=STOP_TIMEOUT_S)


@contextmanager
def xvfb_server(screen: str = SCREEN) -> Iterator[str]:
    """Run a private Xvfb on a free display for the duration of the ``with`` block.

    Parameters
    ----------
    screen
        Size and depth of screen 0, ``WIDTHxHEIGHTxDEPTH``.

    Yields
    ------
    str
        The ``DISPLAY`` value, e.g. ``":3"``.
    """
    binary = xvfb_binary()
    with tempfile.TemporaryFile(prefix="affect-xvfb-") as log:
        read_fd, write_fd = os.pipe()
        try:
            proc = subprocess.Popen(
                [binary, "-displayfd", str(write_fd), "-screen", "0", screen,
                 "-nolisten", "tcp"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, pass_fds=(write_fd,),
                start_new_session=True,
            )
        except OSError as exc:
            os.close(read_fd)
            pytest.fail(f"cannot start Xvfb ({binary}): {exc}", pytrace=False)
        finally:
            os.close(write_fd)  # only Xvfb holds the write end now: EOF means it exited
        try:
            try:
                number = _read_display_number(proc, read_fd, START_TIMEOUT_S)
            except (TimeoutError, RuntimeError) as exc:
                _stop(proc)
                log.seek(0)
                output = log.read().decode("utf-8", "replace").strip()
                pytest.fail(f"Xvfb did not start: {exc}; exit status {proc.returncode}; "
                            f"output:\n{output or '(none)'}", pytrace=False)
            yield f":{number}"
        finally:
            os.close(read_fd)
            _stop(proc)


def child_environment(display: str, private: Path) -> dict[str, str]:
    """The environment of a process run by :func:`run_under_xvfb`.

    Parameters
    ----------
    display
        The X display to use.
    private
        A folder for the child's own settings, data, cache and runtime folders.

    Returns
    -------
    dict[str, str]
        The calling environment with the Qt platform, display and XDG folders replaced.
    """
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
    folders = {name: private / name.lower() for name in (
        "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR")}
    for name, folder in folders.items():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        env[name] = str(folder)
    python_path = [str(REPO_ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env.update(
        QT_QPA_PLATFORM="xcb",
        DISPLAY=display,
        QT_LOGGING_RULES="qt.multimedia*=false",
        PYTHONPATH=os.pathsep.join(python_path),
        PYTHONFAULTHANDLER="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def run_under_xvfb(display: str, script_path_or_code: str | os.PathLike[str], *args: str,
                   timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run Python code in a subprocess on the ``xcb`` platform of ``display``.

    The child gets private XDG settings/data folders (deleted afterwards), so it neither reads
    nor changes the user's studio settings, and runs in the repository root.

    Parameters
    ----------
    display
        The X display, e.g. from the ``xvfb_display`` fixture.
    script_path_or_code
        A script (a :class:`~pathlib.Path`, or a string naming an existing ``.py`` file) or
        Python source run with ``-c``.
    *args
        Command line arguments for the script.
    timeout
        Seconds before the child is killed (the test then fails with
        :class:`subprocess.TimeoutExpired`).

    Returns
    -------
    subprocess.CompletedProcess[str]
        With the captured ``stdout`` and ``stderr`` as text.
    """
    target = script_path_or_code
    is_path = isinstance(target, os.PathLike) or (
        isinstance(target, str) and "\n" not in target and target.endswith(".py")
        and Path(target).is_file()
    )
    command = [sys.executable, os.fspath(target)] if is_path else [sys.executable, "-c", target]
    with tempfile.TemporaryDirectory(prefix="affect-xvfb-child-") as private:
        return subprocess.run(
            [*command, *map(str, args)], cwd=REPO_ROOT,
            env=child_environment(display, Path(private)), stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=timeout, check=False,
        )


__all__ = ["REPO_ROOT", "child_environment", "run_under_xvfb", "xvfb_binary", "xvfb_server"]
