"""The acoustic model scored in numpy: the front end's cepstra, the features, and agreement
with PocketSphinx's own senone scores on real speech and on a synthetic buzz."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.lipsync_reference import reference_clips
from generators.audio import AudioClip
from generators.rig.acoustic_model import acoustic_model
from generators.rig.cepstra import cepstra, read_cepstra_log
from generators.rig.gaussian_scores import (
    features,
    mixture_model,
    read_gaussians,
    read_mixture_weights,
    state_scores,
)
from generators.rig.phone_loop_path import best_path
from generators.rig.phone_posteriors import (
    LOOP_PHONES,
    loop_state_scores,
    pause_frames,
    phone_posteriors,
    phone_state_scores,
)
from generators.rig.senone_scores import REFERENCE_CONFIG, SenoneLogDecoder
from generators.rig.sphinx import pcm16

SR = 16000


def _buzz() -> AudioClip:
    """A hummed buzz shaped into syllables, with near-silence between them."""
    t = np.arange(3 * SR) / SR
    hum = sum(0.1 / k * np.sin(2 * np.pi * 150 * k * t) for k in range(1, 20))
    return AudioClip.from_samples((hum * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)) ** 2), SR)


def _reference(pcm: bytes) -> np.ndarray:
    model = acoustic_model()
    logged = SenoneLogDecoder(REFERENCE_CONFIG, model.n_senones)
    return logged.run(pcm, lambda block: phone_state_scores(block, model))


@pytest.mark.parametrize("which", ["speech", "buzz"])
def test_scores_agree_with_the_decoder_own(which: str, evaldata: Path) -> None:
    if which == "speech":
        clip = AudioClip.load(next(c for c in reference_clips() if c.name == "bobby").audio)
    else:
        clip = _buzz()
    pcm = pcm16(clip)
    ref = _reference(pcm)
    ours = loop_state_scores(state_scores(cepstra(pcm)))
    assert ours.shape == ref.shape
    diff = np.abs(ours - ref)
    # The decoder rounds in integer arithmetic: about one unit (0.1 nat) apart on average.
    assert diff.mean() < 2.0 and np.percentile(diff, 99) < 10.0, (diff.mean(), diff.max())
    assert np.all(ours.min(axis=(1, 2, 3)) == 0)  # each frame's best senone scores 0
    best_ref = ref[:, 1].reshape(len(ref), -1).argmin(axis=1)
    best_ours = ours[:, 1].reshape(len(ours), -1).argmin(axis=1)
    assert np.mean(best_ref == best_ours) > 0.85
    # What the lip sync and the language check read from them comes out the same.
    same = pause_frames(phone_posteriors(ours)) == pause_frames(phone_posteriors(ref))
    assert same.mean() > 0.97


def test_blocks_do_not_change_the_scores() -> None:
    cep = cepstra(pcm16(_buzz()))
    whole = state_scores(cep, block=4096)
    assert np.allclose(state_scores(cep, block=37), whole, atol=1e-3)


def test_features_normalise_by_the_frames_with_energy() -> None:
    cep = np.zeros((20, 13), dtype=np.float32)
    cep[:, 0] = np.r_[[-5.0] * 10, [4.0] * 10]  # half the frames have no energy
    cep[:, 1] = np.arange(20)
    x = features(cep)
    assert x.shape == (20, 3, 13)
    assert np.allclose(x[10:, 0, 0], 0.0)  # the mean of c0 is taken from the energetic half
    assert np.allclose(x[3:17, 1, 1], 4.0)  # delta over +-2 frames of a unit ramp
    assert np.allclose(x[4:16, 2, 1], 0.0)


def test_files_are_read_and_bad_ones_rejected(tmp_path: Path) -> None:
    mm = mixture_model()
    assert mm.n_codebooks == len(acoustic_model().phones) and mm.n_densities == 128
    with pytest.raises(ValueError, match="count does not match"):
        read_cepstra_log(np.array([14], ">i4").tobytes() + bytes(13 * 4))
    means = tmp_path / "means"
    means.write_bytes(b"s3\nendhdr\n" + np.array([0x11223344, 1, 1, 2, 3], "<u4").tobytes())
    with pytest.raises(ValueError, match="truncated"):
        read_gaussians(means)
    headless = tmp_path / "variances"
    headless.write_bytes(bytes(64))
    with pytest.raises(ValueError, match="no header"):
        read_gaussians(headless)
    dump = tmp_path / "sendump"
    text = b"cluster_count 16\0"
    dump.write_bytes(np.array([len(text)], "<i4").tobytes() + text + bytes(4))
    with pytest.raises(ValueError, match="clustered"):
        read_mixture_weights(dump)


def test_the_best_path_covers_every_frame_and_is_scored() -> None:
    scores = loop_state_scores(state_scores(cepstra(pcm16(_buzz()))))
    path = best_path(scores)
    starts = [start for _, start, _, _ in path]
    assert starts[0] == 0 and sum(count for _, _, count, _ in path) == len(scores)
    assert all(a + n == b for (_, a, n, _), b in zip(path, starts[1:], strict=False))
    assert all(count >= 3 for _, _, count, _ in path)  # three states, each at least a frame
    assert all(score <= 0 for *_, score in path)
    noise = sum(n for p, _, n, _ in path if LOOP_PHONES[p] in ("+SPN+", "+NSN+", "SIL"))
    assert noise > len(scores) / 3  # no English phone explains a buzz
