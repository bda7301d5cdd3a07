"""The IP-Adapter in the talking-head pipeline, on tiny seeded models (CPU, no downloads)."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from generators.errors import GeneratorError, ModelError, ModelMissingError

torch = pytest.importorskip("torch", reason="the diffusion extra is installed by the test command")

from generators.talking_head.checkpoints import locate_models  # noqa: E402
from generators.talking_head.component_folders import ComponentFolders  # noqa: E402
from generators.talking_head.ip_adapter import (  # noqa: E402
    CLIP_MEAN,
    CLIP_STD,
    ClipImageProcessing,
    adapter_processors,
    load_ip_adapter,
    read_ip_adapter_weights,
)
from generators.talking_head.loading import load_pipeline  # noqa: E402
from generators.talking_head.model_config import TalkingHeadModels  # noqa: E402
from generators.talking_head.pipeline import FrameSettings, TalkingHeadPipeline  # noqa: E402
from tests.generators.tiny_talking_head import (  # noqa: E402
    FIXTURE,
    moving_ramps,
    save_tiny_ip_adapter,
    save_tiny_models,
    tiny_ip_adapter_weights,
)

SIZE = 64


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny SD-1.5 base in ``sd/`` and a tiny IP-Adapter in ``ip/`` (h94 layout)."""
    root = tmp_path_factory.mktemp("models")
    save_tiny_models(root / "sd")
    save_tiny_ip_adapter(root / "ip")
    return root


def _models(root: Path, adapter: Path | None) -> TalkingHeadModels:
    return TalkingHeadModels(base=root / "sd", controlnet=root / "sd" / "controlnet",
                             ip_adapter=adapter)


@pytest.fixture(scope="module")
def folders(models: Path) -> ComponentFolders:
    return locate_models(_models(models, models / "ip")).component_folders()


@pytest.fixture(scope="module")
def adapted(folders: ComponentFolders) -> TalkingHeadPipeline:
    return load_pipeline(folders, device="cpu")


@pytest.fixture(scope="module")
def plain(models: Path) -> TalkingHeadPipeline:
    return load_pipeline(locate_models(_models(models, None)).component_folders(), device="cpu")


def _conditioning(count: int) -> list[np.ndarray]:
    return moving_ramps(count, SIZE)


def _portrait(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)


def _run(pipeline: TalkingHeadPipeline, *, reference: np.ndarray | None = None,
         ip_adapter_image: np.ndarray | None = None, **changes: object) -> np.ndarray:
    settings = FrameSettings(**{"steps": 2, "batch_size": 2, **changes})  # type: ignore[arg-type]
    frames = pipeline.frames(_conditioning(2), settings, reference=reference,
                             ip_adapter_image=ip_adapter_image)
    return np.stack(list(frames)).astype(int)


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    difference = np.abs(a - b)
    return bool(difference.max() <= 1 and (difference > 0).mean() < 1e-3)


# --- finding and loading ------------------------------------------------------------------


def test_located_adapter_fills_the_component_folders(models, folders):
    assert folders.ip_adapter_weights == models / "ip" / "models" / "ip-adapter_sd15.safetensors"
    assert folders.image_encoder == models / "ip" / "models" / "image_encoder"
    assert "image_encoder" not in folders.variants
    without = locate_models(_models(models, None)).component_folders()
    assert without.ip_adapter_weights is None and without.image_encoder is None


def test_the_loaded_pipeline_has_the_adapter_in_its_unet(adapted, plain):
    assert adapted.ip_adapter is not None and adapted.ip_adapter.installed
    processors = adapter_processors(adapted.unet)
    cross = [name for name in adapted.unet.attn_processors if name.endswith("attn2.processor")]
    assert len(processors) == len(cross) == 4  # down block 1, up block 2, mid block 1
    assert adapted.unet.config.encoder_hid_dim_type == "ip_image_proj"
    assert plain.ip_adapter is None and not adapter_processors(plain.unet)


# --- the adapter in the loop -----------------------------------------------------------------


@pytest.mark.parametrize("guidance", [1.0, 4.0])
def test_the_adapter_changes_the_frames_and_scale_zero_is_the_plain_pipeline(adapted, plain,
                                                                             guidance):
    reference = _portrait(1)
    on = _run(adapted, reference=reference, guidance=guidance, ip_adapter_scale=0.6)
    off = _run(adapted, reference=reference, guidance=guidance, ip_adapter_scale=0.0)
    without = _run(plain, reference=reference, guidance=guidance, ip_adapter_scale=0.6)
    assert np.abs(on - off).mean() > 0.5  # the adapter is really in the path
    assert _close(off, without)


