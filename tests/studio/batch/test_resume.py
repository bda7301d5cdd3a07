"""Resume: a rerun skips unchanged jobs and redoes exactly the ones whose inputs changed."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import soundfile as sf

from generators.progress import CancelToken
from studio.batch.backend import JobFinished
from studio.batch.job import CANCELLED, DONE, FAILED, SKIPPED, BatchJob
from studio.batch.local import LocalBackend
from studio.batch.runner import run_batch
from studio.batch.state import STATE_DIR, ResumeState
from studio.render_spec import RenderSpec
from tests.conftest import REPO_ROOT, tone

FORMATS = (".json", ".rhubarb.json")


def _clip(folder: Path, name: str, freq: float = 220.0) -> Path:
    path = folder / name
    sf.write(path, tone(1.0, 16000, freq=freq), 16000)
    return path


def _statuses(jobs, out: Path) -> dict[str, str]:
    report = run_batch(jobs, out, LocalBackend(2))
    return {r.name: r.status for r in report.results}


def _mtimes(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.is_file()
            and p.name != "batch-report.json"}


def test_a_rerun_skips_every_unchanged_job_and_keeps_its_files(tmp_path):
    jobs = [BatchJob(f"line{i}", RenderSpec(_clip(tmp_path, f"a{i}.wav")), FORMATS)
            for i in range(3)]
    out = tmp_path / "out"
    assert set(_statuses(jobs, out).values()) == {DONE}
    before = _mtimes(out)

    report = run_batch(jobs, out, LocalBackend(2))
    assert [r.status for r in report.results] == [SKIPPED] * 3
    assert report.ok and _mtimes(out) == before
    assert report.results[0].outputs == tuple(str(out / f"line0{s}") for s in FORMATS)
    records = list((out / STATE_DIR / "jobs").iterdir())
    assert len(records) == 3 and all(json.loads(p.read_text())["fingerprint"] for p in records)


def test_changed_audio_transcript_prompt_or_track_reruns_only_that_job(demo_audio,
                                                                       demo_transcript,
                                                                       tmp_path):
    track = tmp_path / "track.txt"
    track.write_text("0.0 calm\n0.5 suddenly furious\n")
    jobs = [
        BatchJob("audio", RenderSpec(_clip(tmp_path, "audio.wav")), FORMATS),
        BatchJob("words", RenderSpec(demo_audio, transcript=demo_transcript), FORMATS),
        BatchJob("prompt", RenderSpec(_clip(tmp_path, "prompt.wav"), prompt="calm"), FORMATS),
        BatchJob("track", RenderSpec(_clip(tmp_path, "track.wav"), emotion_track=track),
                 FORMATS),
        BatchJob("same", RenderSpec(_clip(tmp_path, "same.wav")), FORMATS),
    ]
    out = tmp_path / "out"
    assert set(_statuses(jobs, out).values()) == {DONE}

    _clip(tmp_path, "audio.wav", freq=330.0)  # new bytes under the same name
    jobs[1] = replace(jobs[1], spec=replace(jobs[1].spec,
                                            transcript=demo_transcript.replace("!", ".")))
    jobs[2] = replace(jobs[2], spec=replace(jobs[2].spec, intensity=0.5))
    track.write_text("0.0 calm\n0.5 quietly sad\n")
    assert _statuses(jobs, out) == {"audio": DONE, "words": DONE, "prompt": DONE,
                                    "track": DONE, "same": SKIPPED}
    assert set(_statuses(jobs, out).values()) == {SKIPPED}

    moved = tmp_path / "moved.wav"  # the same bytes elsewhere: nothing to redo
    shutil.copy(jobs[4].spec.audio, moved)
    jobs[4] = replace(jobs[4], spec=replace(jobs[4].spec, audio=moved))
    assert _statuses(jobs, out)["same"] == SKIPPED


def test_a_changed_avatar_or_format_list_reruns(facecap, tmp_path):
    clip = _clip(tmp_path, "line.wav")
    job = BatchJob("line", RenderSpec(clip, avatar=facecap), (".json",))
    other = BatchJob("other", RenderSpec(clip), (".json",))
    out = tmp_path / "out"
    assert _statuses([job, other], out) == {"line": DONE, "other": DONE}
    assert _statuses([job, other], out) == {"line": SKIPPED, "other": SKIPPED}

    shutil.copy(REPO_ROOT / "assets" / "avatar" / "default_head.glb", facecap)
    assert _statuses([job, other], out) == {"line": DONE, "other": SKIPPED}

    profile = facecap.with_name(f"{facecap.stem}.mapping.json")  # a file the avatar is made of
    profile.write_text(json.dumps({"version": 1}))
    assert ResumeState(out).fingerprint(job) != _fingerprint_without(profile, job, out)

    wider = replace(other, formats=(".json", ".csv"))
    assert _statuses([wider], out) == {"other": DONE}


def _fingerprint_without(path: Path, job: BatchJob, out: Path) -> str | None:
    text = path.read_text()
    path.unlink()
    try:
        return ResumeState(out).fingerprint(job)
    finally:
        path.write_text(text)


def test_a_missing_or_edited_output_is_redone(tmp_path):
    jobs = [BatchJob(f"line{i}", RenderSpec(_clip(tmp_path, f"a{i}.wav")), FORMATS)
            for i in range(3)]
    out = tmp_path / "out"
    _statuses(jobs, out)
    (out / "line0.rhubarb.json").unlink()
    (out / "line1.json").write_text("{}")
    assert _statuses(jobs, out) == {"line0": DONE, "line1": DONE, "line2": SKIPPED}
    assert json.loads((out / "line1.json").read_text())["numPoses"] == 52


def test_a_failed_job_runs_again_and_a_bad_record_is_ignored(tmp_path):
    good = BatchJob("good", RenderSpec(_clip(tmp_path, "good.wav")), FORMATS)
    later = BatchJob("later", RenderSpec(tmp_path / "later.wav"), FORMATS)
    out = tmp_path / "out"
    assert _statuses([good, later], out) == {"good": DONE, "later": FAILED}

    _clip(tmp_path, "later.wav")  # the user fixes the line
    for record in (out / STATE_DIR / "jobs").iterdir():
        record.write_text("{not json")
    assert _statuses([good, later], out) == {"good": DONE, "later": DONE}
    assert _statuses([good, later], out) == {"good": SKIPPED, "later": SKIPPED}


def test_a_rerun_that_fails_forgets_the_old_record(tmp_path):
    clip = _clip(tmp_path, "line.wav")
    job = BatchJob("line", RenderSpec(clip), FORMATS)
    out = tmp_path / "out"
    assert _statuses([job], out) == {"line": DONE}
    broken = replace(job, spec=replace(job.spec, audio=tmp_path / "missing.wav"))
    assert _statuses([broken], out) == {"line": FAILED}
    assert _statuses([job], out) == {"line": DONE}  # not skipped: its record is gone


def test_an_interrupted_batch_resumes_where_it_stopped(demo_audio, demo_transcript, tmp_path):
    clip = _clip(tmp_path, "short.wav")
    jobs = [BatchJob(f"short{i}", RenderSpec(clip), FORMATS) for i in range(2)]
    jobs += [BatchJob(f"long{i}", RenderSpec(demo_audio, demo_transcript), FORMATS)
             for i in range(3)]
    out = tmp_path / "out"
    token = CancelToken()

    def stop_after_the_short_ones(event) -> None:
        if isinstance(event, JobFinished) and event.result.name == "short1":
            token.cancel()

    first = run_batch(jobs, out, LocalBackend(1), events=stop_after_the_short_ones,
                      cancel=token)
    status = {r.name: r.status for r in first.results}
    assert status["short0"] == status["short1"] == DONE
    assert status["long2"] == CANCELLED
    assert _statuses(jobs, out) == {"short0": SKIPPED, "short1": SKIPPED,
                                    "long0": DONE, "long1": DONE, "long2": DONE}
