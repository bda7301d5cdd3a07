"""A batch from a manifest file or a folder of clips: the jobs to run and the lines that are bad.

:func:`read_batch` turns a manifest (``.csv``, ``.json``, ``.toml``) or a folder into a
:class:`BatchPlan`. A line whose values are wrong (missing audio, a bad number, an unknown
preset, a duplicate name...) becomes a :class:`LineProblem` with its reason, so the batch
reports it as a failed job and goes on; a file that cannot be used at all (unreadable, bad
syntax, unknown field names, no ``audio`` column, too large) raises a one-line
:class:`~studio.batch.manifest_fields.ManifestError`.

Each line's settings are layered, lowest first:

1. built-in defaults (:class:`~studio.render_spec.RenderSpec`'s; formats ``.json`` and
   ``.rhubarb.json``);
2. the defaults file (``--defaults FILE``, or in folder mode the folder's own
   :data:`DEFAULTS_FILE_NAMES`), a preset it names beneath its own values;
3. the manifest's own defaults (JSON ``"defaults"``, TOML ``[defaults]``), likewise;
4. the preset the line names;
5. the line's own values.

Relative paths start at the folder of the file that holds them (a manifest line: the
manifest's folder; folder mode: the folder); absolute paths, ``~`` and ``..`` are allowed, as
the manifest is the user's own. Only transcript sidecars are read here (at most 256 KiB of
UTF-8); the audio and the other referenced files are only checked to exist, so a missing one
fails its line early.

Examples
--------
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "hello.wav").write_bytes(b"RIFF")
>>> _ = (folder / "hello.txt").write_text("hello there", encoding="utf-8")
>>> plan = read_batch(folder)
>>> [(job.name, job.spec.transcript, job.formats) for job in plan.jobs]
[('hello', 'hello there', ('.json', '.rhubarb.json'))]
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.batch.job import BatchJob
from studio.batch.manifest_fields import (
    ManifestError,
    check_stem,
    merge_settings,
    parse_settings,
)
from studio.batch.manifest_files import (
    MAX_LINES,
    RawLine,
    defaults_values,
    read_defaults_document,
    read_manifest,
    read_text_bounded,
)
from studio.batch.presets import load_preset, preset_settings
from studio.render_spec import RenderSpec
from studio.talking_head_video import TalkingHeadRequest

__all__ = [
    "AUDIO_SUFFIXES",
    "DEFAULTS_FILE_NAMES",
    "DEFAULT_FORMATS",
    "BatchPlan",
    "LineProblem",
    "ManifestError",
    "read_batch",
]

AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".m4a")
"""Audio files taken in folder mode (any case)."""

DEFAULTS_FILE_NAMES = ("batch.toml", "batch.json", "defaults.toml", "defaults.json")
"""The defaults file folder mode uses when the folder holds one (at most one of them)."""

DEFAULT_FORMATS: tuple[str, ...] = (".json", ".rhubarb.json")
"""Outputs of a line that names no formats."""

MAX_TRANSCRIPT_BYTES = 256 * 1024
"""Largest transcript sidecar read."""

_SPEC_FIELDS = ("transcript", "language", "prompt", "emotion_track", "visemes", "intensity",
                "controls", "avatar", "fps", "size", "seed")
_FILES = (("emotion_track", "emotion track"), ("visemes", "viseme file"), ("avatar", "avatar"),
          ("reference", "reference portrait"), ("models", "talking-head models config"))
TALKING_HEAD_SIZE = (512, 512)
"""Frame size of a talking-head line that gives none (the model's native size)."""


@dataclass(frozen=True)
class LineProblem:
    """A line that cannot become a job.

    Parameters
    ----------
    name
        The line's output name when known (its ``name``, else its audio's stem), else ``""``.
    source
        Where the line is (``"lines.csv line 12"``, ``"clips/intro.wav"``).
    reason
        One line saying what is wrong and what to fix.
    """

    name: str
    source: str
    reason: str


@dataclass
class BatchPlan:
    """What a manifest or folder asks for.

    Parameters
    ----------
    jobs
        The good lines, in the manifest's order.
    problems
        The bad lines, in the manifest's order (the runner reports them as failed jobs).
    source
        The manifest file or folder read.
    defaults_file
        The defaults file used, if any.
    """

    jobs: list[BatchJob] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)
    source: Path | None = None
    defaults_file: Path | None = None


