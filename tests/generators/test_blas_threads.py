"""One BLAS thread for the analysis: held from several threads at once, nested, and put back
as it was by the last holder; the rig generator and small text batches run inside it."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from generators.blas_threads import in_one_blas_thread, one_blas_thread
from generators.emotion.text_encoder import ONE_THREAD_TOKENS, get_encoder


def _blas_threads() -> set[int]:
    found = {int(lib["num_threads"]) for lib in threadpool_info() if lib["user_api"] == "blas"}
    if not found:
        pytest.fail("numpy has no BLAS library that threadpoolctl can see")
    return found


@pytest.fixture
def two_threads() -> object:
    with threadpool_limits(limits=2, user_api="blas"):
        assert _blas_threads() == {2}
        yield


def test_the_last_holder_puts_the_threads_back_whatever_the_order(two_threads: object) -> None:
    a_in, b_in, a_out, b_out = (threading.Event() for _ in range(4))
    seen: dict[str, set[int]] = {}

    def first() -> None:
        with one_blas_thread():
            a_in.set()
            b_in.wait(5)
        seen["after first left"] = _blas_threads()
        a_out.set()

    def second() -> None:
        a_in.wait(5)
        with one_blas_thread():
            b_in.set()
            a_out.wait(5)  # the first holder leaves while this one is inside
            seen["inside second"] = _blas_threads()
        b_out.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert b_out.is_set()
    assert seen == {"after first left": {1}, "inside second": {1}}
    assert _blas_threads() == {2}


def test_holders_nest_and_errors_still_restore(two_threads: object) -> None:
    with one_blas_thread():
        with one_blas_thread():
            assert _blas_threads() == {1}
        assert _blas_threads() == {1}
    assert _blas_threads() == {2}

    @in_one_blas_thread
    def fails() -> None:
        assert _blas_threads() == {1}
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fails()
    assert _blas_threads() == {2}


def test_a_sentence_is_embedded_in_one_thread_a_large_batch_is_not(
    two_threads: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoder = get_encoder()
    forward = type(encoder)._forward
    threads_seen: list[set[int]] = []

    def recording(self: object, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        threads_seen.append(_blas_threads())
        return forward(self, ids, mask)  # type: ignore[arg-type]

    monkeypatch.setattr(type(encoder), "_forward", recording)
    encoder.encode(["quietly furious but hopeful"])
    long_text = " ".join(["word"] * 100)
    encoder.encode([long_text] * 8)  # 8 x 102 tokens > ONE_THREAD_TOKENS
    assert ONE_THREAD_TOKENS < 8 * 102
    assert threads_seen == [{1}, {2}]


def test_a_failing_restore_does_not_hide_the_error_inside_or_stick(
    two_threads: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    import generators.blas_threads as blas_threads

    with pytest.raises(ValueError, match="inside"), one_blas_thread():
        limiter = blas_threads._limiter
        monkeypatch.setattr(
            limiter, "restore_original_limits", lambda: (_ for _ in ()).throw(OSError("x"))
        )
        raise ValueError("inside")
    assert blas_threads._holders == 0 and blas_threads._limiter is None


def test_a_blas_that_cannot_be_limited_does_not_stop_the_work(
    two_threads: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threadpoolctl

    def broken(self: object, **kw: object) -> object:
        raise OSError("no such symbol")

    monkeypatch.setattr(threadpoolctl.ThreadpoolController, "limit", broken)
    with one_blas_thread():
        assert _blas_threads() == {2}
    assert _blas_threads() == {2}
