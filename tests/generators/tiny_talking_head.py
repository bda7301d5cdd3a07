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
