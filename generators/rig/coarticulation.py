"""Coarticulation: a phone timeline -> smooth ARKit-52 mouth curves at the output frame rate.

Cohen & Massaro's dominance model: every viseme target has, per channel group (lips, jaw,
tongue), a dominance function that is flat over the middle of its segment and falls off before
(``attack``, anticipation) and after (``release``) it; each output frame is the
dominance-weighted mean of the targets around it. Strong visemes (p/b/m, f/v, oo) impose their
shape on weak neighbours (t, k, n, h), rounding spreads ahead of rounded vowels, and nothing is a
held step. Two passes follow: loud speech opens the jaw a little more (RMS envelope), and every
bilabial (p/b/m) is forced to a real closure around its centre so fast speech never "mumbles
through" an m.

Examples
--------
>>> import numpy as np
>>> from generators.take import PhonemeSegment, VisemeSegment
>>> phones = [PhonemeSegment("SIL", 0, .2), PhonemeSegment("AA", .2, .4),
...           PhonemeSegment("M", .4, .46), PhonemeSegment("AA", .46, .7),
...           PhonemeSegment("SIL", .7, 1.0)]
>>> curves = coarticulate(phones, np.arange(30) / 30)
>>> curves.weights.shape
(30, 52)
>>> bool(curves.closure_at(0.43) > 0.99)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from generators.rig.visemes import (
    VISEMES,
    Articulation,
    articulations,
    group_of_channels,
    viseme_table,
)
from generators.take import PhonemeSegment, VisemeSegment
from renderers.arkit import ARKIT_INDEX, NUM_SHAPES

__all__ = [
    "CLOSURE_JAW_MAX",
    "CLOSURE_TAPER_S",
    "PLATEAU",
    "LipCurves",
    "coarticulate",
    "coarticulate_visemes",
]

PLATEAU: float = 0.6
"""Share of a segment's half-length over which its dominance is flat (full strength)."""

SHAPE_EXPONENT: float = 1.5
"""Exponent ``c`` of the dominance fall-off ``exp(-(d / tau) ** c)`` (Cohen-Massaro). With 1 the
hand-over between two neighbours is a logistic of constant slope but distant segments keep
pulling (mushy, ~330 ms mouth opening from rest); with 2 (Gaussian) the hand-over between
distant plateaus is abrupt (a held shape that snaps). 1.5 opens from rest in ~150-200 ms."""

CLOSURE_TAPER_S: float = 0.04
"""Seconds over which a forced bilabial closure blends in and out."""

CLOSURE_JAW_MAX: float = 0.25
"""Highest ``jawOpen`` kept through a bilabial closure: between open vowels the jaw stays
partly open while the lips close (``mouthClose`` matches it), as in natural speech."""

_JAW = ARKIT_INDEX["jawOpen"]
_CLOSE = ARKIT_INDEX["mouthClose"]
_SEAL = ("mouthClose", "mouthPressLeft", "mouthPressRight")  # only where the lips must meet
_REST_DOMINANCE = 1e-3  # a faint pull toward the rest pose, so no frame is undefined
_SPREAD = 6.0  # dominance support, in time constants, beyond the plateau
_JAW_LIKE = ("jawOpen", "mouthLowerDownLeft", "mouthLowerDownRight")
_JAW_LIKE_SHARE = (1.0, 0.5, 0.5)  # how much of the loudness gain each jaw-like shape takes
_VISEME_COLUMN = {name: i for i, name in enumerate(VISEMES)}
_OPEN_VISEMES = [_VISEME_COLUMN[v] for v in ("aa", "E", "ih", "oh", "ou")]


@dataclass
class LipCurves:
    """Lip-sync curves at frame times.

    Parameters
    ----------
    times
        ``(N,)`` frame times.
    weights
        ``(N, 52)`` ARKit weights in 0..1 (mouth and jaw; other shapes 0).
    activity
        ``(N,)`` speech activity 0..1 (1 while articulating, 0 in pauses), for layering emotion.
    closures
        ``(K,)`` centre times of the bilabial closures.
    seal
        ``(N,)`` 0..1: how much each frame is held by a forced bilabial closure (1 at the
        closure's centre, tapering to 0); ``None`` if unknown.
    visemes
        ``(N, 15)`` share of each viseme (:data:`~generators.rig.visemes.VISEMES` order) in
        each frame's lip shape, from the same dominance blend (rows sum to at most 1, vowels
        scaled by the loudness like the jaw, ``PP`` held through forced closures): what an
        avatar with its own viseme shapes shows. ``None`` if unknown.
    """

    times: np.ndarray
    weights: np.ndarray
    activity: np.ndarray
    closures: np.ndarray
    seal: np.ndarray | None = None
    visemes: np.ndarray | None = None

    def closure_at(self, t: float) -> float:
        """How sealed the lips are at time ``t``, 0..1.

        1 where ``mouthClose`` cancels the whole jaw opening (or the jaw is shut), 0 where the
        jaw opens with no ``mouthClose``: ``1 - max(jaw - close, 0) / max(jaw, 0.05)``.
        """
        jaw = float(np.interp(t, self.times, self.weights[:, _JAW]))
        close = float(np.interp(t, self.times, self.weights[:, _CLOSE]))
        return 1.0 - max(jaw - close, 0.0) / max(jaw, 0.05)


