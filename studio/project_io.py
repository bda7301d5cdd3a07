"""Read and write ``.affect.json`` project files.

Project files are untrusted input: the file size, the number of segments and the transcript
length are bounded, every field is type-checked, and stored paths must be relative to the
project file's folder without leaving it. Writes go to a temporary file renamed on success.
Older schema versions are upgraded by the functions in :data:`MIGRATIONS`.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from generators.controls import AnimationControls, control_range
from generators.emotion.parse import MAX_PROMPT_LENGTH
from generators.language import AUTO, LANGUAGES
from generators.rig.visemes import VISEMES
from generators.take import VisemeSegment
from generators.viseme_edit import MAX_SEGMENTS as MAX_VISEMES
from generators.viseme_edit import VisemeEditError, validate_timeline
from studio.errors import ExportError, ProjectError
from studio.exporters.text_output import write_text_atomic
from studio.project_schema import (
    CURRENT_VERSION,
    FORMAT_NAME,
    TALKING_HEAD_GUIDANCE,
    TALKING_HEAD_SIDE_STEP,
    TALKING_HEAD_STEPS,
    TALKING_HEAD_STRENGTH,
    Project,
    ProjectLipSync,
    ProjectSegment,
    ProjectTalkingHead,
)

__all__ = [
    "MAX_CONTROLS",
    "MAX_FILE_BYTES",
    "MAX_SEGMENTS",
    "MAX_TRANSCRIPT_BYTES",
    "MAX_VISEMES",
    "MIGRATIONS",
    "PROJECT_SUFFIX",
    "load_project",
    "migrate",
    "project_from_dict",
    "project_to_dict",
    "save_project",
]

PROJECT_SUFFIX = ".affect.json"
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_SEGMENTS = 10_000
MAX_TRANSCRIPT_BYTES = 256 * 1024
MAX_CONTROLS = 32
MAX_PATH_CHARS = 4096
MAX_SIDE = 4096
MAX_SEED = 2**63 - 1
_GENERATOR_NAME = re.compile(r"[a-z][a-z0-9_\-]{0,63}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_DRIVE = re.compile(r"[A-Za-z]:")

Json = dict[str, Any]

MIGRATIONS: dict[int, Callable[[Json], Json]] = {}
"""``MIGRATIONS[n]`` upgrades the parsed JSON of a version-``n`` file to version ``n + 1``.

