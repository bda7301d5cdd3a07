"""Voice activity detection on the loudness envelope, and cutting long clips at the pauses.

A frame is speech when its level stands clearly above the *local* noise floor and is not far
below the *local* speaking level. Both are tracked over a few seconds (minimum statistics for
the floor, a high percentile for the speaking level), so a clip made of parts recorded at
different levels, or with a noise floor that drifts, is still split correctly. Blips shorter
than :data:`MIN_SPEECH_S` (clicks, lip smacks) are ignored; each stretch of speech is then
padded by a hangover after it and a short pre-roll before it, so the quiet end of a word (a
trailing fricative, the release of a stop) never counts as pause. What remains silent for at
least :data:`MIN_PAUSE_S` is a pause a long clip may be cut at (:func:`plan_chunks`).

Examples
--------
>>> import numpy as np
>>> db = np.full(300, -70.0)
>>> db[50:120] = -20.0  # 0.5-1.2 s speech
>>> db[200:260] = -22.0  # 2.0-2.6 s speech
>>> vad = detect_voice_activity(EnergyEnvelope(db))
>>> [(round(p.start, 2), round(p.end, 2)) for p in vad.pauses]
[(0.0, 0.48), (1.28, 1.98), (2.68, 3.0)]
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from generators.rig.energy import EnergyEnvelope

__all__ = [
    "HANGOVER_S",
    "MAX_CHUNK_S",
    "MIN_CHUNK_S",
    "MIN_FREE_S",
    "MIN_PAUSE_S",
    "MIN_SPEECH_S",
    "PRE_ROLL_S",
    "SINGLE_UTTERANCE_MAX_S",
    "Pause",
    "VoiceActivity",
    "detect_voice_activity",
    "plan_chunks",
]

MIN_PAUSE_S: float = 0.2
"""Shortest silence, after hangover and pre-roll, that counts as a pause to cut at: about
0.3 s of silence in the signal."""

HANGOVER_S: float = 0.08
"""Speech is held on this long after the level drops (quiet word endings)."""

PRE_ROLL_S: float = 0.02
"""Speech starts this much before the level rises (quiet onsets)."""

MIN_SPEECH_S: float = 0.08
"""Louder stretches shorter than this (clicks, lip smacks: the 40 ms envelope window spreads
a 20 ms click over about 60 ms) are not speech."""

SNR_DB: float = 6.0
"""A speech frame is at least this far above the local noise floor (quiet speech in a noisy
room sits only 6-10 dB above it)..."""

RANGE_DB: float = 35.0
"""...and at most this far below the local speaking level."""

SINGLE_UTTERANCE_MAX_S: float = 30.0
"""Clips up to this long are aligned in one utterance, as before chunking existed: the aligner
and the transcript check were tuned on clips of up to ~27 s, and splitting gains nothing there."""

MAX_CHUNK_S: float = 15.0
"""Longest stretch aligned in one utterance when a long clip is split (exceeded only where
the speech has no pause to cut at). A stretch then holds a sentence or two, so a wrong one
falls back with little else; on the evaluation clips word timing was also closer to the
reference than with 20 s stretches (mean error 35 ms against 45 ms)."""

MIN_CHUNK_S: float = 4.0
"""Stretches shorter than this are avoided when splitting (a few words give the aligner and the
transcript check too little to go on)."""

MIN_FREE_S: float = 0.1
"""Shortest part of a pause clear of known words that may still be cut at."""

_PAUSE_COST = 0.25  # cost of a cut, divided by the pause's length (a stretch costs 1)
_GAP_COST = 1.0  # the same for a pause only an aligner found
_BLOCK_S = 0.5  # level statistics are taken per block of this length...
_FLOOR_SPAN_S = 3.0  # ...the noise floor is the lowest block within +-3 s...
_LEVEL_SPAN_S = 2.5  # ...the speaking level the loudest block within +-2.5 s


@dataclass(frozen=True)
class Pause:
    """A silence in the clip, in seconds."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.end - self.start

    @property
    def middle(self) -> float:
        """Centre in seconds."""
        return 0.5 * (self.start + self.end)


