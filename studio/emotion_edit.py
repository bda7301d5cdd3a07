"""Edits of an emotion track along the timeline (what the studio's prompt field does).

All functions return a new :class:`~generators.take.EmotionTrack`; segments stay sorted.

Examples
--------
>>> from generators.emotion.parse import parse_prompt
>>> track = EmotionTrack.constant("calm", parse_prompt("calm"))
>>> track = split_at(track, 2.0, "furious", parse_prompt("furious"))
>>> [(s.start, s.end, s.prompt) for s in track.segments]
[(0.0, 2.0, 'calm'), (2.0, None, 'furious')]
>>> track = with_prompt_at(track, 0.5, "sad", parse_prompt("sad"))
>>> [s.prompt for s in track.segments]
['sad', 'furious']
>>> [(s.start, s.end, s.prompt) for s in remove_at(track, 3.0).segments]
[(0.0, None, 'sad')]
"""

from __future__ import annotations

from dataclasses import replace

from generators.emotion.speed_words import prompt_speed
from generators.take import EmotionSegment, EmotionState, EmotionTrack

__all__ = ["remove_at", "segment_index_at", "split_at", "with_prompt_at"]

MIN_SEGMENT_S = 0.05


def _sorted(track: EmotionTrack) -> list[EmotionSegment]:
    return sorted(track.segments, key=lambda s: s.start)


def _contains(seg: EmotionSegment, t: float) -> bool:
    return seg.start <= t and (seg.end is None or t < seg.end)


def segment_index_at(track: EmotionTrack, t: float) -> int | None:
    """Index (in start order) of the segment active at ``t``, or ``None`` in a gap."""
    for i, seg in enumerate(_sorted(track)):
        if _contains(seg, t):
            return i
    return None


def with_prompt_at(track: EmotionTrack, t: float, prompt: str, state: EmotionState) -> EmotionTrack:
    """Give the segment active at ``t`` a new prompt (an empty track becomes constant)."""
    segs = _sorted(track)
    i = segment_index_at(track, t)
    if i is None:
        if not segs:
            return EmotionTrack.constant(prompt, state)
        return split_at(track, t, prompt, state)
    segs[i] = replace(segs[i], prompt=prompt, state=state, speed=prompt_speed(prompt))
    return EmotionTrack(segs, track.transition)


def split_at(track: EmotionTrack, t: float, prompt: str, state: EmotionState) -> EmotionTrack:
    """Start a new prompt at ``t``, running to the end of the segment it splits.

    At (or within :data:`MIN_SEGMENT_S` of) a segment's start, that segment's prompt is
    replaced instead, so no sliver segments are made.
    """
    t = max(0.0, float(t))
    segs = _sorted(track)
    i = segment_index_at(track, t)
    if i is not None:
        seg = segs[i]
        if t - seg.start < MIN_SEGMENT_S:
            segs[i] = replace(seg, prompt=prompt, state=state, speed=prompt_speed(prompt))
        else:
            segs[i] = replace(seg, end=t)
            segs.insert(i + 1, EmotionSegment(t, seg.end, prompt, state, prompt_speed(prompt)))
        return EmotionTrack(segs, track.transition)
    following = [s.start for s in segs if s.start > t]
    end = min(following) if following else None
    if not segs:
        t = 0.0
    segs.append(EmotionSegment(t, end, prompt, state, prompt_speed(prompt)))
    return EmotionTrack(sorted(segs, key=lambda s: s.start), track.transition)


def remove_at(track: EmotionTrack, t: float) -> EmotionTrack:
    """Remove the segment active at ``t``; the segment before it takes over its time."""
    segs = _sorted(track)
    i = segment_index_at(track, t)
    if i is None:
        return EmotionTrack(segs, track.transition)
    removed = segs.pop(i)
    if i > 0 and segs[i - 1].end is not None and abs(segs[i - 1].end - removed.start) < 1e-9:
        segs[i - 1] = replace(segs[i - 1], end=removed.end)
    elif i == 0 and segs:
        segs[0] = replace(segs[0], start=0.0)
    return EmotionTrack(segs, track.transition)
