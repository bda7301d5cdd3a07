"""The settings a batch line, a defaults file or a preset may give, and how each is checked.

Every source (CSV header, JSON object, TOML table, preset) uses the same field names; a value is
turned into its *canonical* form here (numbers as numbers, paths resolved against the folder of
the file that holds them, formats as suffixes) or refused with a one-line :class:`ManifestError`
saying what to fix. Empty values (an empty CSV cell, JSON ``null``) mean "not given".

Examples
--------
>>> s = parse_settings({"intensity": "0.5", "formats": "json csv", "head_motion": 0},
...                    Path("/clips"))
>>> s["intensity"], s["formats"], s["controls"]
(0.5, ('.json', '.csv'), {'head_motion': 0.0})
>>> parse_settings({"intensity": "loud"}, Path("."))
Traceback (most recent call last):
...
studio.batch.manifest_fields.ManifestError: intensity must be a number between 0 and 1, got 'loud'
>>> field_names(["Audio", "follow-voice"], "lines.csv")
['audio', 'follow_voice']
"""

from __future__ import annotations

import contextlib
import difflib
import math
import os
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from generators.controls import AnimationControls, control_range
from generators.errors import PromptError
from generators.language import LANGUAGES
from studio.errors import StudioError

__all__ = [
    "CONTROL_FIELDS",
    "FIELDS",
    "LINE_ONLY_FIELDS",
    "TALKING_HEAD_FIELDS",
    "ManifestError",
    "check_stem",
    "field_names",
    "merge_settings",
    "parse_settings",
    "settings_to_plain",
]


class ManifestError(StudioError):
    """A manifest, defaults file or preset that cannot be used (or one bad value in it)."""


MAX_VALUE_CHARS = 4096
"""Longest value of a field (a path, a prompt...), in characters."""

MAX_INLINE_TRANSCRIPT_CHARS = 64 * 1024
"""Longest transcript given inline (longer ones go in a ``transcript_file``)."""

MAX_PROMPT_CHARS = 500
"""Longest emotion prompt (the prompt parser's own limit)."""

MAX_NAME_CHARS = 200
"""Longest output name (file systems allow 255 bytes for the name with its suffix)."""

MAX_FORMATS = 16
"""Most output formats one line may ask for."""

FPS_RANGE = (1.0, 240.0)
SIDE_RANGE = (16, 4096)
MAX_SEED = 2**32 - 1

CONTROL_FIELDS: tuple[str, ...] = AnimationControls.names()
"""The animation controls, each a field of its own (``head_motion``, ``follow_voice``...)."""

LINE_ONLY_FIELDS: tuple[str, ...] = ("audio", "name", "transcript", "transcript_file")
"""Fields that belong to one voice line and cannot be defaults or preset settings."""

TALKING_HEAD_FIELDS: tuple[str, ...] = ("generator", "reference", "models", "steps", "guidance",
                                        "strength", "ip_adapter_scale", "frame_batch",
                                        "low_memory")
"""The generator (``rig`` or ``talking-head``) and the talking-head generator's settings (used
only by lines whose generator is ``talking-head``)."""

GENERATORS = ("rig", "talking-head")
STEPS_RANGE = (1, 200)
GUIDANCE_RANGE = (0.0, 30.0)
STRENGTH_RANGE = (0.01, 1.0)
IP_ADAPTER_SCALE_RANGE = (0.0, 2.0)
FRAME_BATCH_RANGE = (1, 64)

FIELDS: tuple[str, ...] = (
    *LINE_ONLY_FIELDS,
    "language", "prompt", "emotion_track", "visemes", "intensity", *CONTROL_FIELDS,
    "avatar", "formats", "fps", "size", "seed", "preset", *TALKING_HEAD_FIELDS,
)
"""Every field name, in documentation order."""

_PATH_FIELDS = ("audio", "transcript_file", "emotion_track", "visemes", "avatar", "reference",
                "models")
_EXCLUSIVE = (("prompt", "emotion_track"), ("transcript", "transcript_file"))
_UNSAFE_STEM_CHARS = set('/\\:*?"<>|')
NO_TRANSCRIPT = "none"
"""``transcript_file`` value meaning: no transcript, do not look for a ``.txt`` sidecar."""


