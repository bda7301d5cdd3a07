"""Print the self-test's rows as a table (a row as soon as it is known) or as JSON.

Columns: check | result | seconds | detail, then one summary line. Exit code 0 when every
check passed or was skipped, 1 when any failed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TextIO

from studio.selftest.outcome import SKIP, CheckResult

__all__ = ["TablePrinter", "exit_code", "summary_line", "to_json"]

_RESULT_WIDTH = 6
_SECONDS_WIDTH = 7


def exit_code(results: Sequence[CheckResult]) -> int:
    """0 when nothing failed (skips are fine), 1 otherwise.

    Examples
    --------
    >>> exit_code([CheckResult("a", "pass", 0.1, ""), CheckResult("b", "skip", 0.0, "")])
    0
    >>> exit_code([CheckResult("a", "fail", 0.1, "broken")])
    1
    """
    return 1 if any(r.failed for r in results) else 0


def summary_line(results: Sequence[CheckResult], seconds: float | None = None) -> str:
    """The last line: ``self-test passed: N checks`` or ``self-test FAILED: K of N checks``.

    Examples
    --------
    >>> rows = [CheckResult("a", "pass", 0.1, ""), CheckResult("b", "skip", 0.0, "")]
    >>> summary_line(rows)
    'self-test passed: 2 checks (1 skipped)'
    >>> summary_line(rows + [CheckResult("c", "fail", 0.1, "")], 12.34)
    'self-test FAILED: 1 of 3 checks (1 skipped) in 12.3 s'
    """
    n = len(results)
    failed = sum(r.failed for r in results)
    skipped = sum(r.status == SKIP for r in results)
    checks = f"{n} check" + ("" if n == 1 else "s")
    line = f"self-test FAILED: {failed} of {checks}" if failed else f"self-test passed: {checks}"
    if skipped:
        line += f" ({skipped} skipped)"
    if seconds is not None:
        line += f" in {seconds:.1f} s"
    return line


class TablePrinter:
    """Write rows under a header as they arrive, then the summary line.

    Parameters
    ----------
    names
        Every check name that will be printed (sets the first column's width).
    stream
        Where to write (flushed after every line).

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> table = TablePrinter(["OpenGL"], out)
    >>> table.header()
    >>> table.row(CheckResult("OpenGL", "pass", 0.25, "OpenGL 4.5"))
    >>> print(out.getvalue(), end="")
    check   result  seconds  detail
    ------  ------  -------  ------
    OpenGL  pass       0.25  OpenGL 4.5
    """

    def __init__(self, names: Sequence[str], stream: TextIO) -> None:
        self.width = max([len("check"), *(len(n) for n in names)])
        self.stream = stream

    def _line(self, check: str, result: str, seconds: str, detail: str) -> None:
        self.stream.write(f"{check:<{self.width}}  {result:<{_RESULT_WIDTH}}  "
                          f"{seconds:>{_SECONDS_WIDTH}}  {detail}".rstrip() + "\n")
        self.stream.flush()

    def header(self) -> None:
        """The column titles and a rule under them."""
        self._line("check", "result", "seconds", "detail")
        self._line("-" * self.width, "-" * _RESULT_WIDTH, "-" * _SECONDS_WIDTH, "-" * 6)

    def row(self, result: CheckResult) -> None:
        """One check's line."""
        self._line(result.check, result.status, f"{result.seconds:.2f}", result.detail)

    def summary(self, results: Sequence[CheckResult], seconds: float | None = None) -> None:
        """The closing summary line."""
        self.stream.write(summary_line(results, seconds) + "\n")
        self.stream.flush()


def to_json(results: Sequence[CheckResult], seconds: float | None = None) -> str:
    """The rows and the outcome as a JSON document.

    Examples
    --------
    >>> print(to_json([CheckResult("a", "pass", 0.5, "ok")]))  # doctest: +NORMALIZE_WHITESPACE
    {"passed": true, "summary": "self-test passed: 1 check", "seconds": null,
     "checks": [{"check": "a", "result": "pass", "seconds": 0.5, "detail": "ok"}]}
    """
    return json.dumps({
        "passed": exit_code(results) == 0,
        "summary": summary_line(results),
        "seconds": None if seconds is None else round(seconds, 3),
        "checks": [{"check": r.check, "result": r.status, "seconds": round(r.seconds, 3),
                    "detail": r.detail} for r in results],
    })
