"""The desktop integration: installer/desktop.sh (install.sh --desktop) and uninstall.sh.

Everything runs against a private ``XDG_DATA_HOME`` (and ``HOME``), so the user's menu and
file types are never touched. The freedesktop tools are required, not optional:
``installer/test.sh`` installs them, and a missing one fails the test with its package.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import REPO_ROOT

INSTALLER = REPO_ROOT / "installer"
DESKTOP_SH = INSTALLER / "desktop.sh"
UNINSTALL_SH = INSTALLER / "uninstall.sh"
INSTALL_SH = INSTALLER / "install.sh"
MIME_TYPE = "application/x-affect-studio-project"
MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"
LAUNCHER = Path(sys.executable).with_name("affect-studio")
TOOLS = {  # program -> the Debian/Ubuntu package with it (installer/test.sh installs them)
    "desktop-file-validate": "desktop-file-utils",
    "update-desktop-database": "desktop-file-utils",
    "update-mime-database": "shared-mime-info",
    "xdg-mime": "xdg-utils",
    "gio": "libglib2.0-bin",
}
LAUNCH_TIMEOUT_S = 20.0
OTHER_MIME = f"""<?xml version="1.0"?>
<mime-info xmlns="{MIME_NS[1:-1]}">
  <mime-type type="text/x-other-test"><glob pattern="*.othertest"/></mime-type>
