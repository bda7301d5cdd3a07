"""The ARKit mapping editor: real dialog, real avatar file, real profile on disk."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox

from renderers.arkit import ARKIT_NAMES
from renderers.loaders.mapping_profile import MappingProfile, profile_path_for, save_profile
from studio.qt.main_window import MainWindow
from studio.qt.mapping_editor import NONE_TEXT, MappingEditor
from tests.conftest import unwritable

LOAD_MS = 20_000


def skin_targets(w: MainWindow) -> dict[str, np.ndarray]:
    return next(m for m in w.session.avatar.meshes if m.morph_targets).morph_targets


def open_editor(qtbot, w: MainWindow, avatar: Path) -> MappingEditor:  # noqa: ANN001
    """Open ``avatar`` in ``w``, then Avatar > Edit ARKit mapping…"""
    w.avatar_actions.open_avatar(avatar)
    qtbot.waitUntil(lambda: w.session.avatar_path == str(avatar), timeout=LOAD_MS)
    w.avatar_actions.act_mapping.trigger()
    qtbot.waitUntil(lambda: w.avatar_actions.editor is not None
                    and w.avatar_actions.editor.isVisible(), timeout=LOAD_MS)
    editor = w.avatar_actions.editor
    assert editor is not None
    return editor


def pick(combo: QComboBox, text: str) -> None:
    """Pick ``text`` in a row's combo, as a click in its list does."""
    index = combo.findText(text)
    assert index >= 0, text
    combo.setCurrentIndex(index)


def test_lists_the_52_shapes_preselected_from_the_automatic_match(
    window: MainWindow, qtbot, facecap: Path  # noqa: ANN001
) -> None:
    editor = open_editor(qtbot, window, facecap)
    assert editor.table.rowCount() == 52
    assert [editor.table.item(r, 0).text() for r in range(52)] == list(ARKIT_NAMES)
    assert editor.combos["eyeBlinkLeft"].currentText() == "eyeBlink_L"
    assert editor.table.item(editor.rows["eyeBlinkLeft"], 2).text() == "side"
    assert editor.table.item(editor.rows["jawOpen"], 2).text() == "exact"
    combo = editor.combos["jawOpen"]
    assert combo.isEditable() and combo.itemText(0) == NONE_TEXT
    assert combo.count() == 53  # (none) + the file's 52 targets
    assert "52 of 52" in editor.summary.text() and "missing: none" in editor.summary.text()
    editor.reject()


def test_change_save_and_the_reloaded_avatar_uses_it(
    window: MainWindow, qtbot, facecap: Path  # noqa: ANN001
) -> None:
    editor = open_editor(qtbot, window, facecap)
    smile = skin_targets(window)["mouthSmileLeft"].copy()
    pick(editor.combos["jawOpen"], "mouthSmile_L")
    left = editor.rows["mouthSmileLeft"]
    assert editor.combos["mouthSmileLeft"].currentText() == NONE_TEXT
    assert editor.table.item(left, 0).text() == "! mouthSmileLeft"  # important and missing
    assert editor.table.item(left, 0).font().bold()
    assert editor.table.item(left, 2).text() == "missing"
    assert editor.table.item(editor.rows["jawOpen"], 2).text() == "profile"
    assert "mouthSmileLeft lost its target" in editor.status.text()
    assert "mouthSmileLeft" in editor.summary.text()

    editor.save_button.click()
    saved = json.loads(profile_path_for(facecap).read_text(encoding="utf-8"))
    assert saved == {"format": "affect-studio-mapping", "version": 1,
                     "map": {"jawOpen": None, "mouthSmile_L": "jawOpen"}}
    assert not editor.isVisible()
    qtbot.waitUntil(lambda: "mouthSmileLeft" not in skin_targets(window), timeout=LOAD_MS)
    assert np.array_equal(skin_targets(window)["jawOpen"], smile)
    assert window.statusBar().currentMessage() == (
        "Mapping saved: facecap_plain: 51 of 52 ARKit shapes")
    assert not list(facecap.parent.glob(".*.tmp"))  # written atomically, nothing left over


def test_reset_to_automatic_removes_the_profile(
    window: MainWindow, qtbot, facecap: Path  # noqa: ANN001
) -> None:
    save_profile(MappingProfile({"eyeBlink_L": None}), profile_path_for(facecap))
    editor = open_editor(qtbot, window, facecap)
    assert "eyeBlinkLeft" not in skin_targets(window)
    assert editor.combos["eyeBlinkLeft"].currentText() == NONE_TEXT
    editor.reset_button.click()
    assert editor.combos["eyeBlinkLeft"].currentText() == "eyeBlink_L"
    assert editor.table.item(editor.rows["eyeBlinkLeft"], 2).text() == "side"
    assert profile_path_for(facecap).exists()  # nothing written before Save
    editor.save_button.click()
    assert not profile_path_for(facecap).exists()
    qtbot.waitUntil(lambda: "eyeBlinkLeft" in skin_targets(window), timeout=LOAD_MS)


def test_cancel_writes_nothing(window: MainWindow, qtbot, facecap: Path) -> None:  # noqa: ANN001
    editor = open_editor(qtbot, window, facecap)
    pick(editor.combos["jawOpen"], NONE_TEXT)
    editor.cancel_button.click()
    assert not editor.isVisible()
    assert not profile_path_for(facecap).exists()
    assert "jawOpen" in skin_targets(window)