def _dominance(
    art: Articulation, times: np.ndarray, tau_floor: float, anticipation: float = 1.0
) -> tuple[slice, np.ndarray]:
    """Dominance shape (0..1, before the per-group strength) of one target over a frame window."""
    spec = viseme_table()[art.viseme]
    centre = 0.5 * (art.start + art.end)
    half = 0.5 * (art.end - art.start)
    plateau = PLATEAU * half
    attack = max(spec.attack * anticipation, tau_floor)
    release = max(spec.release, tau_floor)
    lo = np.searchsorted(times, centre - plateau - _SPREAD * attack, side="left")
    hi = np.searchsorted(times, centre + plateau + _SPREAD * release, side="right")
    t = times[lo:hi]
    d = np.maximum(np.abs(t - centre) - plateau, 0.0)
    tau = np.where(t < centre, attack, release)
    return slice(lo, hi), np.exp(-((d / tau) ** SHAPE_EXPONENT))


def _closure_bump(
    art: Articulation, before: float, after: float, times: np.ndarray, fps: float
) -> tuple[slice, np.ndarray]:
    """1 while a bilabial holds the lips shut, tapering to 0 on each side.

    The lips are shut over the phone itself, from its start (the moment the closure silences
    the sound) to its end (the release), widened by up to half a frame on each side so the
    frame nearest each edge shows the contact: on a coarse frame grid the contact then starts
    within half a frame of the true onset instead of a whole frame late. The widening is at
    most a quarter of the neighbouring segment (``before`` / ``after`` seconds long), and the
    taper at most :data:`CLOSURE_TAPER_S` and half that segment, so a short vowel between two
    closures still opens. At least the frame nearest the centre is always shut.
    """
    centre = 0.5 * (art.start + art.end)
    half_frame = 0.5 / fps
    left = min(art.start, centre - 0.6 * half_frame)
    right = max(art.end + min(half_frame, 0.15 * after), centre + 0.6 * half_frame)
    t_before = float(np.clip(0.3 * before, 0.01, CLOSURE_TAPER_S))
    t_after = float(np.clip(0.3 * after, 0.01, CLOSURE_TAPER_S))
    lo = np.searchsorted(times, left - 3.0 * t_before, side="left")
    hi = np.searchsorted(times, right + 3.0 * t_after, side="right")
    t = times[lo:hi]
    d = np.maximum(np.maximum(left - t, t - right), 0.0)
    taper = np.where(t < centre, t_before, t_after)
    return slice(lo, hi), np.exp(-((d / taper) ** 2))


