"""The binary side of a ``.glb`` file: bufferViews, accessors and the GLB container.

:class:`GlbBuffer` collects numpy arrays as 4-byte aligned bufferViews of one buffer and
describes them with glTF accessor objects (plain JSON data); :func:`write_glb` writes the JSON
chunk and the binary chunk without copying the arrays into one big blob first.
"""

from __future__ import annotations

import json
import struct
from typing import IO, Any

import numpy as np

__all__ = [
    "ARRAY_BUFFER",
    "ELEMENT_ARRAY_BUFFER",
    "GLB_HEADER_BYTES",
    "GlbBuffer",
    "glb_json_bytes",
    "write_glb",
]

ARRAY_BUFFER = 34962
"""bufferView target of vertex attributes."""

ELEMENT_ARRAY_BUFFER = 34963
"""bufferView target of triangle indices."""

GLB_HEADER_BYTES = 12 + 8 + 8
"""The GLB header plus the two chunk headers."""

_COMPONENT_TYPES = {
    np.dtype("<u1"): 5121,
    np.dtype("<u2"): 5123,
    np.dtype("<u4"): 5125,
    np.dtype("<f4"): 5126,
}
_TYPES = {1: "SCALAR", 2: "VEC2", 3: "VEC3", 4: "VEC4"}


def _little_endian(data: np.ndarray) -> np.ndarray:
    arr = np.ascontiguousarray(data)
    dtype = arr.dtype.newbyteorder("<")
    if dtype not in _COMPONENT_TYPES:
        raise TypeError(f"unsupported glTF component type {arr.dtype}")
    return np.ascontiguousarray(arr.astype(dtype, copy=False))


def _columns(arr: np.ndarray) -> int:
    return 1 if arr.ndim == 1 else int(arr.shape[1])


class GlbBuffer:
    """BufferViews and accessors of the single buffer of a GLB file.

    Examples
    --------
    >>> import numpy as np
    >>> buf = GlbBuffer()
    >>> buf.accessor(np.zeros((3, 3), np.float32), min_max=True)
    0
    >>> buf.accessors[0]["type"], buf.accessors[0]["count"], buf.byte_length
    ('VEC3', 3, 36)
    """

    def __init__(self) -> None:
        self.views: list[dict[str, Any]] = []
        self.accessors: list[dict[str, Any]] = []
        self.byte_length = 0
        self._chunks: list[bytes | memoryview] = []

    def view(self, data: np.ndarray, target: int | None = None) -> int:
        """Append ``data`` as a new bufferView (4-byte aligned) and return its index."""
        arr = _little_endian(data)
        pad = (-self.byte_length) % 4
        if pad:
            self._chunks.append(b"\0" * pad)
            self.byte_length += pad
        view: dict[str, Any] = {
            "buffer": 0,
            "byteOffset": self.byte_length,
            "byteLength": int(arr.nbytes),
        }
        if target is not None:
            view["target"] = target
        self._chunks.append(memoryview(arr).cast("B"))
        self.byte_length += int(arr.nbytes)
        self.views.append(view)
        return len(self.views) - 1

    def accessor(
        self,
        data: np.ndarray,
        *,
        target: int | None = None,
        min_max: bool = False,
        normalized: bool = False,
        kind: str | None = None,
    ) -> int:
        """Append ``data`` (``(count,)`` or ``(count, k)``) with its accessor; return its index.

        ``min_max`` records the per-component bounds (required for ``POSITION`` and for
        animation inputs); ``kind`` names the accessor type when the column count does not
        (``"MAT4"`` for ``(count, 16)``).
        """
        arr = _little_endian(data)
        acc: dict[str, Any] = {
            "bufferView": self.view(arr, target),
            "componentType": _COMPONENT_TYPES[arr.dtype],
            "count": int(arr.shape[0]),
            "type": kind or _TYPES[_columns(arr)],
        }
        if normalized:
            acc["normalized"] = True
        if min_max:
            acc.update(_bounds(arr))
        return self._add(acc)

    def morph_accessor(self, delta: np.ndarray) -> int:
        """A ``(V, 3)`` float32 morph-target delta, stored sparse when that is smaller.

        Only vertices that move (any non-zero component) are stored in the sparse form; a
        target that moves nothing gets an accessor with no data (all zeros by definition).
        """
        d = _little_endian(np.nan_to_num(np.asarray(delta, dtype=np.float32)))
        count = int(d.shape[0])
        moving = np.flatnonzero(np.any(d != 0.0, axis=1))
        if moving.size == 0:
            zeros = [0.0, 0.0, 0.0]
            return self._add({"componentType": 5126, "count": count, "type": "VEC3",
                              "min": zeros, "max": list(zeros)})
        index_dtype = np.dtype("<u1") if count <= 256 else (
            np.dtype("<u2") if count <= 65536 else np.dtype("<u4"))
        sparse_bytes = moving.size * (12 + index_dtype.itemsize)
        if sparse_bytes >= d.nbytes:
            return self.accessor(d, target=ARRAY_BUFFER, min_max=True)
        acc: dict[str, Any] = {"componentType": 5126, "count": count, "type": "VEC3"}
        acc.update(_bounds(d))
        acc["sparse"] = {
            "count": int(moving.size),
            "indices": {
                "bufferView": self.view(moving.astype(index_dtype)),
                "componentType": _COMPONENT_TYPES[index_dtype],
            },
            "values": {"bufferView": self.view(d[moving])},
        }
        return self._add(acc)

    def write_to(self, fh: IO[bytes]) -> None:
        """Write the buffer's bytes (padded to 4 bytes) to an open binary file."""
        for chunk in self._chunks:
            fh.write(chunk)
        fh.write(b"\0" * ((-self.byte_length) % 4))

    def _add(self, acc: dict[str, Any]) -> int:
        self.accessors.append(acc)
        return len(self.accessors) - 1


def _bounds(arr: np.ndarray) -> dict[str, list[float]]:
    a = arr.reshape(arr.shape[0], -1)
    return {"min": [float(x) for x in a.min(axis=0)], "max": [float(x) for x in a.max(axis=0)]}


def glb_json_bytes(document: dict[str, Any]) -> bytes:
    """The JSON chunk for ``document``: compact UTF-8, padded with spaces to 4 bytes."""
    text = json.dumps(document, separators=(",", ":"), allow_nan=False).encode("utf-8")
    return text + b" " * ((-len(text)) % 4)


def write_glb(fh: IO[bytes], json_chunk: bytes, buffer: GlbBuffer) -> int:
    """Write a GLB 2.0 file (header, JSON chunk, BIN chunk) to ``fh``; return its length.

    ``json_chunk`` comes from :func:`glb_json_bytes` and must describe ``buffer``.
    """
    bin_length = buffer.byte_length + (-buffer.byte_length) % 4
    total = GLB_HEADER_BYTES + len(json_chunk) + bin_length
    if total >= 2**32:
        raise ValueError("a GLB file cannot hold 4 GiB or more")
    fh.write(struct.pack("<4sII", b"glTF", 2, total))
    fh.write(struct.pack("<I4s", len(json_chunk), b"JSON"))
    fh.write(json_chunk)
    fh.write(struct.pack("<I4s", bin_length, b"BIN\0"))
    buffer.write_to(fh)
    return total
