"""Mapping profiles: per-avatar overrides of the automatic ARKit name matching.

A profile is a small JSON file, by default ``<avatar stem>.mapping.json`` beside the avatar
(``face.glb`` -> ``face.mapping.json``)::

    {"format": "affect-studio-mapping", "version": 1,
     "map": {"Smile_Left": "mouthSmileLeft", "custom_blink": "eyeBlinkLeft", "junk": null},
     "lips": "arkit"}

Each entry names a morph target exactly as the file spells it and the ARKit shape it drives,
or ``null`` to ignore the target. Targets not listed are matched automatically. The optional
``lips`` says what forms the lips of an avatar with its own viseme shapes: ``"auto"`` (the
default: its visemes when it has enough of them, see :mod:`renderers.channel_drive`),
``"arkit"`` (the ARKit shapes, visemes left still) or ``"visemes"`` (its visemes, however few,
with stand-ins for the rest). The file is
untrusted input: it is size-bounded and checked strictly, and every problem is one
:class:`~renderers.errors.AvatarError` line.

Examples
--------
>>> profile = MappingProfile({"Smile_Left": "mouthSmileLeft", "junk": None})
>>> apply_profile(["Smile_Left", "junk", "eyeBlink_L"], profile)
{'Smile_Left': 'mouthSmileLeft', 'junk': None, 'eyeBlink_L': 'eyeBlinkLeft'}
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from renderers.arkit import ARKIT_INDEX
from renderers.errors import AvatarError
from renderers.loaders.arkit_names import match_arkit_name

__all__ = ["FORMAT", "LIPS_CHOICES", "MAX_ENTRIES", "MAX_PROFILE_BYTES", "VERSION",
           "MappingProfile", "apply_profile", "load_profile", "profile_path_for",
           "resolve_profile", "save_profile"]

FORMAT = "affect-studio-mapping"
VERSION = 1
MAX_PROFILE_BYTES = 256 * 1024
"""Largest profile file accepted."""
MAX_ENTRIES = 4096
"""Most entries a profile may have."""
MAX_NAME_CHARS = 256
"""Longest target name a profile may list."""
SUFFIX = ".mapping.json"
LIPS_CHOICES: tuple[str, ...] = ("auto", "arkit", "visemes")
"""Values of a profile's ``lips``."""


@dataclass(frozen=True)
class MappingProfile:
    """Target name -> ARKit name (or ``None``: ignore the target) overrides.

    Parameters
    ----------
    map
        The overrides; copied and made read-only. Values must be ARKit-52 names or ``None``.
    source
        Where the profile was read from (for messages and reports), empty when built in code.
    lips
        What forms the lips (one of :data:`LIPS_CHOICES`).

    Raises
    ------
    AvatarError
        An entry is not a (non-empty string, ARKit name or ``None``) pair.
    """

    map: Mapping[str, str | None] = field(default_factory=dict)
    source: str = ""
    lips: str = "auto"

    def __post_init__(self) -> None:
        where = self.source or "mapping profile"
        _check_map(self.map, where)
        if self.lips not in LIPS_CHOICES:
            raise AvatarError(f"{where}: 'lips' must be one of {', '.join(LIPS_CHOICES)}, not "
                              f"{str(self.lips)[:40]!r}; fix the file")
        object.__setattr__(self, "map", MappingProxyType(dict(self.map)))

    @property
    def is_empty(self) -> bool:
        """Whether the profile changes nothing (no entry, automatic lips)."""
        return not self.map and self.lips == "auto"

    def to_json(self) -> dict[str, Any]:
        """The file's JSON object (``lips`` only when it is not ``"auto"``)."""
        out: dict[str, Any] = {"format": FORMAT, "version": VERSION, "map": dict(self.map)}
        if self.lips != "auto":
            out["lips"] = self.lips
        return out


def _check_map(entries: Any, where: str) -> None:
    if not isinstance(entries, Mapping):
        raise AvatarError(f"{where}: 'map' must be an object of target name -> ARKit name; "
                          "fix the file")
    if len(entries) > MAX_ENTRIES:
        raise AvatarError(f"{where}: {len(entries)} entries, more than the {MAX_ENTRIES} "
                          "allowed; list only the targets to override")
    for key, value in entries.items():
        if not isinstance(key, str) or not key.strip() or len(key) > MAX_NAME_CHARS \
                or not key.isprintable():
            raise AvatarError(f"{where}: target name {str(key)[:60]!r} must be a non-empty "
                              f"printable string of at most {MAX_NAME_CHARS} characters; "
                              "fix the file")
        if value is not None and (not isinstance(value, str) or value not in ARKIT_INDEX):
            shown = value[:60] if isinstance(value, str) else type(value).__name__
            raise AvatarError(f"{where}: {key[:60]!r} maps to {shown!r}, which is not an "
                              "ARKit-52 name; use a name such as 'jawOpen', or null to ignore "
                              "the target")


