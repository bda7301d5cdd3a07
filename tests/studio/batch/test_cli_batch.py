"""``affect-studio batch``: folder and manifest in, files, summary, report and exit codes out."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import soundfile as sf

from studio.batch.command import EXIT_FAILED
from studio.cli import main
from tests.conftest import REPO_ROOT, tone


def _tone(path: Path, seconds: float = 1.0) -> Path:
    sf.write(path, tone(seconds, 16000), 16000)
    return path


@pytest.fixture
def clips(tmp_path, demo_audio, demo_transcript) -> Path:
    """A folder: the demo line with its transcript beside it, and a short tone."""
    folder = tmp_path / "clips"
    folder.mkdir()
    shutil.copy(demo_audio, folder / "greeting.flac")
    (folder / "greeting.txt").write_text(demo_transcript, encoding="utf-8")
    _tone(folder / "beep.wav")
    return folder


def _leftovers(out: Path) -> list[str]:
    return [p.name for p in out.rglob("*") if ".part" in p.name or "probe" in p.name]


def test_a_folder_becomes_curves_and_mouth_cues_per_clip(clips, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["batch", str(clips), "--out", str(out), "--jobs", "2"]) == 0
    for name in ("greeting", "beep"):
        assert json.loads((out / f"{name}.json").read_text())["numPoses"] == 52
        assert json.loads((out / f"{name}.rhubarb.json").read_text())["mouthCues"]
    summary = capsys.readouterr().out
    assert "batch: 2 jobs" in summary and "done          2" in summary
    assert f"report: {out / 'batch-report.json'}" in summary
    report = json.loads((out / "batch-report.json").read_text())
    assert [j["status"] for j in report["jobs"]] == ["done", "done"]

    assert main(["batch", str(clips), "--out", str(out)]) == 0  # unchanged: all skipped
    assert "skipped       2" in capsys.readouterr().out


def test_a_bad_line_fails_alone_and_sets_the_exit_code(clips, tmp_path, capsys):
    (clips / "broken.wav").write_bytes(b"RIFF this is not audio at all")
    out = tmp_path / "out"
    assert main(["batch", str(clips), "--out", str(out), "--jobs", "2"]) == EXIT_FAILED
    summary = capsys.readouterr().out
    assert "failed        1" in summary and "broken (clips/broken.wav):" in summary
    assert (out / "beep.json").is_file() and (out / "greeting.json").is_file()
    assert not (out / "broken.json").exists()
    report = json.loads((out / "batch-report.json").read_text())
    failed = [j for j in report["jobs"] if j["status"] == "failed"]
    assert [j["name"] for j in failed] == ["broken"] and failed[0]["error"]


def test_a_manifest_with_a_bad_line(tmp_path, capsys):
    _tone(tmp_path / "a.wav")
    manifest = tmp_path / "lines.csv"
    manifest.write_text("audio,name,prompt,formats\n"
                        "a.wav,first,calm,.json .csv\n"
                        "missing.wav,second,calm,.json\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["batch", str(manifest), "--out", str(out), "--jobs", "1"]) == EXIT_FAILED
    assert (out / "first.json").is_file() and (out / "first.csv").is_file()
    report = json.loads((out / "batch-report.json").read_text())
    assert [(j["name"], j["status"]) for j in report["jobs"]] == [
        ("first", "done"), ("second", "failed")]
    assert report["jobs"][1]["source"].startswith("lines.csv")


def test_json_progress_lines_parse(clips, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "studio", "batch", str(clips), "--out", str(out), "--jobs", "2",
         "--json-progress"], capture_output=True, text=True, cwd=REPO_ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stderr.strip().splitlines()]
    kinds = {e["event"] for e in events}
    assert {"job_started", "job_finished", "batch_finished"} <= kinds
    finished = [e for e in events if e["event"] == "job_finished"]
    assert sorted(e["name"] for e in finished) == ["beep", "greeting"]
    assert all(e["status"] == "done" and e["total"] == 2 for e in finished)
    assert finished[-1]["fraction"] == 1.0
    assert all(0.0 <= e["fraction"] <= 1.0 for e in events)
    assert events[-1]["event"] == "batch_finished"
    assert events[-1]["totals"] == {"jobs": 2, "done": 2, "skipped": 0, "failed": 0,
                                    "cancelled": 0}
    assert "batch: 2 jobs" in proc.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["nowhere"], "manifest or folder not found"),
    (["CLIPS", "--address", "auto"], "--address is for the Ray backend"),
    (["CLIPS", "--defaults", "nope.toml"], "defaults file not found"),
    (["BADCSV"], "error: "),
])
def test_bad_usage_exits_2_with_one_line(args, message, clips, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("no,audio,column\n1,2,3\n", encoding="utf-8")
    args = [{"CLIPS": str(clips), "BADCSV": str(bad)}.get(a, a) for a in args]
    assert main(["batch", *args, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0]


def test_bad_jobs_count_is_a_usage_error(clips, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["batch", str(clips), "--out", str(tmp_path / "out"), "--jobs", "0"])
    assert stop.value.code == 2 and "jobs must be between 1" in capsys.readouterr().err


def test_ray_without_the_extra_says_what_to_install(clips, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed
    assert main(["batch", str(clips), "--out", str(tmp_path / "out"), "--backend", "ray"]) == 2
    assert "pip install 'affect-studio[cluster]'" in capsys.readouterr().err


def _start_batch(folder: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "studio", "batch", str(folder), "--out", str(out),
         "--jobs", "1", "--json-progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT,
        start_new_session=True)  # its own process group, as a terminal's foreground job


def _wait_for_a_job(proc: subprocess.Popen) -> list[str]:
    lines = []
    assert proc.stderr is not None
    for line in proc.stderr:
        lines.append(line)
        if '"job_progress"' in line:
            return lines
    pytest.fail(f"the batch ended before a job ran: {''.join(lines)}")


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_stops_cleanly_with_exit_130(presses, demo_audio, demo_transcript, tmp_path):
    folder = tmp_path / "clips"
    folder.mkdir()
    for i in range(4):
        shutil.copy(demo_audio, folder / f"line{i}.flac")
        (folder / f"line{i}.txt").write_text(demo_transcript, encoding="utf-8")
    out = tmp_path / "out"
    proc = _start_batch(folder, out)
    _wait_for_a_job(proc)
    for _ in range(presses):  # a terminal's Ctrl-C reaches the whole group, workers included
        os.killpg(proc.pid, signal.SIGINT)
        time.sleep(0.05)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert _leftovers(out) == []
    report = json.loads((out / "batch-report.json").read_text())
    assert report["interrupted"] is True and report["totals"]["cancelled"] >= 3
    lines = stderr.strip().splitlines()
    if presses == 1:  # every line stays JSON, the notice included
        events = [json.loads(line)["event"] for line in lines]
        assert "stopping" in events and events[-1] == "batch_finished"
        assert "batch: 4 jobs" in stdout
    else:
        assert lines[-1] == "error: interrupted"
