"""One BLAS thread for the analysis's small matrix products, safe to ask for from any thread.

The analysis multiplies small matrices (a frame block of cepstra by the Gaussians, a sentence's
dozen tokens by a layer's weights) thousands of times. A threaded BLAS gains little on products
that small even on an idle machine, and when other work shares the cores (a second batch
worker, the viewport's software renderer, another program) its threads wait on each other: a
sentence's embedding measured 0.02 s with one thread and 0.67 s with two threads on two busy
cores. The analysis therefore runs its products in one thread.

The BLAS thread count is a setting of the whole process, so :func:`one_blas_thread` counts its
holders: the first sets one thread, the last to leave puts back what was there, whichever
threads enter and leave in whatever order.

Examples
--------
>>> with one_blas_thread():
...     with one_blas_thread():  # nests
...         pass
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

__all__ = ["in_one_blas_thread", "one_blas_thread"]

_P = ParamSpec("_P")
_R = TypeVar("_R")

_lock = threading.Lock()
_holders = 0
_limiter: object | None = None


def _free_for_any_thread() -> None:
    """Let the next change of the thread count come from any thread.

    threadpoolctl (3.8 on) lets only one Python thread at a time change OpenBLAS's process-wide
    thread count, and otherwise silently ignores the change; here the first holder may set the
    count in one thread and the last restore it in another (under :data:`_lock`, so the
    changes never race)."""
    import threadpoolctl

    clear = getattr(
        getattr(threadpoolctl, "OpenBLASController", None), "clear_controlling_thread", None
    )
    if clear is not None:
        clear(force=True)


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Limit BLAS to one thread while inside (for every thread of the process).

    The libraries are looked up when the first holder enters (about 3 ms), so a BLAS loaded
    since the last time (scipy's own OpenBLAS, say) is limited too.
    """
    global _holders, _limiter
    with _lock:
        if _holders == 0:
            from threadpoolctl import ThreadpoolController

            try:
                _free_for_any_thread()
                _limiter = ThreadpoolController().limit(limits=1, user_api="blas")
                _free_for_any_thread()
            except Exception:  # a BLAS that cannot be limited is only slower
                _limiter = None
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _limiter is not None:
                limiter, _limiter = _limiter, None
                try:
                    _free_for_any_thread()
                    limiter.restore_original_limits()  # type: ignore[attr-defined]
                    _free_for_any_thread()
                except Exception:  # never worth failing the work, nor hiding its error
                    pass  # the process keeps one BLAS thread, which is only slower


def in_one_blas_thread(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Decorate ``function`` to run inside :func:`one_blas_thread`."""

    @wraps(function)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with one_blas_thread():
            return function(*args, **kwargs)

    return run
