"""The talking-head generator switch in the real studio window (offscreen platform).

The take comes from a one-second tone analysed in this process (no helper process, so each
test stays short); the talking-head frames come from the tiny seeded pipeline saved in a
temporary folder (nothing downloaded), drawn on a worker thread by the window itself.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image
from PySide6.QtCore import QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit

from studio.exporters.frame_encoding import take_frames
from studio.project import Project, save_project
from studio.project_schema import ProjectTalkingHead
from studio.qt.main_window import MainWindow, settings
from studio.qt.talking_head_panel import RIG, TALKING_HEAD
from studio.session import Session
from studio.talking_head_video import NEEDS_EXTRA
from tests.conftest import tone
from tests.studio.qt.windows import dispose, idle, make_window

pytest.importorskip("diffusers", reason="the diffusion extra is installed by the test command")

from tests.generators.tiny_talking_head import (  # noqa: E402
    save_portrait,
    save_tiny_models_config,
)

FPS = 12.0  # a 1 s take: 12 frames, three batches of four
SECONDS = 1.0
SIZE = 64
TIMEOUT_MS = 60_000
INSTALL = "pip install 'affect-studio[diffusion]'"


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A talking_head.toml naming tiny models saved as an SD-1.5 folder and a ControlNet."""
    return save_tiny_models_config(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """One intra-op thread: the test machine's two cores also run the window and the GL
    rasteriser (more threads only fight over them)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """No talking-head choice left over from another test, nor left to the next one (a
    portrait in a temporary folder would be offered for copying by every later save)."""
    store = settings()
    store.remove("talking_head")
    store.sync()
    yield
    store.remove("talking_head")
    store.sync()


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Session:
    """A session holding a one-second tone and its analysis (made in this process)."""
    path = tmp_path_factory.mktemp("voice") / "line.wav"
    sf.write(path, tone(SECONDS, 16000), 16000)
    session = Session()
    session.settings.fps = FPS
    session.load_audio(path)
    session.generate()
    return session


@pytest.fixture
def portrait(tmp_path: Path) -> Path:
    return save_portrait(tmp_path / "face.png")


@pytest.fixture
def window(app, qtbot, analysed: Session):  # noqa: ANN001 - pytest-qt fixtures
    """A shown window whose take is the analysed tone (re-mapped at once: no helper)."""
    w = make_window(qtbot)
    w.session.settings.fps = FPS
    w.session.install_analysis(analysed.cached_analysis())
    assert analysed.audio is not None
    w.use_audio(analysed.audio)
    qtbot.waitUntil(lambda: w.session.take is not None and idle(w), timeout=20_000)
    yield w
    dispose(w)


def _talking_head(w: MainWindow, config: Path, reference: Path | None, steps: int = 2) -> None:
    panel = w.talking_head.panel
    panel.set_generator(TALKING_HEAD)
    panel.config_edit.setText(str(config))
    panel.reference_edit.setText(str(reference) if reference else "")
    panel.steps_spin.setValue(steps)
    panel.size_combo.setCurrentIndex(panel.size_combo.findData(SIZE))
    panel.settings_changed.emit()


def _grab(widget) -> np.ndarray:  # noqa: ANN001
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    w, h = image.width(), image.height()
    data = np.frombuffer(image.constBits(), np.uint8, count=image.bytesPerLine() * h)
    return data.reshape(h, image.bytesPerLine())[:, : 3 * w].reshape(h, w, 3).copy()


def _centre(widget) -> np.ndarray:  # noqa: ANN001
    """The middle 32 x 32 pixels of ``widget`` on screen."""
    pixels = _grab(widget)
    h, w = pixels.shape[:2]
    return pixels[h // 2 - 16: h // 2 + 16, w // 2 - 16: w // 2 + 16].astype(int)


def _top_colour(widget) -> np.ndarray:  # noqa: ANN001
    """The mean colour of the top 20 rows of ``widget`` (where the stale banner goes)."""
    return _grab(widget)[:20].reshape(-1, 3).mean(axis=0)


def _take_frames(w: MainWindow) -> int:
    assert w.session.take is not None
    return take_frames(w.session.take, FPS)


# ---------------------------------------------------------------------------------- the switch


def test_the_switch_starts_on_the_rig_and_talking_head_shows_the_frames_view(
        window: MainWindow, qtbot) -> None:  # noqa: ANN001
    th = window.talking_head
    panel = th.panel
    assert panel.available and panel.generator() == RIG and not th.active
    assert not th.view.isVisible() and not panel.generate_button.isEnabled()
    assert window.viewport.isVisible()
    panel.generator_combo.setCurrentIndex(panel.generator_combo.findData(TALKING_HEAD))
    assert th.active and th.view.isVisible() and window.viewport.isVisible()
    assert panel.generate_button.isEnabled() and not panel.cancel_button.isEnabled()
    assert not panel.extra_label.isVisible()
    assert th.view.shown_index is None  # the placeholder until frames arrive
    sizes = [panel.size_combo.itemData(i) for i in range(panel.size_combo.count())]
    assert panel.frame_side() == 512 and all(s % 64 == 0 for s in sizes)
    panel.steps_spin.setValue(7)
    panel.size_combo.setCurrentIndex(panel.size_combo.findData(256))

    second = make_window(qtbot)  # the choice and settings survive a restart (QSettings)
    try:
        restored = second.talking_head.panel
        assert restored.generator() == TALKING_HEAD and second.talking_head.view.isVisible()
        assert restored.steps_spin.value() == 7 and restored.frame_side() == 256
    finally:
        dispose(second)
    panel.set_generator(RIG)
    assert not th.view.isVisible()


def test_without_the_diffusion_extra_the_switch_is_disabled_and_says_what_to_install(
        app, qtbot, monkeypatch) -> None:  # noqa: ANN001
    store = settings()
    store.setValue("talking_head/generator", TALKING_HEAD)  # chosen on a machine with it
    store.sync()
    monkeypatch.setattr("studio.talking_head_video.diffusion_available", lambda: False)
    w = make_window(qtbot)
    try:
        th, panel = w.talking_head, w.talking_head.panel
        assert not panel.available and panel.generator() == RIG and not th.active
        item = panel.generator_combo.model().item(panel.generator_combo.findData(TALKING_HEAD))
        assert not item.isEnabled() and INSTALL in item.toolTip()
        panel.set_generator(TALKING_HEAD)
        assert panel.generator() == RIG
        settings_kept = w.project().talking_head  # the choice is kept for a machine with it
        assert settings_kept is not None and settings_kept.enabled
        assert panel.extra_label.isVisible() and INSTALL in panel.extra_label.text()
        for widget in (panel.generate_button, panel.reference_edit, panel.config_edit,
                       panel.steps_spin, panel.size_combo):
            assert not widget.isEnabled()
        assert INSTALL in panel.generate_button.toolTip()
        assert INSTALL in panel.generator_combo.toolTip()
        assert not th.generate()
        assert w.last_error == NEEDS_EXTRA and "\n" not in w.last_error
    finally:
        dispose(w)


# ---------------------------------------------------------------------------------- generating


def test_frames_appear_in_the_view_as_they_arrive_and_follow_the_playhead(
        window: MainWindow, qtbot, models: Path, portrait: Path) -> None:  # noqa: ANN001
    th, view = window.talking_head, window.talking_head.view
    _talking_head(window, models, portrait)
    QApplication.processEvents()
    placeholder = _centre(view)
    seen_counts: list[int] = []
    poll = QTimer()
    poll.setInterval(10)
    poll.timeout.connect(lambda: seen_counts.append(view.frame_count))
    arrivals: list[tuple[int, bool]] = []
    view.frame_added.connect(lambda i: arrivals.append((i, th.busy)))
    poll.start()
    try:
        th.panel.generate_button.click()
        assert th.busy and th.panel.cancel_button.isEnabled()
        qtbot.waitUntil(lambda: view.frame_count > 0, timeout=TIMEOUT_MS)
        first = _centre(view)
        qtbot.waitUntil(lambda: not th.busy, timeout=TIMEOUT_MS)
    finally:
        poll.stop()
    expected = _take_frames(window)
    assert view.expected == expected and view.frame_count == expected and view.complete
    assert sorted(view.frames) == list(range(expected))
    assert all(f.shape == (SIZE, SIZE, 3) and f.dtype == np.uint8 for f in view.frames.values())
    assert arrivals[0] == (0, True)  # shown while the rest were still being drawn
    assert any(0 < n < expected for n in seen_counts)  # they arrived batch by batch
    assert np.abs(first - placeholder).mean() > 5.0
    assert "Generated" in th.panel.message.text() and not th.panel.cancel_button.isEnabled()

    # Scrubbing: the view shows the frame of the playhead's time.
    last = expected - 1
    window.playback.seek(last / FPS)
    assert view.shown_index == last
    at_end = _centre(view)
    window.playback.seek(0.0)
    assert view.shown_index == 0
    differs = float(np.abs(view.frames[0].astype(int) - view.frames[last].astype(int)).mean())
    if differs > 1.0:
        assert np.abs(_centre(view) - at_end).mean() > 0.1
    assert not view.stale

    # A new take (an edit re-maps the rig) marks the frames out of date, visibly.
    r, g, b = _top_colour(view)
    assert max(r, g, b) < 60  # the background: no banner
    take = window.session.take
    window.edit_intensity(0.4, 1)
    qtbot.waitUntil(lambda: window.session.take is not take and idle(window), timeout=10_000)
    assert view.stale and view.frame_count == expected
    r, g, b = _top_colour(view)
    assert r > 120 and r > g > b  # the orange "out of date" banner


def test_cancel_keeps_the_frames_received_and_the_window_stays_responsive(
        window: MainWindow, qtbot, models: Path, portrait: Path) -> None:  # noqa: ANN001
    th, view = window.talking_head, window.talking_head.view
    _talking_head(window, models, portrait, steps=8)  # 6 steps a batch: time to cancel
    gaps: list[float] = []
    last_tick = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last_tick[0])
        last_tick[0] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    timer.start()
    try:
        assert th.generate()
        qtbot.waitUntil(lambda: view.frame_count > 0, timeout=TIMEOUT_MS)
        assert th.busy, "finished before it could be cancelled"
        window.cancel_jobs()  # Escape / the panel's Cancel
        kept = view.frame_count
        assert not th.busy and not th.panel.cancel_button.isEnabled()
        started = time.perf_counter()
        # The worker stops within one denoising step; the window keeps its event loop running
        # meanwhile (the gaps measure it, not a wait of the test's own).
        qtbot.waitUntil(lambda: th.runner.wait(0), timeout=20_000)
        stopped_after = time.perf_counter() - started
        QApplication.processEvents()
    finally:
        timer.stop()
    expected = _take_frames(window)
    assert 0 < kept < expected and view.frame_count == kept  # late frames are not added
    assert view.shown_index == 0 and not view.complete
    assert "cancelled" in th.panel.message.text() and f"{kept} of {expected}" in (
        th.panel.message.text())
    assert stopped_after < 10.0, f"the worker took {stopped_after:.1f} s to stop"
    assert len(gaps) > 20 and max(gaps[2:]) < 0.5, f"the window stalled {max(gaps):.2f} s"
    assert th.panel.generate_button.isEnabled()  # and it can run again


def test_missing_models_and_a_bad_portrait_give_one_line_and_keep_the_edits(
        window: MainWindow, qtbot, tmp_path: Path, models: Path, portrait: Path) -> None:  # noqa: ANN001
    before = window.session.take
    window.edit_intensity(0.6, 7)
    qtbot.waitUntil(lambda: window.session.take is not before and idle(window), timeout=10_000)
    take, undo = window.session.take, window.undo_stack.count()
    config = tmp_path / "talking_head.toml"
    config.write_text('[models]\nbase = "nowhere"\ncontrolnet = "nowhere/controlnet"\n',
                      encoding="utf-8")
    th = window.talking_head
    _talking_head(window, config, portrait)
    settings_undo = window.undo_stack.count()  # the settings are edits; a failure is not
    assert settings_undo > undo
    assert th.generate()
    qtbot.waitUntil(lambda: not th.busy, timeout=TIMEOUT_MS)
    error = window.last_error or ""
    assert "\n" not in error and "Traceback" not in error
    assert "unet" in error and "controlnet" in error and "nowhere" in error
    assert th.panel.message.text() == error
    assert "nowhere" in window.statusBar().currentMessage()
    assert th.view.frame_count == 0

    assert window.undo_stack.count() == settings_undo

    broken = tmp_path / "face.png"
    broken.write_bytes(b"not an image")
    _talking_head(window, models, broken)
    settings_undo = window.undo_stack.count()
    assert th.generate()
    qtbot.waitUntil(lambda: not th.busy, timeout=TIMEOUT_MS)
    error = window.last_error or ""
    assert "reference portrait" in error and "\n" not in error
    assert window.session.take is take and window.undo_stack.count() == settings_undo
    assert window.session.intensity == pytest.approx(0.6)
    assert th.panel.reference_edit.text() == str(broken)


# ---------------------------------------------------------------------------------- the project


def _wait_open(qtbot, w: MainWindow, path: Path) -> None:  # noqa: ANN001
    w.open_project(path)
    qtbot.waitUntil(lambda: w.project_path == path and not w.loader.busy, timeout=20_000)


def _pick(combo: QComboBox, value: object) -> None:
    """Choose ``value`` in ``combo`` as the user does (the signals follow)."""
    combo.setCurrentIndex(combo.findData(value))


def _type(edit: QLineEdit, text: str) -> None:
    """Type ``text`` into ``edit`` and leave it, as the user does."""
    edit.setText(text)
    edit.editingFinished.emit()


def test_the_switch_and_settings_are_saved_in_the_project_and_shown_when_opened(
        app, qtbot, tmp_path: Path, models: Path) -> None:  # noqa: ANN001
    project = tmp_path / "project"
    (project / "faces").mkdir(parents=True)
    face = project / "faces" / "anna.png"
    Image.fromarray(np.full((64, 64, 3), 128, np.uint8)).save(face)
    dest = project / "scene.affect.json"
    w = make_window(qtbot)
    try:
        panel = w.talking_head.panel
        assert not w.isWindowModified()
        _pick(panel.generator_combo, TALKING_HEAD)
        assert w.isWindowModified()  # the switch is an edit of the project
        _type(panel.reference_edit, str(face))
        panel.steps_spin.setValue(9)
        _pick(panel.size_combo, 256)
        _type(panel.config_edit, str(models))
        assert w.save_to(dest)
        assert not w.isWindowModified()
        text = dest.read_text(encoding="utf-8")
        assert json.loads(text)["talkingHead"] == {
            "enabled": True, "reference": "faces/anna.png", "steps": 9, "guidance": 1.0,
            "strength": 0.7, "size": 256}  # the portrait relative to the project file
        assert str(models) not in text and str(project) not in text  # no models' file
    finally:
        dispose(w)

    store = settings()  # another machine: nothing remembered there
    store.remove("talking_head")
    store.sync()
    other = make_window(qtbot)
    try:
        shown = other.talking_head.panel
        assert shown.generator() == RIG and shown.steps_spin.value() == 4
        _wait_open(qtbot, other, dest)
        assert shown.generator() == TALKING_HEAD and other.talking_head.active
        assert other.talking_head.view.isVisible()
        assert shown.reference_edit.text() == str(face)
        assert shown.steps_spin.value() == 9 and shown.frame_side() == 256
        assert shown.config_edit.text() == ""  # the machine's own (the default lookup)
        assert other.talking_head.request().reference == face
        assert not other.isWindowModified() and other.undo_stack.count() == 0
        assert other.last_error is None
    finally:
        dispose(other)


def test_changing_the_switch_or_a_setting_is_an_undoable_edit(app, qtbot) -> None:  # noqa: ANN001
    w = make_window(qtbot)
    try:
        th, panel = w.talking_head, w.talking_head.panel
        panel.steps_spin.setValue(6)
        panel.steps_spin.setValue(7)  # one spin box, one undo step
        assert w.isWindowModified() and w.undo_stack.count() == 1
        assert "steps" in w.undo_stack.undoText()
        _type(panel.config_edit, "/models/talking_head.toml")
        assert w.undo_stack.count() == 1  # the models' file is the machine's, not an edit
        _type(panel.reference_edit, "")  # unchanged: no edit either
        assert w.undo_stack.count() == 1
        _pick(panel.generator_combo, TALKING_HEAD)
        assert th.active and th.view.isVisible() and w.undo_stack.count() == 2

        recovery = w.autosave()  # the autosave holds them too (paths absolute)
        assert recovery is not None
        saved = json.loads(recovery.read_text(encoding="utf-8"))["project"]["talkingHead"]
        assert saved["enabled"] is True and saved["steps"] == 7

        w.undo_stack.undo()
        assert panel.generator() == RIG and not th.active and not th.view.isVisible()
        w.undo_stack.undo()
        assert panel.steps_spin.value() == 4 and not w.isWindowModified()
        assert int(settings().value("talking_head/steps")) == 4  # remembered as edits are
        assert panel.config_edit.text() == "/models/talking_head.toml"
        w.undo_stack.redo()
        w.undo_stack.redo()
        assert panel.steps_spin.value() == 7 and panel.generator() == TALKING_HEAD
        assert th.view.isVisible() and w.isWindowModified()
    finally:
        dispose(w)


def test_device_and_memory_saving_are_the_machine_s_settings_not_edits(
        window: MainWindow, qtbot, models: Path, portrait: Path) -> None:  # noqa: ANN001
    import torch

    th, panel = window.talking_head, window.talking_head.panel
    _talking_head(window, models, portrait)
    assert panel.device() == "" and not panel.low_memory_check.isChecked()
    edits = window.undo_stack.count()
    _pick(panel.device_combo, "cpu")
    panel.low_memory_check.setChecked(True)
    assert window.undo_stack.count() == edits  # not project edits
    request = th.request()
    assert request.device == "cpu" and request.low_memory
    assert settings().value("talking_head/device") == "cpu"
    saved = th.project_settings()
    assert not hasattr(saved, "device") and not hasattr(saved, "low_memory")

    assert th.generate()  # memory saving on the CPU: the same path, frames as usual
    qtbot.waitUntil(lambda: not th.busy, timeout=TIMEOUT_MS)
    assert th.view.complete and not th.view.stale, window.last_error
    _pick(panel.device_combo, "")
    panel.low_memory_check.setChecked(False)
    assert not th.view.stale  # where frames are drawn does not change them

    if not torch.cuda.is_available():  # a device this machine lacks: one line, edits kept
        _pick(panel.device_combo, "cuda")
        frames = th.view.frame_count
        assert th.generate()
        qtbot.waitUntil(lambda: not th.busy, timeout=TIMEOUT_MS)
        error = window.last_error or ""
        assert error.startswith("no CUDA GPU is available here") and "\n" not in error
        assert th.panel.message.text() == error and th.view.frame_count == frames
        assert panel.device() == "cuda"

    other = make_window(qtbot)  # a new window starts with the machine's settings
    try:
        assert other.talking_head.panel.device() == panel.device()
        assert other.talking_head.panel.low_memory_check.isChecked() is False
    finally:
        dispose(other)


def test_a_project_without_the_settings_shows_the_studio_s_own(
        app, qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    old = tmp_path / "old.affect.json"
    old.write_text(json.dumps({"format": "affect-studio-project", "version": 1}),
                   encoding="utf-8")
    new = save_project(Project(talking_head=ProjectTalkingHead(enabled=True, steps=12,
                                                               size=192)),
                       tmp_path / "new.affect.json")
    w = make_window(qtbot)
    try:
        panel = w.talking_head.panel
        panel.steps_spin.setValue(9)  # the user's own settings (remembered by the studio)
        _wait_open(qtbot, w, new)
        assert panel.generator() == TALKING_HEAD and panel.steps_spin.value() == 12
        assert panel.frame_side() == 192  # a multiple of 64 outside the presets is shown
        assert not w.isWindowModified()
        _wait_open(qtbot, w, old)
        assert panel.generator() == RIG and panel.steps_spin.value() == 9
        assert panel.frame_side() == 512 and not w.isWindowModified()
        _wait_open(qtbot, w, new)
        w.new_project()
        assert panel.generator() == RIG and panel.steps_spin.value() == 9
        assert w.project().talking_head == ProjectTalkingHead(steps=9)
    finally:
        dispose(w)


def test_saving_offers_to_copy_a_reference_portrait_from_elsewhere(
        app, qtbot, tmp_path: Path, portrait: Path) -> None:  # noqa: ANN001
    project = tmp_path / "project"
    project.mkdir()
    dest = project / "scene.affect.json"
    w = make_window(qtbot)
    try:
        panel = w.talking_head.panel
        panel.set_generator(TALKING_HEAD)
        _type(panel.reference_edit, str(portrait))
        assert not w.save_to(dest, copy_media=False)  # declined: the project cannot hold it
        error = w.last_error or ""
        assert "\n" not in error and "reference portrait file" in error
        assert "outside the project folder" in error and not dest.exists()
        assert w.isWindowModified()
        assert w.save_to(dest, copy_media=True)
        copy = project / "face.png"
        assert copy.read_bytes() == portrait.read_bytes() and portrait.is_file()
        assert panel.reference_edit.text() == str(copy)
        assert json.loads(dest.read_text(encoding="utf-8"))["talkingHead"]["reference"] == (
            "face.png")
        assert not w.isWindowModified()

        copy.unlink()  # a missing portrait does not stop the project from opening
        w.new_project()
        _wait_open(qtbot, w, dest)
        assert panel.reference_edit.text() == str(copy)
        assert "reference portrait: " in (w.last_error or "")
    finally:
        dispose(w)


def test_a_portrait_left_in_the_panel_does_not_stop_a_rig_project_from_saving(
        app, qtbot, tmp_path: Path, portrait: Path) -> None:  # noqa: ANN001
    project = tmp_path / "project"
    project.mkdir()
    dest = project / "scene.affect.json"
    w = make_window(qtbot)
    try:
        panel = w.talking_head.panel
        _type(panel.reference_edit, str(portrait))  # set once, the switch left on Rig
        assert w.save_to(dest, copy_media=False)  # nothing to copy: the rig uses no portrait
        saved = json.loads(dest.read_text(encoding="utf-8"))["talkingHead"]
        assert saved["enabled"] is False and saved["reference"] is None
        assert not (project / portrait.name).exists()
        assert panel.reference_edit.text() == str(portrait)  # still in the panel
    finally:
        dispose(w)


# ---------------------------------------------------------------------------------- export


def _export(window: MainWindow, qtbot, folder: Path) -> tuple[Path, Path]:  # noqa: ANN001
    dialog = window.open_export_dialog()
    assert dialog is not None
    assert dialog.note.isVisible() == window.talking_head.active
    dialog.folder_edit.setText(str(folder))
    dialog.name_edit.setText("line")
    dialog.open_when_done.setChecked(False)
    for ext, box in dialog.format_boxes.items():
        box.setChecked(ext in (".mp4", ".json"))
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.runner.busy, timeout=TIMEOUT_MS)
    assert dialog.last_error is None, dialog.last_error
    written = {p.suffix: p for p in dialog.written}
    dialog.done(0)
    return written[".mp4"], written[".json"]


def test_export_mp4_with_the_talking_head_writes_its_video(
        window: MainWindow, qtbot, models: Path, portrait: Path, tmp_path: Path,  # noqa: ANN001
        monkeypatch) -> None:  # noqa: ANN001
    from tests.studio.exporters.test_export_video import decode_all, probe, video_frames

    _talking_head(window, models, portrait)
    expected = _take_frames(window)
    note = window.talking_head.export_note() or ""
    assert "talking-head video" in note and "frames on show" not in note

    fresh = tmp_path / "fresh"  # nothing generated yet: the export draws the frames
    fresh.mkdir()
    mp4, curves = _export(window, qtbot, fresh)
    info = probe(mp4)
    assert "Video: h264" in info and f"{SIZE}x{SIZE}" in info and "Audio: aac" in info
    assert decode_all(mp4) == ""
    assert len(video_frames(mp4, SIZE, SIZE)) == expected
    assert json.loads(curves.read_text())["numFrames"] == expected  # the rig's curves

    th = window.talking_head  # frames on show, complete and current: the export uses them
    assert th.generate()
    qtbot.waitUntil(lambda: not th.busy, timeout=TIMEOUT_MS)
    assert "frames on show are used" in (th.export_note() or "")
    shown = tmp_path / "shown"
    shown.mkdir()

    def no_regeneration(*_args, **_kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("the frames on show should have been used")

    monkeypatch.setattr("studio.talking_head_video.talking_head_frames", no_regeneration)
    mp4, _curves = _export(window, qtbot, shown)
    decoded = video_frames(mp4, SIZE, SIZE).astype(float)
    assert len(decoded) == expected
    ours = np.stack([th.view.frames[i] for i in range(expected)]).astype(float)
    luma = ours @ np.array([0.299, 0.587, 0.114])
    assert np.abs(decoded - luma).mean() < 12.0

    th.panel.set_generator(RIG)  # the rig's video again, at the dialog's size
    rig = tmp_path / "rig"
    rig.mkdir()
    mp4, _curves = _export(window, qtbot, rig)
    assert f"{SIZE}x{SIZE}" not in probe(mp4)


def test_a_failed_gl_viewport_is_replaced_beside_the_frames_view(app, qtbot) -> None:  # noqa: ANN001
    w = make_window(qtbot)
    try:
        old = w.viewport
        old.kind = "gl"  # as if the window's OpenGL had failed after start-up
        w._viewport_failed("no usable OpenGL")
        assert w.viewport is not old and w.viewport.kind == "image"
        assert w.view_splitter.indexOf(w.viewport) == 0
        assert w.view_splitter.indexOf(w.talking_head.view) == 1
        assert w.centralWidget() is w.view_splitter
    finally:
        dispose(w)
