"""The Ray backend on a real local Ray instance: events, outputs, failures, cancel, clean exit.

The first tests let the backend start (and stop) its own Ray instance or fail to connect; the
rest share one Ray instance started by a module fixture, so they come after.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray  # installed by the test command (the "cluster" extra)
import soundfile as sf

from generators.progress import CancelToken
from studio.batch.backend import BatchEvent, JobFinished, JobProgress, JobStarted
from studio.batch.job import CANCELLED, DONE, FAILED, BatchJob
from studio.batch.ray_backend import RayBackend, _task_error
from studio.batch.state import STATE_DIR
from studio.errors import StudioError
from studio.render_spec import RenderSpec
from tests.conftest import REPO_ROOT, tone

FORMATS = (".json", ".csv", ".rhubarb.json")


def _clip(folder: Path, name: str, seconds: float) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.wav"
    sf.write(path, tone(seconds, 16000, freq=180.0 + 10 * len(name)), 16000)
    return path


def _jobs(folder: Path, count: int, seconds: float = 1.5) -> list[BatchJob]:
    return [BatchJob(f"clip{i}", RenderSpec(_clip(folder, f"clip{i}", seconds)), FORMATS,
                     source=f"test line {i}") for i in range(count)]


class Events:
    """Records events (as the driver thread sees them) and checks the backend contract."""

    def __init__(self, cancel_on: type | None = None, cancel: CancelToken | None = None):
        self.events: list[BatchEvent] = []
        self._cancel_on = cancel_on
        self._cancel = cancel

    def __call__(self, event: BatchEvent) -> None:
        self.events.append(event)
        if self._cancel_on is not None and isinstance(event, self._cancel_on):
            assert self._cancel is not None
            self._cancel.cancel()

    def finished(self) -> dict[str, object]:
        results = [e.result for e in self.events if isinstance(e, JobFinished)]
        by_name = {r.name: r for r in results}
        assert len(by_name) == len(results), "one JobFinished per job"
        return by_name

    def started(self) -> set[str]:
        names = [e.name for e in self.events if isinstance(e, JobStarted)]
        assert len(names) == len(set(names)), "one JobStarted per job"
        return set(names)

    def check_order(self) -> None:
        """Started before progress before finished; nothing after a job finished."""
        state: dict[str, str] = {}
        for e in self.events:
            name = e.result.name if isinstance(e, JobFinished) else e.name
            if isinstance(e, JobStarted):
                assert name not in state
                state[name] = "started"
            elif isinstance(e, JobProgress):
                assert state.get(name) == "started", f"progress of {name} outside its run"
                assert 0.0 <= e.fraction <= 1.0
            else:
                assert state.get(name) in (None, "started")
                state[name] = "finished"


def _no_partial_files(out: Path) -> None:
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".") and p.name != STATE_DIR]
    assert leftovers == [], f"temporary files left behind: {leftovers}"


def _ray_pids(temp_dir: str) -> set[int]:
    """Processes of the Ray instance keeping its files in ``temp_dir`` and their children."""
    ours, parents = set(), {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        if temp_dir in cmdline:
            ours.add(int(entry.name))
    children = {pid for pid, parent in parents.items() if parent in ours}
    return ours | children


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def _wait_gone(pids: set[int], seconds: float = 10.0) -> set[int]:
    deadline = time.monotonic() + seconds
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return _alive(pids)


# -- the backend's own Ray instance (before the shared one exists) -------------------------


def test_own_local_instance_runs_jobs_and_leaves_nothing_running(tmp_path):
    assert not ray.is_initialized()
    jobs = _jobs(tmp_path / "clips", 3)
    out = tmp_path / "out"
    out.mkdir()
    temp_dir = tempfile.mkdtemp(prefix="ar-")  # short: Ray's socket paths live under it
    pids: set[int] = set()
    events = Events()

    def record(event: BatchEvent) -> None:
        events(event)
        if isinstance(event, JobStarted):
            pids.update(_ray_pids(temp_dir))

    try:
        RayBackend(jobs=2, temp_dir=Path(temp_dir)).run(jobs, out, record, CancelToken())
        assert not ray.is_initialized(), "the backend shuts down the instance it started"
        assert pids, "the Ray processes were seen while the batch ran"
        assert _wait_gone(pids) == set(), "no Ray process is left behind"
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)
    results = events.finished()
    assert {r.status for r in results.values()} == {DONE}
    assert events.started() == set(results)
    events.check_order()
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"clip{i}{s}" for i in range(3) for s in FORMATS)


def test_unreachable_cluster_fails_at_once_with_a_clear_message(tmp_path):
    start = time.monotonic()
    with pytest.raises(StudioError, match=r"cannot reach the Ray cluster at 127\.0\.0\.1:1 .*"
                       r"ray start --head"):
        RayBackend(address="127.0.0.1:1").run(_jobs(tmp_path, 1), tmp_path, Events(),
                                              CancelToken())
    assert time.monotonic() - start < 10
    assert not ray.is_initialized()


def test_malformed_address_is_refused(tmp_path):
    with pytest.raises(StudioError, match=r"'head-node' is not HOST:PORT.*--address"):
        RayBackend(address="head-node").run([], tmp_path, Events(), CancelToken())


def test_without_ray_the_error_says_to_install_the_extra():
    code = ("import sys; sys.modules['ray'] = None\n"
            "from studio.batch.ray_backend import RayBackend\n"
            "from studio.errors import StudioError\n"
            "try:\n"
            "    RayBackend().run([], None, print, None)\n"
            "except StudioError as exc:\n"
            "    print(exc)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.strip() == ("the Ray backend needs the cluster extra: "
                                   "pip install 'affect-studio[cluster]'"), done.stderr


def test_a_ray_client_address_without_the_client_says_what_to_install(tmp_path):
    if importlib.util.find_spec("grpc") is not None:
        pytest.skip("Ray Client is installed here")
    with pytest.raises(StudioError, match=r"needs Ray Client: pip install 'ray\[client\]'"):
        RayBackend(address="ray://127.0.0.1:10001").run([], tmp_path, Events(), CancelToken())


def test_ctrl_c_in_the_cli_cancels_then_reports_and_leaves_no_process(tmp_path):
    clips = tmp_path / "clips"
    for i in range(6):
        _clip(clips, f"line{i}", 20.0)
    out = tmp_path / "out"
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    cli = subprocess.Popen(
        [sys.executable, "-m", "studio.cli", "batch", str(clips), "--out", str(out),
         "--backend", "ray", "--jobs", "2", "--json-progress"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    lines = []
    try:
        assert cli.stderr is not None
        for line in cli.stderr:
            lines.append(line)
            if '"job_progress"' in line:
                os.killpg(cli.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
                break
        stdout, stderr = cli.communicate(timeout=120)
    finally:
        if cli.poll() is None:
            os.killpg(cli.pid, signal.SIGKILL)
            cli.wait()
    lines += stderr.splitlines()
    assert cli.returncode == 130, "".join(lines)[-2000:]
    report = json.loads((out / "batch-report.json").read_text())
    assert report["backend"] == "ray" and report["interrupted"] is True
    statuses = {job["name"]: job["status"] for job in report["jobs"]}
    assert len(statuses) == 6 and list(statuses.values()).count(CANCELLED) >= 4
    _no_partial_files(out)
    finished = [json.loads(line) for line in lines if '"job_finished"' in line]
    assert sorted(f["name"] for f in finished) == sorted(statuses)
    deadline = time.monotonic() + 10.0
    while _session_pids(cli.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _session_pids(cli.pid) == set(), "every Ray process of the batch ended"


def _session_pids(sid: int) -> set[int]:
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[4]) == sid and fields[0] != "Z":
                pids.add(int(entry.name))
    return pids


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stop_instance(temp_dir: str) -> set[int]:
    """End the processes of the instance keeping its files in ``temp_dir`` (``ray stop`` would
    end every Ray instance of the machine); the ones still alive after that."""
    pids = _ray_pids(temp_dir)
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        for pid in _alive(pids):
            with contextlib.suppress(OSError):
                os.kill(pid, sig)
        if not _wait_gone(pids, wait):
            break
    return _alive(pids)


def test_a_cluster_from_ray_start_needs_its_token_and_then_runs_the_batch(tmp_path):
    """``ray start --head`` as a user runs it, with a token saved (as any earlier local Ray
    instance leaves one), turns token authentication on; the batch command given its address
    says what to set, then runs with ``RAY_AUTH_MODE=token``."""
    home = tmp_path / "home"
    home.mkdir()
    temp_dir = tempfile.mkdtemp(prefix="ac-")  # short: Unix socket paths are limited
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in {"RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH", "RAY_ADDRESS"}}
    env.update(HOME=str(home), RAY_USAGE_STATS_ENABLED="0")
    ray_cli = str(Path(sys.executable).with_name("ray"))
    subprocess.run([ray_cli, "get-auth-token", "--generate"], env=env, check=True,
                   capture_output=True, timeout=60)
    assert (home / ".ray" / "auth_token").stat().st_size > 0
    try:
        started = subprocess.run(
            [ray_cli, "start", "--head", f"--port={port}", "--num-cpus=1",
             "--include-dashboard=false", f"--temp-dir={temp_dir}", "--disable-usage-stats"],
            env=env, capture_output=True, text=True, timeout=120)
        assert started.returncode == 0, started.stderr[-2000:]
        clips = tmp_path / "clips"
        _clip(clips, "line0", 1.0)
        out = tmp_path / "out"
        batch = [sys.executable, "-m", "studio.cli", "batch", str(clips), "--out", str(out),
                 "--backend", "ray", "--address", f"127.0.0.1:{port}"]
        refused = subprocess.run(batch, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                                 timeout=180)
        errors = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
        assert refused.returncode == 2 and len(errors) == 1, refused.stderr[-2000:]
        assert f"cannot connect to the Ray cluster at 127.0.0.1:{port}" in errors[0]
        assert "set RAY_AUTH_MODE=token" in errors[0] and "ray get-auth-token" in errors[0]
        assert not any(p.name.startswith("line0") for p in out.glob("*"))
        ran = subprocess.run(batch, cwd=REPO_ROOT, env={**env, "RAY_AUTH_MODE": "token"},
                             capture_output=True, text=True, timeout=180)
        assert ran.returncode == 0, ran.stderr[-2000:]
        assert sorted(p.name for p in out.glob("line0*")) == ["line0.json", "line0.rhubarb.json"]
        assert json.loads((out / "line0.json").read_text())["numFrames"] > 0
    finally:
        leftovers = _stop_instance(temp_dir)
        shutil.rmtree(temp_dir, ignore_errors=True)
    assert leftovers == set(), f"Ray processes left behind: {leftovers}"


def test_jobs_must_be_positive():
    with pytest.raises(ValueError, match="at least 1"):
        RayBackend(jobs=0)


# -- one shared Ray instance ----------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A local Ray instance with 2 CPUs, shut down after the module; no process survives."""
    temp_dir = tempfile.mkdtemp(prefix="ar-")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
             object_store_memory=128 * 1024 * 1024, _temp_dir=temp_dir)
    try:
        yield temp_dir
    finally:
        pids = _ray_pids(temp_dir)
        ray.shutdown()
        leftovers = _wait_gone(pids)
        shutil.rmtree(temp_dir, ignore_errors=True)
        assert pids and leftovers == set(), f"Ray processes left behind: {leftovers}"


