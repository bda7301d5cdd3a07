"""Mouth cues: the lip-sync timeline reduced to Rhubarb Lip Sync's nine 2D mouth shapes.

2D pipelines (After Effects, Moho, Spine, Godot plugins) draw one mouth picture at a time, so
this module turns the phones of a :class:`~generators.take.VisemeTrack` into a contiguous list
of :class:`MouthCue` from 0 to the clip's duration using Rhubarb's shape set:

====  ==========================================================================
A     closed mouth: P, B, M
B     slightly open, clenched teeth: most consonants (K, S, T...) and EE
C     open: EH, AE
D     wide open: AA
E     slightly rounded: AO, ER
F     puckered: UW, OW, W
G     upper teeth on the lower lip: F, V
H     tongue raised: long L
X     idle / rest (silence)
====  ==========================================================================

The passes follow Rhubarb Lip Sync's animation pipeline (``rhubarb/src/animation`` in
https://github.com/DanielSWolf/rhubarb-lip-sync): phones map to *sets* of acceptable shapes
(``animationRules.cpp``), each set resolves to the member closest to the shape that follows
(its effort matrix), short pauses hold or relax the previous shape (``pauseAnimation.cpp``),
cues too short to register are lengthened or absorbed (``timingOptimization.cpp``: 7-8 cs), and
in-between shapes smooth big jumps (``tweening.cpp``). Times are whole centiseconds, as in
Rhubarb, and the total duration is truncated to a multiple of 0.01 s.

A track whose visemes were corrected by hand (:attr:`VisemeTrack.edited
<generators.take.VisemeTrack>`) is read from its visemes. Away from the corrections the phones
choose the shapes exactly as before; in a corrected segment (and its neighbours) the phones
still choose where they made the segment's viseme (so a nudged boundary extends its phone's
shape), and a viseme no phone explains takes its own shape set (:data:`VISEME_SHAPES`).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from generators.rig.visemes import phone_visemes
from generators.take import PhonemeSegment, VisemeSegment, VisemeTrack
from generators.viseme_edit import edited_mask

__all__ = [
    "MIN_CUE_S",
    "MIN_TWEEN_S",
    "SHAPES",
    "VISEME_SHAPES",
    "MouthCue",
    "mouth_cues",
    "phone_shapes",
]

SHAPES: str = "ABCDEFGHX"
"""Rhubarb's shape set: basic shapes A-F plus the extended shapes G, H and X."""

MIN_CUE_S: float = 0.07
"""Shortest regular cue in seconds (Rhubarb's ``minShapeDuration``, 7 cs)."""

MIN_TWEEN_S: float = 0.05
"""Shortest in-between cue in seconds: at least one frame at 24 fps, rounded up to 5 cs."""

_ANY = SHAPES
_ANY_OPEN = "BCDEFGH"

# For each shape, all shapes in ascending order of the effort needed to move to them
# (Rhubarb's effort matrix in animationRules.cpp); used to pick from a set of shapes.
_EFFORT: dict[str, str] = {
    "A": "AXGBCHEDF",
    "B": "BGAXCHEDF",
    "C": "CHBGDAXEF",
    "D": "DCHBGAXEF",
    "E": "ECHBGAXDF",
    "F": "FBGAXCHED",
    "G": "GABCHXEDF",
    "H": "HCBGDAXEF",
    "X": "XAGBCHEDF",
}

# Rhubarb's relaxed shape for each shape, used for short pauses.
_RELAX: dict[str, str] = {
    "A": "A", "B": "B", "C": "B", "D": "C", "E": "C", "F": "B", "G": "X", "H": "B", "X": "X",
}  # fmt: skip

# In-between shapes for big jumps: (from, to) -> (tween, timing). Most work one way only: the
# mouth pops open without in-betweens, then closes slowly (Rhubarb's tweening rules).
_TWEENS: dict[tuple[str, str], tuple[str, str]] = {
    ("D", "A"): ("C", "early"),
    ("D", "B"): ("C", "centered"),
    ("D", "G"): ("C", "early"),
    ("D", "X"): ("C", "late"),
    ("C", "F"): ("E", "centered"),
    ("F", "C"): ("E", "centered"),
    ("D", "F"): ("E", "centered"),
    ("H", "F"): ("E", "late"),
    ("F", "H"): ("E", "early"),
}

_SILENCE = {"", "SIL", "SP", "SPN", "<SIL>", "<S>", "</S>"}

