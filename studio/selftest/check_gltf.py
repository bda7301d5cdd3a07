"""Validator of binary glTF (``.glb``): container, bounds and types, animation, and a reload.

The file is parsed with ``pygltflib``; every buffer view, accessor (sparse ones included) and
mesh reference is checked to stay inside the binary chunk with a legal type, the one
animation must key every frame of the take on the ``weights`` path, and the project's own avatar
loader must read the file back as an avatar with all 52 ARKit morph targets.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np

from studio.selftest.outcome import CheckError, Expected, expect

__all__ = ["check_glb", "check_gltf_bounds"]

COMPONENT_BYTES = {5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}
"""glTF component types and their sizes in bytes."""

TYPE_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9,
                   "MAT4": 16}
"""glTF accessor types and their component counts."""

_FLOAT = 5126
_INDEX_TYPES = {5121, 5123, 5125}
_PATHS = {"translation", "rotation", "scale", "weights"}
_GLB_MAGIC = b"glTF"
_JSON_CHUNK, _BIN_CHUNK = 0x4E4F534A, 0x004E4942


def _container(data: bytes) -> None:
    """Check the GLB header and its two chunks against the file's real size."""
    expect(len(data) >= 20, f"{len(data)} bytes is too short for a GLB")
    magic, version, length = struct.unpack_from("<4sII", data, 0)
    expect(magic == _GLB_MAGIC, "the file does not start with the GLB magic 'glTF'")
    expect(version == 2, f"GLB version {version} (expected 2)")
    expect(length == len(data), f"header says {length} bytes, the file has {len(data)}")
    offset, kinds = 12, []
    while offset < len(data):
        expect(offset + 8 <= len(data), "a chunk header runs past the end of the file")
        size, kind = struct.unpack_from("<II", data, offset)
        expect(size % 4 == 0, f"chunk {len(kinds)} is {size} bytes, not a multiple of 4")
        expect(offset + 8 + size <= len(data), f"chunk {len(kinds)} runs past the end of the file")
        kinds.append(kind)
        offset += 8 + size
    expect(kinds[:2] == [_JSON_CHUNK, _BIN_CHUNK], "the chunks are not JSON then BIN")


def _view_end(view: Any) -> int:
    return int(view.byteOffset or 0) + int(view.byteLength)


def _in_view(gltf: Any, index: Any, what: str) -> Any:
    expect(isinstance(index, int) and 0 <= index < len(gltf.bufferViews),
           f"{what} names bufferView {index}, which does not exist")
    return gltf.bufferViews[index]


