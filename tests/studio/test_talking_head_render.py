"""`affect-studio render --generator talking-head`: the whole path on a tiny seeded pipeline.

Voice line -> the rig's take -> depth maps of the posed avatar -> diffusion frames from the
reference portrait -> H.264 + AAC with the voice, beside the rig's own curves; all on the CPU
with models saved in a temporary folder (nothing downloaded).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from generators.take import frame_count
from studio.cli import main
from tests.conftest import tone
from tests.studio.exporters.test_export_video import audio_samples, decode_all, probe, video_frames

pytest.importorskip("diffusers", reason="the diffusion extra is installed by the test command")

from tests.generators.tiny_talking_head import (  # noqa: E402
    save_portrait,
    save_tiny_models_config,
)

SIZE = 64
SECONDS = 2.0


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A talking_head.toml naming tiny models saved as an SD-1.5 folder and a ControlNet."""
    return save_tiny_models_config(tmp_path_factory.mktemp("models"))


@pytest.fixture
def voice(tmp_path: Path) -> Path:
    path = tmp_path / "line.wav"
    sf.write(path, tone(SECONDS, 16000), 16000)
    return path


@pytest.fixture
def portrait(tmp_path: Path) -> Path:
    return save_portrait(tmp_path / "face.png")


def _render(voice: Path, portrait: Path, models: Path, *outputs: Path,
            extra: tuple[str, ...] = ()) -> int:
    return main(["render", str(voice), "--prompt", "nervous but hopeful",
                 "--generator", "talking-head", "--reference", str(portrait),
                 "--models", str(models), "--device", "cpu", "--size", f"{SIZE}x{SIZE}",
                 "--steps", "2", *extra, *[a for o in outputs for a in ("-o", str(o))]])


def test_a_two_second_line_becomes_a_talking_head_video_with_its_sound(
        voice, portrait, models, tmp_path, capsys):
    out, curves = tmp_path / "head.mp4", tmp_path / "head.json"
    assert _render(voice, portrait, models, out, curves) == 0  # its time: bench --clip
    info = probe(out)
    assert "Video: h264" in info and f"{SIZE}x{SIZE}" in info and "Audio: aac" in info
    assert decode_all(out) == ""
    frames = video_frames(out, SIZE, SIZE)
    assert len(frames) == frame_count(SECONDS, 30.0)
    assert float(np.abs(np.diff(frames.astype(np.float32), axis=0)).mean()) > 0.0  # it moves
    sound = audio_samples(out)
    assert abs(len(sound) / 48000 - SECONDS) < 1 / 30 + 0.03
    assert np.abs(sound).max() > 0.05  # the voice, not silence
    assert json.loads(curves.read_text())["numFrames"] == len(frames)  # the rig's take
    assert capsys.readouterr().out.split() == [str(out), str(curves)]


def test_missing_models_are_named_in_one_line_and_nothing_is_written(
        voice, portrait, tmp_path, capsys):
    config = tmp_path / "talking_head.toml"
    config.write_text('[models]\nbase = "nowhere"\ncontrolnet = "nowhere/controlnet"\n',
                      encoding="utf-8")
    out = tmp_path / "head.mp4"
    assert _render(voice, portrait, config, out) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and error[0].startswith("error: ")
    assert "unet" in error[0] and "controlnet" in error[0] and "nowhere" in error[0]
    assert not out.exists() and not list(tmp_path.glob("*.part*"))


def test_a_bad_reference_or_format_fails_before_any_work(voice, models, tmp_path, capsys):
    broken = tmp_path / "face.png"
    broken.write_bytes(b"not an image")
    assert _render(voice, broken, models, tmp_path / "head.mp4") == 2
    assert "reference portrait" in capsys.readouterr().err
    assert _render(voice, broken, models, tmp_path / "head.mov") == 2
    assert "writes .mp4 video, not head.mov" in capsys.readouterr().err


def test_the_talking_head_options_need_the_generator(voice, portrait, tmp_path, capsys):
    code = main(["render", str(voice), "--reference", str(portrait),
                 "-o", str(tmp_path / "x.json")])
    assert code == 2
    assert "--reference and --models go with --generator talking-head" in capsys.readouterr().err


def test_low_memory_is_applied_to_the_loaded_models_once(models):
    from studio.talking_head_video import (
        TalkingHeadRequest,
        forget_loaded_pipeline,
        loaded_pipeline,
    )

    forget_loaded_pipeline()
    plain = loaded_pipeline(TalkingHeadRequest(config=models, device="cpu"))
    assert not plain.saving_memory
    saving = loaded_pipeline(TalkingHeadRequest(config=models, device="cpu", low_memory=True))
    assert saving is plain and saving.saving_memory  # the same weights, now saving memory
    assert next(saving.text_encoder.parameters()).device.type == "cpu"
    assert loaded_pipeline(TalkingHeadRequest(config=models, device="cpu",
                                              low_memory=True)) is saving
    unsaving = loaded_pipeline(TalkingHeadRequest(config=models, device="cpu"))
    assert unsaving is not plain and not unsaving.saving_memory  # turned off: loaded afresh
    forget_loaded_pipeline()
    assert loaded_pipeline(TalkingHeadRequest(config=models, device="cpu")) is not unsaving
    forget_loaded_pipeline()


def test_the_frame_batch_is_automatic_unless_given(voice, models, monkeypatch):
    from generators.talking_head.frame_batch import CPU_FRAME_BATCH
    from generators.talking_head.pipeline import TalkingHeadPipeline
    from studio.render_spec import RenderSpec, session_for
    from studio.talking_head_video import TalkingHeadRequest, talking_head_frames

    seen: list[int] = []
    original = TalkingHeadPipeline.frames

    def frames(self, conditioning, settings, **kwargs):
        seen.append(settings.batch_size)
        return original(self, conditioning, settings, **kwargs)

    monkeypatch.setattr(TalkingHeadPipeline, "frames", frames)
    session = session_for(RenderSpec(voice, None, prompt="calm"))
    session.generate()
    for batch in (None, 3):
        request = TalkingHeadRequest(config=models, device="cpu", size=(SIZE, SIZE), steps=1,
                                     batch_size=batch)
        made = list(talking_head_frames(session.take, session.avatar, request))
        assert len(made) == frame_count(SECONDS, 30.0)
    assert seen == [CPU_FRAME_BATCH, 3]


@pytest.mark.parametrize(("value", "needle"), [
    ("0", "frame-batch must be between 1 and 64"),
    ("many", "frame-batch must be 'auto' or a whole number"),
])
def test_a_bad_frame_batch_is_refused_in_one_line(voice, tmp_path, capsys, value, needle):
    with pytest.raises(SystemExit) as info:
        main(["render", str(voice), "--generator", "talking-head", "--frame-batch", value,
              "-o", str(tmp_path / "x.mp4")])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1