VISEME_SHAPES: dict[str, str] = {
    "sil": "X", "PP": "A", "FF": "G", "TH": "BF", "DD": "BF", "kk": "BCEFH", "CH": "BF",
    "SS": "BF", "nn": "BCFH", "RR": "BEF", "aa": "D", "E": "C", "ih": "B", "oh": "E", "ou": "F",
}  # fmt: skip
"""Viseme (:data:`~generators.rig.visemes.VISEMES`) -> the Rhubarb shapes it allows, for
visemes that no phone explains (a track without phones, a hand-corrected stretch)."""


@dataclass(frozen=True)
class MouthCue:
    """One mouth shape held from ``start`` to ``end`` seconds.

    Parameters
    ----------
    start, end
        Seconds, multiples of 0.01.
    shape
        One of :data:`SHAPES`.
    """

    start: float
    end: float
    shape: str

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.end - self.start


@dataclass
class _Seg:
    start: int  # centiseconds
    end: int
    shapes: str  # the acceptable shapes; resolved segments hold exactly one

    @property
    def dur(self) -> int:
        return self.end - self.start


def phone_shapes(phone: str, duration: float) -> list[tuple[float, str]]:
    """The acceptable shapes for one ARPAbet phone, as ``(fraction, shapes)`` parts.

    Most phones give one part; diphthongs give two (60 % / 40 %, as Rhubarb times them).

    Examples
    --------
    >>> phone_shapes("M", 0.1)
    [(1.0, 'A')]
    >>> phone_shapes("OW", 0.2)
    [(0.6, 'E'), (1.0, 'F')]
    """
    p = re.sub(r"\d", "", phone.strip().upper())
    cs = duration * 100.0
    single = {
        "AO": "E", "AA": "D", "IY": "B", "UW": "F", "EH": "C", "IH": "B", "UH": "F",
        "AE": "C", "AX": "BC", "IX": "B", "UX": "F",
        "P": "A", "B": "A", "M": "A", "EM": "A",
        "T": "BF", "D": "BF", "DX": "BF", "K": "BCEFH", "G": "BCEFH",
        "CH": "BF", "JH": "BF", "F": "G", "V": "G",
        "TH": "BF", "DH": "BF", "S": "BF", "Z": "BF", "SH": "BF", "ZH": "BF",
        "HH": _ANY, "N": "BCFH", "EN": "BCFH", "NX": "BCFH", "NG": "BCEF",
        "R": "BEF", "Y": "BCF", "W": "F", "Q": "B",
    }  # fmt: skip
    if p in _SILENCE:
        return [(1.0, "X")]
    if p in single:
        return [(1.0, single[p])]
    if p == "AH":
        return [(1.0, "C" if cs < 20 else "D")]
    if p in ("ER", "AXR"):
        return [(1.0, "BC" if cs < 7 else "E")]
    if p in ("L", "EL"):
        return [(1.0, "BEFH" if cs < 20 else "H")]
    diphthongs = {
        "EY": ("C", "B"),
        "AY": ("C" if cs < 20 else "D", "B"),
        "OW": ("E", "F"),
        "AW": ("C" if cs < 30 else "D", "E"),
        "OY": ("E", "B"),
    }
    if p in diphthongs:
        first, second = diphthongs[p]
        return [(0.6, first), (1.0, second)]
    return [(1.0, "B")]  # breath, noise, unknown: slightly open, like Rhubarb's noise rule


def mouth_cues(
    track: VisemeTrack,
    duration: float,
    *,
    min_cue: float = MIN_CUE_S,
    tweens: bool = True,
) -> list[MouthCue]:
    """Reduce a lip-sync timeline to contiguous Rhubarb mouth cues from 0 to ``duration``.

    Parameters
    ----------
    track
        Phones (preferred) or, when it has none, visemes of the clip; a track corrected by
        hand follows its visemes (see the module docstring).
    duration
        Clip length in seconds; truncated to a multiple of 0.01 s like Rhubarb does.
    min_cue
        Shortest cue in seconds; shorter ones are lengthened or absorbed by a neighbour.
    tweens
        Insert Rhubarb's in-between shapes (C between D and a closed mouth, E between C and F...).

    Returns
    -------
    list[MouthCue]
        Contiguous cues, no two neighbours with the same shape; empty when ``duration`` < 0.01.

    Examples
    --------
    >>> from generators.take import PhonemeSegment, VisemeTrack
    >>> track = VisemeTrack([PhonemeSegment("M", 0.2, 0.3), PhonemeSegment("AA", 0.3, 0.6)])
    >>> [(c.start, c.end, c.shape) for c in mouth_cues(track, 1.0)]
    [(0.0, 0.2, 'X'), (0.2, 0.3, 'A'), (0.3, 0.6, 'D'), (0.6, 0.68, 'C'), (0.68, 1.0, 'X')]
    """
    total = int(duration * 100.0 + 1e-6)
    if total <= 0:
        return []
    segs = _rough(track, total, duration)
    segs = _resolve(segs)
    segs = _pauses(_merge(segs))
    segs = _enforce_min(_merge(segs), max(1, round(min_cue * 100.0)))
    if tweens:
        segs = _tweens(segs, max(1, round(MIN_TWEEN_S * 100.0)))
    return [MouthCue(s.start / 100.0, s.end / 100.0, s.shapes) for s in _merge(segs)]


