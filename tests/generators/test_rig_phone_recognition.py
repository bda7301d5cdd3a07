"""Lip-sync phones without a transcript: the acoustic model reader, the senone log, the
posterior decoder, and its accuracy against the phone loop's best path on real and eSpeak speech.

Measured on the clips below (bench/bench_phone_recognition.py has the whole sets), best path ->
posterior timeline: viseme frame accuracy 0.59 -> 0.65 on real speech and 0.49 -> 0.57 on eSpeak
speech, p/b/m closed for 5 -> 14 of 15 and 22 -> 39 of 50 true ones, with 27 of 43 and 7 of 46
closures away from any true p/b/m (in pauses or on other consonants, mostly: the timeline
favours closures, see ``PosteriorSettings.closure_weight``). The bounds leave a margin for other
machines.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.bench_phone_recognition import Score, score_phones
from bench.lipsync_reference import (
    ESPEAK_SENTENCES,
    espeak_clip,
    espeak_missing,
    reference_clips,
)
from generators.audio import AudioClip
from generators.rig.acoustic_model import acoustic_model
from generators.rig.phone_posteriors import (
    LOOP_PHONES,
    PosteriorSettings,
    phone_posteriors,
    phone_state_scores,
    viseme_segments,
)
from generators.rig.phone_recognition import recognise_lip_phones, recognise_phones
from generators.rig.pronunciation import ARPABET
from generators.rig.senone_scores import (
    REFERENCE_CONFIG,
    SenoneLogDecoder,
    _blocks,
    read_senone_log,
)
from generators.rig.sphinx import pcm16

# ----------------------------------------------------------------------------- units


def test_acoustic_model_structure() -> None:
    model = acoustic_model()
    assert set(LOOP_PHONES) <= set(model.phones)
    assert model.n_senones > len(model.phones) * model.n_states
    # Every senone models one state of one phone; every state has its CI senone.
    assert model.senone_state.min() == 0
    assert model.senone_state.max() == len(model.phones) * model.n_states - 1
    ci = model.ci_senones
    keys = np.arange(len(model.phones))[:, None] * model.n_states + np.arange(model.n_states)
    assert np.array_equal(model.senone_state[ci], keys)
    # Left-to-right HMMs: staying and advancing are the only moves.
    total = np.exp(model.log_stay) + np.exp(model.log_advance)
    assert np.allclose(total, 1.0, atol=1e-5)


def test_senone_log_with_partly_scored_frames(tmp_path: Path) -> None:
    head = b"s3\nversion 0.1\nn_sen 4\nlogbase 1.000100\nendhdr\n"
    head += np.array([0x11223344], "<u4").tobytes()
    full = np.array([4, 0, 3, 5, 9], "<i2").tobytes()
    sparse = np.array([2], "<i2").tobytes() + bytes([1, 2]) + np.array([0, 7], "<i2").tobytes()
    scores = read_senone_log(head + full + sparse, 4)
    assert scores.tolist() == [[0, 3, 5, 9], [32767, 0, 32767, 7]]
    with pytest.raises(ValueError, match="another acoustic model"):
        read_senone_log(head + full, 5)
    with pytest.raises(ValueError, match="no header"):
        read_senone_log(full, 4)
    # Read in blocks from a file, a partly scored frame can make the log any length, odd too.
    odd = np.array([1], "<i2").tobytes() + bytes([3]) + np.array([2], "<i2").tobytes()
    log = tmp_path / "utt.sen"
    log.write_bytes(head + full + odd)
    blocks = list(_blocks(log, 4, 1))
    assert np.concatenate(blocks).tolist() == [[0, 3, 5, 9], [32767, 32767, 32767, 2]]


def test_senone_log_is_read_in_blocks(evaldata: Path) -> None:
    bobby = next(c for c in reference_clips() if c.name == "bobby")
    pcm = pcm16(AudioClip.load(bobby.audio))
    model = acoustic_model()
    logged = SenoneLogDecoder(REFERENCE_CONFIG, model.n_senones)
    whole = logged.run(pcm)
    assert whole.shape[1] == model.n_senones
    assert abs(len(whole) - logged.decoder.n_frames()) <= 1
    assert whole.min() == 0 and np.all(whole.min(axis=1) == 0)  # each frame's best is 0
    reduced = logged.run(pcm, lambda b: phone_state_scores(b, model), block=7)
    assert np.array_equal(reduced, phone_state_scores(whole, model))
    assert not list(logged._dir.glob("*.sen"))  # the log is deleted


def test_posteriors_are_distributions_and_follow_the_scores() -> None:
    model = acoustic_model()
    rng = np.random.default_rng(0)
    scores = rng.integers(30, 200, size=(40, model.n_senones)).astype(np.int16)
    # Frames 10-29: every senone of AA fits perfectly.
    aa = np.flatnonzero(model.senone_state // model.n_states == model.phones.index("AA"))
    scores[10:30, aa] = 0
    post = phone_posteriors(phone_state_scores(scores, model), PosteriorSettings(), model)
    assert post.shape == (40, len(LOOP_PHONES))
    assert np.all(post >= 0)
    assert np.allclose(post.sum(axis=1), 1.0)
    assert np.all(post[14:26].argmax(axis=1) == LOOP_PHONES.index("AA"))
    segs = viseme_segments(post, n_frames=42)
    assert segs[0].start == 0.0 and abs(segs[-1].end - 0.42) < 1e-9
    for a, b in zip(segs, segs[1:], strict=False):
        assert abs(a.end - b.start) < 1e-9 and a.phone != b.phone
    assert any(s.phone == "AA" and s.start <= 0.14 and s.end >= 0.26 for s in segs)


def _one_frame(**mass: float) -> np.ndarray:
    row = np.zeros((1, len(LOOP_PHONES)))
    for phone, p in mass.items():
        row[0, LOOP_PHONES.index(phone.replace("SPN", "+SPN+"))] = p
    return row


def test_the_timeline_favours_lip_closures_but_not_over_pauses() -> None:
    doubtful_closure = _one_frame(M=0.2, AA=0.5, IY=0.3)
    assert viseme_segments(doubtful_closure)[0].phone == "AA"  # the most probable viseme
    assert viseme_segments(doubtful_closure, closure_weight=4.0)[0].phone == "M"
    assert viseme_segments(_one_frame(M=0.1, AA=0.9), closure_weight=4.0)[0].phone == "AA"
    pause = _one_frame(SIL=0.5, M=0.3, AA=0.2)  # weighted, M would win; a pause stays a pause
    assert viseme_segments(pause, closure_weight=4.0)[0].phone == "SIL"


def test_spoken_noise_takes_the_likeliest_speech_viseme() -> None:
    assert viseme_segments(_one_frame(SPN=0.6, AA=0.3, SIL=0.1))[0].phone == "AA"
    assert viseme_segments(_one_frame(SPN=0.4, AA=0.2, SIL=0.4))[0].phone == "SIL"


def test_no_frames_is_silence() -> None:
    model = acoustic_model()
    post = phone_posteriors(phone_state_scores(np.zeros((0, model.n_senones), np.int16)))
    assert post.shape == (0, len(LOOP_PHONES))
    assert [(s.phone, s.end) for s in viseme_segments(post, 5)] == [("SIL", 0.05)]


# ----------------------------------------------------------------------------- accuracy


def _compare(clips: list) -> tuple[Score, Score]:
    loop, lips = Score(), Score()
    for clip in clips:
        audio = AudioClip.load(clip.audio)
        pcm = pcm16(audio)
        rec = recognise_lip_phones(pcm)
        phones = rec.phones
        assert phones[0].start == 0.0 and abs(phones[-1].end - audio.duration) <= 0.03
        for a, b in zip(phones, phones[1:], strict=False):
            assert abs(a.end - b.start) < 1e-9
        assert {p.phone for p in phones} <= ARPABET | {"SIL"}
        assert rec.frame_scores and rec.n_frames >= len(phones)
        loop.add(score_phones(recognise_phones(pcm).phones, list(clip.phones)))
        lips.add(score_phones(phones, list(clip.phones)))
    return loop, lips


def test_lip_phones_beat_the_best_path_on_real_speech(evaldata: Path) -> None:
    clips = [c for c in reference_clips() if c.name in ("acoustic_corpus", "bobby")]
    assert len(clips) == 2
    loop, lips = _compare(clips)
    old, new = loop.viseme_frames / loop.duration, lips.viseme_frames / lips.duration
    assert new >= 0.58 and new >= old + 0.05, (old, new)
    assert lips.hits >= 0.8 * lips.bilabials and lips.hits >= loop.hits + 6, (loop, lips)
    assert lips.false_closures <= 0.75 * lips.closures, (lips.false_closures, lips.closures)


def test_lip_phones_beat_the_best_path_on_espeak_speech(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    if missing := espeak_missing():  # installer/test.sh installs it: a missing tool fails
        pytest.fail(missing)
    out = tmp_path_factory.mktemp("espeak-phones")
    bilabial_rich = [ESPEAK_SENTENCES[i] for i in (0, 2, 5)]  # bag, mother, Peter Piper
    clips = []
    for i, text in enumerate(bilabial_rich):
        clips.append(espeak_clip(text, out, f"m{i}"))
        clips.append(espeak_clip(text, out, f"f{i}", voice="en-us+f3", rate=140))
    loop, lips = _compare(clips)
    old, new = loop.viseme_frames / loop.duration, lips.viseme_frames / lips.duration
    assert new >= 0.52 and new >= old + 0.05, (old, new)
    assert lips.hits >= 0.75 * lips.bilabials and lips.hits >= loop.hits + 12, (loop, lips)
    assert lips.false_closures <= 0.25 * lips.closures, (lips.false_closures, lips.closures)
