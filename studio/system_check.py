"""Checks of the machine made before the studio window starts (no Qt import here).

Qt's X11 platform plugin (``xcb``) links against system libraries that its wheels do not
ship. When one is missing, Qt prints several lines about plugins and aborts the process, so
``affect-studio gui`` looks for them first and, when some are missing, stops with one line
naming them and the Debian/Ubuntu packages that provide them.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Mapping

__all__ = ["GUI_LIBRARIES", "gui_library_problem", "missing_libraries", "uses_xcb"]

GUI_LIBRARIES: dict[str, str] = {
    # Qt's xcb platform plugin and its GL integrations
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    # QtGui, QtOpenGL and QtDBus
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
}
"""Shared libraries the studio window needs on X11, each with its Debian/Ubuntu package."""


def uses_xcb(environ: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """Whether Qt will start on its X11 (``xcb``) platform.

    True on Linux with ``DISPLAY`` set when ``QT_QPA_PLATFORM`` asks for ``xcb`` or is unset,
    except in a Wayland session (``XDG_SESSION_TYPE=wayland`` with ``WAYLAND_DISPLAY``), where
    Qt may choose its Wayland platform instead.

    Parameters
    ----------
    environ
        The environment (default: ``os.environ``).
    platform
        ``sys.platform`` (default: this machine's).
    """
    env = os.environ if environ is None else environ
    if not (platform or sys.platform).startswith("linux") or not env.get("DISPLAY"):
        return False
    requested = env.get("QT_QPA_PLATFORM", "").strip().lower()
    if requested:
        return requested.split(";")[0].split(":")[0] == "xcb"
    wayland_session = env.get("XDG_SESSION_TYPE", "").lower() == "wayland"
    return not (wayland_session and env.get("WAYLAND_DISPLAY"))


def missing_libraries(libraries: Mapping[str, str] | None = None) -> list[str]:
    """The shared libraries (by soname) that the dynamic loader cannot load.

    Parameters
    ----------
    libraries
        Soname -> package (default: :data:`GUI_LIBRARIES`).

    Returns
    -------
    list[str]
        The sonames that failed to load, in the mapping's order.
    """
    wanted = GUI_LIBRARIES if libraries is None else libraries
    missing = []
    for soname in wanted:
        try:
            ctypes.CDLL(soname)
        except OSError:
            missing.append(soname)
    return missing


def gui_library_problem(libraries: Mapping[str, str] | None = None,
                        environ: Mapping[str, str] | None = None,
                        platform: str | None = None) -> str | None:
    """One line saying which libraries the X11 studio window lacks, or None when none.

    Only checked when Qt will use its ``xcb`` platform (:func:`uses_xcb`).

    Parameters
    ----------
    libraries
        Soname -> package to check (default: :data:`GUI_LIBRARIES`).
    environ, platform
        As for :func:`uses_xcb`.
    """
    if not uses_xcb(environ, platform):
        return None
    wanted = GUI_LIBRARIES if libraries is None else libraries
    missing = missing_libraries(wanted)
    if not missing:
        return None
    packages = list(dict.fromkeys(wanted[name] for name in missing))
    return (f"the studio window cannot start: Qt's X11 platform needs system libraries that "
            f"are not installed ({', '.join(missing)}); install them with: "
            f"sudo apt-get install {' '.join(packages)}")
