"""Synthetic takes for the exporter tests, built from the core dataclasses only.

Nothing here runs the rig generator or the renderer: curves are closed-form functions of time,
the lip-sync track is written by hand, the audio is a tone written with soundfile, and the
video tests draw frames with a tiny fake renderer whose grey level encodes ``jawOpen``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from generators.take import (
    CurveSet,
    EmotionSegment,
    EmotionState,
    EmotionTrack,
    PhonemeSegment,
    Provenance,
    Take,
    VisemeTrack,
    frame_count,
)
from renderers.arkit import ARKIT_INDEX, NUM_SHAPES
from renderers.pose import Pose
from tests.conftest import Recorder

# "Mama, five fools": silence, M AA M AA, pause, F AY V, F UW L Z, W, silence.
PHONES: list[tuple[str, float, float]] = [
    ("SIL", 0.00, 0.20),
    ("M", 0.20, 0.28), ("AA", 0.28, 0.45), ("M", 0.45, 0.52), ("AA", 0.52, 0.70),
    ("SIL", 0.70, 1.10),
    ("F", 1.10, 1.20), ("AY", 1.20, 1.42), ("V", 1.42, 1.52),
    ("F", 1.52, 1.62), ("UW", 1.62, 1.80), ("L", 1.80, 2.05), ("Z", 2.05, 2.15),
    ("W", 2.15, 2.25), ("UW", 2.25, 2.40),
    ("SIL", 2.40, 2.80),
]  # fmt: skip


def synthetic_curves(fps: float, n: int) -> CurveSet:
    """Every column a different smooth curve in 0..1; head and eyes swing a few degrees."""
    t = np.arange(n, dtype=np.float64)[:, None] / fps
    k = np.arange(NUM_SHAPES, dtype=np.float64)[None, :]
    weights = 0.5 + 0.5 * np.sin(2 * np.pi * (0.3 + 0.05 * k) * t + k)
    weights[:, ARKIT_INDEX["jawOpen"]] = np.clip(t[:, 0] / max(n / fps, 1e-9), 0, 1)
    weights[:, ARKIT_INDEX["jawLeft"]] = 0.25
    weights[:, ARKIT_INDEX["jawRight"]] = 0.0
    weights[:, ARKIT_INDEX["mouthLeft"]] = 0.75
    weights[:, ARKIT_INDEX["mouthRight"]] = 0.125
    head = np.stack([10 * np.sin(t[:, 0]), -5 * np.cos(t[:, 0]), 3 * np.sin(2 * t[:, 0])], 1)
    eyes = np.stack([8 * np.sin(3 * t[:, 0]), -4.5 + 0 * t[:, 0], 7 * np.sin(3 * t[:, 0]),
                     -4.0 + 0 * t[:, 0]], 1)  # fmt: skip
    return CurveSet(fps, weights.astype(np.float32), head, eyes)


def make_take(
    folder: Path,
    *,
    duration: float = 2.8,
    fps: float = 30.0,
    rate: int = 16000,
    audio: bool = True,
) -> Take:
    """A take with curves, phones, a two-prompt emotion track and (optionally) a wav file."""
    audio_path = ""
    if audio:
        folder.mkdir(parents=True, exist_ok=True)
        t = np.arange(int(round(duration * rate))) / rate
        samples = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
        audio_path = str(folder / "line.wav")
        sf.write(audio_path, samples, rate)
    n = frame_count(duration, fps)
    phones = [PhonemeSegment(p, s, e) for p, s, e in PHONES if s < duration]
    calm = EmotionState.neutral()
    happy = EmotionState({"happiness": 0.8, "surprise": 0.2}, 0.9, 0.7, 0.4, 0.2)
    emotion = EmotionTrack(
        [EmotionSegment(0.0, 1.0, "calm", calm), EmotionSegment(1.0, None, "happy", happy)]
    )
    prov = Provenance(
        "rig", "0.1.0", {"fps": fps, "prompt": "happy", "size": (320, 240)}, 7, "ab" * 32
    )
    return Take(
        synthetic_curves(fps, n),
        VisemeTrack(phones, [], "forced-alignment"),
        emotion,
        prov,
        audio_path,
        duration,
    )


@pytest.fixture
def take(tmp_path: Path) -> Take:
    """A 2.8 s take at 30 fps with its wav in ``tmp_path / 'audio'``."""
    return make_take(tmp_path / "audio")


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    """An empty output folder (separate from the audio folder, so listings stay exact)."""
    d = tmp_path / "out"
    d.mkdir()
    return d


class GreyRenderer:
    """Fake renderer: the whole frame's grey level is ``jawOpen * 255``; a green bar marks yaw."""

    def __init__(self, width: int, height: int, fail_at: int | None = None) -> None:
        self.width, self.height = width, height
        self.fail_at = fail_at
        self.calls = 0

    def render(self, pose: Pose) -> np.ndarray:
        if self.fail_at is not None and self.calls >= self.fail_at:
            raise RuntimeError("GL context lost")
        self.calls += 1
        level = int(round(pose.weight("jawOpen") * 255))
        return np.full((self.height, self.width, 3), level, dtype=np.uint8)


def grey_factory(fail_at: int | None = None):
    """A renderer factory for :class:`~studio.exporters.video.VideoExporter`."""

    @contextlib.contextmanager
    def factory(avatar, width: int, height: int) -> Iterator[GreyRenderer]:
        yield GreyRenderer(width, height, fail_at)

    return factory


@pytest.fixture
def take_factory():
    """:func:`make_take`, for tests that need a take of another length, rate or without audio."""
    return make_take


@pytest.fixture
def renderer_factory():
    """:func:`grey_factory`: ``renderer_factory(fail_at=None)`` -> a fake renderer factory."""
    return grey_factory


@pytest.fixture
def recorder() -> Recorder:
    """A progress sink that records events."""
    return Recorder()
