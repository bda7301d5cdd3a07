"""The lip-sync analysis pass: audio (+ optional transcript) -> timed phones.

With a transcript: normalise it; force-align it for the phone timings, on the acoustic model
adapted to the voice from a first, cheap placing of the words
(:mod:`~generators.rig.speaker_adaptation`), and check that it matches the audio by comparing
the aligned path with free phone recognition on the same acoustic scores, rejecting a
transcript that does not match (:mod:`~generators.rig.transcript_alignment`). A
clip longer than 30 s is aligned in pause-separated stretches, each checked on its own; a
stretch whose words do not fit falls back to phone recognition and the diagnostics say so
(:mod:`~generators.rig.long_alignment`). The /m/ of an aligned filled pause ("um") then starts
where its hum starts in the sound (:mod:`~generators.rig.filled_pauses`). Without a transcript:
phone recognition alone.

With ``language="other"`` (any language) the phones come from the sound alone
(:mod:`~generators.rig.acoustic_lipsync`) and a transcript is ignored. With ``"auto"`` and no
transcript, the same acoustic pass takes over when the English recogniser cannot explain the
voice (:mod:`~generators.rig.language_check`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from generators.audio import AudioClip
from generators.errors import TranscriptError
from generators.language import AUTO, OTHER, check_language
from generators.progress import CancelToken, NullProgress, ProgressSink
from generators.rig.acoustic_lipsync import ACOUSTIC, analyse_acoustics
from generators.rig.energy import EnergyEnvelope, energy_envelope
from generators.rig.filled_pauses import place_filled_pause_nasals
from generators.rig.forced_alignment import ALIGN_CONFIG, WordSegment
from generators.rig.language_check import english_confidence
from generators.rig.long_alignment import align_long_clip
from generators.rig.phone_recognition import recognise_lip_phones
from generators.rig.pronunciation import Pronouncer
from generators.rig.sphinx import decoder, pcm16
from generators.rig.text_normalise import normalise_transcript
from generators.rig.transcript_alignment import align_with_check
from generators.rig.voice_activity import SINGLE_UTTERANCE_MAX_S
from generators.take import PhonemeSegment

__all__ = ["ACOUSTIC", "FORCED_ALIGNMENT", "PHONE_RECOGNITION", "SpeechAnalysis", "analyse_speech"]

FORCED_ALIGNMENT = "forced-alignment"
PHONE_RECOGNITION = "phone-recognition"

_MIN_PHONE_S = 0.03  # an HMM phone lasts at least 3 frames

FRAME_CENTRE_S: float = 0.01
"""Seconds added to every phone boundary the English decoder reports.

The decoder (like other HMM aligners) times a phone from the start of its first 25.6 ms
analysis window, which lies about half a window before the sound it describes: against
eSpeak NG speech with exact timings the reported boundaries were 12 ms early (median; mean
14 ms) for vowels and consonants alike. Moving them by one 10 ms frame puts the mouth on the
sound (``bench/bench_lipsync.py``: viseme frame accuracy 0.748 -> 0.79 with a transcript)."""


@dataclass
class SpeechAnalysis:
    """Timed phones of a clip and how they were found.

    Parameters
    ----------
    phonemes
        Contiguous phone segments (``"SIL"`` for pauses).
    method
        :data:`FORCED_ALIGNMENT`, :data:`PHONE_RECOGNITION` or :data:`ACOUSTIC` (from the
        sound alone, any language).
    words
        Aligned words (forced alignment only).
    diagnostics
        Numbers worth keeping in the provenance (transcript check, guessed pronunciations;
        for a long clip each stretch with its method and why it fell back, see
        :meth:`~generators.rig.long_alignment.LongAlignment.diagnostics`).
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
        count = f"{len(words)} word" + ("" if len(words) == 1 else "s")
        seconds = f"{duration:.1f}" if duration >= 1.0 else f"{duration:.2f}"
        raise TranscriptError(
            f"transcript does not match the audio (it is too long: {count} for {seconds} s "
            "of audio); check the transcript or omit it"
        )


def _from_the_sound(clip: AudioClip, transcript: str | None, sink: ProgressSink) -> SpeechAnalysis:
    """``language="other"``: syllables, pauses and mouth shapes from acoustic features."""
    sink.report(0.0, "finding syllables and pauses in the sound")
    acoustic = analyse_acoustics(clip)
    diagnostics: dict[str, object] = {"language_mode": "acoustic", **acoustic.diagnostics}
    if transcript is not None and transcript.strip():
        diagnostics["transcript_ignored"] = True
    sink.report(1.0, "syllables found")
    return SpeechAnalysis(acoustic.phonemes, ACOUSTIC, diagnostics=diagnostics)