def test_filter_and_typing_a_target_name(
    window: MainWindow, qtbot, facecap: Path  # noqa: ANN001
) -> None:
    editor = open_editor(qtbot, window, facecap)
    qtbot.keyClicks(editor.filter_edit, "blink")
    assert editor.visible_shapes() == ["eyeBlinkLeft", "eyeBlinkRight"]
    editor.filter_edit.clear()
    assert len(editor.visible_shapes()) == 52

    combo = editor.combos["eyeBlinkRight"]
    combo.setFocus()
    combo.lineEdit().selectAll()
    qtbot.keyClicks(combo.lineEdit(), "no_such_target")
    qtbot.keyClick(combo.lineEdit(), Qt.Key.Key_Return)
    assert combo.currentText() == "eyeBlink_R"  # unknown text is put back
    assert "no morph target 'no_such_target'" in editor.status.text()

    combo.lineEdit().selectAll()
    qtbot.keyClicks(combo.lineEdit(), "eyeblink_l")  # any case
    qtbot.keyClick(combo.lineEdit(), Qt.Key.Key_Return)
    assert editor.edit.sources("eyeBlinkRight") == ("eyeBlink_L",)
    assert editor.isVisible()  # Return confirms the name; it does not press Save
    assert not profile_path_for(facecap).exists()
    editor.filter_edit.setText("missing")
    assert editor.visible_shapes() == ["eyeBlinkLeft"]
    editor.reject()


def test_keyboard_reaches_the_filter_and_the_combos(
    window: MainWindow, qtbot, facecap: Path  # noqa: ANN001
) -> None:
    editor = open_editor(qtbot, window, facecap)
    editor.activateWindow()
    qtbot.keyClick(editor, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: editor.filter_edit.hasFocus(), timeout=2000)
    qtbot.keyClicks(editor.filter_edit, "jawo")
    qtbot.keyClick(editor.filter_edit, Qt.Key.Key_Tab)
    focused = QApplication.focusWidget()
    assert focused is not None
    assert editor.combos["jawOpen"] in (focused, focused.parent())
    editor.filter_edit.clear()
    editor.combos["tongueOut"].setFocus(Qt.FocusReason.TabFocusReason)  # the last row
    qtbot.waitUntil(lambda: editor.table.verticalScrollBar().value() > 0, timeout=2000)
    editor.reject()


def test_a_read_only_folder_is_reported_and_nothing_is_lost(
    window: MainWindow, qtbot, facecap: Path  # noqa: ANN001
) -> None:
    save_profile(MappingProfile({"eyeBlink_L": None}), profile_path_for(facecap))
    before = profile_path_for(facecap).read_bytes()
    editor = open_editor(qtbot, window, facecap)
    pick(editor.combos["jawOpen"], "mouthSmile_L")
    with unwritable(facecap.parent) as locked:
        if not locked:
            pytest.skip("cannot make a folder read-only here")
        assert not editor.save()
    box = editor.message_box
    assert box is not None and box.isVisible()
    assert box.windowTitle() == "Cannot save the mapping"
    assert "facecap_plain.mapping.json" in box.text() and "writable" in box.text()
    assert editor.isVisible()  # the edits are still there to save elsewhere or retry
    assert editor.edit.sources("jawOpen") == ("mouthSmile_L",)
    assert profile_path_for(facecap).read_bytes() == before
    box.close()
    assert editor.save()  # writable again: the same edits save
    assert json.loads(profile_path_for(facecap).read_text())["map"] == {
        "eyeBlink_L": None, "jawOpen": None, "mouthSmile_L": "jawOpen"}


def test_a_broken_profile_is_shown_and_replaced_on_save(
    window: MainWindow, qtbot, facecap: Path  # noqa: ANN001
) -> None:
    window.avatar_actions.open_avatar(facecap)
    qtbot.waitUntil(lambda: window.session.avatar_path == str(facecap), timeout=LOAD_MS)
    profile_path_for(facecap).write_text("{broken", encoding="utf-8")  # damaged after opening
    window.avatar_actions.edit_mapping()
    qtbot.waitUntil(lambda: window.avatar_actions.editor is not None, timeout=LOAD_MS)
    editor = window.avatar_actions.editor
    assert editor.data.profile_problem and "invalid JSON" in editor.data.profile_problem
    pick(editor.combos["tongueOut"], NONE_TEXT)
    assert editor.save()
    assert json.loads(profile_path_for(facecap).read_text())["map"] == {"tongueOut": None}
    qtbot.waitUntil(lambda: "tongueOut" not in skin_targets(window), timeout=LOAD_MS)


def test_mapping_needs_an_avatar_file(window: MainWindow) -> None:
    action = window.avatar_actions.act_mapping
    assert not action.isEnabled()
    assert "open an avatar first" in action.toolTip()
    window.avatar_actions.edit_mapping()  # e.g. reached some other way: says why, opens nothing
    assert window.avatar_actions.editor is None
    assert "default avatar has no file" in window.statusBar().currentMessage()


def test_the_lips_choice_is_saved_and_used(
    window: MainWindow, qtbot, facecap: Path  # noqa: ANN001
) -> None:
    editor = open_editor(qtbot, window, facecap)
    assert editor.lips_combo.currentData() == "auto"
    editor.lips_combo.setCurrentIndex(editor.lips_combo.findData("arkit"))
    assert editor.edit.lips == "arkit" and "ARKit mouth shapes" in editor.status.text()
    editor.save_button.click()
    saved = json.loads(profile_path_for(facecap).read_text(encoding="utf-8"))
    assert saved == {"format": "affect-studio-mapping", "version": 1, "map": {},
                     "lips": "arkit"}
    qtbot.waitUntil(lambda: window.session.avatar.lips == "arkit", timeout=LOAD_MS)
    again = open_editor(qtbot, window, facecap)
    assert again.lips_combo.currentData() == "arkit"
    again.reset_button.click()
    assert again.lips_combo.currentData() == "auto"
    again.save_button.click()
    assert not profile_path_for(facecap).exists()
