"""VRM avatars: face +Z, pivot the head at the neck bone, drive the expression presets.

A VRM file is glTF with a VRM extension (:mod:`renderers.loaders.vrm_presets` reads it). After
the glTF loader has built the avatar, :func:`apply_vrm`

* turns a VRM 0.x model, which looks toward -Z, by 180 degrees about +Y (positions, normals,
  tangents, morph targets, eye pivots, head pivot), so it faces +Z with its left side at +X like
  every other avatar (eye sides are then re-read from their positions);
* sets the head pivot to the humanoid neck bone's position (else the head bone's);
* turns each expression into a morph target on the meshes it moves: the expression's delta on a
  mesh is the sum over its binds on that mesh of weight x that target's delta (avatar space, as
  the loader computes target deltas), stored under the driven-channel name
  (:func:`~renderers.loaders.vrm_presets.plan_channels`): ``aa``/``a`` -> ``viseme_aa`` ...,
  ``happy``/``joy`` -> ``expression_happy`` ..., ``blinkLeft``/``blink_l`` -> ``eyeBlinkLeft``,
  ``blink`` cut at the face's midline into ``eyeBlinkLeft``/``eyeBlinkRight`` when no one-sided
  blink exists, ``lookUp`` ... -> the matching ``eyeLook*`` pair, and custom expressions named like
  ARKit shapes (VRoid "perfect sync") under their ARKit names.

A channel the file already has as a morph target (ARKit-named shape keys, a mapping profile's
choice) is never replaced, and the look presets are skipped when the avatar has eye meshes to
rotate. Binary expressions (``isBinary``) are kept as blended shapes: the renderer
weights every channel continuously. Material binds (MToon colour and texture changes) are
ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pygltflib as gl

from renderers.avatar import Avatar, AvatarMesh
from renderers.loaders.face_points import fix_eye_sides, midline_split
from renderers.loaders.gltf import _NodeVisit, _walk
from renderers.loaders.gltf_io import MAX_VERTICES, AccessorReader, fail, read_document
from renderers.loaders.gltf_skin import skin_vertices
from renderers.loaders.vrm_presets import (
    LOOK_CHANNELS,
    ChannelSource,
    Expression,
    VrmInfo,
    plan_channels,
    read_vrm,
)

__all__ = ["apply_vrm", "read_vrm", "turn_to_face_z", "vrm_report_sources"]

TURN_Y180 = np.array([-1.0, 1.0, -1.0])
"""Per-axis factors of a half turn about +Y (x and z change sign)."""

MAX_CACHE_BYTES = 256 * 2**20
"""Target deltas kept in memory while building expressions (more are read again)."""

_EYE_PARTS = ("eye_left", "eye_right")
_TRIANGLE_MODES = (gl.TRIANGLES, gl.TRIANGLE_STRIP, gl.TRIANGLE_FAN)

Placed = Sequence[tuple[_NodeVisit, AvatarMesh]]
"""Each avatar mesh with the scene-graph visit of the node it came from, in loading order."""


def apply_vrm(path: Path, doc: gl.GLTF2, reader: AccessorReader, avatar: Avatar,
              placed: Placed, info: VrmInfo) -> None:
    """Finish a VRM avatar the glTF loader has built (see the module docstring).

    Parameters
    ----------
    path
        The file (for messages).
    doc
        Its parsed document.
    reader
        The loader's accessor reader (target deltas are read again through it).
    avatar
        The avatar, changed in place.
    placed
        Every mesh of ``avatar`` with the node visit it came from, in loading order (a node's
        meshes follow its triangle primitives in order).
    info
        The VRM extension (:func:`~renderers.loaders.vrm_presets.read_vrm`).

    Raises
    ------
    AvatarError
        A morph target an expression binds has the wrong vertex count.
    """
    present = {name for mesh in avatar.meshes for name in mesh.morph_targets}
    visits = {visit.index: visit for visit in _walk(path, doc)}
    flip = info.faces_minus_z
    if flip:
        turn_to_face_z(avatar)
        fix_eye_sides(avatar.meshes)
    pivot = _bone_position(info, visits, ("neck", "head"), flip)
    if pivot is not None:
        avatar.head_pivot = pivot.astype(np.float32)
    head = _bone_position(info, visits, ("head", "neck"), flip)
    midline = None if head is None else float(head[0])
    # Eye bones alone do not count: the renderer turns eye meshes, not bones (VRoid's eyes are
    # part of the face mesh), so such avatars look around with their look presets.
    eyes_rotate = any(m.part in _EYE_PARTS for m in avatar.meshes)
    builder = _DeltaBuilder(path, reader, list(_primitives(doc, reader, placed)), visits, flip)
    for source in plan_channels(info):
        if source.channel in present or (source.channel in LOOK_CHANNELS and eyes_rotate):
            continue
        if builder.add(source, midline):
            present.add(source.channel)


def turn_to_face_z(avatar: Avatar) -> None:
    """Turn an avatar half a turn about +Y in place (a VRM 0.x model then faces +Z).

    Examples
    --------
    >>> mesh = AvatarMesh("m", "skin", np.array([[1.0, 2.0, 3.0]], np.float32),
    ...                   np.array([[0.0, 0.0, 1.0]], np.float32), np.zeros((0, 3), np.uint32),
    ...                   morph_targets={"jawOpen": np.array([[0.5, 0.0, 0.5]], np.float32)})
    >>> avatar = Avatar("a", [mesh], head_pivot=np.array([0.1, 1.0, 0.2], np.float32))
    >>> turn_to_face_z(avatar)
    >>> mesh.positions.tolist(), mesh.normals.tolist(), mesh.morph_targets["jawOpen"].tolist()
    ([[-1.0, 2.0, -3.0]], [[-0.0, 0.0, -1.0]], [[-0.5, 0.0, -0.5]])
    >>> avatar.head_pivot.tolist()
    [-0.10000000149011612, 1.0, -0.20000000298023224]
    """
    turn = TURN_Y180.astype(np.float32)
    for mesh in avatar.meshes:
        mesh.positions = (mesh.positions * turn).astype(np.float32)
        mesh.normals = (mesh.normals * turn).astype(np.float32)
        mesh.morph_targets = {name: (delta * turn).astype(np.float32)
                              for name, delta in mesh.morph_targets.items()}
        if mesh.pivot is not None:
            mesh.pivot = (np.asarray(mesh.pivot) * turn).astype(np.float32)
        if mesh.tangents is not None:  # a rotation keeps the bitangent sign in w
            tangents = np.array(mesh.tangents, dtype=np.float32)
            tangents[:, :3] *= turn
            mesh.tangents = tangents
    avatar.head_pivot = (np.asarray(avatar.head_pivot) * turn).astype(np.float32)


def vrm_report_sources(path: str | Path, avatar: Avatar) -> list[tuple[str, str]]:
    """``(channel, source)`` for each VRM expression behind a channel the loaded avatar has.

    For :func:`~renderers.loaders.arkit_match.build_report`'s ``presets``: the file's target
    names say little about a VRoid face (``Fcl_MTH_A``), its expressions say what it can do.
    Empty for a plain glTF file.

    Parameters
    ----------
    path
        The avatar file.
    avatar
        The same file loaded (so only channels the loader really built are listed).

    Raises
    ------
    AvatarError
        The file is unreadable or its VRM extension malformed.
    """
    path = Path(path)
    doc, _ = read_document(path)
    info = read_vrm(path, doc)
    if info is None:
        return []
    have = {name for mesh in avatar.meshes for name in mesh.morph_targets}
    return [(s.channel, s.label) for s in plan_channels(info) if s.channel in have]


# -- pieces ----------------------------------------------------------------------------------


def _bone_position(info: VrmInfo, visits: dict[int, _NodeVisit], bones: tuple[str, ...],
                   flip: bool) -> np.ndarray | None:
    """World position of the first of ``bones`` the humanoid has (avatar space)."""
    for bone in bones:
        visit = visits.get(info.bones.get(bone, -1))
        if visit is not None:
            p = visit.world[:3, 3] * (TURN_Y180 if flip else 1.0)
            if np.all(np.isfinite(p)):
                return p
    return None


def _primitives(doc: gl.GLTF2, reader: AccessorReader,
                placed: Placed) -> Iterator[tuple[_NodeVisit, AvatarMesh, gl.Primitive]]:
    """Pair each avatar mesh with the glTF primitive it was built from."""
    by_node: dict[int, tuple[_NodeVisit, list[AvatarMesh]]] = {}
    for visit, mesh in placed:
        by_node.setdefault(visit.index, (visit, []))[1].append(mesh)
    for visit, meshes in by_node.values():
        gmesh = doc.meshes[doc.nodes[visit.index].mesh]
        prims = [p for p in gmesh.primitives or []
                 if (gl.TRIANGLES if p.mode is None else p.mode) in _TRIANGLE_MODES]
        for mesh, prim in zip(meshes, prims, strict=False):
            if prim.attributes is not None and prim.attributes.POSITION is not None and \
                    reader.count(prim.attributes.POSITION) == mesh.vertex_count:
                yield visit, mesh, prim


def _left_weight(x: np.ndarray, midline: float | None) -> np.ndarray:
    """:func:`~renderers.loaders.face_points.midline_split`, cut at ``midline`` when one is known.

    Mirroring the vertices about the midline puts the median there, so a mesh lying on one
    side of the face (one eye) goes to that side whole.
    """
    if midline is None:
        return midline_split(x)
    return midline_split(np.concatenate([x, 2.0 * midline - x]))[: x.size]


class _DeltaBuilder:
    """Sums bound target deltas into expression deltas, mesh by mesh."""

    def __init__(self, path: Path, reader: AccessorReader,
                 pairs: list[tuple[_NodeVisit, AvatarMesh, gl.Primitive]],
                 visits: dict[int, _NodeVisit], flip: bool) -> None:
        self.path = path
        self.reader = reader
        self.pairs = pairs
        self.world = {index: visit.world for index, visit in visits.items()}
        self.flip = flip
        self.vectors: dict[int, Callable[[np.ndarray], np.ndarray]] = {}
        self.cache: dict[int, np.ndarray] = {}
        self.cached_bytes = 0
        self.last: tuple[Expression | None, dict[int, np.ndarray | None]] = (None, {})

    def add(self, source: ChannelSource, midline: float | None) -> bool:
        """Store ``source`` as a morph target on every mesh it moves; whether it moved any."""
        added = False
        for visit, mesh, prim in self.pairs:
            delta = self.expression(source.expression, visit, mesh, prim)
            if delta is None:
                continue
            if source.half is not None:
                left = _left_weight(mesh.positions[:, 0].astype(np.float64), midline)
                delta = delta * (left if source.half == "left" else 1.0 - left)[:, None]
                if not np.any(delta):
                    continue
            mesh.morph_targets[source.channel] = delta.astype(np.float32)
            added = True
        return added

    def expression(self, expr: Expression, visit: _NodeVisit, mesh: AvatarMesh,
                   prim: gl.Primitive) -> np.ndarray | None:
        """The expression's delta on one mesh in avatar space (``None`` when it moves nothing)."""
        if self.last[0] is not expr:  # both halves of a split preset reuse the sums
            self.last = (expr, {})
        memo = self.last[1]
        if id(mesh) not in memo:
            memo[id(mesh)] = self._sum(expr, visit, mesh, prim)
        return memo[id(mesh)]

    def _sum(self, expr: Expression, visit: _NodeVisit, mesh: AvatarMesh,
             prim: gl.Primitive) -> np.ndarray | None:
        targets = prim.targets or []
        node_mesh = self.reader.doc.nodes[visit.index].mesh
        total: np.ndarray | None = None
        for bind in expr.binds:
            if bind.mesh != node_mesh or (bind.node is not None and bind.node != visit.index):
                continue
            if bind.weight == 0.0 or bind.index >= len(targets):
                continue
            target = targets[bind.index]
            accessor = target.get("POSITION") if isinstance(target, dict) else None
            if accessor is None:
                continue
            part = bind.weight * self._target(accessor, mesh, bind.index)
            total = part if total is None else total + part
        if total is None:
            return None
        delta = self._vectors(visit, mesh, prim)(total)
        if self.flip:
            delta = delta * TURN_Y180
        return delta if np.any(delta) else None

    def _vectors(self, visit: _NodeVisit, mesh: AvatarMesh,
                 prim: gl.Primitive) -> Callable[[np.ndarray], np.ndarray]:
        """How the loader turned this mesh's target deltas: its skin, else its node's transform."""
        if id(mesh) not in self.vectors:
            node = self.reader.doc.nodes[visit.index]
            skinned = None
            if node.skin is not None:
                skinned = skin_vertices(self.path, self.reader.doc, self.reader, prim, node.skin,
                                        self.world, mesh.vertex_count, mesh.name)
            lin = visit.world[:3, :3]
            self.vectors[id(mesh)] = skinned.vectors if skinned is not None else \
                (lambda d: d @ lin.T)
        return self.vectors[id(mesh)]

    def _target(self, accessor: int, mesh: AvatarMesh, index: int) -> np.ndarray:
        if accessor in self.cache:
            return self.cache[accessor]
        if self.reader.count(accessor) != mesh.vertex_count:
            raise fail(self.path, f"mesh {mesh.name!r} morph target {index} has the wrong "
                       "vertex count", "re-export the avatar")
        delta = self.reader.read(accessor, max_count=MAX_VERTICES)[:, :3]
        if self.cached_bytes + delta.nbytes <= MAX_CACHE_BYTES:
            self.cache[accessor] = delta
            self.cached_bytes += delta.nbytes
        return delta