def read_batch(source: Path, *, defaults: Path | None = None) -> BatchPlan:
    """Read a manifest file or a folder of audio files into a :class:`BatchPlan`.

    Parameters
    ----------
    source
        A ``.csv``, ``.json`` or ``.toml`` manifest, or a folder (folder mode: every audio
        file in it, not recursive, sorted by name, with its same-named ``.txt`` transcript).
    defaults
        A defaults file (``.json`` or ``.toml`` of fields, or a saved preset); in folder mode
        it replaces the folder's own defaults file.

    Raises
    ------
    ManifestError
        The manifest, folder or defaults file cannot be used at all.
    """
    source = Path(source)
    presets = _Presets()
    if source.is_dir():
        if defaults is None:
            defaults = _folder_defaults_file(source)
        lines, manifest_defaults, base = _folder_lines(source), {}, source
    elif source.is_file():
        raw = read_manifest(source)
        lines, manifest_defaults, base = raw.lines, raw.defaults, source.parent
    else:
        raise ManifestError(f"manifest or folder not found: {source} (check the path)")
    settings: dict[str, Any] = {}
    if defaults is not None:
        settings = _layer(settings, _read_defaults(Path(defaults)), presets,
                          f"defaults file {Path(defaults).name}")
    if manifest_defaults:
        where = f"{source.name} defaults"
        settings = _layer(settings, _parse(manifest_defaults, base, where), presets, where)
    plan = BatchPlan(source=source, defaults_file=None if defaults is None else Path(defaults))
    seen: dict[str, BatchJob] = {}
    for line in lines:
        try:
            if line.error:
                raise ManifestError(line.error)
            line_settings = _layer(settings, parse_settings(line.values, base), presets, "")
            job = _job(line_settings, line.where)
        except ManifestError as exc:
            plan.problems.append(LineProblem(_name_of(line), line.where, str(exc)))
            continue
        other = seen.get(job.name.casefold())
        if other is not None:
            spelled = "" if other.name == job.name else f" (as {other.name!r})"
            plan.problems.append(LineProblem(job.name, line.where, (
                f"name {job.name!r} is also used by {other.source}{spelled}; give each line its "
                "own name (names differing only in case clash on some drives)")))
            continue
        seen[job.name.casefold()] = job
        plan.jobs.append(job)
    return plan


# -- layers ------------------------------------------------------------------------------------


class _Presets:
    """Named presets, each read once per batch."""

    def __init__(self) -> None:
        self._cache: dict[str, dict[str, Any] | ManifestError] = {}

    def get(self, name: str) -> dict[str, Any]:
        if name not in self._cache:
            try:
                self._cache[name] = load_preset(name)
            except ManifestError as exc:
                self._cache[name] = exc
        found = self._cache[name]
        if isinstance(found, ManifestError):
            raise found
        return found


def _parse(raw: dict[str, object], base: Path, where: str) -> dict[str, Any]:
    try:
        return parse_settings(raw, base)
    except ManifestError as exc:
        raise ManifestError(f"{where}: {exc}") from None


def _layer(lower: dict[str, Any], layer: dict[str, Any], presets: _Presets,
           where: str) -> dict[str, Any]:
    """``lower`` with ``layer`` on top, the preset ``layer`` names between them."""
    if "preset" in layer:
        try:
            lower = merge_settings(lower, presets.get(layer["preset"]))
        except ManifestError as exc:
            raise ManifestError(f"{where}: {exc}" if where else str(exc)) from None
    return merge_settings(lower, {k: v for k, v in layer.items() if k != "preset"})


def _read_defaults(path: Path) -> dict[str, Any]:
    doc, kind = read_defaults_document(path)
    if kind == "preset":
        return preset_settings(doc, f"defaults file {path.name}", path.parent)
    where = f"defaults file {path.name}"
    return _parse(defaults_values(doc, where), path.parent, where)


