"""Lip-sync metrics against true phone timings, measured on what the studio exports.

Every metric reads exported files back (the Audio2Face-layout curves ``.json`` and the Rhubarb
``.rhubarb.json`` mouth cues), never the generator's internals, and the lip contact is measured
on the deformed mesh of an avatar, not on a curve name:

* :class:`LipGauge`: finds the avatar's lip seam (vertex pairs that coincide at rest and part
  when the jaw opens) and measures the gap between the lips for any ARKit weights;
* :func:`closure_scores`: bilabial (p/b/m) closure hit rate and contact-onset timing error;
* :func:`viseme_accuracy`: share of 10 ms frames whose viseme (15 Oculus classes) agrees;
* :func:`openness_correlation`: Pearson r between the lip opening and the true phone's
  openness class;
* :func:`rhubarb_accuracy`: share of 10 ms frames whose exported mouth shape is one Rhubarb's
  rules allow for the true phone.

References are ``(ARPAbet label, start, end)`` tuples; labels in :data:`SILENCE_LABELS` (and
empty ones) are pauses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generators.mouth_cues import phone_shapes
from generators.rig.visemes import DIPHTHONG_SPLIT, phone_visemes
from renderers.arkit import ARKIT_INDEX, ARKIT_NAMES
from renderers.avatar import Avatar

__all__ = [
    "CONTACT_MM",
    "FRAME_RATE",
    "OPENNESS",
    "SILENCE_LABELS",
    "ClosureScores",
    "ExportedTake",
    "LipGauge",
    "closure_scores",
    "openness_class",
    "openness_correlation",
    "read_exports",
    "rhubarb_accuracy",
    "viseme_accuracy",
]

Segment = tuple[str, float, float]

FRAME_RATE: float = 100.0
"""Rate of the frame-wise metrics (10 ms frames, as in the alignment references)."""

CONTACT_MM: float = 1.0
"""Lips touch when the mean gap along the middle of the seam is at most this many millimetres."""

CLOSURE_SLACK_S: float = 0.02
"""A closure counts when lip contact happens inside the true p/b/m interval widened by this."""

_GAP_S = 0.005
"""Reference phones further apart than this have a pause between them."""

SILENCE_LABELS = frozenset({"", "sil", "sp", "spn", "<sil>", "SIL", "PT"})

OPENNESS: dict[str, int] = {
    **dict.fromkeys(["P", "B", "M"], 0),
    **dict.fromkeys(
        (
            "F",
            "V",
            "TH",
            "DH",
            "T",
            "D",
            "S",
            "Z",
            "SH",
            "ZH",
            "CH",
            "JH",
            "N",
            "L",
            "K",
            "G",
            "NG",
            "HH",
            "R",
            "Y",
            "W",
            "IY",
            "IH",
            "UW",
            "UH",
        ),
        1,
    ),
    **dict.fromkeys(("EH", "EY", "AH", "ER", "OW", "OY"), 2),
    **dict.fromkeys(("AA", "AE", "AO", "AW", "AY"), 3),
}
"""Openness class of each ARPAbet phone: 0 closed (and pauses), 1 consonants and close vowels,
2 mid vowels, 3 open vowels."""

_CENTRE_SHARE = 0.4  # the middle of the seam: |x| within this share of the half-width


def _phone(label: str) -> str:
    return re.sub(r"[012]$", "", label.strip().upper())


def _is_pause(label: str) -> bool:
    return label in SILENCE_LABELS or not _phone(label)


def openness_class(label: str) -> int:
    """Openness class (:data:`OPENNESS`) of one reference label; pauses and unknowns are 0."""
    if _is_pause(label):
        return 0
    return OPENNESS.get(_phone(label), 1)


# ----------------------------------------------------------------------------- exports


@dataclass
class ExportedTake:
    """What the benchmark reads back from an export.

    Parameters
    ----------
    fps
        Curve frame rate.
    weights
        ``(N, 52)`` ARKit weights.
    visemes
        ``(viseme, start, end)`` from the curves file's ``lipSync`` block.
    cues
        ``(shape, start, end)`` Rhubarb mouth cues.
    """

    fps: float
    weights: np.ndarray
    visemes: list[Segment]
    cues: list[Segment]


def read_exports(curves_json: Path, rhubarb_json: Path) -> ExportedTake:
    """Read an exported curves ``.json`` and ``.rhubarb.json`` pair."""
    doc = json.loads(curves_json.read_text(encoding="utf-8"))
    names = doc["facsNames"]
    raw = np.asarray(doc["weightMat"], dtype=np.float64)
    weights = np.zeros((raw.shape[0], len(ARKIT_NAMES)))
    for k, name in enumerate(names):
        if name in ARKIT_INDEX:
            weights[:, ARKIT_INDEX[name]] = raw[:, k]
    lip = doc["affectStudio"]["lipSync"]
    visemes = [(v["viseme"], float(v["start"]), float(v["end"])) for v in lip["visemes"]]
    cues_doc = json.loads(rhubarb_json.read_text(encoding="utf-8"))
    cues = [(c["value"], float(c["start"]), float(c["end"])) for c in cues_doc["mouthCues"]]
    return ExportedTake(float(doc["exportFps"]), weights, visemes, cues)


# ----------------------------------------------------------------------------- the mesh


class LipGauge:
    """Measure the gap between the lips of an avatar's skin mesh for ARKit weights.

    The seam is the set of vertex pairs that coincide at rest (within 0.2 mm) and part by at
    least 3 mm when ``jawOpen`` is 1; of each pair, the vertex the jaw moves down more is the
    lower lip. The gap of a pose is the mean signed vertical distance (upper minus lower, so
    pressed lips read 0 or less) over the pairs in the middle of the mouth.

    Parameters
    ----------
    avatar
        An avatar whose skin has ``jawOpen`` and a closed-lip rest pose.

    Raises
    ------
    ValueError
        If no lip seam is found.
    """

    def __init__(self, avatar: Avatar) -> None:
        from scipy.spatial import cKDTree

        skin = avatar.mesh("skin")
        rest = skin.positions.astype(np.float64)
        jaw = skin.morph_targets["jawOpen"].astype(np.float64)
        pairs = np.array(sorted(cKDTree(rest).query_pairs(2e-4)), dtype=np.int64).reshape(-1, 2)
        opened = rest + jaw
        parted = np.linalg.norm(opened[pairs[:, 0]] - opened[pairs[:, 1]], axis=1) > 3e-3
        pairs = pairs[parted]
        if not len(pairs):
            raise ValueError(f"no lip seam found on {avatar.name!r}")
        lower_first = jaw[pairs[:, 0], 1] < jaw[pairs[:, 1], 1]
        upper = np.where(lower_first, pairs[:, 1], pairs[:, 0])
        lower = np.where(lower_first, pairs[:, 0], pairs[:, 1])
        x = rest[upper, 0]
        centre = np.abs(x - np.median(x)) <= _CENTRE_SHARE * 0.5 * (x.max() - x.min())
        self.upper, self.lower = upper[centre], lower[centre]
        # y of each seam vertex = rest y + weights @ dy; only the y column matters.
        dy = np.zeros((len(ARKIT_NAMES), 2, len(self.upper)))
        for name, delta in skin.morph_targets.items():
            if name in ARKIT_INDEX:
                dy[ARKIT_INDEX[name], 0] = delta[self.upper, 1]
                dy[ARKIT_INDEX[name], 1] = delta[self.lower, 1]
        self._rest_gap = float(np.mean(rest[self.upper, 1] - rest[self.lower, 1]))
        self._gap_delta = (dy[:, 0] - dy[:, 1]).mean(axis=1)  # (52,) metres per unit weight

    @property
    def seam_pairs(self) -> int:
        """Number of seam vertex pairs measured (the middle of the mouth)."""
        return int(len(self.upper))

    def gap_mm(self, weights: np.ndarray) -> np.ndarray:
        """``(N,)`` lip gap in millimetres for ``(N, 52)`` weights (the mesh is linear in them)."""
        w = np.asarray(weights, dtype=np.float64).reshape(-1, len(ARKIT_NAMES))
        return 1000.0 * (self._rest_gap + w @ self._gap_delta)


def resample_gap(gap: np.ndarray, fps: float, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """The gap interpolated linearly (as engines play curves back) onto a ``rate`` Hz grid."""
    n = gap.size
    t_src = np.arange(n) / fps
    t = np.arange(int(np.floor((n - 1) / fps * rate)) + 1) / rate
    return t, np.interp(t, t_src, gap)


# ----------------------------------------------------------------------------- metrics


@dataclass
class ClosureScores:
    """Bilabial closure results of one clip.

    Parameters
    ----------
    total
        True p/b/m phones.
    hits
        Of those, how many have lip contact inside their (widened) interval.
    onset_errors
        ``|contact onset - phone start|`` seconds, per hit entered from a speech sound.
    """

    total: int
    hits: int
    onset_errors: list[float]


def closure_scores(
    gap_mm: np.ndarray, fps: float, reference: Sequence[Segment], *, contact_mm: float = CONTACT_MM
) -> ClosureScores:
    """Score the lip contact of a take against the true p/b/m phones.

    Parameters
    ----------
    gap_mm
        ``(N,)`` lip gap per curve frame (:meth:`LipGauge.gap_mm`).
    fps
        Curve frame rate.
    reference
        True phones.
    contact_mm
        Gap at or below which the lips touch.

    Returns
    -------
    ClosureScores
        The onset of a contact is where the contact run that reaches into the interval begins
        (on a 1 ms grid, linear between frames). Onsets are timed only for closures entered
        from a speech sound: after a pause the lips rest shut, and after another bilabial they
        are already shut, so those p/b/m count for the hit rate but have no onset to time. A
        gap between two reference phones is a pause (as in :func:`viseme_accuracy`): a stop
        whose silent closure an aligner leaves unlabelled starts its lip contact in that gap.

    Examples
    --------
    >>> gap = np.array([5.0, 5.0, 0.0, 0.0, 5.0, 5.0])  # closed over frames 2-3 at 10 fps
    >>> s = closure_scores(gap, 10.0, [("AA", 0.0, 0.2), ("M", 0.2, 0.35), ("AA", 0.35, 0.6)])
    >>> s.total, s.hits, [round(e, 2) for e in s.onset_errors]
    (1, 1, [0.02])
    >>> gapped = [("AA", 0.0, 0.15), ("M", 0.2, 0.35), ("AA", 0.35, 0.6)]  # a pause at 0.15-0.2
    >>> s = closure_scores(gap, 10.0, gapped)
    >>> s.total, s.hits, s.onset_errors
    (1, 1, [])
    """
    t, g = resample_gap(np.asarray(gap_mm, dtype=np.float64), fps, 1000.0)
    touch = g <= contact_mm
    total, hits, errors = 0, 0, []
    previous, previous_end = "", float("-inf")  # the reference phone before the current one
    for label, start, end in reference:
        is_bilabial = not _is_pause(label) and _phone(label) in ("P", "B", "M")
        entered_from_speech = (
            not _is_pause(previous)
            and _phone(previous) not in ("P", "B", "M")
            and start - previous_end < _GAP_S  # a gap between phones is a pause
        )
        previous, previous_end = label, end
        if not is_bilabial:
            continue
        total += 1
        lo = np.searchsorted(t, start - CLOSURE_SLACK_S, side="left")
        hi = np.searchsorted(t, end + CLOSURE_SLACK_S, side="right")
        inside = np.flatnonzero(touch[lo:hi])
        if not inside.size:
            continue
        hits += 1
        if not entered_from_speech:
            continue  # lips already shut (rest or a bilabial before): no onset to time
        k = lo + int(inside[0])
        while k > 0 and touch[k - 1]:
            k -= 1
        errors.append(abs(float(t[k]) - start))
    return ClosureScores(total, hits, errors)


def _reference_visemes(reference: Sequence[Segment], n: int) -> np.ndarray:
    out = np.full(n, "sil", dtype=object)
    for label, start, end in reference:
        if _is_pause(label):
            continue
        vis = phone_visemes(_phone(label))
        a, b = int(round(start * FRAME_RATE)), min(int(round(end * FRAME_RATE)), n)
        if len(vis) == 2:
            m = a + int(round(DIPHTHONG_SPLIT * (b - a)))
            out[a:m], out[m:b] = vis
        else:
            out[a:b] = vis[0]
    return out


def _end(*timelines: Sequence[Segment]) -> int:
    last = max([e for tl in timelines for _, _, e in tl] + [0.0])
    return int(np.ceil(last * FRAME_RATE))


def viseme_accuracy(hypothesis: Sequence[Segment], reference: Sequence[Segment]) -> float:
    """Share of 10 ms frames (speech in either timeline) whose visemes agree.

    Parameters
    ----------
    hypothesis
        Exported ``(viseme, start, end)`` segments.
    reference
        True phones, mapped to the 15 Oculus visemes with the same phone table.

    Examples
    --------
    >>> round(viseme_accuracy([("sil", 0, .1), ("PP", .1, .2), ("aa", .2, .4)],
    ...                       [("SIL", 0, .1), ("M", .1, .2), ("AE", .2, .3), ("IY", .3, .4)]), 3)
    0.667
    """
    n = _end(hypothesis, reference)
    ref = _reference_visemes(reference, n)
    hyp = np.full(n, "sil", dtype=object)
    for label, start, end in hypothesis:
        a, b = int(round(start * FRAME_RATE)), min(int(round(end * FRAME_RATE)), n)
        hyp[a:b] = label
    speech = (hyp != "sil") | (ref != "sil")
    return float(np.mean(hyp[speech] == ref[speech])) if speech.any() else 1.0


def openness_correlation(opening: np.ndarray, fps: float, reference: Sequence[Segment]) -> float:
    """Pearson r between an opening measure and the true phones' openness class.

    Parameters
    ----------
    opening
        ``(N,)`` per curve frame, e.g. the lip gap in mm.
    fps
        Its frame rate.
    reference
        True phones (pauses are class 0).

    Returns
    -------
    float
        r over the 10 ms frames of the clip; ``nan`` if either side is constant.
    """
    t, g = resample_gap(np.asarray(opening, dtype=np.float64), fps, FRAME_RATE)
    cls = np.zeros(t.size)
    for label, start, end in reference:
        a, b = int(round(start * FRAME_RATE)), min(int(round(end * FRAME_RATE)), t.size)
        cls[a:b] = openness_class(label)
    if np.std(cls) == 0 or np.std(g) == 0:
        return float("nan")
    return float(np.corrcoef(g, cls)[0, 1])


def rhubarb_accuracy(cues: Sequence[Segment], reference: Sequence[Segment]) -> float:
    """Share of 10 ms frames whose mouth cue is a shape Rhubarb's rules allow for the true phone.

    The allowed shapes per phone are Rhubarb Lip Sync's phone rules
    (:func:`generators.mouth_cues.phone_shapes`, diphthongs in two parts); in pauses the closed
    shapes ``X`` (rest) and ``A`` (closed) are both right. Frames count where the reference
    speaks or the cue is not ``X``.

    Examples
    --------
    >>> rhubarb_accuracy([("X", 0, .1), ("A", .1, .2), ("D", .2, .4)],
    ...                  [("SIL", 0, .1), ("M", .1, .2), ("AA", .2, .4)])
    1.0
    """
    n = _end(cues, reference)
    allowed = np.full(n, "XA", dtype=object)
    for label, start, end in reference:
        if _is_pause(label):
            continue
        a, b = int(round(start * FRAME_RATE)), min(int(round(end * FRAME_RATE)), n)
        cursor = a
        for fraction, shapes in phone_shapes(_phone(label), end - start):
            stop = a + int(round(fraction * (b - a)))
            allowed[cursor:stop] = shapes
            cursor = stop
    shown = np.full(n, "X", dtype=object)
    for shape, start, end in cues:
        a, b = int(round(start * FRAME_RATE)), min(int(round(end * FRAME_RATE)), n)
        shown[a:b] = shape
    ok = np.array([s in a for s, a in zip(shown, allowed, strict=True)])
    counted = (allowed != "XA") | (shown != "X")
    return float(np.mean(ok[counted])) if counted.any() else 1.0
