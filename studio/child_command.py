"""Commands that start one of the studio's own modules in a new process.

A normal install runs ``python -m MODULE``; a standalone bundle has no Python interpreter to
call, so its executable takes ``--run-module MODULE`` instead and runs the module as
``__main__`` (:func:`run_module_if_asked`, called first thing by the bundle's entry point).
Only the modules listed in :data:`CHILD_MODULES` may be started that way.
"""

from __future__ import annotations

import runpy
import sys
from collections.abc import Sequence

__all__ = ["CHILD_MODULES", "RUN_MODULE_FLAG", "module_command", "run_module_if_asked"]

RUN_MODULE_FLAG = "--run-module"
"""The bundle executable's argument that starts one of :data:`CHILD_MODULES`."""

CHILD_MODULES = frozenset({"studio.analysis_process"})
"""The modules the studio starts in helper processes."""


def module_command(module: str, *args: str) -> list[str]:
    """The command line that runs ``module`` as a script in a new process.

    Parameters
    ----------
    module
        One of :data:`CHILD_MODULES`.
    args
        Its arguments.

    Examples
    --------
    >>> cmd = module_command("studio.analysis_process", "7")
    >>> cmd[1:] if not getattr(sys, "frozen", False) else cmd
    ['-m', 'studio.analysis_process', '7']
    """
    if module not in CHILD_MODULES:
        raise ValueError(f"{module} is not a studio helper module")
    if getattr(sys, "frozen", False):
        return [sys.executable, RUN_MODULE_FLAG, module, *args]
    return [sys.executable, "-m", module, *args]


def run_module_if_asked(argv: Sequence[str]) -> None:
    """When ``argv`` is ``[exe, --run-module, MODULE, ARGS...]``, run MODULE and exit.

    Otherwise return at once. An unknown module exits with status 2 and a one-line message.
    """
    if len(argv) < 2 or argv[1] != RUN_MODULE_FLAG:
        return
    module = argv[2] if len(argv) > 2 else ""
    if module not in CHILD_MODULES:
        sys.exit(f"error: {module or '(none)'} is not a studio helper module")
    sys.argv = [module, *argv[3:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
    sys.exit(0)
