"""Tests of :mod:`studio.qt.timeline` on real widgets (offscreen platform, see conftest)."""

from __future__ import annotations

import ast
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QWheelEvent
from PySide6.QtWidgets import QApplication

from generators.take import (
    EmotionSegment,
    EmotionState,
    EmotionTrack,
    VisemeSegment,
    VisemeTrack,
)
from studio.qt.timeline import (
    ENVELOPE_BINS,
    MAX_VISEME_LABELS,
    PLAYHEAD_COLOUR,
    WAVEFORM_COLOUR,
    TimelineWidget,
    emotion_colour,
    minmax_envelope,
)

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "assets" / "demo"
SR = 48_000


# ---------------------------------------------------------------------- fixtures and helpers


@pytest.fixture
def timeline(qtbot) -> TimelineWidget:
    """A shown 1000 x 240 timeline."""
    widget = TimelineWidget()
    qtbot.addWidget(widget)
    widget.resize(1000, 240)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture(scope="module")
def demo_take():
    """A real take of the demo line (rig generator, forced alignment on its transcript)."""
    from generators.audio import AudioClip
    from generators.base import GenerationRequest
    from generators.progress import CancelToken, NullProgress
    from generators.rig.generator import RigGenerator

    clip = AudioClip.load(DEMO / "greeting.flac")
    text = (DEMO / "greeting.txt").read_text(encoding="utf-8").strip()
    request = GenerationRequest(clip, EmotionTrack(), text, fps=30.0, seed=1)
    take = RigGenerator().generate(request, progress=NullProgress(), cancel=CancelToken())
    return clip, take


def view_point(widget: TimelineWidget, plot_index: int, t: float, y: float) -> QPoint:
    """Viewport pixel of data point ``(t, y)`` in one of the three plots."""
    vb = widget.plots[plot_index].getViewBox()
    scene = vb.mapViewToScene(QPointF(t, y))
    return widget.graphics.mapFromScene(scene)


def seconds_per_pixel(widget: TimelineWidget) -> float:
    vb = widget.plots[0].getViewBox()
    (x0, x1), _ = vb.viewRange()
    return (x1 - x0) / vb.width()


def colour_pixels(image, colour: str, tol: int = 12) -> int:
    """Pixels of a grabbed image within ``tol`` of ``colour`` in every channel."""
    img = image.toImage().convertToFormat(image.toImage().Format.Format_RGB888)
    w, h = img.width(), img.height()
    stride = img.bytesPerLine()
    buf = np.frombuffer(img.constBits(), dtype=np.uint8, count=stride * h)
    rgb = buf.reshape(h, stride)[:, : w * 3].reshape(h, w, 3).astype(np.int16)
    c = QColor(colour)
    target = np.array([c.red(), c.green(), c.blue()], dtype=np.int16)
    return int(np.all(np.abs(rgb - target) <= tol, axis=2).sum())


def tiled_visemes(seconds: float, seg: float = 0.1) -> VisemeTrack:
    names = ["sil", "PP", "aa", "E", "ih", "oh", "ou", "SS", "kk", "nn"]
    n = int(round(seconds / seg))
    return VisemeTrack(
        [], [VisemeSegment(names[i % len(names)], i * seg, (i + 1) * seg) for i in range(n)]
    )


def two_prompts() -> EmotionTrack:
    calm = EmotionState({"neutral": 1.0}, 0.2, 0.1, -0.4, 0.0)
    angry = EmotionState({"anger": 1.0}, 0.9, -0.8, 0.8, 0.5)
    return EmotionTrack(
        [
            EmotionSegment(4.0, None, "quietly furious", angry),
            EmotionSegment(0.0, 4.0, "calm", calm),
        ]
    )


# ---------------------------------------------------------------------- pure helpers


