"""Read a Wavefront OBJ file into arrays: positions, texture coordinates, normals, and faces
split by object, group and material.

Supported: ``v`` (optionally followed by an RGB vertex colour), ``vt``, ``vn``, ``f`` with
``v``, ``v/vt``, ``v//vn`` and ``v/vt/vn`` corners (negative indices count back from the
latest element), polygons (fan-triangulated), ``o``, ``g``, ``usemtl`` and ``mtllib``.
Everything else (``s``, ``l``, ``p``, comments, free-form geometry) is skipped. The file is
untrusted: its size and element counts are bounded before anything large is allocated, and
every problem is one :class:`~renderers.errors.AvatarError` line naming the file (and the line
where it helps) and saying what to do.

Examples
--------
>>> text = b"o quad\\nv 0 0 0\\nv 1 0 0\\nv 1 1 0\\nv 0 1 0\\nf 1 2 3 4\\n"
>>> doc = parse_obj(Path("quad.obj"), text)
>>> doc.positions.shape, [(g.object, g.triangles.shape) for g in doc.groups]
((4, 3), [('quad', (2, 3, 3))])
>>> doc.groups[0].triangles[:, :, 0].tolist()
[[0, 1, 2], [0, 2, 3]]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from renderers.errors import AvatarError
from renderers.loaders.gltf_io import MAX_INDICES, MAX_VERTICES, fail, read_avatar_bytes
from renderers.loaders.obj_text import (
    KIND_F,
    KIND_OTHER,
    KIND_V,
    KIND_VN,
    KIND_VT,
    LineTable,
    NumberError,
    line_table,
    numbers,
    parse_ints,
    segment_bytes,
    token_counts,
)

__all__ = ["MAX_CORNERS", "MAX_GROUPS", "MAX_OBJ_BYTES", "MAX_TRIANGLES", "ObjDocument", "ObjGroup",
           "parse_obj", "read_obj", "read_obj_bytes"]

MAX_OBJ_BYTES = 256 * 1024 * 1024
"""Largest OBJ file accepted (neutral or shape), in bytes."""

MAX_TRIANGLES = MAX_INDICES // 3
"""Most triangles one OBJ file may have (after triangulating its polygons)."""

MAX_CORNERS = MAX_INDICES
"""Most face corners one OBJ file may have (checked before they are parsed)."""

MAX_GROUPS = 4096
"""Most distinct object/group/material combinations (meshes) one OBJ file may have."""

_RE_EXPORT = "re-export the mesh as OBJ"


@dataclass
class ObjGroup:
    """The faces that share one object, group and material.

    Attributes
    ----------
    object, group, material
        The ``o``, ``g`` and ``usemtl`` names in effect (empty when none).
    triangles
        ``(T, 3, 3)`` int64: per triangle corner, 0-based ``(v, vt, vn)`` indices, ``-1``
        where the corner has no texture coordinate or normal.
    """

    object: str
    group: str
    material: str
    triangles: np.ndarray


@dataclass
class ObjDocument:
    """An OBJ file's data.

    Attributes
    ----------
    positions
        ``(V, 3)`` float64 ``v`` positions in file order.
    colors
        ``(V, 3)`` float64 vertex colours when every ``v`` line has six numbers, else ``None``.
    uvs
        ``(VT, 2)`` float64 ``vt`` coordinates as written (OBJ: ``(0, 0)`` bottom-left).
    normals
        ``(VN, 3)`` float64 ``vn`` normals.
    groups
        Faces per object/group/material, in order of first appearance.
    mtllibs
        ``mtllib`` arguments, as written.
    """

    positions: np.ndarray
    colors: np.ndarray | None
    uvs: np.ndarray
    normals: np.ndarray
    groups: list[ObjGroup] = field(default_factory=list)
    mtllibs: list[str] = field(default_factory=list)


def read_obj_bytes(path: Path) -> bytes:
    """Read an OBJ file's bytes after checking that it exists and is not too large.

    Raises
    ------
    AvatarError
        The file is missing, not a file, empty, or over :data:`MAX_OBJ_BYTES`.
    """
    data = read_avatar_bytes(path, MAX_OBJ_BYTES, kind="an .obj file",
                             too_large="decimate the mesh", empty=_RE_EXPORT)
    if b"\0" in data[:65536]:
        raise fail(path, "is not a text OBJ file (it contains binary data)",
                   "export the mesh as Wavefront OBJ text")
    return data


def read_obj(path: str | Path) -> ObjDocument:
    """Read and parse an OBJ file.

    Parameters
    ----------
    path
        The ``.obj`` file.

    Raises
    ------
    AvatarError
        The file is missing, too large, malformed, has no faces, or refers to elements it
        does not have.
    """
    p = Path(path)
    return parse_obj(p, read_obj_bytes(p))


def parse_obj(path: Path, data: bytes) -> ObjDocument:
    """Parse OBJ bytes (``path`` names the file in messages and is not read).

    Raises
    ------
    AvatarError
        As :func:`read_obj`.
    """
    table = line_table(data)
    n_v = int(np.count_nonzero(table.kinds == KIND_V))
    for kind, what in ((KIND_V, "vertices"), (KIND_VT, "texture coordinates"),
                       (KIND_VN, "normals")):
        count = n_v if kind == KIND_V else int(np.count_nonzero(table.kinds == kind))
        if count > MAX_VERTICES:
            raise fail(path, f"has {count} {what} (limit {MAX_VERTICES})", "decimate the mesh")
    positions, colors = _positions(path, table)
    uvs = _rows(path, table, KIND_VT, 2, 1, "a texture coordinate needs at least u")
    normals = _rows(path, table, KIND_VN, 2, 3, "a normal needs x, y and z")
    if not np.all(np.isfinite(positions)) or not np.all(np.isfinite(uvs)) or \
            not np.all(np.isfinite(normals)):
        raise fail(path, "has non-finite numbers (nan or inf)", _RE_EXPORT)
    face_lines = np.flatnonzero(table.kinds == KIND_F)
    if face_lines.size == 0:
        raise fail(path, "has no faces (f lines)",
                   "export the mesh with its faces, not as a point cloud")
    corners, per_face = _corners(path, table, face_lines,
                                 (positions.shape[0], uvs.shape[0], normals.shape[0]))
    tris, tri_face = _fan(path, per_face, face_lines)
    states, names, mtllibs = _states(path, table, face_lines)
    groups = []
    tri_state = states[tri_face]
    order = np.unique(tri_state, return_index=True)[1]
    for first in np.sort(order):
        state = tri_state[first]
        obj, grp, mat = names[int(state)]
        groups.append(ObjGroup(obj, grp, mat, corners[tris[tri_state == state]]))
    return ObjDocument(positions, colors, uvs, normals, groups, mtllibs)


# -- numbers -------------------------------------------------------------------------------


def _line_error(path: Path, line: int, what: str) -> AvatarError:
    return fail(path, f"line {line + 1}: {what}", _RE_EXPORT)


def _numbers(path: Path, table: LineTable, kind: int, skip: int) -> tuple[np.ndarray,
                                                                         np.ndarray]:
    try:
        return numbers(table, kind, skip)
    except NumberError as exc:
        raise _line_error(path, exc.line, "expected numbers but found other text") from None


def _positions(path: Path, table: LineTable) -> tuple[np.ndarray, np.ndarray | None]:
    values, counts = _numbers(path, table, KIND_V, 1)
    if counts.size == 0:
        raise fail(path, "has no vertices (v lines)", "export the mesh with its vertices")
    short = np.flatnonzero(counts < 3)
    if short.size:
        line = int(np.flatnonzero(table.kinds == KIND_V)[short[0]])
        raise _line_error(path, line, "a vertex needs x, y and z")
    offsets = np.cumsum(counts) - counts
    positions = values[offsets[:, None] + np.arange(3)]
    colors = None
    if np.all(counts == 6):
        colors = np.clip(values[offsets[:, None] + np.arange(3, 6)], 0.0, 1.0)
    return positions, colors


def _rows(path: Path, table: LineTable, kind: int, skip: int, needed: int,
          what: str) -> np.ndarray:
    width = 2 if kind == KIND_VT else 3
    values, counts = _numbers(path, table, kind, skip)
    if counts.size == 0:
        return np.zeros((0, width))
    short = np.flatnonzero(counts < needed)
    if short.size:
        raise _line_error(path, int(np.flatnonzero(table.kinds == kind)[short[0]]), what)
    offsets = np.cumsum(counts) - counts
    cols = np.arange(width)
    have = cols[None, :] < counts[:, None]
    taken = np.where(have, values[np.minimum(offsets[:, None] + cols, values.size - 1)], 0.0)
    return taken


# -- faces ---------------------------------------------------------------------------------


def _corners(path: Path, table: LineTable, face_lines: np.ndarray,
             totals: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """``(C, 3)`` 0-based (v, vt, vn) of every corner, and corners per face."""
    text, offsets = segment_bytes(table, face_lines, 1)
    per_face = token_counts(text, offsets)
    n_corner = int(per_face.sum())
    if n_corner > MAX_CORNERS:
        raise fail(path, f"has {n_corner} face corners (limit {MAX_CORNERS})",
                   "decimate the mesh")
    slash = text == ord("/")
    blank = ~(text > 32)
    token_start = ~blank
    token_start[1:] &= blank[:-1]
    token_id = np.cumsum(token_start, dtype=np.int64) - 1
    field_start = ~(blank | slash)
    field_start[1:] &= blank[:-1] | slash[:-1]
    at = np.flatnonzero(slash)
    n_slash = np.bincount(token_id[at], minlength=n_corner)
    double = at[:-1][np.diff(at) == 1]
    n_double = np.bincount(token_id[double], minlength=n_corner)
    n_field = np.bincount(token_id[np.flatnonzero(field_start)], minlength=n_corner)
    plain, with_vt = (n_slash == 0) & (n_field == 1), (n_slash == 1) & (n_field == 2)
    full = (n_slash == 2) & (n_double == 0) & (n_field == 3)
    no_vt = (n_slash == 2) & (n_double == 1) & (n_field == 2)
    corner_line = np.repeat(face_lines, per_face)
    bad = np.flatnonzero(~(plain | with_vt | full | no_vt))
    if bad.size:
        raise _line_error(path, int(corner_line[bad[0]]),
                          "a face corner must be v, v/vt, v//vn or v/vt/vn")
    spaced = np.where(slash, np.uint8(32), text)
    try:
        ints = parse_ints(spaced, face_lines, offsets)
    except NumberError as exc:
        raise _line_error(path, exc.line, "face indices must be whole numbers") from None
    if ints.size != int(n_field.sum()):
        raise _line_error(path, int(face_lines[0]), "face indices must be whole numbers")
    first = np.cumsum(n_field) - n_field
    last = max(ints.size - 1, 0)
    raw_v = ints[first]
    raw_vt = np.where(with_vt | full, ints[np.minimum(first + 1, last)], 0)
    raw_vn = np.where(full, ints[np.minimum(first + 2, last)],
                      np.where(no_vt, ints[np.minimum(first + 1, last)], 0))
    before = {k: np.cumsum(table.kinds == k)[corner_line] for k in (KIND_V, KIND_VT, KIND_VN)}
    out = np.empty((n_corner, 3), dtype=np.int64)
    for col, (kind, raw, present, total, what, plural) in enumerate((
            (KIND_V, raw_v, np.ones(n_corner, bool), totals[0], "vertex", "vertices"),
            (KIND_VT, raw_vt, with_vt | full, totals[1], "texture coordinate",
             "texture coordinates"),
            (KIND_VN, raw_vn, full | no_vt, totals[2], "normal", "normals"))):
        index = np.where(raw > 0, raw - 1, before[kind] + raw)
        bad = np.flatnonzero(present & ((raw == 0) | (index < 0) | (index >= total)))
        if bad.size:
            k = bad[0]
            raise fail(path, f"line {int(corner_line[k]) + 1}: face refers to {what} "
                       f"{int(raw[k])}, but the file has {total} {plural}",
                       "re-export the mesh (its face indices are out of range)")
        out[:, col] = np.where(present, index, -1)
    return out, per_face


def _fan(path: Path, per_face: np.ndarray, face_lines: np.ndarray) -> tuple[np.ndarray,
                                                                           np.ndarray]:
    """Fan-triangulate polygons: ``(T, 3)`` corner indices and each triangle's face."""
    short = np.flatnonzero(per_face < 3)
    if short.size:
        raise _line_error(path, int(face_lines[short[0]]), "a face needs at least 3 corners")
    per_tri = per_face - 2
    n_tri = int(per_tri.sum())
    if n_tri > MAX_TRIANGLES:
        raise fail(path, f"has {n_tri} triangles (limit {MAX_TRIANGLES})", "decimate the mesh")
    first = np.cumsum(per_face) - per_face
    tri_face = np.repeat(np.arange(per_face.size), per_tri)
    j = np.arange(n_tri) - np.repeat(np.cumsum(per_tri) - per_tri, per_tri) + 1
    base = first[tri_face]
    return np.stack([base, base + j, base + j + 1], axis=1), tri_face


