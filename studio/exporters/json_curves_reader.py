"""Read a curves JSON file (ours or Audio2Face's) back into a :class:`CurveSet`.

The file is untrusted input: its size, shapes and every number are checked before anything is
built, and each problem is reported with a message that says what is wrong and what to do.
Columns are matched to ARKit shapes by name (case-insensitively), never by position; shapes
the file lacks stay at zero and names it has that are not ARKit shapes are ignored.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from generators.take import CurveSet
from renderers.arkit import ARKIT_INDEX, NUM_SHAPES
from studio.errors import ExportError

__all__ = ["MAX_FILE_BYTES", "MAX_FRAMES", "CurvesFileError", "read_curves_json"]

MAX_FILE_BYTES: int = 512 * 1024**2
"""Largest curves file accepted (512 MiB; ten minutes at 120 fps is about 40 MiB)."""

MAX_FRAMES: int = 600 * 240
"""Most frames accepted (ten minutes at 240 fps)."""

MAX_POSES: int = 1024
"""Most blendshape columns accepted."""

MAX_FPS: float = 1000.0
"""Highest frame rate accepted."""

MAX_ANGLE: float = 360.0
"""Largest head or eye angle accepted, in degrees."""

_LOWER_INDEX = {name.lower(): i for name, i in ARKIT_INDEX.items()}


class CurvesFileError(ExportError):
    """A curves JSON file is missing, malformed, too large or holds invalid numbers."""


def read_curves_json(path: str | Path) -> CurveSet:
    """Read the ARKit curves (and head/eye rotation, when present) of a curves JSON file.

    Parameters
    ----------
    path
        A ``.json`` in the Audio2Face layout (``exportFps``, ``numFrames``, ``facsNames``,
        ``weightMat``), optionally with our ``affectStudio`` block.

    Returns
    -------
    CurveSet
        Weights clipped to 0..1; head and eye rotation from ``affectStudio`` or zeros.

    Raises
    ------
    CurvesFileError
        With a one-line message naming the file and the problem.
    """
    p = Path(path)
    doc = _load(p)
    fps = _number(doc, "exportFps", p, low=0.0, high=MAX_FPS, exclusive_low=True)
    n = _integer(doc, "numFrames", p, high=MAX_FRAMES)
    names = doc.get("facsNames")
    if not isinstance(names, list) or not all(isinstance(s, str) for s in names):
        raise _error(p, "'facsNames' must be a list of blendshape names")
    if not 0 < len(names) <= MAX_POSES:
        raise _error(p, f"'facsNames' has {len(names)} names (expected 1..{MAX_POSES})")
    if "numPoses" in doc:
        poses = _integer(doc, "numPoses", p, high=MAX_POSES)
        if poses != len(names):
            raise _error(p, f"'numPoses' is {poses} but 'facsNames' has {len(names)} names")
    raw = _matrix(doc.get("weightMat"), n, len(names), "weightMat", p)

    weights = np.zeros((n, NUM_SHAPES), dtype=np.float32)
    for col, name in enumerate(names):
        idx = _LOWER_INDEX.get(name.strip().lower())
        if idx is not None:
            weights[:, idx] = raw[:, col]
    weights = np.clip(weights, 0.0, 1.0)

    head = eyes = None
    extra = doc.get("affectStudio")
    if isinstance(extra, dict):
        if "headRotation" in extra:
            head = _matrix(extra["headRotation"], n, 3, "affectStudio.headRotation", p)
            _check_angles(head, "affectStudio.headRotation", p)
        if "eyeRotation" in extra:
            eyes = _matrix(extra["eyeRotation"], n, 4, "affectStudio.eyeRotation", p)
            _check_angles(eyes, "affectStudio.eyeRotation", p)
    return CurveSet(fps, weights, head, eyes)


def _error(p: Path, problem: str) -> CurvesFileError:
    return CurvesFileError(f"cannot read curves file {p.name}: {problem} (export it again)")


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _load(p: Path) -> dict[str, Any]:
    if not p.exists():
        raise CurvesFileError(f"curves file not found: {p} (check the path)")
    if not p.is_file():
        raise CurvesFileError(f"not a file: {p} (pass a .json curves file)")
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:
        raise CurvesFileError(
            f"curves file is larger than {MAX_FILE_BYTES // 1024**2} MiB: {p} "
            "(split the take into shorter clips)"
        )
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise _error(p, "it is not UTF-8 text") from None
    except OSError as exc:
        raise CurvesFileError(f"cannot open curves file {p} ({exc.strerror})") from None
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else "invalid JSON"
        raise _error(p, f"not valid JSON ({detail})") from None
    if not isinstance(doc, dict):
        raise _error(p, "the top level must be a JSON object")
    return doc


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _number(
    doc: dict[str, Any],
    key: str,
    p: Path,
    *,
    low: float,
    high: float,
    exclusive_low: bool = False,
) -> float:
    if key not in doc:
        raise _error(p, f"missing '{key}'")
    v = doc[key]
    if not _is_number(v) or not math.isfinite(float(v)):
        raise _error(p, f"'{key}' must be a number")
    v = float(v)
    if v > high or v < low or (exclusive_low and v == low):
        raise _error(p, f"'{key}' is {v:g}, outside {low:g}..{high:g}")
    return v


def _integer(doc: dict[str, Any], key: str, p: Path, *, high: int) -> int:
    if key not in doc:
        raise _error(p, f"missing '{key}'")
    v = doc[key]
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if not isinstance(v, int) or isinstance(v, bool):
        raise _error(p, f"'{key}' must be a whole number")
    if not 0 <= v <= high:
        raise _error(p, f"'{key}' is {v}, outside 0..{high}")
    return v


def _matrix(rows: Any, n: int, width: int, key: str, p: Path) -> np.ndarray:
    """An ``(n, width)`` float32 array from a list of lists of finite numbers."""
    if not isinstance(rows, list):
        raise _error(p, f"'{key}' must be a list of rows")
    if len(rows) != n:
        raise _error(p, f"'{key}' has {len(rows)} rows but numFrames is {n}")
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != width:
            got = len(row) if isinstance(row, list) else type(row).__name__
            raise _error(p, f"'{key}' row {i} has {got} values (expected {width})")
        if not all(_is_number(v) for v in row):
            raise _error(p, f"'{key}' row {i} holds something that is not a number")
    out = np.array(rows, dtype=np.float64).reshape(n, width)
    if not np.all(np.isfinite(out)):
        raise _error(p, f"'{key}' holds a number too large to represent")
    return out.astype(np.float32)


def _check_angles(values: np.ndarray, key: str, p: Path) -> None:
    if values.size and float(np.max(np.abs(values))) > MAX_ANGLE:
        raise _error(p, f"'{key}' holds an angle beyond {MAX_ANGLE:g} degrees")
