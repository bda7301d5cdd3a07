"""Read an emotion-track file: prompts placed along the timeline.

The file is JSON, either a list of segments or ``{"segments": [...]}``, each segment
``{"start": seconds, "end": seconds or null, "prompt": "text", "intensity": 0..1 (optional)}``::

    [{"start": 0.0, "end": 2.0, "prompt": "calm"},
     {"start": 2.0, "prompt": "quietly furious", "intensity": 0.8}]
"""

from __future__ import annotations

import json
from pathlib import Path

from generators.emotion.parse import parse_prompt
from generators.take import EmotionSegment, EmotionTrack
from studio.errors import StudioError

MAX_FILE_BYTES = 1024 * 1024
MAX_SEGMENTS = 10_000


def _fail(path: Path, what: str) -> StudioError:
    return StudioError(f"emotion track {path.name}: {what}")


def load_emotion_track(path: str | Path) -> EmotionTrack:
    """Parse an emotion-track JSON file into an :class:`~generators.take.EmotionTrack`.

    Raises
    ------
    StudioError
        When the file is missing, too large, not JSON, or a segment is malformed.
    generators.errors.PromptError
        When a segment's prompt cannot be understood.
    """
    p = Path(path)
    if not p.is_file():
        raise StudioError(f"emotion track file not found: {p} (check the path)")
    if p.stat().st_size > MAX_FILE_BYTES:
        raise _fail(p, "file is larger than 1 MiB")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(p, f"not valid JSON ({exc}); see the format in the docs") from None
    items = data.get("segments") if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        raise _fail(p, 'expected a non-empty list of {"start", "end", "prompt"} segments')
    if len(items) > MAX_SEGMENTS:
        raise _fail(p, f"more than {MAX_SEGMENTS} segments")
    segments = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or "prompt" not in item:
            raise _fail(p, f"segment {i} needs at least a \"prompt\"")
        try:
            start = float(item.get("start", 0.0))
            end = None if item.get("end") is None else float(item["end"])
            intensity = None if item.get("intensity") is None else float(item["intensity"])
        except (TypeError, ValueError):
            raise _fail(p, f"segment {i}: start, end and intensity must be numbers") from None
        if start < 0 or (end is not None and end <= start):
            raise _fail(p, f"segment {i}: needs 0 <= start < end")
        prompt = str(item["prompt"])
        segments.append(EmotionSegment(start, end, prompt, parse_prompt(prompt, intensity)))
    segments.sort(key=lambda s: s.start)
    return EmotionTrack(segments)