@dataclass(frozen=True)
class VoiceActivity:
    """Which 10 ms frames of a clip hold speech.

    Parameters
    ----------
    speech
        ``(M,)`` bool, one value per envelope hop (hangover and pre-roll applied).
    hop
        Seconds per value.
    pauses
        Every run of non-speech at least :data:`MIN_PAUSE_S` long (or the ``min_pause`` asked
        for), in time order, including those at the clip's start and end.
    """

    speech: np.ndarray
    hop: float
    pauses: tuple[Pause, ...]

    @property
    def duration(self) -> float:
        """Seconds covered."""
        return self.speech.size * self.hop

    def speech_seconds(self, start: float = 0.0, end: float | None = None) -> float:
        """Seconds of speech between ``start`` and ``end`` (default: to the end)."""
        i0 = max(0, int(round(start / self.hop)))
        i1 = self.speech.size if end is None else max(i0, int(round(end / self.hop)))
        return float(np.count_nonzero(self.speech[i0:i1])) * self.hop


def _block_stat(db: np.ndarray, n_block: int, q: float) -> np.ndarray:
    n = int(np.ceil(db.size / n_block))
    padded = np.full(n * n_block, np.nan)
    padded[: db.size] = db
    return np.nanpercentile(padded.reshape(n, n_block), q, axis=1)


