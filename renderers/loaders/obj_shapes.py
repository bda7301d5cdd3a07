"""The blendshapes of an OBJ avatar: a folder with one OBJ per shape, same vertex order.

For ``head.obj`` the folder is the first of ``head_shapes/``, ``head.shapes/``, ``shapes/`` and
``blendshapes/`` beside it that exists, or one given explicitly. Every ``*.obj`` in it is one
shape named by its file stem (``jawOpen.obj``, ``eyeBlink_L.obj``, ``viseme_aa.obj``); only its
``v`` lines are read (numpy, no per-line Python), and it must have exactly as many as the
neutral. Names are matched to ARKit like glTF target names
(:mod:`renderers.loaders.target_matching`).

Examples
--------
>>> SHAPE_FOLDERS
('{stem}_shapes', '{stem}.shapes', 'shapes', 'blendshapes')
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from renderers.errors import AvatarError
from renderers.loaders.gltf_io import MAX_TARGETS, fail
from renderers.loaders.obj_document import read_obj_bytes
from renderers.loaders.obj_text import KIND_V, NumberError, line_table, numbers

__all__ = ["MAX_SHAPE_FILES", "MAX_SHAPE_VALUES", "SHAPE_FOLDERS", "find_shapes_dir",
           "list_shape_files", "no_shapes_error", "read_shape", "read_shapes"]

SHAPE_FOLDERS: tuple[str, ...] = ("{stem}_shapes", "{stem}.shapes", "shapes", "blendshapes")
"""Folders beside ``<stem>.obj`` searched for shapes, in order (the first that exists wins)."""

MAX_SHAPE_FILES = MAX_TARGETS
"""Most shape files one avatar may have (as many as a glTF mesh's morph targets)."""

MAX_SHAPE_VALUES = 40_000_000
"""Most shape vertices in all (shape files times neutral vertices), about 480 MB of deltas."""


def find_shapes_dir(obj_path: Path, shapes_dir: str | Path | None = None) -> Path | None:
    """The shapes folder of an OBJ avatar, or ``None`` when there is none.

    Parameters
    ----------
    obj_path
        The neutral ``.obj``.
    shapes_dir
        An explicit folder (must exist), or ``None`` to look beside the OBJ
        (:data:`SHAPE_FOLDERS`).

    Raises
    ------
    AvatarError
        ``shapes_dir`` was given but is not a folder.
    """
    if shapes_dir is not None:
        folder = Path(shapes_dir)
        if not folder.is_dir():
            raise AvatarError(f"shapes folder not found: {folder}; pass the folder that holds "
                              "one OBJ per blendshape")
        return folder
    for pattern in SHAPE_FOLDERS:
        folder = obj_path.parent / pattern.format(stem=obj_path.stem)
        if folder.is_dir():
            return folder
    return None


def no_shapes_error(obj_path: Path, folder: Path | None) -> AvatarError:
    """The error for an OBJ avatar without blendshapes (saying where to put them)."""
    where = f"{obj_path.stem}_shapes/" if folder is None else f"{folder.name}/"
    found = "" if folder is None else f" ({folder.name}/ has no .obj files)"
    return fail(obj_path, f"has no blendshapes{found}",
                f"put one OBJ per shape in {where} beside it (same vertices and order as "
                f"{obj_path.name}, named like jawOpen.obj or eyeBlink_L.obj)")


def list_shape_files(obj_path: Path, folder: Path) -> list[Path]:
    """The shape files in ``folder``, sorted by name (the neutral itself excluded).

    Raises
    ------
    AvatarError
        More than :data:`MAX_SHAPE_FILES` shape files.
    """
    neutral = obj_path.resolve()
    files: list[Path] = []
    for entry in folder.iterdir():
        if entry.suffix.lower() != ".obj" or entry.name.startswith("."):
            continue
        if not entry.is_file() or entry.resolve() == neutral:
            continue
        files.append(entry)
        if len(files) > MAX_SHAPE_FILES:
            raise fail(obj_path, f"shapes folder {folder.name}/ has more than "
                       f"{MAX_SHAPE_FILES} shape files",
                       f"keep at most {MAX_SHAPE_FILES} shapes (ARKit needs 52)")
    return sorted(files, key=lambda p: p.name)


def read_shape(path: Path, neutral_name: str, expected: int) -> np.ndarray:
    """Read only the ``v`` positions of a shape OBJ.

    Parameters
    ----------
    path
        The shape file.
    neutral_name
        The neutral's file name, for the message.
    expected
        The neutral's vertex count.

    Returns
    -------
    numpy.ndarray
        ``(expected, 3)`` float64 positions.

    Raises
    ------
    AvatarError
        The file is missing, too large, has other than ``expected`` vertices, or
        non-numeric or non-finite vertex data.
    """
    table = line_table(read_obj_bytes(path))
    count = int(np.count_nonzero(table.kinds == KIND_V))
    if count != expected:
        raise fail(path, f"has {count} vertices but the neutral {neutral_name} has {expected}",
                   "export every shape from the same mesh, with the same vertices and order")
    try:
        values, counts = numbers(table, KIND_V, 1)
    except NumberError as exc:
        raise fail(path, f"line {exc.line + 1}: expected numbers but found other text",
                   "re-export the shape as OBJ") from None
    if np.all(counts == 3):
        positions = values.reshape(-1, 3)
    else:
        if np.any(counts < 3):
            line = int(np.flatnonzero(table.kinds == KIND_V)[np.flatnonzero(counts < 3)[0]])
            raise fail(path, f"line {line + 1}: a vertex needs x, y and z",
                       "re-export the shape as OBJ")
        positions = values[(np.cumsum(counts) - counts)[:, None] + np.arange(3)]
    if not np.all(np.isfinite(positions)):
        raise fail(path, "has non-finite vertex positions (nan or inf)",
                   "re-export the shape as OBJ")
    return positions


def read_shapes(obj_path: Path, neutral: np.ndarray, files: list[Path]) -> list[tuple[str,
                                                                                      np.ndarray]]:
    """``(stem, (V, 3) float32 delta from the neutral)`` for every shape file, in order.

    Raises
    ------
    AvatarError
        A shape file is unusable (see :func:`read_shape`) or the shapes are too large in all.
    """
    total = len(files) * int(neutral.shape[0])
    if total > MAX_SHAPE_VALUES:
        raise fail(obj_path, f"{len(files)} shapes of {neutral.shape[0]} vertices are more "
                   f"than {MAX_SHAPE_VALUES} shape vertices in all",
                   "decimate the mesh or use fewer shapes")
    out = []
    for file in files:
        positions = read_shape(file, obj_path.name, int(neutral.shape[0]))
        out.append((file.stem, (positions - neutral).astype(np.float32)))
    return out
