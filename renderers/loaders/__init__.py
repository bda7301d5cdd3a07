"""Avatar loaders: glTF/GLB (and VRM, which is glTF) plus ARKit name matching.

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
from renderers.loaders.mapping_profile import MappingProfile

__all__ = ["AvatarError", "default_avatar", "default_avatar_path", "load_avatar",
           "match_arkit_name"]

_GLTF_SUFFIXES = {".glb", ".gltf", ".vrm"}


def load_avatar(path: str | Path, profile: MappingProfile | str | Path | None = None) -> Avatar:
    """Load an avatar file.

    Parameters
    ----------
    path
        A ``.glb``, ``.gltf`` or ``.vrm`` file with a face mesh (ideally with ARKit-named
        morph targets).
    profile
        Mapping profile overriding the automatic ARKit matching (a profile or its file);
        ``None`` uses ``<stem>.mapping.json`` beside the avatar when it exists.

    Raises
    ------
    AvatarError
        The file is missing, of an unsupported kind, or unusable, or the profile is invalid;
        the message says what to do.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in _GLTF_SUFFIXES:
        raise AvatarError(f"{p.name}: unsupported avatar format {suffix or '(none)'!r}; "
                          "export the avatar as glTF 2.0 (.glb or .gltf)")
    return load_gltf(p, profile)


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
