"""Crash recovery: autosaved copies of open projects, offered again after a crash.

Each running studio writes its unsaved state to ``<folder>/<instance>.recovery.json`` every
so often and deletes the file when it closes normally. A recovery file that is still there
when the studio starts, and whose writer is no longer running, is what a crash left
behind. Recovery files use the project schema with absolute paths (the project may never
have been saved, so there is no project folder to be relative to); they are validated as
strictly as project files.

Examples
--------
>>> import tempfile, pathlib
>>> from studio.project_schema import Project, ProjectSegment
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> path = write_recovery(folder, "a1", Project(segments=[ProjectSegment(0.0, None, "calm")]),
...                       None, pid=2**22 + 7)
>>> [r.project.segments[0].prompt for r in find_recoveries(folder)]
['calm']
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.errors import ExportError, ProjectError
from studio.exporters.text_output import write_text_atomic
from studio.project_io import project_from_dict, project_to_dict, read_json
from studio.project_schema import Project

__all__ = [
    "RECOVERY_FORMAT",
    "RECOVERY_SUFFIX",
    "Recovery",
    "discard_recovery",
    "find_recoveries",
    "write_recovery",
]

RECOVERY_FORMAT = "affect-studio-recovery"
RECOVERY_SUFFIX = ".recovery.json"
MAX_RECOVERY_FILES = 64
_INSTANCE = re.compile(r"[A-Za-z0-9_\-]{1,64}")


@dataclass(frozen=True)
class Recovery:
    """An autosaved state left behind by a studio that did not close normally.

    Parameters
    ----------
    path
        The recovery file.
    project
        The state it holds.
    project_file
        The project file it belonged to (``None``: never saved).
    saved_at
        When it was written (seconds since the epoch).
    """

    path: Path
    project: Project
    project_file: Path | None
    saved_at: float


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return False
    return True


def write_recovery(
    folder: Path,
    instance: str,
    project: Project,
    project_file: Path | None,
    *,
    pid: int | None = None,
) -> Path:
    """Autosave ``project`` for the studio instance ``instance``; return the file written.

    Raises
    ------
    ProjectError
        If ``instance`` is not a plain identifier or the file cannot be written.
    """
    if not _INSTANCE.fullmatch(instance):
        raise ProjectError(f"recovery instance id {instance!r:.40} is not a plain identifier")
    data: dict[str, Any] = {
        "format": RECOVERY_FORMAT,
        "pid": os.getpid() if pid is None else int(pid),
        "saved_at": time.time(),
        "project_file": None if project_file is None else os.path.abspath(project_file),
        "project": project_to_dict(project, folder, absolute_paths=True),
    }
    dest = Path(folder) / f"{instance}{RECOVERY_SUFFIX}"
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        return write_text_atomic(dest, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    except (ExportError, OSError) as exc:
        raise ProjectError(f"cannot autosave to {folder}: {exc}") from None


def _read(path: Path) -> tuple[Recovery, int]:
    data = read_json(path)
    if not isinstance(data, dict) or data.get("format") != RECOVERY_FORMAT:
        raise ProjectError(f"{path.name} is not a recovery file")
    pid = data.get("pid")
    saved_at = data.get("saved_at")
    project_file = data.get("project_file")
    if not isinstance(pid, int) or not isinstance(saved_at, (int, float)):
        raise ProjectError(f"{path.name}: malformed pid or time")
    if project_file is not None and (
        not isinstance(project_file, str) or not os.path.isabs(project_file)
    ):
        raise ProjectError(f"{path.name}: project_file must be an absolute path or null")
    project = project_from_dict(data.get("project"), path.parent, absolute_paths=True)
    owner = None if project_file is None else Path(project_file)
    return Recovery(path, project, owner, float(saved_at)), pid


def find_recoveries(folder: Path) -> list[Recovery]:
    """Recovery files in ``folder`` whose writer is no longer running, newest first.

    Unreadable or malformed files are skipped (and left for the user to inspect).
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found: list[Recovery] = []
    candidates = sorted(folder.glob(f"*{RECOVERY_SUFFIX}"))[:MAX_RECOVERY_FILES]
    for path in candidates:
        try:
            recovery, pid = _read(path)
        except ProjectError:
            continue
        if pid != os.getpid() and _alive(pid):
            continue  # another studio is running and owns it
        found.append(recovery)
    return sorted(found, key=lambda r: r.saved_at, reverse=True)


def discard_recovery(path: Path) -> None:
    """Delete a recovery file (missing is fine)."""
    with contextlib.suppress(FileNotFoundError):
        Path(path).unlink()
