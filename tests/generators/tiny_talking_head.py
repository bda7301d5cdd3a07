"""A tiny SD-1.5-layout pipeline with seeded random weights, built from the fixture configs.

Nothing is downloaded: the configs and the tokenizer are files in
``tests/generators/fixtures/tiny_sd`` (written by its ``make_tiny_sd.py``). Frames of 64x64
pixels take milliseconds per step on one CPU core.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "tiny_sd"
COMPONENTS = ("unet", "controlnet", "vae", "text_encoder", "tokenizer", "scheduler")


def save_portrait(path: Path, seed: int = 3, size: tuple[int, int] = (80, 96)) -> Path:
    """Write a seeded random RGB PNG of ``size`` (width, height) at ``path`` (a portrait to
    start frames from); returns ``path``."""
    import numpy as np
    from PIL import Image

    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def moving_ramps(count: int, size: int = 64) -> list[Any]:
    """``count`` RGB uint8 grey ramps (size x size) that brighten from frame to frame, like
    the depth maps of a moving face."""
    import numpy as np

    ramp = np.linspace(0, 255, size, dtype=np.float32)
    frames = []
    for i in range(count):
        image = np.clip(ramp[None, :] + 20.0 * i, 0, 255).astype(np.uint8)
        frames.append(np.repeat(np.repeat(image, size, 0)[..., None], 3, axis=2))
    return frames


def tiny_components(seed: int = 0) -> dict[str, Any]:
    """UNet, ControlNet, VAE, text encoder, tokenizer and scheduler with seeded weights."""
    import torch
    from diffusers import AutoencoderKL, ControlNetModel, DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    built: dict[str, Any] = {}
    for name, cls in (("unet", UNet2DConditionModel), ("controlnet", ControlNetModel),
                      ("vae", AutoencoderKL)):
        torch.manual_seed(seed)
        built[name] = cls.from_config(cls.load_config(FIXTURE / name))
    torch.manual_seed(seed)  # a trained ControlNet's zero convolutions have grown: so do these
    controlnet = built["controlnet"]
    zero_convs = [*controlnet.controlnet_down_blocks, controlnet.controlnet_mid_block,
                  controlnet.controlnet_cond_embedding.conv_out]
    for conv in zero_convs:
        torch.nn.init.normal_(conv.weight, std=0.2)
    torch.manual_seed(seed)
    built["text_encoder"] = CLIPTextModel(CLIPTextConfig.from_pretrained(FIXTURE / "text_encoder"))
    built["tokenizer"] = CLIPTokenizer.from_pretrained(FIXTURE / "tokenizer")
    built["scheduler"] = DDIMScheduler.from_pretrained(FIXTURE / "scheduler")
    return built


def save_tiny_models(folder: Path, seed: int = 0) -> Path:
    """Write the tiny models as an SD-1.5 base folder plus a ``controlnet`` folder beside it
    (safetensors weights, as ``save_pretrained`` writes them); returns ``folder``."""
    parts = tiny_components(seed)
    for name in COMPONENTS:
        target = folder / name
        if name in ("tokenizer", "scheduler"):
            parts[name].save_pretrained(target)
        else:
            parts[name].save_pretrained(target, safe_serialization=True)
    return folder


TINY_MODELS_CONFIG = '[models]\nbase = "sd15"\ncontrolnet = "sd15/controlnet"\n'
"""A ``talking_head.toml`` naming the tiny models saved by :func:`save_tiny_models_config`."""


def save_tiny_models_config(folder: Path, seed: int = 0) -> Path:
    """Save the tiny models in ``folder/sd15`` and return ``folder/talking_head.toml`` naming
    them (the models config the CLI, the batch and the studio take)."""
    save_tiny_models(folder / "sd15", seed)
    config = folder / "talking_head.toml"
    config.write_text(TINY_MODELS_CONFIG, encoding="utf-8")
    return config


def tiny_image_encoder(seed: int = 0) -> Any:
    """A tiny ``CLIPVisionModelWithProjection`` (32-pixel images, 32-value embeddings)."""
    import torch
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(seed)
    config = CLIPVisionConfig.from_pretrained(FIXTURE / "image_encoder")
    return CLIPVisionModelWithProjection(config).eval()


def tiny_ip_adapter_weights(seed: int = 0, strength: float = 0.5) -> dict[str, Any]:
    """Seeded IP-Adapter weights for the tiny UNet, with the flat keys of
    ``ip-adapter_sd15.safetensors``: ``image_proj.proj`` (projection_dim -> 4 image tokens of
    cross_attention_dim) and ``image_proj.norm``, then ``ip_adapter.N.to_k_ip`` /
    ``ip_adapter.N.to_v_ip`` for each cross-attention layer, N its attention processor's index.
    ``strength`` is the standard deviation of the key and value weights."""
    import json

    import torch
    from diffusers import UNet2DConditionModel

    unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(FIXTURE / "unet"))
    cross = unet.config.cross_attention_dim
    config = json.loads((FIXTURE / "image_encoder" / "config.json").read_text("utf-8"))
    embed, tokens = config["projection_dim"], 4
    generator = torch.Generator().manual_seed(seed)

    def normal(*shape: int, std: float) -> torch.Tensor:
        return torch.randn(shape, generator=generator) * std

    weights = {"image_proj.proj.weight": normal(cross * tokens, embed, std=0.3),
               "image_proj.proj.bias": normal(cross * tokens, std=0.1),
               "image_proj.norm.weight": 1.0 + normal(cross, std=0.1),
               "image_proj.norm.bias": normal(cross, std=0.1)}
    hidden = {"down_blocks": list(unet.config.block_out_channels),
              "up_blocks": list(reversed(unet.config.block_out_channels))}
    for index, name in enumerate(unet.attn_processors):
        if name.endswith("attn1.processor"):
            continue
        block = name.split(".")[0]
        width = (unet.config.block_out_channels[-1] if block == "mid_block"
                 else hidden[block][int(name.split(".")[1])])
        for kind in ("to_k_ip", "to_v_ip"):
            weights[f"ip_adapter.{index}.{kind}.weight"] = normal(width, cross, std=strength)
    return weights


def save_tiny_ip_adapter(folder: Path, seed: int = 0, strength: float = 0.5) -> Path:
    """Write a tiny IP-Adapter in the h94/IP-Adapter layout (``models/ip-adapter_sd15
    .safetensors`` and ``models/image_encoder/``, safetensors only); returns ``folder``."""
    from safetensors.torch import save_file

    models = folder / "models"
    models.mkdir(parents=True, exist_ok=True)
    tiny_image_encoder(seed).save_pretrained(models / "image_encoder", safe_serialization=True)
    weights = tiny_ip_adapter_weights(seed, strength)
    save_file({key: value.contiguous() for key, value in weights.items()},
              str(models / "ip-adapter_sd15.safetensors"))
    return folder
