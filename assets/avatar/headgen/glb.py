"""Write the parts as a binary glTF 2.0 file (one buffer, sparse morph targets).

Numbers are rounded before they are written (positions and deltas to 1e-6 m, normals to 1e-5)
so the output is byte-identical across machines whose floating-point math differs in the last
bits.
"""

from __future__ import annotations

import json
import struct

import numpy as np
import pygltflib as gl

from renderers.arkit import ARKIT_NAMES

from .assemble import Part
from .hair import HAIR_COLOR
from .mouth import TEETH_COLOR, TONGUE_COLOR
from .skin import SKIN_TONE

ARRAY_BUFFER = 34962
ELEMENT_ARRAY_BUFFER = 34963

MATERIALS: dict[str, dict[str, object]] = {
    "skin": {"name": "Skin", "color": (*SKIN_TONE, 1.0), "roughness": 0.5,
             "extras": {"subsurface": 0.35}},
    "eye": {"name": "Eye", "color": (1.0, 1.0, 1.0, 1.0), "roughness": 0.08,
            "extras": {"subsurface": 0.0}},
    "teeth": {"name": "Teeth", "color": (*TEETH_COLOR, 1.0), "roughness": 0.3,
              "extras": {"subsurface": 0.1}},
    "tongue": {"name": "Tongue", "color": (*TONGUE_COLOR, 1.0), "roughness": 0.4,
               "extras": {"subsurface": 0.3}},
    "mouth": {"name": "MouthInterior", "color": (0.20, 0.035, 0.04, 1.0), "roughness": 0.7,
              "extras": {"subsurface": 0.0}},
    "hair": {"name": "Hair", "color": (*HAIR_COLOR, 1.0), "roughness": 0.62,
             "extras": {"subsurface": 0.0}},
}
"""Material key -> glTF material (linear base colour, roughness, extras)."""

DELTA_EPS = 1e-6
"""Deltas whose components are all below this (metres) are left out of the sparse targets."""