def profile_path_for(avatar_path: str | Path) -> Path:
    """The default profile path of an avatar: ``<stem>.mapping.json`` in the same folder."""
    p = Path(avatar_path)
    return p.with_name(p.stem + SUFFIX)


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key[:60]!r}")
        out[key] = value
    return out


def load_profile(path: str | Path) -> MappingProfile:
    """Read and validate a mapping profile file.

    Parameters
    ----------
    path
        The ``.mapping.json`` file.

    Raises
    ------
    AvatarError
        The file is missing, too large, not UTF-8 JSON, of another format or version, or has
        an invalid entry; the one-line message says what to fix.
    """
    p = Path(path)
    where = f"mapping profile {p.name}"
    if not p.is_file():
        raise AvatarError(f"mapping profile not found: {p}; check the path")
    size = p.stat().st_size
    if size > MAX_PROFILE_BYTES:
        raise AvatarError(f"{where}: file is {size} bytes, larger than the "
                          f"{MAX_PROFILE_BYTES // 1024} KiB limit; list only the targets to "
                          "override")
    try:
        raw = json.loads(p.read_bytes().decode("utf-8"), object_pairs_hook=_reject_duplicates)
    except UnicodeDecodeError:
        raise AvatarError(f"{where}: not UTF-8 text; save it as UTF-8 JSON") from None
    except json.JSONDecodeError as exc:
        raise AvatarError(f"{where}: invalid JSON ({exc.msg} at line {exc.lineno}); "
                          "fix the file") from None
    except (ValueError, RecursionError) as exc:
        raise AvatarError(f"{where}: invalid JSON ({exc}); fix the file") from None
    if not isinstance(raw, dict):
        raise AvatarError(f"{where}: expected a JSON object with 'format', 'version' and "
                          "'map'; fix the file")
    if raw.get("format") != FORMAT:
        raise AvatarError(f"{where}: 'format' must be {FORMAT!r}; this is not a mapping "
                          "profile")
    version = raw.get("version")
    if type(version) is not int or version != VERSION:
        raise AvatarError(f"{where}: version {str(version)[:20]} is not supported (expected "
                          f"{VERSION}); update affect-studio or rewrite the file")
    unknown = sorted(set(raw) - {"format", "version", "map", "lips"})
    if unknown:
        raise AvatarError(f"{where}: unknown key(s) {', '.join(k[:40] for k in unknown[:5])}; "
                          "a profile has only 'format', 'version', 'map' and 'lips'")
    if "map" not in raw:
        raise AvatarError(f"{where}: 'map' is missing; add the target name -> ARKit name "
                          "object")
    lips = raw.get("lips", "auto")
    if not isinstance(lips, str):
        raise AvatarError(f"{where}: 'lips' must be one of {', '.join(LIPS_CHOICES)}; "
                          "fix the file")
    return MappingProfile(raw["map"], source=str(p), lips=lips)


def save_profile(profile: MappingProfile, path: str | Path) -> Path:
    """Write a profile atomically (a temporary file in the same folder, then a rename).

    Returns
    -------
    Path
        The written file.
    """
    p = Path(path)
    text = json.dumps(profile.to_json(), indent=2, ensure_ascii=False) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p


def apply_profile(source_names: Iterable[str],
                  profile: MappingProfile | None) -> dict[str, str | None]:
    """The ARKit name each target drives directly: the profile's entry, else the automatic match.

    Parameters
    ----------
    source_names
        Morph-target names as found in the avatar.
    profile
        Overrides, or ``None`` for automatic matching only.

    Returns
    -------
    dict
        Target name -> ARKit name, or ``None`` (ignored, or not an ARKit name by itself:
        one-sided halves and other names the loader keeps under their own names).
    """
    overrides = profile.map if profile is not None else {}
    return {name: overrides[name] if name in overrides else match_arkit_name(name)
            for name in source_names}


def resolve_profile(avatar_path: str | Path,
                    profile: MappingProfile | str | Path | None) -> MappingProfile | None:
    """The profile to use for an avatar.

    Parameters
    ----------
    avatar_path
        The avatar file.
    profile
        A profile, a profile file to read, or ``None`` to use ``<stem>.mapping.json`` beside
        the avatar when that file exists (pass ``MappingProfile()`` for automatic matching
        only).

    Raises
    ------
    AvatarError
        The given or found profile file is invalid.
    """
    if isinstance(profile, MappingProfile):
        return profile
    if profile is not None:
        return load_profile(profile)
    sibling = profile_path_for(avatar_path)
    return load_profile(sibling) if sibling.is_file() else None