def _sliding(values: np.ndarray, half: int, op: str) -> np.ndarray:
    n = values.size
    pad = np.pad(values, half, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(pad, 2 * half + 1)[:n]
    return windows.min(axis=1) if op == "min" else windows.max(axis=1)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``[start, end)`` index runs where ``mask`` is true."""
    if mask.size == 0:
        return []
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def detect_voice_activity(
    envelope: EnergyEnvelope,
    *,
    min_pause: float = MIN_PAUSE_S,
    hangover: float = HANGOVER_S,
    pre_roll: float = PRE_ROLL_S,
    min_speech: float = MIN_SPEECH_S,
) -> VoiceActivity:
    """Find speech and pauses from a loudness envelope.

    Parameters
    ----------
    envelope
        The clip's RMS envelope (:func:`~generators.rig.energy.energy_envelope`).
    min_pause
        Shortest silence reported as a pause, seconds.
    hangover
        Seconds of speech kept on after the level drops.
    pre_roll
        Seconds of speech added before the level rises.
    min_speech
        Louder stretches shorter than this are ignored, seconds.

    Returns
    -------
    VoiceActivity
    """
    db = envelope.db
    hop = envelope.hop
    if db.size == 0:
        return VoiceActivity(np.zeros(0, dtype=bool), hop, ())
    n_block = max(1, int(round(_BLOCK_S / hop)))
    low = _block_stat(db, n_block, 5.0)
    high = _block_stat(db, n_block, 95.0)
    floor_blocks = _sliding(low, max(1, int(round(_FLOOR_SPAN_S / _BLOCK_S))), "min")
    level_blocks = _sliding(high, max(1, int(round(_LEVEL_SPAN_S / _BLOCK_S))), "max")
    centres = (np.arange(low.size) + 0.5) * n_block
    frames = np.arange(db.size)
    floor = np.interp(frames, centres, floor_blocks)
    level = np.interp(frames, centres, level_blocks)
    loud = db > np.maximum(floor + SNR_DB, level - RANGE_DB)

    speech = np.zeros(db.size, dtype=bool)
    n_min = int(round(min_speech / hop))
    n_after, n_before = int(round(hangover / hop)), int(round(pre_roll / hop))
    for a, b in _runs(loud):
        if b - a >= n_min:
            speech[max(0, a - n_before) : min(db.size, b + n_after)] = True
    n_pause = int(round(min_pause / hop))
    pauses = tuple(
        Pause(float(a * hop), float(b * hop)) for a, b in _runs(~speech) if b - a >= max(n_pause, 1)
    )
    return VoiceActivity(speech, hop, pauses)


def _free_part(pause: Pause, spans: Sequence[tuple[float, float]]) -> Pause | None:
    """The longest part of ``pause`` outside the sorted ``spans`` (``None``: under the minimum)."""
    lo = max(0, bisect_left(spans, (pause.start, pause.start)) - 1)
    free: list[Pause] = []
    cursor = pause.start
    for a, b in spans[lo:]:
        if a >= pause.end:
            break
        if b <= cursor:
            continue
        if a > cursor:
            free.append(Pause(cursor, min(a, pause.end)))
        cursor = max(cursor, b)
    if cursor < pause.end:
        free.append(Pause(cursor, pause.end))
    best = max(free, key=lambda f: f.duration, default=None)
    return best if best is not None and best.duration >= MIN_FREE_S - 1e-9 else None


def plan_chunks(
    activity: VoiceActivity,
    duration: float,
    *,
    max_chunk: float = MAX_CHUNK_S,
    min_chunk: float = MIN_CHUNK_S,
    single_max: float = SINGLE_UTTERANCE_MAX_S,
    avoid: Sequence[tuple[float, float]] = (),
    gaps: Sequence[Pause] = (),
) -> list[tuple[float, float]]:
    """Split a clip into stretches to align separately, cutting in the middle of pauses.

    Among all ways to cut at pauses between speech, the one chosen has no stretch longer than
    ``max_chunk`` (unless the speech runs on without a pause), avoids stretches shorter than
    ``min_chunk``, uses as few stretches as that allows, and prefers the longest pauses, and
    pauses the loudness shows over those only an aligner found.

    Parameters
    ----------
    activity
        Voice activity of the clip.
    duration
        Clip length in seconds.
    max_chunk, min_chunk
        Bounds on a stretch's length, seconds.
    single_max
        Clips up to this long are not split.
    avoid
        ``(start, end)`` spans no cut may fall in (words found by a first alignment pass): a
        pause overlapping them is cut in the middle of its longest free part, if that part is
        at least :data:`MIN_FREE_S` long. Non-overlapping, in time order.
    gaps
        Pauses between words found by an alignment pass, at least :data:`MIN_PAUSE_S` long:
        further places to cut where the loudness shows no pause (speech in a noisy room), at a
        higher cost than a pause the loudness confirms.

    Returns
    -------
    list of (start, end)
        Contiguous stretches from 0 to ``duration``, boundaries on the 10 ms grid; a single
        ``(0, duration)`` when the clip is short or has no usable pause.

    Examples
    --------
    >>> import numpy as np
    >>> speech = np.ones(3600, dtype=bool)
    >>> speech[1200:1260] = speech[2400:2440] = False  # pauses at 12.0-12.6 s and 24.0-24.4 s
    >>> vad = VoiceActivity(speech, 0.01, (Pause(12.0, 12.6), Pause(24.0, 24.4)))
    >>> plan_chunks(vad, 36.0)
    [(0.0, 12.3), (12.3, 24.2), (24.2, 36.0)]
    """
    if duration <= single_max:
        return [(0.0, duration)]
    # Cut candidates: the middles of pauses with speech on both sides, on the 10 ms grid.
    spans = sorted(avoid)
    found: list[tuple[float, float]] = []  # (middle, cost) of each place to cut
    for p in activity.pauses:
        if p.start <= 0.0 or p.end >= min(duration, activity.duration) - 1e-6:
            continue  # leading or trailing silence: nothing to cut between
        free = _free_part(p, spans)
        if free is not None:
            found.append((free.middle, _PAUSE_COST / free.duration))
    for g in gaps:
        if g.duration >= MIN_PAUSE_S and not any(g.start <= t <= g.end for t, _ in found):
            found.append((g.middle, _GAP_COST / g.duration))
    cands = sorted((round(float(t), 2), c) for t, c in found if 0.0 < round(t, 2) < duration)
    if not cands:
        return [(0.0, duration)]
    times = [0.0] + [t for t, _ in cands] + [duration]
    cut_cost = [0.0] + [c for _, c in cands] + [0.0]
    n = len(times)
    best = [np.inf] * n
    back = [0] * n
    best[0] = 0.0
    for j in range(1, n):
        for i in range(j - 1, -1, -1):
            length = times[j] - times[i]
            if length > max_chunk and i < j - 1:
                break  # longer stretches only (a stretch over the limit only when forced)
            cost = best[i] + 1.0 + cut_cost[j]
            if length < min_chunk:
                cost += 4.0 * (min_chunk - length) / min_chunk
            if length > max_chunk:
                cost += 10.0 * (length - max_chunk) / max_chunk
            if cost < best[j]:
                best[j], back[j] = cost, i
    cuts = [n - 1]
    while cuts[-1] != 0:
        cuts.append(back[cuts[-1]])
    cuts.reverse()
    return [(times[a], times[b]) for a, b in zip(cuts, cuts[1:], strict=False)]
