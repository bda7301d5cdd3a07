"""Items of an iterable made ahead in a worker thread, so that making them overlaps their use.

The talking-head loop waits on the GPU for most of every batch; the conditioning images of the
next batch (the avatar posed and drawn by OpenGL, on the CPU side) are drawn meanwhile instead
of after. The source is iterated, and closed, in the worker thread alone: a generator that
opens a GL context on its first item keeps that context in one thread from start to end.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterable, Iterator
from typing import TypeVar

__all__ = ["read_ahead"]

T = TypeVar("T")

_POLL_SECONDS = 0.05
"""How often a blocked worker looks whether the reader has gone."""

_ITEM, _END, _ERROR = range(3)


def read_ahead(items: Iterable[T], depth: int) -> Generator[T, None, None]:
    """Yield ``items`` in order while a worker thread makes up to ``depth`` of them ahead.

    The worker owns the source: it calls ``iter(items)``, draws every item, and when it stops
    it closes the source (when it has ``close``) and drops the last reference this function
    holds, so a generator wrapped in ``islice`` or ``map`` is finalised in the worker too. Pass
    the source unstarted, and nothing bound to the caller's thread (such as a GL context made
    there): it runs in another thread.

    An exception raised by the source is raised here, at the item where it happened, with its
    traceback. When the reader stops early (the generator is closed, garbage-collected or an
    exception leaves the loop), the worker stops, closes the source and is joined before this
    generator returns, so nothing keeps running behind the caller's back.

    Parameters
    ----------
    items
        The source; iterated, closed and released in the worker thread.
    depth
        How many items may wait, made but not yet read (at least 1).

    Raises
    ------
    ValueError
        ``depth`` is below 1 (at the first ``next()``).

    Examples
    --------
    >>> list(read_ahead((i * i for i in range(5)), depth=2))
    [0, 1, 4, 9, 16]
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    waiting: queue.Queue[tuple[int, object]] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    handed = [items]
    del items  # from here the worker holds the source alone

    def put(entry: tuple[int, object]) -> bool:
        while not stop.is_set():
            try:
                waiting.put(entry, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        source: Iterator[object] | None = None
        try:
            source = iter(handed.pop())
            for item in source:
                if not put((_ITEM, item)):
                    return
                del item
            finished, source = source, None
            _close(finished)  # before the end mark, so that a failing close reaches the reader
            del finished
            put((_END, None))
        except BaseException as exc:  # handed to the reader, raised there
            put((_ERROR, exc))
        finally:
            handed.clear()
            try:
                if source is not None:
                    _close(source)  # stopped early or failed: nobody is left to tell
            finally:
                source = None  # released here, in the worker, whatever wraps the generator

    worker = threading.Thread(target=work, name="read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            try:
                kind, value = waiting.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                if worker.is_alive() or not waiting.empty():
                    continue
                raise RuntimeError("the read-ahead worker stopped without a result") from None
            if kind == _END:
                return
            if kind == _ERROR:
                assert isinstance(value, BaseException)
                try:
                    raise value
                finally:
                    del value  # no cycle through this frame keeps the traceback alive
            yield value  # type: ignore[misc]
            del value
    finally:
        stop.set()
        worker.join()
        while not waiting.empty():  # items made but never read go with the worker
            waiting.get_nowait()


def _close(source: Iterator[object]) -> None:
    close = getattr(source, "close", None)
    if close is not None:
        close()
