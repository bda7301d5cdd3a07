"""Correcting the lip sync by hand in the studio window: real widgets, real analysis.

The viseme lane's edits go through the window's undo stack and re-map the take at once; they
are saved with the project and set aside when the transcript changes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from generators.rig.visemes import viseme_table
from generators.take import VisemeSegment
from renderers.arkit import ARKIT_INDEX
from studio.qt.main_window import MainWindow
from tests.studio.qt.windows import ANALYSIS_TIMEOUT_MS, dispose, idle, load, make_window

CLOSE = ARKIT_INDEX["mouthClose"]
JAW = ARKIT_INDEX["jawOpen"]
PP_CLOSE = viseme_table()["PP"].weight("mouthClose")


def lane_point(w: MainWindow, t: float) -> QPoint:
    vb = w.timeline.plots[1].getViewBox()
    return w.timeline.graphics.mapFromScene(vb.mapViewToScene(QPointF(t, 0.5)))


def vowel(timeline: tuple[VisemeSegment, ...]) -> int:
    return max(
        (i for i, s in enumerate(timeline) if s.viseme in ("aa", "E", "oh")),
        key=lambda i: timeline[i].end - timeline[i].start,
    )


def closure_at(w: MainWindow, t: float) -> float:
    return float(w.session.take.curves.sample(t)[CLOSE])


def lips_shut(w: MainWindow, t: float) -> bool:
    """mouthClose cancels the jaw's opening (lips pressed), held near the p/b/m target."""
    pose = w.session.take.curves.sample(t)
    return abs(pose[CLOSE] - pose[JAW]) <= 0.01 and 0.75 * PP_CLOSE <= pose[CLOSE] <= 2 * PP_CLOSE


def wait_for_take(qtbot, w: MainWindow, check) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: w.session.take is not None and check(w.session.take), timeout=5_000)


