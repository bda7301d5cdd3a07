"""The lip-sync analysis pass: audio (+ optional transcript) -> timed phones.

With a transcript: normalise it; score it against the audio and compare with free phone
recognition (rejecting a transcript that does not match, before paying for the timing pass);
then force-align it for the phone timings. Without one: phone recognition alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generators.audio import AudioClip
from generators.errors import TranscriptError
from generators.progress import CancelToken, NullProgress, ProgressSink
from generators.rig.energy import EnergyEnvelope, energy_envelope
from generators.rig.forced_alignment import (
    ALIGN_CONFIG,
    WordSegment,
    alignment_score,
    force_align,
)
from generators.rig.phone_recognition import recognise_phones
from generators.rig.pronunciation import Pronouncer
from generators.rig.sphinx import decoder, pcm16
from generators.rig.text_normalise import normalise_transcript
from generators.rig.transcript_check import (
    TranscriptCheck,
    needs_recognition,
    score_ratio,
    untranscribed_speech,
)
from generators.take import PhonemeSegment

__all__ = ["FORCED_ALIGNMENT", "PHONE_RECOGNITION", "SpeechAnalysis", "analyse_speech"]

FORCED_ALIGNMENT = "forced-alignment"
PHONE_RECOGNITION = "phone-recognition"

_MIN_PHONE_S = 0.03  # an HMM phone lasts at least 3 frames


@dataclass
class SpeechAnalysis:
    """Timed phones of a clip and how they were found.

    Parameters
    ----------
    phonemes
        Contiguous phone segments (``"SIL"`` for pauses).
    method
        :data:`FORCED_ALIGNMENT` or :data:`PHONE_RECOGNITION`.
    words
        Aligned words (forced alignment only).
    diagnostics
        Numbers worth keeping in the provenance (transcript check, guessed pronunciations).
    """

    phonemes: list[PhonemeSegment]
    method: str
    words: list[WordSegment] = field(default_factory=list)
    diagnostics: dict[str, object] = field(default_factory=dict)


def _check_length(words: list[str], duration: float) -> None:
    with decoder(ALIGN_CONFIG) as dec:
        pron = Pronouncer(dec.lookup_word)  # type: ignore[attr-defined]
        n_phones = sum(len(pron.pronounce(w).phones) for w in words)
    if n_phones * _MIN_PHONE_S > duration:
        raise TranscriptError(
            f"transcript does not match the audio (it is too long: {len(words)} words for "
            f"{duration:.1f} s of audio); check the transcript or omit it"
        )


def analyse_speech(
    clip: AudioClip,
    transcript: str | None,
    *,
    envelope: EnergyEnvelope | None = None,
    progress: ProgressSink | None = None,
    cancel: CancelToken | None = None,
) -> SpeechAnalysis:
    """Find the phones of ``clip`` and their timing.

    Parameters
    ----------
    clip
        The voice line (any sample rate; resampled to 16 kHz mono).
    transcript
        What is said, or ``None``/blank to recognise phones without one.
    envelope
        The clip's RMS envelope, if already computed.
    progress
        Receives progress 0..1 with short messages.
    cancel
        Checked between decoding passes.

    Returns
    -------
    SpeechAnalysis

    Raises
    ------
    TranscriptError
        If the transcript has no words, is too long for the audio, or does not match it.
    Cancelled
        If ``cancel`` was triggered.
    """
    sink = progress or NullProgress()
    token = cancel or CancelToken()
    pcm = pcm16(clip)
    if transcript is None or not transcript.strip():
        sink.report(0.0, "recognising phones (no transcript)")
        rec = recognise_phones(pcm)
        sink.report(1.0, "phones recognised")
        return SpeechAnalysis(rec.phones, PHONE_RECOGNITION)

    words = normalise_transcript(transcript)
    if not words:
        raise TranscriptError(
            "the transcript has no words (only punctuation or annotations); "
            "type what is said or omit it"
        )
    _check_length(words, clip.duration)
    env = envelope or energy_envelope(clip)
    sink.report(0.0, f"checking that the {len(words)} words fit the audio")
    score = alignment_score(pcm, words)
    if score is None:
        raise TranscriptError(
            "transcript does not match the audio (it cannot be aligned); "
            "check the transcript or omit it"
        )
    TranscriptCheck(score).raise_if_mismatched()
    token.raise_if_cancelled()
    ratio = None
    if needs_recognition(score):
        sink.report(0.3, "recognising phones for comparison")
        ratio = score_ratio(score, recognise_phones(pcm))
        TranscriptCheck(score, ratio).raise_if_mismatched()
        token.raise_if_cancelled()
    sink.report(0.65, f"aligning {len(words)} words to the audio")
    alignment = force_align(pcm, words)
    check = TranscriptCheck(score, ratio, untranscribed_speech(alignment, env))
    check.raise_if_mismatched()
    sink.report(1.0, "transcript aligned")
    diagnostics: dict[str, object] = {
        "alignment_score": round(score, 2),
        "score_ratio": None if ratio is None else round(ratio, 3),
        "untranscribed_speech": round(check.untranscribed_speech, 3),
        "words": len(words),
    }
    if alignment.derived_words:
        diagnostics["guessed_pronunciations"] = list(alignment.derived_words)
    return SpeechAnalysis(alignment.phones, FORCED_ALIGNMENT, alignment.words, diagnostics)