def test_another_portrait_changes_the_frames_through_the_adapter_at_full_strength(adapted):
    first, second = _portrait(1), _portrait(2)
    full = {"strength": 1.0}
    # no image-to-image start at all: only the adapter sees the portraits
    a = _run(adapted, ip_adapter_image=first, **full)
    b = _run(adapted, ip_adapter_image=second, **full)
    assert np.abs(a - b).mean() > 0.5
    # the reference portrait is the adapter's image unless another is given
    same_start = _run(adapted, reference=first, ip_adapter_image=second, **full)
    assert np.abs(_run(adapted, reference=first, **full) - same_start).mean() > 0.5
    off = {**full, "ip_adapter_scale": 0.0}
    assert _close(_run(adapted, ip_adapter_image=first, **off),
                  _run(adapted, ip_adapter_image=second, **off))


def test_the_unet_gets_the_image_embeds_with_a_zero_negative_and_the_controlnet_does_not(
        adapted, monkeypatch):
    unet_calls: list[dict] = []
    control_calls: list[dict] = []
    unet_forward, control_forward = adapted.unet.forward, adapted.controlnet.forward

    def unet_spy(sample, *args, **kwargs):
        unet_calls.append(kwargs)
        return unet_forward(sample, *args, **kwargs)

    def control_spy(sample, *args, **kwargs):
        control_calls.append(kwargs)
        return control_forward(sample, *args, **kwargs)

    monkeypatch.setattr(adapted.unet, "forward", unet_spy)
    monkeypatch.setattr(adapted.controlnet, "forward", control_spy)
    encode = adapted.ip_adapter.embed
    encoded: list[np.ndarray] = []
    monkeypatch.setattr(adapted.ip_adapter, "embed",
                        lambda image: (encoded.append(image), encode(image))[1])
    reference = _portrait(3)
    _run(adapted, reference=reference, guidance=3.0, strength=1.0, ip_adapter_scale=0.8)
    assert len(encoded) == 1 and np.array_equal(encoded[0], reference)  # once per call
    assert len(unet_calls) == 2  # 2 steps, one batch of 2 frames
    expected = adapted.encode_image_prompt(reference)
    for kwargs in unet_calls:
        (embeds,) = kwargs["added_cond_kwargs"]["image_embeds"]
        assert embeds.shape == (4, 1, expected.shape[-1])  # [negative] * 2 + [positive] * 2
        assert torch.count_nonzero(embeds[:2]) == 0
        torch.testing.assert_close(embeds[2:, 0], expected.expand(2, -1))
    assert all("added_cond_kwargs" not in kwargs for kwargs in control_calls)
    assert all(p.scale == [0.8] for p in adapter_processors(adapted.unet))


def test_without_an_adapter_the_adapter_image_is_ignored(plain):
    once = _run(plain, reference=_portrait(1), steps=1)
    assert np.array_equal(once, _run(plain, reference=_portrait(1), steps=1,
                                     ip_adapter_image=_portrait(2)))
    with pytest.raises(GeneratorError, match="include no IP-Adapter"):
        plain.encode_image_prompt(_portrait(1))


def test_a_negative_scale_is_refused():
    with pytest.raises(GeneratorError, match="ip_adapter_scale must be 0 or more"):
        FrameSettings(ip_adapter_scale=-0.1)
    assert FrameSettings().ip_adapter_scale == 0.6


# --- image preprocessing ---------------------------------------------------------------------


def test_clip_preprocessing_resizes_crops_and_normalises():
    processing = ClipImageProcessing.square(32)
    white = processing(np.full((48, 96, 3), 255, np.uint8))
    assert white.shape == (3, 32, 32) and white.dtype == np.float32
    expected = (1.0 - np.asarray(CLIP_MEAN)) / np.asarray(CLIP_STD)
    np.testing.assert_allclose(white[:, 5, 7], expected, rtol=1e-5)
    wide = np.zeros((32, 96, 3), np.uint8)
    wide[:, 32:64] = 255  # the centre third survives the square crop
    np.testing.assert_allclose(processing(wide)[:, :, 2:-2], white[:, :, 2:-2], rtol=1e-5)


def test_a_preprocessor_config_sets_size_mean_and_std(tmp_path):
    config = {"size": {"shortest_edge": 40}, "crop_size": {"height": 32, "width": 32},
              "image_mean": [0.5, 0.5, 0.5], "image_std": [0.25, 0.25, 0.25]}
    (tmp_path / "preprocessor_config.json").write_text(json.dumps(config), "utf-8")
    processing = ClipImageProcessing.from_folder(tmp_path, 32)
    assert processing == ClipImageProcessing(size=(40, None), crop=(32, 32),
                                             mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25))
    np.testing.assert_allclose(processing(np.full((64, 64, 3), 255, np.uint8)), 2.0)
    assert ClipImageProcessing.from_folder(tmp_path / "none", 32) == \
        ClipImageProcessing.square(32)
    (tmp_path / "preprocessor_config.json").write_text(
        json.dumps({**config, "image_std": [0, 1, 1]}), "utf-8")
    with pytest.raises(ModelError, match="preprocessor_config.json .*three positive numbers"):
        ClipImageProcessing.from_folder(tmp_path, 32)
    (tmp_path / "preprocessor_config.json").write_text(json.dumps({"crop_size": 224}), "utf-8")
    with pytest.raises(ModelError, match="crop_size 224x224 is not the encoder's image_size"):
        ClipImageProcessing.from_folder(tmp_path, 32)


