"""The avatar as a glTF scene: meshes with morph targets, materials and the node tree.

Layout. One root node, ``head``, sits at the avatar's head pivot (``extras.headPivot`` holds the
same point, which :func:`renderers.loaders.gltf.load_gltf` reads back) and carries the head
rotation. Every :class:`~renderers.avatar.Avatar` has a head pivot (the loader estimates one when
the file names none), so this node is always written. Every mesh is a child node of it, as the
renderer rotates every mesh with the head: eyeballs are nodes at their own rotation pivot (so
gaze is a rotation of that node; the pivot, else the bounding-box centre, as in
:func:`renderers.rigid.eye_matrix`), the other meshes sit at the head pivot. Vertex positions are
stored relative to their node, so the rest pose in world space is exactly the avatar's (avatar
space is glTF space: metres, +Y up, the face looks toward +Z).

Materials are named after the mesh's part (``skin``, ``eye_left``...), which lets the loader
recognise eyes and mouth parts again when the file is opened. A mesh with UVs keeps them
(``TEXCOORD_0``) and its base colour and normal maps (PNG images inside the file, with their
wrap modes; ``TANGENT`` for normal-mapped meshes, generated from the UVs when the mesh has none),
so DCC tools and game engines show the avatar as the viewport does. UVs are written as the
viewport samples them (any texture transform of the source file already applied).

A mesh that turns only partly with the head (a skinned body under the head:
:attr:`~renderers.avatar.AvatarMesh.head_weights`) is written as a skinned mesh instead, in
avatar space at the scene's root: its skin has two joints, a ``root`` node at the origin (then
the scene's one root, with ``head`` under it) and ``head``, each vertex weighted ``1 - h`` and
``h``, so a glTF player turns exactly the share of it the viewport turns.

Morph targets keep the ARKit names the mesh has, in Apple's order, then any other names sorted;
``mesh.extras.targetNames`` lists them and ``mesh.weights`` starts at zero.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from generators.progress import NullProgress, ProgressSink
from renderers.arkit import ARKIT_NAMES
from renderers.avatar import Avatar, AvatarMesh, Texture
from renderers.loaders.gltf_textures import vertex_tangents
from studio.exporters.gltf_binary import ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER, GlbBuffer

__all__ = ["EYE_PARTS", "HEAD_NODE_NAME", "GltfScene", "build_scene", "eye_pivot", "target_order"]

HEAD_NODE_NAME = "head"
"""Name of the node that carries the head rotation."""

ROOT_NODE_NAME = "root"
"""Name of the root joint written when a mesh is skinned to the head (see the module notes)."""

EYE_PARTS = ("eye_left", "eye_right")
"""Mesh parts that rotate on their own for gaze."""

_TRIANGLES = 4
_WRAP_CODES = {"repeat": 10497, "clamp": 33071, "mirror": 33648}
_LINEAR, _LINEAR_MIPMAP_LINEAR = 9729, 9987


@dataclass
class GltfScene:
    """A glTF document under construction and what the animation needs to know about it.

    Parameters
    ----------
    document
        The glTF JSON (plain Python data) without animations.
    buffer
        Its binary buffer.
    head_node
        Index of the ``head`` node.
    morph_nodes
        ``(node index, target names)`` of every mesh node with morph targets.
    eye_nodes
        ``(node index, part)`` of every eyeball node (``part`` is ``eye_left``/``eye_right``).
    """

    document: dict[str, Any]
    buffer: GlbBuffer
    head_node: int = 0
    morph_nodes: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)
    eye_nodes: list[tuple[int, str]] = field(default_factory=list)


def target_order(mesh: AvatarMesh) -> tuple[str, ...]:
    """The mesh's morph-target names: ARKit ones in Apple's order, then the others sorted."""
    arkit = [n for n in ARKIT_NAMES if n in mesh.morph_targets]
    return (*arkit, *sorted(set(mesh.morph_targets) - set(arkit)))


def eye_pivot(mesh: AvatarMesh) -> np.ndarray:
    """Where an eyeball rotates: its pivot, else its bounding-box centre (as the renderer does)."""
    if mesh.pivot is not None:
        return np.asarray(mesh.pivot, dtype=np.float32).reshape(3)
    lo, hi = mesh.positions.min(axis=0), mesh.positions.max(axis=0)
    return (0.5 * (lo + hi)).astype(np.float32)


def build_scene(avatar: Avatar, progress: ProgressSink | None = None) -> GltfScene:
    """Build the glTF document (no animation yet) and binary buffer for ``avatar``."""
    progress = progress or NullProgress()
    buf = GlbBuffer()
    pivot = np.asarray(avatar.head_pivot, dtype=np.float32).reshape(3)
    head: dict[str, Any] = {
        "name": HEAD_NODE_NAME,
        "translation": _floats(pivot),
        "children": [],
        "extras": {"headPivot": _floats(pivot)},
    }
    nodes: list[dict[str, Any]] = [head]
    scene = GltfScene(document={}, buffer=buf, head_node=0)
    materials = _Materials(_Textures(buf))
    meshes: list[dict[str, Any]] = []
    total = len(avatar.meshes)
    roots = [0]
    skinned = [m for m in avatar.meshes if _partly_head(m)]
    if skinned:
        nodes.append({"name": ROOT_NODE_NAME, "children": [0]})
        roots = [len(nodes) - 1]
        skin = _head_skin(buf, root=roots[0], pivot=pivot)
    for k, mesh in enumerate(avatar.meshes):
        progress.report(k / max(total, 1), f"mesh {k + 1}/{total}")
        is_eye = mesh.part in EYE_PARTS
        partly = _partly_head(mesh)
        origin = eye_pivot(mesh) if is_eye else (np.zeros(3, np.float32) if partly else pivot)
        names = target_order(mesh)
        meshes.append(_mesh_json(mesh, origin, names, materials.index(mesh), buf))
        node: dict[str, Any] = {"name": mesh.name or f"mesh{k}", "mesh": len(meshes) - 1}
        if is_eye:
            node["translation"] = _floats(origin.astype(np.float64) - pivot.astype(np.float64))
        nodes.append(node)
        index = len(nodes) - 1
        if partly:
            _skin_to_head(meshes[-1], mesh, buf)
            node["skin"] = 0
            roots.append(index)  # glTF: a skinned mesh's node is a root, its transform unused
        else:
            head["children"].append(index)
        if names:
            scene.morph_nodes.append((index, names))
        if is_eye:
            scene.eye_nodes.append((index, mesh.part))
    progress.report(1.0, f"{total} meshes")
    if not head["children"]:
        del head["children"]  # glTF forbids empty lists
    scene.document = {
        "asset": {"version": "2.0", "generator": "Affect Studio"},
        "scene": 0,
        "scenes": [{"name": avatar.name or "avatar", "nodes": roots}],
        "nodes": nodes,
        **({"skins": [skin]} if skinned else {}),
        "meshes": meshes,
        "materials": materials.table,
        **materials.textures.document(),
        "accessors": buf.accessors,
        "bufferViews": buf.views,
        "buffers": [{"byteLength": 0}],  # set when the buffer is complete
    }
    return scene


def _partly_head(mesh: AvatarMesh) -> bool:
    """Whether only part of ``mesh`` turns with the head (some head weight below 1)."""
    h = mesh.head_weights
    return h is not None and mesh.part not in EYE_PARTS and bool(np.any(np.asarray(h) < 1.0))


def _head_skin(buf: GlbBuffer, *, root: int, pivot: np.ndarray) -> dict[str, Any]:
    """The skin of partly-turning meshes: joints ``root`` (origin) and ``head`` (at ``pivot``)."""
    inverse_bind = np.stack([np.eye(4), np.eye(4)]).astype(np.float32)
    inverse_bind[1, :3, 3] = -np.asarray(pivot, dtype=np.float32)
    matrices = inverse_bind.transpose(0, 2, 1).reshape(2, 16)  # column-major
    return {"name": "head motion", "joints": [root, 0], "skeleton": root,
            "inverseBindMatrices": buf.accessor(np.ascontiguousarray(matrices), kind="MAT4")}


def _skin_to_head(gmesh: dict[str, Any], mesh: AvatarMesh, buf: GlbBuffer) -> None:
    """Add ``JOINTS_0``/``WEIGHTS_0``: each vertex ``1 - h`` on ``root`` and ``h`` on ``head``."""
    h = np.clip(np.nan_to_num(np.asarray(mesh.head_weights, dtype=np.float32)), 0.0, 1.0)
    joints = np.zeros((mesh.vertex_count, 4), dtype=np.uint8)
    joints[:, 1] = h > 0.0  # glTF: an unused influence points at joint 0
    weights = np.zeros((mesh.vertex_count, 4), dtype=np.float32)
    weights[:, 0], weights[:, 1] = 1.0 - h, h
    attributes = gmesh["primitives"][0]["attributes"]
    attributes["JOINTS_0"] = buf.accessor(joints, target=ARRAY_BUFFER)
    attributes["WEIGHTS_0"] = buf.accessor(weights, target=ARRAY_BUFFER)


def _uvs(mesh: AvatarMesh) -> np.ndarray | None:
    """The mesh's ``(V, 2)`` UVs when it has one per vertex."""
    if mesh.uvs is None or len(mesh.uvs) != mesh.vertex_count:
        return None
    return np.nan_to_num(np.asarray(mesh.uvs, dtype=np.float32).reshape(-1, 2))


