"""``affect-studio --self-test``: run the checks, print the table or JSON, give the exit code."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from studio.selftest.report import TablePrinter, exit_code, to_json
from studio.selftest.runner import SelfTestSettings, check_names, run_self_test

__all__ = ["self_test_command"]


def self_test_command(*, as_json: bool = False, stream: TextIO | None = None) -> int:
    """Run the self-test and print its results.

    Parameters
    ----------
    as_json
        Print one JSON document at the end instead of the table.
    stream
        Where to print (default: standard output).

    Returns
    -------
    int
        0 when every check passed or was skipped, 1 when any failed.
    """
    out = stream or sys.stdout
    start = time.perf_counter()
    if as_json:
        results = run_self_test(SelfTestSettings())
        out.write(to_json(results, time.perf_counter() - start) + "\n")
        return exit_code(results)
    table = TablePrinter(check_names(), out)
    table.header()
    results = run_self_test(SelfTestSettings(), on_result=table.row)
    table.summary(results, time.perf_counter() - start)
    return exit_code(results)
