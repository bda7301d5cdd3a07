"""The generated-frames view on its own: which frame it shows for the playhead's time."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

from studio.qt.generated_view import GeneratedFramesView, frame_image


def _frame(value: int) -> np.ndarray:
    return np.full((8, 8, 3), value, np.uint8)


def _centre(view: GeneratedFramesView) -> tuple[int, int, int]:
    image = view.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    colour = image.pixelColor(image.width() // 2, image.height() // 2)
    return colour.red(), colour.green(), colour.blue()


def test_the_view_follows_the_playhead_and_falls_back_to_the_last_frame(app, qtbot) -> None:  # noqa: ANN001
    view = GeneratedFramesView()
    qtbot.addWidget(view)
    view.resize(200, 200)
    view.show()
    view.reset(expected=10, fps=10.0)
    assert view.shown_index is None and view.caption() == "" and not view.complete
    placeholder = _centre(view)

    view.add_frame(0, _frame(200))
    assert view.shown_index == 0 and _centre(view) == (200, 200, 200) != placeholder
    view.add_frame(1, _frame(100))
    assert view.shown_index == 0  # the playhead is still at 0 s
    view.set_time(0.1)
    assert view.shown_index == 1 and _centre(view) == (100, 100, 100)
    view.set_time(0.5)  # frame 5 is not there yet: the last one received
    assert view.shown_index == 1 and "frame 5 not generated yet" in view.caption()
    assert "2/10 generated" in view.caption()

    view.set_stale(True, "the take changed")
    assert view.stale
    view.reset(expected=3, fps=10.0)  # a new run drops the frames and the mark
    assert view.frame_count == 0 and view.shown_index is None and not view.stale
    view.set_stale(True, "nothing to mark")
    assert not view.stale  # no frames, nothing out of date


def test_frame_image_copies_the_pixels() -> None:
    frame = np.zeros((2, 3, 3), np.uint8)
    frame[1, 2] = (10, 20, 30)
    image = frame_image(frame)
    frame[:] = 255
    colour = image.pixelColor(2, 1)
    assert (colour.red(), colour.green(), colour.blue()) == (10, 20, 30)


def test_a_long_run_s_frames_are_read_back_from_disk_as_the_playhead_moves(
        app, qtbot, monkeypatch) -> None:  # noqa: ANN001
    import studio.frame_store

    monkeypatch.setattr(studio.frame_store, "IN_MEMORY_BYTES", 0)  # every run counts as long
    view = GeneratedFramesView()
    qtbot.addWidget(view)
    view.resize(200, 200)
    view.show()
    view.reset(expected=4, fps=10.0)
    for i, value in enumerate((40, 80, 120, 160)):
        view.add_frame(i, _frame(value))
    assert view.frames.on_disk and view.complete
    for i, value in ((2, 120), (0, 40), (3, 160)):
        view.set_time(i / 10)
        assert view.shown_index == i and _centre(view) == (value, value, value)
    view.add_frame(3, _frame(200))  # the frame on show drawn again: shown again
    assert _centre(view) == (200, 200, 200)
    view.reset(expected=2, fps=10.0)  # the old run's file is dropped
    assert view.frame_count == 0 and view.shown_index is None