def _tangents(mesh: AvatarMesh, uvs: np.ndarray) -> np.ndarray:
    """Unit ``(V, 4)`` float32 tangents with w = +-1 (the mesh's, else generated)."""
    tan = mesh.tangents
    if tan is None or len(tan) != mesh.vertex_count:
        tan = vertex_tangents(mesh.positions, mesh.normals, uvs, mesh.indices)
    tan = np.nan_to_num(np.asarray(tan, dtype=np.float64).reshape(-1, 4))
    xyz = _unit_normals(tan[:, :3])
    w = np.where(tan[:, 3] < 0, -1.0, 1.0).astype(np.float32)
    return np.concatenate([xyz, w[:, None]], axis=1)


def _mesh_json(mesh: AvatarMesh, origin: np.ndarray, names: tuple[str, ...], material: int,
               buf: GlbBuffer) -> dict[str, Any]:
    positions = np.nan_to_num(np.asarray(mesh.positions, dtype=np.float64))
    local = (positions - origin).astype(np.float32)
    attributes = {
        "POSITION": buf.accessor(local, target=ARRAY_BUFFER, min_max=True),
        "NORMAL": buf.accessor(_unit_normals(mesh.normals), target=ARRAY_BUFFER),
    }
    if mesh.colors is not None and len(mesh.colors) == mesh.vertex_count:
        rgba = np.asarray(mesh.colors, dtype=np.float64)
        if rgba.shape[1] == 3:
            rgba = np.concatenate([rgba, np.ones((rgba.shape[0], 1))], axis=1)
        rgba16 = np.round(np.clip(rgba[:, :4], 0.0, 1.0) * 65535.0).astype(np.uint16)
        attributes["COLOR_0"] = buf.accessor(rgba16, target=ARRAY_BUFFER, normalized=True)
    uvs = _uvs(mesh)
    if uvs is not None:
        attributes["TEXCOORD_0"] = buf.accessor(uvs, target=ARRAY_BUFFER)
        if mesh.material.normal_texture is not None:
            attributes["TANGENT"] = buf.accessor(_tangents(mesh, uvs), target=ARRAY_BUFFER)
    index_type = np.uint16 if mesh.vertex_count < 65535 else np.uint32  # 65535 is a restart
    indices = np.asarray(mesh.indices).astype(index_type).reshape(-1)
    prim: dict[str, Any] = {
        "attributes": attributes,
        "indices": buf.accessor(indices, target=ELEMENT_ARRAY_BUFFER),
        "material": material,
        "mode": _TRIANGLES,
    }
    out: dict[str, Any] = {"name": mesh.name or "mesh", "primitives": [prim]}
    if names:
        prim["targets"] = [{"POSITION": buf.morph_accessor(mesh.morph_targets[n])} for n in names]
        out["weights"] = [0.0] * len(names)
        out["extras"] = {"targetNames": list(names)}
    return out


