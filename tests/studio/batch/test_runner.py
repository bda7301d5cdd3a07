"""run_batch: the plan's checks, the report, cancelling, on the real local backend."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import pytest
import soundfile as sf

from generators.progress import CancelToken
from studio.batch.backend import JobFinished, JobProgress, JobStarted
from studio.batch.job import CANCELLED, DONE, FAILED, SKIPPED, BatchJob, run_job
from studio.batch.local import LocalBackend
from studio.batch.report import REPORT_NAME, format_summary
from studio.batch.runner import BatchError, run_batch
from studio.render_spec import RenderSpec
from tests.conftest import tone

FORMATS = (".json", ".rhubarb.json")


@dataclass(frozen=True)
class Problem:
    name: str
    source: str
    reason: str


@dataclass
class Plan:
    jobs: list[BatchJob]
    problems: list[Problem] = field(default_factory=list)


def _clip(folder: Path, name: str = "clip.wav", seconds: float = 1.0) -> Path:
    path = folder / name
    sf.write(path, tone(seconds, 16000), 16000)
    return path


def _leftovers(out: Path) -> list[str]:
    return [p.name for p in out.rglob("*") if ".part" in p.name or "probe" in p.name]


def test_the_report_lists_every_job_in_order(tmp_path):
    clip = _clip(tmp_path)
    out = tmp_path / "out"
    plan = Plan(
        [BatchJob("one", RenderSpec(clip), FORMATS, "lines.csv line 2"),
         BatchJob("broken", RenderSpec(tmp_path / "gone.wav"), FORMATS, "lines.csv line 3"),
         BatchJob("two", RenderSpec(clip, prompt="quietly furious"), (".json",),
                  "lines.csv line 4")],
        [Problem("bad-prompt", "lines.csv line 5", "unknown preset 'shouty' (use one of: calm)")],
    )
    events: list = []
    report = run_batch(plan, out, LocalBackend(2), events=events.append)

    assert [(r.name, r.status) for r in report.results] == [
        ("one", DONE), ("broken", FAILED), ("two", DONE), ("bad-prompt", FAILED)]
    assert not report.ok and report.counts() == {DONE: 2, SKIPPED: 0, FAILED: 2, CANCELLED: 0}
    finished = [e.result.name for e in events if isinstance(e, JobFinished)]
    assert sorted(finished) == sorted(["one", "broken", "two", "bad-prompt"])

    data = json.loads((out / REPORT_NAME).read_text())
    assert data["version"] == 1 and data["backend"] == "local"
    assert data["software"]["affect-studio"] == version("affect-studio")
    assert data["totals"] == {"jobs": 4, "done": 2, "skipped": 0, "failed": 2, "cancelled": 0}
    assert data["started"] <= data["finished"] and data["seconds"] > 0
    assert data["interrupted"] is False
    one, broken, two, problem = data["jobs"]
    assert one["outputs"] == ["one.json", "one.rhubarb.json"] and one["error"] == ""
    assert one["source"] == "lines.csv line 2" and one["worker"].startswith("pid ")
    assert one["seconds"] > 0
    assert two["outputs"] == ["two.json"]
    assert broken["status"] == "failed" and "audio file not found" in broken["error"]
    assert broken["outputs"] == [] and broken["source"] == "lines.csv line 3"
    assert problem == {"name": "bad-prompt", "source": "lines.csv line 5", "status": "failed",
                       "outputs": [], "error": "unknown preset 'shouty' (use one of: calm)",
                       "seconds": 0.0, "worker": ""}
    for name in ("one.json", "one.rhubarb.json", "two.json"):
        json.loads((out / name).read_text())
    assert not (out / "broken.json").exists() and _leftovers(out) == []

    summary = format_summary(report, out / REPORT_NAME)
    assert "broken (lines.csv line 3): audio file not found" in summary
    assert "bad-prompt (lines.csv line 5): unknown preset" in summary
    assert f"report: {out / REPORT_NAME}" in summary


def test_clashing_reserved_and_escaping_names_fail_alone(tmp_path):
    clip = _clip(tmp_path)
    out = tmp_path / "out"
    jobs = [
        BatchJob("take", RenderSpec(clip), (".json",), "a.csv line 2"),
        BatchJob("TAKE", RenderSpec(clip), (".csv", ".json"), "a.csv line 3"),
        BatchJob("batch-report", RenderSpec(clip), (".json",)),
        BatchJob("../outside", RenderSpec(clip), (".json",)),
        BatchJob(".affect-batch/jobs/x", RenderSpec(clip), (".json",)),
        BatchJob("fine", RenderSpec(clip), (".json",)),
    ]
    report = run_batch(jobs, out, LocalBackend(1))
    status = {r.name: (r.status, r.error) for r in report.results}
    assert status["take"][0] == DONE and status["fine"][0] == DONE
    assert status["TAKE"][0] == FAILED
    assert "which job 'take' (a.csv line 2) also writes" in status["TAKE"][1]
    assert "reserved" in status["batch-report"][1]
    assert "outside the output folder" in status["../outside"][1]
    assert "reserved" in status[".affect-batch/jobs/x"][1]
    assert not (tmp_path / "outside.json").exists()
    assert json.loads((out / REPORT_NAME).read_text())["totals"]["failed"] == 4


def test_an_output_folder_that_cannot_be_made_is_one_clear_error(tmp_path):
    clip = _clip(tmp_path)
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    with pytest.raises(BatchError, match="output folder is a file"):
        run_batch([BatchJob("a", RenderSpec(clip))], blocker, LocalBackend(1))
    with pytest.raises(BatchError, match="cannot create the output folder"):
        run_batch([BatchJob("a", RenderSpec(clip))], blocker / "out", LocalBackend(1))


def test_cancelling_mid_batch_leaves_no_partial_files(demo_audio, demo_transcript, tmp_path):
    clip = _clip(tmp_path)
    out = tmp_path / "out"
    jobs = [BatchJob(f"short{i}", RenderSpec(clip), FORMATS) for i in range(2)]
    jobs += [BatchJob(f"long{i}", RenderSpec(demo_audio, demo_transcript),
                      (".json", ".csv", ".rhubarb.json", ".tsv")) for i in range(4)]
    token = CancelToken()

    def cancel_in_a_long_job(event) -> None:
        if isinstance(event, JobProgress) and event.name.startswith("long"):
            token.cancel()

    report = run_batch(jobs, out, LocalBackend(2, progress_interval=0.0),
                       events=cancel_in_a_long_job, cancel=token)
    status = {r.name: r.status for r in report.results}
    assert CANCELLED in status.values() and report.interrupted and not report.ok
    assert status["long3"] == CANCELLED
    assert _leftovers(out) == []
    for path in out.iterdir():  # whatever exists is whole
        if path.suffix == ".json":
            json.loads(path.read_text())
    for job in jobs:  # a cancelled job leaves none of its outputs, a done one all of them
        written = [p.exists() for p in job.outputs(out)]
        assert all(written) if status[job.name] == DONE else not any(written)
    data = json.loads((out / REPORT_NAME).read_text())
    assert data["interrupted"] is True and data["totals"]["cancelled"] >= 1


class _CancelAfterFirstOutput(CancelToken):
    """Cancels as soon as the job's first output exists (between two exports)."""

    def __init__(self, first: Path) -> None:
        super().__init__()
        self.first = first

    def raise_if_cancelled(self) -> None:
        if self.first.exists():
            self.cancel()
        super().raise_if_cancelled()