class _Blob:
    """Accumulates bufferViews in one binary buffer, 4-byte aligned."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.views: list[gl.BufferView] = []

    def add(self, raw: bytes, target: int | None = None, stride: int | None = None) -> int:
        pad = (-len(self.data)) % 4
        self.data.extend(b"\0" * pad)
        view = gl.BufferView(buffer=0, byteOffset=len(self.data), byteLength=len(raw))
        if target is not None:
            view.target = target
        if stride is not None:
            view.byteStride = stride
        self.data.extend(raw)
        self.views.append(view)
        return len(self.views) - 1


def _round(a: np.ndarray, decimals: int) -> np.ndarray:
    out = np.round(np.asarray(a, dtype=np.float64), decimals)
    out[out == 0] = 0.0  # no negative zeros
    return out.astype(np.float32)


def _minmax(a: np.ndarray) -> tuple[list[float], list[float]]:
    return [float(x) for x in a.min(axis=0)], [float(x) for x in a.max(axis=0)]


def write_glb(parts: list[Part], offset: np.ndarray, path: str, head_pivot: np.ndarray) -> None:
    """Write ``parts`` to ``path`` (positions shifted by ``offset``).

    ``head_pivot`` (build frame) is stored in the root node's ``extras.headPivot``.
    """
    doc = build_document(parts, offset, head_pivot)
    gltf, blob = doc
    doc_json = json.loads(gltf.gltf_to_json(separators=(",", ":"), indent=None))
    for acc in doc_json["accessors"]:
        if "bufferView" not in acc:
            acc.pop("byteOffset", None)
    json_bytes = json.dumps(doc_json, separators=(",", ":"), sort_keys=True).encode("utf-8")
    json_bytes += b" " * ((-len(json_bytes)) % 4)
    bin_bytes = bytes(blob) + b"\0" * ((-len(blob)) % 4)
    total = 12 + 8 + len(json_bytes) + 8 + len(bin_bytes)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<4sII", b"glTF", 2, total))
        fh.write(struct.pack("<I4s", len(json_bytes), b"JSON"))
        fh.write(json_bytes)
        fh.write(struct.pack("<I4s", len(bin_bytes), b"BIN\0"))
        fh.write(bin_bytes)


def build_document(parts: list[Part], offset: np.ndarray,
                   head_pivot: np.ndarray) -> tuple[gl.GLTF2, bytearray]:
    """The glTF JSON document and its binary buffer."""
    blob = _Blob()
    accessors: list[gl.Accessor] = []
    meshes: list[gl.Mesh] = []
    nodes: list[gl.Node] = []
    mat_keys = list(MATERIALS)
    materials = []
    for key in mat_keys:
        m = MATERIALS[key]
        materials.append(gl.Material(
            name=str(m["name"]),
            pbrMetallicRoughness=gl.PbrMetallicRoughness(
                baseColorFactor=[float(c) for c in m["color"]], metallicFactor=0.0,
                roughnessFactor=float(m["roughness"])),
            extras=dict(m["extras"]),  # type: ignore[arg-type]
        ))

    def add_accessor(acc: gl.Accessor) -> int:
        accessors.append(acc)
        return len(accessors) - 1

    for part in parts:
        local = part.positions if part.name.startswith("Eye") else part.positions + offset
        pos = _round(local, 6)
        nrm = _round(part.normals(), 5)
        col = np.concatenate([np.clip(part.colors, 0, 1), np.ones((part.count, 1))], axis=1)
        col16 = np.round(col * 65535).astype(np.uint16)
        lo, hi = _minmax(pos)
        a_pos = add_accessor(gl.Accessor(
            bufferView=blob.add(pos.tobytes(), ARRAY_BUFFER), componentType=gl.FLOAT,
            count=part.count, type=gl.VEC3, min=lo, max=hi))
        a_nrm = add_accessor(gl.Accessor(
            bufferView=blob.add(nrm.tobytes(), ARRAY_BUFFER), componentType=gl.FLOAT,
            count=part.count, type=gl.VEC3))
        a_col = add_accessor(gl.Accessor(
            bufferView=blob.add(col16.tobytes(), ARRAY_BUFFER), componentType=gl.UNSIGNED_SHORT,
            normalized=True, count=part.count, type=gl.VEC4))
        small = part.count < 65536
        idx = part.triangles.astype(np.uint16 if small else np.uint32).ravel()
        a_idx = add_accessor(gl.Accessor(
            bufferView=blob.add(idx.tobytes(), ELEMENT_ARRAY_BUFFER),
            componentType=gl.UNSIGNED_SHORT if small else gl.UNSIGNED_INT,
            count=int(idx.size), type=gl.SCALAR))
        targets = []
        names: list[str] = []
        if part.targets:
            for name in ARKIT_NAMES:
                targets.append({"POSITION": add_accessor(_sparse_target(
                    part.targets[name], blob, small))})
                names.append(name)
        prim = gl.Primitive(
            attributes=gl.Attributes(POSITION=a_pos, NORMAL=a_nrm, COLOR_0=a_col),
            indices=a_idx, material=mat_keys.index(part.material), mode=gl.TRIANGLES,
            targets=targets or None,
        )
        extras: dict[str, object] = {}
        if names:
            extras["targetNames"] = names
        if part.landmarks:
            extras["landmarks"] = part.landmarks
        mesh = gl.Mesh(name=part.name, primitives=[prim], extras=extras,
                       weights=[0.0] * len(names) if names else None)
        meshes.append(mesh)
        node = gl.Node(name=part.name, mesh=len(meshes) - 1)
        if part.name.startswith("Eye"):
            node.translation = [round(float(x), 6) for x in part.translation + offset]
        nodes.append(node)
    root = gl.Node(name="DefaultHead", children=list(range(len(nodes))),
                   extras={"headPivot": [round(float(x), 6) for x in head_pivot + offset]})
    nodes.append(root)
    gltf = gl.GLTF2(
        asset=gl.Asset(version="2.0", generator="affect-studio build_default_avatar",
                       copyright="Affect Studio default avatar, procedurally generated"),
        scene=0, scenes=[gl.Scene(name="DefaultHead", nodes=[len(nodes) - 1])],
        nodes=nodes, meshes=meshes, materials=materials, accessors=accessors,
        bufferViews=blob.views, buffers=[gl.Buffer(byteLength=len(blob.data))],
    )
    return gltf, blob.data


def _sparse_target(delta: np.ndarray, blob: _Blob, small: bool) -> gl.Accessor:
    """A morph target accessor that stores only the vertices that move."""
    d = _round(delta, 6)
    moving = np.flatnonzero(np.abs(d).max(axis=1) >= DELTA_EPS)
    n = d.shape[0]
    if moving.size == 0:
        return gl.Accessor(componentType=gl.FLOAT, count=n, type=gl.VEC3, min=[0.0] * 3,
                           max=[0.0] * 3)
    d_kept = np.zeros_like(d)
    d_kept[moving] = d[moving]
    lo, hi = _minmax(d_kept)
    idx = moving.astype(np.uint16 if small else np.uint32)
    sparse = gl.Sparse(
        count=int(moving.size),
        indices=gl.AccessorSparseIndices(
            bufferView=blob.add(idx.tobytes()),
            componentType=gl.UNSIGNED_SHORT if small else gl.UNSIGNED_INT),
        values=gl.AccessorSparseValues(bufferView=blob.add(d[moving].tobytes())),
    )
    return gl.Accessor(componentType=gl.FLOAT, count=n, type=gl.VEC3, min=lo, max=hi,
                       sparse=sparse)