def check_gltf_bounds(gltf: Any, blob: bytes) -> int:
    """Check buffers, buffer views and accessors stay in bounds with legal types.

    Returns
    -------
    int
        The number of accessors checked.

    Raises
    ------
    CheckError
        Naming the first element out of bounds or of a wrong type.
    """
    expect(len(gltf.buffers) == 1, f"{len(gltf.buffers)} buffers (a GLB has one)")
    buffer = gltf.buffers[0]
    expect(buffer.uri is None, "the buffer points outside the file")
    expect(buffer.byteLength <= len(blob),
           f"the buffer claims {buffer.byteLength} bytes, the BIN chunk has {len(blob)}")
    for i, view in enumerate(gltf.bufferViews):
        expect(view.buffer == 0, f"bufferView {i} names buffer {view.buffer}")
        expect(view.byteLength > 0 and _view_end(view) <= buffer.byteLength,
               f"bufferView {i} ends at byte {_view_end(view)}, past the buffer's "
               f"{buffer.byteLength}")
        stride = view.byteStride
        expect(stride is None or (4 <= stride <= 252 and stride % 4 == 0),
               f"bufferView {i} has byteStride {stride}")
    for i, acc in enumerate(gltf.accessors):
        what = f"accessor {i}"
        size = COMPONENT_BYTES.get(acc.componentType)
        expect(size is not None, f"{what} has componentType {acc.componentType}")
        expect(acc.type in TYPE_COMPONENTS, f"{what} has type {acc.type!r}")
        assert size is not None
        element = size * TYPE_COMPONENTS[acc.type]
        expect(isinstance(acc.count, int) and acc.count >= 1, f"{what} has count {acc.count}")
        offset = int(acc.byteOffset or 0)
        expect(offset % size == 0, f"{what} is not aligned to its component size")
        if acc.bufferView is not None:
            view = _in_view(gltf, acc.bufferView, what)
            stride = view.byteStride or element
            end = offset + stride * (acc.count - 1) + element
            expect(end <= view.byteLength,
                   f"{what} needs {end} bytes of bufferView {acc.bufferView}, which has "
                   f"{view.byteLength} (out of bounds)")
        if acc.sparse is not None:
            sparse = acc.sparse
            expect(1 <= sparse.count <= acc.count, f"{what} has {sparse.count} sparse values")
            kind = sparse.indices.componentType
            expect(kind in _INDEX_TYPES, f"{what}'s sparse indices have componentType {kind}")
            for part, length in ((sparse.indices, COMPONENT_BYTES[kind]), (sparse.values, element)):
                view = _in_view(gltf, part.bufferView, f"{what}'s sparse data")
                end = int(part.byteOffset or 0) + sparse.count * length
                expect(end <= view.byteLength,
                       f"{what}'s sparse data needs {end} bytes of bufferView {part.bufferView}"
                       f", which has {view.byteLength} (out of bounds)")
    return len(gltf.accessors)


def _accessor(gltf: Any, index: Any, what: str) -> Any:
    expect(isinstance(index, int) and 0 <= index < len(gltf.accessors),
           f"{what} names accessor {index}, which does not exist")
    return gltf.accessors[index]


def _floats(gltf: Any, blob: bytes, acc: Any) -> np.ndarray:
    """The values of a dense float accessor as ``(count, components)``."""
    view = gltf.bufferViews[acc.bufferView]
    width = TYPE_COMPONENTS[acc.type]
    stride = (view.byteStride or 4 * width) // 4
    start = int(view.byteOffset or 0) + int(acc.byteOffset or 0)
    flat = np.frombuffer(blob, "<f4", count=stride * (acc.count - 1) + width, offset=start)
    return np.lib.stride_tricks.as_strided(
        flat, shape=(acc.count, width), strides=(stride * 4, 4)
    ).astype(np.float64)


def _targets(gltf: Any, node: int) -> int:
    mesh = gltf.meshes[gltf.nodes[node].mesh]
    counts = {len(p.targets or []) for p in mesh.primitives}
    expect(len(counts) == 1, f"mesh {mesh.name!r} has primitives with different target counts")
    names = (mesh.extras or {}).get("targetNames")
    count = counts.pop()
    expect(isinstance(names, list) and len(names) == count,
           f"mesh {mesh.name!r} has {count} morph targets but extras.targetNames does not "
           "name them")
    return count


def _meshes(gltf: Any) -> int:
    """Check every mesh attribute, target and index reference; return the morph target count."""
    total = 0
    for m, mesh in enumerate(gltf.meshes):
        for p, prim in enumerate(mesh.primitives):
            what = f"mesh {m} primitive {p}"
            refs = {k: v for k, v in vars(prim.attributes).items() if isinstance(v, int)}
            expect("POSITION" in refs, f"{what} has no POSITION")
            count = _accessor(gltf, refs["POSITION"], what).count
            for name, index in refs.items():
                acc = _accessor(gltf, index, f"{what} {name}")
                expect(acc.count == count, f"{what} {name} has {acc.count} values, not {count}")
            if prim.indices is not None:
                acc = _accessor(gltf, prim.indices, f"{what} indices")
                expect(acc.componentType in _INDEX_TYPES and acc.type == "SCALAR",
                       f"{what} indices are not unsigned integers")
            for t, target in enumerate(prim.targets or []):
                for name, index in target.items():
                    acc = _accessor(gltf, index, f"{what} target {t} {name}")
                    expect(acc.count == count, f"{what} target {t} has {acc.count} values")
        total += len(mesh.primitives[0].targets or []) if mesh.primitives else 0
    return total