def _folder_defaults_file(folder: Path) -> Path | None:
    found = [folder / name for name in DEFAULTS_FILE_NAMES if (folder / name).is_file()]
    if len(found) > 1:
        raise ManifestError(f"{folder.name} holds several defaults files "
                            f"({', '.join(p.name for p in found)}); keep one")
    return found[0] if found else None


def _folder_lines(folder: Path) -> list[RawLine]:
    names: list[str] = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith(".") or \
                        os.path.splitext(entry.name)[1].lower() not in AUDIO_SUFFIXES:
                    continue
                if entry.is_file():
                    names.append(entry.name)
                    if len(names) > MAX_LINES:
                        raise ManifestError(f"{folder.name} holds more than {MAX_LINES:,} "
                                            "audio files; split them into several folders")
    except OSError as exc:
        raise ManifestError(f"cannot list the folder {folder} ({exc.strerror or exc}; check "
                            "its permissions)") from None
    names.sort(key=lambda n: (n.casefold(), n))
    return [RawLine(f"{folder.name}/{name}", {"audio": name}) for name in names]


# -- one job -----------------------------------------------------------------------------------


def _name_of(line: RawLine) -> str:
    name = line.values.get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()[:200]
    audio = line.values.get("audio")
    return Path(audio.strip()).stem[:200] if isinstance(audio, str) else ""


def read_transcript_file(path: Path) -> str:
    """The text of a transcript sidecar (UTF-8, at most 256 KiB, not empty).

    Raises
    ------
    ManifestError
        Missing, unreadable, too large, not UTF-8 or empty.
    """
    text = read_text_bounded(path, MAX_TRANSCRIPT_BYTES, "transcript file").strip()
    if not text:
        raise ManifestError(f"transcript file is empty: {path} (write the words spoken in it, "
                            "or remove it to recognise them from the audio)")
    return text


def _transcript(settings: dict[str, Any], audio: Path) -> str | None:
    if "transcript" in settings:
        return str(settings["transcript"])
    if "transcript_file" in settings:
        sidecar: Path | None = settings["transcript_file"]  # None: "none", no transcript
        return None if sidecar is None else read_transcript_file(sidecar)
    beside = audio.with_suffix(".txt")
    return read_transcript_file(beside) if beside.is_file() else None


def _talking_head(settings: dict[str, Any], values: dict[str, Any]) -> TalkingHeadRequest:
    """The talking-head request of a line whose generator is ``talking-head``."""
    if not any(suffix == ".mp4" for suffix in settings.get("formats", DEFAULT_FORMATS)):
        raise ManifestError("generator talking-head makes the .mp4 video; add mp4 to the "
                            "line's formats (or set generator to rig)")
    chosen = {k: settings[k] for k in ("steps", "guidance", "strength", "ip_adapter_scale",
                                       "low_memory") if k in settings}
    if "frame_batch" in settings:
        chosen["batch_size"] = settings["frame_batch"]
    return TalkingHeadRequest(reference=settings.get("reference"), config=settings.get("models"),
                              seed=values.get("seed", 0), size=values["size"],
                              fps=values.get("fps", 30.0), **chosen)


def _job(settings: dict[str, Any], where: str) -> BatchJob:
    audio: Path | None = settings.get("audio")
    if audio is None:
        raise ManifestError("no audio; give the voice line's file in the audio field")
    if not audio.is_file():
        raise ManifestError(f"audio file not found: {audio} (check the path; relative paths "
                            "start at the manifest's folder)")
    name = settings.get("name")
    if name is None:
        try:
            name = check_stem(audio.stem)
        except ManifestError as exc:
            raise ManifestError(f"{exc} (it comes from the audio's file name; give the line a "
                                "name)") from None
    for key, what in _FILES:
        path: Path | None = settings.get(key)
        if path is not None and not path.is_file():
            raise ManifestError(f"{what} not found: {path} (check the path)")
    values: dict[str, Any] = {k: settings[k] for k in _SPEC_FIELDS if k in settings}
    values["transcript"] = _transcript(settings, audio)
    if settings.get("generator") == "talking-head":
        values.setdefault("size", TALKING_HEAD_SIZE)
        values["talking_head"] = _talking_head(settings, values)
    return BatchJob(name, RenderSpec(audio, **values), settings.get("formats", DEFAULT_FORMATS),
                    where)

