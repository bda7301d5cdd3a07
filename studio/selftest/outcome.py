"""What a self-test check produces: a result row, and the expectations the validators check.

A validator returns a one-line detail when the file is right and raises :class:`CheckError`
(or :class:`CheckSkipped`) with a one-line reason otherwise; the runner turns either into a
:class:`CheckResult` row with its time.
"""

from __future__ import annotations

from dataclasses import dataclass

from generators.take import Take

__all__ = ["FAIL", "PASS", "SKIP", "CheckError", "CheckResult", "CheckSkipped", "Expected",
           "expect"]

PASS = "pass"
FAIL = "fail"
SKIP = "skip"


class CheckError(Exception):
    """A check found something wrong; the message is the row's one-line detail."""


class CheckSkipped(Exception):  # noqa: N818 (a skip is not an error)
    """A check cannot run here (an optional extra is missing); not a failure."""


def expect(condition: bool, problem: str) -> None:
    """Raise :class:`CheckError` with ``problem`` unless ``condition`` holds.

    Examples
    --------
    >>> expect(1 + 1 == 2, "arithmetic is broken")
    >>> expect(False, "it is wrong")
    Traceback (most recent call last):
    ...
    studio.selftest.outcome.CheckError: it is wrong
    """
    if not condition:
        raise CheckError(problem)


@dataclass(frozen=True)
class CheckResult:
    """One row of the self-test table.

    Parameters
    ----------
    check
        What was checked (``"OpenGL (EGL)"``, ``"export .mp4"``...).
    status
        :data:`PASS`, :data:`FAIL` or :data:`SKIP`.
    seconds
        Wall time the check took.
    detail
        One line: what was found, or what is wrong and what to do.
    """

    check: str
    status: str
    seconds: float
    detail: str

    @property
    def failed(self) -> bool:
        """Whether this row counts as a failure (a skip does not)."""
        return self.status == FAIL


@dataclass(frozen=True)
class Expected:
    """What every exported file of the self-test take must hold.

    Parameters
    ----------
    take
        The generated take the files were written from.
    width, height
        Frame size of the rendered formats, in pixels.
    fps
        Frame rate of the rendered formats.
    frames
        Frames of the rendered formats (frame ``i`` shows ``take.pose_at(i / fps)``).
    """

    take: Take
    width: int
    height: int
    fps: float
    frames: int

    @property
    def duration(self) -> float:
        """Length of the rendered formats in seconds (``frames / fps``)."""
        return self.frames / self.fps

    @property
    def frame_tolerance(self) -> float:
        """Seconds a decoded length may differ from :attr:`duration` (two frames)."""
        return 2.0 / self.fps
