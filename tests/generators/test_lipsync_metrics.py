"""The lip-sync benchmark's metrics: lip contact on the mesh, closures, visemes, mouth shapes."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from bench.lipsync_metrics import (
    CONTACT_MM,
    LipGauge,
    closure_scores,
    openness_class,
    openness_correlation,
    read_exports,
    rhubarb_accuracy,
    viseme_accuracy,
)
from generators.audio import AudioClip
from generators.base import GenerationRequest
from generators.progress import CancelToken, NullProgress
from generators.rig.generator import RigGenerator
from generators.rig.visemes import viseme_table
from renderers.arkit import ARKIT_INDEX
from renderers.loaders import default_avatar
from studio.exporters.base import exporter_for


@pytest.fixture(scope="module")
def gauge() -> LipGauge:
    return LipGauge(default_avatar())


def pose(**weights: float) -> np.ndarray:
    w = np.zeros((1, 52))
    for name, value in weights.items():
        w[0, ARKIT_INDEX[name]] = value
    return w


def test_gauge_finds_the_lip_seam_and_measures_the_gap(gauge: LipGauge) -> None:
    assert gauge.seam_pairs >= 5
    assert abs(gauge.gap_mm(pose())[0]) < 0.1  # the default head rests with closed lips
    opened = gauge.gap_mm(pose(jawOpen=1.0))[0]
    assert 20.0 < opened < 50.0
    # In ARKit mouthClose cancels the jaw's lip opening.
    assert abs(gauge.gap_mm(pose(jawOpen=0.3, mouthClose=0.3))[0]) < 0.5
    # Every viseme but p/b/m parts the lips; p/b/m seal them without pushing them through.
    for name, spec in viseme_table().items():
        gap = gauge.gap_mm(spec.weights[None, :])[0]
        if name == "PP":
            assert -3.0 <= gap <= CONTACT_MM
        elif name != "sil":
            assert gap > CONTACT_MM, name


def test_gauge_refuses_a_mesh_without_a_seam() -> None:
    avatar = copy.deepcopy(default_avatar())  # the loader caches the default avatar
    skin = avatar.mesh("skin")
    skin.morph_targets = {"jawOpen": np.zeros_like(skin.positions)}
    with pytest.raises(ValueError, match="no lip seam"):
        LipGauge(avatar)


def test_closure_hits_and_onsets() -> None:
    fps = 100.0
    gap = np.full(100, 8.0)
    gap[30:40] = 0.0  # contact 0.30-0.39 s
    gap[70:75] = 0.0  # contact 0.70-0.74 s, after a pause: counted, not timed
    ref = [
        ("AA", 0.0, 0.32),
        ("B", 0.32, 0.40),
        ("AA", 0.40, 0.60),
        ("SIL", 0.60, 0.70),
        ("M", 0.70, 0.75),
        ("AA", 0.75, 0.85),
        ("P", 0.85, 0.90),  # no contact at all: a miss
        ("SIL", 0.90, 1.0),
    ]
    s = closure_scores(gap, fps, ref)
    assert (s.total, s.hits) == (3, 2)
    assert len(s.onset_errors) == 1 and s.onset_errors[0] == pytest.approx(0.021, abs=0.002)


def test_closure_after_an_unlabelled_gap_is_not_timed() -> None:
    """Aligners may leave a stop's silent closure unlabelled: the gap is a pause, and the lips
    closing in it are not timed against the burst that the reference calls the stop."""
    gap = np.full(100, 8.0)
    gap[25:35] = 0.0  # contact from 0.25 s, in the gap before the /p/'s burst
    touching = [("NG", 0.0, 0.25), ("P", 0.25, 0.32), ("AO", 0.32, 0.6)]
    gapped = [("NG", 0.0, 0.25), ("P", 0.30, 0.32), ("AO", 0.32, 0.6)]
    timed = closure_scores(gap, 100.0, touching)
    assert timed.hits == 1 and timed.onset_errors == [pytest.approx(0.0, abs=0.002)]
    untimed = closure_scores(gap, 100.0, gapped)
    assert (untimed.total, untimed.hits, untimed.onset_errors) == (1, 1, [])


def test_viseme_and_rhubarb_accuracy_penalise_wrong_shapes() -> None:
    ref = [("SIL", 0, 0.1), ("M", 0.1, 0.2), ("AA", 0.2, 0.4), ("SIL", 0.4, 0.5)]
    right = [("sil", 0, 0.1), ("PP", 0.1, 0.2), ("aa", 0.2, 0.4), ("sil", 0.4, 0.5)]
    wrong = [("sil", 0, 0.1), ("nn", 0.1, 0.2), ("aa", 0.2, 0.4), ("sil", 0.4, 0.5)]
    assert viseme_accuracy(right, ref) == 1.0
    assert viseme_accuracy(wrong, ref) == pytest.approx(2 / 3)
    cues = [("X", 0, 0.1), ("A", 0.1, 0.2), ("D", 0.2, 0.4), ("X", 0.4, 0.5)]
    assert rhubarb_accuracy(cues, ref) == 1.0
    assert rhubarb_accuracy([("X", 0, 0.1), ("B", 0.1, 0.2), *cues[2:]], ref) == pytest.approx(
        2 / 3
    )


def test_openness() -> None:
    assert [openness_class(p) for p in ("sil", "M", "S", "IY", "EH", "AA1")] == [0, 0, 1, 1, 2, 3]
    ref = [("SIL", 0, 0.2), ("AA", 0.2, 0.4), ("M", 0.4, 0.5), ("IY", 0.5, 0.7)]
    t = np.arange(70) / 100
    follows = np.interp(t, [0, 0.2, 0.3, 0.4, 0.45, 0.5, 0.6, 0.7], [0, 0, 20, 10, 0, 5, 5, 0])
    assert openness_correlation(follows, 100.0, ref) > 0.7
    assert openness_correlation(20.0 - follows, 100.0, ref) < -0.7


def test_exports_are_read_back(tmp_path: Path, demo_audio: Path, demo_transcript: str) -> None:
    take = RigGenerator().generate(
        GenerationRequest(AudioClip.load(demo_audio), transcript=demo_transcript),
        progress=NullProgress(),
        cancel=CancelToken(),
    )
    curves, cues = tmp_path / "t.json", tmp_path / "t.rhubarb.json"
    for dest in (curves, cues):
        exporter_for(dest).export(take, default_avatar(), dest, progress=NullProgress())
    got = read_exports(curves, cues)
    assert got.fps == 30.0
    np.testing.assert_allclose(got.weights, take.curves.weights, atol=1e-5)
    assert [v for v, _, _ in got.visemes] == [v.viseme for v in take.visemes.visemes]
    assert got.cues and got.cues[0][1] == 0.0