def test_minmax_envelope_matches_per_bin_extremes() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, 10_007).astype(np.float32)
    pos, val = minmax_envelope(x, bins=100)
    assert val.shape == pos.shape == (200,)
    edges = (np.arange(101) * x.size) // 100
    for k in range(100):
        chunk = x[edges[k] : edges[k + 1]]
        assert val[2 * k] == chunk.min()
        assert val[2 * k + 1] == chunk.max()
        assert edges[k] <= pos[2 * k] < edges[k + 1]
    # a sub-range is binned on its own samples only
    pos, val = minmax_envelope(x, bins=10, start=5000, stop=6000)
    assert val.min() == x[5000:6000].min() and val.max() == x[5000:6000].max()
    assert pos.min() >= 5000 and pos.max() < 6000
    # short slices come back sample by sample
    pos, val = minmax_envelope(x, bins=100, start=10, stop=60)
    np.testing.assert_array_equal(val, x[10:60])
    np.testing.assert_array_equal(pos, np.arange(10, 60))


def test_emotion_colour_follows_valence_and_arousal() -> None:
    happy = emotion_colour(EmotionState({"happiness": 1.0}, 1.0, 0.8, 0.6, 0.2))
    sad = emotion_colour(EmotionState({"sadness": 1.0}, 1.0, -0.7, -0.6, -0.3))
    angry = emotion_colour(EmotionState({"anger": 1.0}, 1.0, -0.8, 0.8, 0.5))
    neutral = emotion_colour(EmotionState.neutral())
    assert 20 <= happy.hsvHue() <= 70  # amber
    assert 190 <= sad.hsvHue() <= 250  # blue
    assert angry.hsvHue() <= 15 or angry.hsvHue() >= 345  # red
    assert neutral.hsvSaturationF() < happy.hsvSaturationF()
    # no valence/arousal: a palette colour, different per index
    assert emotion_colour(None, 0) != emotion_colour(None, 1)


def test_module_is_self_contained_and_torch_free() -> None:
    path = ROOT / "studio" / "qt" / "timeline.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    } | {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    assert not any(m.startswith("studio") for m in modules), modules
    code = "import sys, studio.qt.timeline; print('torch' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------- waveform


def test_set_audio_600s_is_fast_bounded_and_keeps_extremes(timeline: TimelineWidget) -> None:
    rng = np.random.default_rng(0)
    samples = (0.3 * rng.standard_normal(600 * SR)).astype(np.float32)
    np.clip(samples, -0.9, 0.9, out=samples)
    samples[123_456_7] = 0.987
    samples[27_000_001] = -0.951

    t0 = time.perf_counter()
    timeline.set_audio(samples, SR)
    elapsed = time.perf_counter() - t0

    assert elapsed < 1.0, f"set_audio took {elapsed:.3f} s"
    assert timeline.duration == pytest.approx(600.0)
    x, y = timeline.waveform_data()
    assert 0 < y.size <= 2 * ENVELOPE_BINS < 20_000
    assert y.max() == pytest.approx(0.987) and y.min() == pytest.approx(-0.951)
    assert x[0] >= 0 and x[-1] <= 600.0 and np.all(np.diff(x) >= 0)
    (x0, x1), (y0, y1) = timeline.plots[0].getViewBox().viewRange()
    assert x0 <= 0.0 and x1 >= 600.0 and x1 - x0 < 620
    assert y0 == pytest.approx(-1.04) and y1 == pytest.approx(1.04)
    assert timeline.waveform_detail_data() is None  # whole clip in view: overview only


def test_set_audio_mixes_channels_to_mono(timeline: TimelineWidget) -> None:
    t = np.arange(SR, dtype=np.float32) / SR
    left = (0.8 * np.sin(2 * np.pi * 5 * t)).astype(np.float32)
    stereo = np.stack([left, np.zeros_like(left)], axis=1)
    timeline.set_audio(stereo, SR)
    _, y = timeline.waveform_data()
    assert y.max() == pytest.approx(0.4, abs=1e-3)
    assert y.min() == pytest.approx(-0.4, abs=1e-3)
    assert timeline.duration == pytest.approx(1.0)


def test_set_audio_rejects_bad_input(timeline: TimelineWidget) -> None:
    with pytest.raises(ValueError):
        timeline.set_audio(np.zeros(100, np.float32), 0)
    with pytest.raises(ValueError):
        timeline.set_audio(np.zeros((10, 2, 2), np.float32), SR)
    with pytest.raises(ValueError):
        timeline.set_duration(-1.0)