def _canonical_key(key: str) -> str:
    return key.strip().lower().replace("-", "_").replace(" ", "_")


def field_names(keys: Iterable[object], where: str,
                allowed: Iterable[str] = FIELDS) -> list[str]:
    """The canonical field names of ``keys`` (case, ``-`` and spaces are forgiven).

    Raises
    ------
    ManifestError
        A name is not a field (with a close match when there is one), or one is given twice.
    """
    allowed = tuple(allowed)
    names: list[str] = []
    unknown: list[str] = []
    for key in keys:
        if not isinstance(key, str):
            raise ManifestError(f"{where}: field names must be text, got {key!r:.40}")
        name = _canonical_key(key)
        if name in names:
            raise ManifestError(f"{where}: field {name!r} is given twice; keep one")
        if name not in allowed:
            unknown.append(key)
        names.append(name)
    if unknown:
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(_canonical_key(key), FIELDS, n=1)
            misplaced = _canonical_key(key) in FIELDS
            hints.append(f"{key!r:.60}" + (" (not allowed here)" if misplaced else
                                           f" (did you mean {close[0]!r}?)" if close else ""))
        raise ManifestError(f"{where}: unknown field(s) {', '.join(hints)}; "
                            f"the fields are: {', '.join(allowed)}")
    return names


def check_stem(name: str) -> str:
    """``name`` if it is a safe output file stem, else a :class:`ManifestError` saying why.

    Examples
    --------
    >>> check_stem("scene1_line2")
    'scene1_line2'
    >>> check_stem("../x")
    Traceback (most recent call last):
    ...
    studio.batch.manifest_fields.ManifestError: name '../x' must not contain / \\ : * ? " < > |; \
give a plain file name without folders
    """
    if not name or not name.strip():
        raise ManifestError("name is empty; give the output file name (without suffix)")
    if len(name) > MAX_NAME_CHARS:
        raise ManifestError(f"name is {len(name)} characters long; keep it under "
                            f"{MAX_NAME_CHARS}")
    if _UNSAFE_STEM_CHARS & set(name):
        raise ManifestError(f"name {name!r} must not contain / \\ : * ? \" < > |; give a plain "
                            "file name without folders")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ManifestError(f"name {name!r} contains control characters; use printable ones")
    if name.startswith("."):
        raise ManifestError(f"name {name!r} must not start with a dot (hidden file); rename it")
    if name != name.strip() or name.endswith("."):
        raise ManifestError(f"name {name!r} must not start or end with a space or end with a "
                            "dot; trim it")
    return name


# -- value parsers ----------------------------------------------------------------------------


def _text(name: str, value: object, limit: int = MAX_VALUE_CHARS) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ManifestError(f"{name} must be text, got {type(value).__name__}")
    text = str(value)
    if len(text) > limit:
        raise ManifestError(f"{name} is {len(text)} characters long; keep it under {limit}")
    if "\x00" in text:
        raise ManifestError(f"{name} contains a NUL character; remove it")
    return text.strip()


def _number(name: str, value: object, low: float, high: float) -> float:
    number = math.nan
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str) and len(value) <= 64:
        with contextlib.suppress(ValueError):
            number = float(value.strip())
    if not (math.isfinite(number) and low <= number <= high):
        shown = value if isinstance(value, int | float) and not isinstance(value, bool) else \
            f"{value!r:.40}" if isinstance(value, str) else type(value).__name__
        raise ManifestError(f"{name} must be a number between {low:g} and {high:g}, got {shown}")
    return number


def _frame_batch(value: object) -> int | None:
    """``auto`` (``None``: as many frames as the GPU holds) or a whole number of frames."""
    if isinstance(value, str) and value.strip().lower() == "auto":
        return None
    try:
        return _whole("frame_batch", value, *FRAME_BATCH_RANGE)
    except ManifestError:
        low, high = FRAME_BATCH_RANGE
        raise ManifestError(f"frame_batch must be auto or a whole number between {low} and "
                            f"{high}, got {value!r:.40}") from None


