"""Generated frames: in memory for a short run, in a memory-mapped file for a long one."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

from studio.frame_store import FrameStore


def frame(value: int, side: int = 8) -> np.ndarray:
    return np.full((side, side, 3), value % 256, np.uint8)


def test_a_small_run_stays_in_memory_and_reads_back_what_was_added() -> None:
    store = FrameStore(4)
    for i in (2, 0, 3):
        store.add(i, frame(i))
    assert not store.on_disk and len(store) == 3 and list(store) == [0, 2, 3]
    assert 1 not in store and store.get(1) is None
    assert all(int(store[i][0, 0, 0]) == i for i in store)
    with pytest.raises(ValueError, match="read-only"):
        store[0][0, 0, 0] = 9
    source = frame(5)
    store.add(1, source)
    source[:] = 0  # the caller reuses its array: the stored frame keeps its pixels
    assert int(store[1][0, 0, 0]) == 5


def test_a_large_run_goes_to_a_file_that_leaves_nothing_behind(tmp_path) -> None:
    store = FrameStore(5, in_memory_bytes=100, folder=tmp_path)
    for i in range(5):
        store.add(i, frame(10 * i))
    assert store.on_disk and len(store) == 5
    assert [int(store[i][3, 3, 1]) for i in range(5)] == [0, 10, 20, 30, 40]
    store.add(2, frame(99))  # drawn again
    assert int(store[2][0, 0, 0]) == 99
    with pytest.raises(ValueError, match="read-only"):
        store[0][0, 0, 0] = 1  # frames read back cannot be changed behind the store's back
    if os.name == "posix":
        assert list(tmp_path.iterdir()) == []  # unlinked as soon as it was mapped
    store.close()
    assert len(store) == 0 and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("index", "bad", "says"), [
    (5, frame(1), "outside this run of 5 frames"),
    (-1, frame(1), "outside this run"),
    (0, np.zeros((8, 8, 4), np.uint8), "must be \\(H, W, 3\\) uint8"),
    (0, np.zeros((8, 8, 3), np.float32), "must be \\(H, W, 3\\) uint8"),
])
def test_a_frame_that_does_not_fit_the_run_is_refused(index, bad, says) -> None:
    store = FrameStore(5)
    with pytest.raises(ValueError, match=says):
        store.add(index, bad)


def test_every_frame_must_have_the_first_one_s_shape(tmp_path) -> None:
    store = FrameStore(3, in_memory_bytes=0, folder=tmp_path)
    store.add(0, frame(1, side=8))
    with pytest.raises(ValueError, match="the run's frames"):
        store.add(1, frame(1, side=16))
    assert len(store) == 1


def test_an_unwritable_folder_keeps_the_frames_in_memory(tmp_path) -> None:
    missing = tmp_path / "gone"  # (root may write anywhere: a folder that is not there)
    store = FrameStore(3, in_memory_bytes=0, folder=missing)
    store.add(0, frame(6))
    store.add(1, frame(7))
    assert not store.on_disk and [int(store[i][0, 0, 0]) for i in store] == [6, 7]


def test_a_closed_store_takes_a_new_run_of_another_size(tmp_path) -> None:
    store = FrameStore(3, in_memory_bytes=0, folder=tmp_path)
    store.add(0, frame(1, side=8))
    store.close()
    store.add(0, frame(2, side=16))
    assert store[0].shape == (16, 16, 3)


def test_without_space_for_the_file_the_frames_stay_in_memory(tmp_path, monkeypatch) -> None:
    import shutil

    monkeypatch.setattr(shutil, "disk_usage", lambda _p: shutil._ntuple_diskusage(1, 1, 1))
    store = FrameStore(3, in_memory_bytes=0, folder=tmp_path)
    store.add(0, frame(5))
    assert not store.on_disk and int(store[0][0, 0, 0]) == 5


def _anonymous_kib() -> int:
    """The process's own (anonymous) resident memory; mapped file pages are the page
    cache's, which the system writes back and drops as it needs."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1])
    raise AssertionError("no RssAnon in /proc/self/status")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_a_long_run_does_not_grow_the_process_s_memory(tmp_path) -> None:
    # 300 frames of 512 x 512: 236 MB of frames; the process must not hold them.
    side, count = 512, 300
    before = _anonymous_kib()
    store = FrameStore(count, in_memory_bytes=16 * 1024 * 1024, folder=tmp_path)
    picture = np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)
    for i in range(count):
        picture[0, 0, 0] = i % 256
        store.add(i, picture)
    assert store.on_disk
    assert [int(store[i][0, 0, 0]) for i in (0, 150, 299)] == [0, 150, 299 % 256]
    grown_mb = (_anonymous_kib() - before) / 1024
    store.close()
    assert grown_mb < 40, grown_mb  # the frames are in the file, not the process's memory
    in_memory = FrameStore(count, folder=tmp_path)  # the same run held in memory: it grows
    before = _anonymous_kib()
    for i in range(count):
        in_memory.add(i, picture.copy())
    # 236 MB of frames; memory the process freed earlier may be reused without growing it,
    # so only half of that is required to show.
    assert (_anonymous_kib() - before) / 1024 > 120
    in_memory.close()
