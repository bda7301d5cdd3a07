"""The local process-pool backend: real worker processes, real clips, real files."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
import soundfile as sf

from generators.progress import CancelToken
from studio.batch.backend import JobFinished, JobProgress, JobStarted
from studio.batch.job import CANCELLED, DONE, FAILED, BatchJob
from studio.batch.local import LocalBackend, remove_partial_outputs
from studio.batch.local_worker import PipeProgress
from studio.render_spec import RenderSpec
from tests.conftest import tone

FORMATS = (".json", ".rhubarb.json")


def _clip(folder: Path, name: str = "clip.wav", seconds: float = 1.0) -> Path:
    path = folder / name
    sf.write(path, tone(seconds, 16000), 16000)
    return path


def _jobs(clip: Path, count: int, prefix: str = "line") -> list[BatchJob]:
    return [BatchJob(f"{prefix}{i}", RenderSpec(clip), FORMATS) for i in range(count)]


def _leftovers(out: Path) -> list[str]:
    """Temporary or probe files anywhere under ``out``."""
    return [p.name for p in out.rglob("*") if ".part" in p.name or "probe" in p.name]


def _pid(worker: str) -> int:
    assert worker.startswith("pid "), worker
    return int(worker.split()[1])


def _run(backend: LocalBackend, jobs: list[BatchJob], out: Path, on_event=None,
         cancel: CancelToken | None = None) -> list:
    events: list = []

    def record(event) -> None:
        events.append(event)
        if on_event is not None:
            on_event(event)

    backend.run(jobs, out, record, cancel or CancelToken())
    return events


def test_every_job_runs_in_a_worker_and_finishes_once(tmp_path):
    clip = _clip(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    jobs = [*_jobs(clip, 4), BatchJob("missing", RenderSpec(tmp_path / "nope.wav"), FORMATS)]
    events = _run(LocalBackend(2), jobs, out)

    finished = [e.result for e in events if isinstance(e, JobFinished)]
    assert Counter(r.name for r in finished) == Counter(j.name for j in jobs)
    for job in jobs:  # its first event is its start, its last its end
        mine = [e for e in events if (e.result.name if isinstance(e, JobFinished) else e.name)
                == job.name]
        assert isinstance(mine[0], JobStarted) and isinstance(mine[-1], JobFinished)
    by_name = {r.name: r for r in finished}
    assert by_name["missing"].status == FAILED
    assert "audio file not found" in by_name["missing"].error
    workers = {_pid(r.worker) for r in finished}
    assert 1 <= len(workers) <= 2 and os.getpid() not in workers
    for job in jobs[:4]:
        assert by_name[job.name].status == DONE
        curves = json.loads((out / f"{job.name}.json").read_text())
        assert curves["numPoses"] == 52 and curves["numFrames"] > 0
        cues = json.loads((out / f"{job.name}.rhubarb.json").read_text())
        assert cues["mouthCues"]
    assert _leftovers(out) == []


def test_workers_are_reused_and_can_be_recycled(tmp_path):
    clip = _clip(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    events = _run(LocalBackend(1), _jobs(clip, 4), out)
    results = [e.result for e in events if isinstance(e, JobFinished)]
    assert len({r.worker for r in results}) == 1  # one warm process ran them all

    events = _run(LocalBackend(1, max_jobs_per_worker=2), _jobs(clip, 4, "again"), out)
    results = [e.result for e in events if isinstance(e, JobFinished)]
    assert [r.status for r in results] == [DONE] * 4
    assert len({r.worker for r in results}) == 2  # a fresh process after two jobs


def test_progress_crosses_the_pipe(demo_audio, demo_transcript, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    job = BatchJob("greeting", RenderSpec(demo_audio, demo_transcript), FORMATS)
    events = _run(LocalBackend(1, progress_interval=0.0), [job], out)
    progress = [e for e in events if isinstance(e, JobProgress)]
    assert len(progress) >= 5
    assert all(0.0 <= e.fraction <= 1.0 and e.name == "greeting" for e in progress)
    assert events.index(progress[0]) > 0 and events.index(progress[-1]) < len(events) - 1


def test_progress_is_throttled_per_job():
    ours, theirs = multiprocessing.Pipe()
    sink = PipeProgress(theirs, interval=0.2)
    start = time.monotonic()
    while time.monotonic() - start < 0.5:
        sink.report(0.5, "working")
    sent = []
    while ours.poll():
        sent.append(ours.recv())
    assert 1 <= len(sent) <= 3  # at most one per 0.2 s, none at the very start
    assert sent[0] == ("progress", 0.5, "working")


def test_cancel_stops_the_running_job_and_the_rest_never_start(demo_audio, demo_transcript,
                                                               tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    long_job = BatchJob("long", RenderSpec(demo_audio, demo_transcript), FORMATS)
    jobs = [long_job, *_jobs(_clip(tmp_path), 5)]
    token = CancelToken()

    def cancel_on_progress(event) -> None:
        if isinstance(event, JobProgress):
            token.cancel()

    events = _run(LocalBackend(1, progress_interval=0.0), jobs, out, cancel_on_progress, token)
    results = {e.result.name: e.result for e in events if isinstance(e, JobFinished)}
    assert set(results) == {j.name for j in jobs}
    assert all(r.status == CANCELLED for r in results.values())
    started = {e.name for e in events if isinstance(e, JobStarted)}
    assert started == {"long"}
    assert [p.name for p in out.iterdir()] == []  # nothing written, nothing half-written


def test_a_killed_worker_fails_its_job_and_the_batch_goes_on(evaldata, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    speech = evaldata / "speech" / "nvidia_a2f" / "Mark_neutral.wav"
    victim = BatchJob("victim", RenderSpec(speech), FORMATS)
    jobs = [victim, *_jobs(_clip(tmp_path), 3)]

    def kill_victim(event) -> None:
        if isinstance(event, JobStarted) and event.name == "victim":
            os.kill(_pid(event.worker), signal.SIGKILL)

    events = _run(LocalBackend(1), jobs, out, kill_victim)
    results = {e.result.name: e.result for e in events if isinstance(e, JobFinished)}
    assert results["victim"].status == FAILED
    assert "worker process stopped unexpectedly" in results["victim"].error
    assert [results[f"line{i}"].status for i in range(3)] == [DONE] * 3
    assert results["line0"].worker != results["victim"].worker  # a fresh worker took over
    assert _leftovers(out) == []


def test_hard_stop_terminates_workers_and_leaves_no_partial_files(demo_audio, demo_transcript,
                                                                  tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    jobs = [BatchJob(f"long{i}", RenderSpec(demo_audio, demo_transcript), FORMATS)
            for i in range(4)]
    workers: set[int] = set()

    def second_ctrl_c(event) -> None:
        if isinstance(event, JobStarted):
            workers.add(_pid(event.worker))
        if isinstance(event, JobProgress):
            raise KeyboardInterrupt

    events: list = []
    with pytest.raises(KeyboardInterrupt):
        LocalBackend(2, progress_interval=0.0).run(
            jobs, out, lambda e: (events.append(e), second_ctrl_c(e)), CancelToken())
    results = {e.result.name: e.result for e in events if isinstance(e, JobFinished)}
    assert set(results) == {j.name for j in jobs}
    assert all(r.status == CANCELLED for r in results.values())
    assert _leftovers(out) == []
    for pid in workers:  # terminated and reaped
        assert not Path(f"/proc/{pid}").exists()


def test_partial_outputs_of_a_killed_job_are_swept(tmp_path):
    job = BatchJob("line", RenderSpec(tmp_path / "a.wav"), (".json", ".rhubarb.json"))
    keep = [tmp_path / "line.json", tmp_path / ".other.json.abc.part.json",
            tmp_path / ".line.jsonx.part.json"]
    gone = [tmp_path / ".line.json.k2j4.part.json", tmp_path / ".line.rhubarb.json.x.part.json",
            tmp_path / ".affect-write-probe.123"]
    for path in keep + gone:
        path.write_text("x")
    assert sorted(remove_partial_outputs(job, tmp_path)) == sorted(gone)
    assert all(p.exists() for p in keep) and not any(p.exists() for p in gone)


@pytest.mark.parametrize("kwargs", [{"jobs": 0}, {"max_jobs_per_worker": 0}])
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ValueError, match="at least 1"):
        LocalBackend(**kwargs)


def test_the_unsafe_fork_method_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unsafe"):
        LocalBackend(1, start_method="fork").run([], tmp_path, print, CancelToken())