def test_clearing_audio_removes_the_waveform(timeline: TimelineWidget) -> None:
    timeline.set_audio(np.full(SR * 2, 0.5, np.float32), SR)
    timeline.set_time(1.5)
    assert timeline.waveform_data()[1].size > 0
    timeline.set_audio(None, 0)
    assert timeline.waveform_data()[1].size == 0
    assert timeline.waveform_detail_data() is None
    assert timeline.duration == 0.0 and timeline.time == 0.0


def test_zooming_draws_a_finer_envelope_of_the_visible_stretch(
    qtbot, timeline: TimelineWidget
) -> None:
    samples = np.sin(np.arange(60 * SR, dtype=np.float32) * 0.01).astype(np.float32)
    timeline.set_audio(samples, SR)
    overview_x, _ = timeline.waveform_data()
    timeline.plots[0].getViewBox().setXRange(30.0, 31.0, padding=0)
    qtbot.waitUntil(lambda: timeline.waveform_detail_data() is not None, timeout=2000)
    x, y = timeline.waveform_detail_data()
    assert y.size <= 2 * ENVELOPE_BINS
    assert x.min() <= 30.0 and x.max() >= 31.0  # covers the view (plus a margin)
    assert np.median(np.diff(x[::2])) < np.median(np.diff(overview_x[::2])) / 10
    # zooming back out drops the detail again
    timeline.plots[0].getViewBox().setXRange(0.0, 60.0, padding=0)
    qtbot.waitUntil(lambda: timeline.waveform_detail_data() is None, timeout=2000)


def test_wheel_zooms_time_only(qtbot, timeline: TimelineWidget) -> None:
    timeline.set_duration(20.0)
    vb = timeline.plots[0].getViewBox()
    (x0, x1), (y0, y1) = vb.viewRange()
    pos = QPointF(view_point(timeline, 0, 10.0, 0.0))
    viewport = timeline.graphics.viewport()
    event = QWheelEvent(
        pos,
        QPointF(viewport.mapToGlobal(pos.toPoint())),
        QPoint(0, 0),
        QPoint(0, 240),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(viewport, event)
    (nx0, nx1), (ny0, ny1) = vb.viewRange()
    assert nx1 - nx0 < 0.9 * (x1 - x0)
    assert (ny0, ny1) == pytest.approx((y0, y1))
    for lane in timeline.plots[1:]:
        (lx0, lx1), (ly0, ly1) = lane.getViewBox().viewRange()
        assert (lx0, lx1) == pytest.approx((nx0, nx1))  # linked x
        assert (ly0, ly1) == pytest.approx((0.0, 1.0))


# ---------------------------------------------------------------------- playhead


def test_set_time_moves_the_playhead_without_seeking(qtbot, timeline: TimelineWidget) -> None:
    timeline.set_duration(10.0)
    with qtbot.assertNotEmitted(timeline.seek_requested):
        timeline.set_time(3.25)
        timeline.set_time(42.0)
        timeline.set_time(-5.0)
        timeline.set_time(7.5)
    assert timeline.time == pytest.approx(7.5)
    assert timeline.playhead.value() == pytest.approx(7.5)
    timeline.set_time(42.0)
    assert timeline.time == pytest.approx(10.0)


def test_dragging_the_playhead_seeks_with_clamped_time(qtbot, timeline: TimelineWidget) -> None:
    timeline.set_duration(10.0)
    seen: list[float] = []
    timeline.seek_requested.connect(seen.append)

    timeline.playhead.setValue(4.0)  # what a drag does: move the line, which signals
    timeline.playhead.setValue(25.0)
    timeline.playhead.setPos(-3.0)
    assert seen == pytest.approx([4.0, 10.0, 0.0])
    assert timeline.time == 0.0

    # the lanes' lines are draggable too and keep every line in sync
    lane_line = timeline.plots[1].items[-1]
    lane_line.setValue(6.0)
    assert seen[-1] == pytest.approx(6.0)
    assert timeline.playhead.value() == pytest.approx(6.0)

    # emitting sigPositionChanged directly reports the clamped line position
    timeline.playhead.setValue(2.5)
    seen.clear()
    timeline.playhead.sigPositionChanged.emit(timeline.playhead)
    assert seen == pytest.approx([2.5])


def test_mouse_drag_of_the_playhead_scrubs(qtbot, timeline: TimelineWidget) -> None:
    timeline.set_duration(10.0)
    timeline.set_time(2.0)
    viewport = timeline.graphics.viewport()
    start = view_point(timeline, 0, 2.0, 0.0)
    seen: list[float] = []
    timeline.seek_requested.connect(seen.append)

    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    for t in (2.5, 3.5, 5.0):
        qtbot.wait(20)  # pyqtgraph drops mouse moves closer than 10 ms apart
        qtbot.mouseMove(viewport, view_point(timeline, 0, t, 0.0))
    assert timeline.playhead.moving
    timeline.set_time(9.0)  # a player's position update must not fight the drag
    assert timeline.time == pytest.approx(5.0, abs=2 * seconds_per_pixel(timeline))
    qtbot.wait(20)
    qtbot.mouseMove(viewport, view_point(timeline, 0, 40.0, 0.0))  # past the end: clamped
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=view_point(timeline, 0, 40.0, 0))

    tol = 2 * seconds_per_pixel(timeline)
    assert len(seen) >= 3
    assert seen[-1] == pytest.approx(10.0)
    assert any(abs(s - 5.0) <= tol for s in seen)
    assert all(0.0 <= s <= 10.0 for s in seen)
    assert timeline.time == pytest.approx(10.0)
    assert timeline.playhead.value() == pytest.approx(10.0)