def _unit_normals(normals: np.ndarray) -> np.ndarray:
    """Unit-length float32 normals; degenerate ones point along +Z (glTF requires unit length)."""
    n = np.nan_to_num(np.asarray(normals, dtype=np.float64))
    length = np.linalg.norm(n, axis=1, keepdims=True)
    bad = length[:, 0] < 1e-12
    n = n / np.where(length < 1e-12, 1.0, length)
    n[bad] = (0.0, 0.0, 1.0)
    return n.astype(np.float32)


class _Textures:
    """Images (PNG in the buffer), samplers and textures, one per :class:`Texture` object."""

    def __init__(self, buf: GlbBuffer) -> None:
        self.buf = buf
        self.images: list[dict[str, Any]] = []
        self.samplers: list[dict[str, Any]] = []
        self.textures: list[dict[str, Any]] = []
        self._seen: dict[int, tuple[Texture, int]] = {}

    def index(self, texture: Texture) -> int:
        """The glTF texture index of ``texture`` (encoded the first time)."""
        found = self._seen.get(id(texture))
        if found is not None and found[0] is texture:
            return found[1]
        png = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(texture.pixels, dtype=np.uint8)).save(png, "PNG")
        view = self.buf.view(np.frombuffer(png.getvalue(), dtype=np.uint8))
        self.images.append({"bufferView": view, "mimeType": "image/png",
                            "name": texture.name or f"texture{len(self.images)}"})
        sampler = {"magFilter": _LINEAR, "minFilter": _LINEAR_MIPMAP_LINEAR,
                   "wrapS": _WRAP_CODES.get(texture.wrap[0], 10497),
                   "wrapT": _WRAP_CODES.get(texture.wrap[1], 10497)}
        if sampler not in self.samplers:
            self.samplers.append(sampler)
        self.textures.append({"sampler": self.samplers.index(sampler),
                              "source": len(self.images) - 1})
        self._seen[id(texture)] = (texture, len(self.textures) - 1)
        return len(self.textures) - 1

    def document(self) -> dict[str, Any]:
        """The ``images``, ``samplers`` and ``textures`` arrays (none when there are none)."""
        if not self.textures:
            return {}
        return {"images": self.images, "samplers": self.samplers, "textures": self.textures}


