"""The talking-head diffusion loop on a tiny seeded pipeline (CPU, no downloads)."""

from __future__ import annotations

import numpy as np
import pytest

from generators.errors import Cancelled, GeneratorError
from generators.progress import CancelToken

torch = pytest.importorskip("torch", reason="the diffusion extra is installed by the test command")

from generators.talking_head.pipeline import (  # noqa: E402
    FrameSettings,
    TalkingHeadPipeline,
    choose_device,
)
from tests.generators.tiny_talking_head import moving_ramps, tiny_components  # noqa: E402

SIZE = 64


@pytest.fixture(scope="module")
def pipeline() -> TalkingHeadPipeline:
    return TalkingHeadPipeline(**tiny_components(), device=torch.device("cpu"),
                               dtype=torch.float32)


def _conditioning(count: int) -> list[np.ndarray]:
    return moving_ramps(count, SIZE)


def _reference() -> np.ndarray:
    return np.random.default_rng(1).integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)


def _run(pipeline: TalkingHeadPipeline, cond: list[np.ndarray], **changes: object) -> np.ndarray:
    settings = FrameSettings(**{"steps": 2, "batch_size": 2, **changes})  # type: ignore[arg-type]
    return np.stack(list(pipeline.frames(cond, settings, reference=_reference(),
                                         count=len(cond))))


class Progress:
    def __init__(self) -> None:
        self.values: list[float] = []

    def report(self, fraction: float, message: str = "") -> None:
        self.values.append(fraction)


def test_one_rgb_frame_per_conditioning_image_reproducible_by_seed(pipeline):
    cond = _conditioning(5)
    first = _run(pipeline, cond)
    assert first.shape == (5, SIZE, SIZE, 3) and first.dtype == np.uint8
    assert np.array_equal(first, _run(pipeline, cond))
    assert not np.array_equal(first, _run(pipeline, cond, seed=7))


def test_the_conditioning_steers_the_frames(pipeline):
    cond = _conditioning(2)
    frames = _run(pipeline, cond, temporal_blend=0.0)
    same = _run(pipeline, [cond[0], cond[0]], temporal_blend=0.0)
    assert np.array_equal(same[0], same[1])  # shared noise: same input, same frame
    assert not np.array_equal(frames[0], frames[1])


def test_without_blending_batches_do_not_change_the_frames(pipeline):
    cond = _conditioning(4)
    one = _run(pipeline, cond, batch_size=1, temporal_blend=0.0)
    four = _run(pipeline, cond, batch_size=4, temporal_blend=0.0)
    assert np.abs(one.astype(int) - four.astype(int)).max() <= 1


def test_temporal_blending_carries_the_previous_frame_into_the_next(pipeline):
    cond = _conditioning(4)
    free = _run(pipeline, cond, batch_size=1, temporal_blend=0.0)
    blended = _run(pipeline, cond, batch_size=1, temporal_blend=0.6)
    assert np.array_equal(free[0], blended[0])  # the first frame has nothing before it
    assert not np.array_equal(free[1:], blended[1:])


def test_guidance_runs_two_unet_passes_and_strength_sets_the_steps(pipeline, monkeypatch):
    calls: list[int] = []
    forward = pipeline.unet.forward

    def counting(sample, *args, **kwargs):
        calls.append(sample.shape[0])
        return forward(sample, *args, **kwargs)

    monkeypatch.setattr(pipeline.unet, "forward", counting)
    _run(pipeline, _conditioning(2), guidance=1.0, strength=1.0)
    plain = list(calls)
    calls.clear()
    _run(pipeline, _conditioning(2), guidance=5.0, strength=1.0)
    assert plain == [2, 2] and calls == [4, 4]
    calls.clear()
    _run(pipeline, _conditioning(2), steps=4, strength=0.5)  # from the reference: last half
    assert calls == [2, 2]


def test_prompts_follow_the_timeline_and_never_share_a_batch(pipeline, monkeypatch):
    seen: list[tuple[str, int]] = []
    encode = pipeline.encode_prompt

    def spy(prompt, negative, guided):
        seen.append(prompt)
        return encode(prompt, negative, guided)

    monkeypatch.setattr(pipeline, "encode_prompt", spy)
    sizes: list[int] = []
    forward = pipeline.unet.forward
    monkeypatch.setattr(pipeline.unet, "forward",
                        lambda sample, *a, **k: (sizes.append(sample.shape[0]),
                                                 forward(sample, *a, **k))[1])
    prompts = ["calm", "calm", "calm", "angry", "angry"]
    frames = list(pipeline.frames(_conditioning(5), FrameSettings(steps=1, batch_size=2),
                                  prompts=prompts))
    assert len(frames) == 5
    assert seen == ["calm", "calm", "angry"] and sizes == [2, 1, 2]
    with pytest.raises(GeneratorError, match="fewer prompts than conditioning images"):
        list(pipeline.frames(_conditioning(3), FrameSettings(steps=1), prompts=["calm"]))


