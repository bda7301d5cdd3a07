"""Load GLSL sources shipped in ``renderers/shaders/``, resolving includes and defines."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from importlib import resources

_INCLUDE = re.compile(r'^\s*#include\s+"([^"]+)"\s*$', re.MULTILINE)


@cache
def _read(name: str) -> str:
    return resources.files("renderers").joinpath("shaders", name).read_text(encoding="utf-8")


def load_shader(name: str, defines: Iterable[str] = ()) -> str:
    """Return the source of ``renderers/shaders/<name>`` ready to compile.

    ``#include "other.glsl"`` lines are replaced by that file's text (once per file), and each
    name in ``defines`` becomes a ``#define NAME`` line right after ``#version``.

    Parameters
    ----------
    name
        File name, e.g. ``"surface.frag.glsl"``.
    defines
        Preprocessor names to define, e.g. ``("VERTEX_LIT",)``.

    Raises
    ------
    FileNotFoundError
        When the package was installed without its shader files.
    """
    seen: set[str] = set()

    def expand(match: re.Match[str]) -> str:
        included = match.group(1)
        if included in seen:
            return ""
        seen.add(included)
        return _INCLUDE.sub(expand, _read(included))

    source = _INCLUDE.sub(expand, _read(name))
    lines = "".join(f"#define {d}\n" for d in defines)
    if lines:
        head, sep, rest = source.partition("\n")
        if not head.startswith("#version"):
            raise ValueError(f"shader {name} must start with #version")
        source = head + sep + lines + rest
    return source
