"""Video: a real MP4 (H.264 + AAC) checked by decoding it with the bundled ffmpeg."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
import soundfile as sf

from generators.take import frame_count
from studio.exporters.base import exporter_for
from studio.exporters.video import VideoExporter

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def probe(path: Path) -> str:
    """ffmpeg's description of the input (what ffprobe would print), from ``ffmpeg -i``."""
    proc = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True,
                          text=True, check=False)  # fmt: skip
    return proc.stderr


def decode_all(path: Path) -> str:
    """Decode every packet; return ffmpeg's error output (empty when the file is clean)."""
    proc = subprocess.run([FFMPEG, "-v", "error", "-i", str(path), "-f", "null", "-"],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return proc.stderr.strip()


def video_frames(path: Path, width: int, height: int) -> np.ndarray:
    proc = subprocess.run(
        [FFMPEG, "-v", "error", "-i", str(path), "-map", "0:v:0", "-f", "rawvideo",
         "-pix_fmt", "gray", "-"],
        capture_output=True, check=True,
    )  # fmt: skip
    return np.frombuffer(proc.stdout, np.uint8).reshape(-1, height, width)


def audio_samples(path: Path, rate: int = 48000) -> np.ndarray:
    proc = subprocess.run(
        [FFMPEG, "-v", "error", "-i", str(path), "-map", "0:a:0", "-ac", "1", "-ar", str(rate),
         "-f", "f32le", "-"],
        capture_output=True, check=True,
    )  # fmt: skip
    return np.frombuffer(proc.stdout, np.float32)


@pytest.fixture
def exported(take, out_dir, recorder, renderer_factory):
    exporter = VideoExporter(width=160, height=120, renderer_factory=renderer_factory())
    path = exporter.export(take, None, out_dir / "take.mp4", progress=recorder)
    return path


def test_streams_are_h264_yuv420p_and_aac(exported):
    info = probe(exported)
    video = re.search(r"Stream #0:\d.*?: Video: (\w+).*?, (\w+)\(.*?(\d+)x(\d+)", info)
    assert video is not None, info
    assert video.group(1) == "h264" and video.group(2) == "yuv420p"
    assert (int(video.group(3)), int(video.group(4))) == (160, 120)
    audio = re.search(r"Stream #0:\d.*?: Audio: (\w+)", info)
    assert audio is not None and audio.group(1) == "aac", info
    assert "30 fps" in info


def test_decodes_without_errors(exported):
    assert decode_all(exported) == ""


def test_duration_matches_the_audio_within_one_frame(exported, take):
    fps = take.fps
    source = sf.info(take.audio_path).duration
    container = re.search(r"Duration: (\d+):(\d+):([\d.]+)", probe(exported))
    h, m, s = container.groups()
    assert abs(int(h) * 3600 + int(m) * 60 + float(s) - source) <= 1 / fps
    frames = video_frames(exported, 160, 120)
    assert len(frames) == frame_count(source, fps)
    assert abs(len(frames) / fps - source) <= 1 / fps
    sound = audio_samples(exported)
    assert abs(len(sound) / 48000 - source) <= 1 / fps


def test_sound_track_is_the_source_audio(exported, take):
    sound = audio_samples(exported)
    src, rate = sf.read(take.audio_path, dtype="float32")
    assert rate == 16000
    mid = sound[24000:48000]  # 0.5-1.0 s of a 220 Hz tone at amplitude 0.3
    assert 0.25 < float(np.max(np.abs(mid))) < 0.35
    spectrum = np.abs(np.fft.rfft(mid))
    assert abs(np.argmax(spectrum) * 48000 / len(mid) - 220) < 5


def test_frames_sample_pose_at_i_over_fps(exported, take):
    frames = video_frames(exported, 160, 120)
    levels = frames[:, 40:80, 40:120].mean(axis=(1, 2))
    expected = [take.pose_at(i / take.fps).weight("jawOpen") * 255 for i in range(len(frames))]
    np.testing.assert_allclose(levels, expected, atol=3.0)


def test_progress_per_frame(recorder, exported, take):
    fractions = [f for f, _ in recorder.events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert len([m for _, m in recorder.events if m.startswith("frame ")]) == 84


def test_options_size_fps_and_odd_sizes(take, out_dir, renderer_factory):
    exporter = VideoExporter(width=99, height=51, fps=24, crf=28, preset="ultrafast",
                             renderer_factory=renderer_factory())  # fmt: skip
    assert exporter.size == (98, 50)
    path = exporter.export(take, None, out_dir / "small.mp4")
    frames = video_frames(path, 98, 50)
    assert len(frames) == frame_count(take.duration, 24) == 68
    assert "24 fps" in probe(path)


def test_take_without_audio_gets_a_silent_track(take_factory, tmp_path, out_dir,
                                                renderer_factory):  # fmt: skip
    take = take_factory(tmp_path / "none", duration=1.0, audio=False)
    path = VideoExporter(width=64, height=48, renderer_factory=renderer_factory()).export(
        take, None, out_dir / "silent.mp4"
    )
    assert re.search(r"Audio: aac", probe(path))
    assert float(np.max(np.abs(audio_samples(path)))) < 1e-3


def test_registry_picks_video(out_dir):
    assert isinstance(exporter_for(out_dir / "a.mp4"), VideoExporter)


def test_real_renderer_and_default_avatar(take_factory, tmp_path, out_dir):
    take = take_factory(tmp_path / "real", duration=0.5)
    path = VideoExporter(width=160, height=120).export(take, None, out_dir / "real.mp4")
    assert decode_all(path) == ""
    frames = video_frames(path, 160, 120)
    assert len(frames) == 15
    assert frames[0].std() > 2, "the avatar is drawn, not a flat frame"
