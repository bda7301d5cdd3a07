"""Validators of Rhubarb Lip Sync mouth cues: ``.rhubarb.json`` and ``.tsv``.

The cues must use Rhubarb's shape set (A-H, X), be ordered and contiguous, cover the clip
from 0 to its duration (truncated to centiseconds, as Rhubarb does), and be the take's own cues.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from generators.mouth_cues import mouth_cues
from studio.selftest.outcome import CheckError, Expected, expect

__all__ = ["RHUBARB_SHAPES", "check_cue_list", "check_rhubarb_json", "check_rhubarb_tsv"]

RHUBARB_SHAPES = frozenset("ABCDEFGHX")
"""Rhubarb Lip Sync's mouth shapes: A-F basic, G and H extended, X at rest."""

_TIME_SLACK = 0.006
"""Seconds two times may differ: both are written with two decimals."""

Cue = tuple[float, float, str]


def _clip_seconds(expected: Expected) -> float:
    take = expected.take
    duration = take.duration if take.duration > 0 else take.curves.duration
    return int(duration * 100.0 + 1e-6) / 100.0


def check_cue_list(cues: list[Cue], expected: Expected) -> str:
    """Check cues read from a file against Rhubarb's rules and the take; return a summary.

    Raises
    ------
    CheckError
        An unknown shape, a gap or overlap, a cue out of order, cues not covering the clip, or
        cues that are not the take's.
    """
    expect(bool(cues), "no mouth cues")
    clip = _clip_seconds(expected)
    for i, (start, end, shape) in enumerate(cues):
        expect(shape in RHUBARB_SHAPES, f"cue {i} has shape {shape!r}, not one of A-H or X")
        expect(math.isfinite(start) and math.isfinite(end) and end > start,
               f"cue {i} runs from {start} to {end} (it must end after it starts)")
        if i:
            before = cues[i - 1][1]
            expect(abs(start - before) <= _TIME_SLACK,
                   f"cue {i} starts at {start:.2f} but the one before ends at {before:.2f} "
                   f"({'gap' if start > before else 'overlap'})")
    expect(abs(cues[0][0]) <= _TIME_SLACK, f"the first cue starts at {cues[0][0]:.2f}, not 0")
    expect(abs(cues[-1][1] - clip) <= _TIME_SLACK,
           f"the cues end at {cues[-1][1]:.2f} s, not at the clip's end {clip:.2f} s")
    expect(any(shape != "X" for _, _, shape in cues), "the mouth never moves (only X cues)")
    take_cues = mouth_cues(expected.take.visemes, clip)
    expect(len(take_cues) == len(cues), f"{len(cues)} cues (the take has {len(take_cues)})")
    for i, (cue, want) in enumerate(zip(cues, take_cues, strict=True)):
        same = (cue[2] == want.shape and abs(cue[0] - want.start) <= _TIME_SLACK
                and abs(cue[1] - want.end) <= _TIME_SLACK)
        expect(same, f"cue {i} is {cue[2]} {cue[0]:.2f}-{cue[1]:.2f}, the take's is "
               f"{want.shape} {want.start:.2f}-{want.end:.2f}")
    shapes = "".join(sorted({shape for _, _, shape in cues}))
    return f"{len(cues)} contiguous cues over 0-{clip:.2f} s, shapes {shapes}"


def check_rhubarb_json(dest: Path, expected: Expected) -> str:
    """Validate a ``.rhubarb.json``: Rhubarb's layout, then :func:`check_cue_list`."""
    try:
        doc = json.loads(dest.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise CheckError(f"not valid JSON ({str(exc).splitlines()[0]})") from None
    expect(isinstance(doc, dict), "the top level is not a JSON object")
    meta = doc.get("metadata")
    expect(isinstance(meta, dict) and isinstance(meta.get("soundFile"), str),
           "metadata.soundFile is missing")
    duration = meta.get("duration")
    clip = _clip_seconds(expected)
    expect(isinstance(duration, int | float) and abs(duration - clip) <= _TIME_SLACK,
           f"metadata.duration is {duration!r} (the clip lasts {clip:.2f} s)")
    raw = doc.get("mouthCues")
    expect(isinstance(raw, list), "mouthCues is not a list")
    cues: list[Cue] = []
    for i, item in enumerate(raw):
        ok = isinstance(item, dict) and all(
            isinstance(item.get(k), int | float) and not isinstance(item.get(k), bool)
            for k in ("start", "end")
        ) and isinstance(item.get("value"), str)
        expect(ok, f"mouthCues[{i}] is not {{start, end, value}}")
        cues.append((float(item["start"]), float(item["end"]), item["value"]))
    return check_cue_list(cues, expected)


def check_rhubarb_tsv(dest: Path, expected: Expected) -> str:
    """Validate a ``.tsv``: ``start<TAB>shape`` lines, a final ``end<TAB>X``, then the cues."""
    lines = dest.read_text(encoding="utf-8").splitlines()
    expect(len(lines) >= 2, f"{len(lines)} lines (expected the cues and a final X line)")
    marks: list[tuple[float, str]] = []
    for i, line in enumerate(lines):
        cells = line.split("\t")
        expect(len(cells) == 2, f"line {i + 1} is not 'SECONDS<TAB>SHAPE': {line!r}")
        try:
            marks.append((float(cells[0]), cells[1]))
        except ValueError:
            raise CheckError(f"line {i + 1} starts with {cells[0]!r}, not seconds") from None
    expect(marks[-1][1] == "X", f"the last line is {marks[-1][1]}, not the closing X")
    pairs = zip(marks[:-1], marks[1:], strict=True)
    cues = [(start, end, shape) for (start, shape), (end, _) in pairs]
    return check_cue_list(cues, expected)
