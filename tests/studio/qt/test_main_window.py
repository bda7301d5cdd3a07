"""The studio window's wiring, on the offscreen platform with real widgets and real jobs.

Each test drives the real :class:`MainWindow`: audio is decoded, analysed in the helper
process and mapped; projects are written to disk and read back; exports write real files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from studio.project import load_project
from studio.qt.main_window import MainWindow, recovery_folder, settings
from tests.conftest import REPO_ROOT
from tests.studio.qt.windows import ANALYSIS_TIMEOUT_MS, dispose, idle, load, make_window


def _message(w: MainWindow) -> QMessageBox:
    box = w.message_box
    assert box is not None and box.isVisible()
    return box


# ---------------------------------------------------------------------------------- basics


def test_window_has_the_parts_an_artist_needs(window: MainWindow) -> None:
    assert window.windowTitle().startswith("Affect Studio — Untitled")
    assert window.viewport.kind == "image"  # offscreen platform: the EGL image fallback
    assert set(window.docks) == {"voice", "generator", "emotion", "animation", "timeline"}
    names = set(window.controls_panel.rows)
    assert names == {"intensity", "upper_face", "lower_face", "lip_articulation", "blink_rate",
                     "gaze_activity", "head_motion", "lip_anticipation", "lip_offset",
                     "follow_voice", "emotion_transition"}
    offset = window.controls_panel.rows["lip_offset"]
    assert (offset.lo, offset.hi, offset.default, offset.value()) == (-0.25, 0.25, 0.0, 0.0)
    keys = {a.shortcut().toString() for a in (window.act_play, window.act_back,
                                               window.act_forward, window.act_start,
                                               window.act_end)}
    assert keys == {"Space", "Left", "Right", "Home", "End"}
    frame = window.viewport.grab_frame()
    assert frame.width() > 100 and frame.height() > 100
    assert window.clip_label.text() == "no clip"


def test_gui_command_without_a_display_says_what_to_do(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run([sys.executable, "-m", "studio", "gui"], capture_output=True,
                          text=True, env=env, cwd=REPO_ROOT, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: no display found")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_gui_command_opens_the_window_and_a_missing_file_is_refused(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-m", "studio", "gui", "--exit-after-show"],
                          capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "window shown after" in proc.stdout and "first frame drawn" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "studio", "gui", str(tmp_path / "nope.flac")],
                          capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=60)
    assert proc.returncode == 2 and "file not found" in proc.stderr


# ---------------------------------------------------------------------------------- live edits


def test_audio_is_analysed_once_and_sliders_only_remap(window: MainWindow, qtbot,  # noqa: ANN001
                                                       demo_copy: Path,
                                                       demo_transcript: str) -> None:
    started: list[str] = []
    window.analyser.started.connect(started.append)
    load(qtbot, window, demo_copy, demo_transcript)
    assert window.session.transcript == demo_transcript
    assert window.audio_panel.file_label.text().startswith("greeting.flac")
    analyses = len(started)
    assert analyses >= 1
    take_before = window.session.take
    weights_before = take_before.curves.weights.copy()

    window.playback.seek(2.0)
    with qtbot.waitSignal(window.viewport.frame_drawn, timeout=10_000):
        window.controls_panel.slider("lip_articulation").setValue(40)
        window.viewport.update()
    assert window.session.controls.lip_articulation == pytest.approx(0.4)
    qtbot.waitUntil(lambda: window.session.take is not take_before, timeout=5_000)
    assert not np.array_equal(window.session.take.curves.weights, weights_before)
    assert len(started) == analyses  # no new analysis for a slider
    assert not window.session.needs_analysis()

    # The emotion prompt is a cheap edit too.
    window.edit_prompt("quietly furious")
    qtbot.waitUntil(lambda: [s.prompt for s in window.session.take.emotion.segments]
                    == ["quietly furious"], timeout=5_000)
    assert len(started) == analyses


def test_long_clips_map_on_a_worker_and_keep_only_the_latest_edit(
    window: MainWindow, qtbot, demo_copy: Path  # noqa: ANN001
) -> None:
    load(qtbot, window, demo_copy)
    window.sync_remap_max_s = 0.0  # treat the demo line as a long clip
    mapped: list[str] = []
    window.mapper.started.connect(mapped.append)
    for value in (20, 60, 140, 180):
        window.controls_panel.slider("head_motion").setValue(value)
        QApplication.processEvents()
    qtbot.waitUntil(lambda: not window.mapper.busy, timeout=10_000)
    assert mapped  # the mapping ran on the worker
    take = window.session.take
    assert take.provenance.settings["controls"]["head_motion"] == pytest.approx(1.8)
    assert not window.session.needs_analysis()


def test_slider_drag_is_one_undo_step_and_undo_restores_the_take(window: MainWindow, qtbot,  # noqa: ANN001
                                                                 demo_copy: Path) -> None:
    load(qtbot, window, demo_copy)
    original = window.session.take.curves.weights.copy()
    steps = window.undo_stack.count()
    slider = window.controls_panel.slider("head_motion")
    slider.setSliderDown(True)
    window.controls_panel._new_gesture()
    for value in (120, 150, 180, 200):
        slider.setValue(value)
    slider.setSliderDown(False)
    assert window.undo_stack.count() == steps + 1
    assert window.session.controls.head_motion == 2.0
    assert window.isWindowModified()
    window.undo_stack.undo()
    qtbot.waitUntil(lambda: window.session.controls.head_motion == 1.0, timeout=2_000)
    assert slider.value() == 100  # the panel follows undo
    qtbot.waitUntil(
        lambda: np.allclose(window.session.take.curves.weights, original), timeout=5_000)
    window.undo_stack.redo()
    assert window.session.controls.head_motion == 2.0


def test_prompts_along_the_timeline(window: MainWindow, qtbot, demo_copy: Path) -> None:  # noqa: ANN001
    load(qtbot, window, demo_copy)
    window.edit_prompt("calm")
    window.playback.seek(3.0)
    window.add_prompt_at_playhead("furious")
    segs = sorted(window.session.emotion.segments, key=lambda s: s.start)
    assert [(s.start, s.end, s.prompt) for s in segs] == [(0.0, 3.0, "calm"),
                                                         (3.0, None, "furious")]
    qtbot.waitUntil(lambda: len(window.timeline.emotion_bars()) == 2, timeout=5_000)
    assert set(window.timeline.emotion_labels()) == {"calm", "furious"}
    assert window.emotion_panel.prompt.text() == "furious"
    window.playback.seek(1.0)
    assert window.emotion_panel.prompt.text() == "calm"
    window.undo_stack.undo()
    assert len(window.session.emotion.segments) == 1

    # A prompt the parser rejects is shown inline and changes nothing.
    before = window.session.emotion
    window.edit_prompt("x" * 5000)
    assert window.session.emotion is before
    assert window.emotion_panel.problem.isVisibleTo(window.emotion_panel)


def test_transcript_edit_reanalyses_in_the_background(window: MainWindow, qtbot,  # noqa: ANN001
                                                      demo_copy: Path,
                                                      demo_transcript: str) -> None:
    load(qtbot, window, demo_copy)
    assert window.session.take.visemes.method == "phone-recognition"
    started: list[str] = []
    window.analyser.started.connect(started.append)
    window.audio_panel.transcript.setPlainText(demo_transcript)
    assert window.audio_panel.apply_button.isEnabled()
    window.audio_panel.apply_button.click()
    qtbot.waitUntil(lambda: started == ["Aligning the transcript"], timeout=2_000)
    assert window.progress_bar.isVisible() and window.cancel_button.isVisible()
    qtbot.waitUntil(lambda: idle(window) and window.session.take is not None,
                    timeout=ANALYSIS_TIMEOUT_MS)
    assert not window.progress_bar.isVisible()
    assert window.session.take.visemes.method == "forced-alignment"


def test_cancel_analysis_leaves_the_session_usable(window: MainWindow, qtbot,  # noqa: ANN001
                                                   demo_copy: Path, demo_transcript: str) -> None:
    load(qtbot, window, demo_copy)
    window.edit_transcript(demo_transcript)
    qtbot.waitUntil(lambda: window.analyser.busy, timeout=2_000)
    window.cancel_button.click()
    assert not window.analyser.busy
    assert "cancelled" in window.statusBar().currentMessage()
    started: list[str] = []
    window.analyser.started.connect(started.append)
    shown = window.session.take  # the take from before the edit stays on screen
    window.controls_panel.slider("blink_rate").setValue(50)  # no surprise re-analysis...
    qtbot.wait(100)
    assert started == [] and window.session.take is shown
    window.act_analyse.trigger()  # ...until asked
    qtbot.waitUntil(lambda: started == ["Aligning the transcript"], timeout=2_000)
    window.cancel_jobs()
    # Undo brings back the analysed state at once (its analysis is cached).
    window.undo_stack.undo()
    qtbot.waitUntil(lambda: window.session.take is not None, timeout=5_000)
    assert not window.analyser.busy


# ---------------------------------------------------------------------------------- errors


def test_a_transcript_that_does_not_match_is_reported_once(window: MainWindow, qtbot,  # noqa: ANN001
                                                           demo_copy: Path) -> None:
    load(qtbot, window, demo_copy)
    started: list[str] = []
    window.analyser.started.connect(started.append)
    window.edit_transcript("The quarterly figures for the northern region are disappointing "
                           "and the board expects a detailed explanation by Friday morning.")
    qtbot.waitUntil(lambda: window.message_box is not None and window.message_box.isVisible(),
                    timeout=ANALYSIS_TIMEOUT_MS)
    box = _message(window)
    assert box.windowTitle() == "Cannot analyse this voice line"
    assert "transcript" in box.text().lower()
    box.done(0)
    window.controls_panel.slider("head_motion").setValue(30)
    qtbot.wait(100)
    assert len(started) == 1  # not retried on every slider move
    window.undo_stack.undo()  # the slider
    window.undo_stack.undo()  # the transcript: the recognised take is back at once
    qtbot.waitUntil(lambda: window.session.take is not None, timeout=5_000)
    assert len(started) == 1


def test_bad_audio_shows_a_message_and_keeps_the_clip(window: MainWindow, qtbot,  # noqa: ANN001
                                                      demo_copy: Path, tmp_path: Path) -> None:
    load(qtbot, window, demo_copy)
    clip = window.session.audio
    steps = window.undo_stack.count()
    bogus = tmp_path / "broken.wav"
    bogus.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 10)
    window.load_audio(bogus)
    qtbot.waitUntil(lambda: window.message_box is not None and window.message_box.isVisible(),
                    timeout=20_000)
    box = _message(window)
    assert box.windowTitle() == "Cannot use this audio file"
    assert "broken.wav" in box.text()
    assert window.session.audio is clip
    assert window.undo_stack.count() == steps
    assert window.session.take is not None


def test_unreadable_project_shows_a_message_and_changes_nothing(window: MainWindow, qtbot,  # noqa: ANN001
                                                                tmp_path: Path) -> None:
    window.edit_prompt("calm")
    emotion = window.session.emotion
    bad = tmp_path / "bad.affect.json"
    bad.write_text('{"format": "affect-studio-project", "version": 1, "audio": "/etc/passwd"}')
    window.open_project(bad)
    qtbot.waitUntil(lambda: window.message_box is not None and window.message_box.isVisible(),
                    timeout=10_000)
    box = _message(window)
    assert box.windowTitle() == "Cannot open this project"
    assert "absolute" in box.text()
    assert window.session.emotion is emotion
    assert window.project_path is None


# ---------------------------------------------------------------------------------- projects


def test_save_and_reopen_a_project(window: MainWindow, qtbot, app,  # noqa: ANN001
                                   demo_copy: Path) -> None:
    load(qtbot, window, demo_copy)
    window.edit_prompt("nervous but hopeful")
    window.controls_panel.slider("blink_rate").setValue(40)
    window.controls_panel.slider("intensity").setValue(70)
    dest = demo_copy.parent / "scene.affect.json"
    assert window.save_to(dest)
    assert not window.isWindowModified()
    assert window.windowTitle().startswith("Affect Studio — scene")
    data = json.loads(dest.read_text())
    assert data["audio"] == "greeting.flac"  # relative to the project
    assert data["controls"]["blink_rate"] == pytest.approx(0.4)
    assert str(dest) in window.recent_files()

    other = make_window(qtbot)
    try:
        other.open_project(dest)
        qtbot.waitUntil(lambda: other.session.take is not None, timeout=ANALYSIS_TIMEOUT_MS)
        assert other.project_path == dest
        assert other.session.intensity == pytest.approx(0.7)
        assert other.session.controls.blink_rate == pytest.approx(0.4)
        assert other.session.emotion.segments[0].prompt == "nervous but hopeful"
        assert other.controls_panel.slider("blink_rate").value() == 40
        assert other.emotion_panel.prompt.text() == "nervous but hopeful"
        assert not other.undo_stack.canUndo() and not other.isWindowModified()
    finally:
        dispose(other)


def test_saving_next_to_media_elsewhere_copies_the_voice_line(window: MainWindow, qtbot,  # noqa: ANN001
                                                              demo_copy: Path,
                                                              tmp_path: Path) -> None:
    load(qtbot, window, demo_copy)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert not window.save_to(elsewhere / "a.affect.json", copy_media=False)
    assert "outside the project folder" in _message(window).text()
    assert not (elsewhere / "a.affect.json").exists()
    assert window.save_to(elsewhere / "a.affect.json", copy_media=True)
    assert (elsewhere / "greeting.flac").read_bytes() == demo_copy.read_bytes()
    assert load_project(elsewhere / "a.affect.json").audio_path == elsewhere / "greeting.flac"
    assert not window.session.needs_analysis()  # same samples: the analysis stays valid


def test_close_with_unsaved_changes_asks_first(window: MainWindow, qtbot) -> None:  # noqa: ANN001
    window.edit_prompt("sad")
    assert window.dirty

    def answer(button: QMessageBox.StandardButton) -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        assert box.windowTitle() == "Unsaved changes"
        box.button(button).click()

    QTimer.singleShot(200, lambda: answer(QMessageBox.StandardButton.Cancel))
    assert not window.close()
    assert window.isVisible()
    assert window.session.emotion.segments[0].prompt == "sad"  # nothing lost

    QTimer.singleShot(200, lambda: answer(QMessageBox.StandardButton.Discard))
    assert window.close()


def test_autosave_is_offered_back_after_a_crash(window: MainWindow, qtbot, app,  # noqa: ANN001
                                                demo_copy: Path) -> None:
    load(qtbot, window, demo_copy)
    window.edit_prompt("grumpy")
    window.controls_panel.slider("gaze_activity").setValue(20)
    path = window.autosave()
    assert path is not None and path.parent == recovery_folder() and path.exists()
    # The window "crashes": nothing cleans its recovery file up.

    survivor = make_window(qtbot)
    try:
        found = survivor.offer_recovery()
        assert [r.path for r in found][:1] == [path]
        box = survivor.message_box
        assert box is not None and "did not close normally" in box.text()
        recover = next(b for b in box.buttons() if b.text() == "Recover")
        recover.click()
        qtbot.waitUntil(lambda: survivor.session.take is not None, timeout=ANALYSIS_TIMEOUT_MS)
        assert survivor.session.emotion.segments[0].prompt == "grumpy"
        assert survivor.session.controls.gaze_activity == pytest.approx(0.2)
        assert survivor.dirty and survivor.isWindowModified()  # recovered work is unsaved
        assert not path.exists()
    finally:
        dispose(survivor)
    window.undo_stack.setClean()
    assert not (recovery_folder() / f"{window.instance_id}.recovery.json").exists()


def test_layout_is_remembered_and_can_be_reset(app, qtbot) -> None:  # noqa: ANN001
    first = make_window(qtbot)
    first.docks["emotion"].hide()
    first.shutdown()
    dispose(first)
    second = make_window(qtbot)
    try:
        assert not second.docks["emotion"].isVisible()
        second.reset_layout()
        assert second.docks["emotion"].isVisible()
    finally:
        second.save_layout()
        dispose(second)
    settings().remove("window/state")


# ---------------------------------------------------------------------------------- viewport


def test_viewport_toggles_and_camera_change_the_picture(window: MainWindow, qtbot,  # noqa: ANN001
                                                        demo_copy: Path) -> None:
    def pixels() -> np.ndarray:
        image = window.viewport.grab_frame()
        ptr = image.constBits()
        return np.frombuffer(ptr, np.uint8, image.sizeInBytes()).copy()

    base = pixels()
    window.act_wireframe.trigger()
    wire = pixels()
    assert np.mean(base != wire) > 0.01
    window.act_wireframe.trigger()
    assert np.array_equal(pixels(), base)

    camera = window.viewport.camera
    window.viewport._camera = camera.orbited(30, 10)
    window.viewport.update()
    window.viewport._dirty = True
    orbited = pixels()
    assert np.mean(orbited != base) > 0.01
    window.act_reset_view.trigger()
    assert np.array_equal(pixels(), base)


# ---------------------------------------------------------------------------------- playback


def test_transport_and_shortcuts(window: MainWindow, qtbot, demo_copy: Path) -> None:  # noqa: ANN001
    load(qtbot, window, demo_copy)
    duration = window.session.audio.duration
    window.act_play.trigger()
    assert window.playback.state == "playing"
    qtbot.wait(400)
    window.act_play.trigger()
    assert window.playback.state == "paused"
    t = window.playback.time
    assert 0.2 < t < 2.0
    window.act_forward.trigger()
    assert window.playback.time == pytest.approx((round(t * 30) + 1) / 30)
    window.act_back.trigger()
    window.act_back.trigger()
    assert window.playback.time == pytest.approx((round(t * 30) - 1) / 30)
    window.act_end.trigger()
    assert window.playback.time == pytest.approx(duration)
    window.act_start.trigger()
    assert window.playback.time == 0.0
    assert window.time_label.text().startswith("00:00.000 / 00:06.5")
    window.timeline.seek_requested.emit(2.5)
    assert window.playback.time == pytest.approx(2.5)


# ---------------------------------------------------------------------------------- drops


def test_dropping_an_audio_file_loads_it(window: MainWindow, qtbot, demo_copy: Path) -> None:  # noqa: ANN001
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(demo_copy))])
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    qtbot.waitUntil(lambda: window.session.audio is not None, timeout=20_000)
    assert Path(window.session.audio.source) == demo_copy


def test_mouse_orbits_zooms_and_resets_the_view(window: MainWindow, qtbot) -> None:  # noqa: ANN001
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtTest import QTest

    view = window.viewport
    view.grab_frame()  # first frame: the camera frames the head
    framed = view.camera
    centre = view.rect().center()
    QTest.mousePress(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    QTest.mouseMove(view, centre + QPoint(40, 10))
    QTest.mouseRelease(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       centre + QPoint(40, 10))
    assert view.camera.yaw < framed.yaw and view.camera.pitch > framed.pitch
    wheel = QWheelEvent(QPointF(centre), QPointF(view.mapToGlobal(centre)), QPoint(0, 0),
                        QPoint(0, 120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view, wheel)
    assert view.camera.distance < framed.distance
    QTest.mouseDClick(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    view.grab_frame()
    assert view.camera.yaw == framed.yaw and view.camera.distance == framed.distance
