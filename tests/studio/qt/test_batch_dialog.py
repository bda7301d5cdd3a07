"""The Batch dialog and Save settings as preset: real clips, real worker processes, real files."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
import soundfile as sf
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMessageBox

from studio.batch.board import BAD_LINE, QUEUED, BatchBoard
from studio.batch.job import CANCELLED, DONE, FAILED
from studio.batch.presets import load_preset, save_preset
from studio.batch.report import REPORT_NAME
from studio.qt.batch_dialog import BatchDialog
from studio.qt.batch_settings import BUILTIN, CURRENT, PRESET
from studio.qt.batch_table import COLUMNS
from tests.conftest import tone

pytestmark = pytest.mark.usefixtures("app")

RUN_TIMEOUT_MS = 120_000


@pytest.fixture(autouse=True)
def presets(tmp_path, monkeypatch) -> Path:  # noqa: ANN001
    """A private presets folder."""
    folder = tmp_path / "presets"
    monkeypatch.setenv("AFFECT_STUDIO_PRESETS", str(folder))
    return folder


def _clips(folder: Path, count: int, seconds: float = 1.0) -> list[Path]:
    folder.mkdir(exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"line{i:02d}.wav"
        sf.write(path, tone(seconds, 16000, freq=180.0 + 20 * i), 16000)
        paths.append(path)
    return paths


@pytest.fixture
def clips(tmp_path, demo_audio, demo_transcript) -> Path:  # noqa: ANN001
    """A speech clip with its transcript, a short tone and a corrupt file, in a folder."""
    folder = tmp_path / "clips"
    _clips(folder, 2)
    (folder / "line00.wav").unlink()
    shutil.copy(demo_audio, folder / "greeting.flac")
    (folder / "greeting.txt").write_text(demo_transcript, encoding="utf-8")
    (folder / "line99.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really audio" * 8)
    return folder


def _dialog(qtbot, **kwargs) -> BatchDialog:  # noqa: ANN001
    dialog = BatchDialog(**kwargs)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _previewed(qtbot, dialog: BatchDialog, source: Path) -> None:  # noqa: ANN001
    dialog.set_source(source)
    qtbot.waitUntil(lambda: dialog.plan is not None and not dialog.reader.busy, timeout=20_000)


def _cells(dialog: BatchDialog, column: str) -> list[str]:
    model, c = dialog.model, COLUMNS.index(column)
    return [model.data(model.index(r, c)) for r in range(model.rowCount())]


def _red(dialog: BatchDialog, row: int) -> bool:
    model = dialog.model
    return model.data(model.index(row, 0), Qt.ItemDataRole.ForegroundRole) is not None


def _finish(qtbot, dialog: BatchDialog) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: not dialog.running, timeout=RUN_TIMEOUT_MS)


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if ".part" in p.name or "probe" in p.name]


def test_folder_batch_previews_runs_and_reports(qtbot, clips, tmp_path):  # noqa: ANN001
    dialog = _dialog(qtbot)
    _previewed(qtbot, dialog, clips)
    assert _cells(dialog, "Name") == ["greeting", "line01", "line99"]
    assert _cells(dialog, "Transcript") == ["yes", "no", "no"]
    assert set(_cells(dialog, "Formats")) == {".json .rhubarb.json"}
    assert _cells(dialog, "Status") == [QUEUED] * 3
    assert dialog.out_edit.text() == str(tmp_path / "clips-batch")  # suggested beside it

    dialog.settings_box.format_boxes[".csv"].setChecked(True)  # read again with the new format
    qtbot.waitUntil(lambda: dialog.plan is not None and not dialog.reader.busy, timeout=20_000)
    assert set(_cells(dialog, "Formats")) == {".json .csv .rhubarb.json"}
    out = tmp_path / "out"
    dialog.set_out_dir(out)
    dialog.jobs_spin.setValue(2)
    assert dialog.run_button.isEnabled()

    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    start = time.perf_counter()
    dialog.run_button.click()
    assert dialog.running and dialog.cancel_button.isEnabled()
    assert not dialog.run_button.isEnabled() and not dialog.source_edit.isEnabled()
    _finish(qtbot, dialog)
    elapsed = time.perf_counter() - start
    timer.stop()
    # the event loop kept running: the timer fired all along, with no long stall
    assert len(ticks) >= max(5, 0.2 * elapsed / 0.010)
    gaps = [b - a for a, b in zip([start, *ticks], ticks, strict=False)]
    assert max(gaps) < 1.0

    assert _cells(dialog, "Status") == [DONE, DONE, FAILED]
    assert "cannot decode line99.wav" in _cells(dialog, "Details")[2]
    assert [_red(dialog, r) for r in range(3)] == [False, False, True]
    assert dialog.progress.value() == 1000
    assert "3 jobs" in dialog.summary.text()
    assert "2 done, 0 skipped, 1 failed, 0 cancelled" in dialog.summary.text()
    assert str(out / REPORT_NAME) in dialog.report_label.text()
    assert dialog.open_report_button.isEnabled() and dialog.open_folder_button.isEnabled()
    report = json.loads((out / REPORT_NAME).read_text())
    assert report["totals"]["done"] == 2 and report["totals"]["failed"] == 1
    for name in ("greeting", "line01"):
        assert json.loads((out / f"{name}.json").read_text())["numFrames"] > 0
        assert (out / f"{name}.csv").read_text().count("\n") > 10
        assert json.loads((out / f"{name}.rhubarb.json").read_text())["mouthCues"]
    assert not list(out.glob("line99*"))
    assert _leftovers(out) == []
    assert not list(clips.glob("*.json"))  # nothing written into the source folder

    dialog.run_button.click()  # a rerun skips what is unchanged
    _finish(qtbot, dialog)
    assert "0 done, 2 skipped, 1 failed" in dialog.summary.text()


def test_manifest_bad_lines_are_red_and_fail_with_their_reason(qtbot, tmp_path):  # noqa: ANN001
    _clips(tmp_path / "clips", 1)
    manifest = tmp_path / "lines.csv"
    manifest.write_text("audio,name,prompt\nclips/line00.wav,ok,calm\nclips/nope.wav,gone,\n"
                        "clips/line00.wav,loud,calm\nclips/line00.wav,worse,\n"
                        "clips/line00.wav,OK,\n", encoding="utf-8")
    dialog = _dialog(qtbot)
    _previewed(qtbot, dialog, manifest)
    assert not dialog.settings_box.isEnabled()  # a manifest carries its own settings
    assert _cells(dialog, "Name") == ["ok", "loud", "worse", "gone", "OK"]
    assert _cells(dialog, "Prompt")[:2] == ["calm", "calm"]
    assert _cells(dialog, "Status")[3:] == [BAD_LINE, BAD_LINE]
    assert [_red(dialog, r) for r in range(5)] == [False, False, False, True, True]
    assert "audio file not found" in _cells(dialog, "Details")[3]
    assert "also used by" in _cells(dialog, "Details")[4]
    assert "2 bad lines" in dialog.status.text()

    events: list = []
    dialog.batch.events.connect(events.extend)
    dialog.set_out_dir(tmp_path / "out")
    dialog.jobs_spin.setValue(1)
    assert dialog.run()
    _finish(qtbot, dialog)
    assert _cells(dialog, "Status") == [DONE, DONE, DONE, FAILED, FAILED]
    assert "audio file not found" in _cells(dialog, "Details")[3]
    # the live events alone already put every row right (a bad line named like a job too)
    live = BatchBoard(dialog.plan)
    for event in events:
        live.apply(event)
    assert [(r.status, r.detail) for r in live.rows] == \
        [(r.status, r.error) for r in dialog.report.results]


def test_unreadable_sources_and_outputs_are_reported(qtbot, tmp_path, clips):  # noqa: ANN001
    dialog = _dialog(qtbot)
    dialog.set_source(tmp_path / "missing")
    qtbot.waitUntil(lambda: "manifest or folder not found" in dialog.status.text(),
                    timeout=20_000)
    assert dialog.model.rowCount() == 0 and not dialog.run_button.isEnabled()

    empty = tmp_path / "empty"
    empty.mkdir()
    dialog.set_source(empty)
    qtbot.waitUntil(lambda: "Nothing to do" in dialog.status.text(), timeout=20_000)
    assert not dialog.run_button.isEnabled()

    _previewed(qtbot, dialog, clips)
    for box in dialog.settings_box.format_boxes.values():
        box.setChecked(False)
    qtbot.waitUntil(lambda: "at least one output format" in dialog.status.text(),
                    timeout=5_000)
    assert not dialog.run_button.isEnabled()
    dialog.settings_box.format_boxes[".json"].setChecked(True)
    qtbot.waitUntil(lambda: dialog.plan is not None and not dialog.reader.busy, timeout=20_000)

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    dialog.set_out_dir(blocker)
    assert dialog.run()
    _finish(qtbot, dialog)
    assert "The batch cannot run: the output folder is a file" in dialog.status.text()
    assert dialog.last_error and dialog.report is None
    assert _cells(dialog, "Status") == [QUEUED] * 3


def test_cancel_stops_the_batch_and_leaves_no_partial_files(qtbot, tmp_path):  # noqa: ANN001
    folder = tmp_path / "many"
    _clips(folder, 8, seconds=2.0)
    dialog = _dialog(qtbot)
    _previewed(qtbot, dialog, folder)
    out = tmp_path / "out"
    dialog.set_out_dir(out)
    dialog.jobs_spin.setValue(1)
    assert dialog.run()
    qtbot.waitUntil(lambda: dialog.model.board.count(DONE) >= 1, timeout=RUN_TIMEOUT_MS)
    dialog.cancel_button.click()
    assert dialog.running and not dialog.cancel_button.isEnabled()
    assert "Cancelling" in dialog.status.text()
    _finish(qtbot, dialog)

    statuses = _cells(dialog, "Status")
    assert set(statuses) <= {DONE, CANCELLED} and statuses.count(CANCELLED) >= 3
    assert dialog.report is not None and dialog.report.interrupted
    assert f"{statuses.count(CANCELLED)} cancelled" in dialog.summary.text()
    assert "Stopped before the end" in dialog.status.text()
    for name, status in zip(_cells(dialog, "Name"), statuses, strict=True):
        written = sorted(p.name for p in out.glob(f"{name}.*"))
        if status == DONE:
            assert written == [f"{name}.json", f"{name}.rhubarb.json"]
            assert json.loads((out / f"{name}.json").read_text())["numFrames"] > 0
        else:
            assert written == []
    assert _leftovers(out) == []


def test_closing_while_running_asks_to_cancel(qtbot, tmp_path):  # noqa: ANN001
    folder = tmp_path / "many"
    _clips(folder, 6, seconds=2.0)
    dialog = _dialog(qtbot)
    _previewed(qtbot, dialog, folder)
    dialog.set_out_dir(tmp_path / "out")
    dialog.jobs_spin.setValue(1)
    assert dialog.run()

    dialog.reject()  # No: the batch goes on
    assert dialog.confirm_box is not None and dialog.isVisible()
    dialog.confirm_box.button(QMessageBox.StandardButton.No).click()
    assert dialog.running and dialog.isVisible() and not dialog.batch.cancelling

    dialog.close_button.click()  # Yes: cancelled, then closed once the jobs have stopped
    dialog.confirm_box.button(QMessageBox.StandardButton.Yes).click()
    assert dialog.batch.cancelling
    _finish(qtbot, dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5_000)
    assert CANCELLED in _cells(dialog, "Status")
    assert _leftovers(tmp_path / "out") == []


def test_preset_choice_sets_formats_and_settings(qtbot, clips, presets):  # noqa: ANN001
    save_preset("Calm narrator", {"prompt": "calm", "intensity": 0.5,
                                  "formats": [".json", ".tsv"]})
    session_values = {"intensity": 0.25, "head_motion": 0.5, "fps": 24.0}
    dialog = _dialog(qtbot, current_settings=lambda: session_values)
    box = dialog.settings_box
    assert box.presets() == ["Calm narrator"]
    assert box.combo.currentData() == (CURRENT, "")  # the session's settings by default
    _previewed(qtbot, dialog, clips)
    job = dialog.plan.jobs[0]
    assert (job.spec.intensity, job.spec.fps, job.spec.controls["head_motion"]) == (0.25, 24.0,
                                                                                      0.5)

    session_values["intensity"] = 0.75  # the session changed after the preview
    dialog.set_out_dir(clips.parent / "out")
    with qtbot.waitSignal(dialog.batch_finished, timeout=RUN_TIMEOUT_MS):
        assert dialog.run()  # reads the folder again with the new settings, then runs
    assert dialog.plan.jobs[0].spec.intensity == 0.75
    assert dialog.report.counts()[DONE] == 2

    assert box.choose(PRESET, "Calm narrator")
    assert box.formats() == (".json", ".tsv")
    qtbot.waitUntil(lambda: dialog.plan is not None and not dialog.reader.busy, timeout=20_000)
    assert set(_cells(dialog, "Formats")) == {".json .tsv"}
    assert set(_cells(dialog, "Prompt")) == {"calm"}
    assert dialog.plan.jobs[0].spec.intensity == 0.5

    assert box.choose(BUILTIN)
    qtbot.waitUntil(lambda: dialog.plan is not None and not dialog.reader.busy, timeout=20_000)
    assert dialog.plan.jobs[0].spec.intensity == 1.0 and set(_cells(dialog, "Prompt")) == {""}

    (clips / "batch.toml").write_text('prompt = "happy"\nformats = "csv"\n', encoding="utf-8")
    dialog.preview_button.click()  # read again: the folder's own defaults file is offered
    qtbot.waitUntil(lambda: dialog.plan is not None and not dialog.reader.busy, timeout=20_000)
    assert box.combo.currentText() == "(the folder's batch.toml)"
    assert not box.format_boxes[".json"].isEnabled()
    assert set(_cells(dialog, "Formats")) == {".csv"}
    assert set(_cells(dialog, "Prompt")) == {"happy"}

    (presets / "Broken.json").write_text("{not json", encoding="utf-8")
    box.refresh_presets()
    assert box.choose(PRESET, "Broken")
    qtbot.waitUntil(lambda: "Broken.json" in dialog.status.text(), timeout=20_000)
    assert dialog.last_error == dialog.status.text() and dialog.model.rowCount() == 0
    assert not dialog.run_button.isEnabled()


def test_save_preset_from_the_window(qtbot, window, presets, tmp_path):  # noqa: ANN001
    actions = window.batch_actions
    file_menu = window.menuBar().actions()[0].menu()
    texts = [a.text() for a in file_menu.actions()]
    assert "&Batch export…" in texts and "Save settings as &preset…" in texts

    window.edit_intensity(0.4, 1)
    name_dialog = actions.ask_preset_name()
    name_dialog.setTextValue("Quiet take")
    name_dialog.accept()
    assert load_preset("Quiet take")["intensity"] == 0.4

    dialog = actions.open_batch_dialog()
    assert dialog.isVisible() and not dialog.isModal()
    assert dialog.settings_box.presets() == ["Quiet take"]
    assert dialog.settings_box.combo.itemText(0) == "(current settings)"

    window.edit_intensity(0.7, 2)
    actions.save_preset_as("quiet take")  # the same preset (names differing only in case)
    assert actions.confirm_box is not None
    actions.confirm_box.button(QMessageBox.StandardButton.No).click()
    assert load_preset("Quiet take")["intensity"] == 0.4
    actions.save_preset_as("Quiet take")
    actions.confirm_box.button(QMessageBox.StandardButton.Yes).click()
    assert load_preset("Quiet take")["intensity"] == 0.7
    assert sorted(p.name for p in presets.iterdir()) == ["Quiet take.json"]

    actions.save_preset_as("Loud one")  # a new one shows in the open dialog at once
    assert dialog.settings_box.presets() == ["Loud one", "Quiet take"]
    assert actions.open_batch_dialog() is dialog  # the same dialog, choices kept

    actions.save_preset_as("../escape")
    assert "not allowed" in window.last_error
    assert not (presets.parent / "escape.json").exists()
    dialog.close()