def test_starting_from_noise_needs_no_reference(pipeline):
    frames = list(pipeline.frames(_conditioning(3), FrameSettings(steps=2)))
    assert len(frames) == 3 and frames[0].shape == (SIZE, SIZE, 3)


def test_progress_rises_to_one_and_cancel_stops_before_the_next_step(pipeline):
    progress = Progress()
    _ = list(pipeline.frames(_conditioning(4), FrameSettings(steps=2, batch_size=2),
                             count=4, progress=progress))
    assert progress.values == sorted(progress.values) and progress.values[-1] == 1.0
    token = CancelToken()
    frames = pipeline.frames(_conditioning(6), FrameSettings(steps=2, batch_size=2),
                             cancel=token)
    next(frames)
    token.cancel()
    with pytest.raises(Cancelled):
        list(frames)


@pytest.mark.parametrize(("changes", "says"), [
    ({"steps": 0}, "steps must be at least 1"),
    ({"strength": 0.0}, "strength must be in (0, 1]"),
    ({"temporal_blend": 1.0}, "temporal_blend must be in [0, 1)"),
    ({"batch_size": 0}, "batch_size must be a whole number of at least 1"),
])
def test_bad_settings_are_refused(changes, says):
    with pytest.raises(GeneratorError, match=re_escape(says)):
        FrameSettings(**changes)


def test_frames_must_fit_the_latent_grid(pipeline):
    odd = [np.zeros((60, 60, 3), np.uint8)]
    with pytest.raises(GeneratorError, match="must be a multiple of 16 pixels"):
        list(pipeline.frames(odd, FrameSettings(steps=1)))


def test_a_tiny_vae_decoder_can_stand_in_for_the_vae():
    from diffusers import AutoencoderTiny

    parts = tiny_components()
    torch.manual_seed(0)
    parts["vae"] = AutoencoderTiny(encoder_block_out_channels=(16, 16),
                                   decoder_block_out_channels=(16, 16),
                                   num_encoder_blocks=(1, 1), num_decoder_blocks=(1, 1))
    fast = TalkingHeadPipeline(**parts, device=torch.device("cpu"), dtype=torch.float32)
    assert fast.vae_scale == 2
    frames = _run(fast, _conditioning(2))
    assert frames.shape == (2, SIZE, SIZE, 3)


def test_the_cpu_runs_in_full_precision():
    device, dtype = choose_device("cpu")
    assert device.type == "cpu" and dtype == torch.float32


def re_escape(text: str) -> str:
    import re

    return re.escape(text)


def test_saved_models_load_back_and_give_the_same_frames(pipeline, tmp_path):
    from generators.talking_head.loading import ComponentFolders, load_pipeline
    from tests.generators.tiny_talking_head import COMPONENTS, save_tiny_models

    save_tiny_models(tmp_path)
    assert list((tmp_path / "unet").glob("*.safetensors"))
    assert not list(tmp_path.rglob("*.bin"))
    loaded = load_pipeline(ComponentFolders(**{n: tmp_path / n for n in COMPONENTS}),
                           device="cpu")
    cond = _conditioning(3)
    difference = np.abs(_run(loaded, cond).astype(int) - _run(pipeline, cond))
    assert difference.max() <= 1 and (difference > 0).mean() < 1e-3  # float rounding only


def test_a_broken_component_folder_is_named(tmp_path):
    from generators.errors import ModelError
    from generators.talking_head.loading import ComponentFolders, load_pipeline
    from tests.generators.tiny_talking_head import COMPONENTS, save_tiny_models

    save_tiny_models(tmp_path)
    for weights in (tmp_path / "vae").glob("*.safetensors"):
        weights.unlink()
    with pytest.raises(ModelError, match=r"cannot load the talking-head vae from .*vae"):
        load_pipeline(ComponentFolders(**{n: tmp_path / n for n in COMPONENTS}), device="cpu")


def test_a_text_encoder_with_missing_weights_is_refused_not_filled_with_noise(tmp_path):
    from safetensors.torch import load_file, save_file

    from generators.errors import ModelError
    from generators.talking_head.loading import ComponentFolders, load_pipeline
    from tests.generators.tiny_talking_head import COMPONENTS, save_tiny_models

    save_tiny_models(tmp_path)
    weights = tmp_path / "text_encoder" / "model.safetensors"
    tensors = load_file(str(weights))
    dropped = sorted(k for k in tensors if "layers.0." in k)
    assert dropped
    save_file({k: v for k, v in tensors.items() if k not in dropped}, str(weights))
    with pytest.raises(ModelError) as caught:
        load_pipeline(ComponentFolders(**{n: tmp_path / n for n in COMPONENTS}), device="cpu")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("cannot load the talking-head text_encoder from "
                              f"{tmp_path / 'text_encoder'}: its weights lack ")
    assert f"({len(dropped)} tensors missing)" in message


