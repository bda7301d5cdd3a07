"""Lip-sync timing against exact ground truth: speech synthesised at test time by eSpeak NG.

Needs the eSpeak NG shared library (Debian/Ubuntu: ``apt-get install espeak-ng
libespeak-ng1``; installer/test.sh installs it). ../shared/tools/espeak_truth.py writes the
audio and the engine's own phone timings (stop closures included), so the lips' timing can be
checked directly: each bilabial the voice makes must show closed lips in the take.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.lipsync_metrics import CONTACT_MM, LipGauge
from bench.lipsync_reference import (
    boundary_errors,
    espeak_clip,
    espeak_missing,
    viseme_frame_accuracy,
)
from generators.audio import AudioClip
from generators.base import GenerationRequest
from generators.progress import CancelToken, NullProgress
from generators.rig.generator import RigGenerator
from renderers.loaders import default_avatar


@pytest.fixture(scope="module", autouse=True)
def _needs_espeak() -> None:
    if missing := espeak_missing():  # installer/test.sh installs it: a missing tool fails
        pytest.fail(missing)


SENTENCES = {
    "bag": "Please pass me the blue paper bag, Bob.",
    "mother": "My mother made marmalade, muffins, and meatballs.",
    "shoes": "Ruth usually chooses the smooth blue shoes.",
}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out: Path = tmp_path_factory.mktemp("espeak")
    clips = {}
    for name, text in SENTENCES.items():
        clip = espeak_clip(text, out, name)
        take = RigGenerator().generate(
            GenerationRequest(AudioClip.load(clip.audio), transcript=text, fps=30),
            progress=NullProgress(),
            cancel=CancelToken(),
        )
        clips[name] = (clip, take)
    return clips


@pytest.mark.parametrize("name", list(SENTENCES))
def test_phone_timing_matches_the_synthesiser(synthetic: dict, name: str) -> None:
    clip, take = synthetic[name]
    hyp = [(p.phone, p.start, p.end) for p in take.visemes.phonemes]
    s = boundary_errors(hyp, clip.phones, phones=True).summary()
    # Measured: phone boundaries mean 18 ms, 94 % within 50 ms over 16 synthetic clips.
    assert s["matched"] >= 0.8, s
    assert s["within_50ms"] >= 0.85, s
    assert s["mean_ms"] <= 35, s
    assert viseme_frame_accuracy(hyp, clip.phones) >= 0.6


def test_lips_close_where_the_voice_makes_bilabials(synthetic: dict) -> None:
    gauge = LipGauge(default_avatar())
    closed = total = 0
    for clip, take in synthetic.values():
        for phone, start, end in clip.phones:
            if phone not in ("P", "B", "M"):
                continue
            total += 1
            pose = take.pose_at(0.5 * (start + end))
            closed += bool(gauge.gap_mm(pose.weights)[0] <= CONTACT_MM)  # on the mesh
    assert total >= 15
    assert closed / total >= 0.85, f"{closed}/{total} true bilabials show closed lips"


def test_lips_are_open_on_the_open_vowels(synthetic: dict) -> None:
    jaw = []
    for clip, take in synthetic.values():
        for phone, start, end in clip.phones:
            if phone in ("AA", "AE", "AO") and end - start >= 0.06:
                jaw.append(take.pose_at(0.5 * (start + end)).weight("jawOpen"))
    assert jaw and np.median(jaw) >= 0.3
