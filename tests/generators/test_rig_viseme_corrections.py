"""The rig generator with a hand-corrected viseme timeline: the mouth follows the corrections,
and only around them; mouth cues follow too."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from generators.audio import AudioClip
from generators.base import GenerationRequest
from generators.errors import GeneratorError
from generators.mouth_cues import mouth_cues
from generators.rig.corrected_lipsync import EDIT_FADE_S, EDIT_HOLD_S, edit_weight
from generators.rig.generator import RigAnalysis, RigGenerator
from generators.rig.visemes import viseme_table
from generators.take import Take, VisemeSegment
from generators.viseme_edit import (
    VisemeEditError,
    delete_segment,
    insert_viseme,
    move_boundary,
    set_viseme,
)
from renderers.arkit import ARKIT_INDEX, ARKIT_NAMES
from tests.conftest import REPO_ROOT

DEMO = REPO_ROOT / "assets" / "demo"
MOUTH = np.array([n.startswith(("jaw", "mouth", "tongue")) for n in ARKIT_NAMES])
CLOSE = ARKIT_INDEX["mouthClose"]
JAW = ARKIT_INDEX["jawOpen"]
PP_CLOSE = viseme_table()["PP"].weight("mouthClose")
REACH = EDIT_HOLD_S + EDIT_FADE_S


@pytest.fixture(scope="module")
def setup() -> tuple[RigGenerator, RigAnalysis, GenerationRequest, Take]:
    clip = AudioClip.load(DEMO / "greeting.flac")
    text = (DEMO / "greeting.txt").read_text(encoding="utf-8").strip()
    gen = RigGenerator()
    request = GenerationRequest(clip, transcript=text, fps=30.0, seed=3)
    analysis = gen.analyse(request)
    return gen, analysis, request, gen.map(analysis, request)


def corrected(setup, edit) -> Take:
    gen, analysis, request, _ = setup
    return gen.map(analysis, replace(request, visemes=edit(analysis.viseme_timeline())))


def far_from(take: Take, start: float, end: float) -> np.ndarray:
    t = take.curves.times
    return (t < start - REACH - 0.05) | (t > end + REACH + 0.05)


def long_vowel(timeline: tuple[VisemeSegment, ...]) -> int:
    return max(
        (i for i, s in enumerate(timeline) if s.viseme in ("aa", "E", "oh")),
        key=lambda i: timeline[i].end - timeline[i].start,
    )


def test_the_analysed_timeline_gives_the_analysed_curves_exactly(setup) -> None:
    gen, analysis, request, take = setup
    timeline = analysis.viseme_timeline()
    assert timeline[0].start == 0.0 and timeline[-1].end == analysis.duration
    same = corrected(setup, lambda tl: tl)
    np.testing.assert_array_equal(same.curves.weights, take.curves.weights)
    assert same.visemes.edited and not take.visemes.edited
    assert same.provenance.settings["lip_sync_edited"] is True
    assert same.provenance.settings["visemes_edited"] == 0
    assert take.provenance.settings["lip_sync_edited"] is False


def test_changing_a_vowel_to_pp_closes_the_lips_there_and_only_there(setup) -> None:
    take = setup[3]
    timeline = setup[1].viseme_timeline()
    i = long_vowel(timeline)
    seg = timeline[i]
    mid = 0.5 * (seg.start + seg.end)
    before = take.curves.sample(mid)
    assert before[CLOSE] < 0.3 * PP_CLOSE and before[JAW] > 0.15  # an open vowel

    fixed = corrected(setup, lambda tl: set_viseme(tl, i, "PP"))
    after = fixed.curves.sample(mid)
    # lips shut: mouthClose cancels the jaw's opening, which is held near the p/b/m target
    assert after[CLOSE] == pytest.approx(after[JAW], abs=0.01)
    assert 0.75 * PP_CLOSE <= after[CLOSE] <= 2 * PP_CLOSE
    assert after[CLOSE] > 3 * before[CLOSE] + 0.01
    assert after[JAW] < 0.5 * before[JAW]
    away = far_from(fixed, seg.start, seg.end)
    np.testing.assert_array_equal(
        fixed.curves.weights[away][:, MOUTH], take.curves.weights[away][:, MOUTH]
    )
    assert [s.viseme for s in fixed.visemes.visemes][i] == "PP"
    assert fixed.visemes.phonemes == take.visemes.phonemes  # the phones stay as analysed
    assert fixed.provenance.settings["visemes_edited"] == 1


def test_deleting_a_pp_removes_its_closure(setup) -> None:
    take = setup[3]
    timeline = setup[1].viseme_timeline()
    i = next(k for k, s in enumerate(timeline) if s.viseme == "PP")
    seg = timeline[i]
    mid = 0.5 * (seg.start + seg.end)
    assert take.curves.sample(mid)[CLOSE] > 0.9 * PP_CLOSE
    fixed = corrected(setup, lambda tl: delete_segment(tl, i))
    assert fixed.curves.sample(mid)[CLOSE] < 0.2 * PP_CLOSE
    assert all(s.viseme != "PP" or s.start != seg.start for s in fixed.visemes.visemes)


def test_inserting_a_pp_into_a_vowel_makes_a_closure(setup) -> None:
    timeline = setup[1].viseme_timeline()
    seg = timeline[long_vowel(timeline)]
    mid = 0.5 * (seg.start + seg.end)
    fixed = corrected(setup, lambda tl: insert_viseme(tl, mid, "PP"))
    assert fixed.curves.sample(mid)[CLOSE] > 0.9 * PP_CLOSE
    assert any(s.viseme == "PP" and s.start < mid < s.end for s in fixed.visemes.visemes)


def pp_after_a_long_segment(timeline: tuple[VisemeSegment, ...]) -> int:
    return next(
        k
        for k, s in enumerate(timeline)
        if k and s.viseme == "PP" and timeline[k - 1].end - timeline[k - 1].start > 0.1
    )


def test_moving_a_boundary_shifts_the_mouth_locally(setup) -> None:
    take = setup[3]
    timeline = setup[1].viseme_timeline()
    k = pp_after_a_long_segment(timeline)
    old = timeline[k].start
    fixed = corrected(setup, lambda tl: move_boundary(tl, k, old - 0.06))
    assert fixed.visemes.visemes[k].start == pytest.approx(old - 0.06)
    diff = np.abs(fixed.curves.weights - take.curves.weights)[:, MOUTH].max(axis=1)
    assert diff.max() > 0.05
    changed_t = fixed.curves.times[diff > 1e-6]
    assert changed_t.min() > timeline[k - 1].start - REACH - 0.05
    assert changed_t.max() < timeline[k].end + REACH + 0.05


def test_a_timeline_of_another_clip_is_refused(setup) -> None:
    gen, analysis, request, _ = setup
    short = (VisemeSegment("sil", 0.0, 1.0),)
    with pytest.raises(VisemeEditError, match="clip is") as info:
        gen.map(analysis, replace(request, visemes=short))
    assert isinstance(info.value, GeneratorError) and "\n" not in str(info.value)
    bad = tuple(replace(s, viseme="zz") if i == 2 else s
                for i, s in enumerate(analysis.viseme_timeline()))  # fmt: skip
    with pytest.raises(VisemeEditError, match="unknown viseme 'zz'"):
        gen.map(analysis, replace(request, visemes=bad))


def test_edit_weight_holds_then_fades() -> None:
    t = np.linspace(0.0, 2.0, 2001)
    w = edit_weight(t, [(0.8, 1.0)])
    assert np.all(w[(t >= 0.8 - EDIT_HOLD_S) & (t <= 1.0 + EDIT_HOLD_S)] == 1.0)
    assert np.all(w[(t < 0.8 - REACH) | (t > 1.0 + REACH)] == 0.0)
    assert np.all(np.diff(w[t >= 1.0]) <= 0) and np.all(np.diff(w[t <= 0.8]) >= 0)
    assert not edit_weight(t, []).any()


# ---------------------------------------------------------------------------- mouth cues


def _shape_at(cues, t: float) -> str:
    return next(c.shape for c in cues if c.start <= t < c.end)


def test_mouth_cues_follow_the_corrections(setup) -> None:
    take = setup[3]
    duration = take.duration
    timeline = setup[1].viseme_timeline()
    analysed = mouth_cues(take.visemes, duration)
    assert mouth_cues(corrected(setup, lambda tl: tl).visemes, duration) == analysed

    i = long_vowel(timeline)
    seg = timeline[i]
    mid = 0.5 * (seg.start + seg.end)
    assert _shape_at(analysed, mid) != "A"
    cues = mouth_cues(corrected(setup, lambda tl: set_viseme(tl, i, "PP")).visemes, duration)
    assert _shape_at(cues, mid) == "A"
    assert _shape_at(cues, seg.start + 0.01) == "A" and _shape_at(cues, seg.end - 0.01) == "A"
    # far from the correction the cues are the analysed ones
    far = [c for c in analysed if c.end < seg.start - 0.5 or c.start > seg.end + 0.5]
    assert far and all(c in cues for c in far)

    j = next(k for k, s in enumerate(timeline) if s.viseme == "PP")
    pp = timeline[j]
    assert _shape_at(analysed, 0.5 * (pp.start + pp.end)) == "A"
    cues = mouth_cues(corrected(setup, lambda tl: delete_segment(tl, j)).visemes, duration)
    assert _shape_at(cues, 0.5 * (pp.start + pp.end)) != "A"


def test_a_nudged_boundary_extends_the_phone_shape(setup) -> None:
    take = setup[3]
    timeline = setup[1].viseme_timeline()
    analysed = mouth_cues(take.visemes, take.duration)
    # the longest p/b/m whose closed cue starts with it (after a short sound that sound's cue
    # is held to its minimum length, into the closure; a short closure keeps its cue's)
    k = max(
        (
            k
            for k, s in enumerate(timeline)
            if k and s.viseme == "PP" and _shape_at(analysed, s.start + 0.015) == "A"
        ),
        key=lambda k: timeline[k].end - timeline[k].start,
    )
    old = timeline[k].start
    cues = mouth_cues(
        corrected(setup, lambda tl: move_boundary(tl, k, old + 0.03)).visemes, take.duration
    )
    # the viseme before the boundary now lasts longer, with its own phone's shape
    assert _shape_at(cues, old + 0.015) == _shape_at(cues, old - 0.015) != "A"
    assert _shape_at(cues, old + 0.045) == "A"
