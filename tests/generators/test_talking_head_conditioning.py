"""Conditioning frames of a rig take: frame count, same poses as export, progress and cancel."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from generators.audio import AudioClip
from generators.base import GenerationRequest
from generators.errors import Cancelled, GeneratorError
from generators.progress import CancelToken, NullProgress
from generators.rig.generator import RigGenerator
from generators.take import CurveSet, EmotionTrack, Provenance, Take, VisemeTrack
from generators.talking_head.conditioning import conditioning_frame_count, conditioning_frames
from renderers.conditioning_render import NORMAL_BACKGROUND, ConditioningRenderer
from renderers.loaders import default_avatar
from tests.conftest import REPO_ROOT, Recorder, tone
from tests.renderers.helpers import shared_context

SIZE = (96, 64)
FPS = 12.0


@pytest.fixture(scope="module")
def take() -> Take:
    clip = AudioClip.from_samples(tone(0.9, 16000), 16000)
    request = GenerationRequest(clip, fps=30, seed=1)
    return RigGenerator().generate(request, progress=NullProgress(), cancel=CancelToken())


@pytest.fixture(scope="module")
def avatar():
    return default_avatar()


def test_yields_one_frame_per_tick_of_the_take(take, avatar):
    assert take.duration == pytest.approx(0.9)
    frames = list(conditioning_frames(take, avatar, size=SIZE, kinds=("depth", "normal"),
                                      fps=FPS, ctx=shared_context()))
    assert len(frames) == math.ceil(take.duration * FPS) == 11
    assert conditioning_frame_count(take, FPS) == 11
    assert conditioning_frame_count(take) == math.ceil(take.duration * take.fps)
    for frame in frames:
        assert set(frame) == {"depth", "normal"}
        for image in frame.values():
            assert image.shape == (SIZE[1], SIZE[0], 3) and image.dtype == np.uint8
        assert (frame["depth"] > 0).any() and (frame["normal"] != NORMAL_BACKGROUND).any()
    assert len({frame["depth"].tobytes() for frame in frames}) > 1  # the face moves
    assert frames[0]["depth"] is not frames[1]["depth"]  # safe to keep


def test_frame_i_is_the_take_at_i_over_fps(take, avatar):
    frames = list(conditioning_frames(take, avatar, size=SIZE, fps=FPS, ctx=shared_context()))
    assert all(set(f) == {"depth"} for f in frames)
    with ConditioningRenderer(avatar, *SIZE, ctx=shared_context()) as r:
        for i in (0, 5, 10):
            assert np.array_equal(frames[i]["depth"], r.render(take.pose_at(i / FPS), "depth"))


def test_the_take_s_own_rate_and_its_own_context_by_default(avatar):
    still = Take(CurveSet.zeros(10, 4), VisemeTrack(), EmotionTrack(), Provenance("rig", "t"))
    frames = list(conditioning_frames(still, avatar, size=(32, 32), kinds="normal"))
    assert len(frames) == 4
    assert all(np.array_equal(f["normal"], frames[0]["normal"]) for f in frames)


def test_progress_is_reported_after_every_frame(take, avatar):
    rec = Recorder()
    count = sum(1 for _ in conditioning_frames(take, avatar, size=SIZE, fps=FPS, progress=rec,
                                               ctx=shared_context()))
    fractions = [f for f, _ in rec.events]
    assert len(rec.events) == count + 1 and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions)
    assert rec.events[-1][1] == f"conditioning frame {count}/{count}"


def test_cancel_stops_at_the_next_frame(take, avatar):
    token = CancelToken()
    seen = []
    frames = conditioning_frames(take, avatar, size=SIZE, fps=FPS, cancel=token,
                                 ctx=shared_context())
    with pytest.raises(Cancelled):
        for frame in frames:
            seen.append(frame)
            if len(seen) == 2:
                token.cancel()
    assert len(seen) == 2


def test_bad_requests_are_rejected_at_once(take, avatar):
    with pytest.raises(GeneratorError, match="unknown conditioning kind 'canny'"):
        conditioning_frames(take, avatar, kinds=("depth", "canny"))
    with pytest.raises(GeneratorError, match="no conditioning kind"):
        conditioning_frames(take, avatar, kinds=())
    with pytest.raises(GeneratorError, match="above 0 fps"):
        conditioning_frames(take, avatar, fps=0)
    with pytest.raises(GeneratorError, match="outside 1..8192"):
        conditioning_frames(take, avatar, size=(0, 512))
    with pytest.raises(GeneratorError, match="width, height"):
        conditioning_frames(take, avatar, size=512)  # type: ignore[arg-type]
    empty = Take(CurveSet.zeros(30, 0), VisemeTrack(), EmotionTrack(), Provenance("rig", "t"))
    with pytest.raises(GeneratorError, match="empty"):
        conditioning_frames(empty, avatar)


def test_importing_it_loads_no_torch():
    code = ("import sys, generators.talking_head.conditioning; "
            "sys.exit(bool({'torch', 'diffusers'} & set(sys.modules)))")
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT).returncode == 0
