"""Does the transcript match the audio? Compare its alignment with free phone recognition.

Both paths are scored on one table of acoustic scores (every loop phone state in every frame,
:func:`~generators.rig.phone_recognition.loop_scores`, 0 for the frame's best): the phone loop's
best path (:func:`~generators.rig.phone_recognition.recognise_phones`) and the path the aligner
found through the transcript's words (:func:`transcript_fit`, state by state). A transcript of
what is said fits within a small factor of free recognition (ratio 1.11-1.77 on real and
synthetic speech: the words constrain the phones, the loop may pick any); a wrong sentence or
another language forces the aligner through phones the sound does not have (ratio 2.14-3.64,
or no path at all). A transcript covering only part of the speech can fit in between but
leaves loud stretches labelled as silence, which is measured separately.

Thresholds were set on the shared evaluation clips, real and eSpeak speech
(``bench/bench_transcript_check.py``): of 94 correct or nearly correct transcripts (exact, one
word dropped, one word swapped) none is rejected; of 32 wrong sentences, 25 foreign-language
clips and 32 half transcripts all are rejected (20 wrong sentences and 15 foreign clips
because no alignment exists at all). Any ratio threshold from 1.8 to 2.1 with a partial
threshold up to 1.55 makes no mistake there; 1.95 and 1.5 are kept (a long clip's stretches
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
        say which phone state each frame is in (pauses and noise fillers as the loop's pause).
    scores
        The audio's :func:`~generators.rig.phone_recognition.loop_scores`.

    Returns
    -------
    float
        Minus the mean of the path's state scores (context-independent and best
        context-dependent senones mixed as for the recognition's best path): 0 when every frame
        sits on its best state, more negative is worse; ``-inf`` for an empty path.

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
    phones = np.full(n, _PAUSE, dtype=np.int64)
    states = np.zeros(n, dtype=np.int64)
    for name, state, start, count in alignment.states:
        a, b = max(start, 0), min(start + count, n)
        phones[a:b] = LOOP_PHONES.index(name) if name in LOOP_PHONES else _PAUSE
        states[a:b] = min(state, per_state.shape[2] - 1)
    covered = per_state[np.arange(n), phones, states]
    return -float(covered.sum()) / n


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