Version 1 is the first; when version 2 changes the layout, add ``MIGRATIONS[1] = _v1_to_v2``
and raise :data:`~studio.project_schema.CURRENT_VERSION`.
"""


def migrate(data: Json, version: int) -> Json:
    """Upgrade parsed project JSON from ``version`` to the current version.

    Raises
    ------
    ProjectError
        If no migration path exists from ``version``.
    """
    while version < CURRENT_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise ProjectError(
                f"project version {version} is no longer supported "
                f"(open it in an older Affect Studio and save it again)"
            )
        data = step(data)
        version += 1
    data["version"] = CURRENT_VERSION
    return data


# --------------------------------------------------------------------------- writing


def _relative(path: Path, folder: Path, role: str) -> str:
    """``path`` relative to ``folder`` in POSIX form, or a :class:`ProjectError`."""
    target = Path(os.path.abspath(path))
    base = Path(os.path.abspath(folder))
    try:
        rel = target.relative_to(base)
    except ValueError:
        try:  # the same place reached through a symbolic link
            rel = target.resolve().relative_to(base.resolve())
        except ValueError:
            raise ProjectError(
                f"{role} file {target} is outside the project folder {base} "
                f"(copy it into that folder, or save the project next to it)"
            ) from None
    return rel.as_posix()


def _stored(path: Path, folder: Path, role: str, absolute: bool) -> str:
    if absolute:
        return Path(os.path.abspath(path)).as_posix()
    return _relative(path, folder, role)


def project_to_dict(project: Project, folder: Path, *, absolute_paths: bool = False) -> Json:
    """The JSON object of ``project`` saved in ``folder``.

    Paths are made relative to ``folder``; ``absolute_paths=True`` keeps them absolute
    instead, which only the studio's own crash-recovery files use.
    """
    return {
        "format": FORMAT_NAME,
        "version": CURRENT_VERSION,
        "audio": None
        if project.audio_path is None
        else _stored(project.audio_path, folder, "audio", absolute_paths),
        "transcript": project.transcript,
        "language": project.language,
        "emotion": [
            {"start": s.start, "end": s.end, "prompt": s.prompt, "intensity": s.intensity}
            | ({} if s.speed is None else {"speed": s.speed})
            for s in project.segments
        ],
        "intensity": project.intensity,
        "seed": project.seed,
        "generator": project.generator,
        "render": {"fps": project.fps, "width": project.width, "height": project.height},
        "avatar": None
        if project.avatar_path is None
        else _stored(project.avatar_path, folder, "avatar", absolute_paths),
        "controls": dict(project.controls),
        "lipSync": None if project.lip_sync is None else _lip_sync_to_dict(project.lip_sync),
        "talkingHead": None
        if project.talking_head is None
        else _talking_head_to_dict(project.talking_head, folder, absolute_paths),
    }


def _lip_sync_to_dict(lip_sync: ProjectLipSync) -> Json:
    return {
        "audioSha256": lip_sync.audio_sha256,
        "visemes": [{"viseme": v.viseme, "start": v.start, "end": v.end} for v in lip_sync.visemes],
    }


def _talking_head_to_dict(settings: ProjectTalkingHead, folder: Path, absolute: bool) -> Json:
    reference = settings.reference_path
    return {
        "enabled": settings.enabled,
        "reference": None
        if reference is None
        else _stored(reference, folder, "reference portrait", absolute),
        "steps": settings.steps,
        "guidance": settings.guidance,
        "strength": settings.strength,
        "size": settings.size,
    }


def save_project(project: Project, path: str | Path) -> Path:
    """Write ``project`` to ``path`` atomically; return the path written.

    The file is indented, UTF-8 JSON with sorted keys; paths are stored relative to the
    project file's folder with ``/`` separators, so the folder can be moved with its media.
    The project is validated exactly as :func:`load_project` would validate it, so a saved
    file always loads.

    Raises
    ------
    ProjectError
        If a referenced file lies outside the project folder, a field is invalid, or the
        file cannot be written. On failure an existing file at ``path`` is left intact.
    """
    dest = Path(path)
    folder = Path(os.path.abspath(dest.parent if str(dest.parent) else "."))
    data = project_to_dict(project, folder)
    project_from_dict(json.loads(json.dumps(data)), folder)  # refuse to write what won't load
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
    try:
        return write_text_atomic(dest, text + "\n")
    except ExportError as exc:  # folder missing or not writable, disk full...
        raise ProjectError(f"cannot save project {dest.name}: {exc}") from None


# --------------------------------------------------------------------------- reading


def _reject_constant(name: str) -> Any:
    raise ProjectError(f"{name} is not a valid number in a project file (use a finite number)")


def read_json(p: Path) -> Any:
    try:
        with open(p, "rb") as fh:
            if os.fstat(fh.fileno()).st_size > MAX_FILE_BYTES:
                raise ProjectError(_too_big(p))
            raw = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ProjectError(f"project file not found: {p} (check the path)") from None
    except IsADirectoryError:
        raise ProjectError(f"not a file: {p} (choose an {PROJECT_SUFFIX} file)") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ProjectError(f"cannot read project file {p} ({reason})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ProjectError(_too_big(p))
    try:
        return json.loads(raw.decode("utf-8-sig"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise ProjectError(f"project file {p.name} is not UTF-8 text (choose an "
                           f"{PROJECT_SUFFIX} file)") from None
    except json.JSONDecodeError as exc:
        raise ProjectError(
            f"project file {p.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}); choose an {PROJECT_SUFFIX} file"
        ) from None
    except (ValueError, RecursionError):  # absurdly long integers, absurdly deep nesting
        raise ProjectError(
            f"project file {p.name} is not a valid project (numbers too long or nesting too "
            f"deep); choose an {PROJECT_SUFFIX} file"
        ) from None


def _too_big(p: Path) -> str:
    return (f"project file {p.name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB "
            f"(not an Affect Studio project?)")


def _number(value: Any, what: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProjectError(f"{what} must be a number, got {type(value).__name__}")
    v = float(value)
    if not (math.isfinite(v) and lo <= v <= hi):
        raise ProjectError(f"{what} must be between {lo:g} and {hi:g}, got {value!r}")
    return v


def _integer(value: Any, what: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProjectError(f"{what} must be a whole number, got {value!r:.40}")
    if not lo <= value <= hi:
        raise ProjectError(f"{what} must be between {lo} and {hi}, got {value}")
    return value


def _object(value: Any, what: str) -> Json:
    if not isinstance(value, dict):
        raise ProjectError(f"{what} must be a JSON object, got {type(value).__name__}")
    return value


def _path(value: Any, folder: Path, role: str, absolute: bool = False) -> Path | None:
    """Resolve a stored relative path, refusing absolute paths and escapes with ``..``.

    With ``absolute=True`` (the studio's own recovery files) an absolute path is required.
    """
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ProjectError(f"{role} path must be a non-empty string or null, got {value!r:.40}")
    if len(value) > MAX_PATH_CHARS or "\x00" in value:
        raise ProjectError(f"{role} path is not a valid file name (relink the {role} file)")
    if "\\" in value:
        raise ProjectError(
            f"{role} path {value!r:.80} uses '\\' separators; project paths use '/' "
            f"(relink the {role} file and save again)"
        )
    pure = PurePosixPath(value)
    if absolute:
        if not pure.is_absolute() or ".." in pure.parts:
            raise ProjectError(f"{role} path {value!r:.80} in a recovery file must be absolute")
        return Path(value)
    if pure.is_absolute() or _DRIVE.match(value):
        raise ProjectError(
            f"{role} path {value!r:.80} is absolute; project paths must be relative to the "
            f"project file (relink the {role} file and save again)"
        )
    if ".." in pure.parts:
        raise ProjectError(
            f"{role} path {value!r:.80} leaves the project folder with '..'; keep media inside "
            f"the project folder (relink the {role} file and save again)"
        )
    return folder.joinpath(*pure.parts)


def _segment(item: Any, i: int) -> ProjectSegment:
    what = f"emotion segment {i}"
    seg = _object(item, what)
    start = _number(seg.get("start", 0.0), f"{what} start", 0.0, 1e7)
    end_raw = seg.get("end")
    end = None if end_raw is None else _number(end_raw, f"{what} end", 0.0, 1e7)
    if end is not None and end <= start:
        raise ProjectError(f"{what} must end after it starts (start {start:g}, end {end:g})")
    prompt = seg.get("prompt")
    if not isinstance(prompt, str):
        raise ProjectError(f"{what} needs a text \"prompt\", got {prompt!r:.40}")
    if len(prompt) > MAX_PROMPT_LENGTH:
        raise ProjectError(f"{what} prompt is longer than {MAX_PROMPT_LENGTH} characters")
    inten_raw = seg.get("intensity")
    inten = None if inten_raw is None else _number(inten_raw, f"{what} intensity", 0.0, 1.0)
    speed_raw = seg.get("speed")
    speed = None if speed_raw is None else _number(speed_raw, f"{what} speed", 0.01, 100.0)
    return ProjectSegment(start, end, prompt, inten, speed)


def _controls(value: Any) -> dict[str, float]:
    if value is None:
        return {}
    obj = _object(value, "controls")
    if len(obj) > MAX_CONTROLS:
        raise ProjectError(f"controls has more than {MAX_CONTROLS} entries")
    known = AnimationControls.names()
    out: dict[str, float] = {}
    for name, v in obj.items():
        if name not in known:
            raise ProjectError(
                f"unknown animation control {name!r:.40} (known: {', '.join(known)})"
            )
        out[name] = _number(v, f"control {name}", *control_range(name))
    return out


def _lip_sync(value: Any) -> ProjectLipSync | None:
    """The hand-corrected viseme timeline, checked as untrusted input (bounded count)."""
    if value is None:
        return None
    obj = _object(value, "lipSync")
    sha = obj.get("audioSha256")
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
        raise ProjectError(
            f'lipSync needs the "audioSha256" of its voice line (64 lower-case hex digits), '
            f"got {sha!r:.40}"
        )
    items = obj.get("visemes")
    if not isinstance(items, list) or not items:
        raise ProjectError(
            "lipSync visemes must be a non-empty list of {viseme, start, end} segments"
        )
    if len(items) > MAX_VISEMES:
        raise ProjectError(f"lipSync has {len(items)} visemes, more than the {MAX_VISEMES} allowed")
    segments = []
    for i, item in enumerate(items):
        what = f"lipSync viseme {i}"
        seg = _object(item, what)
        label = seg.get("viseme")
        if not isinstance(label, str) or label not in VISEMES:
            raise ProjectError(
                f"{what} is {label!r:.40}, not a viseme (use one of: {' '.join(VISEMES)})"
            )
        start = _number(seg.get("start"), f"{what} start", 0.0, 1e7)
        end = _number(seg.get("end"), f"{what} end", 0.0, 1e7)
        segments.append(VisemeSegment(label, start, end))
    try:
        timeline = validate_timeline(segments, max(s.end for s in segments))
    except VisemeEditError as exc:
        raise ProjectError(f"lipSync: {exc}") from None
    return ProjectLipSync(sha, timeline)


def _talking_head(value: Any, folder: Path, absolute: bool) -> ProjectTalkingHead | None:
    """The generator switch and talking-head settings (absent keys take the defaults)."""
    if value is None:
        return None
    obj = _object(value, "talkingHead")
    default = ProjectTalkingHead()
    enabled = obj.get("enabled", default.enabled)
    if not isinstance(enabled, bool):
        raise ProjectError(f"talkingHead enabled must be true or false, got {enabled!r:.40}")
    step = TALKING_HEAD_SIDE_STEP
    size = _integer(obj.get("size", default.size), "talkingHead size", step, MAX_SIDE)
    if size % step:
        raise ProjectError(f"talkingHead size must be a multiple of {step} pixels, got {size}")
    return ProjectTalkingHead(
        enabled=enabled,
        reference_path=_path(obj.get("reference"), folder, "reference portrait", absolute),
        steps=_integer(obj.get("steps", default.steps), "talkingHead steps",
                       *TALKING_HEAD_STEPS),
        guidance=_number(obj.get("guidance", default.guidance), "talkingHead guidance",
                         *TALKING_HEAD_GUIDANCE),
        strength=_number(obj.get("strength", default.strength), "talkingHead strength",
                         *TALKING_HEAD_STRENGTH),
        size=size,
    )


def project_from_dict(data: Any, folder: Path, *, absolute_paths: bool = False) -> Project:
    """Validate parsed project JSON and build a :class:`Project`, resolving paths in ``folder``.

    ``absolute_paths=True`` reads the studio's own recovery files, whose paths are absolute.

    Raises
    ------
    ProjectError
        With a one-line message naming the first problem found.
    """
    if not isinstance(data, dict):
        raise ProjectError(
            f"not an Affect Studio project (expected a JSON object, got "
            f"{type(data).__name__}); choose an {PROJECT_SUFFIX} file"
        )
    obj: Json = data
    if obj.get("format") != FORMAT_NAME:
        raise ProjectError(
            f"not an Affect Studio project (\"format\" is {obj.get('format')!r:.40}, expected "
            f"{FORMAT_NAME!r}); choose an {PROJECT_SUFFIX} file"
        )
    version = _integer(obj.get("version"), "project version", 1, 2**31)
    if version > CURRENT_VERSION:
        raise ProjectError(
            f"this project was saved by a newer Affect Studio (version {version}); update "
            f"Affect Studio to open it (this one reads up to version {CURRENT_VERSION})"
        )
    obj = migrate(dict(obj), version)

    transcript = obj.get("transcript")
    if transcript is not None:
        if not isinstance(transcript, str):
            raise ProjectError(f"transcript must be text or null, got {type(transcript).__name__}")
        if len(transcript.encode("utf-8")) > MAX_TRANSCRIPT_BYTES:
            raise ProjectError(
                f"transcript is longer than {MAX_TRANSCRIPT_BYTES // 1024} KiB (split the line)"
            )
    language = obj.get("language", AUTO)
    if not isinstance(language, str) or language not in LANGUAGES:
        raise ProjectError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r:.40}")
    items = obj.get("emotion", [])
    if not isinstance(items, list):
        raise ProjectError(f"emotion must be a list of segments, got {type(items).__name__}")
    if len(items) > MAX_SEGMENTS:
        raise ProjectError(
            f"emotion has {len(items)} segments, more than the {MAX_SEGMENTS} allowed"
        )
    segments = sorted((_segment(item, i) for i, item in enumerate(items)), key=lambda s: s.start)

    render = _object(obj.get("render", {}), "render")
    width = _integer(render.get("width", 1280), "render width", 16, MAX_SIDE)
    height = _integer(render.get("height", 720), "render height", 16, MAX_SIDE)
    if width % 2 or height % 2:
        raise ProjectError(f"render size must be even on both sides, got {width}x{height}")
    generator = obj.get("generator", "rig")
    if not isinstance(generator, str) or not _GENERATOR_NAME.fullmatch(generator):
        raise ProjectError(f"generator must be a generator name such as 'rig', got "
                           f"{generator!r:.40}")
    return Project(
        version=CURRENT_VERSION,
        audio_path=_path(obj.get("audio"), folder, "audio", absolute_paths),
        transcript=transcript,
        language=language,
        segments=segments,
        intensity=_number(obj.get("intensity", 1.0), "intensity", 0.0, 1.0),
        seed=_integer(obj.get("seed", 0), "seed", -MAX_SEED, MAX_SEED),
        generator=generator,
        fps=_number(render.get("fps", 30.0), "render fps", 1.0, 240.0),
        width=width,
        height=height,
        avatar_path=_path(obj.get("avatar"), folder, "avatar", absolute_paths),
        controls=_controls(obj.get("controls")),
        lip_sync=_lip_sync(obj.get("lipSync")),
        talking_head=_talking_head(obj.get("talkingHead"), folder, absolute_paths),
    )


def load_project(path: str | Path) -> Project:
    """Read a project file, validating it as untrusted input.

    Referenced files that are missing do not make loading fail: see
    :meth:`Project.missing_files`, so the user can relink them.

    Raises
    ------
    ProjectError
        If the file is missing, too large, not JSON, not a project, from a newer version,
        has a malformed field, or stores an absolute path or one leaving its folder.
    """
    p = Path(path)
    data = read_json(p)
    folder = Path(os.path.abspath(p.parent if str(p.parent) else "."))
    try:
        return project_from_dict(data, folder)
    except ProjectError as exc:
        raise ProjectError(f"project {p.name}: {exc}") from None
