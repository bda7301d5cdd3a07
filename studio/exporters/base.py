"""Exporter protocol, registry by file extension, and the atomic-write helper."""

from __future__ import annotations

import contextlib
import inspect
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from generators.progress import NullProgress, ProgressSink
from generators.take import Take
from renderers.avatar import Avatar
from studio.errors import ExportError


@runtime_checkable
class Exporter(Protocol):
    """Writes a take to one file format.

    ``export`` writes to a temporary file in the destination folder and renames it on success,
    so the final name never holds a half-written file.
    """

    name: str
    extensions: tuple[str, ...]

    def export(
        self, take: Take, avatar: Avatar, dest: Path, *, progress: ProgressSink
    ) -> Path:
        """Write ``take`` to ``dest`` and return the path written."""
        ...


_REGISTRY: dict[str, Callable[[], Exporter]] = {}


def register_exporter(factory: Callable[[], Exporter]) -> None:
    """Register an exporter for every extension it declares."""
    for ext in factory().extensions:
        _REGISTRY[ext.lower()] = factory


def extension_of(path: Path) -> str:
    """The export extension of ``path``: compound ones like ``.rhubarb.json`` win."""
    name = path.name.lower()
    _load_builtin()
    for ext in sorted(_REGISTRY, key=len, reverse=True):
        if name.endswith(ext):
            return ext
    return path.suffix.lower()


def supported_extensions() -> list[str]:
    """All extensions an exporter is registered for."""
    _load_builtin()
    return sorted(_REGISTRY)


def exporter_for(path: Path, **options: Any) -> Exporter:
    """The exporter for ``path``'s extension, or an :class:`ExportError` naming the known ones.

    ``options`` (``width``, ``height``, ``fps``, ``cancel``...) go to the exporter's
    constructor when it takes them; formats without such settings ignore them.
    """
    ext = extension_of(path)
    try:
        factory = _REGISTRY[ext]
    except KeyError:
        known = ", ".join(supported_extensions())
        shown = ext or "(none)"
        raise ExportError(
            f"unknown output format {shown!r} for {path.name} (use one of: {known})"
        ) from None
    accepted = inspect.signature(factory).parameters
    return factory(**{k: v for k, v in options.items() if k in accepted})


def check_writable(dest: Path) -> None:
    """Fail early, before any work, when ``dest``'s folder cannot receive the file."""
    folder = dest.parent if str(dest.parent) else Path(".")
    if not folder.exists():
        raise ExportError(f"output folder does not exist: {folder} (create it first)")
    if not folder.is_dir():
        raise ExportError(f"output folder is not a folder: {folder}")
    if dest.is_dir():
        raise ExportError(f"output path is a folder: {dest} (give a file name)")
    try:  # a real probe: permission bits say nothing for root or read-only file systems
        fd, probe = tempfile.mkstemp(prefix=".affect-write-probe.", dir=folder)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ExportError(
            f"output folder is not writable: {folder} ({reason}; choose another folder)"
        ) from None
    os.close(fd)
    os.unlink(probe)


@contextlib.contextmanager
def atomic_output(dest: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; rename it to ``dest`` only if the block succeeds.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_output(d / "out.txt") as tmp:
    ...     _ = tmp.write_text("hello")
    >>> (d / "out.txt").read_text()
    'hello'
    """
    check_writable(dest)
    folder = dest.parent if str(dest.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{dest.name}.", suffix=".part" + "".join(dest.suffixes[-1:]), dir=folder
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_current_umask())  # mkstemp made it private (0600)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _load_builtin() -> None:
    if _REGISTRY:
        return
    from studio.exporters import registry  # noqa: F401  (registers the built-in exporters)


__all__ = [
    "Exporter",
    "NullProgress",
    "atomic_output",
    "check_writable",
    "exporter_for",
    "extension_of",
    "register_exporter",
    "supported_extensions",
]
