"""The front end's private log folders: a killed process's folder is removed by the next front
end, a running process's folder and anything else are left alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from generators.rig import cepstra as cepstra_module
from generators.rig.cepstra import LOG_PREFIX, cepstra, remove_orphaned_logs


def _ended_pid() -> int:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(proc.stdout)


@pytest.mark.skipif(os.name != "posix", reason="process lookup is POSIX-only")
def test_only_the_folders_of_ended_processes_go(tmp_path: Path) -> None:
    dead = tmp_path / f"{LOG_PREFIX}{_ended_pid()}-abc"
    alive = tmp_path / f"{LOG_PREFIX}{os.getpid()}-def"
    unnamed = tmp_path / f"{LOG_PREFIX}xyz"  # no process id in the name
    other = tmp_path / "someone-elses-123-folder"
    for folder in (dead, alive, unnamed, other):
        folder.mkdir()
    (dead / "left.mfc").write_bytes(b"\0" * 8)
    assert remove_orphaned_logs(tmp_path) == [dead]
    assert not dead.exists() and alive.exists() and unnamed.exists() and other.exists()


@pytest.mark.skipif(os.name != "posix", reason="process lookup is POSIX-only")
def test_a_new_front_end_clears_what_a_killed_process_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cepstra_module.tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(cepstra_module, "_front_end", [])
    orphan = tmp_path / f"{LOG_PREFIX}{_ended_pid()}-abc"
    orphan.mkdir()
    frames = cepstra(b"\0\0" * 16000)
    assert len(frames) > 90
    assert not orphan.exists()
    mine = list(tmp_path.glob(f"{LOG_PREFIX}{os.getpid()}-*"))
    assert len(mine) == 1 and not any(mine[0].iterdir())  # the logs are read and removed


@pytest.mark.skipif(os.name != "posix", reason="process lookup is POSIX-only")
def test_odd_names_and_links_are_left_alone_and_never_raise(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine", encoding="utf-8")
    link = tmp_path / f"{LOG_PREFIX}{_ended_pid()}-planted"
    link.symlink_to(elsewhere, target_is_directory=True)
    odd = [
        tmp_path / f"{LOG_PREFIX}99999999999999999999-abc",  # too large for a process id
        tmp_path / f"{LOG_PREFIX}3000000000-abc",
        tmp_path / f"{LOG_PREFIX}\u00b2-abc",  # a digit, but not an ASCII one
        tmp_path / f"{LOG_PREFIX}0-abc",
    ]
    for folder in odd:
        folder.mkdir()
    assert remove_orphaned_logs(tmp_path) == []
    assert link.is_symlink() and (elsewhere / "keep.txt").exists()
    assert all(folder.exists() for folder in odd)
