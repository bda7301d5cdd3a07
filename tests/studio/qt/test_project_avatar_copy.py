"""Saving a project whose avatar (and voice line) lie outside the project folder."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from renderers.loaders.mapping_profile import MappingProfile, profile_path_for, save_profile
from studio.qt.main_window import MainWindow
from tests.conftest import unwritable

from .windows import dispose, make_window

LOAD_MS = 20_000
COPY = Path("avatars") / "facecap_plain" / "facecap_plain.glb"


def open_avatar(qtbot, w: MainWindow, path: Path) -> None:  # noqa: ANN001
    """Open ``path`` as File > Open avatar does after its file dialog, and wait for it."""
    w.avatar_actions.open_avatar(path)
    qtbot.waitUntil(lambda: w.session.avatar_path == str(path), timeout=LOAD_MS)


def error_box(w: MainWindow) -> QMessageBox:
    box = w.message_box
    assert box is not None and box.isVisible()
    return box


def saved_avatar(project: Path) -> str | None:
    return json.loads(project.read_text(encoding="utf-8"))["avatar"]


def tree(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


Answer = Callable[[QMessageBox.StandardButton], list[tuple[str, str]]]


@pytest.fixture
def answer() -> Iterator[Answer]:
    """``answer(button)``: from now on, answer each question box with ``button``; returns the
    list its (title, text) pairs are added to."""
    timers: list[QTimer] = []

    def start(button: QMessageBox.StandardButton) -> list[tuple[str, str]]:
        for old in timers:
            old.stop()
        asked: list[tuple[str, str]] = []

        def poll() -> None:
            box = QApplication.activeModalWidget()
            if isinstance(box, QMessageBox) and box.button(button) is not None:
                asked.append((box.windowTitle(), box.text()))
                box.button(button).click()

        timer = QTimer()
        timer.setInterval(20)
        timer.timeout.connect(poll)
        timer.start()
        timers.append(timer)
        return asked

    yield start
    for timer in timers:
        timer.stop()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty project folder beside the avatar's folder."""
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


def write_obj_head(folder: Path) -> Path:
    """A one-triangle OBJ head with a shapes folder of two shapes."""
    shapes = folder / "head_shapes"
    shapes.mkdir(parents=True)
    (folder / "head.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", encoding="utf-8")
    (shapes / "jawOpen.obj").write_text("v 0 0 0.1\nv 1 0 0\nv 0 1 0\n", encoding="utf-8")
    (shapes / "mouthSmileLeft.obj").write_text("v 0 0 0\nv 1 0 0.2\nv 0 1 0\n",
                                               encoding="utf-8")
    return folder / "head.obj"


def test_saving_copies_the_avatar_and_the_project_reopens_with_it(
    window: MainWindow, qtbot, facecap: Path, project: Path  # noqa: ANN001
) -> None:
    save_profile(MappingProfile({"eyeBlink_L": None}), profile_path_for(facecap))
    open_avatar(qtbot, window, facecap)
    assert window.session.avatar.missing_arkit_shapes == ["eyeBlinkLeft"]
    frame = window.viewport.grab_frame()
    dest = project / "scene.affect.json"
    assert window.save_to(dest, copy_media=True)
    copied = project / COPY
    assert copied.read_bytes() == facecap.read_bytes()
    assert profile_path_for(copied).read_bytes() == profile_path_for(facecap).read_bytes()
    assert window.session.avatar_path == str(copied)
    assert saved_avatar(dest) == COPY.as_posix()  # relative, inside the project folder
    assert not window.isWindowModified()
    assert window.viewport.grab_frame() == frame  # the same avatar, no reload needed
    assert facecap.is_file()  # the original stays where it was

    window.new_project()
    window.open_project(dest)
    qtbot.waitUntil(lambda: window.session.avatar_path == str(copied), timeout=LOAD_MS)
    assert window.session.avatar.missing_arkit_shapes == ["eyeBlinkLeft"]  # the profile too
    assert window.viewport.grab_frame() == frame


def test_an_obj_avatar_is_copied_with_its_shapes_folder(
    window: MainWindow, qtbot, tmp_path: Path, project: Path  # noqa: ANN001
) -> None:
    head = write_obj_head(tmp_path / "downloads")
    open_avatar(qtbot, window, head)
    targets = set(window.session.avatar.meshes[0].morph_targets)
    dest = project / "scene.affect.json"
    assert window.save_to(dest, copy_media=True)
    assert saved_avatar(dest) == "avatars/head/head.obj"
    assert tree(project / "avatars") == ["head", "head/head.obj", "head/head_shapes",
                                         "head/head_shapes/jawOpen.obj",
                                         "head/head_shapes/mouthSmileLeft.obj"]
    other = make_window(qtbot)
    try:
        other.open_project(dest)
        qtbot.waitUntil(lambda: other.session.avatar_path == str(project / "avatars" / "head"
                                                                 / "head.obj"), timeout=LOAD_MS)
        assert set(other.session.avatar.meshes[0].morph_targets) == targets == \
            {"jawOpen", "mouthSmileLeft"}
    finally:
        dispose(other)


