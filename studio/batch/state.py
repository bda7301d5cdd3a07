"""Resume: what each finished job was made from, so a rerun redoes only what changed.

A job's *fingerprint* is a sha256 over everything its outputs depend on: the bytes of its
audio, emotion-track, viseme and avatar files (the avatar with every file it references),
the transcript text, every other render setting and the output formats (as canonical JSON),
and the software versions. Paths themselves are not part of it: moving an unchanged clip does
not redo it.

Each finished job leaves one small record in ``OUT/.affect-batch/jobs/`` (the fingerprint and
its outputs' sizes), written atomically as the job finishes; one file per job keeps a
2,000-line batch from rewriting a large file 2,000 times. A rerun skips a job when its record
matches its fingerprint and every output is still there with the recorded size.

Examples
--------
>>> import tempfile
>>> out = Path(tempfile.mkdtemp())
>>> clip = out / "line.wav"
>>> _ = clip.write_bytes(b"RIFF....")
>>> job = BatchJob("line", RenderSpec(clip), (".json",))
>>> state = ResumeState(out)
>>> fingerprint = state.fingerprint(job)
>>> state.is_current(job, fingerprint)
False
>>> _ = (out / "line.json").write_text("{}")
>>> state.record(job, fingerprint, [out / "line.json"])
>>> state.is_current(job, fingerprint)
True
>>> _ = clip.write_bytes(b"RIFF!!!!")
>>> state.is_current(job, state.fingerprint(job))
False
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from generators.errors import GeneratorError
from renderers.errors import RendererError
from studio.batch.job import BatchJob
from studio.errors import StudioError
from studio.render_spec import RenderSpec

__all__ = ["STATE_DIR", "ResumeState", "software_versions", "write_text_atomic"]

STATE_DIR = ".affect-batch"
"""The folder inside OUT that holds the resume records."""

STATE_VERSION = 1
CHUNK = 1 << 20
MAX_RECORD_BYTES = 1 << 20
CONTENT_FIELDS = ("audio", "emotion_track", "visemes")
"""RenderSpec fields naming a file whose bytes (not whose path) shape the outputs."""


@lru_cache(maxsize=1)
def software_versions() -> dict[str, str]:
    """The versions a job's outputs depend on (this program and its speech recogniser).

    Examples
    --------
    >>> sorted(software_versions())
    ['affect-studio', 'pocketsphinx']
    """
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("affect-studio", "pocketsphinx"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "unknown"
    return found


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed on success.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "a.json"
    >>> write_text_atomic(p, "{}")
    >>> p.read_text()
    '{}'
    """
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


def _file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, read in 1 MiB pieces (audio can be large)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _avatar_paths(avatar: Path) -> list[Path]:
    """The avatar file and every file it references (buffers, textures, shapes, profile)."""
    try:
        from renderers.loaders.avatar_files import avatar_files
    except ImportError:
        return [avatar]
    return [Path(p) for p in avatar_files(avatar)]


def _plain(value: Any) -> Any:
    """``value`` as JSON-ready data with a stable order."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def _talking_head_content(request: Any) -> dict[str, Any]:
    """A talking-head request's settings, with the reference portrait's and the models
    config's bytes hashed (the weights are named by the config; hashing gigabytes per batch
    would cost more than the check saves)."""
    content = {f.name: _plain(getattr(request, f.name)) for f in dataclasses.fields(request)}
    for name in ("reference", "config"):
        path = getattr(request, name)
        if path is not None:
            content[name] = _file_sha256(Path(path))
    return content


class ResumeState:
    """The resume records of one output folder, and the fingerprints they are checked against.

    Parameters
    ----------
    out_dir
        The batch's output folder (records live in ``out_dir/.affect-batch/jobs``).
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.folder = out_dir / STATE_DIR / "jobs"
        self._avatar_hashes: dict[tuple[str, int, int], dict[str, str]] = {}

    # -- fingerprints -----------------------------------------------------------------------

    def fingerprint(self, job: BatchJob) -> str | None:
        """The job's fingerprint, or ``None`` when an input cannot be read (the job then runs
        and fails with the proper reason)."""
        try:
            content = {
                "state": STATE_VERSION,
                "software": software_versions(),
                "formats": list(job.formats),
                "spec": self._spec_content(job.spec),
            }
        except (OSError, GeneratorError, RendererError, StudioError):
            return None
        text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _spec_content(self, spec: RenderSpec) -> dict[str, Any]:
        content: dict[str, Any] = {}
        for f in dataclasses.fields(spec):
            value = getattr(spec, f.name)
            if f.name == "avatar" and value is not None:
                content[f.name] = self._avatar_content(Path(value))
            elif f.name == "talking_head" and value is not None:
                content[f.name] = _talking_head_content(value)
            elif f.name in CONTENT_FIELDS and value is not None:
                content[f.name] = _file_sha256(Path(value))
            else:
                content[f.name] = _plain(value)
        return content

    def _avatar_content(self, avatar: Path) -> dict[str, str]:
        """Hashes of the avatar's files by their path relative to the avatar's folder
        (computed once per batch for each avatar)."""
        stat = avatar.stat()
        key = (str(avatar.resolve()), stat.st_size, stat.st_mtime_ns)
        cached = self._avatar_hashes.get(key)
        if cached is None:
            root = avatar.resolve().parent
            cached = {}
            for path in _avatar_paths(avatar):
                resolved = path.resolve()
                name = (str(resolved.relative_to(root)) if resolved.is_relative_to(root)
                        else resolved.name)
                cached[name] = _file_sha256(resolved)
            self._avatar_hashes[key] = cached
        return cached

    # -- records ----------------------------------------------------------------------------

    def _record_path(self, job: BatchJob) -> Path:
        key = hashlib.sha256(job.name.encode("utf-8")).hexdigest()[:32]
        return self.folder / f"{key}.json"

    def is_current(self, job: BatchJob, fingerprint: str | None) -> bool:
        """Whether ``job`` finished before from the same inputs and its outputs are intact."""
        if fingerprint is None:
            return False
        path = self._record_path(job)
        try:
            if path.stat().st_size > MAX_RECORD_BYTES:
                return False
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        if not isinstance(record, dict) or record.get("name") != job.name:
            return False
        if record.get("fingerprint") != fingerprint:
            return False
        sizes = record.get("outputs")
        if not isinstance(sizes, dict):
            return False
        for out in job.outputs(self.out_dir):
            try:
                if out.stat().st_size != sizes.get(out.name):
                    return False
            except OSError:
                return False
        return True

    def record(self, job: BatchJob, fingerprint: str | None, outputs: Iterable[Path]) -> None:
        """Remember that ``job`` finished from ``fingerprint`` (written atomically)."""
        if fingerprint is None:
            return
        sizes = {}
        for out in outputs:
            with contextlib.suppress(OSError):
                sizes[Path(out).name] = Path(out).stat().st_size
        self.folder.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self._record_path(job), json.dumps(
            {"name": job.name, "fingerprint": fingerprint, "outputs": sizes}))

    def forget(self, job: BatchJob) -> None:
        """Drop ``job``'s record (before it runs again: a failed rerun must not look done)."""
        with contextlib.suppress(FileNotFoundError):
            self._record_path(job).unlink()
