"""Named presets: settings saved from the studio, used by batch lines with ``preset = NAME``.

A preset is a small JSON file, ``NAME.json``, in the user's presets folder
(:func:`presets_folder`)::

    {"format": "affect-studio-preset", "version": 1,
     "settings": {"prompt": "quietly furious", "intensity": 0.8, "head_motion": 0.5,
                  "fps": 30, "size": "1280x720", "formats": [".json", ".rhubarb.json"]}}

``settings`` takes the batch manifest's fields except ``audio``, ``name``, ``transcript``,
``transcript_file`` and ``preset`` (see :mod:`studio.batch.manifest_fields`). Relative paths
in a preset start at the presets folder; :func:`save_preset` stores them absolute.

Examples
--------
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> _ = save_preset("Calm narrator", {"prompt": "calm", "head_motion": 0.5}, folder=folder)
>>> list_presets(folder)
['Calm narrator']
>>> load_preset("Calm narrator", folder=folder)
{'prompt': 'calm', 'controls': {'head_motion': 0.5}}
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.batch.manifest_fields import (
    FIELDS,
    LINE_ONLY_FIELDS,
    ManifestError,
    field_names,
    parse_settings,
    settings_to_plain,
)
from studio.batch.manifest_files import load_json, read_text_bounded

if TYPE_CHECKING:
    from studio.session import Session

__all__ = [
    "ENV_VAR",
    "PRESET_FIELDS",
    "PresetError",
    "list_presets",
    "load_preset",
    "preset_settings",
    "presets_folder",
    "read_preset_file",
    "save_preset",
    "settings_from_session",
]

PRESET_FORMAT = "affect-studio-preset"
PRESET_VERSION = 1
MAX_PRESET_BYTES = 256 * 1024
MAX_PRESETS = 10_000
ENV_VAR = "AFFECT_STUDIO_PRESETS"
"""Environment variable naming the presets folder (overrides the default location)."""

PRESET_FIELDS: tuple[str, ...] = tuple(
    f for f in FIELDS if f not in LINE_ONLY_FIELDS and f != "preset"
)
"""Fields a preset may set."""

_NAME = re.compile(r"[\w\-(). ]{1,64}")


class PresetError(ManifestError):
    """A preset cannot be found, read or saved (the message says what to do)."""


def presets_folder() -> Path:
    """Where presets live: ``$AFFECT_STUDIO_PRESETS``, else
    ``$XDG_CONFIG_HOME/affect-studio/presets``, else ``~/.config/affect-studio/presets``."""
    explicit = os.environ.get(ENV_VAR, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME", "").strip()
    base = Path(config) if config and Path(config).is_absolute() else Path.home() / ".config"
    return base / "affect-studio" / "presets"


def check_preset_name(name: object) -> str:
    """``name`` if it is a valid preset name (1-64 letters of any script, digits, spaces and
    ``_ - . ( )``; not starting with a dot or a space, not ending with a space or a dot).

    Examples
    --------
    >>> check_preset_name("Calm (take 2)")
    'Calm (take 2)'
    >>> check_preset_name("../evil")
    Traceback (most recent call last):
    ...
    studio.batch.presets.PresetError: preset name '../evil' is not allowed; use 1-64 letters, \
