"""The rig generator end to end on real speech: Take, provenance, live edits, progress, cancel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.lipsync_metrics import CONTACT_MM, LipGauge
from bench.lipsync_reference import transcribed_clips
from generators.audio import AudioClip
from generators.base import GenerationRequest, Generator, create_generator
from generators.emotion import parse_prompt
from generators.errors import AudioError, Cancelled, GeneratorError, TranscriptError
from generators.progress import CancelToken, NullProgress
from generators.rig.gaze import EYE_LOOK_COLUMNS, eye_look_weights
from generators.rig.generator import RigAnalysis, RigGenerator
from generators.take import EmotionSegment, EmotionTrack, Take, frame_count
from renderers.arkit import ARKIT_INDEX, ARKIT_NAMES
from renderers.loaders import default_avatar
from tests.conftest import Recorder

MOUTH = np.array([n.startswith(("jaw", "mouth", "tongue")) for n in ARKIT_NAMES])


@pytest.fixture(scope="module")
def clip(evaldata: Path):
    return {c.name: c for c in transcribed_clips()}["Mark_neutral"]


@pytest.fixture(scope="module")
def audio(clip) -> AudioClip:
    return AudioClip.load(clip.audio)


@pytest.fixture(scope="module")
def furious() -> EmotionTrack:
    return EmotionTrack.constant("quietly furious", parse_prompt("quietly furious"))


@pytest.fixture(scope="module")
def take(audio: AudioClip, clip, furious: EmotionTrack) -> Take:
    request = GenerationRequest(audio, furious, clip.transcript, intensity=0.8, fps=30, seed=4)
    return RigGenerator().generate(request, progress=NullProgress(), cancel=CancelToken())


def test_registry_creates_the_rig_generator() -> None:
    gen = create_generator("rig")
    assert isinstance(gen, RigGenerator)
    assert isinstance(gen, Generator)
    assert gen.name == "rig" and gen.supports_live_edits and gen.version


def test_take_has_the_right_frames_and_ranges(take: Take, audio: AudioClip) -> None:
    n = frame_count(audio.duration, 30)
    assert take.curves.num_frames == n
    assert take.curves.weights.shape == (n, 52)
    assert take.curves.head_rotation.shape == (n, 3)
    assert take.curves.eye_rotation.shape == (n, 4)
    w = take.curves.weights
    assert w.min() >= 0.0 and w.max() <= 1.0
    assert take.duration == pytest.approx(audio.duration)
    assert take.audio_path == str(audio.source)
    assert take.visemes.method == "forced-alignment"
    assert take.visemes.visemes and take.visemes.phonemes
    assert take.visemes.phonemes[-1].end == pytest.approx(audio.duration, abs=0.03)


def test_provenance_records_how_it_was_made(take: Take, audio: AudioClip, clip) -> None:
    p = take.provenance
    assert p.generator == "rig" and p.version == RigGenerator.version
    assert p.seed == 4
    assert p.audio_sha256 == audio.sha256
    s = p.settings
    assert s["fps"] == 30 and s["intensity"] == 0.8
    assert s["prompts"] == [{"start": 0.0, "end": None, "prompt": "quietly furious"}]
    assert s["transcript_provided"] is True and s["transcript"] == clip.transcript
    assert s["lip_sync"] == "forced-alignment"
    assert "pocketsphinx" in s["speech_engine"]


def test_lips_close_on_every_bilabial(take: Take) -> None:
    bilabials = [p for p in take.visemes.phonemes if p.phone in ("P", "B", "M")]
    assert len(bilabials) >= 3
    gauge = LipGauge(default_avatar())
    for p in bilabials:
        pose = take.pose_at(0.5 * (p.start + p.end))
        # Sealed on the mesh, emotion included: the lips touch and are not pushed through.
        assert -3.0 <= gauge.gap_mm(pose.weights)[0] <= CONTACT_MM, p


def test_mouth_curves_are_smooth(take: Take) -> None:
    jumps = np.abs(np.diff(take.curves.weights[:, MOUTH], axis=0))
    assert jumps.max() <= 0.45


def test_emotion_shows_on_the_upper_face(take: Take) -> None:
    w = take.curves.weights
    assert w[:, ARKIT_INDEX["browDownLeft"]].mean() > 0.1  # furious brows


def test_blinks_and_motion_are_present(take: Take) -> None:
    blink = take.curves.weights[:, ARKIT_INDEX["eyeBlinkLeft"]]
    assert blink.max() > 0.6
    assert take.provenance.settings["blinks"] >= 1
    head = take.curves.head_rotation
    assert 0.05 < np.abs(head).max() < 8.0
    assert np.abs(take.curves.eye_rotation).max() > 0.5


def test_generation_is_deterministic_for_a_seed(audio: AudioClip, clip, take: Take,
                                                furious: EmotionTrack) -> None:  # fmt: skip
    gen = RigGenerator()
    req = GenerationRequest(audio, furious, clip.transcript, intensity=0.8, fps=30, seed=4)
    again = gen.generate(req, progress=NullProgress(), cancel=CancelToken())
    assert np.array_equal(again.curves.weights, take.curves.weights)
    assert np.array_equal(again.curves.head_rotation, take.curves.head_rotation)
    req.seed = 5
    other = gen.generate(req, progress=NullProgress(), cancel=CancelToken())
    assert not np.array_equal(other.curves.head_rotation, take.curves.head_rotation)


def test_live_edit_reuses_the_analysis(audio: AudioClip, clip) -> None:
    gen = RigGenerator()
    request = GenerationRequest(audio, transcript=clip.transcript, fps=30)
    analysis = gen.analyse(request)
    assert isinstance(analysis, RigAnalysis) and analysis.matches(request)
    neutral = gen.map(analysis, request)
    happy = EmotionTrack([EmotionSegment(1.0, None, "joyful", parse_prompt("joyful"))])
    edited = gen.map(
        analysis, GenerationRequest(audio, happy, clip.transcript, intensity=1.0, fps=60)
    )
    assert edited.curves.num_frames == frame_count(audio.duration, 60)
    smile = ARKIT_INDEX["mouthSmileLeft"]
    assert edited.curves.weights[:, smile].max() > neutral.curves.weights[:, smile].max() + 0.1
    # The phones are the same: only the mapping changed.
    assert edited.visemes.phonemes == neutral.visemes.phonemes
    with pytest.raises(GeneratorError, match="analyse again"):
        gen.map(analysis, GenerationRequest(audio, transcript="something else", fps=30))


def test_without_transcript_uses_phone_recognition(audio: AudioClip) -> None:
    take = RigGenerator().generate(
        GenerationRequest(audio, fps=24), progress=NullProgress(), cancel=CancelToken()
    )
    assert take.visemes.method == "phone-recognition"
    assert take.provenance.settings["transcript_provided"] is False
    assert take.curves.num_frames == frame_count(audio.duration, 24)
    assert take.curves.weights[:, ARKIT_INDEX["jawOpen"]].max() > 0.3


def test_progress_is_reported_in_order(audio: AudioClip, clip) -> None:
    rec = Recorder()
    RigGenerator().generate(
        GenerationRequest(audio, transcript=clip.transcript), progress=rec, cancel=CancelToken()
    )
    fractions = [f for f, _ in rec.events]
    assert fractions == sorted(fractions)
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(m for _, m in rec.events)
    assert any("align" in m for _, m in rec.events)


def test_cancel_stops_generation(audio: AudioClip, clip) -> None:
    token = CancelToken()

    class CancelWhileAligning:
        def report(self, fraction: float, message: str) -> None:
            if "align" in message:
                token.cancel()

    with pytest.raises(Cancelled):
        RigGenerator().generate(
            GenerationRequest(audio, transcript=clip.transcript),
            progress=CancelWhileAligning(),
            cancel=token,
        )


def test_bad_requests_are_rejected(audio: AudioClip) -> None:
    gen = RigGenerator()
    with pytest.raises(GeneratorError, match="fps"):
        gen.generate(GenerationRequest(audio, fps=0), progress=NullProgress(),
                     cancel=CancelToken())  # fmt: skip
    short = AudioClip.from_samples(np.zeros(800, np.float32), 16000)
    with pytest.raises(AudioError, match="too short"):
        gen.generate(GenerationRequest(short), progress=NullProgress(), cancel=CancelToken())
    with pytest.raises(TranscriptError, match="does not match"):
        gen.generate(
            GenerationRequest(audio, transcript="the beige hue on the waters of the loch"),
            progress=NullProgress(),
            cancel=CancelToken(),
        )


def test_eye_look_shapes_agree_with_eye_rotation(take: Take) -> None:
    look = list(EYE_LOOK_COLUMNS)
    expected = eye_look_weights(take.curves.eye_rotation)[:, look]
    assert np.allclose(take.curves.weights[:, look], expected, atol=1e-6)


def test_take_carries_viseme_shares_speech_and_expression_presets(take: Take) -> None:
    curves = take.curves
    n = curves.num_frames
    assert curves.visemes.shape == (n, 15) and curves.speech.shape == (n, 52)
    assert curves.expressions.shape == (n, 5)
    # The speech part never exceeds the mouth it is part of...
    mouth = curves.speech[:, MOUTH]
    assert mouth.max() > 0.3
    assert np.all(curves.speech[:, ~MOUTH] == 0.0)
    # ...the visemes move wherever the speech does, and "quietly furious" shows as angry.
    assert np.corrcoef(curves.visemes[:, 1:].sum(axis=1), mouth.sum(axis=1))[0, 1] > 0.6
    presets = curves.expressions.mean(axis=0)
    assert presets.argmax() == 1 and presets[1] > 0.1  # expression_angry
    pose = take.pose_at(1.0)
    assert pose.visemes is not None and pose.speech is not None and pose.expressions is not None
