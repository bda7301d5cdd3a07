"""Avatar: the meshes, morph targets, eyes and head pivot a renderer needs.

Coordinates follow glTF: metres, +Y up, the face looks toward +Z, so the avatar's own
left side is +X (``...Left`` ARKit shapes act on the +X half of the face).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from renderers.arkit import ARKIT_NAMES

MeshPart = Literal[
    "skin", "eye_left", "eye_right", "teeth", "tongue", "mouth_interior", "hair", "other"
]
"""What a mesh is, so renderers and generators can treat eyes and mouth parts specially."""

WrapMode = Literal["repeat", "clamp", "mirror"]
"""How a texture repeats outside 0..1 (glTF's REPEAT, CLAMP_TO_EDGE, MIRRORED_REPEAT)."""

AlphaMode = Literal["opaque", "mask", "blend"]
"""How a material's alpha is used (glTF's alphaMode)."""


@dataclass(frozen=True)
class Texture:
    """A decoded 2D image a material samples.

    Parameters
    ----------
    pixels
        ``(H, W, 4)`` uint8 RGBA, row 0 at the top of the image (as files store it).
    name
        Where it came from (image name or file name), for messages and exports.
    srgb
        Whether the values are sRGB-encoded colour (base colour) rather than linear data
        (normal maps).
    wrap
        ``(u, v)`` wrap modes of the sampler (see :data:`WrapMode`).
    """

    pixels: np.ndarray
    name: str = ""
    srgb: bool = True
    wrap: tuple[WrapMode, WrapMode] = ("repeat", "repeat")

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` in pixels."""
        return int(self.pixels.shape[1]), int(self.pixels.shape[0])


@dataclass
class Material:
    """A simple physically-inspired material.

    Parameters
    ----------
    base_color
        Linear RGBA in 0..1.
    roughness
        0 (mirror) .. 1 (chalk).
    metallic
        0 (dielectric) .. 1 (metal).
    subsurface
        0..1, how much light wraps round the terminator (skin looks softer with ~0.3).
    base_color_texture
        Optional sRGB colour texture multiplied with ``base_color`` (sampled at the mesh's
        ``uvs``).
    normal_texture
        Optional tangent-space normal map (linear data; needs the mesh's ``uvs``).
    normal_scale
        Strength of the normal map's X and Y (glTF's ``normalTexture.scale``).
    alpha_mode
        ``"opaque"`` ignores alpha, ``"mask"`` drops pixels whose alpha (base colour alpha
        times the texture's) is below ``alpha_cutoff``, ``"blend"`` blends them.
    alpha_cutoff
        Threshold of ``"mask"``.
    """

    base_color: tuple[float, float, float, float] = (0.8, 0.8, 0.8, 1.0)
    roughness: float = 0.6
    metallic: float = 0.0
    subsurface: float = 0.0
    base_color_texture: Texture | None = None
    normal_texture: Texture | None = None
    normal_scale: float = 1.0
    alpha_mode: AlphaMode = "opaque"
    alpha_cutoff: float = 0.5


@dataclass
class AvatarMesh:
    """One triangle mesh of an avatar, in avatar space (node transforms already applied).

    Parameters
    ----------
    name
        Node/mesh name from the source file.
    part
        What the mesh is (see :data:`MeshPart`).
    positions, normals
        ``(V, 3)`` float32 rest-pose vertex data.
    indices
        ``(T, 3)`` uint32 triangle vertex indices.
    morph_targets
        ARKit name -> ``(V, 3)`` float32 position deltas at weight 1. Only the targets
        this mesh has; names outside ARKit-52 are kept under their own names.
    material
        Surface material.
    colors
        Optional ``(V, 4)`` float32 linear vertex colours multiplied with the base colour.
    pivot
        Rotation centre for rigid parts (eyeballs rotate about it for gaze).
    uvs
        Optional ``(V, 2)`` float32 texture coordinates, glTF convention (``(0, 0)`` is the
        image's top-left corner).
    tangents
        Optional ``(V, 4)`` float32 tangents with the bitangent sign in ``w`` (glTF
        convention), for normal mapping.
    head_weights
        Optional ``(V,)`` float32 share of each vertex that turns with the head (a skinned
        body under the head stays still); ``None`` means the whole mesh turns.
    """

    name: str
    part: MeshPart
    positions: np.ndarray
    normals: np.ndarray
    indices: np.ndarray
    morph_targets: dict[str, np.ndarray] = field(default_factory=dict)
    material: Material = field(default_factory=Material)
    colors: np.ndarray | None = None
    pivot: np.ndarray | None = None
    uvs: np.ndarray | None = None
    tangents: np.ndarray | None = None
    head_weights: np.ndarray | None = None

    @property
    def vertex_count(self) -> int:
        """Number of vertices."""
        return int(self.positions.shape[0])

    @property
    def triangle_count(self) -> int:
        """Number of triangles."""
        return int(self.indices.shape[0])


@dataclass
class Avatar:
    """A face rig: meshes with ARKit morph targets, rotatable eyes and a head pivot.

    Parameters
    ----------
    name
        Display name.
    meshes
        All meshes, drawn in order (opaque parts).
    head_pivot
        Point the whole head rotates about (roughly the top of the neck), avatar space.
    source
        Where the avatar came from (a file path or ``"default"``), for provenance.
    lips
        What forms the lips when the avatar has its own viseme shapes: ``"auto"``, ``"arkit"``
        or ``"visemes"`` (from its mapping profile; see :mod:`renderers.channel_drive`).
    notes
        What the loader could not use and left out (an undecodable texture...), one line
        each, for the CLI and the GUI to show.
    """

    name: str
    meshes: list[AvatarMesh]
    head_pivot: np.ndarray = field(default_factory=lambda: np.zeros(3, dtype=np.float32))
    source: str = ""
    notes: list[str] = field(default_factory=list)
    lips: str = "auto"

    def mesh(self, part: MeshPart) -> AvatarMesh:
        """Return the first mesh of the given part; ``KeyError`` when there is none."""
        for m in self.meshes:
            if m.part == part:
                return m
        raise KeyError(part)

    def meshes_of(self, part: MeshPart) -> list[AvatarMesh]:
        """Return every mesh of the given part."""
        return [m for m in self.meshes if m.part == part]

    @property
    def target_names(self) -> list[str]:
        """All morph-target names across meshes, ARKit ones first in Apple's order."""
        present = {n for m in self.meshes for n in m.morph_targets}
        arkit = [n for n in ARKIT_NAMES if n in present]
        return arkit + sorted(present - set(arkit))

    @property
    def missing_arkit_shapes(self) -> list[str]:
        """ARKit shapes that no mesh of this avatar has a target for."""
        present = {n for m in self.meshes for n in m.morph_targets}
        return [n for n in ARKIT_NAMES if n not in present]

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Axis-aligned ``(min, max)`` of all rest-pose vertices."""
        pts = np.concatenate([m.positions for m in self.meshes], axis=0)
        return pts.min(axis=0), pts.max(axis=0)
