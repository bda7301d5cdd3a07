"""Speaker adaptation of the acoustic model for the aligner: the mean transform found from
frames drawn from known Gaussians, the file PocketSphinx reads, and its place in the
transcript alignment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.lipsync_reference import reference_clips
from generators.audio import AudioClip
from generators.errors import TranscriptError
from generators.rig import transcript_alignment
from generators.rig.acoustic_model import acoustic_model
from generators.rig.energy import energy_envelope
from generators.rig.forced_alignment import force_align, word_path
from generators.rig.gaussian_scores import SCORE_UNIT_NATS, model_gaussians
from generators.rig.phone_posteriors import LOOP_PHONES
from generators.rig.phone_recognition import loop_scores
from generators.rig.speaker_adaptation import (
    MIN_FRAMES,
    MeanTransform,
    mean_transform,
    path_states,
    write_transform,
)
from generators.rig.sphinx import pcm16
from generators.rig.text_normalise import normalise_transcript
from generators.rig.transcript_alignment import align_with_check

IDENTITY = np.concatenate([np.zeros((3, 13, 1)), np.tile(np.eye(13), (3, 1, 1))], axis=2)


def _true_transform(rng: np.random.Generator) -> np.ndarray:
    """A voice unlike the model's average: every mean scaled, tilted and shifted a little."""
    out = IDENTITY.copy()
    out[:, :, 1:] += 0.08 * rng.standard_normal((3, 13, 13))
    out[:, :, 1:] *= 0.9
    out[0, :, 0] = 0.4 * rng.standard_normal(13)
    return out


def _frames_from_the_model(
    transform: np.ndarray, n_frames: int, seed: int = 1
) -> tuple[np.ndarray, list[tuple[str, int, int, int]]]:
    """Features drawn from the model's Gaussians with transformed means, and their states."""
    rng = np.random.default_rng(seed)
    g, model = model_gaussians(), acoustic_model()
    means = MeanTransform(transform, 0).apply(g.means)
    speech = [p for p in model.phones if p.isalpha() and p != "SIL"]
    states, x = [], np.empty((n_frames, 3, 13))
    t = 0
    while t < n_frames:
        phone, state = speech[rng.integers(len(speech))], int(rng.integers(model.n_states))
        count = min(int(rng.integers(3, 12)), n_frames - t)
        states.append((phone, state, t, count))
        c = model.phones.index(phone)
        senone = model.ci_senones[c, state]
        for f in range(3):
            weights = np.exp(-g.mixture_weights[f][:, senone] * SCORE_UNIT_NATS)
            pick = rng.choice(len(weights), size=count, p=weights / weights.sum())
            noise = rng.standard_normal((count, 13)) * np.sqrt(g.variances[c, f, pick])
            x[t : t + count, f] = means[c, f, pick] + noise
        t += count
    return x, states


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


def test_the_transform_explains_new_frames_of_the_same_voice() -> None:
    truth = _true_transform(np.random.default_rng(7))
    x, states = _frames_from_the_model(truth, 4000)
    found = mean_transform(x, states, prior_frames=0.0)
    assert found is not None and found.frames == 4000
    # On frames it has not seen, the adapted model gains most of what the true means would.
    new_x, new_states = _frames_from_the_model(truth, 2000, seed=99)
    g = model_gaussians()
    before = _log_likelihood(new_x, new_states, g.means)
    after = _log_likelihood(new_x, new_states, found.apply(g.means))
    best = _log_likelihood(new_x, new_states, MeanTransform(truth, 0).apply(g.means))
    assert (after - before) > 0.7 * (best - before) > 0
    # another round of estimation, with the frames assigned as the first round moved the
    # Gaussians, gains more
    again = mean_transform(x, states, prior_frames=0.0, iterations=2)
    assert again is not None
    assert _log_likelihood(new_x, new_states, again.apply(g.means)) > after


def _log_likelihood(x: np.ndarray, states: list, means: np.ndarray) -> float:
    g, model = model_gaussians(), acoustic_model()
    total = 0.0
    for phone, state, start, count in states:
        c = model.phones.index(phone)
        senone = model.ci_senones[c, state]
        for f in range(3):
            d = x[start : start + count, f, None, :] - means[c, f]
            ll = -0.5 * np.sum(d * d / g.variances[c, f] + np.log(g.variances[c, f]), axis=2)
            ll -= g.mixture_weights[f][:, senone] * SCORE_UNIT_NATS
            top = ll.max(axis=1, keepdims=True)
            total += float(np.sum(top[:, 0] + np.log(np.exp(ll - top).sum(axis=1))))
    return total


def test_the_prior_keeps_a_few_words_near_no_change() -> None:
    truth = _true_transform(np.random.default_rng(3))
    x, states = _frames_from_the_model(truth, 80, seed=5)
    free = mean_transform(x, states, prior_frames=0.0)
    held = mean_transform(x, states, prior_frames=400.0)
    assert free is not None and held is not None
    assert _distance(held.matrices, IDENTITY) < 0.5 * _distance(free.matrices, IDENTITY)


