"""Read an emotion-track file: prompts placed along the timeline.

Two formats, told apart by content (a file whose first non-blank character is ``[`` or ``{``
is JSON, anything else is text).

**Text**, UTF-8, one cue per line: a time, then the prompt. Each cue lasts until the next one
(the last one to the end of the clip)::

    # the emotion of the take
    transition 0.6
    0.0     calm
    3.2     suddenly furious
    1:05.5  slowly calming down @0.6

* the time is seconds (``3.2``) or minutes and seconds (``1:05.5``); cues must be in
  increasing time order;
* a trailing ``@0.8`` sets the cue's intensity (0..1) instead of the one its words imply;
* ``transition SECONDS`` (0..3, before the first cue) sets how long the emotion takes to move
  from one cue to the next (about 90 % of the way; the default is 0.4 s);
* blank lines are ignored, and ``#`` starts a comment (to the end of the line).

**JSON**, either a list of segments or ``{"transition": seconds, "segments": [...]}``, each
segment ``{"start": seconds, "end": seconds or null, "prompt": "text", "intensity": 0..1,
"speed": number}`` (``end``, ``intensity`` and ``speed`` optional)::

    [{"start": 0.0, "end": 2.0, "prompt": "calm"},
     {"start": 2.0, "prompt": "quietly furious", "intensity": 0.8}]

In both formats a cue's words also set how fast the emotion arrives ("suddenly", "abruptly",
"snaps into": three times faster; "slowly", "gradually": 0.4 times;
see :func:`generators.emotion.speed_words.prompt_speed`); a JSON ``speed`` overrides them.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from generators.controls import control_range
from generators.emotion.parse import parse_prompt
from generators.emotion.speed_words import prompt_speed
from generators.errors import PromptError
from generators.take import EmotionSegment, EmotionTrack
from studio.errors import StudioError

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_SEGMENTS",
    "MAX_SPEED",
    "MAX_TRANSITION",
    "load_emotion_track",
    "parse_emotion_track_text",
    "parse_time",
]

MAX_FILE_BYTES = 1024 * 1024
MAX_SEGMENTS = 10_000
MAX_TRANSITION = control_range("emotion_transition")[1]
"""Longest transition a file may set, in seconds (the studio's transition control's top)."""
MAX_TIME_S = 24 * 3600.0
"""Latest cue time accepted, in seconds."""
MAX_SPEED = 100.0
"""Largest per-segment speed a JSON file may set (and ``1 / MAX_SPEED`` the smallest)."""

_TIME = re.compile(r"(?:(\d+):([0-5]?\d(?:\.\d+)?)|(\d+(?:\.\d*)?|\.\d+))")
_INTENSITY = re.compile(r"@\s*([^\s@]+)$")


def _fail(path: Path, what: str) -> StudioError:
    return StudioError(f"emotion track {path.name}: {what}")


def parse_time(text: str) -> float | None:
    """Seconds from ``"3.2"`` or ``"1:05.5"`` (minutes:seconds), or ``None`` if malformed.

    Examples
    --------
    >>> parse_time("3.2"), parse_time("1:05.5"), parse_time("0:07"), parse_time("1:75")
    (3.2, 65.5, 7.0, None)
    """
    m = _TIME.fullmatch(text.strip())
    if m is None:
        return None
    if m.group(3) is not None:
        seconds = float(m.group(3))
    else:
        seconds = int(m.group(1)) * 60.0 + float(m.group(2))
    return seconds if math.isfinite(seconds) and seconds <= MAX_TIME_S else None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _transition(value: Any) -> float | None:
    """``value`` as a transition in seconds, or ``None`` if it is not one."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    if isinstance(value, bool) or not (math.isfinite(seconds) and 0 <= seconds <= MAX_TRANSITION):
        return None
    return seconds


