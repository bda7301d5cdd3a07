"""Opening an avatar in the studio window: background load, undo, failures, projects."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from renderers.loaders import default_avatar
from studio.qt.avatar_actions import AVATAR_FILTER
from studio.qt.main_window import MainWindow

LOAD_MS = 20_000


def open_avatar(qtbot, w: MainWindow, path: Path) -> None:  # noqa: ANN001
    """Open ``path`` as File > Open avatar does after its file dialog, and wait for it."""
    w.avatar_actions.open_avatar(path)
    qtbot.waitUntil(lambda: w.session.avatar_path == str(path), timeout=LOAD_MS)


def message(w: MainWindow) -> QMessageBox:
    box = w.message_box
    assert box is not None and box.isVisible()
    return box


def test_menus_offer_the_avatar_commands(window: MainWindow) -> None:
    titles = {m.title(): m for m in (a.menu() for a in window.menuBar().actions()) if m}
    file_texts = [a.text() for a in titles["&File"].actions()]
    assert "O&pen avatar…" in file_texts and "Use &default avatar" in file_texts
    assert "Edit ARKit &mapping…" in [a.text() for a in titles["&Avatar"].actions()]
    for suffix in ("*.glb", "*.gltf", "*.vrm", "*.obj"):
        assert suffix in AVATAR_FILTER


def test_open_an_avatar_shows_it_and_is_one_undo_step(
    window: MainWindow, qtbot, facecap: Path  # noqa: ANN001
) -> None:
    before = window.viewport.grab_frame()
    with qtbot.waitSignal(window.loader.started, timeout=LOAD_MS) as started:
        window.avatar_actions.open_avatar(facecap)
    assert started.args == ["Loading avatar facecap_plain.glb"]  # the status bar's job label
    qtbot.waitUntil(lambda: window.session.avatar_path == str(facecap), timeout=LOAD_MS)
    assert window.statusBar().currentMessage() == "facecap_plain: 52 of 52 ARKit shapes"
    assert window.session.avatar.missing_arkit_shapes == []
    after = window.viewport.grab_frame()
    assert after != before  # the viewport draws the new head
    assert window.isWindowModified()
    assert window.undo_stack.count() == 1
    assert window.act_undo.text() == "&Undo Use avatar facecap_plain"

    window.undo_stack.undo()
    assert window.session.avatar_path is None
    assert window.session.avatar is default_avatar()
    assert window.viewport.grab_frame() == before
    window.undo_stack.redo()
    assert window.session.avatar_path == str(facecap)
    assert window.viewport.grab_frame() == after


def test_a_broken_file_is_reported_and_the_avatar_stays(
    window: MainWindow, qtbot, facecap: Path  # noqa: ANN001
) -> None:
    open_avatar(qtbot, window, facecap)
    kept = window.session.avatar
    frame = window.viewport.grab_frame()
    bad = facecap.with_name("broken.glb")
    bad.write_bytes(facecap.read_bytes()[:4000])
    window.avatar_actions.open_avatar(bad)
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=LOAD_MS)
    box = message(window)
    assert box.windowTitle() == "Cannot open this avatar"
    assert "broken.glb" in box.text() and "\n" not in box.text()
    assert not box.text().startswith("AvatarError")  # the user's message, not a traceback
    assert window.session.avatar_path == str(facecap) and window.session.avatar is kept
    assert window.viewport.grab_frame() == frame
    assert window.undo_stack.count() == 1  # only the first, good switch
    box.close()


def test_use_default_avatar_and_mapping_action_state(
    window: MainWindow, qtbot, facecap: Path  # noqa: ANN001
) -> None:
    actions = window.avatar_actions
    assert not actions.act_mapping.isEnabled()
    assert "default avatar has no file" in actions.act_mapping.toolTip()
    assert not actions.act_default.isEnabled()
    open_avatar(qtbot, window, facecap)
    assert actions.act_mapping.isEnabled() and actions.act_default.isEnabled()
    actions.act_default.trigger()
    assert window.session.avatar_path is None
    assert window.session.avatar is default_avatar()
    assert window.statusBar().currentMessage() == "Default head: 52 of 52 ARKit shapes"
    assert not actions.act_mapping.isEnabled()
    assert window.undo_stack.count() == 2


def test_the_avatar_is_saved_and_restored_from_recent_projects(
    window: MainWindow, qtbot, facecap: Path  # noqa: ANN001
) -> None:
    open_avatar(qtbot, window, facecap)
    dest = facecap.parent / "scene.affect.json"
    assert window.save_to(dest)
    assert '"avatar": "facecap_plain.glb"' in dest.read_text(encoding="utf-8")
    window.new_project()
    assert window.session.avatar_path is None
    recent = next(a for a in window.recent_menu.actions() if a.toolTip() == str(dest))
    recent.trigger()
    qtbot.waitUntil(lambda: window.session.avatar_path == str(facecap), timeout=LOAD_MS)
    assert window.session.avatar.missing_arkit_shapes == []
    assert window.project_path == dest and not window.isWindowModified()
    assert window.avatar_actions.act_mapping.isEnabled()


def test_a_missing_avatar_falls_back_to_the_default_and_keeps_the_project(
    window: MainWindow, qtbot, facecap: Path  # noqa: ANN001
) -> None:
    open_avatar(qtbot, window, facecap)
    window.edit_intensity(0.35, 1)
    dest = facecap.parent / "scene.affect.json"
    assert window.save_to(dest)
    window.new_project()
    facecap.unlink()
    window.open_project(dest)
    qtbot.waitUntil(lambda: window.message_box is not None and window.message_box.isVisible()
                    and window.project_path == dest, timeout=LOAD_MS)
    box = message(window)
    assert box.windowTitle() == "Missing files"
    assert "facecap_plain.glb" in box.text() and "default avatar" in box.text()
    assert window.session.avatar_path is None
    assert window.session.avatar is default_avatar()
    assert window.session.intensity == pytest.approx(0.35)  # the rest of the project is there
    assert window.viewport.grab_frame().width() > 100
    box.close()


def test_a_broken_avatar_in_a_project_is_reported(
    window: MainWindow, qtbot, facecap: Path  # noqa: ANN001
) -> None:
    open_avatar(qtbot, window, facecap)
    dest = facecap.parent / "scene.affect.json"
    assert window.save_to(dest)
    window.new_project()
    facecap.write_text("overwritten by mistake", encoding="utf-8")
    window.open_project(dest)
    qtbot.waitUntil(lambda: window.message_box is not None and window.message_box.isVisible()
                    and window.project_path == dest, timeout=LOAD_MS)
    box = message(window)
    assert box.windowTitle() == "Cannot use the project's avatar"
    assert "facecap_plain.glb" in box.text() and "default avatar is shown" in box.text()
    assert window.session.avatar_path is None
    box.close()
