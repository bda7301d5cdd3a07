"""On-disk cache of the known emotion words' sentence embeddings.

Embedding the few hundred lexicon words and table descriptions takes seconds on a CPU; their
embeddings only change when the words or the model change, so they are stored once per user in
``$XDG_CACHE_HOME/affect-studio`` (``~/.cache/affect-studio`` by default; ``AFFECT_STUDIO_CACHE``
overrides it) under a name made from a hash of the model's weights file and the texts. A missing,
unreadable or mismatched cache file is simply rebuilt; a cache folder that cannot be written only
costs the time.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

__all__ = ["cache_folder", "cached_embeddings"]


class _Encoder(Protocol):
    folder: Path
    dimension: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def cache_folder() -> Path:
    """Where the cache lives (not created here)."""
    override = os.environ.get("AFFECT_STUDIO_CACHE")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "affect-studio"


def _key(encoder: _Encoder, texts: Sequence[str]) -> str:
    h = hashlib.sha256()
    weights = Path(encoder.folder) / "model.safetensors"
    try:
        stat = weights.stat()
        h.update(f"{weights.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    except OSError:
        h.update(str(encoder.folder).encode())
    for text in texts:
        h.update(text.encode("utf-8") + b"\0")
    return h.hexdigest()[:24]


def cached_embeddings(encoder: _Encoder, texts: Sequence[str]) -> np.ndarray:
    """``encoder.encode(texts)``, read from the cache when it is there and valid.

    Parameters
    ----------
    encoder
        A sentence encoder with ``folder`` (its model folder) and ``encode``.
    texts
        The texts to embed.

    Returns
    -------
    numpy.ndarray
        ``(len(texts), dim)`` float32 embeddings.
    """
    path = cache_folder() / f"vocabulary-{_key(encoder, texts)}.npy"
    width = int(getattr(encoder, "dimension", 0)) or None
    cached = _read(path, len(texts), width)
    if cached is not None:
        return cached
    vectors = np.asarray(encoder.encode(list(texts)), dtype=np.float32)
    _write(path, vectors)
    return vectors


def _read(path: Path, rows: int, width: int | None) -> np.ndarray | None:
    """The cached array if it is a finite float array of the expected shape, else ``None``
    (whatever is wrong with the file: it is then rebuilt and overwritten)."""
    try:
        cached = np.load(path, allow_pickle=False)
        if not isinstance(cached, np.ndarray) or cached.dtype.kind != "f" or cached.ndim != 2:
            return None
        if cached.shape[0] != rows or (width is not None and cached.shape[1] != width):
            return None
        if not np.isfinite(cached).all():
            return None
        return cached.astype(np.float32, copy=False)
    except Exception:  # noqa: BLE001 - any unreadable cache is rebuilt
        return None


def _write(path: Path, vectors: np.ndarray) -> None:
    """Store ``vectors`` atomically; a folder that cannot be written only costs the time."""
    tmp_name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as tmp:
            tmp_name = tmp.name
            np.save(tmp, vectors, allow_pickle=False)
        os.replace(tmp_name, path)
    except OSError:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