def _whole(name: str, value: object, low: int, high: int) -> int:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().lstrip("+-").isdigit() and len(value) <= 32:
        number = int(value.strip())
    if number is None or not low <= number <= high:
        raise ManifestError(f"{name} must be a whole number between {low} and {high}, "
                            f"got {value!r:.40}")
    return number


def _path(name: str, value: object, base: Path) -> Path:
    text = _text(name, value)
    path = Path(os.path.expanduser(text))
    return path if path.is_absolute() else base / path


def _size(value: object) -> tuple[int, int]:
    low, high = SIDE_RANGE
    parts: list[object]
    if isinstance(value, list | tuple):
        parts = list(value)
    elif isinstance(value, str) and len(value) <= 32:
        parts = value.strip().lower().replace("×", "x").split("x")
    else:
        parts = []
    if len(parts) != 2:
        raise ManifestError(f"size must be WIDTHxHEIGHT such as 1280x720, got {value!r:.40}")
    w, h = (_whole("size", p, low, high) for p in parts)
    if w % 2 or h % 2:
        raise ManifestError(f"size must be even on both sides (for H.264), got {w}x{h}")
    return w, h


@lru_cache(maxsize=1)
def _known_formats() -> tuple[str, ...]:
    from studio.exporters.base import supported_extensions

    return tuple(supported_extensions())


