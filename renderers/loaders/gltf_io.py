"""Safe reading of glTF 2.0 containers: GLB chunks, buffers and accessors.

Everything read from the file is untrusted: sizes are checked before anything is allocated,
external buffers must stay inside the file's folder, and every failure is an
:class:`~renderers.errors.AvatarError` whose message says what is wrong and what to do.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pygltflib as gl

from renderers.errors import AvatarError
from renderers.loaders.gltf_document import document_from_json

MAX_FILE_BYTES = 512 * 1024 * 1024
"""Largest avatar file (and largest single buffer) accepted."""

MAX_VERTICES = 2_000_000
"""Most vertices one mesh primitive may have."""

MAX_TARGETS = 256
"""Most morph targets one primitive may have."""

MAX_INDICES = 3 * 8_000_000
"""Most triangle indices one primitive may have."""

_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
_DTYPES = {
    gl.BYTE: np.dtype("<i1"), gl.UNSIGNED_BYTE: np.dtype("<u1"),
    gl.SHORT: np.dtype("<i2"), gl.UNSIGNED_SHORT: np.dtype("<u2"),
    gl.UNSIGNED_INT: np.dtype("<u4"), gl.FLOAT: np.dtype("<f4"),
}
_NORMALIZE = {
    gl.BYTE: lambda a: np.maximum(a / 127.0, -1.0),
    gl.UNSIGNED_BYTE: lambda a: a / 255.0,
    gl.SHORT: lambda a: np.maximum(a / 32767.0, -1.0),
    gl.UNSIGNED_SHORT: lambda a: a / 65535.0,
}

SUPPORTED_REQUIRED_EXTENSIONS = frozenset({"KHR_mesh_quantization", "KHR_texture_transform",
                                           "KHR_materials_emissive_strength",
                                           "KHR_materials_ior", "KHR_materials_specular"})
"""Required extensions that do not change how geometry is read (or that this reader handles)."""


def fail(path: Path, what: str, todo: str) -> AvatarError:
    """Build a one-line avatar error: ``<file>: <what>; <todo>``."""
    return AvatarError(f"{path.name}: {what}; {todo}")


def read_avatar_bytes(path: Path, limit: int, *, kind: str, too_large: str,
                      empty: str) -> bytes:
    """The bytes of an avatar file, after checking it exists, is a file and is not too large.

    Parameters
    ----------
    path
        The file.
    limit
        Largest size accepted, in bytes.
    kind
        What to pick instead when the path is not a file (``"a .glb or .gltf file"``).
    too_large, empty
        What to do when the file is over ``limit`` or empty.

    Raises
    ------
    AvatarError
        One line saying what is wrong and what to do.
    """
    if not path.exists():
        raise AvatarError(f"avatar file not found: {path}; check the path or pick another file")
    if not path.is_file():
        raise AvatarError(f"avatar path is not a file: {path}; pick {kind}")
    size = path.stat().st_size
    if size > limit:
        raise fail(path, f"file is {size / 2**20:.0f} MB, larger than the "
                   f"{limit // 2**20} MB limit", too_large)
    if size == 0:
        raise fail(path, "file is empty", empty)
    return path.read_bytes()


def read_document(path: Path) -> tuple[gl.GLTF2, bytes | None]:
    """Read a ``.glb`` or ``.gltf`` file into a pygltflib document and its GLB binary chunk."""
    data = read_avatar_bytes(path, MAX_FILE_BYTES, kind="a .glb or .gltf file",
                             too_large="decimate or split the avatar",
                             empty="re-export the avatar as glTF 2.0 (.glb)")
    if data[:4] == b"glTF":
        json_text, bin_chunk = _split_glb(path, data)
    else:
        if path.suffix.lower() == ".glb":
            raise fail(path, "not a GLB file (missing the 'glTF' header)",
                       "re-export the avatar as binary glTF 2.0 (.glb)")
        try:
            json_text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise fail(path, "not a glTF file (neither GLB nor UTF-8 JSON)",
                       "export the avatar as glTF 2.0 (.glb or .gltf)") from None
        bin_chunk = None
    return _parse_json(path, json_text), bin_chunk


def _split_glb(path: Path, data: bytes) -> tuple[str, bytes | None]:
    if len(data) < 20:
        raise fail(path, "GLB file is truncated (shorter than its header)",
                   "re-export or re-download the file")
    _, version, length = struct.unpack_from("<4sII", data, 0)
    if version != 2:
        raise fail(path, f"GLB version {version} is not supported",
                   "re-export the avatar as glTF 2.0")
    if length > len(data):
        raise fail(path, f"GLB file is truncated ({len(data)} of {length} bytes)",
                   "re-export or re-download the file")
    offset = 12
    json_text: str | None = None
    bin_chunk: bytes | None = None
    while offset + 8 <= length:
        chunk_len, chunk_type = struct.unpack_from("<I4s", data, offset)
        start, end = offset + 8, offset + 8 + chunk_len
        if end > length:
            raise fail(path, "GLB chunk runs past the end of the file (truncated)",
                       "re-export or re-download the file")
        if chunk_type == b"JSON" and json_text is None:
            try:
                json_text = data[start:end].decode("utf-8")
            except UnicodeDecodeError:
                raise fail(path, "GLB JSON chunk is not UTF-8 text",
                           "re-export the avatar as glTF 2.0") from None
        elif chunk_type == b"BIN\0" and bin_chunk is None:
            bin_chunk = data[start:end]
        offset = end + ((-end) % 4)
    if json_text is None:
        raise fail(path, "GLB file has no JSON chunk", "re-export the avatar as glTF 2.0")
    return json_text, bin_chunk


def _parse_json(path: Path, text: str) -> gl.GLTF2:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(path, f"glTF JSON is invalid ({exc.msg} at line {exc.lineno})",
                   "re-export the avatar as glTF 2.0") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("asset"), dict):
        raise fail(path, "not a glTF document (no 'asset' object)",
                   "export the avatar as glTF 2.0 (.glb or .gltf)")
    version = str(raw["asset"].get("version", ""))
    if not version.startswith("2"):
        raise fail(path, f"glTF version {version or '?'} is not supported",
                   "re-export the avatar as glTF 2.0")
    try:
        doc = document_from_json(raw)
    except Exception as exc:  # pygltflib raises assorted errors on malformed documents
        raise fail(path, f"glTF document is malformed ({type(exc).__name__})",
                   "re-export the avatar as glTF 2.0") from None
    unsupported = sorted(set(doc.extensionsRequired or []) - SUPPORTED_REQUIRED_EXTENSIONS)
    if unsupported:
        raise fail(path, f"needs unsupported glTF extension(s) {', '.join(unsupported)}",
                   "re-export without mesh compression (e.g. gltf-transform copy)")
    return doc


class BufferStore:
    """Loads each glTF buffer once, safely (GLB chunk, data: URI, or a file next to the glTF)."""

    def __init__(self, path: Path, doc: gl.GLTF2, bin_chunk: bytes | None) -> None:
        self.path = path
        self.doc = doc
        self.bin_chunk = bin_chunk
        self._cache: dict[int, bytes] = {}

    def buffer(self, index: int) -> bytes:
        """Bytes of buffer ``index``."""
        if index in self._cache:
            return self._cache[index]
        buffers = self.doc.buffers or []
        if not 0 <= index < len(buffers):
            raise fail(self.path, f"refers to missing buffer {index}", "re-export the avatar")
        buf = buffers[index]
        declared = int(buf.byteLength or 0)
        if declared > MAX_FILE_BYTES:
            raise fail(self.path, f"buffer {index} declares {declared} bytes (over the limit)",
                       "decimate or split the avatar")
        if buf.uri is None:
            if self.bin_chunk is None:
                raise fail(self.path, f"buffer {index} has no data (no GLB binary chunk)",
                           "re-export the avatar as .glb")
            data = self.bin_chunk
        elif buf.uri.startswith("data:"):
            data = self._data_uri(index, buf.uri)
        else:
            data = self._external(index, buf.uri)
        if len(data) < declared:
            raise fail(self.path, f"buffer {index} is truncated ({len(data)} of {declared} bytes)",
                       "re-export or re-download the avatar")
        self._cache[index] = data
        return data

    def _data_uri(self, index: int, uri: str) -> bytes:
        head, _, payload = uri.partition(",")
        if ";base64" not in head:
            raise fail(self.path, f"buffer {index} uses a non-base64 data URI",
                       "re-export the avatar as .glb")
        if len(payload) > MAX_FILE_BYTES * 4 // 3 + 4:
            raise fail(self.path, f"buffer {index} data URI is too large",
                       "decimate or split the avatar")
        try:
            return base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise fail(self.path, f"buffer {index} data URI is not valid base64",
                       "re-export the avatar") from None

    def _external(self, index: int, uri: str) -> bytes:
        rel = unquote(uri)
        folder = self.path.resolve().parent
        if "://" in rel or rel.startswith(("/", "\\")) or (len(rel) > 1 and rel[1] == ":"):
            raise fail(self.path, f"buffer {index} points outside the avatar's folder ({uri!r})",
                       "keep the .bin next to the .gltf and use a relative path, or export .glb")
        target = (folder / rel).resolve()
        if folder not in target.parents:
            raise fail(self.path, f"buffer {index} points outside the avatar's folder ({uri!r})",
                       "keep the .bin next to the .gltf and use a relative path, or export .glb")
        if not target.is_file():
            raise fail(self.path, f"buffer file {uri!r} is missing",
                       "copy it next to the .gltf file, or export a single .glb")
        if target.stat().st_size > MAX_FILE_BYTES:
            raise fail(self.path, f"buffer file {uri!r} is larger than the limit",
                       "decimate or split the avatar")
        return target.read_bytes()


class AccessorReader:
    """Reads accessors as numpy arrays (strides, normalisation and sparse substitution)."""

    def __init__(self, path: Path, doc: gl.GLTF2, buffers: BufferStore) -> None:
        self.path = path
        self.doc = doc
        self.buffers = buffers

    def accessor(self, index: int) -> gl.Accessor:
        """The accessor object, checked to exist."""
        accs = self.doc.accessors or []
        if not isinstance(index, int) or not 0 <= index < len(accs):
            raise fail(self.path, f"refers to missing accessor {index}", "re-export the avatar")
        return accs[index]

    def count(self, index: int) -> int:
        """Element count of an accessor (no data is read)."""
        count = self.accessor(index).count
        if not isinstance(count, int) or count < 0:
            raise fail(self.path, f"accessor {index} has an invalid count", "re-export the avatar")
        return count

    def read(self, index: int, *, max_count: int) -> np.ndarray:
        """Read accessor ``index`` as float64 ``(count, components)`` (or ``(count,)``)."""
        acc = self.accessor(index)
        count = self.count(index)
        if count > max_count:
            raise fail(self.path, f"accessor {index} has {count} elements (limit {max_count})",
                       "decimate the avatar")
        ncomp = _COMPONENTS.get(str(acc.type))
        dtype = _DTYPES.get(acc.componentType)  # type: ignore[arg-type]
        if ncomp is None or dtype is None:
            raise fail(self.path, f"accessor {index} has an unsupported type",
                       "re-export the avatar with standard accessor types")
        if acc.bufferView is None:
            out = np.zeros((count, ncomp), dtype=np.float64)
        else:
            raw = self._view_elements(index, acc.bufferView, int(acc.byteOffset or 0), count,
                                      ncomp, dtype)
            out = self._convert(raw, acc)
        if acc.sparse is not None:
            self._apply_sparse(index, acc, out, ncomp, dtype)
        return out[:, 0] if ncomp == 1 else out

    def _convert(self, raw: np.ndarray, acc: gl.Accessor) -> np.ndarray:
        if acc.normalized and acc.componentType in _NORMALIZE:
            return _NORMALIZE[acc.componentType](raw.astype(np.float64))  # type: ignore[index]
        return raw.astype(np.float64)

    def _view_elements(self, index: int, view_index: int, offset: int, count: int, ncomp: int,
                       dtype: np.dtype) -> np.ndarray:
        views = self.doc.bufferViews or []
        if not isinstance(view_index, int) or not 0 <= view_index < len(views):
            raise fail(self.path, f"accessor {index} refers to missing bufferView {view_index}",
                       "re-export the avatar")
        view = views[view_index]
        data = self.buffers.buffer(int(view.buffer))
        v_off = int(view.byteOffset or 0)
        v_len = int(view.byteLength or 0)
        if v_off < 0 or v_len < 0 or v_off + v_len > len(data):
            raise fail(self.path, f"bufferView {view_index} lies outside its buffer",
                       "re-export or re-download the avatar")
        elem = dtype.itemsize * ncomp
        stride = int(view.byteStride or elem)
        if stride < elem:
            raise fail(self.path, f"bufferView {view_index} has a stride smaller than an element",
                       "re-export the avatar")
        if count == 0:
            return np.zeros((0, ncomp), dtype=dtype)
        need = offset + stride * (count - 1) + elem
        if offset < 0 or need > v_len:
            raise fail(self.path, f"accessor {index} reads past the end of bufferView "
                       f"{view_index}", "re-export or re-download the avatar")
        start = v_off + offset
        if stride == elem:
            flat = np.frombuffer(data, dtype=dtype, count=count * ncomp, offset=start)
            return flat.reshape(count, ncomp)
        raw = np.frombuffer(data, dtype=np.uint8, count=need - offset, offset=start)
        rows = np.ascontiguousarray(
            np.lib.stride_tricks.as_strided(raw, shape=(count, elem), strides=(stride, 1)))
        return rows.view(dtype).reshape(count, ncomp)

    def _apply_sparse(self, index: int, acc: gl.Accessor, out: np.ndarray, ncomp: int,
                      dtype: np.dtype) -> None:
        sp = acc.sparse
        n = sp.count
        if not isinstance(n, int) or n < 0 or n > out.shape[0]:
            raise fail(self.path, f"accessor {index} has an invalid sparse count",
                       "re-export the avatar")
        if n == 0:
            return
        idx_dtype = _DTYPES.get(sp.indices.componentType)
        if idx_dtype is None or idx_dtype.kind != "u":
            raise fail(self.path, f"accessor {index} has invalid sparse index types",
                       "re-export the avatar")
        idx = self._view_elements(index, sp.indices.bufferView, int(sp.indices.byteOffset or 0),
                                  n, 1, idx_dtype)[:, 0].astype(np.int64)
        if idx.size and (idx.max() >= out.shape[0]):
            raise fail(self.path, f"accessor {index} has sparse indices out of range",
                       "re-export the avatar")
        vals = self._view_elements(index, sp.values.bufferView, int(sp.values.byteOffset or 0),
                                   n, ncomp, dtype)
        out[idx] = self._convert(vals, acc)