# --- refused, missing and broken files -------------------------------------------------------


def _adapter_copy(models: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "ip"
    shutil.copytree(models / "ip", copy)
    return copy


def test_a_missing_image_encoder_is_listed(models, tmp_path):
    adapter = _adapter_copy(models, tmp_path)
    shutil.rmtree(adapter / "models" / "image_encoder")
    with pytest.raises(ModelMissingError) as caught:
        locate_models(_models(models, adapter))
    message = str(caught.value)
    assert "\n" not in message
    assert f"ip_adapter image encoder (no image_encoder/ in {adapter / 'models'})" in message


@pytest.mark.parametrize(("damage", "says"), [
    ("truncate", "incomplete metadata"),
    ("replace", "its weights lack vision_model"),
])
def test_a_broken_image_encoder_is_named_when_loading(models, folders, tmp_path, damage, says):
    from safetensors.torch import save_file

    adapter = _adapter_copy(models, tmp_path)
    weights = adapter / "models" / "image_encoder" / "model.safetensors"
    if damage == "truncate":
        data = weights.read_bytes()
        weights.write_bytes(data[: len(data) // 2])
    else:
        save_file({"unrelated": torch.zeros(3)}, str(weights))
    located = locate_models(_models(models, adapter)).component_folders()  # headers look fine
    with pytest.raises(ModelError) as caught:
        load_pipeline(located, device="cpu")
    message = str(caught.value)
    assert "\n" not in message and says in message
    assert message.startswith("cannot load the talking-head ip_adapter image encoder from "
                              f"{adapter / 'models' / 'image_encoder'}: ")


def test_a_pickle_ip_adapter_is_refused_without_allow_pickle(models, folders, tmp_path):
    adapter = _adapter_copy(models, tmp_path)
    safe = adapter / "models" / "ip-adapter_sd15.safetensors"
    nested = read_ip_adapter_weights(safe)
    safe.unlink()
    pickled = adapter / "models" / "ip-adapter_sd15.bin"
    torch.save(nested, pickled)
    with pytest.raises(ModelError, match=r"refused: ip_adapter \(only a pickle checkpoint"):
        locate_models(_models(models, adapter))
    with pytest.raises(ModelError, match=r"refused: ip_adapter \(only a pickle checkpoint, "):
        load_pipeline(dataclasses.replace(folders, ip_adapter_weights=pickled), device="cpu")
    trusted = read_ip_adapter_weights(pickled, allow_pickle=True)
    assert trusted.keys() == nested.keys()
    for part in nested:
        assert trusted[part].keys() == nested[part].keys()
        for key, tensor in nested[part].items():
            assert torch.equal(trusted[part][key], tensor)


def test_the_safetensors_keys_are_split_into_the_nested_parts(models):
    nested = read_ip_adapter_weights(models / "ip" / "models" / "ip-adapter_sd15.safetensors")
    flat = tiny_ip_adapter_weights()
    assert set(nested) == {"image_proj", "ip_adapter"}
    assert {f"{part}.{key}" for part in nested for key in nested[part]} == set(flat)
    assert "proj.weight" in nested["image_proj"] and "1.to_k_ip.weight" in nested["ip_adapter"]


def test_an_adapter_for_another_encoder_or_unet_is_refused(models, tmp_path):
    from diffusers import UNet2DConditionModel
    from safetensors.torch import save_file

    adapter = _adapter_copy(models, tmp_path)
    path = adapter / "models" / "ip-adapter_sd15.safetensors"
    encoder = adapter / "models" / "image_encoder"
    flat = tiny_ip_adapter_weights()

    def load_with(changed: dict) -> object:
        save_file(changed, str(path))
        return load_ip_adapter(path, encoder, dtype=torch.float32)

    wider = {**flat, "image_proj.proj.weight": torch.zeros(128, 48)}
    with pytest.raises(ModelError, match="expects image embeddings of 48 values but the image "
                                         "encoder gives 32"):
        load_with(wider)
    partial = {key: value for key, value in flat.items() if not key.startswith("ip_adapter.1.")}
    loaded = load_with(partial)
    unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(FIXTURE / "unet"))
    with pytest.raises(ModelError, match=r"no ip_adapter\.1\.to_k_ip\.weight \(2 of 8 "):
        loaded.install(unet)
    assert not adapter_processors(unet)  # refused before the UNet was touched