def _formats(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        if len(value) > MAX_VALUE_CHARS:
            raise ManifestError(f"formats is {len(value)} characters long; list a few suffixes")
        tokens: list[object] = value.replace(",", " ").replace(";", " ").split()
    elif isinstance(value, list | tuple):
        tokens = list(value)
    else:
        raise ManifestError(f"formats must be a list of suffixes such as 'json csv "
                            f"rhubarb.json', got {type(value).__name__}")
    if len(tokens) > MAX_FORMATS:
        raise ManifestError(f"formats lists {len(tokens)} suffixes; give at most {MAX_FORMATS}")
    known = _known_formats()
    found: list[str] = []
    for token in tokens:
        if not isinstance(token, str) or len(token) > 32:
            raise ManifestError(f"formats must be suffixes such as .json, got {token!r:.40}")
        suffix = "." + token.strip().lower().lstrip("*").lstrip(".")
        if suffix not in known:
            raise ManifestError(f"unknown output format {token.strip()!r} (use one of: "
                                f"{', '.join(known)})")
        if suffix not in found:
            found.append(suffix)
    if not found:
        raise ManifestError("formats is empty; list the output suffixes, e.g. 'json rhubarb.json'")
    return tuple(found)


def _control(name: str, value: object) -> float:
    low, high = control_range(name)
    number = _number(name, value, low, high)
    try:
        AnimationControls(**{name: number})  # the class's own checks stay the reference
    except PromptError as exc:
        raise ManifestError(str(exc)) from None
    return number


def _language(value: object) -> str:
    text = _text("language", value).lower()
    if text not in LANGUAGES:
        raise ManifestError(f"language must be {', '.join(LANGUAGES)}, got {value!r:.40}")
    return text


def _flag(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = value.strip().lower() if isinstance(value, str) else ""
    if text in ("true", "yes", "1", "on"):
        return True
    if text in ("false", "no", "0", "off"):
        return False
    raise ManifestError(f"{name} must be true or false, got {value!r:.40}")


def _generator(value: object) -> str:
    text = _text("generator", value).lower().replace("_", "-").replace(" ", "-")
    if text not in GENERATORS:
        raise ManifestError(f"generator must be {' or '.join(GENERATORS)}, got {value!r:.40}")
    return text


def _parse_value(name: str, value: object, base: Path) -> Any:
    if name in _PATH_FIELDS:
        if name == "transcript_file" and isinstance(value, str) \
                and value.strip().lower() == NO_TRANSCRIPT:
            return None
        return _path(name, value, base)
    if name == "name":
        return check_stem(_text(name, value))
    if name == "transcript":
        return _text(name, value, MAX_INLINE_TRANSCRIPT_CHARS)
    if name == "prompt":
        return _text(name, value, MAX_PROMPT_CHARS)
    if name == "preset":
        return _text(name, value, 200)
    if name == "language":
        return _language(value)
    if name == "intensity":
        return _number(name, value, 0.0, 1.0)
    if name == "fps":
        return _number(name, value, *FPS_RANGE)
    if name == "seed":
        return _whole(name, value, 0, MAX_SEED)
    if name == "size":
        return _size(value)
    if name == "formats":
        return _formats(value)
    if name == "generator":
        return _generator(value)
    if name == "steps":
        return _whole(name, value, *STEPS_RANGE)
    if name == "guidance":
        return _number(name, value, *GUIDANCE_RANGE)
    if name == "strength":
        return _number(name, value, *STRENGTH_RANGE)
    if name == "ip_adapter_scale":
        return _number(name, value, *IP_ADAPTER_SCALE_RANGE)
    if name == "frame_batch":
        return _frame_batch(value)
    if name == "low_memory":
        return _flag(name, value)
    return _control(name, value)


def _given(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def parse_settings(raw: Mapping[str, object], base: Path) -> dict[str, Any]:
    """Check ``raw`` (canonical field names to values) and return the canonical settings.

    Parameters
    ----------
    raw
        Field values as read (text from CSV, typed from JSON/TOML); empty ones are skipped.
    base
        The folder relative paths are resolved against (the folder of the file holding them).

    Returns
    -------
    dict
        Field name to canonical value; the animation controls under ``"controls"`` as
        ``{name: value}``. ``transcript_file`` is ``None`` when given as ``none``.

    Raises
    ------
    ManifestError
        The first bad value, unknown field, or both fields of ``prompt``/``emotion_track``
        (or ``transcript``/``transcript_file``) given together.
    """
    unknown = [k for k in raw if k not in FIELDS]
    if unknown:
        raise ManifestError(f"unknown field(s) {', '.join(map(repr, unknown))}; "
                            f"the fields are: {', '.join(FIELDS)}")
    settings: dict[str, Any] = {}
    controls: dict[str, float] = {}
    for name, value in raw.items():
        if not _given(value):
            continue
        parsed = _parse_value(name, value, base)
        if name in CONTROL_FIELDS:
            controls[name] = parsed
        else:
            settings[name] = parsed
    for first, second in _EXCLUSIVE:
        if first in settings and second in settings:
            raise ManifestError(f"give {first} or {second}, not both")
    if controls:
        settings["controls"] = controls
    return settings


def merge_settings(lower: Mapping[str, Any], upper: Mapping[str, Any]) -> dict[str, Any]:
    """``lower`` overridden by ``upper``: per field, per control; a prompt replaces an inherited
    emotion track (and the other way round), a transcript an inherited transcript file.

    Examples
    --------
    >>> merge_settings({"prompt": "calm", "fps": 25.0}, {"emotion_track": "t.txt"})
    {'fps': 25.0, 'emotion_track': 't.txt'}
    """
    merged = dict(lower)
    for name, value in upper.items():
        if name == "controls":
            merged["controls"] = {**merged.get("controls", {}), **value}
            continue
        for pair in _EXCLUSIVE:
            if name in pair:
                merged.pop(pair[1 - pair.index(name)], None)
        merged[name] = value
    return merged


def settings_to_plain(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical settings as JSON-ready values (paths as text, size as ``WxH``, each control
    as its own field), the form presets are stored in.

    Examples
    --------
    >>> settings_to_plain({"size": (640, 360), "controls": {"head_motion": 0.5}})
    {'size': '640x360', 'head_motion': 0.5}
    """
    plain: dict[str, Any] = {}
    for name, value in settings.items():
        if name == "controls":
            plain.update(value)
        elif name == "size":
            plain[name] = f"{value[0]}x{value[1]}"
        elif name == "formats":
            plain[name] = list(value)
        elif isinstance(value, Path):
            plain[name] = str(value)
        elif name == "frame_batch" and value is None:
            plain[name] = "auto"  # null would be skipped on loading, and a default win
        else:
            plain[name] = value
    return plain