def test_a_folder_with_only_fp16_weights_loads_that_variant(tmp_path):
    from generators.talking_head.checkpoints import locate_models
    from generators.talking_head.loading import load_pipeline
    from generators.talking_head.model_config import TalkingHeadModels
    from tests.generators.tiny_talking_head import save_tiny_models, tiny_components

    save_tiny_models(tmp_path)
    for weights in (tmp_path / "unet").glob("*.safetensors"):
        weights.unlink()
    tiny_components()["unet"].save_pretrained(tmp_path / "unet", variant="fp16")
    paths = locate_models(TalkingHeadModels(base=tmp_path, controlnet=tmp_path / "controlnet"))
    folders = paths.component_folders()
    assert folders.variants == {"unet": "fp16"}
    loaded = load_pipeline(folders, device="cpu")
    assert len(list(loaded.frames(_conditioning(1), FrameSettings(steps=1)))) == 1


def test_a_few_step_sampler_named_in_the_config_replaces_the_bases(tmp_path):
    from diffusers import DDIMScheduler, LCMScheduler

    from generators.talking_head.checkpoints import locate_models
    from generators.talking_head.loading import load_pipeline
    from generators.talking_head.model_config import load_model_config
    from tests.generators.tiny_talking_head import save_tiny_models

    save_tiny_models(tmp_path / "sd15")
    config = tmp_path / "talking_head.toml"
    config.write_text('[models]\nbase = "sd15"\ncontrolnet = "sd15/controlnet"\n'
                      'scheduler = "LCMScheduler"\n', encoding="utf-8")
    models = load_model_config(config)
    assert models.scheduler == "LCMScheduler"
    loaded = load_pipeline(locate_models(models).component_folders(), device="cpu")
    assert isinstance(loaded.scheduler, LCMScheduler)
    base = DDIMScheduler.load_config(tmp_path / "sd15" / "scheduler")
    assert loaded.scheduler.config.beta_end == base["beta_end"]  # the same noise schedule
    frames = list(loaded.frames(_conditioning(3), FrameSettings(steps=2, strength=1.0)))
    assert len(frames) == 3 and all(f.shape == (64, 64, 3) for f in frames)
    assert float(np.std(frames[0])) > 1.0


def test_an_unknown_sampler_in_the_config_is_refused_in_one_line(tmp_path):
    from generators.talking_head.model_config import ModelConfigError, load_model_config

    config = tmp_path / "talking_head.toml"
    config.write_text('[models]\nscheduler = "FastestScheduler"\n', encoding="utf-8")
    with pytest.raises(ModelConfigError, match=r"scheduler must be one of DDIMScheduler, .*"
                       r"LCMScheduler.*not 'FastestScheduler'; fix the file"):
        load_model_config(config)


def test_saving_memory_keeps_the_frames():
    pipeline = TalkingHeadPipeline(**tiny_components(), device=torch.device("cpu"),
                                   dtype=torch.float32)  # its own: the shared one stays as is
    cond = _conditioning(3)
    before = _run(pipeline, cond)
    pipeline.save_memory()
    assert next(pipeline.text_encoder.parameters()).device.type == "cpu"
    assert pipeline.vae.use_slicing and pipeline.vae.use_tiling
    after = _run(pipeline, cond)
    difference = np.abs(after.astype(int) - before)
    assert difference.max() <= 2 and (difference > 0).mean() < 1e-2  # rounding only


def test_conditioning_is_drawn_ahead_in_another_thread_and_closed_when_the_reader_stops(
        pipeline):
    import threading

    drawn_in: set[int] = set()
    closed = threading.Event()

    def drawn() -> object:
        try:
            for image in _conditioning(8):
                drawn_in.add(threading.get_ident())
                yield image
        finally:
            closed.set()

    frames = pipeline.frames(drawn(), FrameSettings(steps=1, batch_size=2),
                             reference=_reference())
    next(frames)
    assert drawn_in and threading.get_ident() not in drawn_in
    frames.close()
    assert closed.is_set()  # closed before close() returned: no GL context left behind


def test_without_drawing_ahead_the_conditioning_is_drawn_in_the_callers_thread(pipeline):
    import threading

    drawn_in: set[int] = set()

    def drawn() -> object:
        for image in _conditioning(4):
            drawn_in.add(threading.get_ident())
            yield image

    settings = FrameSettings(steps=1, batch_size=2)
    made = list(pipeline.frames(drawn(), settings, reference=_reference(), draw_ahead=False))
    assert drawn_in == {threading.get_ident()}
    assert np.array_equal(np.stack(made), np.stack(list(pipeline.frames(
        _conditioning(4), settings, reference=_reference()))))  # the same frames either way
