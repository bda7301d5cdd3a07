"""The export dialog driven through the real window: real files, real encoder, real cancel."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QDesktopServices

from studio.exporters.registry import BUILTIN_EXPORTERS
from studio.qt.export_dialog import ExportDialog
from studio.qt.main_window import MainWindow
from tests.studio.qt.windows import dispose, load, make_window

pytestmark = pytest.mark.usefixtures("app")


class _UrlRecorder(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot("QUrl")
    def record(self, url) -> None:  # noqa: ANN001 - Qt slot
        self.urls.append(url.toLocalFile())


@pytest.fixture(scope="module")
def analysed(tmp_path_factory, demo_audio: Path, demo_transcript: str):  # noqa: ANN001
    """A window with the demo line analysed (shared by the tests in this module)."""
    from pytestqt.qtbot import QtBot

    from studio.qt.app import create_application

    create_application()
    folder = tmp_path_factory.mktemp("export-project")
    audio = Path(shutil.copy(demo_audio, folder / "greeting.flac"))
    qtbot = QtBot(None)
    w = make_window(qtbot)
    load(qtbot, w, audio, demo_transcript)
    w.edit_prompt("cheerful")
    qtbot.waitUntil(lambda: [s.prompt for s in w.session.take.emotion.segments] == ["cheerful"],
                    timeout=5_000)
    yield w
    dispose(w)


@pytest.fixture
def url_recorder():
    recorder = _UrlRecorder()
    QDesktopServices.setUrlHandler("file", recorder, "record")
    yield recorder
    QDesktopServices.unsetUrlHandler("file")


def _dialog(w: MainWindow, folder: Path) -> ExportDialog:
    dialog = w.open_export_dialog()
    assert dialog is not None and dialog.isVisible()
    dialog.folder_edit.setText(str(folder))
    for box in dialog.format_boxes.values():
        box.setChecked(False)
    return dialog


def _run(qtbot, dialog: ExportDialog) -> None:  # noqa: ANN001
    dialog.export_button.click()
    qtbot.waitUntil(lambda: not dialog.runner.busy, timeout=120_000)


def test_every_exporter_is_offered(analysed: MainWindow, tmp_path: Path) -> None:
    dialog = _dialog(analysed, tmp_path)
    offered = set(dialog.format_boxes)
    assert offered == {factory().extensions[0] for factory in BUILTIN_EXPORTERS}
    assert dialog.name_edit.text() == "greeting"
    dialog.reject()


def test_export_writes_every_chosen_format_and_opens_the_folder(
    analysed: MainWindow, qtbot, tmp_path: Path, url_recorder: _UrlRecorder  # noqa: ANN001
) -> None:
    dialog = _dialog(analysed, tmp_path)
    for ext in (".json", ".csv", ".rhubarb.json", ".tsv", ".mp4"):
        dialog.format_boxes[ext].setChecked(True)
    dialog.size_combo.setCurrentIndex(dialog.size_combo.count() - 1)  # custom
    dialog.width_spin.setValue(320)
    dialog.height_spin.setValue(180)
    dialog.fps_spin.setValue(25)
    _run(qtbot, dialog)
    assert dialog.last_error is None, dialog.status.text()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["greeting.csv", "greeting.json", "greeting.mp4", "greeting.rhubarb.json",
                     "greeting.tsv"]
    curves = json.loads((tmp_path / "greeting.json").read_text())
    assert curves["exportFps"] == pytest.approx(25)
    assert (tmp_path / "greeting.mp4").stat().st_size > 10_000
    assert url_recorder.urls == [str(tmp_path)]
    assert dialog.progress.value() == 1000
    assert analysed.session.take.curves.fps == 30.0  # the preview take is untouched
    dialog.reject()


def test_cancelled_export_leaves_no_file(analysed: MainWindow, qtbot, tmp_path: Path,  # noqa: ANN001
                                         url_recorder: _UrlRecorder) -> None:
    dialog = _dialog(analysed, tmp_path)
    dialog.format_boxes[".mp4"].setChecked(True)
    dialog.size_combo.setCurrentIndex(2)  # 1920 x 1080: slow enough to cancel mid-way
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=60_000)
    dialog.cancel_button.click()
    assert "cancelled" in dialog.status.text()
    dialog.runner.wait()
    assert list(tmp_path.iterdir()) == []
    assert url_recorder.urls == []
    dialog.reject()


def test_failed_export_says_why_and_keeps_the_session(analysed: MainWindow, qtbot,  # noqa: ANN001
                                                      tmp_path: Path) -> None:
    (tmp_path / "greeting.json").mkdir()  # the destination is a folder: cannot be replaced
    take = analysed.session.take
    dialog = _dialog(analysed, tmp_path)
    dialog.open_when_done.setChecked(False)
    dialog.format_boxes[".json"].setChecked(True)
    _run(qtbot, dialog)
    assert dialog.last_error is not None and "folder" in dialog.last_error
    assert dialog.status.text().startswith("Export failed:")
    assert analysed.session.take is take
    dialog.reject()


def test_impossible_choices_disable_export(analysed: MainWindow, tmp_path: Path) -> None:
    dialog = _dialog(analysed, tmp_path)
    assert not dialog.export_button.isEnabled()
    assert "format" in dialog.status.text()
    dialog.format_boxes[".csv"].setChecked(True)
    assert dialog.export_button.isEnabled()
    dialog.name_edit.setText("a/b")
    assert not dialog.export_button.isEnabled() and "file name" in dialog.status.text()
    dialog.name_edit.setText("ok")
    dialog.folder_edit.setText(str(tmp_path / "missing"))
    assert not dialog.export_button.isEnabled() and "does not exist" in dialog.status.text()
    dialog.folder_edit.setText(str(tmp_path))
    dialog.format_boxes[".mp4"].setChecked(True)
    dialog.size_combo.setCurrentIndex(dialog.size_combo.count() - 1)
    dialog.width_spin.setValue(321)
    assert not dialog.export_button.isEnabled() and "even" in dialog.status.text()
    dialog.reject()


def test_export_before_any_take_explains(app, qtbot) -> None:  # noqa: ANN001
    w = make_window(qtbot)
    try:
        assert w.open_export_dialog() is None
        assert w.message_box is not None and w.message_box.windowTitle() == "Nothing to export yet"
    finally:
        dispose(w)
