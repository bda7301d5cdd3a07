"""Atomic text output shared by the text-based exporters (curves JSON, CSV, mouth cues)."""

from __future__ import annotations

from pathlib import Path

from studio.errors import ExportError
from studio.exporters.base import atomic_output

__all__ = ["write_text_atomic"]


def write_text_atomic(dest: Path, text: str) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``dest`` through a temp file and a rename.

    Raises
    ------
    ExportError
        When the folder cannot take the file or the disk fills up; nothing is left behind.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "cues.tsv"
    >>> write_text_atomic(out, "0.00\\tX\\n").read_text()
    '0.00\\tX\\n'
    """
    dest = Path(dest)
    try:
        with atomic_output(dest) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ExportError(
            f"could not write {dest} ({reason}; free some space or choose another folder)"
        ) from None
    return dest