class _Materials:
    """One glTF material per distinct (part, material); named after the part.

    The name matters on the way back: the loader guesses a mesh's part from its node, mesh and
    material names, so a material called ``eye_left`` keeps an eyeball an eyeball.
    """

    def __init__(self, textures: _Textures) -> None:
        self.table: list[dict[str, Any]] = []
        self.textures = textures
        self._seen: dict[tuple[object, ...], int] = {}
        self._per_part: dict[str, int] = {}

    def index(self, mesh: AvatarMesh) -> int:
        m = mesh.material
        textured = _uvs(mesh) is not None
        base = m.base_color_texture if textured else None
        normal = m.normal_texture if textured else None
        key = (mesh.part, *(float(c) for c in m.base_color), float(m.roughness),
               float(m.metallic), float(m.subsurface), id(base), id(normal),
               float(m.normal_scale), m.alpha_mode, float(m.alpha_cutoff))
        found = self._seen.get(key)
        if found is not None:
            return found
        count = self._per_part.get(mesh.part, 0) + 1
        self._per_part[mesh.part] = count
        name = mesh.part if count == 1 else f"{mesh.part}_{count}"
        colour = [float(np.clip(c, 0.0, 1.0)) for c in (*m.base_color, 1.0, 1.0, 1.0)[:4]]
        self.table.append({
            "name": name,
            "pbrMetallicRoughness": {
                "baseColorFactor": colour,
                "metallicFactor": float(np.clip(m.metallic, 0.0, 1.0)),
                "roughnessFactor": float(np.clip(m.roughness, 0.0, 1.0)),
            },
            "extras": {"subsurface": float(np.clip(m.subsurface, 0.0, 1.0))},
        })
        entry = self.table[-1]
        if base is not None:
            entry["pbrMetallicRoughness"]["baseColorTexture"] = {
                "index": self.textures.index(base)}
        if normal is not None:
            entry["normalTexture"] = {"index": self.textures.index(normal),
                                      "scale": float(m.normal_scale)}
        if m.alpha_mode != "opaque":
            entry["alphaMode"] = m.alpha_mode.upper()
            if m.alpha_mode == "mask":
                entry["alphaCutoff"] = float(max(m.alpha_cutoff, 0.0))
        self._seen[key] = len(self.table) - 1
        return self._seen[key]


def _floats(values: np.ndarray) -> list[float]:
    return [float(v) + 0.0 for v in np.asarray(values).reshape(-1)]  # + 0.0: no negative zeros