# -- objects, groups, materials ------------------------------------------------------------


def _states(path: Path, table: LineTable,
            face_lines: np.ndarray) -> tuple[np.ndarray, list[tuple[str, str, str]], list[str]]:
    """Each face's (object, group, material) state index, the states, and mtllib arguments."""
    buf = table.buf
    other = np.flatnonzero(table.kinds == KIND_OTHER)
    first = buf[np.minimum(table.starts[other], buf.size - 1)]
    candidates = other[np.isin(first, np.frombuffer(b"ogum", dtype=np.uint8))
                       & (table.ends[other] > table.starts[other])]
    current = ("", "", "")
    states: dict[tuple[str, str, str], int] = {current: 0}
    change_lines: list[int] = [-1]
    change_states: list[int] = [0]
    mtllibs: list[str] = []
    for line in candidates:
        raw = buf[table.starts[line]:table.ends[line]].tobytes()
        keyword, *rest = raw.split(None, 1)
        arg = rest[0].decode("utf-8", errors="replace").strip() if rest else ""
        if keyword == b"o":
            current = (arg, current[1], current[2])
        elif keyword == b"g":
            current = (current[0], arg, current[2])
        elif keyword == b"usemtl":
            current = (current[0], current[1], arg)
        elif keyword == b"mtllib":
            if arg and len(mtllibs) < 16:
                mtllibs.append(arg)
            continue
        else:
            continue
        if current not in states:
            if len(states) >= MAX_GROUPS:
                raise fail(path, f"has more than {MAX_GROUPS} object/group/material "
                           "combinations", "merge groups and re-export")
            states[current] = len(states)
        change_lines.append(int(line))
        change_states.append(states[current])
    where = np.searchsorted(np.asarray(change_lines), face_lines, side="right") - 1
    face_state = np.asarray(change_states, dtype=np.int64)[where]
    return face_state, list(states), mtllibs
