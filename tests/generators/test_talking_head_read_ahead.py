"""Conditioning images made ahead in a worker thread (generators.talking_head.read_ahead)."""

from __future__ import annotations

import threading
import time

import pytest

from generators.talking_head.read_ahead import read_ahead


class Source:
    """A generator-like source that records the threads it runs and is closed in."""

    def __init__(self, count: int, fail_at: int | None = None, delay: float = 0.0) -> None:
        self.count, self.fail_at, self.delay = count, fail_at, delay
        self.made = 0
        self.threads: set[int] = set()
        self.closed_in: int | None = None
        self._items = self._generate()

    def _generate(self):
        for i in range(self.count):
            self.threads.add(threading.get_ident())
            if i == self.fail_at:
                raise RuntimeError(f"item {i} could not be drawn")
            time.sleep(self.delay)
            self.made += 1
            yield i

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._items)

    def close(self) -> None:
        self.closed_in = threading.get_ident()
        self._items.close()


def test_items_come_in_order_and_are_made_off_the_reading_thread():
    source = Source(20)
    assert list(read_ahead(source, depth=3)) == list(range(20))
    assert threading.get_ident() not in source.threads and len(source.threads) == 1
    assert source.closed_in in source.threads  # closed where it ran


def test_items_are_made_while_the_reader_is_busy():
    source = Source(10)
    ahead = read_ahead(source, depth=4)
    assert next(ahead) == 0
    deadline = time.monotonic() + 5
    while source.made < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    # One read, four waiting and one made that waits for room: the depth bounds the lead.
    assert source.made == 6
    assert list(ahead) == list(range(1, 10))


def test_an_error_in_the_source_reaches_the_reader_at_its_item():
    source = Source(10, fail_at=3)
    seen = []
    with pytest.raises(RuntimeError, match="item 3 could not be drawn"):
        for item in read_ahead(source, depth=2):
            seen.append(item)
    assert seen == [0, 1, 2]


def test_stopping_early_stops_and_closes_the_source_before_returning():
    source = Source(1000, delay=0.001)
    ahead = read_ahead(source, depth=2)
    assert [next(ahead), next(ahead)] == [0, 1]
    ahead.close()
    assert source.closed_in is not None and source.closed_in != threading.get_ident()
    made = source.made
    time.sleep(0.05)
    assert source.made == made <= 5  # two read, two waiting and one waiting for room
    assert not any(t.name == "read-ahead" for t in threading.enumerate())


def test_an_error_in_the_reader_stops_the_worker():
    source = Source(1000, delay=0.001)
    with pytest.raises(KeyError):
        for item in read_ahead(source, depth=2):
            if item == 2:
                raise KeyError("the reader failed")
    assert source.closed_in is not None
    assert not any(t.name == "read-ahead" for t in threading.enumerate())


def test_depth_below_one_is_refused():
    with pytest.raises(ValueError, match="depth must be at least 1"):
        next(read_ahead([1, 2], depth=0))


def test_a_source_that_cannot_be_iterated_fails_at_once_instead_of_hanging():
    class Broken:
        def __iter__(self):
            raise OSError("the conditioning source is gone")

    with pytest.raises(OSError, match="source is gone"):
        list(read_ahead(Broken(), depth=2))
    with pytest.raises(TypeError):
        list(read_ahead(5, depth=2))  # type: ignore[arg-type]


def test_a_source_whose_close_fails_reports_it():
    source = Source(3)

    def failing_close() -> None:
        raise RuntimeError("the renderer could not be released")

    source.close = failing_close  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="could not be released"):
        list(read_ahead(source, depth=2))


def test_a_wrapped_generator_is_finalised_in_the_worker_thread():
    import itertools
    import weakref

    finalised_in: list[int] = []

    def drawn():
        try:
            yield from range(100)
        finally:
            finalised_in.append(threading.get_ident())

    inner = drawn()
    alive = weakref.ref(inner)
    ahead = read_ahead(itertools.islice(inner, 50), depth=2)  # islice has no close()
    del inner
    assert [next(ahead), next(ahead)] == [0, 1]
    ahead.close()
    assert alive() is None and finalised_in and finalised_in[0] != threading.get_ident()
