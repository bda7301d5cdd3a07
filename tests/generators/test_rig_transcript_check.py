"""The transcript check on real speech: the aligned path and free recognition scored on one
table of acoustic scores, the ratio that separates right words from wrong ones, and the scores
handed on for a fallback without scoring the audio again."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.lipsync_reference import reference_clips
from generators.audio import AudioClip
from generators.rig import transcript_alignment
from generators.rig.energy import energy_envelope
from generators.rig.forced_alignment import AlignmentResult, force_align
from generators.rig.phone_posteriors import LOOP_PHONES
from generators.rig.phone_recognition import loop_scores, recognise_lip_phones
from generators.rig.sphinx import pcm16
from generators.rig.text_normalise import normalise_transcript
from generators.rig.transcript_alignment import NO_ALIGNMENT, align_with_check
from generators.rig.transcript_check import MAX_SCORE_RATIO, best_state_split, transcript_fit


@pytest.fixture(scope="module")
def clips(evaldata: Path) -> dict:
    found = {c.name: c for c in reference_clips()}
    if not {"bobby", "mary"} <= set(found):
        pytest.fail(f"reference clips 'bobby' and 'mary' missing under {evaldata / 'alignment'}")
    return found


@pytest.fixture(scope="module")
def demo_clip(demo_audio: Path, demo_transcript: str) -> tuple[AudioClip, list[str]]:
    return AudioClip.load(demo_audio), normalise_transcript(demo_transcript)


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


def test_a_phone_is_judged_by_its_best_split_among_its_states() -> None:
    rng = np.random.default_rng(3)
    for _ in range(200):
        frames = rng.random((int(rng.integers(3, 10)), 3))
        n = len(frames)
        brute = min(
            frames[:i, 0].sum() + frames[i:j, 1].sum() + frames[j:, 2].sum()
            for i in range(1, n - 1)
            for j in range(i + 1, n)
        )
        assert best_state_split(frames) == pytest.approx(brute)
    with pytest.raises(ValueError, match="cannot cover"):
        best_state_split(np.zeros((2, 3)))


def test_the_fit_does_not_depend_on_how_the_aligner_split_a_pause() -> None:
    table = np.full((40, 2, len(LOOP_PHONES), 3), 9.0, dtype=np.float32)
    table[:, :, LOOP_PHONES.index("SIL"), 2] = 0.0  # the pause fits its last state only
    table[30:, :, LOOP_PHONES.index("AA")] = 0.0

    def fit(pause_states: list[tuple[str, int, int, int]]) -> float:
        path = AlignmentResult(
            [],
            [],
            n_frames=40,
            states=[*pause_states, ("AA", 0, 30, 4), ("AA", 1, 34, 3), ("AA", 2, 37, 3)],
        )
        return transcript_fit(path, table)

    early = fit([("SIL", 0, 0, 28), ("SIL", 1, 28, 1), ("SIL", 2, 29, 1)])
    late = fit([("SIL", 0, 0, 1), ("SIL", 1, 1, 1), ("SIL", 2, 2, 28)])
    assert early == late == pytest.approx(-18.0 / 40)  # one frame each in states 0 and 1
    # a phone in the wrong place still costs what it costs
    table[:, :, LOOP_PHONES.index("AA")] = 9.0
    assert fit([("SIL", 0, 0, 1), ("SIL", 1, 1, 1), ("SIL", 2, 2, 28)]) == pytest.approx(
        early - 90 / 40
    )


def test_long_digital_silence_does_not_cost_the_right_words(demo_clip: tuple) -> None:
    audio, words = demo_clip
    sr = audio.sample_rate
    for padded in (
        np.r_[audio.samples, np.zeros(15 * sr, np.float32)],
        np.r_[np.zeros(10 * sr, np.float32), audio.samples],
    ):
        clip = AudioClip.from_samples(padded, sr)
        checked = align_with_check(pcm16(clip), words, energy_envelope(clip))
        assert checked.matches, (checked.reason, checked.ratio)
        assert checked.ratio < 1.8


def test_an_adapted_alignment_that_fails_the_check_gives_way_to_the_plain_one(
    demo_clip: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    audio, words = demo_clip
    real_fit = transcript_alignment.transcript_fit
    judged: list[bool] = []

    def first_fails(alignment: AlignmentResult, scores: np.ndarray) -> float:
        judged.append(True)
        return real_fit(alignment, scores) * (10.0 if len(judged) == 1 else 1.0)

    monkeypatch.setattr(transcript_alignment, "transcript_fit", first_fails)
    checked = align_with_check(pcm16(audio), words, energy_envelope(audio))
    assert len(judged) == 2
    assert checked.matches and not checked.adapted
    plain = force_align(pcm16(audio), words)
    assert [p.phone for p in checked.alignment.phones] == [p.phone for p in plain.phones]


def test_frames_the_path_skips_count_as_the_pause_s_first_state() -> None:
    table = np.zeros((20, 2, len(LOOP_PHONES), 3), dtype=np.float32)
    table[:, :, LOOP_PHONES.index("SIL"), 0] = 4.0
    states = [("AA", 0, 0, 3), ("AA", 1, 3, 3), ("AA", 2, 6, 4), ("AA", 0, 15, 5)]
    path = AlignmentResult([], [], n_frames=20, states=states)
    assert transcript_fit(path, table) == pytest.approx(-5 * 4.0 / 20)