@pytest.mark.parametrize("plot_index", [0, 1, 2])
def test_click_in_a_plot_seeks(qtbot, timeline: TimelineWidget, plot_index: int) -> None:
    timeline.set_duration(12.0)
    timeline.set_visemes(tiled_visemes(12.0))
    timeline.set_emotion(two_prompts())
    pos = view_point(timeline, plot_index, 7.0, 0.5 if plot_index else 0.3)
    with qtbot.waitSignal(timeline.seek_requested, timeout=1000) as blocker:
        qtbot.mouseClick(timeline.graphics.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    tol = 2 * seconds_per_pixel(timeline)
    assert blocker.args[0] == pytest.approx(7.0, abs=tol)
    assert timeline.time == pytest.approx(blocker.args[0])
    assert timeline.playhead.value() == pytest.approx(blocker.args[0])


def test_click_outside_the_clip_is_clamped_and_empty_timeline_ignores_clicks(
    qtbot, timeline: TimelineWidget
) -> None:
    viewport = timeline.graphics.viewport()
    with qtbot.assertNotEmitted(timeline.seek_requested):  # no duration: nothing to seek
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=view_point(timeline, 0, 0.5, 0))
    timeline.set_duration(10.0)
    # the view is padded 1% beyond the clip: click left of 0
    pos = view_point(timeline, 0, -0.08, 0.0)
    with qtbot.waitSignal(timeline.seek_requested, timeout=1000) as blocker:
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=pos)
    assert blocker.args == [0.0]


# ---------------------------------------------------------------------- lanes


def test_set_visemes_with_a_real_track(timeline: TimelineWidget, demo_take) -> None:
    clip, take = demo_take
    track = take.visemes
    assert len(track.visemes) > 20
    timeline.set_audio(clip.samples, clip.sample_rate)
    timeline.set_visemes(track)
    rects = timeline.viseme_rects()
    expected = np.array([(s.start, s.end) for s in track.visemes if s.end > s.start])
    assert rects.shape == expected.shape
    np.testing.assert_allclose(rects, expected)
    labels = timeline.viseme_labels()
    assert 0 < len(labels) <= len(track.visemes)
    assert set(labels) <= {s.viseme for s in track.visemes}

    timeline.set_visemes(None)
    assert timeline.viseme_rects().shape == (0, 2)
    assert timeline.viseme_labels() == []


