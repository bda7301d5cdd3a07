"""Batch lines with ``generator = talking-head``: manifest fields, resume and a real run.

The manifest side needs no torch; the run renders real portrait videos with the tiny seeded
models (CPU, nothing downloaded) beside a rig line in the same batch.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio.batch.command import EXIT_FAILED
from studio.batch.job import BatchJob
from studio.batch.manifest import BatchPlan, read_batch
from studio.batch.state import ResumeState
from studio.cli import main
from studio.talking_head_video import TalkingHeadRequest
from tests.generators.tiny_talking_head import save_portrait
from tests.studio.batch.test_manifest import clip, presets_home  # noqa: F401 (autouse)


@pytest.fixture
def lines(tmp_path: Path) -> Path:
    """A folder with two voice lines, a portrait and a (not yet filled) models config."""
    folder = tmp_path / "lines"
    clip(folder, "a.wav", 1.0)
    clip(folder, "b.wav", 1.0)
    save_portrait(folder / "face.png")
    (folder / "talking_head.toml").write_text(
        '[models]\nbase = "sd15"\ncontrolnet = "sd15/controlnet"\n', encoding="utf-8")
    return folder


def _plan(folder: Path, rows: str, header: str = "audio,generator,reference,models,formats"
          ) -> BatchPlan:
    manifest = folder / "lines.csv"
    manifest.write_text(f"{header}\n{rows}\n", encoding="utf-8")
    return read_batch(manifest)


# -- the manifest -------------------------------------------------------------------------


def test_a_talking_head_line_carries_its_request_and_a_rig_line_none(lines: Path) -> None:
    plan = _plan(lines, "a.wav,talking-head,face.png,talking_head.toml,mp4 json\n"
                        "b.wav,rig,,,json", header="audio,generator,reference,models,formats")
    assert plan.problems == []
    head, rig = plan.jobs
    assert rig.spec.talking_head is None and rig.spec.size == (1280, 720)
    request = head.spec.talking_head
    assert isinstance(request, TalkingHeadRequest)
    assert request.reference == lines / "face.png"  # relative to the manifest's folder
    assert request.config == lines / "talking_head.toml"
    assert head.spec.size == (512, 512) == request.size  # the model's size by default
    assert head.formats == (".mp4", ".json")


def test_talking_head_settings_come_from_the_line_or_the_defaults(lines: Path) -> None:
    (lines / "defaults.toml").write_text(
        'generator = "talking-head"\nreference = "face.png"\nsteps = 8\nguidance = 5\n'
        'formats = ["mp4"]\nsize = "256x256"\nseed = 7\n', encoding="utf-8")
    manifest = lines / "lines.csv"
    manifest.write_text("audio,strength,ip_adapter_scale,low_memory,frame_batch\n"
                        "a.wav,0.5,0,yes,16\nb.wav,,,,auto\n", encoding="utf-8")
    plan = read_batch(manifest, defaults=lines / "defaults.toml")
    assert plan.problems == []
    first, second = (job.spec.talking_head for job in plan.jobs)
    assert (first.steps, first.guidance, first.strength, first.ip_adapter_scale) == \
        (8, 5.0, 0.5, 0.0)
    assert first.low_memory and not second.low_memory
    assert (second.strength, second.ip_adapter_scale) == (0.7, 0.6)  # the request's defaults
    assert first.size == (256, 256) and first.seed == 7 and first.fps == 30.0
    assert (first.batch_size, second.batch_size) == (16, None)  # None: as the GPU holds


@pytest.mark.parametrize(("row", "reason"), [
    ("a.wav,portrait,face.png,,mp4", "generator must be rig or talking-head, got 'portrait'"),
    ("a.wav,talking-head,face.png,,json",
     "generator talking-head makes the .mp4 video; add mp4 to the line's formats"),
    ("a.wav,talking-head,nobody.png,,mp4", "reference portrait not found:"),
    ("a.wav,talking-head,face.png,missing.toml,mp4", "talking-head models config not found:"),
])
def test_bad_talking_head_lines_fail_alone_with_their_reason(lines: Path, row: str,
                                                             reason: str) -> None:
    plan = _plan(lines, f"{row}\nb.wav,rig,,,json")
    assert [job.name for job in plan.jobs] == ["b"]
    assert len(plan.problems) == 1 and reason in plan.problems[0].reason


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("steps", "0", "steps must be a whole number between 1 and 200"),
    ("guidance", "-1", "guidance must be a number between 0 and 30"),
    ("strength", "2", "strength must be a number between 0.01 and 1"),
    ("ip_adapter_scale", "x", "ip_adapter_scale must be a number between 0 and 2"),
    ("low_memory", "maybe", "low_memory must be true or false, got 'maybe'"),
    ("frame_batch", "0", "frame_batch must be auto or a whole number between 1 and 64"),
    ("frame_batch", "lots", "frame_batch must be auto or a whole number between 1 and 64"),
])
def test_talking_head_numbers_are_checked(lines: Path, field: str, value: str,
                                          reason: str) -> None:
    plan = _plan(lines, f"a.wav,talking-head,mp4,{value}",
                 header=f"audio,generator,formats,{field}")
    assert plan.jobs == [] and reason in plan.problems[0].reason


def test_resume_sees_a_changed_portrait_but_not_an_unchanged_line(lines: Path,
                                                                  tmp_path: Path) -> None:
    def job() -> BatchJob:
        return _plan(lines, "a.wav,talking-head,face.png,talking_head.toml,mp4").jobs[0]

    state = ResumeState(tmp_path / "out")
    before = state.fingerprint(job())
    assert before is not None and before == state.fingerprint(job())
    save_portrait(lines / "face.png", seed=4)  # same path, other bytes
    assert state.fingerprint(job()) != before


# -- a real run ---------------------------------------------------------------------------


def test_a_batch_renders_talking_head_videos_beside_rig_lines(lines: Path, tmp_path: Path,
                                                              capsys) -> None:
    pytest.importorskip("diffusers", reason="the diffusion extra is installed by the test "
                        "command")
    from tests.generators.tiny_talking_head import save_tiny_models
    from tests.studio.exporters.test_export_video import decode_all, probe, video_frames

    save_tiny_models(lines / "sd15")
    manifest = lines / "lines.csv"
    manifest.write_text(
        "audio,generator,reference,models,formats,size,steps\n"
        "a.wav,talking-head,face.png,talking_head.toml,mp4 json,64x64,2\n"
        "b.wav,rig,,,json,,\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["batch", str(manifest), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "talking-head lines run one at a time" in captured.err  # one copy of the models
    video = out / "a.mp4"
    assert "Video: h264" in probe(video) and "64x64" in probe(video)
    assert decode_all(video) == ""
    frames = video_frames(video, 64, 64)
    assert len(frames) == json.loads((out / "a.json").read_text())["numFrames"]
    assert float(frames.std()) > 1.0  # a picture, not a flat colour
    assert json.loads((out / "b.json").read_text())["numPoses"] == 52
    assert not (out / "b.mp4").exists()
    report = json.loads((out / "batch-report.json").read_text())
    assert [j["status"] for j in report["jobs"]] == ["done", "done"]

    assert main(["batch", str(manifest), "--out", str(out)]) == 0  # unchanged: skipped
    assert "skipped       2" in capsys.readouterr().out


def test_missing_models_fail_the_talking_head_line_only(lines: Path, tmp_path: Path,
                                                        capsys) -> None:
    pytest.importorskip("diffusers", reason="the diffusion extra is installed by the test "
                        "command")
    manifest = lines / "lines.csv"
    manifest.write_text("audio,generator,models,formats\n"
                        "a.wav,talking-head,talking_head.toml,mp4\n"
                        "b.wav,rig,,json\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["batch", str(manifest), "--out", str(out), "--jobs", "2"]) == EXIT_FAILED
    # Two jobs at once could share one GPU: the automatic frame batch is fixed, and said so.
    assert "talking-head lines denoise 4 frames together" in capsys.readouterr().err
    report = json.loads((out / "batch-report.json").read_text())
    failed = {j["name"]: j for j in report["jobs"]}
    assert failed["b"]["status"] == "done"
    assert failed["a"]["status"] == "failed"
    assert "talking-head models missing" in failed["a"]["error"]
    assert "unet" in failed["a"]["error"] and "controlnet (looked in" in failed["a"]["error"]
    assert not (out / "a.mp4").exists() and not list(out.glob("*.part*"))


def test_an_automatic_frame_batch_survives_a_preset_round_trip(tmp_path: Path) -> None:
    from studio.batch.manifest_fields import merge_settings
    from studio.batch.presets import load_preset, save_preset

    saved = save_preset("fast heads", {"generator": "talking-head", "frame_batch": "auto"},
                        folder=tmp_path)
    assert json.loads(saved.read_text(encoding="utf-8"))["settings"]["frame_batch"] == "auto"
    loaded = load_preset("fast heads", folder=tmp_path)
    assert "frame_batch" in loaded and loaded["frame_batch"] is None
    assert merge_settings({"frame_batch": 8}, loaded)["frame_batch"] is None  # the preset wins


def test_several_jobs_at_once_fix_an_automatic_frame_batch(lines: Path) -> None:
    from studio.batch.command import SHARED_FRAME_BATCH, fixed_frame_batches

    manifest = lines / "lines.csv"
    manifest.write_text("name,audio,generator,reference,formats,frame_batch\n"
                        "a,a.wav,talking-head,face.png,mp4,auto\n"
                        "b,b.wav,talking-head,face.png,mp4,16\nc,b.wav,rig,,json,\n",
                        encoding="utf-8")
    plan = read_batch(manifest)
    assert plan.problems == []
    fixed = fixed_frame_batches(plan.jobs)
    heads = [job.spec.talking_head for job in fixed]
    assert heads[0].batch_size == SHARED_FRAME_BATCH and heads[1].batch_size == 16
    assert heads[2] is None and fixed[2] is plan.jobs[2]
    assert [job.name for job in fixed] == [job.name for job in plan.jobs]
