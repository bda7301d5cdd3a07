"""Where each talking-head component's files are: what the loader loads from.

Plain data, no torch: :mod:`generators.talking_head.checkpoints` builds it after checking the
files, :mod:`generators.talking_head.loading` loads from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ComponentFolders"]


@dataclass(frozen=True)
class ComponentFolders:
    """The folder of each component (as diffusers' ``save_pretrained`` writes them).

    ``variants`` names the weights variant of a component whose folder holds only that one
    (``{"unet": "fp16"}`` for ``diffusion_pytorch_model.fp16.safetensors``); ``vae_class`` is
    the VAE's ``_class_name`` (``AutoencoderTiny`` for a tiny decoder; default
    ``AutoencoderKL``). ``ip_adapter_weights`` (``ip-adapter_sd15.safetensors``) and
    ``image_encoder`` (its CLIP vision model's folder) are both set when the models include an
    IP-Adapter, else both ``None``. ``scheduler_class`` names a sampler to build from the
    scheduler folder's config instead of the class it names.
    """

    unet: Path
    controlnet: Path
    vae: Path
    text_encoder: Path
    tokenizer: Path
    scheduler: Path
    variants: Mapping[str, str] = field(default_factory=dict)
    vae_class: str | None = None
    ip_adapter_weights: Path | None = None
    image_encoder: Path | None = None
    scheduler_class: str | None = None
