"""The timeline's editable viseme lane on a real widget (offscreen platform, see conftest)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QApplication

from generators.rig.visemes import VISEMES
from generators.take import PhonemeSegment, VisemeSegment, VisemeTrack
from studio.qt.timeline import TimelineWidget

V = VisemeSegment
PHONES = [PhonemeSegment("SIL", 0.0, 0.4), PhonemeSegment("AA", 0.4, 1.0),
          PhonemeSegment("M", 1.0, 1.1), PhonemeSegment("UW", 1.1, 1.6),
          PhonemeSegment("SIL", 1.6, 2.0)]  # fmt: skip
ANALYSED = [V("sil", 0.0, 0.4), V("aa", 0.4, 1.0), V("PP", 1.0, 1.1), V("ou", 1.1, 1.6),
            V("sil", 1.6, 2.0)]  # fmt: skip


@pytest.fixture
def lane(qtbot) -> TimelineWidget:
    widget = TimelineWidget()
    qtbot.addWidget(widget)
    widget.resize(1000, 240)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_duration(2.0)
    widget.set_visemes(VisemeTrack(PHONES, list(ANALYSED), "forced-alignment"))
    return widget


def point(widget: TimelineWidget, t: float) -> QPoint:
    vb = widget.plots[1].getViewBox()
    return widget.graphics.mapFromScene(vb.mapViewToScene(QPointF(t, 0.5)))


def test_boundary_drag_previews_then_requests_the_move(qtbot, lane: TimelineWidget) -> None:
    viewport = lane.graphics.viewport()
    moved: list[tuple[float, float]] = []
    lane.viseme_boundary_moved.connect(lambda a, b: moved.append((a, b)))
    seeks: list[float] = []
    lane.seek_requested.connect(seeks.append)

    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=point(lane, 1.0))
    for t in (0.95, 0.9, 0.86):
        qtbot.wait(20)  # pyqtgraph drops mouse moves closer than 10 ms apart
        qtbot.mouseMove(viewport, point(lane, t))
    # while dragging the lane shows the moved boundary, outlined as a correction
    assert lane.viseme_segments[2].start == pytest.approx(0.86, abs=0.011)
    assert len(lane.viseme_edited_rects()) == 2
    assert moved == []
    qtbot.wait(20)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=point(lane, 0.86))

    assert len(moved) == 1
    at, to = moved[0]
    assert at == 1.0 and to == pytest.approx(0.86, abs=0.011)
    assert round(to * 100) == pytest.approx(to * 100)  # on the 10 ms grid
    assert seeks == []  # a boundary drag is not a seek


def test_a_drag_away_from_boundaries_pans_and_requests_nothing(qtbot, lane: TimelineWidget) -> None:
    viewport = lane.graphics.viewport()
    with qtbot.assertNotEmitted(lane.viseme_boundary_moved):
        qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=point(lane, 0.7))
        for t in (0.8, 0.9):
            qtbot.wait(20)
            qtbot.mouseMove(viewport, point(lane, t))
        qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=point(lane, 0.9))
    assert [s.start for s in lane.viseme_segments] == [s.start for s in ANALYSED]


def test_the_cursor_shows_where_a_boundary_can_be_dragged(qtbot, lane: TimelineWidget) -> None:
    vb = lane.plots[1].getViewBox()
    viewport = lane.graphics.viewport()
    qtbot.mouseMove(viewport, point(lane, 0.7))
    qtbot.wait(30)
    assert vb.cursor().shape() != Qt.CursorShape.SizeHorCursor
    qtbot.mouseMove(viewport, point(lane, 1.1) + QPoint(2, 0))
    qtbot.wait(30)
    assert vb.cursor().shape() == Qt.CursorShape.SizeHorCursor
    qtbot.mouseMove(viewport, point(lane, 1.3))
    qtbot.wait(30)
    assert vb.cursor().shape() != Qt.CursorShape.SizeHorCursor


def test_edited_segments_are_outlined(lane: TimelineWidget) -> None:
    assert lane.viseme_edited_rects().shape == (0, 2)
    fixed = [ANALYSED[0], V("E", 0.4, 1.0), *ANALYSED[2:]]
    lane.set_visemes(VisemeTrack(PHONES, fixed, "forced-alignment", edited=True))
    assert lane.viseme_edited_rects().tolist() == [[0.4, 1.0]]
    lane.set_visemes(VisemeTrack(PHONES, list(ANALYSED), "forced-alignment", edited=True))
    assert lane.viseme_edited_rects().shape == (0, 2)


def _entries(menu) -> dict[str, object]:
    return {a.text().split("\t")[0].replace("&", ""): a for a in menu.actions() if a.text()}


def test_the_context_menu_offers_every_edit(qtbot, lane: TimelineWidget) -> None:
    menu = lane.viseme_menu(0.7)
    items = _entries(menu)
    assert list(items)[0].startswith("aa  0.40–1.00 s")
    assert {"Change viseme", "Delete viseme", "Insert viseme here",
            "Reset lip sync to the analysis"} <= set(items)  # fmt: skip
    change = items["Change viseme"].menu()
    texts = [a.text() for a in change.actions()]
    assert [t.split("\t")[0] for t in texts] == list(VISEMES)
    assert "PP\tp b m" in texts
    assert [a.text().split("\t")[0] for a in change.actions() if a.isChecked()] == ["aa"]
    assert not items["Reset lip sync to the analysis"].isEnabled()  # nothing corrected yet

    with qtbot.waitSignal(lane.viseme_change_requested) as changed:
        next(a for a in change.actions() if a.data() == "PP").trigger()
    assert changed.args == [pytest.approx(0.7), "PP"]  # the segment's centre
    with qtbot.waitSignal(lane.viseme_delete_requested) as deleted:
        items["Delete viseme"].trigger()
    assert deleted.args == [pytest.approx(0.7)]
    insert = items["Insert viseme here"].menu()
    with qtbot.waitSignal(lane.viseme_insert_requested) as inserted:
        next(a for a in insert.actions() if a.data() == "FF").trigger()
    assert inserted.args == [pytest.approx(0.7), "FF"]

    lane.set_visemes(VisemeTrack(PHONES, [ANALYSED[0], V("E", 0.4, 1.0), *ANALYSED[2:]],
                                 edited=True))  # fmt: skip
    items = _entries(lane.viseme_menu(0.5))
    assert "(corrected)" in list(items)[0]
    with qtbot.waitSignal(lane.viseme_reset_requested):
        items["Reset lip sync to the analysis"].trigger()
    lane.set_visemes(None)
    assert lane.viseme_menu(0.5) is None


def test_right_click_opens_the_menu_of_the_clicked_segment(qtbot, lane: TimelineWidget) -> None:
    viewport = lane.graphics.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.RightButton, pos=point(lane, 1.3))
    menu = lane._viseme_menu
    assert menu is not None
    qtbot.waitUntil(menu.isVisible, timeout=2000)
    assert menu.actions()[0].text().startswith("ou  1.10–1.60 s")
    menu.close()
    shown = lane.show_viseme_menu(0.2)  # the keyboard's way in
    assert shown is not None and shown.actions()[0].text().startswith("sil  0.00–0.40 s")
    shown.close()
    QApplication.processEvents()
