"""Skinned glTF meshes: the bind pose, and how much of each vertex the head bone carries.

A skinned mesh's own node transform is ignored (glTF 2.0, "Skins"): a vertex sits where its
joints put it, ``sum_k w_k * world(joint_k) @ inverseBind_k``. With the scene's nodes at rest
that is the bind pose the artist modelled, whatever scale or rotation an armature node carries
(Mixamo's 0.01 armatures included).

Head motion then belongs to the head: each vertex gets the share of its skin weights on the
head bone and its descendants (plus half of the neck's, so the neck bends instead of shearing),
and the renderer turns only that share (:attr:`renderers.avatar.AvatarMesh.head_weights`); a
body under the head stays still. The head and neck bones come from their names (``Head``,
``mixamorig:Head``, ``J_Bip_C_Head``, ``head.x``...) or from a VRM humanoid map.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pygltflib as gl

from renderers.loaders.gltf_io import MAX_VERTICES, AccessorReader, fail

__all__ = ["MAX_JOINTS", "NECK_SHARE", "SkinnedVertices", "find_head_bones", "skin_vertices"]

MAX_JOINTS = 1024
"""Most joints one skin may have."""

NECK_SHARE = 0.5
"""Share of the neck bone's weight that follows the head."""

_HEAD = re.compile(r"(^|[^a-z0-9])(c_)?head(_?0*1)?(\.x)?$")
_NECK = re.compile(r"(^|[^a-z0-9])(c_)?neck(_?0*1)?(\.x)?$")


def _bone_key(name: str) -> str:
    key = name.strip().lower()
    return re.sub(r"^.*[:|]", "", key)


def find_head_bones(
    doc: gl.GLTF2, candidates: list[int], *, hints: Mapping[str, int] | None = None
) -> tuple[int | None, int | None]:
    """``(head, neck)`` node indices among ``candidates`` (joint nodes), ``None`` if absent.

    ``hints`` (``{"head": node, "neck": node}``, e.g. from a VRM humanoid) win over names.

    Examples
    --------
    >>> doc = gl.GLTF2(nodes=[gl.Node(name="mixamorig:Hips"), gl.Node(name="mixamorig:Neck"),
    ...                       gl.Node(name="mixamorig:Head"), gl.Node(name="HeadTop_End")])
    >>> find_head_bones(doc, [0, 1, 2, 3])
    (2, 1)
    """
    head = neck = None
    if hints:
        head, neck = hints.get("head"), hints.get("neck")
    for index in candidates:
        key = _bone_key(doc.nodes[index].name or "")
        if head is None and _HEAD.search(key):
            head = index
        elif neck is None and _NECK.search(key):
            neck = index
    return head, neck


@dataclass(frozen=True)
class SkinnedVertices:
    """A primitive's vertices in the bind pose.

    Attributes
    ----------
    matrices
        ``(V, 4, 4)`` float64 per-vertex skinning matrices (apply their ``[:3, :3]`` to
        normals and morph deltas).
    head_weights
        ``(V,)`` float32 share of each vertex the head carries, or ``None`` when the skin has
        no head bone (then the whole mesh turns with the head).
    """

    matrices: np.ndarray
    head_weights: np.ndarray | None

    def points(self, p: np.ndarray) -> np.ndarray:
        """``(V, 3)`` positions moved to the bind pose."""
        m = self.matrices
        return np.einsum("vij,vj->vi", m[:, :3, :3], p) + m[:, :3, 3]

    def vectors(self, d: np.ndarray) -> np.ndarray:
        """``(V, 3)`` directions (normals, morph deltas) turned with the vertices."""
        return np.einsum("vij,vj->vi", self.matrices[:, :3, :3], d)


def _descendants(doc: gl.GLTF2, root: int) -> set[int]:
    out, stack = set(), [root]
    while stack:
        i = stack.pop()
        if i in out or not 0 <= i < len(doc.nodes):
            continue
        out.add(i)
        stack.extend(doc.nodes[i].children or [])
    return out