def test_too_few_frames_give_no_transform() -> None:
    x, states = _frames_from_the_model(IDENTITY, MIN_FRAMES - 1)
    assert mean_transform(x, states) is None
    # frames of phones the model does not know do not count
    x, states = _frames_from_the_model(IDENTITY, 200)
    assert mean_transform(x, [("QQ", 0, 0, 200)]) is None


def test_the_file_is_what_the_decoder_reads(tmp_path: Path) -> None:
    transform = MeanTransform(_true_transform(np.random.default_rng(2)), 100)
    path = tmp_path / "mllr"
    write_transform(transform, path)
    values = path.read_text(encoding="ascii").split()
    assert values[:3] == ["1", "3", "13"]  # one class, three streams, 13 wide
    a = np.array(values[3 : 3 + 169], dtype=float).reshape(13, 13)
    b = np.array(values[3 + 169 : 3 + 182], dtype=float)
    assert np.allclose(a, transform.matrices[0, :, 1:], atol=1e-6)
    assert np.allclose(b, transform.matrices[0, :, 0], atol=1e-6)
    assert values[3 + 182 : 3 + 195] == ["1"] * 13
    assert len(values) == 3 + 3 * (1 + 195) - 1


@pytest.fixture(scope="module")
def mary(evaldata: Path) -> tuple[bytes, list[str], AudioClip]:
    clip = next((c for c in reference_clips() if c.name == "mary"), None)
    if clip is None:
        pytest.fail(f"reference clip 'mary' missing under {evaldata / 'alignment'}")
    audio = AudioClip.load(clip.audio)
    return pcm16(audio), normalise_transcript(clip.transcript), audio


def test_an_identity_transform_aligns_as_the_model_itself(mary: tuple) -> None:
    pcm, words, _ = mary
    plain = force_align(pcm, words)
    same = force_align(pcm, words, adaptation=MeanTransform(IDENTITY, 100))
    assert [(p.phone, p.start, p.end) for p in same.phones] == [
        (p.phone, p.start, p.end) for p in plain.phones
    ]
    # a transform the decoder really applies moves the path's scores
    shifted = IDENTITY.copy()
    shifted[0, 1:, 0] = 0.8
    moved = force_align(pcm, words, adaptation=MeanTransform(shifted, 100))
    assert [s for *_, s in moved.frame_scores] != [s for *_, s in plain.frame_scores]


def test_each_placed_word_is_split_into_its_states_in_order(mary: tuple) -> None:
    pcm, words, _ = mary
    placed = word_path(pcm, words)
    assert placed is not None
    assert [len(p) > 0 for p, _, _ in placed].count(True) == len(words)
    scores = loop_scores(pcm)
    states = path_states(placed, scores)
    for phones, start, end in placed:
        inside = [s for s in states if start <= s[2] < end]
        assert sum(s[3] for s in inside) == min(end, len(scores)) - start  # every frame once
        assert all(a[2] + a[3] == b[2] for a, b in zip(inside, inside[1:], strict=False))
        if phones and end - start >= 3 * len(phones):
            # left to right, every state of every phone once, in order
            assert [(p, k) for p, k, _, _ in inside] == [(p, k) for p in phones for k in range(3)]
    # the split lands close to where the decoder's own state-level pass puts the phones
    aligned = force_align(pcm, words)
    mine = np.full(len(scores), "", dtype=object)
    theirs = np.full(len(scores), "", dtype=object)
    for p, _, start, n in states:
        mine[start : start + n] = p
    for p, _, start, n in aligned.states:
        theirs[start : start + n] = "SIL" if p.startswith("+") else p
    assert np.mean(mine == theirs) > 0.7


def test_a_word_shorter_than_its_states_is_spread_over_them() -> None:
    scores = np.zeros((5, 2, len(LOOP_PHONES), 3), dtype=np.float32)  # 5 frames, 12 states
    states = path_states([(("HH", "AH", "L", "OW"), 0, 5)], scores)
    assert sum(n for *_, n in states) == 5
    assert [p for p, *_ in states][0] == "HH" and [p for p, *_ in states][-1] == "OW"


def test_the_transcript_alignment_runs_on_the_adapted_model(mary: tuple) -> None:
    pcm, words, audio = mary
    checked = align_with_check(pcm, words, energy_envelope(audio))
    assert checked.matches and checked.adapted
    assert checked.diagnostics()["speaker_adapted"] is True


def test_an_adapted_pass_that_fails_falls_back_to_the_model_as_it_is(
    mary: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    pcm, words, audio = mary
    real = transcript_alignment.force_align

    def refuses_adapted(pcm: bytes, words: list[str], **kw: object) -> object:
        if kw.get("adaptation") is not None:
            raise TranscriptError("no path")
        return real(pcm, words, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(transcript_alignment, "force_align", refuses_adapted)
    checked = align_with_check(pcm, words, energy_envelope(audio))
    assert checked.matches and not checked.adapted
    plain = force_align(pcm, words)
    assert [p.phone for p in checked.alignment.phones] == [p.phone for p in plain.phones]