def test_lane_edits_reshape_the_mouth_and_undo_restores_it(
    window: MainWindow,
    qtbot,
    demo_copy: Path,
    demo_transcript: str,  # noqa: ANN001
) -> None:
    w = window
    load(qtbot, w, demo_copy, demo_transcript)
    analysed = w.session.viseme_timeline()
    original = w.session.take.curves.weights.copy()
    steps = w.undo_stack.count()

    # 1. drag a boundary with the mouse on the real timeline
    k = next(
        k
        for k, s in enumerate(analysed)
        if k and s.viseme == "PP" and analysed[k - 1].end - analysed[k - 1].start > 0.1
    )
    b = analysed[k].start
    w.timeline.plots[0].getViewBox().setXRange(b - 0.5, b + 0.5, padding=0)
    viewport = w.timeline.graphics.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=lane_point(w, b))
    for t in (b - 0.02, b - 0.04, b - 0.06):
        qtbot.wait(20)  # pyqtgraph drops mouse moves closer than 10 ms apart
        qtbot.mouseMove(viewport, lane_point(w, t))
    qtbot.wait(20)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=lane_point(w, b - 0.06))
    wait_for_take(qtbot, w, lambda take: take.visemes.edited)
    moved = w.session.take.visemes.visemes[k].start
    assert moved == pytest.approx(b - 0.06, abs=0.011) and moved < b - 0.03
    assert w.undo_stack.count() == steps + 1 and w.isWindowModified()
    assert w.undo_stack.undoText() == "Move viseme boundary"
    assert not np.allclose(w.session.take.curves.weights, original)
    assert len(w.timeline.viseme_edited_rects()) == 2  # both neighbours are outlined
    w.undo_stack.undo()
    wait_for_take(qtbot, w, lambda take: not take.visemes.edited)
    np.testing.assert_allclose(w.session.take.curves.weights, original)
    assert w.session.visemes is None and len(w.timeline.viseme_edited_rects()) == 0
    w.undo_stack.redo()
    wait_for_take(qtbot, w, lambda take: take.visemes.edited)
    w.undo_stack.undo()
    wait_for_take(qtbot, w, lambda take: not take.visemes.edited)

    # 2. the context menu: change a vowel to PP, the lips close there
    i = vowel(analysed)
    mid = 0.5 * (analysed[i].start + analysed[i].end)
    assert closure_at(w, mid) < 0.3 * PP_CLOSE
    menu = w.timeline.viseme_menu(mid)
    change = next(a for a in menu.actions() if a.text() == "&Change viseme").menu()
    next(a for a in change.actions() if a.data() == "PP").trigger()
    wait_for_take(qtbot, w, lambda take: take.visemes.edited)
    assert lips_shut(w, mid)
    assert w.undo_stack.undoText() == "Change viseme to PP"
    assert [analysed[i].start, analysed[i].end] in w.timeline.viseme_edited_rects().tolist()
    w.undo_stack.undo()
    wait_for_take(qtbot, w, lambda take: not take.visemes.edited)
    assert closure_at(w, mid) < 0.3 * PP_CLOSE

    # 3. the keyboard: delete the p/b/m under the playhead, nudge a boundary, reset
    pp = analysed[k]
    w.playback.seek(0.5 * (pp.start + pp.end))
    assert w.act_viseme_delete.shortcut().toString() == "Del"
    assert closure_at(w, w.playback.time) > 0.9 * PP_CLOSE
    w.act_viseme_delete.trigger()
    wait_for_take(qtbot, w, lambda take: take.visemes.edited)
    assert closure_at(w, w.playback.time) < 0.2 * PP_CLOSE
    assert all(s.start != pp.start or s.viseme != "PP" for s in w.session.take.visemes.visemes)

    w.playback.seek(analysed[k + 2].start + 0.004)
    before = w.undo_stack.count()
    w.act_viseme_later.trigger()
    w.act_viseme_later.trigger()
    assert w.undo_stack.count() == before + 1  # repeated nudges are one step
    wait_for_take(
        qtbot,
        w,
        lambda take: any(
            abs(s.start - (analysed[k + 2].start + 0.02)) < 1e-9 for s in take.visemes.visemes
        ),
    )

    w.act_viseme_reset.trigger()
    wait_for_take(qtbot, w, lambda take: not take.visemes.edited)
    np.testing.assert_allclose(w.session.take.curves.weights, original)
    w.undo_stack.undo()  # the reset is undoable too
    wait_for_take(qtbot, w, lambda take: take.visemes.edited)


def test_corrections_are_saved_and_set_aside_for_another_transcript(
    window: MainWindow,
    qtbot,
    demo_copy: Path,
    demo_transcript: str,  # noqa: ANN001
) -> None:
    w = window
    load(qtbot, w, demo_copy, demo_transcript)
    analysed = w.session.viseme_timeline()
    i = vowel(analysed)
    mid = 0.5 * (analysed[i].start + analysed[i].end)
    assert w.change_viseme(mid, "PP")
    wait_for_take(qtbot, w, lambda take: take.visemes.edited)

    dest = demo_copy.parent / "scene.affect.json"
    assert w.save_to(dest)
    data = json.loads(dest.read_text())
    assert [v["viseme"] for v in data["lipSync"]["visemes"]][i] == "PP"
    other = make_window(qtbot)
    try:
        other.open_project(dest)
        qtbot.waitUntil(
            lambda: other.session.take is not None and idle(other),
            timeout=ANALYSIS_TIMEOUT_MS,
        )
        assert other.session.take.visemes.edited
        assert lips_shut(other, mid)
        assert not other.undo_stack.canUndo() and not other.isWindowModified()
    finally:
        dispose(other)

    w.edit_transcript(demo_transcript.lower())
    assert w.session.visemes is None
    assert "set aside" in w.statusBar().currentMessage()
    w.undo_stack.undo()  # the transcript comes back, and with it the corrections
    assert w.session.visemes is not None
    wait_for_take(
        qtbot, w, lambda take: take.visemes.edited and closure_at(w, mid) > 0.8 * PP_CLOSE
    )