</mime-info>
"""


def installed_paths(data: Path) -> dict[str, Path]:
    """The files desktop.sh installs under the data folder ``data``."""
    return {
        "entry": data / "applications" / "affect-studio.desktop",
        "svg": data / "icons" / "hicolor" / "scalable" / "apps" / "affect-studio.svg",
        "png": data / "icons" / "hicolor" / "256x256" / "apps" / "affect-studio.png",
        "mime": data / "mime" / "packages" / "affect-studio.xml",
    }


@pytest.fixture(scope="module")
def tools() -> None:
    """Fail (not skip) when a freedesktop tool the tests use is missing."""
    missing = sorted({package for program, package in TOOLS.items()
                      if shutil.which(program) is None})
    if missing:
        pytest.fail(f"missing the desktop tools' packages {', '.join(missing)}: "
                    f"sudo apt-get install {' '.join(missing)} (installer/test.sh does)",
                    pytrace=False)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """An environment with private XDG folders and home, outside any desktop session."""
    home = tmp_path / "home"
    home.mkdir()
    dropped = ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "XDG_DATA_HOME",
               "XDG_CONFIG_HOME", "XDG_CURRENT_DESKTOP", "BROWSER")
    result = {k: v for k, v in os.environ.items() if k not in dropped}
    result.update(HOME=str(home), XDG_DATA_HOME=str(tmp_path / "data"),
                  XDG_CONFIG_HOME=str(tmp_path / "config"))
    return result


def run(command: list[str | Path], env: dict[str, str],
        **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in command], env=env, capture_output=True, text=True,
                          timeout=120, check=False, **kwargs)  # type: ignore[call-overload]


def xdg_mime(env: dict[str, str], *args: str | Path) -> str:
    # GNOME's lookup (gio, shared-mime-info); the generic one asks file(1), which knows no types.
    result = run(["xdg-mime", "query", *args], dict(env, XDG_CURRENT_DESKTOP="GNOME"))
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), (
        result.returncode, result.stderr)
    return lines[0]


# ---------------------------------------------------------------------- install, uninstall


def test_install_validate_resolve_and_uninstall(tools: None, env: dict[str, str],
                                                tmp_path: Path) -> None:
    data = Path(env["XDG_DATA_HOME"])
    paths = installed_paths(data)
    others = {  # the user's own files in the same folders, which must survive
        data / "applications" / "other.desktop":
            "[Desktop Entry]\nType=Application\nName=Other\nExec=true\n",
        data / "icons" / "hicolor" / "256x256" / "apps" / "other.png": "not read",
        data / "mime" / "packages" / "other.xml": OTHER_MIME,
    }
    for path, text in others.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    result = run(["bash", DESKTOP_SH, LAUNCHER], env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    for path in paths.values():
        assert path.is_file(), path
        assert str(path) in result.stdout

    # The desktop entry: valid, runs the venv's launcher by absolute path with the file.
    check = run(["desktop-file-validate", paths["entry"]], env)
    print(f"desktop-file-validate: exit {check.returncode}\n{check.stdout}{check.stderr}")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "error:" not in check.stdout and "warning:" not in check.stdout
    lines = paths["entry"].read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    assert f'Exec="{LAUNCHER}" gui %f' in lines
    assert f"TryExec={LAUNCHER}" in lines
    for line in ("Name=Affect Studio", "Icon=affect-studio", "Terminal=false",
                 "Categories=Graphics;3DGraphics;AudioVideo;", f"MimeType={MIME_TYPE};",
                 "StartupWMClass=Affect Studio"):
        assert line in lines

    # The icons: the SVG itself, and a 256x256 PNG with a transparent surround.
    assert paths["svg"].read_bytes() == (REPO_ROOT / "assets/icons/app.svg").read_bytes()
    with Image.open(paths["png"]) as png:
        assert png.size == (256, 256) and png.mode == "RGBA"
        assert png.getpixel((0, 0))[3] == 0 and png.getpixel((128, 128))[3] == 255

    # The file type: valid XML with a glob that outranks *.json, built into the user's
    # MIME database, and resolved the way a file manager resolves it.
    root = ET.parse(paths["mime"]).getroot()
    mime_type = root.find(f"{MIME_NS}mime-type")
    assert mime_type is not None and mime_type.get("type") == MIME_TYPE
    glob = mime_type.find(f"{MIME_NS}glob")
    assert glob is not None and glob.get("pattern") == "*.affect.json"
    assert int(glob.get("weight", "50")) > 50
    globs2 = (data / "mime" / "globs2").read_text(encoding="utf-8").splitlines()
    assert f"{glob.get('weight')}:{MIME_TYPE}:*.affect.json" in globs2
    project = tmp_path / "scene.affect.json"
    project.write_text("{}\n", encoding="utf-8")
    plain = tmp_path / "other.json"
    plain.write_text("{}\n", encoding="utf-8")
    filetype = xdg_mime(env, "filetype", project)
    print(f"xdg-mime query filetype {project.name}: {filetype}")
    assert filetype == MIME_TYPE
    assert xdg_mime(env, "filetype", plain) == "application/json"
    default = xdg_mime(env, "default", MIME_TYPE)
    print(f"xdg-mime query default {MIME_TYPE}: {default}")
    assert default == "affect-studio.desktop"

    # Uninstall: exactly those files, the databases rebuilt without the type; then a no-op.
    removed = run(["bash", UNINSTALL_SH], env)
    assert removed.returncode == 0, removed.stderr
    for path in paths.values():
        assert not path.exists() and f"Removed {path}" in removed.stdout
    assert removed.stdout.count("Removed ") == len(paths)
    assert all(path.read_text(encoding="utf-8") == text for path, text in others.items())
    globs2 = (data / "mime" / "globs2").read_text(encoding="utf-8")
    assert MIME_TYPE not in globs2 and "*.othertest" in globs2  # rebuilt, not deleted
    assert xdg_mime(env, "filetype", project) == "application/json"
    again = run(["bash", UNINSTALL_SH], env)
    assert again.returncode == 0 and again.stderr == ""
    assert "Removed" not in again.stdout and "Nothing to remove" in again.stdout


def test_double_clicking_a_project_runs_the_executable_with_it(tools: None,
                                                              env: dict[str, str],
                                                              tmp_path: Path) -> None:
    # A stand-in for the affect-studio command that records its arguments, in a folder whose
    # name needs the desktop entry's quoting (spaces, quotes, $, backslash, backquotes).
    folder = tmp_path / 'my "apps" $HOME \\x `y` it\'s'
    folder.mkdir()
    record = tmp_path / "arguments.txt"
    fake = folder / "affect-studio"
    fake.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" > '{record}.part'\n"
                    f"mv '{record}.part' '{record}'\n", encoding="utf-8")
    fake.chmod(0o755)
    result = run(["bash", DESKTOP_SH, fake], env)
    assert result.returncode == 0, result.stderr
    entry = installed_paths(Path(env["XDG_DATA_HOME"]))["entry"]
    check = run(["desktop-file-validate", entry], env)
    assert check.returncode == 0, check.stdout + check.stderr

    project = tmp_path / "a scene.affect.json"
    project.write_text("{}\n", encoding="utf-8")
    opened = run(["gio", "open", project], env)  # what a file manager's double click does
    assert opened.returncode == 0, opened.stderr
    deadline = time.monotonic() + LAUNCH_TIMEOUT_S
    while not record.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert record.exists(), "the desktop entry's command did not run"
    assert record.read_text(encoding="utf-8").splitlines() == ["gui", str(project)]


def test_uninstall_all_removes_the_repositorys_venv_only(env: dict[str, str],
                                                         tmp_path: Path) -> None:
    # A copy of the scripts in a scratch checkout, so the real .venv is never at risk.
    checkout = tmp_path / "checkout"
    shutil.copytree(INSTALLER, checkout / "installer",
                    ignore=shutil.ignore_patterns("bundle", "*.spec", "__pycache__"))
    venv = checkout / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    beside = checkout / "keep.txt"
    beside.write_text("x", encoding="utf-8")
    result = run(["bash", checkout / "installer" / "uninstall.sh", "--all"], env)
    assert result.returncode == 0, result.stderr
    assert not venv.exists() and f"Removed {venv}" in result.stdout
    assert beside.exists() and (checkout / "installer" / "uninstall.sh").exists()
    again = run(["bash", checkout / "installer" / "uninstall.sh", "--all"], env)
    assert again.returncode == 0 and "Removed" not in again.stdout

    venv.mkdir()  # a .venv that is not a virtual environment is left alone
    (venv / "data.txt").write_text("x", encoding="utf-8")
    refused = run(["bash", checkout / "installer" / "uninstall.sh", "--all"], env)
    assert "not a virtual environment" in one_error_line(refused)
    assert (venv / "data.txt").exists()


def test_committed_png_icon_is_the_svg_rendered(tmp_path: Path) -> None:
    out = tmp_path / "icon.png"
    code = ("import sys; sys.path.insert(0, 'installer/desktop'); import render_icon; "
            f"sys.exit(0 if render_icon.render().save({str(out)!r}, 'PNG') else 1)")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=120, check=False,
                            env=dict(os.environ, QT_QPA_PLATFORM="offscreen",
                                     PYTHONDONTWRITEBYTECODE="1"))
    assert result.returncode == 0, result.stderr
    committed = INSTALLER / "desktop" / "affect-studio-256.png"
    with Image.open(out) as fresh, Image.open(committed) as kept:
        a = np.asarray(fresh.convert("RGBA"), dtype=np.int16)
        b = np.asarray(kept.convert("RGBA"), dtype=np.int16)
    assert a.shape == b.shape == (256, 256, 4)
    assert np.abs(a - b).max() <= 8, (
        "installer/desktop/affect-studio-256.png is out of date: run "
        "QT_QPA_PLATFORM=offscreen .venv/bin/python installer/desktop/render_icon.py")


# ---------------------------------------------------------------------- bad input


@pytest.mark.parametrize(("args", "says"), [
    (["--bogus"], "unknown option --bogus"),
    (["--remove", "x"], "--remove takes no executable"),
    ([], "give the affect-studio command"),
    (["a", "b"], "more than one executable"),
])
def test_desktop_script_bad_arguments(env: dict[str, str], args: list[str], says: str) -> None:
    assert says in one_error_line(run(["bash", DESKTOP_SH, *args], env))
    assert not Path(env["XDG_DATA_HOME"]).exists()


def test_desktop_script_refuses_what_it_cannot_launch(env: dict[str, str],
                                                      tmp_path: Path) -> None:
    data = Path(env["XDG_DATA_HOME"])
    assert "not an executable" in one_error_line(
        run(["bash", DESKTOP_SH, tmp_path / "missing"], env))
    text = tmp_path / "notes.txt"
    text.write_text("x", encoding="utf-8")
    assert "not an executable" in one_error_line(run(["bash", DESKTOP_SH, text], env))
    percent = tmp_path / "100%"
    percent.mkdir()
    (percent / "affect-studio").write_text("#!/bin/sh\n", encoding="utf-8")
    (percent / "affect-studio").chmod(0o755)
    assert "%" in one_error_line(run(["bash", DESKTOP_SH, percent / "affect-studio"], env))
    assert not data.exists()


def test_uninstall_unknown_option(env: dict[str, str]) -> None:
    assert "unknown option --bogus" in one_error_line(run(["bash", UNINSTALL_SH, "--bogus"], env))


def test_install_accepts_desktop_and_rejects_unknown_options(env: dict[str, str]) -> None:
    line = one_error_line(run(["bash", INSTALL_SH, "--desktop", "--bogus"], env))
    assert "unknown option --bogus" in line and "--desktop" in line


def test_install_without_apt_skips_the_system_packages_with_a_note(env: dict[str, str],
                                                                   tmp_path: Path) -> None:
    # A PATH with the shell tools install.sh uses but no apt-get or dpkg-query; a Python that
    # fails the version check stops it right after the system-package step.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "sed", "uname", "id", "grep", "false"):
        found = shutil.which(tool)
        assert found is not None, tool
        (bin_dir / tool).symlink_to(found)
    result = run([bin_dir / "bash", INSTALL_SH],
                 dict(env, PATH=str(bin_dir), PYTHON=str(bin_dir / "false")))
    assert "note: no apt-get here: skipping the Debian/Ubuntu system packages" in result.stdout
    assert "Python 3.10 or newer is needed" in one_error_line(result)