def test_jobs_run_as_tasks_with_events_in_order(cluster, tmp_path):
    jobs = _jobs(tmp_path / "clips", 5)
    out = tmp_path / "out"
    out.mkdir()
    events = Events()
    RayBackend(jobs=2, progress_interval=0.02).run(jobs, out, events, CancelToken())
    results = events.finished()
    assert sorted(results) == [j.name for j in jobs]
    assert all(r.status == DONE and r.error == "" for r in results.values())
    assert events.started() == set(results)
    events.check_order()
    assert any(isinstance(e, JobProgress) and 0 < e.fraction < 1 for e in events.events)
    assert all(re.fullmatch(r"pid \d+ on \S+", r.worker) for r in results.values())
    for job in jobs:
        assert results[job.name].outputs == tuple(str(p) for p in job.outputs(out))
        data = json.loads((out / f"{job.name}.json").read_text())
        assert data["numFrames"] > 0
    _no_partial_files(out)


def test_relative_paths_resolve_against_the_driver_folder(cluster, tmp_path, monkeypatch):
    clip = _clip(tmp_path / "clips", "rel", 1.0)
    monkeypatch.chdir(tmp_path)
    out = Path("out")
    out.mkdir()
    job = BatchJob("rel", RenderSpec(clip.relative_to(tmp_path)), (".json",))
    events = Events()
    RayBackend().run([job], out, events, CancelToken())
    result = events.finished()["rel"]
    assert result.status == DONE, result.error
    assert result.outputs == (str(tmp_path / "out" / "rel.json"),)


