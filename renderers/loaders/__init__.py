"""Avatar loaders: glTF/GLB (and VRM, which is glTF), OBJ with a shapes folder, plus ARKit
name matching.

Examples
--------
>>> avatar = default_avatar()
>>> len(avatar.missing_arkit_shapes)
0
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from renderers.avatar import Avatar
from renderers.errors import AvatarError
from renderers.loaders.arkit_names import match_arkit_name
from renderers.loaders.gltf import load_gltf
from renderers.loaders.gltf_targets import MeshTargets, mesh_targets
from renderers.loaders.mapping_profile import MappingProfile
from renderers.loaders.obj import load_obj
from renderers.loaders.obj_targets import obj_mesh_targets

__all__ = ["AvatarError", "avatar_targets", "default_avatar", "default_avatar_path",
           "load_avatar", "match_arkit_name"]

_GLTF_SUFFIXES = {".glb", ".gltf", ".vrm"}


def load_avatar(path: str | Path, profile: MappingProfile | str | Path | None = None, *,
                shapes_dir: str | Path | None = None) -> Avatar:
    """Load an avatar file.

    Parameters
    ----------
    path
        A ``.glb``, ``.gltf`` or ``.vrm`` file with a face mesh (ideally with ARKit-named
        morph targets), or a neutral ``.obj`` with a folder of one ``.obj`` per blendshape
        (see :func:`~renderers.loaders.obj.load_obj`).
    profile
        Mapping profile overriding the automatic ARKit matching (a profile or its file);
        ``None`` uses ``<stem>.mapping.json`` beside the avatar when it exists.
    shapes_dir
        For ``.obj`` only: the shapes folder; ``None`` looks for ``<stem>_shapes/``,
        ``<stem>.shapes/``, ``shapes/`` or ``blendshapes/`` beside the OBJ.

    Raises
    ------
    AvatarError
        The file is missing, of an unsupported kind, or unusable, or the profile is invalid;
        the message says what to do.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".obj":
        return load_obj(p, profile, shapes_dir=shapes_dir)
    if suffix not in _GLTF_SUFFIXES:
        raise AvatarError(f"{p.name}: unsupported avatar format {suffix or '(none)'!r}; "
                          "export the avatar as glTF 2.0 (.glb or .gltf) or as OBJ with a "
                          "shapes folder")
    if shapes_dir is not None:
        raise AvatarError(f"{p.name}: a shapes folder applies only to .obj avatars; "
                          "leave it out for glTF files")
    return load_gltf(p, profile)


def avatar_targets(path: str | Path) -> list[MeshTargets]:
    """Each mesh's morph-target names in an avatar file, without loading its geometry.

    For reports and mapping editors: glTF/VRM targets as the file names them
    (:func:`~renderers.loaders.gltf_targets.mesh_targets`), or an OBJ's shape files
    (:func:`~renderers.loaders.obj_targets.obj_mesh_targets`).

    Raises
    ------
    AvatarError
        The file is missing or malformed, or an OBJ has no shapes folder.
    """
    p = Path(path)
    if p.suffix.lower() == ".obj":
        return obj_mesh_targets(p)
    return mesh_targets(p)


def default_avatar_path() -> Path:
    """Path of the shipped default head (``assets/avatar/default_head.glb``)."""
    ref = resources.files("assets.avatar") / "default_head.glb"
    with resources.as_file(ref) as p:
        return Path(p)


@functools.lru_cache(maxsize=1)
def default_avatar() -> Avatar:
    """The shipped default head, loaded once and shared (treat it as read-only).

    Raises
    ------
    AvatarError
        The packaged file is missing or damaged (reinstall the package).
    """
    path = default_avatar_path()
    if not path.is_file():
        raise AvatarError(f"the default avatar is missing ({path}); reinstall affect-studio")
    avatar = load_gltf(path)
    avatar.name = "Default head"
    avatar.source = "default"
    return avatar