digits, spaces and _ - . ( ), not starting with a dot
    """
    if (not isinstance(name, str) or not _NAME.fullmatch(name) or name[0] in ". "
            or name[-1] in ". "):
        raise PresetError(f"preset name {name!r:.80} is not allowed; use 1-64 letters, digits, "
                          "spaces and _ - . ( ), not starting with a dot")
    return name


def list_presets(folder: Path | None = None) -> list[str]:
    """The names of the saved presets, sorted (an empty list when there is no folder yet)."""
    folder = presets_folder() if folder is None else folder
    names: list[str] = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                stem, suffix = os.path.splitext(entry.name)
                if suffix == ".json" and _NAME.fullmatch(stem) and stem[0] not in ". " \
                        and entry.is_file():
                    names.append(stem)
                if len(names) >= MAX_PRESETS:
                    break
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        raise PresetError(f"cannot list the presets in {folder} ({exc.strerror or exc}; check "
                          f"the folder or set {ENV_VAR})") from None
    return sorted(names, key=lambda n: (n.casefold(), n))


def preset_settings(doc: object, where: str, base: Path) -> dict[str, Any]:
    """The canonical settings of a preset document (already parsed from JSON).

    Raises
    ------
    PresetError
        Not a preset of a version this program reads, or a bad field or value.
    """
    if not isinstance(doc, dict) or doc.get("format") != PRESET_FORMAT:
        raise PresetError(f"{where} is not an affect-studio preset; save presets from the "
                          "studio or write {\"format\": \"affect-studio-preset\", \"version\": 1, "
                          "\"settings\": {...}}")
    unknown = sorted(set(doc) - {"format", "version", "settings"})
    if unknown:
        raise PresetError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; use "
                          "format, version and settings")
    version = doc.get("version")
    if version != PRESET_VERSION or isinstance(version, bool):
        raise PresetError(f"{where} is a version {version!r:.20} preset; this program reads "
                          f"version {PRESET_VERSION} (update affect-studio or save it again)")
    raw = doc.get("settings")
    if not isinstance(raw, dict):
        raise PresetError(f"{where}: settings must be an object of fields")
    try:
        names = field_names(raw, where, PRESET_FIELDS)
        return parse_settings(dict(zip(names, raw.values(), strict=True)), base)
    except PresetError:
        raise
    except ManifestError as exc:
        raise PresetError(f"{where}: {exc}" if not str(exc).startswith(where) else str(exc)
                          ) from None


def read_preset_file(path: Path) -> dict[str, Any]:
    """The canonical settings of the preset file ``path`` (relative paths start at its folder).

    Raises
    ------
    PresetError
        Missing, unreadable, too large, not UTF-8 JSON, or not a valid preset.
    """
    try:
        doc = load_json(read_text_bounded(path, MAX_PRESET_BYTES, "preset"), path.name)
    except PresetError:
        raise
    except ManifestError as exc:
        raise PresetError(str(exc)) from None
    return preset_settings(doc, f"preset {path.name}", path.parent)


def load_preset(name: str, *, folder: Path | None = None) -> dict[str, Any]:
    """The canonical settings of the saved preset ``name``.

    Raises
    ------
    PresetError
        No such preset (the message lists the saved ones), or it cannot be read.
    """
    folder = presets_folder() if folder is None else folder
    path = folder / f"{check_preset_name(name)}.json"
    if not path.is_file():
        saved = list_presets(folder)
        shown = ", ".join(saved[:20]) + (", ..." if len(saved) > 20 else "")
        available = (f"the saved presets are: {shown}" if saved else
                     f"no presets are saved in {folder}")
        raise PresetError(f"unknown preset {name!r}; {available} (save one from the studio, "
                          f"or set {ENV_VAR} to the folder holding them)")
    return read_preset_file(path)


def save_preset(name: str, settings: Mapping[str, Any], *, folder: Path | None = None) -> Path:
    """Check ``settings`` and save them as the preset ``name`` (replacing one of that name).

    Parameters
    ----------
    name
        The preset's name (:func:`check_preset_name`).
    settings
        Field values as a manifest line would give them (:data:`PRESET_FIELDS`; the
        animation controls either as fields or under ``"controls"``). Relative paths are
        stored absolute (resolved against the current folder).
    folder
        Where to save (default: :func:`presets_folder`, created when missing).

    Returns
    -------
    Path
        The preset file, written atomically.

    Raises
    ------
    PresetError
        A bad name, field or value, or the folder cannot be written.
    """
    check_preset_name(name)
    flat = {k: v for k, v in settings.items() if k != "controls"}
    flat.update(settings.get("controls") or {})
    try:
        names = field_names(flat, f"preset {name!r}", PRESET_FIELDS)
        canonical = parse_settings(dict(zip(names, flat.values(), strict=True)),
                                   Path.cwd())
    except ManifestError as exc:
        raise PresetError(str(exc)) from None
    doc = {"format": PRESET_FORMAT, "version": PRESET_VERSION,
           "settings": settings_to_plain(canonical)}
    folder = presets_folder() if folder is None else folder
    path = folder / f"{name}.json"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as stream:
                json.dump(doc, stream, indent=2, ensure_ascii=False)
                stream.write("\n")
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise PresetError(f"cannot save preset {name!r} in {folder} ({exc.strerror or exc}; "
                          f"check the folder or set {ENV_VAR})") from None
    return path


def settings_from_session(session: Session, formats: list[str] | None = None) -> dict[str, Any]:
    """The session's settings as preset fields, for :func:`save_preset`.

    Kept: the prompt (when one prompt covers the clip; an emotion timeline belongs to its
    voice line and is left out), intensity, language, every animation control, fps, size,
    seed, the avatar file (absolute) and ``formats`` when given.
    """
    settings: dict[str, Any] = {
        "language": session.language,
        "intensity": float(session.intensity),
        **session.controls.as_dict(),
        "fps": float(session.settings.fps),
        "size": f"{session.settings.width}x{session.settings.height}",
        "seed": int(session.seed),
    }
    segments = session.emotion.segments
    if len(segments) == 1 and segments[0].start <= 0 and segments[0].end is None \
            and segments[0].prompt.strip():
        settings["prompt"] = segments[0].prompt.strip()
    if session.avatar_path:
        settings["avatar"] = str(Path(session.avatar_path).expanduser().absolute())
    if formats:
        settings["formats"] = list(formats)
    return settings
