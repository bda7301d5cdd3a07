"""Validators of the per-frame curve formats: curves ``.json`` and Live Link Face ``.csv``.

Both are read back and compared number by number with the take they were written from.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np

from renderers.arkit import ARKIT_INDEX, ARKIT_NAMES
from studio.errors import ExportError
from studio.exporters.json_curves import CurvesJsonExporter
from studio.exporters.json_curves_reader import read_curves_json
from studio.exporters.livelink_csv import BLENDSHAPE_COUNT, LIVE_LINK_FACE_HEADER
from studio.selftest.outcome import CheckError, Expected, expect

__all__ = ["check_curves_json", "check_livelink_csv"]

_TIMECODE = re.compile(r"(\d{2}):(\d{2}):(\d{2}):(\d{2})\.(\d{3})")
# Live Link Face's angle columns (degrees / 180) -> (curve, column).
_ANGLE_SOURCES = {
    "HeadYaw": ("head", 0), "HeadPitch": ("head", 1), "HeadRoll": ("head", 2),
    "LeftEyeYaw": ("eye", 0), "LeftEyePitch": ("eye", 1), "LeftEyeRoll": None,
    "RightEyeYaw": ("eye", 2), "RightEyePitch": ("eye", 3), "RightEyeRoll": None,
}  # fmt: skip


def _take_arrays(expected: Expected) -> dict[str, np.ndarray]:
    curves = expected.take.curves
    n = curves.num_frames

    def rows(values: np.ndarray | None, width: int) -> np.ndarray:
        if values is None:
            return np.zeros((n, width))
        return np.nan_to_num(np.asarray(values, dtype=np.float64))

    return {
        "weights": np.clip(rows(curves.weights, len(ARKIT_NAMES)), 0.0, 1.0),
        "head": rows(curves.head_rotation, 3),
        "eye": rows(curves.eye_rotation, 4),
    }


def _largest_gap(found: np.ndarray, wanted: np.ndarray) -> float:
    return float(np.max(np.abs(found - wanted))) if found.size else 0.0


def check_curves_json(dest: Path, expected: Expected) -> str:
    """Validate a curves ``.json``: read back, 52 ARKit names, frames, range, equal to the take."""
    try:
        read = read_curves_json(dest)
    except ExportError as exc:
        raise CheckError(" ".join(str(exc).split())) from None
    doc = json.loads(dest.read_text(encoding="utf-8"))
    names = doc["facsNames"]
    expect(names == list(ARKIT_NAMES),
           f"facsNames has {len(names)} names, not the 52 ARKit names in Apple's order")
    take = _take_arrays(expected)
    n = len(take["weights"])
    expect(doc["numFrames"] == n, f"numFrames is {doc['numFrames']} (the take has {n})")
    expect(math.isclose(read.fps, expected.take.fps),
           f"exportFps is {read.fps:g} (the take's is {expected.take.fps:g})")
    raw = np.asarray(doc["weightMat"], dtype=np.float64)
    expect(bool(np.all((raw >= 0.0) & (raw <= 1.0))), "weightMat holds values outside 0..1")
    decimals = CurvesJsonExporter().decimals
    tolerance = 0.5 * 10.0**-decimals + 1e-6
    gap = _largest_gap(np.asarray(read.weights, np.float64), take["weights"])
    expect(gap <= tolerance, f"weights differ from the take's by up to {gap:.2g}")
    angles = (("head", read.head_rotation, "headRotation"),
              ("eye", read.eye_rotation, "eyeRotation"))
    for key, got, label in angles:
        expect(got is not None, f"affectStudio.{label} is missing")
        angle_gap = _largest_gap(np.asarray(got, np.float64), take[key])
        expect(angle_gap <= tolerance + 1e-5,
               f"affectStudio.{label} differs from the take's by up to {angle_gap:.2g} degrees")
    return (f"{len(names)} ARKit curves x {n} frames at {read.fps:g} fps, "
            f"equal to the take within {gap:.1g}")


def _timecode(text: str, row: int) -> tuple[int, ...]:
    match = _TIMECODE.fullmatch(text)
    expect(match is not None, f"row {row}: timecode {text!r} is not HH:MM:SS:FF.fff")
    assert match is not None
    return tuple(int(g) for g in match.groups())


def check_livelink_csv(dest: Path, expected: Expected) -> str:
    """Validate a Live Link Face ``.csv``: header, a row per frame, numbers, timecodes, values."""
    lines = dest.read_text(encoding="utf-8").splitlines()
    expect(bool(lines), "the file is empty")
    header = lines[0].split(",")
    wanted = LIVE_LINK_FACE_HEADER.split(",")
    missing = [c for c in wanted if c not in header]
    expect(not missing, f"header lacks {len(missing)} columns, first {missing[:1]}")
    expect(header == wanted,
           f"header has {len(header)} columns, not Live Link Face's {len(wanted)} in its order")
    take = _take_arrays(expected)
    n = len(take["weights"])
    rows = lines[1:]
    expect(len(rows) == n, f"{len(rows)} rows (the take has {n} frames)")
    values = np.empty((n, len(wanted) - 2))
    previous: tuple[int, ...] = ()
    for i, line in enumerate(rows):
        cells = line.split(",")
        expect(len(cells) == len(wanted), f"row {i + 1} has {len(cells)} cells, not {len(wanted)}")
        code = _timecode(cells[0], i + 1)
        expect(code > previous, f"row {i + 1}: timecode {cells[0]} does not increase")
        previous = code
        expect(cells[1] == str(BLENDSHAPE_COUNT),
               f"row {i + 1}: BlendShapeCount is {cells[1]!r}, not {BLENDSHAPE_COUNT}")
        try:
            values[i] = [float(c) for c in cells[2:]]
        except ValueError:
            raise CheckError(f"row {i + 1} holds a cell that is not a number") from None
    expect(bool(np.all(np.isfinite(values))), "a value is not a finite number")
    gap = 0.0
    for j, column in enumerate(wanted[2:]):
        if column in _ANGLE_SOURCES:
            source = _ANGLE_SOURCES[column]
            want = np.zeros(n) if source is None else take[source[0]][:, source[1]] / 180.0
            expect(bool(np.all(np.abs(values[:, j]) <= 1.0)), f"{column} leaves -1..1")
        else:
            want = take["weights"][:, ARKIT_INDEX[column[0].lower() + column[1:]]]
            expect(bool(np.all((values[:, j] >= 0) & (values[:, j] <= 1))), f"{column} leaves 0..1")
        column_gap = _largest_gap(values[:, j], want)
        expect(column_gap <= 1e-5, f"{column} differs from the take's by up to {column_gap:.2g}")
        gap = max(gap, column_gap)
    return (f"{len(wanted)} columns, {n} rows with increasing timecodes, "
            f"equal to the take within {gap:.1g}")
