"""Progress reporting and cancellation, injected into every long-running step."""

from __future__ import annotations

import threading
from typing import Protocol, runtime_checkable

from generators.errors import Cancelled


@runtime_checkable
class ProgressSink(Protocol):
    """Receives progress of long work; the CLI draws a bar, the GUI a progress widget."""

    def report(self, fraction: float, message: str) -> None:
        """Report overall progress ``fraction`` in 0..1 with a short human ``message``."""


class NullProgress:
    """A :class:`ProgressSink` that ignores everything."""

    def report(self, fraction: float, message: str) -> None:  # noqa: D102
        return None


class SubProgress:
    """Maps 0..1 of a sub-step onto ``[start, end]`` of a parent sink.

    Examples
    --------
    >>> events = []
    >>> class Sink:
    ...     def report(self, f, m): events.append(round(f, 2))
    >>> SubProgress(Sink(), 0.5, 1.0).report(0.5, "half of the second half")
    >>> events
    [0.75]
    """

    def __init__(self, parent: ProgressSink, start: float, end: float) -> None:
        self._parent = parent
        self._start = start
        self._end = end

    def report(self, fraction: float, message: str) -> None:
        """Forward ``fraction`` rescaled into the parent's range."""
        f = min(max(fraction, 0.0), 1.0)
        self._parent.report(self._start + (self._end - self._start) * f, message)


class CancelToken:
    """A thread-safe cancel flag checked between steps of long work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the work to stop at its next check."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` has been called."""
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise :class:`~generators.errors.Cancelled` when cancellation was requested."""
        if self._event.is_set():
            raise Cancelled("cancelled by the user")
