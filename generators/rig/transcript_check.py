"""Does the transcript match the audio? Compare forced alignment with free phone recognition.

The scoring pass of the aligner scores every senone each frame, so its path score is
normalised by each frame's best senone, as the phone recogniser's best path is
(:func:`~generators.rig.phone_recognition.recognise_phones`, which scores every phone state
itself); the two can be compared. A transcript of what is said scores within a small factor
of free phone recognition (ratio 1.22-2.36 on real speech, up to 2.56 on synthetic speech: the
aligner must follow the words' triphones, the recogniser may pick any phone in any context); a
wrong sentence or another language forces the aligner through bad phones (ratio 2.67-4.24, or
no path at all). A transcript covering only part of the speech scores in between but leaves
loud stretches labelled as silence, which is measured separately. When the alignment alone
already fits very well (:data:`CONFIDENT_SCORE`), the recognition pass is skipped.

Thresholds were set on the shared evaluation clips, real and eSpeak speech
(``bench/bench_transcript_check.py``): of 94 correct or nearly correct transcripts (exact, one
word dropped, one word swapped) none is rejected; of 32 wrong sentences, 25 foreign-language
clips and 32 half transcripts all are rejected (19 wrong sentences and 15 foreign clips
because no alignment exists at all). Any ratio threshold from 2.6 to 2.9 with a partial
threshold from 1.5 to 1.85 makes no mistake there; the middle is kept. Transcripts missing
only their last quarter are caught about one time in three; their missing words stay
mouth-closed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from generators.errors import TranscriptError
from generators.rig.energy import EnergyEnvelope
from generators.rig.forced_alignment import AlignmentResult
from generators.rig.phone_recognition import RecognitionResult

__all__ = [
    "CONFIDENT_SCORE",
    "MAX_SCORE_RATIO",
    "PARTIAL_SCORE_RATIO",
    "PARTIAL_UNTRANSCRIBED",
    "TranscriptCheck",
    "needs_recognition",
    "score_ratio",
    "untranscribed_speech",
]

CONFIDENT_SCORE: float = -48.0
"""Alignment score per frame above which the transcript fits so well that the comparison with
phone recognition is skipped (saving ~0.04 s per second of audio). Correct transcripts of clean
real speech score -34 to -47; no wrong, foreign or half transcript scored above -61 (one missing
its last quarter: -53), so up here only the untranscribed-speech test applies."""

MAX_SCORE_RATIO: float = 2.75
"""Alignment score per frame / recognition score per frame at or above which the transcript is
wrong."""

PARTIAL_SCORE_RATIO: float = 1.7
"""Score ratio at or above which a transcript that leaves speech unaligned is rejected."""

PARTIAL_UNTRANSCRIBED: float = 0.35
"""Share of the loud (speech) frames aligned to silence that marks a partial transcript."""

_SPEECH_BELOW_LEVEL_DB = 15.0  # frames within 15 dB of the speaking level count as speech


@dataclass(frozen=True)
class TranscriptCheck:
    """The evidence about a transcript.

    Parameters
    ----------
    alignment_score
        Path score per frame of the transcript (``-inf``: no path fits).
    score_ratio
        Alignment score per frame divided by recognition score per frame (1: the transcript
        explains the audio as well as free recognition; larger is worse); ``None`` when the
        score was confident enough not to need the comparison.
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
    >>> TranscriptCheck(-40.0, None, 0.02).matches
    True
    >>> TranscriptCheck(-90.0, 3.1, 0.1).reason
    'the words do not fit the sounds'
    """

    alignment_score: float
    score_ratio: float | None = None
    untranscribed_speech: float = 0.0
    partial_ratio: float = PARTIAL_SCORE_RATIO
    max_ratio: float = MAX_SCORE_RATIO

    @property
    def reason(self) -> str:
        """Why the transcript is rejected (empty when it is accepted)."""
        if not math.isfinite(self.alignment_score):
            return "the words do not fit the sounds"
        if self.score_ratio is not None and self.score_ratio >= self.max_ratio:
            return "the words do not fit the sounds"
        suspicious = self.score_ratio is None or self.score_ratio >= self.partial_ratio
        if suspicious and self.untranscribed_speech >= PARTIAL_UNTRANSCRIBED:
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


def needs_recognition(alignment_score: float) -> bool:
    """Whether a transcript's score needs the comparison with free phone recognition."""
    return math.isfinite(alignment_score) and alignment_score < CONFIDENT_SCORE


def score_ratio(alignment_score: float, recognition: RecognitionResult) -> float:
    """Alignment score per frame over recognition score per frame (larger is worse).

    Parameters
    ----------
    alignment_score
        From :func:`~generators.rig.forced_alignment.alignment_score` (``compallsen``).
    recognition
        Free phone recognition of the same audio (``compallsen``).
    """
    rec = recognition.score_per_frame
    if not math.isfinite(alignment_score):
        return math.inf
    if rec < -1.0:
        return float(alignment_score / rec)
    return 1.0 if alignment_score >= rec else math.inf


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
