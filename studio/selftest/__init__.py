"""The installation self-test behind ``affect-studio --self-test``.

It renders a short take of the bundled demo line headless (EGL), exports every built-in
format into a temporary folder, reads each file back with a validator of its own, and prints a
pass/fail table. It needs nothing outside the installed package (no test files, network, git
or node), so it works from a wheel install and from the standalone bundle alike.

Modules: :mod:`.outcome` (rows and expectations), :mod:`.media` (ffmpeg read-back),
``check_*`` (one validator per format), :mod:`.validators` (extension -> validator),
:mod:`.runner` (the checks in order), :mod:`.report` (table and JSON), :mod:`.command`
(the CLI entry).
"""
