"""Every file an avatar is made of, so that it can be copied or moved as a unit.

An avatar can be more than one file: a ``.gltf`` names external buffers and images, an
``.obj`` has material libraries, the textures they name and a folder of shape files, and any
avatar can have a ``<stem>.mapping.json`` mapping profile beside it. :func:`avatar_files`
lists them the way the loaders find them (it calls the loaders' own discovery functions), so
a copy of the listed files, laid out the same way, loads as the same avatar.

Only files inside the avatar's folder are listed: the loaders never read any others. A
referenced file that is missing, or a reference that climbs out of the folder, is skipped
(loading the avatar reports it).

Examples
--------
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "head.obj").write_text("mtllib head.mtl\\nv 0 0 0\\nv 1 0 0\\nv 0 1 0\\n"
...                                      "f 1 2 3\\n")
>>> _ = (folder / "head.mtl").write_text("newmtl skin\\nmap_Kd skin.png\\n")
>>> _ = (folder / "skin.png").write_bytes(b"png")
>>> (folder / "head_shapes").mkdir()
>>> _ = (folder / "head_shapes" / "jawOpen.obj").write_text("v 0 0 1\\nv 1 0 0\\nv 0 1 0\\n")
>>> [p.relative_to(folder.resolve()).as_posix() for p in avatar_files(folder / "head.obj")]
['head.obj', 'head.mtl', 'skin.png', 'head_shapes/jawOpen.obj']
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain
from pathlib import Path
from urllib.parse import unquote

from renderers.errors import AvatarError
from renderers.loaders.gltf_io import fail, read_document
from renderers.loaders.mapping_profile import profile_path_for
from renderers.loaders.obj_document import read_obj
from renderers.loaders.obj_mtl import inside_folder, read_materials
from renderers.loaders.obj_shapes import find_shapes_dir, list_shape_files

__all__ = ["AVATAR_FILE_SUFFIXES", "MAX_AVATAR_FILES", "avatar_files"]

MAX_AVATAR_FILES = 4096
"""Most files one avatar may be made of."""

AVATAR_FILE_SUFFIXES = (".glb", ".gltf", ".vrm", ".obj")
"""The avatar formats :func:`avatar_files` knows."""

_GLTF_SUFFIXES = (".glb", ".gltf", ".vrm")


def avatar_files(path: str | Path) -> list[Path]:
    """Every file the avatar at ``path`` is loaded from, the avatar file first.

    Parameters
    ----------
    path
        A ``.glb``, ``.gltf``, ``.vrm`` or ``.obj`` avatar file.

    Returns
    -------
    list of Path
        Absolute paths, each listed once, all inside ``path``'s folder (with links resolved:
        ``p.relative_to(Path(path).parent.resolve())`` is the layout to keep in a copy): the
        avatar file; for glTF and VRM the external buffers and images its JSON names (not
        ``data:`` URIs); for OBJ its material libraries, the textures they name and the
        shape files of its shapes folder; and the ``<stem>.mapping.json`` mapping profile
        when there is one.

    Raises
    ------
    AvatarError
        The file is missing, of an unknown format, cannot be read as its format, or is
        made of more than :data:`MAX_AVATAR_FILES` files.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in AVATAR_FILE_SUFFIXES:
        raise AvatarError(f"{p.name}: unsupported avatar format {suffix or '(none)'!r}; "
                          f"use one of {', '.join(AVATAR_FILE_SUFFIXES)}")
    if not p.is_file():
        raise AvatarError(f"avatar file not found: {p}; check the path or pick another file")
    root = p.parent.resolve()
    main = root / p.name  # the file itself may be a link: it is copied by its own name
    found: dict[Path, None] = {main: None}
    referenced = _gltf_files(main, root) if suffix in _GLTF_SUFFIXES else _obj_files(main, root)
    for candidate in chain(referenced, [profile_path_for(main)]):
        file = _inside(root, candidate)
        if file is None or file in found:
            continue
        found[file] = None
        if len(found) > MAX_AVATAR_FILES:
            raise fail(p, f"is made of more than {MAX_AVATAR_FILES} files",
                       "merge its textures and buffers, or export a single .glb")
    return list(found)


def _inside(root: Path, candidate: Path) -> Path | None:
    """``candidate`` resolved, when it is a file inside ``root``; else ``None``."""
    try:
        file = candidate.resolve()
    except (OSError, RuntimeError):  # a link loop
        return None
    return file if file.is_relative_to(root) and file.is_file() else None


def _gltf_files(main: Path, root: Path) -> Iterable[Path]:
    """The external buffer and image files a glTF document names (as its loader finds them)."""
    doc, _ = read_document(main)
    for item in chain(doc.buffers or [], doc.images or []):
        uri = getattr(item, "uri", None)
        if not isinstance(uri, str) or not uri or uri.startswith("data:"):
            continue
        rel = unquote(uri)
        if "://" in rel or rel.startswith(("/", "\\")) or (len(rel) > 1 and rel[1] == ":") \
                or "\0" in rel:
            continue  # the loaders refuse these: nothing to copy
        yield root / rel


def _obj_files(main: Path, root: Path) -> Iterable[Path]:
    """The material libraries, textures and shape files of an OBJ avatar."""
    libraries = read_obj(main).mtllibs
    for lib in libraries:  # several names may share one mtllib line, as read_materials reads
        whole = inside_folder(root, lib)
        for part in [lib] if whole is not None or " " not in lib.strip() else lib.split():
            found = inside_folder(root, part)
            if found is not None:
                yield found
    if libraries:
        for material in read_materials(main, libraries, []).values():
            for texture in (material.base_color_map, material.normal_map):
                if texture is not None:
                    yield Path(texture)
    folder = find_shapes_dir(main)
    if folder is not None:
        yield from list_shape_files(main, folder)
