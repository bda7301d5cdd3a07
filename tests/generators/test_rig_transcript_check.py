"""The transcript check on real speech: the aligned path and free recognition scored on one
table of acoustic scores, the ratio that separates right words from wrong ones, and the scores
handed on for a fallback without scoring the audio again."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.lipsync_reference import reference_clips
from generators.audio import AudioClip
from generators.rig.energy import energy_envelope
from generators.rig.forced_alignment import force_align
from generators.rig.phone_recognition import loop_scores, recognise_lip_phones
from generators.rig.sphinx import pcm16
from generators.rig.text_normalise import normalise_transcript
from generators.rig.transcript_alignment import NO_ALIGNMENT, align_with_check
from generators.rig.transcript_check import MAX_SCORE_RATIO, transcript_fit


@pytest.fixture(scope="module")
def clips(evaldata: Path) -> dict:
    found = {c.name: c for c in reference_clips()}
    if not {"bobby", "mary"} <= set(found):
        pytest.fail(f"reference clips 'bobby' and 'mary' missing under {evaldata / 'alignment'}")
    return found


def _check(clip: object, transcript: str) -> tuple[bytes, object]:
    audio = AudioClip.load(clip.audio)  # type: ignore[attr-defined]
    pcm = pcm16(audio)
    words = normalise_transcript(transcript)
    return pcm, align_with_check(pcm, words, energy_envelope(audio))


def test_the_aligned_states_cover_every_frame_in_order(clips: dict) -> None:
    clip = clips["mary"]
    result = force_align(pcm16(AudioClip.load(clip.audio)), normalise_transcript(clip.transcript))
    ends = [start + count for _, _, start, count in result.states]
    assert result.states[0][2] == 0 and result.n_frames - 1 <= ends[-1] <= result.n_frames
    assert all(s[2] == e for s, e in zip(result.states[1:], ends[:-1], strict=True))
    assert {state for _, state, _, _ in result.states} == {0, 1, 2}


def test_right_words_fit_close_to_free_recognition(clips: dict) -> None:
    for name in ("bobby", "mary"):
        pcm, checked = _check(clips[name], clips[name].transcript)
        assert checked.matches, (name, checked.reason)
        assert checked.score < 0.0
        assert 0.9 < checked.ratio < MAX_SCORE_RATIO, name
        assert abs(checked.scores.shape[0] - checked.alignment.n_frames) <= 1
        # the fit is the aligned path read off the very scores the recogniser used
        assert transcript_fit(checked.alignment, checked.scores) == checked.score
        assert np.array_equal(checked.scores, loop_scores(pcm))


def test_wrong_words_fit_far_worse(clips: dict) -> None:
    pcm, checked = _check(clips["bobby"], clips["mary"].transcript)
    if checked.reason == NO_ALIGNMENT:
        pytest.fail("the wrong sentence should still align, to exercise the ratio")
    assert not checked.matches
    assert checked.reason == "the words do not fit the sounds"
    assert checked.ratio >= MAX_SCORE_RATIO
    assert checked.alignment is None  # nothing to animate from


def test_a_fallback_reuses_the_check_scores(clips: dict) -> None:
    pcm, checked = _check(clips["bobby"], clips["mary"].transcript)
    again = recognise_lip_phones(pcm)
    reused = recognise_lip_phones(pcm, scores=checked.scores)
    assert reused.phones == again.phones
    assert np.array_equal(reused.pauses, again.pauses)
