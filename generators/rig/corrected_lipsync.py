"""Mouth curves from a hand-corrected viseme timeline, changed only where it was corrected.

The analysed phones carry more than their visemes (per-phone dominance: /h/ takes the next
vowel's shape, a schwa yields), so rebuilding a whole clip from a corrected viseme timeline
would subtly change the mouth everywhere. Instead the curves of the analysis
(:func:`~generators.rig.coarticulation.coarticulate`) are kept, and only around the stretches
where the corrected timeline differs from the analysed one are they replaced by the curves of
the corrected visemes (:func:`~generators.rig.coarticulation.coarticulate_visemes`): fully
within :data:`EDIT_HOLD_S` of a change (where its coarticulation reaches), then cross-faded
back over :data:`EDIT_FADE_S`. A corrected take is therefore identical to the analysed one
away from the corrections, and a correction undone gives the analysed curves back exactly.

Examples
--------
>>> import numpy as np
>>> from generators.take import PhonemeSegment, VisemeSegment
>>> phones = [PhonemeSegment("SIL", 0, .2), PhonemeSegment("AA", .2, .6),
...           PhonemeSegment("SIL", .6, 1.0)]
>>> times = np.arange(30) / 30
>>> fixed = (VisemeSegment("sil", 0, .2), VisemeSegment("aa", .2, .36),
...          VisemeSegment("PP", .36, .44), VisemeSegment("aa", .44, .6),
...          VisemeSegment("sil", .6, 1.0))
>>> bool(corrected_lip_curves(phones, fixed, times, 1.0).closure_at(0.4) > 0.99)
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from generators.rig.coarticulation import LipCurves, coarticulate, coarticulate_visemes
from generators.rig.visemes import phones_to_visemes
from generators.take import PhonemeSegment, VisemeSegment
from generators.viseme_edit import changed_spans, complete_timeline

__all__ = ["EDIT_FADE_S", "EDIT_HOLD_S", "corrected_lip_curves", "edit_weight"]

EDIT_HOLD_S: float = 0.15
"""Seconds around a correction that take the corrected curves fully (coarticulation reach)."""

EDIT_FADE_S: float = 0.15
"""Seconds over which the corrected curves cross-fade back into the analysed ones."""

_CONTEXT_S = 0.6  # segments this far beyond a blended stretch no longer shape it


def edit_weight(times: np.ndarray, spans: Sequence[tuple[float, float]]) -> np.ndarray:
    """How much of the corrected curves each frame takes: 1 near a change, 0 far from it.

    Parameters
    ----------
    times
        ``(N,)`` frame times.
    spans
        Changed stretches ``(start, end)`` in seconds, in time order, not overlapping.

    Returns
    -------
    np.ndarray
        ``(N,)`` weights in 0..1: 1 within :data:`EDIT_HOLD_S` of a span, a raised-cosine
        fall to 0 over the next :data:`EDIT_FADE_S`.

    Examples
    --------
    >>> edit_weight(np.array([0.0, 0.5, 0.62, 0.725, 1.0]), [(0.4, 0.5)]).round(2).tolist()
    [0.0, 1.0, 1.0, 0.5, 0.0]
    """
    t = np.asarray(times, dtype=np.float64)
    if not spans:
        return np.zeros_like(t)
    starts = np.array([s for s, _ in spans], dtype=np.float64)
    ends = np.array([e for _, e in spans], dtype=np.float64)
    k = np.searchsorted(starts, t, side="right") - 1
    before = np.where(k >= 0, np.maximum(t - ends[np.maximum(k, 0)], 0.0), np.inf)
    nxt = k + 1
    after = np.where(nxt < starts.size, starts[np.minimum(nxt, starts.size - 1)] - t, np.inf)
    d = np.minimum(before, after)
    fade = np.clip((d - EDIT_HOLD_S) / EDIT_FADE_S, 0.0, 1.0)
    return 0.5 * (1.0 + np.cos(np.pi * fade))


def corrected_lip_curves(
    phonemes: Sequence[PhonemeSegment],
    visemes: Sequence[VisemeSegment],
    times: np.ndarray,
    duration: float,
    *,
    jaw_gain: np.ndarray | None = None,
    anticipation: float = 1.0,
) -> LipCurves:
    """Mouth curves that follow a corrected viseme timeline (see the module docstring).

    Parameters
    ----------
    phonemes
        The analysed phones.
    visemes
        The corrected timeline, contiguous from 0 to ``duration``
        (:func:`~generators.viseme_edit.validate_timeline`).
    times
        ``(N,)`` frame times ``i / fps``.
    duration
        Clip length in seconds.
    jaw_gain
        Optional ``(N,)`` jaw opening multiplier, as for
        :func:`~generators.rig.coarticulation.coarticulate`.
    anticipation
        Multiplier of the visemes' attack times, as for
        :func:`~generators.rig.coarticulation.coarticulate`.

    Returns
    -------
    LipCurves
        The analysed curves with the corrected stretches replaced.
    """
    times = np.asarray(times, dtype=np.float64)
    base = coarticulate(phonemes, times, jaw_gain=jaw_gain, anticipation=anticipation)
    analysed = complete_timeline(phones_to_visemes(phonemes), duration)
    spans = changed_spans(visemes, analysed)
    weight = edit_weight(times, spans)
    touched = np.flatnonzero(weight > 0.0)
    if touched.size == 0:
        return base
    weights = base.weights.astype(np.float64)
    activity = base.activity.astype(np.float64)
    seal = np.zeros(times.size) if base.seal is None else base.seal.astype(np.float64)
    shares = None if base.visemes is None else base.visemes.astype(np.float64)
    closures = [c for c in base.closures if np.interp(c, times, weight) < 0.5]
    gain = None if jaw_gain is None else np.asarray(jaw_gain, dtype=np.float64)
    breaks = np.flatnonzero(np.diff(touched) > 1)
    for run in np.split(touched, breaks + 1):
        lo = max(0, int(run[0]) - 1)  # one frame of margin: the pass needs two frames
        hi = min(times.size, int(run[-1]) + 2)
        window = times[lo:hi]
        near = [
            s
            for s in visemes
            if s.end > window[0] - _CONTEXT_S and s.start < window[-1] + _CONTEXT_S
        ]
        part = coarticulate_visemes(
            near,
            window,
            jaw_gain=None if gain is None else gain[lo:hi],
            anticipation=anticipation,
        )
        w = weight[lo:hi]
        weights[lo:hi] = (1.0 - w)[:, None] * weights[lo:hi] + w[:, None] * part.weights
        activity[lo:hi] = (1.0 - w) * activity[lo:hi] + w * part.activity
        if part.seal is not None:
            seal[lo:hi] = (1.0 - w) * seal[lo:hi] + w * part.seal
        if shares is not None and part.visemes is not None:
            shares[lo:hi] = (1.0 - w)[:, None] * shares[lo:hi] + w[:, None] * part.visemes
        closures.extend(
            c
            for c in part.closures
            if window[0] <= c <= window[-1] and np.interp(c, times, weight) >= 0.5
        )
    return LipCurves(
        times,
        np.clip(weights, 0.0, 1.0).astype(np.float32),
        np.clip(activity, 0.0, 1.0).astype(np.float32),
        np.asarray(sorted(closures), dtype=np.float64),
        seal.astype(np.float32),
        None if shares is None else np.clip(shares, 0.0, 1.0).astype(np.float32),
    )