def _rough(track: VisemeTrack, total: int, duration: float = 0.0) -> list[_Seg]:
    """Phones (or visemes) to shape-set segments in centiseconds, gaps filled with X."""
    parts: list[tuple[int, int, str]] = []
    if track.edited and track.phonemes:
        parts = _corrected_parts(track, total, duration)
    elif track.phonemes:
        for ph in sorted(track.phonemes, key=lambda s: s.start):
            parts.extend(_phone_parts(ph))
    else:
        for vs in sorted(track.visemes, key=lambda s: s.start):
            shapes = VISEME_SHAPES.get(vs.viseme, "B")
            parts.append((_cs(vs.start), _cs(vs.end), shapes))
    segs: list[_Seg] = []
    cursor = 0
    for start, end, shapes in parts:
        start, end = max(start, cursor), min(end, total)
        if end <= start:
            continue
        if start > cursor:
            segs.append(_Seg(cursor, start, "X"))
        segs.append(_Seg(start, end, shapes))
        cursor = end
    if cursor < total:
        segs.append(_Seg(cursor, total, "X"))
    return segs


def _corrected_parts(track: VisemeTrack, total: int, duration: float) -> list[tuple[int, int, str]]:
    """Shape sets of a hand-corrected track, per centisecond then run-length encoded.

    Segments away from every correction keep the phones' shapes exactly. In a corrected
    segment and its two neighbours, a centisecond whose phone part made the segment's
    viseme keeps that part's shapes; the others take the shapes of the nearest such
    centisecond in the segment, and a segment no phone part explains takes
    :data:`VISEME_SHAPES`.
    """
    shapes_cs = ["X"] * total
    for seg in _rough(VisemeTrack(list(track.phonemes)), total):
        shapes_cs[seg.start : seg.end] = [seg.shapes] * seg.dur
    made_cs = ["sil"] * total  # the viseme each centisecond's phone part stands for
    for ph in track.phonemes:
        for a, b, viseme in _phone_part_visemes(ph):
            a, b = max(0, min(a, total)), max(0, min(b, total))
            made_cs[a:b] = [viseme] * (b - a)
    visemes = sorted(track.visemes, key=lambda s: s.start)
    changed = edited_mask(VisemeTrack(list(track.phonemes), visemes, edited=True), duration)
    near_change = [any(changed[max(0, i - 1) : i + 2]) for i in range(len(visemes))]
    parts: list[tuple[int, int, str]] = []

    def add(c0: int, c1: int, shapes: str) -> None:
        if parts and parts[-1][1] == c0 and parts[-1][2] == shapes:
            parts[-1] = (parts[-1][0], c1, shapes)
        else:
            parts.append((c0, c1, shapes))

    for i, vs in enumerate(visemes):
        a, b = _clip_cs(vs, total)
        if b <= a:
            continue
        if not near_change[i]:
            for c in range(a, b):
                add(c, c + 1, shapes_cs[c])
            continue
        kept = [c for c in range(a, b) if made_cs[c] == vs.viseme]
        if not kept:
            add(a, b, VISEME_SHAPES.get(vs.viseme, "B"))
            continue
        for c in range(a, b):
            source = c
            if made_cs[c] != vs.viseme:
                k = bisect.bisect_left(kept, c)
                source = min(
                    (kept[j] for j in (k - 1, k) if 0 <= j < len(kept)),
                    key=lambda x: abs(x - c),
                )
            add(c, c + 1, shapes_cs[source])
    return parts


def _phone_part_visemes(ph: PhonemeSegment) -> list[tuple[int, int, str]]:
    """The centisecond parts of one phone, as :func:`_phone_parts` cuts them, with the
    viseme each part stands for (a diphthong's two parts: its two visemes)."""
    start, end = _cs(ph.start), _cs(ph.end)
    vis = phone_visemes(ph.phone)
    out = []
    prev = start
    for k, (frac, _shapes) in enumerate(phone_shapes(ph.phone, ph.end - ph.start)):
        stop = end if frac >= 1.0 else start + int((end - start) * frac)
        if stop > prev:
            out.append((prev, stop, vis[min(k, len(vis) - 1)]))
            prev = stop
    return out


def _clip_cs(seg: VisemeSegment, total: int) -> tuple[int, int]:
    return max(0, min(_cs(seg.start), total)), max(0, min(_cs(seg.end), total))


