"""Transparent exports: PNG sequence (RGBA) and ProRes 4444 ``.mov`` with alpha.

The frames come from the real renderer with the default avatar (1 s at 160x120), so the
alpha checks look at the actual face: transparent corners, an opaque centre.
"""

from __future__ import annotations

import errno
import re
import subprocess
import tempfile
import threading
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from generators.errors import Cancelled
from generators.progress import CancelToken
from generators.take import frame_count
from studio.errors import ExportError
from studio.exporters import base, png_sequence
from studio.exporters.alpha_frames import straight_rgba
from studio.exporters.base import exporter_for
from studio.exporters.png_sequence import (
    PngSequenceExporter,
    encode_png,
    sequence_folder,
    sequence_name,
)
from studio.exporters.prores import ProresExporter

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
W, H = 160, 120
FPS = 30.0


def probe(path: Path) -> str:
    """ffmpeg's description of the input, from ``ffmpeg -i``."""
    proc = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True,
                          text=True, check=False)  # fmt: skip
    return proc.stderr


def rgba_frames(path: Path) -> np.ndarray:
    """Every video frame of ``path`` decoded to ``(N, H, W, 4)`` RGBA."""
    proc = subprocess.run(
        [FFMPEG, "-v", "error", "-i", str(path), "-map", "0:v:0", "-f", "rawvideo",
         "-pix_fmt", "rgba", "-"],
        capture_output=True, check=True,
    )  # fmt: skip
    return np.frombuffer(proc.stdout, np.uint8).reshape(-1, H, W, 4)


def audio_seconds(path: Path, rate: int = 48000) -> float:
    proc = subprocess.run(
        [FFMPEG, "-v", "error", "-i", str(path), "-map", "0:a:0", "-ac", "1", "-ar", str(rate),
         "-f", "f32le", "-"],
        capture_output=True, check=True,
    )  # fmt: skip
    return len(proc.stdout) / 4 / rate


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def opaque_reference(take, index: int) -> np.ndarray:
    """Frame ``index`` from the ordinary (backdrop) renderer, for colour comparisons."""
    from renderers.avatar_renderer import AvatarRenderer
    from renderers.loaders import default_avatar

    with AvatarRenderer(default_avatar(), W, H) as r:
        return r.render(take.pose_at(index / FPS))


