"""List an OBJ avatar's shape names without loading its geometry (the OBJ side of
:func:`renderers.loaders.gltf_targets.mesh_targets`, for reports and mapping editors).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from renderers.loaders.gltf_targets import MeshTargets
from renderers.loaders.obj_document import read_obj_bytes
from renderers.loaders.obj_shapes import find_shapes_dir, list_shape_files, no_shapes_error
from renderers.loaders.obj_text import KIND_V, line_table

__all__ = ["obj_mesh_targets"]


def obj_mesh_targets(path: str | Path, shapes_dir: str | Path | None = None) -> list[MeshTargets]:
    """One entry for the OBJ: its file stem, ``v`` count and shape names (file stems, sorted).

    Parameters
    ----------
    path
        The neutral ``.obj``.
    shapes_dir
        The shapes folder, or ``None`` to find it beside the OBJ as the loader does.

    Raises
    ------
    AvatarError
        The OBJ is missing or too large, or it has no shapes folder or shape files.
    """
    p = Path(path)
    vertices = int(np.count_nonzero(line_table(read_obj_bytes(p)).kinds == KIND_V))
    folder = find_shapes_dir(p, shapes_dir)
    files = list_shape_files(p, folder) if folder is not None else []
    if not files:
        raise no_shapes_error(p, folder)
    return [MeshTargets(p.stem, vertices, tuple(f.stem for f in files))]
