"""Emotion drives the whole rig performance: regions, the voice, blinks, gaze, head, lips."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from generators.audio import AudioClip
from generators.base import AnimationControls, GenerationRequest
from generators.emotion import parse_prompt
from generators.emotion.table import get_emotion_table
from generators.rig.generator import RigAnalysis, RigGenerator
from generators.take import EmotionSegment, EmotionTrack, Take
from renderers.arkit import ARKIT_INDEX

BROW_UP = ARKIT_INDEX["browInnerUp"]
SMILE = ARKIT_INDEX["mouthSmileLeft"]
FROWN = ARKIT_INDEX["mouthFrownLeft"]
JAW = ARKIT_INDEX["jawOpen"]


@pytest.fixture(scope="module")
def clip(demo_audio: Path) -> AudioClip:
    return AudioClip.load(demo_audio)


@pytest.fixture(scope="module")
def analysis(clip: AudioClip, demo_transcript: str) -> RigAnalysis:
    return RigGenerator().analyse(GenerationRequest(clip, EmotionTrack(), demo_transcript))


def take(
    analysis: RigAnalysis,
    clip: AudioClip,
    transcript: str,
    prompt: str | EmotionTrack | None,
    **controls: float,
) -> Take:
    if isinstance(prompt, EmotionTrack):
        track = prompt
    elif prompt is None:
        track = EmotionTrack()
    else:
        track = EmotionTrack.constant(prompt, parse_prompt(prompt))
    req = GenerationRequest(
        clip, track, transcript, fps=30, seed=5, controls=AnimationControls(**controls)
    )
    return RigGenerator().map(analysis, req)


def silent_frames(t: Take) -> np.ndarray:
    return np.array([t.visemes.viseme_at(i / t.fps) == "sil" for i in range(t.curves.num_frames)])


def test_voice_cues_are_measured(analysis: RigAnalysis) -> None:
    voice = analysis.voice
    assert voice is not None
    assert voice.arousal.times.size > 0 and np.isfinite(voice.arousal.arousal).all()
    assert voice.sentences, "the transcript's sentences get a valence"
    assert all(0 <= a < b <= analysis.duration + 1e-6 for a, b, _v, _c in voice.sentences)


def test_regional_prompt_reaches_the_take(analysis, clip, demo_transcript) -> None:
    t = take(analysis, clip, demo_transcript, "smiling mouth, sad eyes", follow_voice=0.0)
    happy = take(analysis, clip, demo_transcript, "happy", follow_voice=0.0)
    quiet = silent_frames(t)
    w, h = t.curves.weights[quiet], happy.curves.weights[quiet]
    assert w[:, BROW_UP].mean() > h[:, BROW_UP].mean() + 0.15  # sad brows
    assert w[:, SMILE].mean() > 0.2  # a smiling mouth
    assert w[:, FROWN].mean() < 0.05  # and not a sad one


def test_prompt_alone_when_follow_voice_is_zero(analysis, clip, demo_transcript) -> None:
    t = take(analysis, clip, demo_transcript, "furious", follow_voice=0.0)
    plain = dataclasses.replace(analysis, voice=None)
    ref = take(plain, clip, demo_transcript, "furious", follow_voice=0.0)
    np.testing.assert_array_equal(t.curves.weights, ref.curves.weights)
    states = t.emotion_states()
    assert {get_emotion_table().dominant_family(s.mixture) for s in states} == {"anger"}


def test_voice_alone_decides_without_a_prompt(analysis, clip, demo_transcript) -> None:
    t = take(analysis, clip, demo_transcript, None)
    c = t.emotion_curves
    assert c is not None and c.num_frames == t.curves.num_frames
    assert c.intensity.max() > 0.05  # the cheerful greeting shows through
    assert np.abs(c.vad[:, 1]).max() > 0.0
    plain = take(dataclasses.replace(analysis, voice=None), clip, demo_transcript, None)
    assert plain.emotion_curves is not None and plain.emotion_curves.intensity.max() == 0.0


def test_follow_voice_moves_the_prompt_toward_the_voice(analysis, clip, demo_transcript) -> None:
    v0 = take(analysis, clip, demo_transcript, "sad", follow_voice=0.0).emotion_curves
    v1 = take(analysis, clip, demo_transcript, "sad", follow_voice=1.0).emotion_curves
    assert v0 is not None and v1 is not None
    voice_only = take(analysis, clip, demo_transcript, None).emotion_curves
    assert voice_only is not None
    gap0 = np.abs(v0.vad[:, :2] - voice_only.vad[:, :2]).mean()
    gap1 = np.abs(v1.vad[:, :2] - voice_only.vad[:, :2]).mean()
    assert gap1 < 0.6 * gap0  # each cue counts as far as it is trusted
    np.testing.assert_allclose(v1.vad[:, 2], v0.vad[:, 2])  # no voice cue for dominance


def test_a_missing_cue_leaves_the_prompt_alone(analysis, clip, demo_transcript) -> None:
    voice = dataclasses.replace(analysis.voice, sentences=[])
    no_words = dataclasses.replace(analysis, voice=voice)
    prompt = take(no_words, clip, demo_transcript, "happy", follow_voice=0.0).emotion_curves
    voiced = take(no_words, clip, demo_transcript, "happy", follow_voice=1.0).emotion_curves
    assert prompt is not None and voiced is not None
    np.testing.assert_allclose(voiced.vad[:, 0], prompt.vad[:, 0])  # no transcript: no valence cue


def test_sadness_droops_and_joy_lifts(analysis, clip, demo_transcript) -> None:
    kw = {"follow_voice": 0.0}
    sad = take(analysis, clip, demo_transcript, "very sad", **kw)
    joy = take(analysis, clip, demo_transcript, "joyful", **kw)
    calm = take(analysis, clip, demo_transcript, "neutral", **kw)
    # positive pitch: chin down; positive eye pitch: looking down
    assert sad.curves.head_rotation[:, 1].mean() > calm.curves.head_rotation[:, 1].mean() + 1.0
    assert joy.curves.head_rotation[:, 1].mean() < calm.curves.head_rotation[:, 1].mean() - 1.0
    eye_pitch = lambda t: t.curves.eye_rotation[:, [1, 3]].mean()  # noqa: E731
    assert eye_pitch(sad) > eye_pitch(calm) + 1.0
    assert sad.curves.weights[:, JAW].max() < calm.curves.weights[:, JAW].max()


def test_arousal_speeds_the_blinks(analysis, clip, demo_transcript) -> None:
    kw = {"follow_voice": 0.0}
    calm = take(analysis, clip, demo_transcript, "calm", **kw).provenance.settings["blinks"]
    scared = take(analysis, clip, demo_transcript, "terrified", **kw).provenance.settings["blinks"]
    assert scared >= calm


def test_sudden_change_is_faster(analysis, clip, demo_transcript) -> None:
    def track(prompt: str, speed: float) -> EmotionTrack:
        happy, angry = parse_prompt("happy"), parse_prompt(prompt)
        first = EmotionSegment(0.0, 1.5, "happy", happy)
        return EmotionTrack([first, EmotionSegment(1.5, None, prompt, angry, speed)])

    brow = ARKIT_INDEX["browDownLeft"]
    slow = take(analysis, clip, demo_transcript, track("furious", 1.0), follow_voice=0.0)
    fast = take(analysis, clip, demo_transcript, track("suddenly furious", 3.0), follow_voice=0.0)
    i = round(1.65 * 30)
    assert fast.curves.weights[i, brow] > slow.curves.weights[i, brow] + 0.05
    late = round(3.0 * 30)
    assert abs(fast.curves.weights[late, brow] - slow.curves.weights[late, brow]) < 0.1
