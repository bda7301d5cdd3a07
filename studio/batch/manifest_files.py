"""Reading manifest and defaults files (CSV, JSON, TOML) into raw lines, with bounds.

This module checks the *shape* of a file (size, encoding, syntax, field names); the values are
checked per line by :mod:`studio.batch.manifest_fields`. Anything that makes the whole file
unusable raises a one-line :class:`~studio.batch.manifest_fields.ManifestError`.

Examples
--------
>>> import tempfile
>>> path = Path(tempfile.mkdtemp()) / "lines.csv"
>>> _ = path.write_text("audio,Intensity\\na.wav,0.5\\n\\nb.wav,\\n", encoding="utf-8")
>>> [(line.where, line.values) for line in read_manifest(path).lines]
[('lines.csv line 2', {'audio': 'a.wav', 'intensity': '0.5'}), \
('lines.csv line 4', {'audio': 'b.wav', 'intensity': ''})]
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.batch.manifest_fields import FIELDS, LINE_ONLY_FIELDS, ManifestError, field_names

__all__ = [
    "DEFAULTS_FIELDS",
    "RawLine",
    "RawManifest",
    "defaults_values",
    "load_json",
    "load_toml",
    "read_defaults_document",
    "read_manifest",
    "read_text_bounded",
]

MAX_MANIFEST_BYTES = 64 * 1024 * 1024
"""Largest manifest file read."""

MAX_LINES = 1_000_000
"""Most lines (jobs) one manifest or folder may hold."""

MAX_DEFAULTS_BYTES = 1024 * 1024
"""Largest defaults file read."""

SUFFIXES = (".csv", ".json", ".toml")
"""The manifest formats, by file suffix."""

DEFAULTS_FIELDS: tuple[str, ...] = tuple(f for f in FIELDS if f not in LINE_ONLY_FIELDS)
"""Fields a defaults file (or a manifest's defaults) may give."""


@dataclass(frozen=True)
class RawLine:
    """One line as read: where it is, its values by canonical field name, and a shape error
    that makes this line alone unusable (empty when none)."""

    where: str
    values: dict[str, object]
    error: str = ""


@dataclass(frozen=True)
class RawManifest:
    """A manifest file as read: its lines and the defaults it carries (raw values)."""

    lines: list[RawLine]
    defaults: dict[str, object] = field(default_factory=dict)


def read_text_bounded(path: Path, limit: int, what: str) -> str:
    """The UTF-8 text of ``path`` (a byte-order mark is dropped), at most ``limit`` bytes.

    Raises
    ------
    ManifestError
        It is missing, not a file, unreadable, too large or not UTF-8.
    """
    if not path.is_file():
        raise ManifestError(f"{what} not found: {path} (check the path)")
    try:
        with path.open("rb") as stream:
            data = stream.read(limit + 1)
    except OSError as exc:
        raise ManifestError(f"cannot read {what} {path} ({exc.strerror or exc}; check its "
                            "permissions)") from None
    if len(data) > limit:
        raise ManifestError(f"{what} {path.name} is larger than {_size(limit)}; split it into "
                            "smaller files")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ManifestError(f"{what} {path.name} is not UTF-8 text; save it as UTF-8") from None


def _size(limit: int) -> str:
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if limit >= scale:
            return f"{limit / scale:g} {unit}"
    return f"{limit} bytes"


def _check_count(count: int, name: str) -> None:
    if count > MAX_LINES:
        raise ManifestError(f"{name} has more than {MAX_LINES:,} lines; split it into "
                            "several batches")


def read_manifest(path: Path) -> RawManifest:
    """Read a manifest file (``.csv``, ``.json`` or ``.toml``).

    Raises
    ------
    ManifestError
        Unknown suffix, unreadable, not UTF-8, too large or too many lines, bad syntax, wrong
        shape, unknown field names, or (CSV) no ``audio`` column.
    """
    readers: dict[str, Callable[[str, str], RawManifest]] = {
        ".csv": _read_csv, ".json": _read_json, ".toml": _read_toml,
    }
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise ManifestError(f"cannot read {path.name} as a manifest; use a .csv, .json or "
                            ".toml file, or a folder of audio files")
    text = read_text_bounded(path, MAX_MANIFEST_BYTES, "manifest")
    return reader(text, path.name)


# -- CSV ----------------------------------------------------------------------------------------


def _delimiter(text: str) -> str:
    header = text.lstrip("\r\n").split("\n", 1)[0]
    for candidate in (",", ";", "\t"):
        if candidate in header:
            return candidate
    return ","


def _read_csv(text: str, name: str) -> RawManifest:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    lines: list[RawLine] = []
    header: list[str] | None = None
    keep: list[int] = []
    width = line_no = 0
    try:
        for row in reader:
            start, line_no = line_no + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                keep = [i for i, cell in enumerate(row) if cell.strip()]
                header = field_names([row[i] for i in keep], f"{name} header")
                if "audio" not in header:
                    raise ManifestError(f"{name} has no 'audio' column; its first row must name "
                                        "the columns, e.g. audio,name,prompt")
                width = len(row)
                continue
            where = f"{name} line {start}"
            _check_count(len(lines) + 1, name)
            extra = [i for i, cell in enumerate(row) if cell.strip()
                     and (i >= width or i not in keep)]
            values = {header[k]: row[i] for k, i in enumerate(keep) if i < len(row)}
            error = (f"has a value in column {extra[0] + 1}, which the header does not name; "
                     "quote values that contain the separator" if extra else "")
            lines.append(RawLine(where, values, error))
    except csv.Error as exc:
        raise ManifestError(f"{name} line {reader.line_num}: {exc}; fix the CSV") from None
    if header is None:
        raise ManifestError(f"{name} is empty; write a header row (e.g. audio,name,prompt) and "
                            "one row per voice line")
    return RawManifest(lines)


# -- JSON and TOML --------------------------------------------------------------------------------


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ManifestError(f"key {key!r:.60} appears twice in one object; keep one")
        result[key] = value
    return result


def load_json(text: str, name: str) -> Any:
    """Parse JSON text (duplicate keys refused), with one-line errors naming ``name``."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except RecursionError:
        raise ManifestError(f"{name} is nested too deeply; write a list of objects") from None
    except ManifestError as exc:
        raise ManifestError(f"{name}: {exc}") from None
    except ValueError as exc:
        where = (f" (line {exc.lineno} column {exc.colno}: {exc.msg})"
                 if isinstance(exc, json.JSONDecodeError) else "")
        raise ManifestError(f"{name} is not valid JSON{where}; fix the file") from None


def load_toml(text: str, name: str) -> dict[str, Any]:
    """Parse TOML text (``tomllib``, or ``tomli`` on Python 3.10), with one-line errors."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ModuleNotFoundError:
            raise ManifestError(f"reading {name} needs Python 3.11 or the tomli package "
                                "(pip install tomli); or write the manifest as CSV or JSON"
                                ) from None
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise ManifestError(f"{name} is nested too deeply; fix the file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{name} is not valid TOML ({exc}); fix the file") from None


def _table(value: object, where: str, allowed: tuple[str, ...]) -> dict[str, object]:
    if not isinstance(value, dict):
        raise ManifestError(f"{where} must be a table of fields, got {type(value).__name__}")
    names = field_names(value, where, allowed)
    return dict(zip(names, value.values(), strict=True))


def _lines(jobs: object, name: str, key: str) -> list[RawLine]:
    if not isinstance(jobs, list):
        raise ManifestError(f"{name}: {key} must be a list of jobs, got {type(jobs).__name__}")
    _check_count(len(jobs), name)
    return [RawLine(f"{name} job {i}", _table(job, f"{name} job {i}", FIELDS))
            for i, job in enumerate(jobs, 1)]


def _read_json(text: str, name: str) -> RawManifest:
    doc = load_json(text, name)
    if isinstance(doc, list):
        return RawManifest(_lines(doc, name, "the list"))
    if not isinstance(doc, dict):
        raise ManifestError(f"{name} must hold a list of jobs or {{\"defaults\": {{...}}, "
                            f"\"jobs\": [...]}}, got {type(doc).__name__}")
    _top_keys(doc, name, ("defaults", "jobs"))
    if "jobs" not in doc:
        raise ManifestError(f"{name} has no \"jobs\" list; add one object per voice line")
    defaults = _table(doc.get("defaults", {}), f"{name} defaults", DEFAULTS_FIELDS)
    return RawManifest(_lines(doc["jobs"], name, "\"jobs\""), defaults)


def _read_toml(text: str, name: str) -> RawManifest:
    doc = load_toml(text, name)
    _top_keys(doc, name, ("defaults", "job"))
    if "job" not in doc:
        raise ManifestError(f"{name} has no [[job]] tables; add one per voice line")
    defaults = _table(doc.get("defaults", {}), f"{name} [defaults]", DEFAULTS_FIELDS)
    return RawManifest(_lines(doc["job"], name, "[[job]]"), defaults)


def _top_keys(doc: dict[str, Any], name: str, allowed: tuple[str, ...]) -> None:
    unknown = [key for key in doc if key not in allowed]
    if unknown:
        raise ManifestError(f"{name}: unknown top-level key(s) "
                            f"{', '.join(repr(k)[:60] for k in unknown)}; use "
                            f"{' and '.join(allowed)}")


def read_defaults_document(path: Path) -> tuple[dict[str, Any], str]:
    """The document of a defaults file (``.json`` or ``.toml``) and its kind.

    Returns
    -------
    (dict, str)
        The parsed top-level object and ``"preset"`` when it is a preset file (its
        ``format`` is ``affect-studio-preset``), else ``"defaults"``.

    Raises
    ------
    ManifestError
        Unknown suffix, unreadable, too large, not UTF-8, bad syntax or not an object.
    """
    suffix = path.suffix.lower()
    if suffix not in (".json", ".toml"):
        raise ManifestError(f"cannot read {path.name} as a defaults file; use a .json or .toml "
                            "file")
    text = read_text_bounded(path, MAX_DEFAULTS_BYTES, "defaults file")
    doc = load_json(text, path.name) if suffix == ".json" else load_toml(text, path.name)
    if not isinstance(doc, dict):
        raise ManifestError(f"{path.name} must hold an object of settings, got "
                            f"{type(doc).__name__}")
    kind = "preset" if doc.get("format") == "affect-studio-preset" else "defaults"
    return doc, kind


def defaults_values(doc: dict[str, Any], where: str) -> dict[str, object]:
    """The fields of a defaults document, by canonical name (line-only fields refused)."""
    return _table(doc, where, DEFAULTS_FIELDS)
