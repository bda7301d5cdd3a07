"""Read ``.safetensors`` weight files with numpy alone (no pickle, no torch).

The format is an 8-byte little-endian header length ``N``, then ``N`` bytes of UTF-8 JSON
mapping each tensor name to its ``dtype``, ``shape`` and ``data_offsets`` (begin and end, in
bytes, relative to the data that follows the header), then the raw little-endian data. An
optional ``__metadata__`` entry holds free-form strings.

The file is treated as untrusted: the header length is bounded, every offset must lie inside
the file and every byte count must match its shape and dtype, or :class:`SafetensorsError`
says what is wrong.

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as folder:
...     path = Path(folder) / "w.safetensors"
...     write_safetensors(path, {"w": np.arange(6, dtype=np.float32).reshape(2, 3)})
...     read_safetensors(path)["w"]
array([[0., 1., 2.],
       [3., 4., 5.]], dtype=float32)
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Iterable, Mapping
from os import PathLike
from pathlib import Path
from typing import BinaryIO

import numpy as np

__all__ = ["MAX_HEADER_BYTES", "SafetensorsError", "read_safetensors", "write_safetensors"]

MAX_HEADER_BYTES: int = 100_000_000
"""Largest JSON header accepted, in bytes (real headers are a few kB to a few MB)."""

_STORED: dict[str, np.dtype] = {
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),
    "I64": np.dtype("<i8"),
}
_DTYPE_NAMES: dict[np.dtype, str] = {
    np.dtype(np.float32): "F32",
    np.dtype(np.float16): "F16",
    np.dtype(np.int64): "I64",
}


class SafetensorsError(ValueError):
    """A ``.safetensors`` file is truncated, malformed or uses an unsupported dtype."""


def read_safetensors(
    path: str | PathLike[str], names: Iterable[str] | None = None
) -> dict[str, np.ndarray]:
    """Read tensors from a ``.safetensors`` file.

    Parameters
    ----------
    path
        The file to read.
    names
        Only these tensors (all of them when ``None``); a name missing from the file is an
        error.

    Returns
    -------
    dict[str, numpy.ndarray]
        Each tensor as a C-contiguous array that owns its memory, in file order. ``F32``,
        ``F16`` and ``BF16`` become ``float32``, ``I64`` stays ``int64``.

    Raises
    ------
    SafetensorsError
        The file is too short, its header is too long, not JSON or inconsistent, an offset
        points outside the file, a byte count does not match its shape, a dtype is not
        supported, or a requested tensor is missing.
    OSError
        The file cannot be opened or read.
    """
    path = Path(path)
    with path.open("rb") as stream:
        size = stream.seek(0, 2)
        stream.seek(0)
        header, data_start = _read_header(stream, size, path)
    entries = _check_entries(header, size - data_start, path)
    wanted = list(entries) if names is None else list(names)
    missing = [name for name in wanted if name not in entries]
    if missing:
        raise SafetensorsError(f"{path}: no tensor named {', '.join(sorted(missing))}")
    if not wanted:
        return {}
    if size == data_start:  # only empty tensors: nothing to map
        data = np.zeros(0, dtype=np.uint8)
    else:
        data = np.asarray(  # a plain-array view of the mapped bytes
            np.memmap(path, dtype=np.uint8, mode="r", offset=data_start, shape=(size - data_start,))
        )
    try:
        return {name: _decode(data, *entries[name]) for name in wanted}
    finally:
        del data


def write_safetensors(
    path: str | PathLike[str],
    tensors: Mapping[str, np.ndarray],
    metadata: Mapping[str, str] | None = None,
) -> None:
    """Write ``float32``, ``float16`` or ``int64`` arrays as a ``.safetensors`` file.

    Parameters
    ----------
    path
        The file to write (replaced if it exists).
    tensors
        Name -> array; arrays of any other dtype are rejected.
    metadata
        Optional free-form strings stored under ``__metadata__``.

    Raises
    ------
    SafetensorsError
        An array has an unsupported dtype.
    """
    header: dict[str, object] = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs: list[bytes] = []
    offset = 0
    for name, array in tensors.items():
        array = np.asarray(array)
        dtype_name = _DTYPE_NAMES.get(array.dtype)
        if dtype_name is None:
            raise SafetensorsError(f"cannot write {name!r}: unsupported dtype {array.dtype}")
        blob = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
        header[name] = {
            "dtype": dtype_name,
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(blob)],
        }
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # keep the data 8-byte aligned, as the reference writer does
    with Path(path).open("wb") as stream:
        stream.write(struct.pack("<Q", len(text)))
        stream.write(text)
        for blob in blobs:
            stream.write(blob)


def _read_header(stream: BinaryIO, size: int, path: Path) -> tuple[dict, int]:
    """Read and parse the JSON header; return it and where the data starts."""
    if size < 8:
        raise SafetensorsError(f"{path}: not a safetensors file ({size} bytes, too short)")
    (length,) = struct.unpack("<Q", stream.read(8))
    if length > MAX_HEADER_BYTES:
        raise SafetensorsError(
            f"{path}: header length {length} bytes exceeds the {MAX_HEADER_BYTES}-byte limit"
        )
    if 8 + length > size:
        raise SafetensorsError(
            f"{path}: truncated (header says {length} bytes, file has {size - 8} after the length)"
        )
    raw = stream.read(length)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SafetensorsError(f"{path}: header is not valid UTF-8 JSON ({exc})") from None
    if not isinstance(header, dict):
        raise SafetensorsError(f"{path}: header is not a JSON object")
    return header, 8 + length


def _is_count(value: object) -> bool:
    """Whether ``value`` is a non-negative JSON integer (``true``/``false`` excluded)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_entries(
    header: dict, data_size: int, path: Path
) -> dict[str, tuple[str, tuple[int, ...], int, int]]:
    """Validate every tensor entry; return name -> (dtype, shape, begin, end)."""
    entries: dict[str, tuple[str, tuple[int, ...], int, int]] = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        where = f"{path}: tensor {name!r}"
        if not isinstance(entry, dict):
            raise SafetensorsError(f"{where}: entry is not a JSON object")
        dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
        if dtype not in _STORED:
            raise SafetensorsError(
                f"{where}: unsupported dtype {dtype!r} (supported: {', '.join(_STORED)})"
            )
        if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
            raise SafetensorsError(f"{where}: shape {shape!r} is not a list of sizes")
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(_is_count(o) for o in offsets)
        ):
            raise SafetensorsError(f"{where}: data_offsets {offsets!r} is not [begin, end]")
        begin, end = offsets
        if begin > end or end > data_size:
            raise SafetensorsError(
                f"{where}: data_offsets [{begin}, {end}] lie outside the {data_size} data bytes "
                "(file truncated or corrupt)"
            )
        expected = math.prod(shape) * _STORED[dtype].itemsize
        if end - begin != expected:
            raise SafetensorsError(
                f"{where}: {end - begin} bytes do not match shape {shape} of {dtype} "
                f"({expected} bytes)"
            )
        entries[name] = (dtype, tuple(shape), begin, end)
    return entries


def _decode(
    data: np.ndarray, dtype: str, shape: tuple[int, ...], begin: int, end: int
) -> np.ndarray:
    """Copy one tensor out of the data bytes, converting half precisions to ``float32``."""
    stored = data[begin:end].view(_STORED[dtype]).reshape(shape)
    if dtype == "BF16":
        return (stored.astype(np.uint32) << 16).view(np.float32)
    if dtype == "F16":
        return stored.astype(np.float32)
    return stored.astype(stored.dtype.newbyteorder("="), copy=True)
