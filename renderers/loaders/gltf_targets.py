"""List the meshes of a glTF/GLB avatar with their morph-target names, without loading geometry.

Only the document and accessor headers are read (no vertex data), with the same checks and
errors as the loader; names missing from ``extras.targetNames`` get the loader's
``target<N>`` placeholders.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pygltflib as gl

from renderers.loaders.gltf import _target_names
from renderers.loaders.gltf_io import AccessorReader, BufferStore, fail, read_document

__all__ = ["MeshTargets", "mesh_targets"]

_TRIANGLE_MODES = (gl.TRIANGLES, gl.TRIANGLE_STRIP, gl.TRIANGLE_FAN)


@dataclass(frozen=True)
class MeshTargets:
    """One glTF mesh used by the scene.

    Parameters
    ----------
    name
        Mesh name (or its first node's name, or ``mesh<N>``).
    vertex_count
        Vertices over its triangle primitives.
    target_names
        Its morph-target names, in file order.
    """

    name: str
    vertex_count: int
    target_names: tuple[str, ...]


def mesh_targets(path: str | Path) -> list[MeshTargets]:
    """The triangle meshes the nodes of a glTF/GLB file use, with their morph-target names.

    Parameters
    ----------
    path
        ``.glb``, ``.gltf`` or ``.vrm`` file.

    Raises
    ------
    AvatarError
        The file is missing or malformed, or a node refers to a missing mesh.
    """
    path = Path(path)
    doc, bin_chunk = read_document(path)
    reader = AccessorReader(path, doc, BufferStore(path, doc, bin_chunk))
    meshes = doc.meshes or []
    used: dict[int, str] = {}
    for n_index, node in enumerate(doc.nodes or []):
        if node.mesh is None:
            continue
        if not isinstance(node.mesh, int) or not 0 <= node.mesh < len(meshes):
            raise fail(path, f"node {n_index} refers to missing mesh {node.mesh}",
                       "re-export the avatar")
        used.setdefault(node.mesh, node.name or "")
    out = []
    for m_index, node_name in used.items():
        gmesh = meshes[m_index]
        prims = [p for p in gmesh.primitives or []
                 if (gl.TRIANGLES if p.mode is None else p.mode) in _TRIANGLE_MODES
                 and p.attributes is not None and p.attributes.POSITION is not None]
        if not prims:
            continue
        vertices = sum(reader.count(p.attributes.POSITION) for p in prims)
        count = max(len(p.targets or []) for p in prims)
        names = _target_names(gmesh) or []
        full = tuple(names[i] if i < len(names) else f"target{i}" for i in range(count))
        out.append(MeshTargets(gmesh.name or node_name or f"mesh{m_index}", vertices, full))
    return out