def test_a_bad_line_fails_alone(cluster, tmp_path):
    good = _jobs(tmp_path / "clips", 2)
    missing = BatchJob("missing", RenderSpec(tmp_path / "nowhere.wav"), FORMATS)
    bad_format = BatchJob("badfmt", RenderSpec(good[0].spec.audio), (".json", ".xyz"))
    out = tmp_path / "out"
    out.mkdir()
    events = Events()
    RayBackend().run([missing, *good, bad_format], out, events, CancelToken())
    results = events.finished()
    assert results["missing"].status == FAILED
    assert "nowhere.wav" in results["missing"].error
    assert results["badfmt"].status == FAILED and ".xyz" in results["badfmt"].error
    assert "\n" not in results["missing"].error + results["badfmt"].error
    assert [results[j.name].status for j in good] == [DONE, DONE]
    assert not any(p.name.startswith(("missing", "badfmt")) for p in out.iterdir())
    events.check_order()


def test_cancel_stops_running_jobs_and_never_starts_the_rest(cluster, tmp_path):
    jobs = _jobs(tmp_path / "clips", 8, seconds=20.0)
    out = tmp_path / "out"
    out.mkdir()
    cancel = CancelToken()
    events = Events(cancel_on=JobProgress, cancel=cancel)
    start = time.monotonic()
    RayBackend(jobs=2, progress_interval=0.05).run(jobs, out, events, cancel)
    took = time.monotonic() - start
    results = events.finished()
    assert sorted(results) == sorted(j.name for j in jobs), "every job finishes, once"
    events.check_order()
    started = events.started()
    assert 1 <= len(started) <= 2, "only the jobs running at the cancel had started"
    never = [r for name, r in results.items() if name not in started]
    assert len(never) >= 6 and all(r.status == CANCELLED and r.worker == "" for r in never)
    stopped = [results[name] for name in started]
    assert any(r.status == CANCELLED for r in stopped), "a running job stopped at its check"
    _no_partial_files(out)
    for name, result in results.items():  # files there are whole: written by a finished step
        if result.status == DONE:
            assert all(Path(p).is_file() for p in result.outputs)
        for path in out.glob(f"{name}.*json"):
            json.loads(path.read_text())
    assert took < 8 * 1.0, "the batch stopped early"


