"""The standalone bundle's entry point: the ``affect-studio`` command line, frozen.

Multiprocessing children (the batch's process pool) and the studio's helper processes
(``--run-module``) re-enter here through the same executable.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from studio.child_command import run_module_if_asked

    run_module_if_asked(sys.argv)
    from studio.cli import main

    sys.exit(main())