def assert_alpha_matte(frame: np.ndarray) -> None:
    """Corners transparent, the face in the middle opaque and coloured."""
    assert frame.shape == (H, W, 4)
    alpha = frame[:, :, 3]
    for corner in (alpha[:8, :8], alpha[:8, -8:], alpha[-8:, :8], alpha[-8:, -8:]):
        assert corner.max() == 0
    centre = frame[H // 2 - 5 : H // 2 + 5, W // 2 - 5 : W // 2 + 5]
    assert centre[:, :, 3].min() == 255
    assert centre[:, :, :3].mean() > 40
    assert 0.1 < (alpha == 255).mean() < 0.9


@pytest.fixture(scope="module")
def short_take():
    from tests.studio.exporters.conftest import make_take

    with tempfile.TemporaryDirectory() as tmp:
        yield make_take(Path(tmp) / "audio", duration=1.0, fps=FPS)


# -- renderer option ---------------------------------------------------------------------


def test_transparent_renderer_keeps_the_face_pixels(short_take):
    from renderers.avatar_renderer import AvatarRenderer
    from renderers.loaders import default_avatar

    pose = short_take.pose_at(0.5)
    with AvatarRenderer(default_avatar(), W, H, transparent=True) as r:
        rgba = r.render(pose)
    with AvatarRenderer(default_avatar(), W, H) as r:
        rgb = r.render(pose)
    assert rgb.shape == (H, W, 3) and rgba.shape == (H, W, 4)
    assert_alpha_matte(rgba)
    face = rgba[:, :, 3] == 255
    np.testing.assert_array_equal(rgba[face][:, :3], rgb[face])
    assert not rgba[~face].any(), "the background is (0, 0, 0, 0)"
    assert rgb[:8, :8].min() > 0, "the default renderer still draws the backdrop"


def test_straight_rgba_unpremultiplies_partial_pixels():
    frame = np.array([[[0, 0, 0, 0], [10, 20, 30, 255], [50, 25, 0, 128]]], np.uint8)
    out = straight_rgba(frame)
    assert out[0].tolist() == [[0, 0, 0, 0], [10, 20, 30, 255], [100, 50, 0, 128]]
    assert straight_rgba(np.full((1, 2, 3), 7, np.uint8))[0, 0].tolist() == [7, 7, 7, 255]


# -- PNG sequence ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def png_export(short_take, tmp_path_factory):
    out = tmp_path_factory.mktemp("png")
    folder = PngSequenceExporter(width=W, height=H).export(short_take, None, out / "take.png")
    return out, folder


def test_png_sequence_naming_and_count(png_export, short_take):
    out, folder = png_export
    n = frame_count(short_take.duration, FPS)
    assert folder == out / "take_png" == sequence_folder(out / "take.png")
    assert listing(out) == ["take_png"], "only the finished folder, no temporary one"
    assert listing(folder) == [f"take_{i:06d}.png" for i in range(n)]
    assert sequence_name(out / "take.png", 3) == "take_000003.png"


def test_png_frames_are_rgba_with_a_transparent_background(png_export, short_take):
    _, folder = png_export
    files = sorted(folder.iterdir())
    for path in files[:: len(files) // 4]:
        with Image.open(path) as im:
            assert im.mode == "RGBA" and im.size == (W, H)
            frame = np.asarray(im)
        assert_alpha_matte(frame)
        assert set(np.unique(frame[:, :, 3])) <= {0, 255}
        assert not frame[frame[:, :, 3] == 0].any()


def test_png_frame_i_is_the_pose_at_i_over_fps(png_export, short_take):
    _, folder = png_export
    with Image.open(folder / "take_000020.png") as im:
        frame = np.asarray(im)
    reference = opaque_reference(short_take, 20)
    face = frame[:, :, 3] == 255
    np.testing.assert_array_equal(frame[face][:, :3], reference[face])


def test_encode_png_round_trips_through_pil(tmp_path):
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (7, 5, 4), dtype=np.uint8)
    path = tmp_path / "x.png"
    path.write_bytes(encode_png(image, level=1))
    with Image.open(path) as im:
        np.testing.assert_array_equal(np.asarray(im), image)


def test_png_reexport_replaces_the_earlier_sequence(short_take, out_dir, renderer_factory):
    exporter = PngSequenceExporter(width=32, height=24, renderer_factory=renderer_factory())
    exporter.export(short_take, None, out_dir / "take.png")
    small = PngSequenceExporter(width=32, height=24, fps=10, renderer_factory=renderer_factory())
    folder = small.export(short_take, None, out_dir / "take.png")
    assert listing(folder) == [f"take_{i:06d}.png" for i in range(10)]
    assert listing(out_dir) == ["take_png"]
    with Image.open(folder / "take_000009.png") as im:  # an RGB renderer gives opaque frames
        assert np.asarray(im)[:, :, 3].min() == 255


def test_png_will_not_replace_a_foreign_folder(short_take, out_dir, renderer_factory):
    (out_dir / "take_png").mkdir()
    (out_dir / "take_png" / "notes.txt").write_text("keep me")
    exporter = PngSequenceExporter(width=32, height=24, renderer_factory=renderer_factory())
    with pytest.raises(ExportError, match="not a PNG sequence"):
        exporter.export(short_take, None, out_dir / "take.png")
    assert listing(out_dir / "take_png") == ["notes.txt"]
    assert listing(out_dir) == ["take_png"]


def test_png_renderer_failure_leaves_nothing(short_take, out_dir, renderer_factory):
    exporter = PngSequenceExporter(width=32, height=24, renderer_factory=renderer_factory(5))
    with pytest.raises(RuntimeError, match="GL context lost"):
        exporter.export(short_take, None, out_dir / "take.png")
    assert listing(out_dir) == []


def test_png_cancel_leaves_nothing(short_take, out_dir, renderer_factory):
    token = CancelToken()

    class CancelAt:
        def report(self, fraction: float, message: str) -> None:
            if message == "frame 4/30":
                token.cancel()

    exporter = PngSequenceExporter(width=32, height=24, renderer_factory=renderer_factory())
    with pytest.raises(Cancelled):
        exporter.export(short_take, None, out_dir / "take.png", progress=CancelAt(), cancel=token)
    assert listing(out_dir) == []
    assert not [t for t in threading.enumerate() if t.name.startswith("png")]


def test_png_disk_full_midway_leaves_nothing(short_take, out_dir, renderer_factory, monkeypatch):
    real = png_sequence._write_png
    written: list[Path] = []

    def write(path: Path, rgba: np.ndarray, level: int) -> None:
        if len(written) >= 6:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(path)
        real(path, rgba, level)

    monkeypatch.setattr(png_sequence, "_write_png", write)
    exporter = PngSequenceExporter(width=32, height=24, threads=1,
                                   renderer_factory=renderer_factory())  # fmt: skip
    with pytest.raises(ExportError, match="No space left on device"):
        exporter.export(short_take, None, out_dir / "take.png")
    assert listing(out_dir) == []


# -- ProRes 4444 -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mov_export(short_take, tmp_path_factory):
    out = tmp_path_factory.mktemp("mov")
    path = ProresExporter(width=W, height=H).export(short_take, None, out / "take.mov")
    return out, path


def test_mov_streams_are_prores_4444_with_alpha_and_pcm(mov_export):
    out, path = mov_export
    assert listing(out) == ["take.mov"]
    info = probe(path)
    video = re.search(r"Stream #0:\d.*?: Video: (\w+) \((\w+)\).*?, (\w+)\(.*?(\d+)x(\d+)", info)
    assert video is not None, info
    codec, profile, pix_fmt, w, h = video.groups()
    assert (codec, profile) == ("prores", "4444")
    assert pix_fmt.startswith("yuva444p"), pix_fmt
    assert (int(w), int(h)) == (W, H)
    assert "30 fps" in info
    audio = re.search(r"Stream #0:\d.*?: Audio: (\w+)", info)
    assert audio is not None and audio.group(1) == "pcm_s16le", info


def test_mov_duration_matches_the_audio_within_one_frame(mov_export, short_take):
    _, path = mov_export
    source = sf.info(short_take.audio_path).duration
    h, m, s = re.search(r"Duration: (\d+):(\d+):([\d.]+)", probe(path)).groups()
    assert abs(int(h) * 3600 + int(m) * 60 + float(s) - source) <= 1 / FPS
    frames = rgba_frames(path)
    assert len(frames) == frame_count(source, FPS)
    assert abs(audio_seconds(path) - source) <= 1 / FPS


def test_mov_alpha_plane_is_the_matte(mov_export, short_take):
    _, path = mov_export
    frames = rgba_frames(path)
    for i in (0, 15, len(frames) - 1):
        assert_alpha_matte(frames[i])
    reference = opaque_reference(short_take, 15)
    face = frames[15][:, :, 3] == 255
    error = np.abs(frames[15][face][:, :3].astype(int) - reference[face].astype(int))
    assert error.mean() < 3, "the colour survives the 10-bit 4:4:4 round trip"


def test_mov_without_audio_has_no_sound_track(take_factory, tmp_path, out_dir, renderer_factory):
    take = take_factory(tmp_path / "none", duration=0.5, audio=False)
    path = ProresExporter(width=64, height=48, renderer_factory=renderer_factory()).export(
        take, None, out_dir / "silent.mov"
    )
    info = probe(path)
    assert "Video: prores" in info and "Audio:" not in info


def test_mov_renderer_failure_leaves_nothing(short_take, out_dir, renderer_factory):
    exporter = ProresExporter(width=64, height=48, renderer_factory=renderer_factory(4))
    with pytest.raises(RuntimeError, match="GL context lost"):
        exporter.export(short_take, None, out_dir / "take.mov")
    assert listing(out_dir) == []
    assert not [t for t in threading.enumerate() if t.name.startswith("ffmpeg-")]


# -- both --------------------------------------------------------------------------------


@pytest.mark.parametrize("exporter_class", [PngSequenceExporter, ProresExporter])
def test_unwritable_folder_leaves_nothing(short_take, out_dir, monkeypatch, exporter_class,
                                          renderer_factory):  # fmt: skip
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(base.tempfile, "mkstemp", refuse)
    name = "take.png" if exporter_class is PngSequenceExporter else "take.mov"
    exporter = exporter_class(width=32, height=24, renderer_factory=renderer_factory())
    with pytest.raises(ExportError, match="not writable"):
        exporter.export(short_take, None, out_dir / name)
    assert listing(out_dir) == []


def test_sizes_are_checked():
    with pytest.raises(ExportError, match="outside"):
        PngSequenceExporter(width=1, height=24)
    with pytest.raises(ExportError, match="outside"):
        ProresExporter(width=32, height=24, fps=0)
    assert ProresExporter(width=33, height=25).size == (32, 24)


def test_registry_picks_the_alpha_exporters(out_dir):
    assert isinstance(exporter_for(out_dir / "a.png", width=64), PngSequenceExporter)
    assert isinstance(exporter_for(out_dir / "a.mov", height=48), ProresExporter)
    assert exporter_for(out_dir / "a.mov", height=48).size == (1280, 48)