def skin_vertices(
    path: Path,
    doc: gl.GLTF2,
    reader: AccessorReader,
    prim: gl.Primitive,
    skin_index: int,
    world: Mapping[int, np.ndarray],
    n_vert: int,
    label: str,
    *,
    hints: Mapping[str, int] | None = None,
) -> SkinnedVertices | None:
    """The bind pose of a skinned primitive, ``None`` when it has no joint attributes.

    Parameters
    ----------
    path, doc, reader
        The file being loaded and its accessor reader.
    prim
        The primitive (``JOINTS_0``/``WEIGHTS_0``; further sets are ignored).
    skin_index
        Its node's ``skin``.
    world
        Node index -> ``(4, 4)`` world matrix of the scene at rest.
    n_vert, label
        The primitive's vertex count and name (for messages).
    hints
        Optional head/neck nodes (see :func:`find_head_bones`).

    Raises
    ------
    AvatarError
        The skin or its attributes are malformed.
    """
    attrs = prim.attributes
    if attrs.JOINTS_0 is None or attrs.WEIGHTS_0 is None:
        return None
    skins = doc.skins or []
    if not 0 <= skin_index < len(skins):
        raise fail(path, f"mesh {label!r} refers to missing skin {skin_index}",
                   "re-export the avatar")
    skin = skins[skin_index]
    joints = list(skin.joints or [])
    if not joints or len(joints) > MAX_JOINTS:
        raise fail(path, f"skin {skin_index} has {len(joints)} joints (1 to {MAX_JOINTS})",
                   "re-export the avatar with a simpler skeleton")
    if any(not isinstance(j, int) or j not in world for j in joints):
        raise fail(path, f"skin {skin_index} names a joint that is not in the scene",
                   "re-export the avatar")
    if reader.count(attrs.JOINTS_0) != n_vert or reader.count(attrs.WEIGHTS_0) != n_vert:
        raise fail(path, f"mesh {label!r} has joint data for the wrong number of vertices",
                   "re-export the avatar")
    ids = reader.read(attrs.JOINTS_0, max_count=MAX_VERTICES)[:, :4]
    weights = reader.read(attrs.WEIGHTS_0, max_count=MAX_VERTICES)[:, :4].astype(np.float64)
    if not np.all(np.isfinite(weights)) or np.any(ids < 0) or np.any(ids >= len(joints)):
        raise fail(path, f"mesh {label!r} has joint indices or weights out of range",
                   "re-export the avatar")
    ids = ids.astype(np.int64)
    weights = np.clip(weights, 0.0, None)
    total = weights.sum(axis=1, keepdims=True)
    weights = np.divide(weights, total, out=np.zeros_like(weights), where=total > 1e-8)

    if skin.inverseBindMatrices is not None:
        if reader.count(skin.inverseBindMatrices) != len(joints):
            raise fail(path, f"skin {skin_index} has the wrong number of inverse bind matrices",
                       "re-export the avatar")
        ibm = reader.read(skin.inverseBindMatrices, max_count=MAX_JOINTS)
        ibm = ibm.reshape(len(joints), 4, 4).transpose(0, 2, 1).astype(np.float64)
    else:
        ibm = np.repeat(np.eye(4)[None], len(joints), axis=0)
    joint_mats = np.stack([world[j] for j in joints]) @ ibm  # (J, 4, 4)
    matrices = np.einsum("vk,vkij->vij", weights, joint_mats[ids])
    unweighted = total[:, 0] <= 1e-8
    if np.any(unweighted):  # no influence at all: glTF leaves these undefined; keep them put
        matrices[unweighted] = np.eye(4)

    head, neck = find_head_bones(doc, joints, hints=hints)
    head_weights = None
    if head is not None:
        share = np.zeros(len(joints))
        carried = _descendants(doc, head)
        for k, j in enumerate(joints):
            if j in carried:
                share[k] = 1.0
            elif j == neck:
                share[k] = NECK_SHARE
        head_weights = np.einsum("vk,vk->v", weights, share[ids]).astype(np.float32)
        head_weights[unweighted] = 1.0
    return SkinnedVertices(matrices, head_weights)