def test_a_job_cancelled_between_outputs_removes_those_it_wrote(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    job = BatchJob("line", RenderSpec(_clip(tmp_path)), FORMATS)
    first, second = job.outputs(out)
    token = _CancelAfterFirstOutput(first)
    result = run_job(job, out, cancel=token)
    assert token.cancelled and result.status == CANCELLED
    assert not first.exists() and not second.exists() and list(out.iterdir()) == []


def test_a_hard_stop_still_writes_the_report(demo_audio, demo_transcript, tmp_path):
    out = tmp_path / "out"
    jobs = [BatchJob(f"long{i}", RenderSpec(demo_audio, demo_transcript), FORMATS)
            for i in range(3)]

    def second_ctrl_c(event) -> None:
        if isinstance(event, JobStarted):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(jobs, out, LocalBackend(1), events=second_ctrl_c)
    data = json.loads((out / REPORT_NAME).read_text())
    assert data["interrupted"] is True
    assert [j["status"] for j in data["jobs"]] == ["cancelled"] * 3
    assert _leftovers(out) == []


def test_an_empty_batch_writes_an_empty_report(tmp_path):
    report = run_batch([], tmp_path / "out", LocalBackend(1))
    assert report.results == [] and report.ok
    assert json.loads((tmp_path / "out" / REPORT_NAME).read_text())["totals"]["jobs"] == 0