def _set_cols(rows: np.ndarray, mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    rows = rows.copy()
    rows[:, mask] = values
    return rows


def coarticulate(
    phonemes: Sequence[PhonemeSegment],
    times: np.ndarray,
    *,
    jaw_gain: np.ndarray | None = None,
    anticipation: float = 1.0,
) -> LipCurves:
    """Turn phones into smooth mouth curves sampled at ``times``.

    Parameters
    ----------
    phonemes
        Phone segments in time order (``"SIL"`` for pauses).
    times
        ``(N,)`` frame times ``i / fps``, increasing and evenly spaced.
    jaw_gain
        Optional ``(N,)`` multiplier of the jaw opening (for example
        :meth:`~generators.rig.energy.EnergyEnvelope.loudness_gain`).
    anticipation
        Multiplier (0..2) of every viseme's attack time, how early the mouth moves toward a
        sound (1: the viseme table's timing; 0: no earlier than the frame grid needs).

    Returns
    -------
    LipCurves
    """
    return _coarticulate(articulations(phonemes), times, jaw_gain, anticipation)


def coarticulate_visemes(
    visemes: Sequence[VisemeSegment],
    times: np.ndarray,
    *,
    jaw_gain: np.ndarray | None = None,
    anticipation: float = 1.0,
) -> LipCurves:
    """Like :func:`coarticulate`, from a viseme timeline (for example one corrected by hand).

    Every segment gets full dominance (the per-phone strengths of
    :data:`~generators.rig.visemes.PHONE_DOMINANCE` need
    the phone); an unknown viseme label raises ``ValueError``.

    Examples
    --------
    >>> import numpy as np
    >>> from generators.take import VisemeSegment
    >>> vis = [VisemeSegment("sil", 0, .2), VisemeSegment("PP", .2, .3),
    ...        VisemeSegment("aa", .3, .6), VisemeSegment("sil", .6, 1.0)]
    >>> bool(coarticulate_visemes(vis, np.arange(30) / 30).closure_at(0.25) > 0.99)
    True
    """
    table = viseme_table()
    arts = []
    for seg in visemes:
        if seg.viseme not in table:
            raise ValueError(f"unknown viseme {seg.viseme!r}; use one of {sorted(table)}")
        if seg.end > seg.start:
            arts.append(Articulation(seg.viseme, float(seg.start), float(seg.end)))
    return _coarticulate(arts, times, jaw_gain, anticipation)


def _coarticulate(
    arts: Sequence[Articulation],
    times: np.ndarray,
    jaw_gain: np.ndarray | None,
    anticipation: float = 1.0,
) -> LipCurves:
    if not 0.0 <= anticipation <= 2.0:
        raise ValueError(f"anticipation must be between 0 and 2, got {anticipation!r}")
    times = np.asarray(times, dtype=np.float64)
    n = times.size
    fps = 1.0 / (times[1] - times[0]) if n > 1 else 30.0
    tau_floor = 0.75 / fps  # never narrower than the frame grid can show smoothly
    table = viseme_table()
    groups = group_of_channels()
    seal_cols = [ARKIT_INDEX[name] for name in _SEAL]

    num = np.zeros((n, NUM_SHAPES + 1))  # last column: speech activity (jaw group)
    den = np.full((n, 3), _REST_DOMINANCE)
    lips = np.zeros((n, len(VISEMES)))  # lip-group dominance of each viseme
    for art in arts:
        spec = table[art.viseme]
        window, shape = _dominance(art, times, tau_floor, anticipation)
        if shape.size == 0:
            continue
        dom = shape[:, None] * (spec.dominance * art.strength)[None, :]  # (w, 3)
        target = np.append(spec.weights, 0.0 if art.viseme == "sil" else 1.0)
        if spec.closure:  # the seal itself comes from the closure pass, not from blending
            target[seal_cols] = 0.0
        col_dom = np.concatenate([dom[:, groups], dom[:, 1:2]], axis=1)  # (w, 53)
        num[window] += col_dom * target[None, :]
        den[window] += dom
        lips[window, _VISEME_COLUMN[art.viseme]] += dom[:, 0]
    full_den = np.concatenate([den[:, groups], den[:, 1:2]], axis=1)
    blended = num / full_den
    weights, activity = blended[:, :NUM_SHAPES], blended[:, NUM_SHAPES]
    visemes = lips / den[:, :1]

    if jaw_gain is not None:
        gain = np.asarray(jaw_gain, dtype=np.float64).reshape(n)
        for name, share in zip(_JAW_LIKE, _JAW_LIKE_SHARE, strict=True):
            col = ARKIT_INDEX[name]
            weights[:, col] *= 1.0 + share * (gain - 1.0)
        visemes[:, _OPEN_VISEMES] *= gain[:, None]

    closures = []
    seal = np.zeros(n)
    for k, art in enumerate(arts):
        spec = table[art.viseme]
        if not spec.closure:
            continue
        closures.append(0.5 * (art.start + art.end))
        before = arts[k - 1].end - arts[k - 1].start if k > 0 else CLOSURE_TAPER_S * 2
        after = arts[k + 1].end - arts[k + 1].start if k + 1 < len(arts) else CLOSURE_TAPER_S * 2
        window, bump = _closure_bump(art, before, after, times, fps)
        seal[window] = np.maximum(seal[window], bump)
        b = bump[:, None]
        seg = weights[window]
        target = np.repeat(spec.weights[None, :].astype(np.float64), len(seg), axis=0)
        # The lips close, the jaw need not: it rises only to CLOSURE_JAW_MAX, and mouthClose
        # (which in ARKit cancels the jaw's lip opening) matches it, so the lips meet, not
        # overlap, and the jaw moves no faster than a jaw can.
        jaw = np.clip(seg[:, _JAW], spec.weights[_JAW], max(CLOSURE_JAW_MAX, spec.weights[_JAW]))
        target[:, _JAW] = jaw
        target[:, _CLOSE] = jaw
        mouth = groups != 2  # lips and jaw; the tongue keeps its own path
        blended = (1.0 - b) * seg[:, mouth] + b * target[:, mouth]
        weights[window, :] = _set_cols(seg, mouth, blended)
        held = np.zeros(len(VISEMES))
        held[_VISEME_COLUMN[art.viseme]] = 1.0
        visemes[window] = (1.0 - b) * visemes[window] + b * held[None, :]

    return LipCurves(
        times,
        np.clip(weights, 0.0, 1.0).astype(np.float32),
        np.clip(activity, 0.0, 1.0).astype(np.float32),
        np.asarray(closures, dtype=np.float64),
        seal.astype(np.float32),
        np.clip(visemes, 0.0, 1.0).astype(np.float32),
    )
