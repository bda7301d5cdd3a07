"""Read Wavefront MTL material libraries for OBJ avatars, keeping every path inside the folder.

Read: ``newmtl``, ``Kd`` (diffuse colour), ``d`` / ``Tr`` (opacity), ``Ns`` (shininess, turned
into roughness), ``map_Kd`` (base colour texture) and ``norm`` / ``map_Bump`` / ``bump``
(tangent-space normal map; ``-bm`` sets its strength). Other statements are skipped.

Paths (``mtllib`` names and texture maps) are untrusted. A path that is absolute or climbs
out of the OBJ's folder (``..``, or a link pointing elsewhere) is never opened: the file of the
same name directly in the OBJ's folder is used instead when there is one (DCC tools often
write the author's absolute paths), otherwise the reference is ignored. A missing or
unreadable material library or texture is not an error either: the avatar loads with plain
colours, and a line in the loader's notes (:attr:`~renderers.avatar.Avatar.notes`) says what
was left out.

Examples
--------
>>> mats = parse_mtl("newmtl skin\\nKd 0.8 0.6 0.5\\nNs 50\\nmap_Kd -s 1 1 1 tex/skin.png\\n")
>>> mats["skin"].diffuse, mats["skin"].base_color_map
((0.8, 0.6, 0.5), 'tex/skin.png')
>>> round(mats["skin"].roughness, 3)
0.196
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from renderers.avatar import Texture
from renderers.errors import AvatarError
from renderers.loaders.image_decode import decode_texture

__all__ = ["MAX_MATERIALS", "MAX_MTL_BYTES", "ObjMaterial", "decode_map", "inside_folder",
           "parse_mtl", "read_materials"]

MAX_MTL_BYTES = 4 * 1024 * 1024
"""Largest material library read; a larger one is skipped (with a note)."""

MAX_MATERIALS = 4096
"""Most materials read from one library; the rest are ignored."""

_OPTION_ARGS = {"-blendu": 1, "-blendv": 1, "-boost": 1, "-mm": 2, "-o": 3, "-s": 3, "-t": 3,
                "-texres": 1, "-clamp": 1, "-bm": 1, "-imfchan": 1, "-type": 1, "-cc": 1}
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


@dataclass(frozen=True)
class ObjMaterial:
    """One MTL material.

    Attributes
    ----------
    name
        The ``newmtl`` name.
    diffuse
        ``Kd`` colour (0..1).
    alpha
        Opacity from ``d`` (or ``1 - Tr``).
    roughness
        From ``Ns``: ``sqrt(2 / (Ns + 2))``; ``None`` when the material has no ``Ns``.
    base_color_map, normal_map
        Texture paths as written (relative to the library's folder), or ``None``.
    normal_scale
        The normal map's ``-bm`` strength.
    """

    name: str
    diffuse: tuple[float, float, float] = (0.8, 0.8, 0.8)
    alpha: float = 1.0
    roughness: float | None = None
    base_color_map: str | None = None
    normal_map: str | None = None
    normal_scale: float = 1.0


def _floats(args: list[str], count: int) -> list[float] | None:
    try:
        values = [float(a) for a in args[:count]]
    except ValueError:
        return None
    if len(values) < count or not all(math.isfinite(v) for v in values):
        return None
    return values


def _map_args(args: list[str]) -> tuple[str | None, float]:
    """The file name of a ``map_*`` statement (after its options) and its ``-bm`` value."""
    k, scale = 0, 1.0
    while k < len(args) and args[k].lower() in _OPTION_ARGS:
        option, n = args[k].lower(), _OPTION_ARGS[args[k].lower()]
        if option == "-bm":
            got = _floats(args[k + 1:k + 2], 1)
            scale = got[0] if got else scale
        k += 1
        while n and k < len(args):  # "-s 1 1" may omit trailing numbers
            if _floats(args[k:k + 1], 1) is None and n < _OPTION_ARGS[option]:
                break
            k += 1
            n -= 1
    name = " ".join(args[k:]).strip()
    return (name or None), scale


def parse_mtl(text: str) -> dict[str, ObjMaterial]:
    """Parse MTL text into materials by name (the first of a repeated name wins)."""
    out: dict[str, ObjMaterial] = {}
    current: ObjMaterial | None = None

    def keep() -> None:
        if current is not None and current.name not in out and len(out) < MAX_MATERIALS:
            out[current.name] = current

    for raw in text.splitlines():
        parts = raw.strip().split()
        if not parts or parts[0].startswith("#"):
            continue
        key, args = parts[0], parts[1:]
        low = key.lower()
        if low == "newmtl":
            keep()
            current = ObjMaterial(name=raw.strip()[len(key):].strip())
            continue
        if current is None:
            continue
        if low == "kd" and (rgb := _floats(args, 3)) is not None:
            r, g, b = (min(max(c, 0.0), 1.0) for c in rgb)
            current = replace(current, diffuse=(r, g, b))
        elif low == "d" and (d := _floats(args, 1)) is not None:
            current = replace(current, alpha=min(max(d[0], 0.0), 1.0))
        elif low == "tr" and (tr := _floats(args, 1)) is not None:
            current = replace(current, alpha=min(max(1.0 - tr[0], 0.0), 1.0))
        elif low == "ns" and (ns := _floats(args, 1)) is not None:
            current = replace(current, roughness=math.sqrt(2.0 / (max(ns[0], 0.0) + 2.0)))
        elif low == "map_kd":
            current = replace(current, base_color_map=_map_args(args)[0])
        elif low in ("norm", "map_bump", "bump"):
            name, scale = _map_args(args)
            current = replace(current, normal_map=name, normal_scale=scale)
    keep()
    return out


def inside_folder(folder: Path, reference: str) -> Path | None:
    """The file a path written in an OBJ/MTL file names, kept inside ``folder``.

    Parameters
    ----------
    folder
        The OBJ's folder.
    reference
        The path as written (``/`` or ``\\`` separated, relative or absolute).

    Returns
    -------
    Path or None
        The file when it exists inside ``folder`` (after resolving links); else the file of the
        same name directly in ``folder`` when the reference was absolute or outside; else
        ``None``.

    Examples
    --------
    >>> inside_folder(Path("."), "../../etc/passwd") is None
    True
    """
    text = reference.strip().strip('"').replace("\\", "/")
    if not text or "\0" in text:
        return None
    root = folder.resolve()
    pure = PurePosixPath(text)
    if not pure.is_absolute() and not _WINDOWS_DRIVE.match(text):
        candidate = (root / pure).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            return candidate
    name = pure.name
    if not name or name in (".", ".."):
        return None
    fallback = (root / name).resolve()
    return fallback if fallback.is_relative_to(root) and fallback.is_file() else None


def read_materials(obj_path: Path, libraries: list[str],
                   notes: list[str]) -> dict[str, ObjMaterial]:
    """Read the OBJ's material libraries (found inside its folder).

    Texture paths in the result are resolved files inside the OBJ's folder (as strings), or
    ``None`` when a map is missing or outside the folder. What is skipped is appended to
    ``notes``, one line each.
    """
    folder = obj_path.parent
    found: dict[str, ObjMaterial] = {}
    for lib in libraries:
        path = inside_folder(folder, lib)
        parts = [lib] if path is not None or " " not in lib.strip() else lib.split()
        for part in parts:  # several names on one mtllib line
            found = {**_read_library(obj_path, part, notes), **found}
    return found


def _read_library(obj_path: Path, lib: str, notes: list[str]) -> dict[str, ObjMaterial]:
    path = inside_folder(obj_path.parent, lib)
    if path is None:
        notes.append(f"{obj_path.name}: material library {lib!r} is missing or outside the "
                     "avatar's folder; ignored (put it beside the OBJ)")
        return {}
    if path.stat().st_size > MAX_MTL_BYTES:
        notes.append(f"{obj_path.name}: material library {path.name} is larger than "
                     f"{MAX_MTL_BYTES // 2**20} MB; ignored")
        return {}
    materials = parse_mtl(path.read_bytes().decode("utf-8", errors="replace"))
    return {name: replace(mat,
                          base_color_map=_texture(obj_path, path.parent, mat.base_color_map,
                                                  notes),
                          normal_map=_texture(obj_path, path.parent, mat.normal_map, notes))
            for name, mat in materials.items()}


def _texture(obj_path: Path, folder: Path, reference: str | None,
             notes: list[str]) -> str | None:
    if reference is None:
        return None
    found = inside_folder(folder, reference)
    if found is None or not found.is_relative_to(obj_path.parent.resolve()):
        notes.append(f"{obj_path.name}: texture {reference!r} is missing or outside the "
                     "avatar's folder; ignored (copy it beside the OBJ)")
        return None
    return str(found)


def decode_map(file: str | None, *, srgb: bool, notes: list[str]) -> Texture | None:
    """Decode a texture file found by :func:`read_materials`.

    Returns ``None`` (with a line in ``notes``) when the file cannot be read or decoded (only
    PNG and JPEG are).
    """
    if file is None:
        return None
    path = Path(file)
    try:
        return decode_texture(path.read_bytes(), name=path.name, srgb=srgb)
    except (AvatarError, OSError) as exc:
        line = f"{exc}; the avatar loads without this texture"
        if line not in notes:
            notes.append(line)
        return None
