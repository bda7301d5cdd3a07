"""Failures leave nothing behind: no half-written file under the final name, no temp file."""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

import pytest

from generators.errors import Cancelled
from generators.progress import CancelToken
from studio.errors import ExportError
from studio.exporters import text_output
from studio.exporters.base import exporter_for, supported_extensions
from studio.exporters.video import VideoExporter

TEXT_OUTPUTS = ["take.json", "take.csv", "take.rhubarb.json", "take.tsv"]
ALL_OUTPUTS = [
    *TEXT_OUTPUTS, "take.mp4", "take.glb", "take.usda", "take.usd", "take.png", "take.mov"
]


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _ffmpeg_children() -> list[int]:
    """Live ffmpeg processes started by this test process."""
    me = os.getpid()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        state = stat.rsplit(")", 1)[1].split()[0]
        if ppid == me and b"ffmpeg" in cmd and state != "Z":
            found.append(int(entry.name))
    return found


def test_cancel_after_a_few_frames_leaves_nothing(take, out_dir, renderer_factory):
    token = CancelToken()

    class CancelAt:
        def report(self, fraction: float, message: str) -> None:
            if message == "frame 5/84":
                token.cancel()

    exporter = VideoExporter(width=64, height=48, renderer_factory=renderer_factory())
    with pytest.raises(Cancelled):
        exporter.export(take, None, out_dir / "take.mp4", progress=CancelAt(), cancel=token)
    assert _listing(out_dir) == []
    assert _ffmpeg_children() == []
    assert not [t for t in threading.enumerate() if t.name.startswith("ffmpeg-")]


def test_cancel_token_on_the_constructor(take, out_dir, renderer_factory):
    token = CancelToken()
    token.cancel()
    exporter = VideoExporter(width=64, height=48, cancel=token,
                             renderer_factory=renderer_factory())  # fmt: skip
    with pytest.raises(Cancelled):
        exporter.export(take, None, out_dir / "take.mp4")
    assert _listing(out_dir) == []


def test_renderer_failure_midway_leaves_nothing(take, out_dir, renderer_factory):
    exporter = VideoExporter(width=64, height=48, renderer_factory=renderer_factory(fail_at=10))
    with pytest.raises(RuntimeError, match="GL context lost"):
        exporter.export(take, None, out_dir / "take.mp4")
    assert _listing(out_dir) == []
    assert _ffmpeg_children() == []


def test_missing_source_audio_is_an_export_error(take, out_dir, renderer_factory):
    Path(take.audio_path).unlink()
    exporter = VideoExporter(width=64, height=48, renderer_factory=renderer_factory())
    with pytest.raises(ExportError, match="source audio not found"):
        exporter.export(take, None, out_dir / "take.mp4")
    assert _listing(out_dir) == []


def test_ffmpeg_failure_reports_its_last_error_line(take, out_dir, renderer_factory):
    Path(take.audio_path).write_text("this is not audio")
    exporter = VideoExporter(width=64, height=48, renderer_factory=renderer_factory())
    with pytest.raises(ExportError, match=r"^video encoding failed: .*Invalid data"):
        exporter.export(take, None, out_dir / "take.mp4")
    assert _listing(out_dir) == []
    assert _ffmpeg_children() == []


def test_failed_export_keeps_the_previous_file(take, out_dir, renderer_factory):
    old = out_dir / "take.mp4"
    old.write_bytes(b"previous render")
    exporter = VideoExporter(width=64, height=48, renderer_factory=renderer_factory(fail_at=3))
    with pytest.raises(RuntimeError):
        exporter.export(take, None, old)
    assert old.read_bytes() == b"previous render"
    assert _listing(out_dir) == ["take.mp4"]


@pytest.mark.parametrize("name", TEXT_OUTPUTS)
def test_full_disk_while_writing_text(take, out_dir, monkeypatch, name):
    real_open = open

    class FullDisk:
        def __init__(self, path, *args, **kwargs):
            self._f = real_open(path, *args, **kwargs)

        def write(self, text):
            self._f.write(text[: len(text) // 2])
            self._f.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._f.close()

    monkeypatch.setattr(text_output, "open", FullDisk, raising=False)
    with pytest.raises(ExportError, match="No space left on device"):
        exporter_for(out_dir / name).export(take, None, out_dir / name, progress=None)
    assert _listing(out_dir) == []


@pytest.mark.parametrize("name", ALL_OUTPUTS)
def test_missing_output_folder(take, tmp_path, name, renderer_factory):
    exporter = exporter_for(tmp_path / name)
    if isinstance(exporter, VideoExporter):
        exporter.renderer_factory = renderer_factory()
    with pytest.raises(ExportError, match="does not exist"):
        exporter.export(take, None, tmp_path / "no" / "such" / name, progress=None)


@pytest.mark.parametrize("name", ALL_OUTPUTS)
def test_output_folder_is_a_file(take, tmp_path, name):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="not a folder"):
        exporter_for(tmp_path / name).export(take, None, blocker / name, progress=None)


@pytest.mark.parametrize("name", ALL_OUTPUTS)
def test_unwritable_output_folder(take, tmp_path, name):
    if os.geteuid() == 0:  # root ignores permission bits: use a folder no one can write
        folder = Path("/sys")
    else:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o500)
    try:
        with pytest.raises(ExportError, match="not writable"):
            exporter_for(tmp_path / name).export(take, None, folder / name, progress=None)
    finally:
        if folder != Path("/sys"):
            folder.chmod(0o700)
    assert not (folder / name).exists()


def test_unknown_extension_names_the_known_ones(tmp_path):
    with pytest.raises(ExportError) as info:
        exporter_for(tmp_path / "take.fbx")
    message = str(info.value)
    assert "'.fbx'" in message and "take.fbx" in message
    for ext in (".json", ".csv", ".rhubarb.json", ".tsv", ".mp4"):
        assert ext in message
    assert set(supported_extensions()) >= {".json", ".csv", ".rhubarb.json", ".tsv", ".mp4"}


def test_no_extension_at_all(tmp_path):
    with pytest.raises(ExportError, match=r"\(none\)"):
        exporter_for(tmp_path / "take")
