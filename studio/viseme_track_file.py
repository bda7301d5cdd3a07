"""Read a viseme timeline from a file: a hand-corrected lip sync for ``affect-studio render``.

The file is JSON (untrusted input: size, count and every field are checked), one of

* a list of segments ``[{"viseme": "sil", "start": 0.0, "end": 0.31}, ...]``;
* ``{"visemes": [...]}``;
* a curves JSON written by this studio (its ``affectStudio.lipSync.visemes``), so a take's
  timeline can be exported, corrected in any tool and fed back;
* a project file (its ``lipSync.visemes``).

Labels are the 15 visemes of :data:`~generators.rig.visemes.VISEMES`; times are seconds. The
segments must not overlap; gaps become ``sil`` and the timeline is completed to the clip's
duration (:func:`~generators.viseme_edit.complete_timeline`). A timeline reaching more than
:data:`OVERRUN_S` past the end of the clip was made for another voice line and is refused.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from generators.rig.visemes import VISEMES
from generators.take import VisemeSegment
from generators.viseme_edit import MAX_SEGMENTS, VisemeEditError, complete_timeline
from studio.errors import StudioError

__all__ = ["MAX_FILE_BYTES", "OVERRUN_S", "load_viseme_track"]

MAX_FILE_BYTES = 64 * 1024 * 1024
"""Largest file accepted (a curves JSON of a long clip holds its frames too)."""

OVERRUN_S = 0.05
"""How far past the end of the clip a timeline may reach (rounding in exported files)."""


def _fail(path: Path, what: str) -> StudioError:
    return StudioError(f"viseme track {path.name}: {what}")


def _segments_of(data: Any) -> Any:
    """The list of segments in any of the accepted layouts (``None`` if there is none)."""
    if isinstance(data, list):
        return data
    if not isinstance(data, dict):
        return None
    if "visemes" in data:
        return data["visemes"]
    for outer, inner in (("affectStudio", "lipSync"), ("lipSync", None)):
        block = data.get(outer)
        if inner is not None and isinstance(block, dict):
            block = block.get(inner)
        if isinstance(block, dict) and "visemes" in block:
            return block["visemes"]
    return None


def _time(path: Path, value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(path, f"{what} must be a number of seconds, got {value!r:.40}")
    v = float(value)
    if not math.isfinite(v) or v < 0:
        raise _fail(path, f"{what} must be a finite number >= 0, got {value!r:.40}")
    return v


def load_viseme_track(path: str | Path, duration: float) -> tuple[VisemeSegment, ...]:
    """Read a viseme timeline for a clip of ``duration`` seconds (see the module docstring).

    Parameters
    ----------
    path
        The JSON file.
    duration
        Length of the voice line in seconds.

    Returns
    -------
    tuple of VisemeSegment
        A timeline contiguous from 0 to ``duration``.

    Raises
    ------
    StudioError
        When the file is missing, too large, not JSON, holds no viseme list, a segment is
        malformed, segments overlap, or the timeline runs past the end of the clip.
    """
    p = Path(path)
    if not p.is_file():
        raise StudioError(f"viseme track file not found: {p} (check the path)")
    if p.stat().st_size > MAX_FILE_BYTES:
        raise _fail(p, f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(p, f"not valid JSON ({exc}); see the format in the docs") from None
    except (ValueError, RecursionError):
        raise _fail(p, "not a valid viseme track (numbers too long or nesting too deep)") from None
    items = _segments_of(data)
    if not isinstance(items, list) or not items:
        raise _fail(p, 'expected a non-empty list of {"viseme", "start", "end"} segments')
    if len(items) > MAX_SEGMENTS:
        raise _fail(p, f"more than {MAX_SEGMENTS} segments")
    segments = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise _fail(p, f'segment {i} must be an object {{"viseme", "start", "end"}}')
        label = item.get("viseme")
        if not isinstance(label, str) or label not in VISEMES:
            raise _fail(
                p, f"segment {i} is {label!r:.40}, not a viseme (use one of: {' '.join(VISEMES)})"
            )
        start = _time(p, item.get("start"), f"segment {i} start")
        end = _time(p, item.get("end"), f"segment {i} end")
        if end <= start:
            raise _fail(p, f"segment {i} ({label}) must end after it starts")
        segments.append(VisemeSegment(label, start, end))
    last = max(s.end for s in segments)
    if last > duration + OVERRUN_S:
        raise _fail(
            p,
            f"the timeline ends at {last:g} s but the voice line is {duration:g} s long "
            f"(use a track made for this voice line)",
        )
    try:
        return complete_timeline(segments, duration)
    except VisemeEditError as exc:
        raise _fail(p, str(exc)) from None
