"""Load the talking-head pipeline's components from folders already on disk.

Every component loads with ``local_files_only=True`` (nothing is downloaded, whatever
``HF_HUB_OFFLINE`` says) and from safetensors unless pickle checkpoints were explicitly
allowed; on a GPU the weights load directly in fp16. Which folders to use is decided before
this, by :mod:`generators.talking_head.checkpoints`, which also names what is missing. When
the folders include an IP-Adapter, its image encoder is loaded and its layers are installed in
the UNet (:mod:`generators.talking_head.ip_adapter`).
"""

from __future__ import annotations

from pathlib import Path

import torch

from generators.errors import ModelError, first_line
from generators.talking_head.component_folders import ComponentFolders
from generators.talking_head.ip_adapter import IpAdapter, load_ip_adapter
from generators.talking_head.pipeline import TalkingHeadPipeline, choose_device
from generators.talking_head.pretrained import load_complete

__all__ = ["ComponentFolders", "load_pipeline"]


def load_pipeline(folders: ComponentFolders, *, device: str | None = None,
                  allow_pickle: bool = False) -> TalkingHeadPipeline:
    """The pipeline with every component loaded from ``folders``.

    Parameters
    ----------
    folders
        Where each component is.
    device
        ``"cuda"``, ``"mps"`` or ``"cpu"``; ``None`` picks the best available.
    allow_pickle
        Accept ``.bin`` checkpoints (pickle: they can run code when loaded; only for folders
        the user trusts).

    Raises
    ------
    ModelError
        A component folder is present but cannot be loaded, or the IP-Adapter's weights are
        refused (pickle without ``allow_pickle``), broken or do not fit (its message names it).
    """
    from diffusers import AutoencoderKL, AutoencoderTiny, ControlNetModel, UNet2DConditionModel
    from diffusers.utils import logging as diffusers_logging
    from transformers import CLIPTextModel, CLIPTokenizer
    from transformers.utils import logging as transformers_logging

    diffusers_logging.disable_progress_bar()  # progress goes through the caller's sink
    transformers_logging.disable_progress_bar()

    torch_device, dtype = choose_device(device)
    base = {"torch_dtype": dtype, "local_files_only": True,
            "use_safetensors": None if allow_pickle else True}

    def weights(name: str) -> dict[str, object]:
        variant = folders.variants.get(name)
        return {**base, "variant": variant} if variant else base

    adapter = _ip_adapter(folders, dtype, allow_pickle)  # small: refused or broken fails first
    vae_type = AutoencoderTiny if folders.vae_class == "AutoencoderTiny" else AutoencoderKL
    loaders = {
        "unet": lambda p: UNet2DConditionModel.from_pretrained(p, **weights("unet")),
        "controlnet": lambda p: ControlNetModel.from_pretrained(p, **weights("controlnet")),
        "vae": lambda p: vae_type.from_pretrained(p, **weights("vae")),
        "text_encoder": lambda p: load_complete(
            CLIPTextModel, p, what="the talking-head text_encoder",
            hint="check that the folder holds a complete CLIP text model (config.json and "
            "model.safetensors)", **weights("text_encoder")),
        "tokenizer": lambda p: CLIPTokenizer.from_pretrained(p, local_files_only=True),
        "scheduler": lambda p: _scheduler(p, folders.scheduler_class),
    }
    parts = {}
    for name, load in loaders.items():
        folder = getattr(folders, name)
        try:
            parts[name] = load(folder)
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load the talking-head {name} from {folder}: "
                             f"{first_line(exc)}; "
                             "check that the folder holds a complete diffusers "
                             f"{name.replace('_', ' ')} (config and safetensors weights)"
                             ) from exc
    return TalkingHeadPipeline(**parts, ip_adapter=adapter, device=torch_device, dtype=dtype)


def _ip_adapter(folders: ComponentFolders, dtype: torch.dtype,
                allow_pickle: bool) -> IpAdapter | None:
    """The IP-Adapter of ``folders`` (not yet installed), or ``None`` when there is none."""
    if folders.ip_adapter_weights is None and folders.image_encoder is None:
        return None
    if folders.ip_adapter_weights is None or folders.image_encoder is None:
        absent = "weights" if folders.ip_adapter_weights is None else "image encoder"
        raise ModelError(f"talking-head models missing: ip_adapter {absent} (an IP-Adapter "
                         "needs models/ip-adapter_sd15.safetensors and models/image_encoder/); "
                         "name its folder in talking_head.toml ([models] ip_adapter = ...)")
    return load_ip_adapter(folders.ip_adapter_weights, folders.image_encoder,
                           dtype=dtype, allow_pickle=allow_pickle,
                           encoder_variant=folders.variants.get("image_encoder"))


def _scheduler(folder: Path, class_name: str | None = None) -> object:
    """The scheduler of ``folder``'s config: of the class it names, or of ``class_name`` (a
    few-step sampler such as ``LCMScheduler`` over the same noise schedule)."""
    import diffusers
    from diffusers import DDIMScheduler, SchedulerMixin

    base = SchedulerMixin
    config = DDIMScheduler.load_config(folder, local_files_only=True)
    name = class_name or str(config.get("_class_name", ""))
    cls = getattr(diffusers, name, None)
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise ValueError(f"unknown scheduler {name!r} in {folder / 'scheduler_config.json'}")
    return cls.from_config(config)