def test_a_declined_copy_is_an_error_and_nothing_is_saved(
    window: MainWindow, qtbot, facecap: Path, project: Path  # noqa: ANN001
) -> None:
    open_avatar(qtbot, window, facecap)
    dest = project / "scene.affect.json"
    assert not window.save_to(dest, copy_media=False)
    box = error_box(window)
    assert box.windowTitle() == "Cannot save the project"
    assert "facecap_plain.glb" in box.text() and "outside the project folder" in box.text()
    assert tree(project) == []
    assert window.session.avatar_path == str(facecap) and window.isWindowModified()
    box.close()


def test_one_question_offers_to_copy_the_voice_line_and_the_avatar(
    window: MainWindow, qtbot, facecap: Path, project: Path, demo_audio: Path,  # noqa: ANN001
    answer: Answer,
) -> None:
    clip = Path(shutil.copy(demo_audio, facecap.parent / "greeting.flac"))
    window.load_audio(clip)
    qtbot.waitUntil(lambda: window.session.audio is not None, timeout=LOAD_MS)
    open_avatar(qtbot, window, facecap)
    dest = project / "scene.affect.json"

    asked = answer(QMessageBox.StandardButton.No)
    assert not window.save_to(dest, offer_copy=True)
    assert len(asked) == 1
    error_box(window).close()
    assert tree(project) == []

    asked = answer(QMessageBox.StandardButton.Yes)
    assert window.save_to(dest, offer_copy=True)
    assert len(asked) == 1
    title, text = asked[0]
    assert title == "Copy the media?"
    assert "greeting.flac" in text and "facecap_plain.glb" in text and str(project) in text
    assert tree(project) == ["avatars", "avatars/facecap_plain", COPY.as_posix(),
                             "greeting.flac", "scene.affect.json"]
    data = json.loads(dest.read_text(encoding="utf-8"))
    assert data["audio"] == "greeting.flac" and data["avatar"] == COPY.as_posix()
    assert window.session.audio is not None
    assert window.session.audio.source == str(project / "greeting.flac")


def test_plain_save_offers_the_copy_too(
    window: MainWindow, qtbot, facecap: Path, project: Path, answer: Answer  # noqa: ANN001
) -> None:
    dest = project / "scene.affect.json"
    assert window.save_to(dest)  # the default avatar: nothing to copy, nothing asked
    open_avatar(qtbot, window, facecap)
    asked = answer(QMessageBox.StandardButton.Yes)
    assert window.save()
    assert [title for title, _ in asked] == ["Copy the avatar?"]
    assert saved_avatar(dest) == COPY.as_posix()


def test_a_read_only_project_folder_is_reported_and_nothing_is_lost(
    window: MainWindow, qtbot, facecap: Path, project: Path  # noqa: ANN001
) -> None:
    open_avatar(qtbot, window, facecap)
    window.edit_intensity(0.35, 1)
    steps = window.undo_stack.count()
    dest = project / "scene.affect.json"
    with unwritable(project) as locked:
        if not locked:
            pytest.skip("cannot make a folder read-only here")
        assert not window.save_to(dest, copy_media=True)
    box = error_box(window)
    assert box.windowTitle() == "Cannot save the project"
    assert box.text().startswith("cannot copy the avatar facecap_plain.glb into")
    assert "\n" not in box.text()
    box.close()
    assert tree(project) == []  # no project file, no avatars folder, no temporary folder
    assert window.session.avatar_path == str(facecap)
    assert window.session.intensity == pytest.approx(0.35)
    assert window.undo_stack.count() == steps and window.isWindowModified()
    assert window.save_to(dest, copy_media=True)  # writable again: the same edits save
    assert json.loads(dest.read_text(encoding="utf-8"))["intensity"] == pytest.approx(0.35)


def test_a_file_in_the_way_of_the_avatars_folder_is_reported(
    window: MainWindow, qtbot, facecap: Path, project: Path  # noqa: ANN001
) -> None:
    open_avatar(qtbot, window, facecap)
    (project / "avatars").write_text("not a folder", encoding="utf-8")
    assert not window.save_to(project / "scene.affect.json", copy_media=True)
    box = error_box(window)
    assert "cannot copy the avatar facecap_plain.glb" in box.text()
    box.close()
    assert tree(project) == ["avatars"]
    assert window.session.avatar_path == str(facecap)


def test_a_different_avatar_of_the_same_name_gets_a_numbered_folder(
    window: MainWindow, qtbot, facecap: Path, project: Path  # noqa: ANN001
) -> None:
    taken = project / COPY
    taken.parent.mkdir(parents=True)
    taken.write_bytes(b"another avatar of the same name")
    open_avatar(qtbot, window, facecap)
    dest = project / "scene.affect.json"
    assert window.save_to(dest, copy_media=True)
    assert saved_avatar(dest) == "avatars/facecap_plain-1/facecap_plain.glb"
    assert taken.read_bytes() == b"another avatar of the same name"
    assert (project / "avatars" / "facecap_plain-1" / "facecap_plain.glb").read_bytes() == \
        facecap.read_bytes()
