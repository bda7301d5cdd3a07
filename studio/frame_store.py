"""Generated video frames kept on disk, not in memory, once a run is large.

A talking-head run of a long line is large: 60 s at 30 fps of 512 x 512 RGB frames is
1.4 GB, 5.7 GB at 1024 x 1024. :class:`FrameStore` holds the frames of one run by index. Below
:data:`IN_MEMORY_BYTES` they stay in memory; above it they go into one memory-mapped file of
fixed-size frames in the temporary folder, so the studio's memory stays flat and scrubbing
reads a frame straight from the page cache. The file is an anonymous temporary file (already
unlinked on POSIX systems, deleted on close on Windows), so nothing is left behind, even after
a crash; its space is reserved when it is made where the system can. When the temporary
folder lacks the space or cannot be written, the frames stay in memory.

Examples
--------
>>> import numpy as np
>>> store = FrameStore(expected=3, in_memory_bytes=0)  # straight to disk
>>> store.add(1, np.full((4, 4, 3), 7, np.uint8))
>>> (len(store), 1 in store, int(store[1][0, 0, 0]), store.on_disk)
(1, True, 7, True)
>>> store.close()
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

__all__ = ["IN_MEMORY_BYTES", "FrameStore"]

IN_MEMORY_BYTES: int = 256 * 1024 * 1024
"""Runs up to this size stay in memory (about 11 s of 512 x 512 frames at 30 fps)."""

SPARE_DISK_BYTES: int = 512 * 1024 * 1024
"""Free space left in the temporary folder after a run's file is made."""


class FrameStore(Mapping[int, np.ndarray]):
    """The frames of one generation run, by video frame index.

    Parameters
    ----------
    expected
        How many frames the run makes (indices ``0 .. expected - 1``).
    in_memory_bytes
        Largest run kept in memory (default :data:`IN_MEMORY_BYTES`).
    folder
        Where the file of a large run goes (the system's temporary folder by default).

    Notes
    -----
    Every frame of a run has the shape of the first one, ``(H, W, 3)`` ``uint8``. Frames read
    back are read-only (views of the file for a run on disk).
    """

    def __init__(self, expected: int, *, in_memory_bytes: int | None = None,
                 folder: str | os.PathLike[str] | None = None) -> None:
        self._expected = max(0, int(expected))
        self._limit = IN_MEMORY_BYTES if in_memory_bytes is None else int(in_memory_bytes)
        self._folder = Path(folder) if folder is not None else Path(tempfile.gettempdir())
        self._memory: dict[int, np.ndarray] = {}
        self._file: np.memmap | None = None
        self._handle: object | None = None  # the temporary file behind ``_file``
        self._present: set[int] = set()
        self._shape: tuple[int, ...] | None = None

    # -- Mapping ---------------------------------------------------------------------------

    def __getitem__(self, index: int) -> np.ndarray:
        if self._file is not None:
            if index not in self._present:
                raise KeyError(index)
            view = self._file[index]
        else:
            view = self._memory[index].view()
        view.flags.writeable = False
        return view

    def __contains__(self, index: object) -> bool:
        return index in self._present

    def __iter__(self) -> Iterator[int]:
        return iter(sorted(self._present))

    def __len__(self) -> int:
        return len(self._present)

    # -- state -----------------------------------------------------------------------------

    @property
    def on_disk(self) -> bool:
        """Whether the frames are in a file rather than in memory."""
        return self._file is not None

    @property
    def expected(self) -> int:
        """How many frames the run makes."""
        return self._expected

    # -- changes ---------------------------------------------------------------------------

    def add(self, index: int, frame: np.ndarray) -> None:
        """Keep ``frame`` as frame ``index``.

        Raises
        ------
        ValueError
            If ``index`` is outside the run, or the frame is not ``(H, W, 3)`` ``uint8`` of the
            run's first frame's shape.
        """
        index = int(index)
        if not 0 <= index < self._expected:
            raise ValueError(f"frame {index} is outside this run of {self._expected} frames")
        frame = np.asarray(frame)
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f"a frame must be (H, W, 3) uint8, not {frame.shape} {frame.dtype}")
        if self._shape is None:
            self._file = self._open_file(frame.shape)
            self._shape = frame.shape
        elif frame.shape != self._shape:
            raise ValueError(f"frame {index} is {frame.shape}, the run's frames {self._shape}")
        if self._file is not None:
            self._file[index] = frame
        else:
            self._memory[index] = frame.copy()  # the caller may reuse its array
        self._present.add(index)

    def close(self) -> None:
        """Drop every frame and the file (the store is then empty)."""
        self._memory = {}
        self._present = set()
        self._shape = None
        self._file = None  # unmapped once no view of it is left
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.close()  # type: ignore[attr-defined]

    def _open_file(self, shape: tuple[int, ...]) -> np.memmap | None:
        """The run's file, or ``None`` to keep the frames in memory (small run, no space)."""
        size = self._expected * int(np.prod(shape))
        if size <= self._limit or size == 0:
            return None
        try:
            free = shutil.disk_usage(self._folder).free
        except OSError:
            return None
        if free < size + SPARE_DISK_BYTES:
            return None
        try:
            handle = tempfile.TemporaryFile(  # noqa: SIM115 - kept open until close()
                prefix="affect-frames-", suffix=".rgb", dir=self._folder)
        except OSError:
            return None
        try:
            if hasattr(os, "posix_fallocate"):  # a disk that fills later cannot fail a write
                os.posix_fallocate(handle.fileno(), 0, size)
            mapped = np.memmap(handle, dtype=np.uint8, mode="w+",
                               shape=(self._expected, *shape))
        except (OSError, ValueError):
            handle.close()
            return None
        self._handle = handle
        return mapped