def test_viseme_labels_stay_bounded_on_a_60s_clip(qtbot, timeline: TimelineWidget) -> None:
    track = tiled_visemes(60.0)
    assert len(track.visemes) == 600
    timeline.set_duration(60.0)
    t0 = time.perf_counter()
    timeline.set_visemes(track)
    elapsed = time.perf_counter() - t0
    assert elapsed < 0.25, f"set_visemes took {elapsed:.3f} s"
    assert timeline.viseme_rects().shape == (600, 2)
    # whole clip on ~900 px: 1.5 px a segment, too thin for text
    assert timeline.viseme_labels() == []

    vb = timeline.plots[0].getViewBox()
    vb.setXRange(20.0, 24.0, padding=0)
    qtbot.waitUntil(lambda: len(timeline.viseme_labels()) > 0, timeout=2000)
    labels = timeline.viseme_labels()
    visible = [s for s in track.visemes if s.end > 20.0 and s.start < 24.0]
    assert len(labels) == len(visible)  # every visible segment is wide enough here
    assert labels == [s.viseme for s in visible]
    assert timeline.label_item_count() <= MAX_VISEME_LABELS

    vb.setXRange(50.0, 54.0, padding=0)  # panning reuses the pooled items
    qtbot.waitUntil(lambda: timeline.viseme_labels()[0] == "sil", timeout=2000)
    count = timeline.label_item_count()
    vb.setXRange(10.0, 14.0, padding=0)
    qtbot.waitUntil(lambda: timeline.viseme_labels()[0] == "sil", timeout=2000)
    assert timeline.label_item_count() == count


def test_set_emotion_draws_one_bar_per_prompt(qtbot, timeline: TimelineWidget) -> None:
    timeline.set_duration(10.0)
    timeline.set_emotion(two_prompts())
    np.testing.assert_allclose(timeline.emotion_bars(), [[0.0, 4.0], [4.0, 10.0]])
    assert timeline.emotion_labels() == ["calm", "quietly furious"]

    # open-ended segments follow the timeline's duration
    timeline.set_duration(16.0)
    np.testing.assert_allclose(timeline.emotion_bars(), [[0.0, 4.0], [4.0, 16.0]])
    # ... unless an explicit end was given
    timeline.set_emotion(two_prompts(), 12.0)
    np.testing.assert_allclose(timeline.emotion_bars(), [[0.0, 4.0], [4.0, 12.0]])
    # ... and a zero end (no clip yet) follows the duration again
    timeline.set_emotion(two_prompts(), 0.0)
    np.testing.assert_allclose(timeline.emotion_bars(), [[0.0, 4.0], [4.0, 16.0]])

    timeline.set_emotion(None)
    assert timeline.emotion_bars().shape == (0, 2)
    assert timeline.emotion_labels() == []


def test_set_emotion_gives_an_empty_timeline_its_duration(timeline: TimelineWidget) -> None:
    timeline.set_emotion(EmotionTrack.constant("happy", EmotionState.neutral()), 8.0)
    assert timeline.duration == pytest.approx(8.0)
    np.testing.assert_allclose(timeline.emotion_bars(), [[0.0, 8.0]])


def test_long_prompts_are_elided_to_their_bar(qtbot, timeline: TimelineWidget) -> None:
    long_prompt = "nervous but hopeful, then slowly more and more confident " * 3
    state = EmotionState({"fear": 1.0}, 0.5, -0.2, 0.4, 0.0)
    track = EmotionTrack(
        [EmotionSegment(0.0, 1.0, long_prompt, state), EmotionSegment(1.0, None, "ok", state)]
    )
    timeline.set_emotion(track, 20.0)
    first, second = timeline.emotion_labels()
    assert first.endswith("…") and len(first) < len(long_prompt)
    assert second == "ok"


# ---------------------------------------------------------------------- pixels


def test_rendered_widget_shows_waveform_and_playhead_colours(
    qtbot, timeline: TimelineWidget, demo_take
) -> None:
    clip, take = demo_take
    timeline.set_audio(clip.samples, clip.sample_rate)
    timeline.set_visemes(take.visemes)
    timeline.set_emotion(EmotionTrack.constant("happy", EmotionState.neutral()))
    timeline.set_time(clip.duration / 2)
    image = timeline.grab()
    assert colour_pixels(image, WAVEFORM_COLOUR) > 500
    assert colour_pixels(image, PLAYHEAD_COLOUR, tol=20) > 100

    timeline.set_audio(None, 0)
    assert colour_pixels(timeline.grab(), WAVEFORM_COLOUR) < 20