def parse_emotion_track_text(text: str, name: str = "<text>") -> EmotionTrack:
    """Parse the text emotion-track format (see the module notes).

    Parameters
    ----------
    text
        The file's content.
    name
        What to call the source in error messages (the file name).

    Returns
    -------
    EmotionTrack
        One segment per cue, each ending where the next starts (the last one open-ended).

    Raises
    ------
    StudioError
        One line naming the source, the line number and what is wrong: a malformed time,
        times not increasing, an empty prompt, a bad intensity or transition, a prompt that
        cannot be understood, no cues or too many.

    Examples
    --------
    >>> track = parse_emotion_track_text("transition 0.6\\n0 calm\\n1:02.5 suddenly furious")
    >>> [(s.start, s.end, s.prompt, s.speed) for s in track.segments], track.transition
    ([(0.0, 62.5, 'calm', 1.0), (62.5, None, 'suddenly furious', 3.0)], 0.6)
    """

    def fail(line_no: int, what: str) -> StudioError:
        return StudioError(f"emotion track {name}: line {line_no}: {what}")

    transition: float | None = None
    cues: list[tuple[float, str, float | None, int]] = []
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        head, rest = (line.split(None, 1) + [""])[:2]
        rest = rest.strip()
        if head.lower() == "transition":
            if cues:
                raise fail(line_no, "'transition' must come before the first cue")
            if transition is not None:
                raise fail(line_no, "'transition' is given twice")
            transition = _transition(rest)
            if transition is None:
                raise fail(
                    line_no,
                    f"transition {rest!r:.20} must be seconds between 0 and {MAX_TRANSITION:g}",
                )
            continue
        start = parse_time(head)
        if start is None:
            raise fail(
                line_no,
                f"bad time {head!r:.20}; start each cue with seconds (3.2) or m:ss (1:05.5), "
                f"at most {MAX_TIME_S:g} s, e.g. '3.2 suddenly furious'",
            )
        intensity: float | None = None
        m = _INTENSITY.search(rest)
        if m is not None:
            value = m.group(1)
            try:
                intensity = float(value)
            except ValueError:
                intensity = math.nan
            if not 0.0 <= intensity <= 1.0:
                raise fail(line_no, f"intensity '@{value:.20}' must be a number between 0 and 1")
            rest = rest[: m.start()].strip()
        if not rest:
            raise fail(line_no, f"no prompt after the time; write e.g. '{head} furious'")
        if cues and start <= cues[-1][0]:
            raise fail(
                line_no,
                f"time {head} ({start:g} s) is not after the previous cue's {cues[-1][0]:g} s "
                f"(line {cues[-1][3]}); put the cues in increasing time order",
            )
        if len(cues) >= MAX_SEGMENTS:
            raise fail(line_no, f"more than {MAX_SEGMENTS} cues")
        cues.append((start, rest, intensity, line_no))
    if not cues:
        raise StudioError(
            f"emotion track {name}: no cues; write one per line, a time then a prompt, "
            "e.g. '0.0 calm' and '3.2 suddenly furious'"
        )
    segments = []
    for i, (start, prompt, intensity, line_no) in enumerate(cues):
        try:
            state = parse_prompt(prompt, intensity)
        except PromptError as exc:
            raise fail(line_no, str(exc)) from None
        end = cues[i + 1][0] if i + 1 < len(cues) else None
        segments.append(
            EmotionSegment(start, end, prompt, state, prompt_speed(prompt), intensity)
        )
    return EmotionTrack(segments, EmotionTrack().transition if transition is None else transition)


def _json_track(p: Path, text: str) -> EmotionTrack:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(p, f"not valid JSON ({exc}); see the format in the docs") from None
    transition = EmotionTrack().transition
    if isinstance(data, dict):
        items = data.get("segments")
        if data.get("transition") is not None:
            raw = data["transition"]
            value = _transition(raw) if _is_number(raw) else None
            if value is None:
                raise _fail(p, f'"transition" must be seconds between 0 and {MAX_TRANSITION:g}')
            transition = value
    else:
        items = data
    if not isinstance(items, list) or not items:
        raise _fail(p, 'expected a non-empty list of {"start", "end", "prompt"} segments')
    if len(items) > MAX_SEGMENTS:
        raise _fail(p, f"more than {MAX_SEGMENTS} segments")
    segments = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("prompt"), str):
            raise _fail(p, f"segment {i} needs a text \"prompt\"")
        numbers = {k: item.get(k) for k in ("start", "end", "intensity", "speed")}
        if any(v is not None and not _is_number(v) for v in numbers.values()):
            raise _fail(p, f"segment {i}: start, end, intensity and speed must be numbers")
        start = float(item.get("start", 0.0))
        end = None if item.get("end") is None else float(item["end"])
        intensity = None if item.get("intensity") is None else float(item["intensity"])
        speed = None if item.get("speed") is None else float(item["speed"])
        if not (math.isfinite(start) and 0 <= start <= MAX_TIME_S) or (
            end is not None and not (math.isfinite(end) and start < end <= MAX_TIME_S)
        ):
            raise _fail(p, f"segment {i}: needs 0 <= start < end <= {MAX_TIME_S:g} s")
        if speed is not None and not (1.0 / MAX_SPEED <= speed <= MAX_SPEED):
            raise _fail(
                p, f"segment {i}: speed must be between {1.0 / MAX_SPEED:g} and {MAX_SPEED:g}"
            )
        prompt = str(item["prompt"])
        try:
            state = parse_prompt(prompt, intensity)
        except PromptError as exc:
            raise _fail(p, f"segment {i}: {exc}") from None
        speed = prompt_speed(prompt) if speed is None else speed
        segments.append(EmotionSegment(start, end, prompt, state, speed, intensity))
    segments.sort(key=lambda s: s.start)
    for a, b in zip(segments, segments[1:], strict=False):
        if b.start == a.start or (a.end is not None and b.start < a.end):
            raise _fail(
                p, f"segments starting at {a.start:g} s and {b.start:g} s overlap; "
                "give each its own time span"
            )
    return EmotionTrack(segments, transition)


def load_emotion_track(path: str | Path) -> EmotionTrack:
    """Read an emotion-track file (text or JSON, see the module notes).

    Raises
    ------
    StudioError
        One line, naming the file: when it is missing, larger than 1 MiB, not UTF-8 text or
        not valid JSON, or a cue or segment is malformed or its prompt cannot be understood
        (text cues are named by line number, JSON segments by index).
    """
    p = Path(path)
    if not p.is_file():
        raise StudioError(f"emotion track file not found: {p} (check the path)")
    if p.stat().st_size > MAX_FILE_BYTES:
        raise _fail(p, "file is larger than 1 MiB")
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _fail(p, "not UTF-8 text; save it as UTF-8") from None
    if text.lstrip()[:1] in ("[", "{"):
        return _json_track(p, text)
    return parse_emotion_track_text(text, p.name)
