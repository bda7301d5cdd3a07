"""Hand corrections of the viseme timeline: nudge a boundary, change, delete or insert a viseme.

A corrected timeline is a tuple of :class:`~generators.take.VisemeSegment` that is contiguous
from 0 to the clip's duration, each label one of :data:`~generators.rig.visemes.VISEMES`. It
replaces the analysed visemes when the mouth curves are built
(:attr:`~generators.base.GenerationRequest.visemes`). Every function here is pure: it returns a
new tuple and keeps the timeline contiguous. Times an edit produces lie on the
:data:`STEP_S` grid (the analysis' 10 ms frames), and no edit makes a segment shorter than one
step. Bad input raises :class:`VisemeEditError` with a one-line message.

Rules worth knowing:

* **delete**: the neighbours take the deleted segment's time, meeting at its centre (at either
  end of the clip the one neighbour takes all of it); two neighbours with the same viseme then
  merge into one, except ``PP``, where each segment is a closure of its own. Deleting the only
  segment leaves the clip silent (``sil``).
* **insert**: the new viseme is centred on the given time, :data:`INSERT_S` long; it splits the
  segment there (or replaces it, when that one is shorter) and may trim, never swallow, the
  neighbours on either side.
* **change**: relabels one segment; its timing stays.

Examples
--------
>>> from generators.take import VisemeSegment as V
>>> tl = (V("sil", 0.0, 0.2), V("aa", 0.2, 0.5), V("sil", 0.5, 1.0))
>>> [(s.viseme, s.start, s.end) for s in insert_viseme(tl, 0.35, "PP")]
[('sil', 0.0, 0.2), ('aa', 0.2, 0.31), ('PP', 0.31, 0.39), ('aa', 0.39, 0.5), ('sil', 0.5, 1.0)]
>>> [(s.viseme, s.start, s.end) for s in move_boundary(tl, 1, 0.123)]
[('sil', 0.0, 0.12), ('aa', 0.12, 0.5), ('sil', 0.5, 1.0)]
>>> [(s.viseme, s.start, s.end) for s in delete_segment(tl, 1)]
[('sil', 0.0, 1.0)]
>>> set_viseme(tl, 1, "xx")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
generators.viseme_edit.VisemeEditError: unknown viseme 'xx' (use one of: sil PP FF ... oh ou)
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import replace

from generators.errors import GeneratorError
from generators.rig.visemes import VISEMES, phones_to_visemes
from generators.take import VisemeSegment, VisemeTrack

__all__ = [
    "INSERT_S",
    "MATCH_TOLERANCE_S",
    "MAX_SEGMENTS",
    "STEP_S",
    "VISEME_DESCRIPTIONS",
    "VisemeEditError",
    "analysed_timeline",
    "changed_mask",
    "changed_spans",
    "check_viseme",
    "complete_timeline",
    "delete_segment",
    "edited_mask",
    "insert_viseme",
    "move_boundary",
    "nearest_boundary",
    "segment_index_at",
    "set_viseme",
    "validate_timeline",
]

STEP_S: float = 0.01
"""Time grid of edits and the shortest segment an edit makes (one 10 ms analysis frame)."""

INSERT_S: float = 0.08
"""Length of an inserted viseme (about one short phone)."""

MAX_SEGMENTS: int = 50_000
"""Most segments a timeline may hold (ten minutes of fast speech is under 10,000)."""

MATCH_TOLERANCE_S: float = 1e-3
"""Boundaries closer than this are the same (files store times rounded)."""

VISEME_DESCRIPTIONS: dict[str, str] = {
    "sil": "rest, silence",
    "PP": "p b m",
    "FF": "f v",
    "TH": "th (thin, this)",
    "DD": "t d",
    "kk": "k g ng h",
    "CH": "ch j sh zh",
    "SS": "s z",
    "nn": "n l",
    "RR": "r er",
    "aa": "a (father, cat, cup)",
    "E": "e (bed, say)",
    "ih": "i (sit, see), y",
    "oh": "o (law, go)",
    "ou": "u (food, book), w",
}
"""A short description of each viseme: the sounds it shows."""

_PER_S = round(1.0 / STEP_S)


class VisemeEditError(GeneratorError):
    """A viseme timeline or an edit of it is invalid (unknown label, bad times, bad index)."""


def _snap(t: float) -> float:
    """``t`` on the :data:`STEP_S` grid."""
    return round(t * _PER_S) / _PER_S


def check_viseme(label: object) -> str:
    """Return ``label`` if it is a viseme of :data:`~generators.rig.visemes.VISEMES`.

    Raises
    ------
    VisemeEditError
        Naming the valid labels.
    """
    if not isinstance(label, str) or label not in VISEMES:
        shown = repr(label)[:40]
        raise VisemeEditError(f"unknown viseme {shown} (use one of: {' '.join(VISEMES)})")
    return label


def _check_time(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise VisemeEditError(f"{what} must be a number of seconds, got {value!r:.40}")
    v = float(value)
    if not math.isfinite(v):
        raise VisemeEditError(f"{what} must be a finite number of seconds, got {value!r}")
    return v


def _check_index(segments: Sequence[VisemeSegment], index: object, what: str = "segment") -> int:
    n = len(segments)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n:
        raise VisemeEditError(f"no viseme {what} {index!r:.20} (the timeline has {n} segments)")
    return index


def validate_timeline(
    segments: Sequence[VisemeSegment], duration: float, *, tolerance: float = MATCH_TOLERANCE_S
) -> tuple[VisemeSegment, ...]:
    """Check that ``segments`` form a timeline of a clip ``duration`` seconds long.

    The segments must be in time order, each with a known label and ``end > start``, the
    first starting at 0, each starting where the previous one ends and the last ending at
    ``duration``, all within ``tolerance``.

    Parameters
    ----------
    segments
        The viseme segments.
    duration
        Clip length in seconds.
    tolerance
        Largest gap, overlap or mismatch at either end that is accepted (and closed).

    Returns
    -------
    tuple of VisemeSegment
        The same timeline with the small mismatches closed: exactly contiguous from 0 to
        ``duration``.

    Raises
    ------
    VisemeEditError
        With a one-line message naming the first problem found.
    """
    duration = _check_time(duration, "clip duration")
    if duration <= 0:
        raise VisemeEditError(f"the clip duration must be positive, got {duration:g} s")
    n = len(segments)
    if n == 0:
        raise VisemeEditError("the viseme timeline is empty (it must cover the whole clip)")
    if n > MAX_SEGMENTS:
        raise VisemeEditError(f"the viseme timeline has {n} segments, more than {MAX_SEGMENTS}")
    out: list[VisemeSegment] = []
    cursor = 0.0
    for i, seg in enumerate(segments):
        if not isinstance(seg, VisemeSegment):
            raise VisemeEditError(f"viseme {i} is not a viseme segment ({type(seg).__name__})")
        check_viseme(seg.viseme)
        start = _check_time(seg.start, f"viseme {i} start")
        end = _check_time(seg.end, f"viseme {i} end")
        if end <= start:
            raise VisemeEditError(
                f"viseme {i} ({seg.viseme}) must end after it starts (start {start:g} s, "
                f"end {end:g} s)"
            )
        if abs(start - cursor) > tolerance:
            where = "the clip start" if i == 0 else f"where viseme {i - 1} ends ({cursor:g} s)"
            raise VisemeEditError(
                f"viseme {i} ({seg.viseme}) starts at {start:g} s, not at {where}; the "
                f"timeline must be contiguous"
            )
        if end <= cursor:
            raise VisemeEditError(f"viseme {i} ({seg.viseme}) is shorter than the tolerance")
        out.append(VisemeSegment(seg.viseme, cursor, end))
        cursor = end
    if abs(cursor - duration) > tolerance:
        raise VisemeEditError(
            f"the viseme timeline ends at {cursor:g} s but the clip is {duration:g} s long "
            f"(was it made for another voice line?)"
        )
    last = out[-1]
    if duration <= last.start:
        raise VisemeEditError(f"the last viseme starts after the clip ends ({duration:g} s)")
    out[-1] = VisemeSegment(last.viseme, last.start, float(duration))
    return tuple(out)


def complete_timeline(
    segments: Sequence[VisemeSegment], duration: float
) -> tuple[VisemeSegment, ...]:
    """Make an analysed (or imported) viseme list a full timeline from 0 to ``duration``.

    Segments are sorted and clipped to the clip; gaps become ``sil`` (a gap shorter than one
    :data:`STEP_S` widens the segment before it instead, and a gap next to a ``sil`` widens
    that), so the result can be edited.

    Raises
    ------
    VisemeEditError
        On an unknown label, a segment that ends before it starts, overlapping segments or
        a non-positive duration.

    Examples
    --------
    >>> from generators.take import VisemeSegment as V
    >>> [(s.viseme, s.start, s.end) for s in complete_timeline([V("aa", 0.1, 0.3)], 0.5)]
    [('sil', 0.0, 0.1), ('aa', 0.1, 0.3), ('sil', 0.3, 0.5)]
    """
    duration = _check_time(duration, "clip duration")
    if duration <= 0:
        raise VisemeEditError(f"the clip duration must be positive, got {duration:g} s")
    if len(segments) > MAX_SEGMENTS:
        raise VisemeEditError(
            f"the viseme timeline has {len(segments)} segments, more than {MAX_SEGMENTS}"
        )
    for i, seg in enumerate(segments):
        check_viseme(seg.viseme)
        start = _check_time(seg.start, f"viseme {i} start")
        if _check_time(seg.end, f"viseme {i} end") < start:
            raise VisemeEditError(f"viseme {i} ({seg.viseme}) ends before it starts")
    ordered = sorted(segments, key=lambda s: (s.start, s.end))
    out: list[VisemeSegment] = []
    cursor = 0.0
    for seg in ordered:
        start, end = max(float(seg.start), 0.0), min(float(seg.end), duration)
        if end <= start:
            continue
        if start < cursor - MATCH_TOLERANCE_S:
            raise VisemeEditError(
                f"visemes overlap at {start:g} s ({out[-1].viseme} until {cursor:g} s, then "
                f"{seg.viseme}); a timeline needs one viseme at a time"
            )
        start = max(start, cursor)
        if end <= start:
            continue
        _fill(out, cursor, start)
        out.append(VisemeSegment(seg.viseme, start, end))
        cursor = end
    _fill(out, cursor, duration)
    return tuple(out)


def _fill(out: list[VisemeSegment], start: float, end: float) -> None:
    """Cover ``start..end`` after ``out[-1]``: widen a neighbour or add a ``sil``."""
    if end <= start:
        return
    if out and (end - start < STEP_S or out[-1].viseme == "sil"):
        out[-1] = replace(out[-1], end=end)
    else:
        out.append(VisemeSegment("sil", start, end))


def segment_index_at(segments: Sequence[VisemeSegment], t: float) -> int:
    """Index of the segment holding time ``t`` (clamped into the timeline).

    A time on a boundary belongs to the segment that starts there.

    Raises
    ------
    VisemeEditError
        If the timeline is empty or ``t`` is not a finite number.
    """
    t = _check_time(t, "time")
    if not segments:
        raise VisemeEditError("the viseme timeline is empty")
    starts = [s.start for s in segments]
    return max(0, min(len(segments) - 1, bisect.bisect_right(starts, t) - 1))


def nearest_boundary(
    segments: Sequence[VisemeSegment], t: float, max_distance: float = math.inf
) -> int | None:
    """The boundary nearest ``t`` (``k``: where segment ``k`` starts, ``1 <= k < len``).

    Returns ``None`` when the timeline has no inner boundary or the nearest is farther than
    ``max_distance`` seconds.
    """
    t = _check_time(t, "time")
    if len(segments) < 2:
        return None
    starts = [s.start for s in segments[1:]]
    j = bisect.bisect_left(starts, t)
    best = min((k for k in (j - 1, j) if 0 <= k < len(starts)), key=lambda k: abs(starts[k] - t))
    return best + 1 if abs(starts[best] - t) <= max_distance else None


def move_boundary(
    segments: Sequence[VisemeSegment], boundary: int, t: float
) -> tuple[VisemeSegment, ...]:
    """Move the boundary where segment ``boundary`` starts to ``t`` (snapped to the grid).

    The time is clamped so that neither neighbour gets shorter than one :data:`STEP_S`; the
    other segments do not move. When the two neighbours together are too short to move the
    boundary at all, the timeline is returned unchanged.

    Raises
    ------
    VisemeEditError
        If ``boundary`` is not an inner boundary (``1 <= boundary < len(segments)``).
    """
    if (
        isinstance(boundary, bool)
        or not isinstance(boundary, int)
        or not (1 <= boundary < len(segments))
    ):
        raise VisemeEditError(
            f"no viseme boundary {boundary!r:.20} (inner boundaries are 1 to {len(segments) - 1})"
        )
    t = _snap(_check_time(t, "boundary time"))
    before, after = segments[boundary - 1], segments[boundary]
    lo, hi = before.start + STEP_S, after.end - STEP_S
    if lo > hi:
        return tuple(segments)
    t = min(max(t, lo), hi)
    out = list(segments)
    out[boundary - 1] = replace(before, end=t)
    out[boundary] = replace(after, start=t)
    return tuple(out)


def set_viseme(
    segments: Sequence[VisemeSegment], index: int, viseme: str
) -> tuple[VisemeSegment, ...]:
    """Give segment ``index`` another viseme; its timing stays.

    Raises
    ------
    VisemeEditError
        On an unknown viseme or a bad index.
    """
    check_viseme(viseme)
    i = _check_index(segments, index)
    out = list(segments)
    out[i] = replace(out[i], viseme=viseme)
    return tuple(out)


def delete_segment(segments: Sequence[VisemeSegment], index: int) -> tuple[VisemeSegment, ...]:
    """Remove segment ``index``; its neighbours take its time (see the module notes).

    Raises
    ------
    VisemeEditError
        On a bad index.
    """
    i = _check_index(segments, index)
    seg = segments[i]
    out = list(segments)
    if len(out) == 1:
        out[0] = replace(seg, viseme="sil")
        return tuple(out)
    if i == 0:
        out[1] = replace(out[1], start=seg.start)
        del out[0]
        return tuple(out)
    if i == len(out) - 1:
        out[i - 1] = replace(out[i - 1], end=seg.end)
        del out[i]
        return tuple(out)
    before, after = out[i - 1], out[i + 1]
    if before.viseme == after.viseme and before.viseme != "PP":
        out[i - 1 : i + 2] = [VisemeSegment(before.viseme, before.start, after.end)]
        return tuple(out)
    mid = min(max(_snap(0.5 * (seg.start + seg.end)), seg.start), seg.end)
    out[i - 1 : i + 2] = [replace(before, end=mid), replace(after, start=mid)]
    return tuple(s for s in out if s.end > s.start)


def insert_viseme(
    segments: Sequence[VisemeSegment], t: float, viseme: str, length: float = INSERT_S
) -> tuple[VisemeSegment, ...]:
    """Insert ``viseme`` centred on ``t``, ``length`` seconds long (see the module notes).

    The segment under ``t`` is split (or replaced, when it is shorter than the new one); where
    the new segment reaches into a neighbour, that neighbour is trimmed, but never below one
    :data:`STEP_S`, and no other segment changes. A leftover piece shorter than one step joins
    the new segment.

    Raises
    ------
    VisemeEditError
        On an unknown viseme, an empty timeline, a non-positive length or a time with no room.
    """
    check_viseme(viseme)
    length = _check_time(length, "viseme length")
    if length < STEP_S:
        raise VisemeEditError(f"an inserted viseme must last at least {STEP_S:g} s")
    if not segments:
        raise VisemeEditError("the viseme timeline is empty")
    t = _check_time(t, "time")
    end_of_clip = segments[-1].end
    t = min(max(t, segments[0].start), end_of_clip)
    i = segment_index_at(segments, t)
    seg = segments[i]
    n = len(segments)
    lo_limit = segments[i - 1].start + STEP_S if i > 0 else seg.start
    hi_limit = segments[i + 1].end - STEP_S if i + 1 < n else seg.end
    a = max(_snap(t - 0.5 * length), min(lo_limit, seg.start))
    b = min(_snap(t + 0.5 * length), max(hi_limit, seg.end))
    if a > seg.start and a - seg.start < STEP_S:
        a = seg.start
    if b < seg.end and seg.end - b < STEP_S:
        b = seg.end
    if b <= a:
        raise VisemeEditError(f"no room to insert a viseme at {t:g} s")
    prefix = list(segments[:i])
    suffix = list(segments[i + 1 :])
    middle: list[VisemeSegment] = []
    if a < seg.start:
        prefix[-1] = replace(prefix[-1], end=a)
    elif a > seg.start:
        middle.append(replace(seg, end=a))
    middle.append(VisemeSegment(viseme, a, b))
    if b > seg.end:
        suffix[0] = replace(suffix[0], start=b)
    elif b < seg.end:
        middle.append(replace(seg, start=b))
    return tuple(prefix + middle + suffix)


def analysed_timeline(track: VisemeTrack, duration: float) -> tuple[VisemeSegment, ...]:
    """The timeline the analysis made for ``track``'s phones, completed to ``duration``.

    For a track that was not edited this is its own visemes completed; for an edited one it
    is what the edits started from.
    """
    if track.phonemes:
        return complete_timeline(phones_to_visemes(track.phonemes), duration)
    return complete_timeline(track.visemes, duration)


def changed_mask(
    segments: Sequence[VisemeSegment], analysed: Sequence[VisemeSegment]
) -> list[bool]:
    """For each segment, whether it differs from every segment of ``analysed``.

    A segment is unchanged when ``analysed`` holds one with the same viseme, start and end
    (within :data:`MATCH_TOLERANCE_S`). Every time where the two timelines differ lies in a
    changed segment.
    """
    starts = [s.start for s in analysed]
    out = []
    for seg in segments:
        j = bisect.bisect_left(starts, seg.start - MATCH_TOLERANCE_S)
        same = False
        while j < len(analysed) and analysed[j].start <= seg.start + MATCH_TOLERANCE_S:
            cand = analysed[j]
            if cand.viseme == seg.viseme and abs(cand.end - seg.end) <= MATCH_TOLERANCE_S:
                same = True
                break
            j += 1
        out.append(not same)
    return out


def changed_spans(
    segments: Sequence[VisemeSegment], analysed: Sequence[VisemeSegment]
) -> list[tuple[float, float]]:
    """The stretches of time where ``segments`` differ from ``analysed``, merged, in order."""
    spans: list[tuple[float, float]] = []
    for seg, changed in zip(segments, changed_mask(segments, analysed), strict=True):
        if not changed:
            continue
        if spans and abs(spans[-1][1] - seg.start) <= MATCH_TOLERANCE_S:
            spans[-1] = (spans[-1][0], seg.end)
        else:
            spans.append((seg.start, seg.end))
    return spans


def edited_mask(track: VisemeTrack, duration: float) -> list[bool]:
    """For each of ``track``'s visemes, whether it was corrected by hand.

    All ``False`` for a track that was not edited.
    """
    if not track.edited:
        return [False] * len(track.visemes)
    return changed_mask(track.visemes, analysed_timeline(track, duration))
