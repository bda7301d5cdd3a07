"""Results computed once per live object (an avatar or a mesh), dropped when it is collected.

Preparing an avatar for the GPU (normal deltas of every morph target, baked ambient occlusion)
costs a few tenths of a second; a batch export or a preview that opens several renderers on
the same avatar pays it once. Avatars and meshes are treated as read-only once rendered.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class ObjectCache(Generic[T]):
    """Maps live objects (by identity) to a value computed on first request.

    Examples
    --------
    >>> class Thing: ...
    >>> cache = ObjectCache()
    >>> thing = Thing()
    >>> cache.get(thing, lambda: 42), cache.get(thing, lambda: 0)
    (42, 42)
    """

    def __init__(self) -> None:
        self._entries: dict[int, tuple[weakref.ref[object], T]] = {}
        self._lock = threading.Lock()

    def get(self, obj: object, compute: Callable[[], T]) -> T:
        """The value for ``obj``, computing it with ``compute()`` the first time."""
        key = id(obj)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0]() is obj:
                return entry[1]
        value = compute()
        with self._lock:
            self._entries[key] = (weakref.ref(obj, lambda _ref: self._drop(key)), value)
        return value

    def _drop(self, key: int) -> None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0]() is None:
                del self._entries[key]
