"""The installer's system-package step: installs as root, otherwise prints the exact line."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.conftest import REPO_ROOT

SCRIPT = REPO_ROOT / "installer" / "apt_packages.sh"


def run_as(user_cmd: list[str], packages: str) -> subprocess.CompletedProcess[str]:
    # The function's text goes inline: an unprivileged user may not be able to read the clone.
    script = f'{SCRIPT.read_text()}\nensure_packages "system packages" {packages}'
    return subprocess.run([*user_cmd, "bash", "-c", script], capture_output=True, text=True,
                          timeout=60, check=False, cwd="/")


def as_unprivileged() -> list[str]:
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser") is None:
        pytest.fail("runuser is needed to test the installer as an ordinary user")
    return ["runuser", "-u", "nobody", "--"]


def test_installed_packages_need_nothing():
    result = run_as(as_unprivileged(), "bash coreutils")
    assert result.returncode == 0 and result.stdout == "" and result.stderr == ""


def test_missing_package_prints_the_exact_apt_line_and_stops():
    result = run_as(as_unprivileged(), "bash affect-studio-no-such-package")
    assert result.returncode == 2
    assert "sudo apt-get install -y --no-install-recommends affect-studio-no-such-package" in (
        result.stderr
    )
    assert "bash " not in result.stderr.split("install-recommends", 1)[1]  # only what is missing


def test_unknown_installer_option():
    result = subprocess.run(["bash", str(REPO_ROOT / "installer" / "install.sh"), "--bogus"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "unknown option --bogus" in result.stderr
