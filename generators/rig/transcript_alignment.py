"""A transcript aligned to one utterance, with the transcript check along the way.

1. place the words with one cheap word-level pass
   (:func:`~generators.rig.forced_alignment.word_path`), score every phone state of every
   frame in numpy, and adapt the acoustic model's means to the voice from the frames the
   words cover (:mod:`~generators.rig.speaker_adaptation`);
2. force-align the words on the adapted model for the phone timings
   (:func:`~generators.rig.forced_alignment.force_align`). When the cheap pass finds no path,
   or the adapted alignment finds none or fails the check below, the words are aligned and
   checked on the model as it is, so the adaptation never costs a transcript its acceptance;
   no path at all rejects the transcript;
3. recognise phones freely on the (unadapted) scores
   (:func:`~generators.rig.phone_recognition.recognise_phones`), then compare how well the
   aligned path and the recognised one fit those same scores
   (:func:`~generators.rig.transcript_check.transcript_fit`,
   :func:`~generators.rig.transcript_check.score_ratio`);
4. measure how much loud audio the alignment leaves as silence
   (:func:`~generators.rig.transcript_check.untranscribed_speech`).

The scores stay with the result, so a rejected stretch of a long clip gets its lip timeline
without a transcript from them without scoring the audio again.

A whole clip goes through this once; a long clip split at its pauses goes through it once per
stretch (:mod:`~generators.rig.long_alignment`), where a rejected stretch falls back to the
phone recognition instead of failing the clip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from generators.errors import TranscriptError
from generators.progress import CancelToken, NullProgress, ProgressSink
from generators.rig.cepstra import cepstra
from generators.rig.energy import EnergyEnvelope
from generators.rig.forced_alignment import AlignmentResult, force_align, word_path
from generators.rig.gaussian_scores import features
from generators.rig.phone_recognition import RecognitionResult, loop_scores, recognise_phones
from generators.rig.speaker_adaptation import MeanTransform, mean_transform, path_states
from generators.rig.transcript_check import (
    MAX_SCORE_RATIO,
    PARTIAL_SCORE_RATIO,
    TranscriptCheck,
    score_ratio,
    transcript_fit,
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
        The phone and word timings (``None`` when rejected).
    recognition
        Free phone recognition of the same audio (``None``: no path through the words).
    score
        Fit per frame of the aligned path (``None``: no path).
    ratio
        Fit over recognition score (``None``: no path).
    untranscribed
        Share of the speech aligned to silence (``None``: no path).
    scores
        The audio's loop phone state scores
        (:func:`~generators.rig.phone_recognition.loop_scores`; ``None`` when not computed).
    adapted
        Whether the timings come from the model adapted to the voice.
    """

    reason: str
    alignment: AlignmentResult | None = None
    recognition: RecognitionResult | None = None
    score: float | None = None
    ratio: float | None = None
    untranscribed: float | None = None
    scores: np.ndarray | None = None
    adapted: bool = False

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
        {'alignment_score': None, 'score_ratio': None, 'untranscribed_speech': None, \
'speaker_adapted': False}
        """
        return {
            "alignment_score": _rounded(self.score, 2),
            "score_ratio": _rounded(self.ratio, 3),
            "untranscribed_speech": _rounded(self.untranscribed, 3),
            "speaker_adapted": self.adapted,
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
    progress: ProgressSink | None = None,
    cancel: CancelToken | None = None,
) -> CheckedAlignment:
    """Align ``words`` to the audio and check that they fit it.

    Parameters
    ----------
    pcm
        16 kHz mono 16-bit PCM of the utterance.
    words
        Normalised words (at least one).
    envelope
        Loudness envelope of the same audio (starting at its first sample).
    max_ratio
        Score ratio (fit over recognition) from which the words do not fit the sounds.
    partial_ratio
        Score ratio from which a transcript leaving much of the speech as silence is taken
        for a partial one (see :class:`~generators.rig.transcript_check.TranscriptCheck`).
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
    sink.report(0.0, f"placing {len(words)} words in the audio")
    placed = word_path(pcm, words)
    token.raise_if_cancelled()
    scores, adaptation = None, None
    if placed is not None:  # else the timing pass decides on the model as it is
        sink.report(0.2, "adapting the acoustic model to the voice")
        cep = cepstra(pcm)
        scores = loop_scores(pcm, cep=cep)
        adaptation = mean_transform(features(cep), path_states(placed, scores))
        token.raise_if_cancelled()
    sink.report(0.45, f"aligning {len(words)} words to the audio")
    outcome = CheckedAlignment(NO_ALIGNMENT, scores=scores)
    recognition = None
    for transform in [adaptation, None] if adaptation is not None else [None]:
        token.raise_if_cancelled()
        alignment = _aligned(pcm, words, transform)
        if alignment is None:
            continue
        token.raise_if_cancelled()
        if scores is None:
            scores = loop_scores(pcm)
        if recognition is None:
            sink.report(0.8, "recognising phones for comparison")
            recognition = recognise_phones(pcm, scores=scores)
        fit = transcript_fit(alignment, scores)
        ratio = score_ratio(fit, recognition)
        untranscribed = untranscribed_speech(alignment, envelope)
        check = TranscriptCheck(fit, ratio, untranscribed, partial_ratio, max_ratio)
        adapted = transform is not None
        if check.matches:
            sink.report(1.0, "transcript aligned")
            return CheckedAlignment(
                "", alignment, recognition, fit, ratio, untranscribed, scores, adapted
            )
        outcome = CheckedAlignment(
            check.reason, None, recognition, fit, ratio, untranscribed, scores, adapted
        )
    return outcome


def _aligned(
    pcm: bytes, words: list[str], adaptation: MeanTransform | None
) -> AlignmentResult | None:
    """The words aligned on the model (adapted by ``adaptation`` if given); ``None`` when no
    path through them fits the audio."""
    try:
        return force_align(pcm, words, adaptation=adaptation)
    except TranscriptError:
        return None