def _animation(gltf: Any, blob: bytes, expected: Expected) -> int:
    """Check the one animation keys every frame; return its number of weights channels."""
    expect(len(gltf.animations) == 1, f"{len(gltf.animations)} animations (expected 1)")
    anim = gltf.animations[0]
    frames = expected.take.curves.num_frames
    fps = float(expected.take.fps)
    weights = 0
    for c, channel in enumerate(anim.channels):
        what = f"animation channel {c}"
        expect(0 <= channel.sampler < len(anim.samplers), f"{what} names a missing sampler")
        node = channel.target.node
        expect(isinstance(node, int) and 0 <= node < len(gltf.nodes), f"{what} has no node")
        path = channel.target.path
        expect(path in _PATHS, f"{what} animates {path!r}")
        sampler = anim.samplers[channel.sampler]
        times = _accessor(gltf, sampler.input, f"{what} input")
        values = _accessor(gltf, sampler.output, f"{what} output")
        expect(times.componentType == _FLOAT and times.type == "SCALAR",
               f"{what}'s times are not float scalars")
        expect(times.count == frames, f"{what} has {times.count} keys (the take has {frames})")
        expect(times.bufferView is not None and values.bufferView is not None,
               f"{what} has no key data")
        keys = _floats(gltf, blob, times)[:, 0]
        gap = float(np.max(np.abs(keys - np.arange(frames) / fps)))
        expect(gap <= 1e-4, f"{what}'s key times are off the frame times by {gap:.2g} s")
        expect(values.componentType == _FLOAT, f"{what}'s values are not floats")
        if path == "weights":
            expect(gltf.nodes[node].mesh is not None, f"{what} animates weights of no mesh")
            targets = _targets(gltf, node)
            expect(values.type == "SCALAR" and values.count == frames * targets,
                   f"{what} has {values.count} weights, not {frames} frames x {targets} targets")
            weights += 1
        elif path == "rotation":
            expect(values.type == "VEC4" and values.count == frames,
                   f"{what} has {values.count} {values.type} rotations, not {frames} VEC4")
        data = _floats(gltf, blob, values)
        expect(bool(np.all(np.isfinite(data))), f"{what} holds a value that is not finite")
    expect(weights > 0, "the animation has no weights channel")
    return weights


def check_glb(dest: Path, expected: Expected) -> str:
    """Validate a ``.glb``: container, bounds, meshes, one keyed animation, and a reload."""
    import pygltflib

    from renderers.errors import RendererError
    from renderers.loaders import load_avatar

    data = dest.read_bytes()
    _container(data)
    try:
        gltf = pygltflib.GLTF2.load_binary(str(dest))
        blob = gltf.binary_blob() or b""
    except Exception as exc:  # pygltflib raises whatever its JSON parsing hits
        raise CheckError(f"pygltflib cannot parse it ({type(exc).__name__}: {exc})") from None
    accessors = check_gltf_bounds(gltf, blob)
    targets = _meshes(gltf)
    channels = _animation(gltf, blob, expected)
    try:
        avatar = load_avatar(dest)
    except RendererError as exc:
        raise CheckError(f"the avatar loader rejects it: {' '.join(str(exc).split())}") from None
    morphs = sum(len(m.morph_targets) for m in avatar.meshes)
    expect(morphs > 0, "reloaded as an avatar without morph targets")
    missing = avatar.missing_arkit_shapes
    if missing:
        raise CheckError(f"reloaded avatar lacks {len(missing)} ARKit shapes, first {missing[0]}")
    frames = expected.take.curves.num_frames
    return (f"{len(gltf.meshes)} meshes, {targets} morph targets, {accessors} accessors in "
            f"bounds, {channels} weights channels x {frames} keys; reloads with all 52 ARKit "
            "shapes")
