"""Atomic text output shared by the text-based exporters (curves JSON, CSV, mouth cues)."""

from __future__ import annotations

from pathlib import Path

from generators.progress import NullProgress, ProgressSink
from generators.take import Take
from renderers.avatar import Avatar
from studio.errors import ExportError
from studio.exporters.base import atomic_output

__all__ = ["TextExporter", "write_text_atomic"]


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


class TextExporter:
    """Base of the exporters whose output is one text document.

    Subclasses set ``name``, ``extensions`` and ``label`` and implement :meth:`text`;
    :meth:`export` reports progress and writes the document atomically.
    """

    name: str = ""
    extensions: tuple[str, ...] = ()
    label: str = "text"
    """What the file is, for progress messages (e.g. ``"curves JSON"``)."""

    def text(self, take: Take) -> str:
        """The whole document for ``take``."""
        raise NotImplementedError

    def export(
        self,
        take: Take,
        avatar: Avatar | None,
        dest: Path,
        *,
        progress: ProgressSink | None = None,
    ) -> Path:
        """Write ``take`` to ``dest`` (atomically) and return ``dest``."""
        progress = progress or NullProgress()
        progress.report(0.0, f"writing {self.label}")
        out = write_text_atomic(Path(dest), self.text(take))
        progress.report(1.0, f"{self.label} written")
        return out
