"""Load the talking-head pipeline's components from folders already on disk.

Every component loads with ``local_files_only=True`` (nothing is downloaded, whatever
``HF_HUB_OFFLINE`` says) and from safetensors unless pickle checkpoints were explicitly
allowed; on a GPU the weights load directly in fp16. Which folders to use is decided before
this, by :mod:`generators.talking_head.checkpoints`, which also names what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generators.errors import ModelError
from generators.talking_head.pipeline import TalkingHeadPipeline, choose_device

__all__ = ["ComponentFolders", "load_pipeline"]


@dataclass(frozen=True)
class ComponentFolders:
    """The folder of each component (as diffusers' ``save_pretrained`` writes them)."""

    unet: Path
    controlnet: Path
    vae: Path
    text_encoder: Path
    tokenizer: Path
    scheduler: Path


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
        A component folder is present but cannot be loaded (its message names it).
    """
    from diffusers import AutoencoderKL, ControlNetModel, UNet2DConditionModel
    from diffusers.utils import logging as diffusers_logging
    from transformers import CLIPTextModel, CLIPTokenizer
    from transformers.utils import logging as transformers_logging

    diffusers_logging.disable_progress_bar()  # progress goes through the caller's sink
    transformers_logging.disable_progress_bar()

    torch_device, dtype = choose_device(device)
    weights = {"torch_dtype": dtype, "local_files_only": True,
               "use_safetensors": None if allow_pickle else True}
    loaders = {
        "unet": lambda p: UNet2DConditionModel.from_pretrained(p, **weights),
        "controlnet": lambda p: ControlNetModel.from_pretrained(p, **weights),
        "vae": lambda p: AutoencoderKL.from_pretrained(p, **weights),
        "text_encoder": lambda p: CLIPTextModel.from_pretrained(p, **weights),
        "tokenizer": lambda p: CLIPTokenizer.from_pretrained(p, local_files_only=True),
        "scheduler": _scheduler,
    }
    parts = {}
    for name, load in loaders.items():
        folder = getattr(folders, name)
        try:
            parts[name] = load(folder)
        except (OSError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"cannot load the talking-head {name} from {folder}: {first}; "
                             "check that the folder holds a complete diffusers "
                             f"{name.replace('_', ' ')} (config and safetensors weights)"
                             ) from exc
    return TalkingHeadPipeline(**parts, device=torch_device, dtype=dtype)


def _scheduler(folder: Path) -> object:
    """The scheduler class its config names, from diffusers."""
    import diffusers
    from diffusers import DDIMScheduler, SchedulerMixin

    base = SchedulerMixin
    config = DDIMScheduler.load_config(folder, local_files_only=True)
    name = str(config.get("_class_name", ""))
    cls = getattr(diffusers, name, None)
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise ValueError(f"unknown scheduler {name!r} in {folder / 'scheduler_config.json'}")
    return cls.from_config(config)