def _without_transcript(
    clip: AudioClip, pcm: bytes, language: str, sink: ProgressSink, token: CancelToken
) -> SpeechAnalysis:
    """English phone recognition; under ``"auto"``, the acoustic pass if it is unsure."""
    sink.report(0.0, "recognising phones (no transcript)")
    rec = recognise_lip_phones(pcm)
    if language != AUTO:
        sink.report(1.0, "phones recognised")
        return SpeechAnalysis(rec.phones, PHONE_RECOGNITION)
    token.raise_if_cancelled()
    sink.report(0.9, "checking how well English phones explain the voice")
    acoustic = analyse_acoustics(clip)
    confidence = english_confidence(rec, acoustic.speech)
    if confidence.low:
        sink.report(1.0, "syllables found (lip sync from the sound)")
        diagnostics: dict[str, object] = {
            "language_mode": "acoustic",
            "language_reason": confidence.reason,
            **confidence.diagnostics(),
            **acoustic.diagnostics,
        }
        return SpeechAnalysis(acoustic.phonemes, ACOUSTIC, diagnostics=diagnostics)
    sink.report(1.0, "phones recognised")
    diagnostics = {"language_mode": "en", **confidence.diagnostics()}
    return SpeechAnalysis(rec.phones, PHONE_RECOGNITION, diagnostics=diagnostics)


def analyse_speech(
    clip: AudioClip,
    transcript: str | None,
    *,
    language: str = AUTO,
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
    language
        ``"auto"``, ``"en"`` or ``"other"`` (see :mod:`generators.language`).
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
    GeneratorError
        If ``language`` is not one of the accepted values.
    TranscriptError
        If the transcript has no words, is too long for the audio, or does not match it.
    Cancelled
        If ``cancel`` was triggered.
    """
    sink = progress or NullProgress()
    token = cancel or CancelToken()
    if check_language(language) == OTHER:
        return _from_the_sound(clip, transcript, sink)
    speech = _with_the_english_model(clip, transcript, language, envelope, sink, token)
    return speech if speech.method == ACOUSTIC else _centred_on_frames(speech, clip.duration)


def _centred_on_frames(speech: SpeechAnalysis, duration: float) -> SpeechAnalysis:
    """Move the decoder's boundaries by :data:`FRAME_CENTRE_S`, keeping 0 and the end fixed."""

    def move(t: float) -> float:
        return t if t <= 0.0 or t >= duration else min(t + FRAME_CENTRE_S, duration)

    phones = [
        PhonemeSegment(p.phone, move(p.start), move(p.end), p.word)
        for p in speech.phonemes
        if move(p.end) > move(p.start)
    ]
    words = [
        WordSegment(w.word, move(w.start), move(w.end))
        for w in speech.words
        if move(w.end) > move(w.start)
    ]
    return SpeechAnalysis(phones, speech.method, words, speech.diagnostics)


def _with_the_english_model(
    clip: AudioClip,
    transcript: str | None,
    language: str,
    envelope: EnergyEnvelope | None,
    sink: ProgressSink,
    token: CancelToken,
) -> SpeechAnalysis:
    pcm = pcm16(clip)
    if transcript is None or not transcript.strip():
        return _without_transcript(clip, pcm, language, sink, token)

    words = normalise_transcript(transcript)
    if not words:
        raise TranscriptError(
            "the transcript has no words (only punctuation or annotations); "
            "type what is said or omit it"
        )
    _check_length(words, clip.duration)
    env = envelope or energy_envelope(clip)
    if clip.duration > SINGLE_UTTERANCE_MAX_S:
        long = align_long_clip(pcm, words, env, clip.duration, progress=sink, cancel=token)
        if long is not None:
            return _with_hummed_nasals(
                SpeechAnalysis(
                    long.phones, FORCED_ALIGNMENT, long.words, long.diagnostics(len(words))
                ),
                pcm,
            )
    checked = align_with_check(pcm, words, env, progress=sink, cancel=token)
    alignment = checked.raise_if_mismatched()
    diagnostics: dict[str, object] = {**checked.diagnostics(), "words": len(words)}
    if alignment.derived_words:
        diagnostics["guessed_pronunciations"] = list(alignment.derived_words)
    return _with_hummed_nasals(
        SpeechAnalysis(alignment.phones, FORCED_ALIGNMENT, alignment.words, diagnostics), pcm
    )


def _with_hummed_nasals(speech: SpeechAnalysis, pcm: bytes) -> SpeechAnalysis:
    """Filled pauses' /m/ started where their hum starts (:mod:`~generators.rig.filled_pauses`)."""
    samples = np.frombuffer(pcm, dtype=np.int16)
    phones, moved = place_filled_pause_nasals(speech.phonemes, samples)
    if not moved:
        return speech
    diagnostics = {**speech.diagnostics, "filled_pause_nasals_moved": moved}
    return SpeechAnalysis(phones, speech.method, speech.words, diagnostics)
