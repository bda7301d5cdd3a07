"""A transcript aligned to one utterance, with the transcript check along the way.

The passes, cheapest first, each able to reject the transcript before the next is paid for:

1. score the words against the audio (:func:`~generators.rig.forced_alignment.alignment_score`);
   no path at all, or a hopeless score, rejects the transcript;
2. unless the score is confident, recognise phones freely and compare the two scores
   (:func:`~generators.rig.transcript_check.score_ratio`);
3. force-align the words for the phone timings, and measure how much loud audio the alignment
   leaves as silence (:func:`~generators.rig.transcript_check.untranscribed_speech`).

A whole clip goes through this once; a long clip split at its pauses goes through it once per
stretch (:mod:`~generators.rig.long_alignment`), where a rejected stretch falls back to the
phone recognition instead of failing the clip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from generators.errors import TranscriptError
from generators.progress import CancelToken, NullProgress, ProgressSink
from generators.rig.energy import EnergyEnvelope
from generators.rig.forced_alignment import AlignmentResult, alignment_score, force_align
from generators.rig.phone_recognition import RecognitionResult, recognise_phones
from generators.rig.transcript_check import (
    MAX_SCORE_RATIO,
    PARTIAL_SCORE_RATIO,
    TranscriptCheck,
    needs_recognition,
    score_ratio,
    untranscribed_speech,
)

__all__ = ["NO_ALIGNMENT", "CheckedAlignment", "align_with_check", "mismatch_error"]

NO_ALIGNMENT = "it cannot be aligned"
"""Reason given when no path through the words fits the audio at all."""


def mismatch_error(reason: str) -> TranscriptError:
    """The error for a transcript rejected for ``reason`` (one line, says what to do).

    Examples
    --------
    >>> str(mismatch_error("it cannot be aligned"))
    'transcript does not match the audio (it cannot be aligned); check the transcript or omit it'
    """
    return TranscriptError(
        f"transcript does not match the audio ({reason}); check the transcript or omit it"
    )


@dataclass
class CheckedAlignment:
    """The outcome of aligning a transcript to one utterance.

    Parameters
    ----------
    reason
        Why the transcript was rejected; empty when it was accepted.
    alignment
        The phone and word timings (``None`` when rejected before or by the alignment pass).
    recognition
        Free phone recognition of the same audio, when the check needed it.
    score
        Alignment score per frame (``None``: no path).
    ratio
        Alignment score over recognition score (``None``: not needed or not reached).
    untranscribed
        Share of the speech aligned to silence (``None``: not reached).
    """

    reason: str
    alignment: AlignmentResult | None = None
    recognition: RecognitionResult | None = None
    score: float | None = None
    ratio: float | None = None
    untranscribed: float | None = None

    @property
    def matches(self) -> bool:
        """Whether the transcript was accepted (and :attr:`alignment` is set)."""
        return not self.reason and self.alignment is not None

    def raise_if_mismatched(self) -> AlignmentResult:
        """Return the alignment, or raise :class:`~generators.errors.TranscriptError`."""
        if not self.matches or self.alignment is None:
            raise mismatch_error(self.reason or NO_ALIGNMENT)
        return self.alignment

    def diagnostics(self) -> dict[str, object]:
        """The evidence, rounded, for the take's provenance (``None``: not measured, or no
        finite value: no path through the words).

        Examples
        --------
        >>> CheckedAlignment("the words do not fit the sounds", score=float("-inf")).diagnostics()
        {'alignment_score': None, 'score_ratio': None, 'untranscribed_speech': None}
        """
        return {
            "alignment_score": _rounded(self.score, 2),
            "score_ratio": _rounded(self.ratio, 3),
            "untranscribed_speech": _rounded(self.untranscribed, 3),
        }


def _rounded(value: float | None, digits: int) -> float | None:
    return round(value, digits) if value is not None and math.isfinite(value) else None


def align_with_check(
    pcm: bytes,
    words: list[str],
    envelope: EnergyEnvelope,
    *,
    max_ratio: float = MAX_SCORE_RATIO,
    partial_ratio: float = PARTIAL_SCORE_RATIO,
    confirm_partial: bool = False,
    progress: ProgressSink | None = None,
    cancel: CancelToken | None = None,
) -> CheckedAlignment:
    """Check ``words`` against the audio and, when they fit, align them.

    Parameters
    ----------
    pcm
        16 kHz mono 16-bit PCM of the utterance.
    words
        Normalised words (at least one).
    envelope
        Loudness envelope of the same audio (starting at its first sample).
    max_ratio
        Score ratio (alignment over recognition) from which the words do not fit the sounds.
    partial_ratio
        Score ratio from which a transcript leaving much of the speech as silence is taken
        for a partial one (see :class:`~generators.rig.transcript_check.TranscriptCheck`).
    confirm_partial
        Before rejecting a confidently scored transcript as partial, compare it with phone
        recognition after all, and reject it only if the ratio reaches ``partial_ratio``
        (for stretches of noisy recordings, where background noise passes for speech).
    progress
        Receives 0..1 progress with short messages.
    cancel
        Checked between the passes.

    Returns
    -------
    CheckedAlignment
        Never raises for a transcript that does not fit: the reason is in the result.

    Raises
    ------
    Cancelled
        If ``cancel`` was triggered.
    """
    sink = progress or NullProgress()
    token = cancel or CancelToken()
    sink.report(0.0, f"checking that the {len(words)} words fit the audio")
    score = alignment_score(pcm, words)
    if score is None:
        return CheckedAlignment(NO_ALIGNMENT)
    check = TranscriptCheck(score)
    if not check.matches:
        return CheckedAlignment(check.reason, score=score)
    token.raise_if_cancelled()
    ratio = None
    recognition = None
    if needs_recognition(score):
        sink.report(0.3, "recognising phones for comparison")
        recognition = recognise_phones(pcm)
        ratio = score_ratio(score, recognition)
        check = TranscriptCheck(score, ratio, max_ratio=max_ratio)
        if not check.matches:
            return CheckedAlignment(check.reason, None, recognition, score, ratio)
        token.raise_if_cancelled()
    sink.report(0.65, f"aligning {len(words)} words to the audio")
    try:
        alignment = force_align(pcm, words)
    except TranscriptError:
        return CheckedAlignment(NO_ALIGNMENT, None, recognition, score, ratio)
    untranscribed = untranscribed_speech(alignment, envelope)
    check = TranscriptCheck(score, ratio, untranscribed, partial_ratio, max_ratio)
    if not check.matches and ratio is None and confirm_partial:
        token.raise_if_cancelled()
        sink.report(0.9, "recognising phones for comparison")
        recognition = recognise_phones(pcm)
        ratio = score_ratio(score, recognition)
        check = TranscriptCheck(score, ratio, untranscribed, partial_ratio, max_ratio)
    if not check.matches:
        return CheckedAlignment(check.reason, None, recognition, score, ratio, untranscribed)
    sink.report(1.0, "transcript aligned")
    return CheckedAlignment("", alignment, recognition, score, ratio, untranscribed)