def _phone_parts(ph: PhonemeSegment) -> list[tuple[int, int, str]]:
    start, end = _cs(ph.start), _cs(ph.end)
    out = []
    prev = start
    for frac, shapes in phone_shapes(ph.phone, ph.end - ph.start):
        stop = end if frac >= 1.0 else start + int((end - start) * frac)
        if stop > prev:
            out.append((prev, stop, shapes))
            prev = stop
    return out


def _cs(t: float) -> int:
    return int(round(t * 100.0))


def _closest(reference: str, allowed: str) -> str:
    for shape in _EFFORT[reference]:
        if shape in allowed:
            return shape
    return allowed[0]


def _resolve(segs: list[_Seg]) -> list[_Seg]:
    """Pick one shape per segment, right to left: the member closest to what follows."""
    following = "X"
    for seg in reversed(segs):
        if len(seg.shapes) > 1:
            seg.shapes = _closest(following, seg.shapes)
        following = seg.shapes
    return segs


def _merge(segs: list[_Seg]) -> list[_Seg]:
    out: list[_Seg] = []
    for seg in segs:
        if seg.dur <= 0:
            continue
        if out and out[-1].shapes == seg.shapes:
            out[-1] = _Seg(out[-1].start, seg.end, seg.shapes)
        else:
            out.append(_Seg(seg.start, seg.end, seg.shapes))
    return out


def _pause_shape(previous: str, following: str, dur: int) -> str:
    if dur < 12:  # very short pause: hold the previous shape
        return previous
    if dur <= 35:  # short pause: relax the mouth, but not into the next shape
        current = previous
        while True:
            relaxed = _RELAX[current]
            if relaxed != following:
                return relaxed
            if relaxed == current:
                break
            current = relaxed
    return "X"


def _pauses(segs: list[_Seg]) -> list[_Seg]:
    """Pauses inside speech hold or relax the previous shape; long pauses rest (X)."""
    for i in range(1, len(segs) - 1):
        if segs[i].shapes == "X":
            segs[i].shapes = _pause_shape(segs[i - 1].shapes, segs[i + 1].shapes, segs[i].dur)
    return segs


def _enforce_min(segs: list[_Seg], min_cs: int) -> list[_Seg]:
    """Make every cue at least ``min_cs`` long: borrow from a long neighbour, else absorb it."""
    while len(segs) > 1:
        i = min(range(len(segs)), key=lambda k: segs[k].dur)
        seg = segs[i]
        if seg.dur >= min_cs:
            break
        need = min_cs - seg.dur
        left = segs[i - 1] if i > 0 else None
        right = segs[i + 1] if i + 1 < len(segs) else None
        # Prefer lengthening to the left (anticipation), as Rhubarb does.
        if left is not None and left.dur - need >= min_cs:
            left.end -= need
            seg.start -= need
        elif right is not None and right.dur - need >= min_cs:
            right.start += need
            seg.end += need
        else:
            host = _absorber(left, right)
            if host is left:
                left.end = seg.end
            else:
                right.start = seg.start  # type: ignore[union-attr]
            del segs[i]
            segs = _merge(segs)
    return segs


def _absorber(left: _Seg | None, right: _Seg | None) -> _Seg:
    if left is None:
        return right  # type: ignore[return-value]
    if right is None:
        return left
    return left if left.dur >= right.dur else right


def _tweens(segs: list[_Seg], min_cs: int) -> list[_Seg]:
    """Insert in-between shapes for big jumps (only where there is room)."""
    out = [_Seg(s.start, s.end, s.shapes) for s in segs]
    inserted: list[_Seg] = []
    for first, second in zip(segs, segs[1:], strict=False):
        rule = _TWEENS.get((first.shapes, second.shapes))
        if rule is None:
            continue
        shape, timing = rule
        if timing == "early":
            dur = min(first.dur // 3, 8)
            start = first.end - dur
        elif timing == "centered":
            dur = min(first.dur // 4, second.dur // 4, 8)
            start = first.end - dur // 2
        else:
            dur = min(second.dur // 3, 8)
            start = second.start
        if dur < min_cs:
            continue
        inserted.append(_Seg(start, start + dur, shape))
    for tween in inserted:
        out = _overlay(out, tween)
    return out


def _overlay(segs: list[_Seg], new: _Seg) -> list[_Seg]:
    out: list[_Seg] = []
    for s in segs:
        if s.end <= new.start or s.start >= new.end:
            out.append(s)
            continue
        if s.start < new.start:
            out.append(_Seg(s.start, new.start, s.shapes))
        if s.end > new.end:
            out.append(_Seg(new.end, s.end, s.shapes))
    out.append(new)
    return sorted(out, key=lambda s: s.start)