def test_an_interrupt_in_the_driver_is_a_hard_stop(cluster, tmp_path):
    jobs = _jobs(tmp_path / "clips", 6, seconds=20.0)
    out = tmp_path / "out"
    out.mkdir()
    events = Events()

    def interrupt_once(event: BatchEvent) -> None:
        events(event)
        if isinstance(event, JobProgress) and not getattr(interrupt_once, "done", False):
            interrupt_once.done = True  # type: ignore[attr-defined]
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        RayBackend(jobs=2, progress_interval=0.05).run(jobs, out, interrupt_once, CancelToken())
    results = events.finished()
    assert sorted(results) == sorted(j.name for j in jobs), "every job is reported"
    assert sum(r.status == CANCELLED for r in results.values()) >= 5
    _no_partial_files(out)
    # the shared instance still works afterwards
    after = Events()
    RayBackend().run(_jobs(tmp_path / "more", 1), out, after, CancelToken())
    assert [r.status for r in after.finished().values()] == [DONE]


def test_a_cancel_before_the_start_runs_nothing(cluster, tmp_path):
    cancel = CancelToken()
    cancel.cancel()
    events = Events()
    RayBackend().run(_jobs(tmp_path, 3), tmp_path, events, cancel)
    assert {r.status for r in events.finished().values()} == {CANCELLED}
    assert events.started() == set()
    assert not list(tmp_path.glob("*.json"))


def test_a_crashing_task_fails_its_job_with_advice(cluster):
    @ray.remote
    def broken() -> None:
        raise ImportError("No module named 'studio'")

    with pytest.raises(ray.exceptions.RayTaskError) as info:
        ray.get(broken.remote())
    message = _task_error(ray, info.value)
    assert message.startswith("the Ray worker could not run the job (ImportError: No module")
    assert "affect-studio[cluster] on every node" in message and "\n" not in message


def test_a_batch_through_ray_resumes_and_redoes_only_what_changed(cluster, tmp_path):
    from studio.batch.runner import run_batch

    jobs = _jobs(tmp_path / "clips", 3)
    out = tmp_path / "out"
    first = run_batch(jobs, out, RayBackend(jobs=2))
    assert first.ok and [r.status for r in first.results] == [DONE] * 3
    report = json.loads((out / "batch-report.json").read_text())
    assert report["backend"] == "ray"
    assert all(job["worker"].startswith("pid ") for job in report["jobs"])

    again = run_batch(jobs, out, RayBackend(jobs=2))
    assert [r.status for r in again.results] == ["skipped"] * 3

    _clip(tmp_path / "clips", "clip1", 2.0)  # new audio for one line
    third = run_batch(jobs, out, RayBackend(jobs=2))
    assert [r.status for r in third.results] == ["skipped", DONE, "skipped"]
    _no_partial_files(out)
