"""Load an OBJ avatar: a neutral ``.obj`` plus a folder of one ``.obj`` per blendshape.

Scanned and DCC heads (ICT-FaceKit, FaceWarehouse-style sets, Maya/ZBrush exports) often come
this way. The neutral is read fully (:mod:`renderers.loaders.obj_document`): each
object/group/material becomes its own mesh, so eyes, teeth and tongue become their own parts
(:func:`~renderers.loaders.parts.infer_part`); vertices are split per unique
``(v, vt, vn)`` corner for the renderer. Shapes are read from the shapes folder
(:mod:`renderers.loaders.obj_shapes`), their deltas mapped through each mesh's position index
and matched to ARKit and viseme names exactly like glTF morph targets (including a
``<stem>.mapping.json`` mapping profile). Materials come from ``mtllib``
(:mod:`renderers.loaders.obj_mtl`).

Coordinates are taken as written (like glTF: +Y up, the face looking toward +Z); units are not
converted (the camera frames whatever size the head is).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from renderers.avatar import Avatar, AvatarMesh, Material, MeshPart
from renderers.deform import vertex_normals
from renderers.loaders.face_points import (
    estimated_head_pivot,
    eye_pivot,
    fix_eye_sides,
    midline_split,
)
from renderers.loaders.gltf import SKIN_FALLBACK
from renderers.loaders.gltf_io import MAX_VERTICES, fail
from renderers.loaders.gltf_textures import vertex_tangents
from renderers.loaders.mapping_profile import MappingProfile, resolve_profile
from renderers.loaders.obj_document import ObjDocument, ObjGroup, read_obj
from renderers.loaders.obj_mtl import ObjMaterial, decode_map, read_materials
from renderers.loaders.obj_shapes import (
    find_shapes_dir,
    list_shape_files,
    no_shapes_error,
    read_shapes,
)
from renderers.loaders.parts import infer_part
from renderers.loaders.target_matching import match_targets

__all__ = ["load_obj"]


def load_obj(path: str | Path, profile: MappingProfile | str | Path | None = None, *,
             shapes_dir: str | Path | None = None) -> Avatar:
    """Load an OBJ avatar with its shapes folder.

    Parameters
    ----------
    path
        The neutral ``.obj``.
    profile
        Mapping profile overriding the automatic ARKit matching of shape names: a profile, a
        profile file, or ``None`` for ``<stem>.mapping.json`` beside the OBJ when it exists.
    shapes_dir
        The folder with one ``.obj`` per shape; ``None`` looks for ``<stem>_shapes/``,
        ``<stem>.shapes/``, ``shapes/`` or ``blendshapes/`` beside the OBJ.

    Returns
    -------
    Avatar
        One mesh per object/group/material with ARKit-named morph targets; textures and
        material libraries that could not be used are listed in ``notes``.

    Raises
    ------
    AvatarError
        The OBJ or a shape file is missing, malformed or too large, the OBJ has no faces or
        no shapes, a shape's vertex count differs from the neutral's, or the profile is
        invalid; the one-line message says what to do.
    """
    path = Path(path)
    doc = read_obj(path)
    folder = find_shapes_dir(path, shapes_dir)
    files = list_shape_files(path, folder) if folder is not None else []
    if not files:
        raise no_shapes_error(path, folder)
    chosen = resolve_profile(path, profile)
    overrides: Mapping[str, str | None] = chosen.map if chosen is not None else {}
    shapes = read_shapes(path, doc.positions, files)
    notes: list[str] = []
    materials = read_materials(path, doc.mtllibs, notes) if doc.mtllibs else {}
    left = midline_split(doc.positions[:, 0])
    meshes = []
    total = 0
    for group, label in zip(doc.groups, _labels(path, doc.groups), strict=True):
        mesh, source = _mesh(doc, group, label, materials, notes)
        total += mesh.vertex_count
        if total > MAX_VERTICES:
            raise fail(path, f"has more than {MAX_VERTICES} vertices after splitting seams",
                       "decimate the mesh")
        identity = source.size == doc.positions.shape[0]  # sorted and unique: every vertex
        named: Iterator[tuple[str, np.ndarray]] = ((n, d if identity else d[source])
                                                   for n, d in shapes)
        mesh.morph_targets = match_targets(named, overrides, lambda s=source: left[s])
        meshes.append(mesh)
    _drop_still_targets(meshes)
    fix_eye_sides(meshes)
    avatar = Avatar(name=path.stem, meshes=meshes, source=str(path), notes=notes,
                    lips=chosen.lips if chosen is not None else "auto")
    avatar.head_pivot = estimated_head_pivot(avatar)
    return avatar


def _labels(path: Path, groups: list[ObjGroup]) -> list[str]:
    """Mesh names: the group (or object) name, with the material when that is ambiguous."""
    base = [g.group or g.object or path.stem for g in groups]
    out = []
    for name, g in zip(base, groups, strict=True):
        out.append(f"{name}.{g.material}" if base.count(name) > 1 and g.material else name)
    seen: dict[str, int] = {}
    for i, name in enumerate(out):
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            out[i] = f"{name}.{seen[name] - 1}"
    return out


def _mesh(doc: ObjDocument, group: ObjGroup, label: str, materials: dict[str, ObjMaterial],
          notes: list[str]) -> tuple[AvatarMesh, np.ndarray]:
    """The renderer mesh of one group and, per vertex, the OBJ position it came from."""
    corners = group.triangles.reshape(-1, 3)
    n_vt, n_vn = doc.uvs.shape[0] + 1, doc.normals.shape[0] + 1
    # (v, vt + 1, vn + 1) packed in one int64: counts are below MAX_VERTICES + 1 (2e6 each)
    key = (corners[:, 0] * n_vt + corners[:, 1] + 1) * n_vn + corners[:, 2] + 1
    unique, inverse = np.unique(key, return_inverse=True)
    vn = unique % n_vn - 1
    vt = (unique // n_vn) % n_vt - 1
    source = unique // n_vn // n_vt
    tris = inverse.reshape(-1, 3).astype(np.uint32)
    positions = doc.positions[source]
    if np.all(vn >= 0):
        normals = doc.normals[vn]
        length = np.linalg.norm(normals, axis=1)
        if not np.all(length > 1e-12):
            normals = None
    else:
        normals = None
    if normals is None:  # smooth across UV seams: average over the OBJ's own positions
        by_position = vertex_normals(doc.positions, source[inverse].reshape(-1, 3))
        normals = by_position[source]
    normals = normals / np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-20)
    uvs = None
    if np.all(vt >= 0) and doc.uvs.shape[0]:
        uvs = np.stack([doc.uvs[vt, 0], 1.0 - doc.uvs[vt, 1]], axis=1).astype(np.float32)
    centre = 0.5 * (positions.min(axis=0) + positions.max(axis=0))
    part: MeshPart = infer_part([group.group, group.object, group.material],
                                eye_x=float(centre[0]))
    colors = None
    if doc.colors is not None:
        linear = _srgb_to_linear(doc.colors[source])
        colors = np.concatenate([linear, np.ones((source.size, 1))], axis=1).astype(np.float32)
    material = _material(materials.get(group.material), part, uvs is not None, notes)
    mesh = AvatarMesh(name=label, part=part, positions=positions.astype(np.float32),
                      normals=normals.astype(np.float32), indices=tris, material=material,
                      colors=colors, uvs=uvs)
    if uvs is not None and material.normal_texture is not None:
        mesh.tangents = vertex_tangents(positions, normals, uvs, tris)
    if part in ("eye_left", "eye_right"):
        mesh.pivot = eye_pivot(positions, np.eye(4)).astype(np.float32)
    return mesh, source


def _srgb_to_linear(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _material(mat: ObjMaterial | None, part: MeshPart, has_uvs: bool,
              notes: list[str]) -> Material:
    subsurface = 0.3 if part == "skin" else 0.0
    if mat is None:
        color = SKIN_FALLBACK if part == "skin" else (0.8, 0.8, 0.8, 1.0)
        return Material(base_color=color, subsurface=subsurface)
    base = normal = None
    if has_uvs:
        base = decode_map(mat.base_color_map, srgb=True, notes=notes)
        normal = decode_map(mat.normal_map, srgb=False, notes=notes)
    elif mat.base_color_map or mat.normal_map:
        notes.append(f"material {mat.name!r} has textures but its faces have no texture "
                     "coordinates (vt); its textures are left out")
    color = (*mat.diffuse, mat.alpha)
    if base is not None:  # the map replaces Kd, as DCC tools show it
        color = (1.0, 1.0, 1.0, mat.alpha)
    elif mat.base_color_map is not None and part == "skin":
        color = (*SKIN_FALLBACK[:3], mat.alpha)
    return Material(base_color=color,  # type: ignore[arg-type]
                    roughness=0.6 if mat.roughness is None else mat.roughness,
                    subsurface=subsurface, base_color_texture=base, normal_texture=normal,
                    normal_scale=mat.normal_scale,
                    alpha_mode="blend" if mat.alpha < 1.0 else "opaque")


def _drop_still_targets(meshes: list[AvatarMesh]) -> None:
    """Drop targets that do not move a mesh (a blink on the teeth); a shape that moves no mesh
    stays on the largest one, so the avatar still lists it."""
    names = {n for m in meshes for n in m.morph_targets}
    kept: set[str] = set()
    for mesh in meshes:
        still = [n for n, d in mesh.morph_targets.items() if not np.any(d)]
        for n in still:
            del mesh.morph_targets[n]
        kept |= set(mesh.morph_targets)
    largest = max(meshes, key=lambda m: m.vertex_count)
    for name in sorted(names - kept):
        largest.morph_targets[name] = np.zeros((largest.vertex_count, 3), dtype=np.float32)
