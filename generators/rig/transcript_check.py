"""Does the transcript match the audio? Compare its alignment with free phone recognition.

Both paths are scored on one table of acoustic scores (every loop phone state in every frame,
:func:`~generators.rig.phone_recognition.loop_scores`, 0 for the frame's best): the phone loop's
best path (:func:`~generators.rig.phone_recognition.recognise_phones`) and the path the aligner
found through the transcript's words (:func:`transcript_fit`, phone by phone). A transcript of
what is said fits within a small factor of free recognition (ratio 1.11-1.74 on real and
synthetic speech: the words constrain the phones, the loop may pick any); a wrong sentence or
another language forces the aligner through phones the sound does not have (ratio 2.12-3.61,
or no path at all). A transcript covering only part of the speech can fit in between but
leaves loud stretches labelled as silence, which is measured separately.

Thresholds were set on the shared evaluation clips, real and eSpeak speech
(``bench/bench_transcript_check.py``): of 94 correct or nearly correct transcripts (exact, one
word dropped, one word swapped) none is rejected; of 32 wrong sentences, 25 foreign-language
clips and 32 half transcripts all are rejected (20 wrong sentences and 15 foreign clips
because no alignment exists at all). Any ratio threshold from 1.75 to 2.1 with a partial
threshold up to 1.54 makes no mistake there; 1.95 and 1.5 are kept (a long clip's stretches
of noisy speech need more leeway, see :mod:`~generators.rig.long_alignment`). Transcripts
missing only their last quarter are caught about one time in two (15 of 31 clips); their
missing words stay mouth-closed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from generators.errors import TranscriptError
from generators.rig.energy import EnergyEnvelope
from generators.rig.forced_alignment import AlignmentResult
from generators.rig.phone_posteriors import LOOP_PHONES, mixed_scores
from generators.rig.phone_recognition import PATH_SETTINGS, RecognitionResult

__all__ = [
    "MAX_SCORE_RATIO",
    "PARTIAL_SCORE_RATIO",
    "PARTIAL_UNTRANSCRIBED",
    "TranscriptCheck",
    "best_state_split",
    "score_ratio",
    "transcript_fit",
    "untranscribed_speech",
]

MAX_SCORE_RATIO: float = 1.95
"""Transcript fit per frame / recognition score per frame at or above which the transcript is
wrong."""

PARTIAL_SCORE_RATIO: float = 1.5
"""Score ratio at or above which a transcript that leaves speech unaligned is rejected."""

PARTIAL_UNTRANSCRIBED: float = 0.35
"""Share of the loud (speech) frames aligned to silence that marks a partial transcript."""

_SPEECH_BELOW_LEVEL_DB = 15.0  # frames within 15 dB of the speaking level count as speech
_PAUSE = LOOP_PHONES.index("SIL")


@dataclass(frozen=True)
class TranscriptCheck:
    """The evidence about a transcript.

    Parameters
    ----------
    alignment_score
        Fit per frame of the transcript's path (``-inf``: no path fits).
    score_ratio
        Fit per frame divided by recognition score per frame (1: the transcript explains the
        audio as well as free recognition; larger is worse).
    untranscribed_speech
        Share of speech frames (by loudness) that the alignment labels as silence.
    partial_ratio
        Score ratio at or above which a transcript leaving speech unaligned is suspicious
        (:data:`PARTIAL_SCORE_RATIO` for a whole clip).
    max_ratio
        Score ratio at or above which the transcript is wrong (:data:`MAX_SCORE_RATIO` for a
        whole clip).

    Examples
    --------
    >>> TranscriptCheck(-40.0, 1.3, 0.02).matches
    True
    >>> TranscriptCheck(-90.0, 3.1, 0.1).reason
    'the words do not fit the sounds'
    >>> TranscriptCheck(-50.0, 1.6, 0.5).reason
    '50% of the speech is not covered by the transcript'
    """

    alignment_score: float
    score_ratio: float = math.inf
    untranscribed_speech: float = 0.0
    partial_ratio: float = PARTIAL_SCORE_RATIO
    max_ratio: float = MAX_SCORE_RATIO

    @property
    def reason(self) -> str:
        """Why the transcript is rejected (empty when it is accepted)."""
        if not math.isfinite(self.alignment_score) or self.score_ratio >= self.max_ratio:
            return "the words do not fit the sounds"
        if (
            self.score_ratio >= self.partial_ratio
            and self.untranscribed_speech >= PARTIAL_UNTRANSCRIBED
        ):
            pct = round(100 * self.untranscribed_speech)
            return f"{pct}% of the speech is not covered by the transcript"
        return ""

    @property
    def matches(self) -> bool:
        """Whether the transcript is accepted."""
        return self.reason == ""

    def raise_if_mismatched(self) -> None:
        """Raise :class:`~generators.errors.TranscriptError` unless the transcript matches."""
        if not self.matches:
            raise TranscriptError(
                f"transcript does not match the audio ({self.reason}); "
                "check the transcript or omit it"
            )


def transcript_fit(alignment: AlignmentResult, scores: np.ndarray) -> float:
    """How well the aligned path fits the sound, per frame, in the recognition's units.

    Parameters
    ----------
    alignment
        The aligner's result; its :attr:`~generators.rig.forced_alignment.AlignmentResult.states`
        say which phone (pauses and noise fillers: the loop's pause) covers which frames.
    scores
        The audio's :func:`~generators.rig.phone_recognition.loop_scores`.

    Returns
    -------
    float
        Minus the mean of the path's state scores (context-independent and best
        context-dependent senones mixed as for the recognition's best path): 0 when every frame
        sits on its best state, more negative is worse; ``-inf`` for an empty path.

    Notes
    -----
    The path is judged by its phones: each phone's frames are split among its states, in
    order, as well as these scores allow (:func:`best_state_split`), whatever split the aligner
    chose on its own model. An aligner adapted to the voice may put a long pause in another
    state of silence than this unadapted model would (and 15 s of digital silence then
    outweighed the words), which says nothing about whether the words are right. A phone of
    fewer frames than states keeps the aligner's split.

    Examples
    --------
    >>> from generators.rig.forced_alignment import AlignmentResult
    >>> table = np.zeros((4, 2, len(LOOP_PHONES), 3), dtype=np.float32)
    >>> table[:, :, LOOP_PHONES.index("AA")] = 10.0
    >>> path = AlignmentResult([], [], n_frames=4, states=[("SIL", 0, 0, 2), ("AA", 0, 2, 2)])
    >>> transcript_fit(path, table)
    -5.0
    """
    if not alignment.states:
        return -math.inf
    last = max(start + count for _, _, start, count in alignment.states)
    n = min(len(scores), last)  # the decoder's frame count may differ by one at the end
    if n <= 0:
        return -math.inf
    per_state = mixed_scores(scores[:n], PATH_SETTINGS)
    covered = np.zeros(n, dtype=bool)
    total = 0.0
    for phone, start, end, states in _phone_runs(alignment.states, n, per_state.shape[2]):
        covered[start:end] = True
        frames = per_state[start:end, phone]
        if end - start >= frames.shape[1]:
            total += best_state_split(frames)
        else:
            total += float(frames[np.arange(end - start), states].sum())
    total += float(per_state[~covered, _PAUSE, 0].sum())  # frames the path skips: a pause
    return -total / n


def _phone_runs(
    states: list[tuple[str, int, int, int]], n: int, n_states: int
) -> list[tuple[int, int, int, np.ndarray]]:
    """The aligned states grouped into phones: ``(loop phone, start, end, aligner's state of
    each frame)``, clipped to ``n`` frames. A phone's states follow one another in rising order
    and without a gap; anything else starts a new phone."""
    runs: list[tuple[int, int, int, list[int]]] = []
    last_state = -1
    for name, state, start, count in states:
        phone = LOOP_PHONES.index(name) if name in LOOP_PHONES else _PAUSE
        a, b = max(start, 0), min(start + count, n)
        if b <= a:
            continue
        if runs and runs[-1][0] == phone and runs[-1][2] == a and state > last_state:
            p, s, _, labels = runs[-1]
            runs[-1] = (p, s, b, labels + [state] * (b - a))
        else:
            runs.append((phone, a, b, [state] * (b - a)))
        last_state = state
    return [(p, a, b, np.minimum(np.array(lab), n_states - 1)) for p, a, b, lab in runs]


def best_state_split(frames: np.ndarray) -> float:
    """The least total score of a phone's frames split among its states in order.

    Parameters
    ----------
    frames
        ``(n, states)`` scores of the phone's states in each of its frames (lower is better),
        at least one frame per state.

    Returns
    -------
    float
        The minimum over the splits that give every state one or more consecutive frames,
        left to right, of the sum of each frame's score in its state.

    Examples
    --------
    >>> best_state_split(np.array([[0.0, 5, 5], [5, 0, 5], [5, 0, 5], [5, 5, 0]]))
    0.0
    >>> best_state_split(np.array([[5.0, 0, 0], [5, 0, 0], [0, 5, 5]]))
    10.0
    """
    n, k = frames.shape
    if n < k:
        raise ValueError(f"{n} frames cannot cover {k} states")
    cost = np.cumsum(frames[:, 0], dtype=np.float64)  # frames 0..t, frame t in state 0
    for s in range(1, k):
        reach = np.r_[0.0, np.cumsum(frames[:, s], dtype=np.float64)]  # sum of frames < i
        entry = np.full(n, np.inf)  # entering state s at frame t: cost[t - 1] - reach[t]
        entry[1:] = cost[:-1] - reach[1:n]
        cost = np.minimum.accumulate(entry) + reach[1:]
    return float(cost[-1])


def score_ratio(fit: float, recognition: RecognitionResult) -> float:
    """Transcript fit per frame over recognition score per frame (larger is worse).

    Parameters
    ----------
    fit
        From :func:`transcript_fit`.
    recognition
        Free phone recognition of the same audio, on the same scores.

    Examples
    --------
    >>> from generators.rig.phone_recognition import RecognitionResult
    >>> score_ratio(-60.0, RecognitionResult([], [(0, 10, -300.0)], 10))
    2.0
    """
    rec = recognition.score_per_frame
    if not math.isfinite(fit):
        return math.inf
    if rec < -1.0:
        return float(fit / rec)
    return 1.0 if fit >= rec else math.inf


def untranscribed_speech(alignment: AlignmentResult, envelope: EnergyEnvelope) -> float:
    """Share of the speech frames (within 15 dB of the speaking level) aligned to silence."""
    n = alignment.n_frames
    if n == 0:
        return 0.0
    times = (np.arange(n) + 0.5) / 100.0
    speech = envelope.at(times) > envelope.speech_level() - _SPEECH_BELOW_LEVEL_DB
    silent = np.zeros(n, dtype=bool)
    for seg in alignment.phones:
        if seg.phone == "SIL":
            silent[int(round(seg.start * 100)) : int(round(seg.end * 100))] = True
    n_speech = int(np.count_nonzero(speech))
    return float(np.count_nonzero(speech & silent) / n_speech) if n_speech else 0.0
