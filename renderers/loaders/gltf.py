"""Load a glTF 2.0 avatar (``.glb``/``.gltf``, also ``.vrm``) into an :class:`Avatar`.

Node transforms are baked into the vertices (avatar space = the file's world space), morph
targets are matched to ARKit names, parts are guessed from names, eyeballs get a rotation
pivot and the avatar a head pivot.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pygltflib as gl

from renderers.avatar import Avatar, AvatarMesh, Material, MeshPart
from renderers.errors import AvatarError
from renderers.loaders.face_points import (
    estimated_head_pivot,
    eye_pivot,
    fix_eye_sides,
    midline_split,
)
from renderers.loaders.gltf_io import (
    MAX_INDICES,
    MAX_TARGETS,
    MAX_VERTICES,
    AccessorReader,
    BufferStore,
    fail,
    read_document,
)
from renderers.loaders.gltf_skin import SkinnedVertices, skin_vertices
from renderers.loaders.gltf_textures import SurfaceMaps, read_surface, textures_of
from renderers.loaders.mapping_profile import MappingProfile, resolve_profile
from renderers.loaders.parts import infer_part
from renderers.loaders.target_matching import match_targets

MAX_NODE_DEPTH = 128
MAX_TOTAL_VERTICES = 8_000_000
SKIN_FALLBACK = (0.80, 0.58, 0.47, 1.0)
"""Base colour of textured skin whose texture could not be used."""


@dataclass
class _NodeVisit:
    index: int
    world: np.ndarray
    names: list[str]
    """This node's name followed by its ancestors' names."""


def load_gltf(path: str | Path, profile: MappingProfile | str | Path | None = None) -> Avatar:
    """Load a glTF/GLB avatar.

    Parameters
    ----------
    path
        ``.glb``, ``.gltf`` or ``.vrm`` file.
    profile
        Mapping profile overriding the automatic ARKit matching: a profile, a profile file, or
        ``None`` for ``<stem>.mapping.json`` beside the avatar when it exists (see
        :mod:`renderers.loaders.mapping_profile`).

    Returns
    -------
    Avatar
        Meshes in avatar space with ARKit-named morph targets.

    Raises
    ------
    AvatarError
        The file is missing, malformed, too large, or has no usable mesh, or the mapping
        profile is invalid.
    """
    path = Path(path)
    doc, bin_chunk = read_document(path)
    from renderers.loaders.vrm import apply_vrm, read_vrm  # builds on this module

    vrm = read_vrm(path, doc)  # None for plain glTF; a .vrm must carry its extension
    chosen = resolve_profile(path, profile)
    overrides: Mapping[str, str | None] = chosen.map if chosen is not None else {}
    reader = AccessorReader(path, doc, BufferStore(path, doc, bin_chunk))
    meshes: list[AvatarMesh] = []
    placed: list[tuple[_NodeVisit, AvatarMesh]] = []  # each mesh's node, for VRM expressions
    total = 0
    visits = _walk(path, doc)
    world = {v.index: v.world for v in visits}
    for visit in visits:
        node = doc.nodes[visit.index]
        if node.mesh is None:
            continue
        for mesh in _convert_node(path, doc, reader, visit, overrides, world):
            total += mesh.vertex_count
            if total > MAX_TOTAL_VERTICES:
                raise fail(path, f"has more than {MAX_TOTAL_VERTICES} vertices in all",
                           "decimate the avatar")
            meshes.append(mesh)
            placed.append((visit, mesh))
    if not meshes:
        raise fail(path, "contains no triangle meshes", "export the head as a triangle mesh")
    if not any(prim.targets for m in doc.meshes or [] for prim in m.primitives or []):
        raise fail(path, "has no morph targets (blendshapes), so its face cannot move",
                   "export the head with its ARKit shape keys")
    fix_eye_sides(meshes)
    name = path.stem
    if doc.scenes and doc.scene is not None and 0 <= doc.scene < len(doc.scenes):
        name = doc.scenes[doc.scene].name or name
    avatar = Avatar(name=name, meshes=meshes, source=str(path),
                    notes=list(textures_of(reader).notes))
    avatar.head_pivot = _head_pivot(doc, avatar, list(_walk(path, doc)))
    if chosen is not None:
        avatar.lips = chosen.lips
    if vrm is not None:
        apply_vrm(path, doc, reader, avatar, placed, vrm)
    return avatar


# -- scene graph ---------------------------------------------------------------------------


def _local_matrix(node: gl.Node) -> np.ndarray:
    if node.matrix is not None and len(node.matrix) == 16:
        return np.asarray(node.matrix, dtype=np.float64).reshape(4, 4).T
    m = np.eye(4)
    if node.scale is not None:
        m = np.diag([*np.asarray(node.scale, dtype=np.float64), 1.0]) @ m
    if node.rotation is not None:
        x, y, z, w = np.asarray(node.rotation, dtype=np.float64)
        n = np.sqrt(x * x + y * y + z * z + w * w) or 1.0
        x, y, z, w = x / n, y / n, z / n, w / n
        r = np.array([
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ])
        rot = np.eye(4)
        rot[:3, :3] = r
        m = rot @ m
    if node.translation is not None:
        t = np.eye(4)
        t[:3, 3] = np.asarray(node.translation, dtype=np.float64)
        m = t @ m
    return m


def _walk(path: Path, doc: gl.GLTF2) -> list[_NodeVisit]:
    nodes = doc.nodes or []
    if doc.scenes:
        scene = doc.scenes[doc.scene if doc.scene is not None and
                           0 <= doc.scene < len(doc.scenes) else 0]
        roots = list(scene.nodes or [])
    else:
        children = {c for n in nodes for c in (n.children or [])}
        roots = [i for i in range(len(nodes)) if i not in children]
    out: list[_NodeVisit] = []
    seen: set[int] = set()
    stack = [(r, np.eye(4), [], 0) for r in reversed(roots)]
    while stack:
        idx, parent, names, depth = stack.pop()
        if not isinstance(idx, int) or not 0 <= idx < len(nodes):
            raise fail(path, f"refers to missing node {idx}", "re-export the avatar")
        if idx in seen:
            raise fail(path, f"node {idx} appears twice in the scene graph (a cycle)",
                       "re-export the avatar")
        if depth > MAX_NODE_DEPTH:
            raise fail(path, "node hierarchy is too deep", "flatten the scene and re-export")
        seen.add(idx)
        node = nodes[idx]
        world = parent @ _local_matrix(node)
        here = [node.name or "", *names]
        out.append(_NodeVisit(idx, world, here))
        for child in reversed(node.children or []):
            stack.append((child, world, here, depth + 1))
    return out


# -- meshes --------------------------------------------------------------------------------


def _convert_node(path: Path, doc: gl.GLTF2, reader: AccessorReader, visit: _NodeVisit,
                  overrides: Mapping[str, str | None],
                  world: Mapping[int, np.ndarray]) -> list[AvatarMesh]:
    node = doc.nodes[visit.index]
    if not 0 <= node.mesh < len(doc.meshes or []):
        raise fail(path, f"node {visit.index} refers to missing mesh {node.mesh}",
                   "re-export the avatar")
    gmesh = doc.meshes[node.mesh]
    names = _target_names(gmesh)
    out = []
    prims = gmesh.primitives or []
    counts = {len(prim.targets or []) for prim in prims}
    if len(counts) > 1:
        raise fail(path, f"mesh {gmesh.name or node.mesh!r} has primitives with different "
                   f"numbers of morph targets ({', '.join(map(str, sorted(counts)))})",
                   "re-export the avatar so every part of the mesh has the same shape keys")
    for p_index, prim in enumerate(prims):
        mode = gl.TRIANGLES if prim.mode is None else prim.mode
        if mode not in (gl.TRIANGLES, gl.TRIANGLE_STRIP, gl.TRIANGLE_FAN):
            continue
        label = visit.names[0] or gmesh.name or f"mesh{node.mesh}"
        if len(prims) > 1:
            label = f"{label}.{p_index}"
        skinned = None
        if node.skin is not None:
            skinned = skin_vertices(path, doc, reader, prim, node.skin, world,
                                    reader.count(prim.attributes.POSITION), label)
        out.append(_convert_primitive(path, doc, reader, prim, mode, names, visit, gmesh, label,
                                      overrides, skinned))
    return out


def _target_names(gmesh: gl.Mesh) -> list[str] | None:
    extras = gmesh.extras if isinstance(gmesh.extras, dict) else {}
    names = extras.get("targetNames")
    if isinstance(names, list) and all(isinstance(n, str) for n in names):
        return names
    return None


def _convert_primitive(path: Path, doc: gl.GLTF2, reader: AccessorReader, prim: gl.Primitive,
                       mode: int, names: list[str] | None, visit: _NodeVisit, gmesh: gl.Mesh,
                       label: str, overrides: Mapping[str, str | None],
                       skinned: SkinnedVertices | None = None) -> AvatarMesh:
    attrs = prim.attributes
    if attrs is None or attrs.POSITION is None:
        raise fail(path, f"mesh {label!r} has no vertex positions", "re-export the avatar")
    n_vert = reader.count(attrs.POSITION)
    if n_vert > MAX_VERTICES:
        raise fail(path, f"mesh {label!r} has {n_vert} vertices (limit {MAX_VERTICES})",
                   "decimate the avatar")
    targets = prim.targets or []
    if len(targets) > MAX_TARGETS:
        raise fail(path, f"mesh {label!r} has {len(targets)} morph targets (limit {MAX_TARGETS})",
                   "remove unused shape keys and re-export")
    pos = reader.read(attrs.POSITION, max_count=MAX_VERTICES)[:, :3]
    tris = _triangles(path, reader, prim, mode, n_vert, label)
    world = visit.world
    lin = world[:3, :3]
    if skinned is not None:  # the joints place the vertices; the node's transform is ignored
        pos_w = skinned.points(pos)
        lin = np.eye(3) * np.cbrt(np.median(np.linalg.det(skinned.matrices[:, :3, :3])))
    else:
        pos_w = pos @ lin.T + world[:3, 3]
    if attrs.NORMAL is not None and reader.count(attrs.NORMAL) == n_vert:
        nrm = reader.read(attrs.NORMAL, max_count=MAX_VERTICES)[:, :3]
        if skinned is not None:
            nrm_w = skinned.vectors(nrm)
        else:
            normal_m = np.linalg.inv(lin).T if abs(np.linalg.det(lin)) > 1e-30 else lin
            nrm_w = nrm @ normal_m.T
    else:
        nrm_w = None
    if np.linalg.det(lin) < 0:
        tris = tris[:, ::-1].copy()
    if nrm_w is None:
        nrm_w = _vertex_normals(pos_w, tris)
    nrm_w = nrm_w / np.maximum(np.linalg.norm(nrm_w, axis=1, keepdims=True), 1e-20)

    def named_deltas() -> Iterator[tuple[str, np.ndarray]]:
        for t_index, target in enumerate(targets):
            acc_index = target.get("POSITION") if isinstance(target, dict) else None
            if acc_index is None:
                continue
            if reader.count(acc_index) != n_vert:
                raise fail(path, f"mesh {label!r} morph target {t_index} has the wrong vertex "
                           "count", "re-export the avatar")
            delta = reader.read(acc_index, max_count=MAX_VERTICES)[:, :3]
            delta = skinned.vectors(delta) if skinned is not None else delta @ lin.T
            yield (names[t_index] if names and t_index < len(names) else f"target{t_index}"), delta

    morphs = match_targets(named_deltas(), overrides, lambda: midline_split(pos_w[:, 0]))

    colors = None
    if attrs.COLOR_0 is not None and reader.count(attrs.COLOR_0) == n_vert:
        c = reader.read(attrs.COLOR_0, max_count=MAX_VERTICES)
        if c.shape[1] == 3:
            c = np.concatenate([c, np.ones((n_vert, 1))], axis=1)
        colors = np.clip(c, 0.0, 1.0).astype(np.float32)

    material_obj = None
    if prim.material is not None and 0 <= prim.material < len(doc.materials or []):
        material_obj = doc.materials[prim.material]
    mat_name = material_obj.name if material_obj is not None else None
    centre = 0.5 * (pos_w.min(axis=0) + pos_w.max(axis=0))
    part: MeshPart = infer_part([*visit.names[:3], gmesh.name or "", mat_name or ""],
                                eye_x=float(centre[0]))
    maps = read_surface(reader, prim, material_obj, pos_w, nrm_w, tris, label,
                        vectors=skinned.vectors if skinned is not None else lambda d: d @ lin.T,
                        mirrored=bool(np.linalg.det(lin) < 0))
    mesh = AvatarMesh(
        name=label, part=part, positions=pos_w.astype(np.float32),
        normals=nrm_w.astype(np.float32), indices=tris.astype(np.uint32),
        morph_targets=morphs, material=_material(material_obj, part, maps), colors=colors,
        uvs=maps.uvs, tangents=maps.tangents,
        head_weights=None if skinned is None else skinned.head_weights,
    )
    if part in ("eye_left", "eye_right"):
        mesh.pivot = eye_pivot(pos_w, visit.world).astype(np.float32)
    return mesh


def _triangles(path: Path, reader: AccessorReader, prim: gl.Primitive, mode: int, n_vert: int,
               label: str) -> np.ndarray:
    if prim.indices is not None:
        idx = reader.read(prim.indices, max_count=MAX_INDICES).astype(np.int64)
    else:
        idx = np.arange(n_vert, dtype=np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= n_vert):
        raise fail(path, f"mesh {label!r} has triangle indices out of range",
                   "re-export the avatar")
    if mode == gl.TRIANGLES:
        tris = idx[: idx.size // 3 * 3].reshape(-1, 3)
    elif mode == gl.TRIANGLE_STRIP:
        k = np.arange(max(idx.size - 2, 0))
        a, b, c = idx[k], idx[k + 1], idx[k + 2]
        odd = k % 2 == 1
        tris = np.stack([a, np.where(odd, c, b), np.where(odd, b, c)], axis=1)
    else:
        k = np.arange(1, max(idx.size - 1, 1))
        tris = np.stack([np.full(k.size, idx[0] if idx.size else 0), idx[k], idx[k + 1]],
                        axis=1) if idx.size >= 3 else np.zeros((0, 3), dtype=np.int64)
    if tris.shape[0] == 0:
        raise fail(path, f"mesh {label!r} has no triangles", "re-export the avatar")
    return tris


def _vertex_normals(pos: np.ndarray, tris: np.ndarray) -> np.ndarray:
    fn = np.cross(pos[tris[:, 1]] - pos[tris[:, 0]], pos[tris[:, 2]] - pos[tris[:, 0]])
    n = np.zeros_like(pos)
    for k in range(3):
        np.add.at(n, tris[:, k], fn)
    return n


def _material(mat: gl.Material | None, part: MeshPart, maps: SurfaceMaps) -> Material:
    subsurface_default = 0.3 if part == "skin" else 0.0
    if mat is None:
        return Material(subsurface=subsurface_default)
    pbr = mat.pbrMetallicRoughness
    color = tuple(float(c) for c in (pbr.baseColorFactor if pbr and pbr.baseColorFactor
                                     else (1.0, 1.0, 1.0, 1.0)))
    if pbr is not None and pbr.baseColorTexture is not None and maps.base_color is None and \
            part == "skin" and min(color[:3]) > 0.95:
        color = SKIN_FALLBACK
    roughness = float(pbr.roughnessFactor) if pbr and pbr.roughnessFactor is not None else 1.0
    metallic = float(pbr.metallicFactor) if pbr and pbr.metallicFactor is not None else 1.0
    extras = mat.extras if isinstance(mat.extras, dict) else {}
    sub = extras.get("subsurface", subsurface_default)
    sub = float(sub) if isinstance(sub, int | float) else subsurface_default
    return Material(base_color=(color + (1.0,) * 4)[:4],  # type: ignore[arg-type]
                    roughness=float(np.clip(roughness, 0, 1)),
                    metallic=float(np.clip(metallic, 0, 1)),
                    subsurface=float(np.clip(sub, 0, 1)),
                    base_color_texture=maps.base_color, normal_texture=maps.normal,
                    normal_scale=maps.normal_scale, alpha_mode=maps.alpha_mode,
                    alpha_cutoff=maps.alpha_cutoff)


# -- pivots --------------------------------------------------------------------------------


def _head_pivot(doc: gl.GLTF2, avatar: Avatar, visits: list[_NodeVisit]) -> np.ndarray:
    lo, hi = avatar.bounds()
    size = hi - lo
    pad = 0.2 * size

    def inside(p: np.ndarray) -> bool:
        return bool(np.all(p >= lo - pad) and np.all(p <= hi + pad))

    for visit in visits:
        extras = doc.nodes[visit.index].extras
        if isinstance(extras, dict) and "headPivot" in extras:
            try:
                p = np.asarray(extras["headPivot"], dtype=np.float64).reshape(3)
            except (TypeError, ValueError):
                continue
            if np.all(np.isfinite(p)) and inside(p):
                return p.astype(np.float32)
    for word in ("neck", "head"):
        for visit in visits:
            node = doc.nodes[visit.index]
            if node.mesh is None and word in (node.name or "").lower():
                p = visit.world[:3, 3]
                if inside(p) and not np.allclose(p, 0.0):
                    return p.astype(np.float32)
    return estimated_head_pivot(avatar)


__all__ = ["AvatarError", "load_gltf"]
