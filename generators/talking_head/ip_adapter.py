"""The IP-Adapter: the reference portrait as an image prompt in the UNet's cross-attention.

An IP-Adapter (the h94/IP-Adapter layout: ``models/ip-adapter_sd15.safetensors`` and
``models/image_encoder/``, a CLIP vision model with projection) adds, beside each
cross-attention layer's text keys and values, keys and values computed from a few "image
tokens": the CLIP image embedding of a picture, projected by the adapter's ``image_proj``.
Here the picture is the user's reference portrait, so the face's identity steers every
denoising step, not only the image-to-image start.

* :func:`read_ip_adapter_weights` reads the weights file (safetensors; a pickle ``.bin`` only
  when allowed) into the nested ``{"image_proj": ..., "ip_adapter": ...}`` dictionary diffusers
  expects;
* :func:`load_ip_adapter` reads them and loads the image encoder, checking that they fit,
  into an :class:`IpAdapter`, whose :meth:`IpAdapter.install` puts the adapter's layers in the
  UNet's attention processors (after checking that they fit it too);
* :class:`IpAdapter` turns an RGB image into image embeddings (CLIP preprocessing done here with
  numpy and Pillow: no downloaded processor needed) and sets the adapter's weight
  (:meth:`IpAdapter.set_scale`; 0 skips the image branch entirely).

Only the plain IP-Adapter (``image_proj.proj`` + ``image_proj.norm``, four image tokens, the
``ip-adapter_sd15`` file) is supported: it uses the encoder's projected image embedding.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from generators.errors import ModelError, first_line
from generators.talking_head.pretrained import load_complete

__all__ = [
    "CLIP_MEAN",
    "CLIP_STD",
    "ClipImageProcessing",
    "IpAdapter",
    "load_image_encoder",
    "load_ip_adapter",
    "read_ip_adapter_weights",
]

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
"""OpenAI CLIP's per-channel pixel mean (RGB, 0..1)."""

CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
"""OpenAI CLIP's per-channel pixel standard deviation (RGB, 0..1)."""

PREPROCESSOR_CONFIG = "preprocessor_config.json"
"""The image processor's settings, used when the encoder's folder has one."""

MAX_PREPROCESSOR_BYTES = 64 * 1024
"""Largest ``preprocessor_config.json`` read, in bytes (real ones: under 1 kB)."""

_PICKLE_SUFFIXES = (".bin", ".ckpt", ".pt", ".pth")
_NAME = "the talking-head ip_adapter"
_ENCODER = "the talking-head ip_adapter image encoder"


@dataclass(frozen=True)
class ClipImageProcessing:
    """CLIP's image preprocessing: resize, centre crop, scale to 0..1, normalise.

    Parameters
    ----------
    size
        ``(height, width)`` to resize to; a ``None`` width resizes the shorter side to
        ``height`` keeping the aspect ratio (CLIP's ``shortest_edge``).
    crop
        ``(height, width)`` of the centre crop.
    mean, std
        Per-channel normalisation (RGB, on 0..1 values).

    Examples
    --------
    >>> processing = ClipImageProcessing.square(32)
    >>> processing(np.zeros((48, 64, 3), np.uint8)).shape
    (3, 32, 32)
    """

    size: tuple[int, int | None]
    crop: tuple[int, int]
    mean: tuple[float, float, float] = CLIP_MEAN
    std: tuple[float, float, float] = CLIP_STD

    @classmethod
    def square(cls, image_size: int) -> ClipImageProcessing:
        """CLIP's defaults for an encoder of ``image_size`` pixels: shorter side to
        ``image_size``, centre crop to a square, OpenAI's mean and std."""
        return cls(size=(image_size, None), crop=(image_size, image_size))

    @classmethod
    def from_folder(cls, folder: Path, image_size: int) -> ClipImageProcessing:
        """The processing of the encoder in ``folder``: its ``preprocessor_config.json``'s
        ``size``, ``crop_size``, ``image_mean`` and ``image_std`` where present, else the CLIP
        defaults for ``image_size`` (the crop must be the encoder's ``image_size`` square).

        Raises
        ------
        ModelError
            The file is there but is not a JSON object with sensible values.
        """
        path = folder / PREPROCESSOR_CONFIG
        default = cls.square(image_size)
        if not path.is_file():
            return default
        config = _small_json(path)
        try:
            size = _size(config.get("size"), default.size, shortest=True)
            crop_h, crop_w = _size(config.get("crop_size"), default.crop, shortest=False)
            mean = _triple(config.get("image_mean"), default.mean, positive=False)
            std = _triple(config.get("image_std"), default.std, positive=True)
        except (TypeError, ValueError) as exc:
            raise ModelError(f"cannot use {path} for {_ENCODER}: {exc}; fix or delete the "
                             "file (the CLIP defaults are used without it)") from None
        if (crop_h, crop_w) != default.crop:
            raise ModelError(f"cannot use {path} for {_ENCODER}: its crop_size {crop_w}x{crop_h} "
                             f"is not the encoder's image_size {image_size}; fix or delete the "
                             "file")
        return cls(size=size, crop=default.crop, mean=mean, std=std)

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """``image`` (RGB uint8, ``(H, W, 3)``) as normalised float32 pixels ``(3, h, w)``."""
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[-1] != 3:
            raise ValueError(f"expected an RGB uint8 image, got {image.dtype} {image.shape}")
        height, width = image.shape[:2]
        target_h, target_w = self.size
        if target_w is None:  # shorter side to target_h, keeping the aspect ratio
            short, long = sorted((height, width))
            other = max(1, int(target_h * long / short))
            target_h, target_w = (target_h, other) if height <= width else (other, target_h)
        resized = Image.fromarray(np.ascontiguousarray(image), "RGB").resize(
            (target_w, target_h), Image.Resampling.BICUBIC)
        pixels = np.asarray(resized, dtype=np.float32) / 255.0
        crop_h, crop_w = self.crop
        pixels = _centre_crop(pixels, crop_h, crop_w)
        pixels = (pixels - np.asarray(self.mean, np.float32)) / np.asarray(self.std, np.float32)
        return np.ascontiguousarray(pixels.transpose(2, 0, 1))


class IpAdapter:
    """An IP-Adapter: its CLIP image encoder, preprocessing and weights.

    Made by :func:`load_ip_adapter`; :meth:`install` (which
    :class:`~generators.talking_head.pipeline.TalkingHeadPipeline` calls) puts its layers in
    the UNet: its cross-attention processors gain the image keys and values, its
    ``encoder_hid_proj`` the image projection, and from then on it needs
    ``added_cond_kwargs={"image_embeds": [...]}`` in every call.

    Parameters
    ----------
    image_encoder
        A ``CLIPVisionModelWithProjection``.
    processing
        How images are prepared for it.
    weights
        ``{"image_proj": {...}, "ip_adapter": {...}}`` (see :func:`read_ip_adapter_weights`).
    source
        The weights file (named in messages).
    """

    def __init__(self, image_encoder: Any, processing: ClipImageProcessing,
                 weights: dict[str, dict[str, torch.Tensor]], source: Path) -> None:
        self.image_encoder = image_encoder
        self.processing = processing
        self.source = source
        self._weights: dict[str, dict[str, torch.Tensor]] | None = weights
        _check_encoder_fits(weights, image_encoder, source)

    @property
    def installed(self) -> bool:
        """Whether :meth:`install` has put the adapter in a UNet."""
        return self._weights is None

    @property
    def embedding_size(self) -> int:
        """Values in one image embedding (the encoder's ``projection_dim``)."""
        return int(self.image_encoder.config.projection_dim)

    def install(self, unet: Any) -> None:
        """Put the adapter's layers in ``unet`` (once; the weights are then dropped here).

        Raises
        ------
        ModelError
            The adapter was made for another UNet (one line: the file and what to do).
        """
        if self._weights is None:
            raise ModelError(f"{_NAME} from {self.source} is already installed in a UNet; "
                             "load it again for another pipeline")
        _check_unet_fits(self._weights, unet, self.source)
        from diffusers.utils import logging as diffusers_logging

        verbosity = diffusers_logging.get_verbosity()
        diffusers_logging.set_verbosity_error()  # a spurious "kept in float32: []" warning
        try:
            unet._load_ip_adapter_weights([self._weights], low_cpu_mem_usage=False)
        except (KeyError, RuntimeError, ValueError) as exc:
            raise ModelError(f"cannot load {_NAME} from {self.source}: {first_line(exc)}; use "
                             "the IP-Adapter made for this base model (ip-adapter_sd15 for "
                             "SD 1.5)") from exc
        finally:
            diffusers_logging.set_verbosity(verbosity)
        self._weights = None

    def to(self, device: torch.device, dtype: torch.dtype) -> IpAdapter:
        """Move the image encoder to ``device`` in ``dtype`` (eval mode); returns ``self``."""
        self.image_encoder = self.image_encoder.to(device=device, dtype=dtype).eval()
        return self

    @torch.no_grad()
    def embed(self, image: np.ndarray) -> torch.Tensor:
        """The projected CLIP image embedding ``(1, projection_dim)`` of an RGB uint8 image."""
        parameter = next(self.image_encoder.parameters())
        pixels = torch.from_numpy(self.processing(image))[None]
        pixels = pixels.to(device=parameter.device, dtype=parameter.dtype)
        return self.image_encoder(pixel_values=pixels).image_embeds

    @staticmethod
    def set_scale(unet: Any, scale: float) -> None:
        """Weight the image prompt by ``scale`` in every IP-Adapter attention processor of
        ``unet`` (0 skips the image branch: the UNet then computes what it did without one)."""
        for processor in adapter_processors(unet):
            processor.scale = [float(scale)] * len(processor.scale)


def adapter_processors(unet: Any) -> list[Any]:
    """The IP-Adapter attention processors installed in ``unet`` (empty when none is)."""
    from diffusers.models import attention_processor as processors

    kinds = tuple(getattr(processors, name) for name in (
        "IPAdapterAttnProcessor", "IPAdapterAttnProcessor2_0", "IPAdapterXFormersAttnProcessor")
        if hasattr(processors, name))
    return [p for p in unet.attn_processors.values() if isinstance(p, kinds)]


def read_ip_adapter_weights(path: Path, *, allow_pickle: bool = False
                            ) -> dict[str, dict[str, torch.Tensor]]:
    """The IP-Adapter weights in ``path`` as ``{"image_proj": {...}, "ip_adapter": {...}}``.

    A safetensors file holds flat keys (``image_proj.proj.weight``,
    ``ip_adapter.1.to_k_ip.weight``, ...): they are split on their first dot. A pickle
    checkpoint (``.bin``, already nested) is read only with ``allow_pickle``, and then only
    its tensors (``torch.load(weights_only=True)``).

    Raises
    ------
    ModelError
        A pickle file without ``allow_pickle``, an unreadable file, or one without both parts.
    """
    path = Path(path)
    nested: dict[str, dict[str, torch.Tensor]] = {"image_proj": {}, "ip_adapter": {}}
    if path.suffix in _PICKLE_SUFFIXES:
        if not allow_pickle:
            raise ModelError(f"talking-head models refused: ip_adapter (only a pickle "
                             f"checkpoint, {path}); convert it to safetensors, or set "
                             "allow_pickle = true under [models] in talking_head.toml if you "
                             "trust the file (pickle can run code when loaded)")
        loaded = _guarded(lambda: torch.load(path, map_location="cpu", weights_only=True),
                          path)
        for part in nested:
            value = loaded.get(part) if isinstance(loaded, Mapping) else None
            if isinstance(value, Mapping):
                nested[part] = {str(key): tensor for key, tensor in value.items()
                                if isinstance(tensor, torch.Tensor)}
    elif path.suffix == ".safetensors":
        from safetensors.torch import load_file

        flat = _guarded(lambda: load_file(str(path), device="cpu"), path)
        for key, tensor in flat.items():
            part, _, rest = key.partition(".")
            if part in nested and rest:
                nested[part][rest] = tensor
    else:
        raise ModelError(f"cannot load {_NAME} from {path}: not a single .safetensors file; "
                         "use models/ip-adapter_sd15.safetensors from h94/IP-Adapter")
    if not nested["image_proj"] or not nested["ip_adapter"]:
        raise ModelError(f"cannot load {_NAME} from {path}: it has no image_proj.* and "
                         "ip_adapter.* weights; use models/ip-adapter_sd15.safetensors from "
                         "h94/IP-Adapter")
    return nested


def load_image_encoder(folder: Path, *, dtype: torch.dtype, allow_pickle: bool = False,
                       variant: str | None = None) -> Any:
    """The ``CLIPVisionModelWithProjection`` in ``folder`` (local files only; safetensors
    unless ``allow_pickle``).

    Raises
    ------
    ModelError
        The folder does not hold a loadable CLIP vision model with projection (one line).
    """
    from transformers import CLIPVisionModelWithProjection

    options: dict[str, Any] = {"torch_dtype": dtype, "local_files_only": True,
                               "use_safetensors": None if allow_pickle else True}
    if variant:
        options["variant"] = variant
    return load_complete(CLIPVisionModelWithProjection, folder, what=_ENCODER,
                         hint="check that the folder holds a complete CLIP vision model with "
                         "projection (config.json and model.safetensors)", **options)


def load_ip_adapter(weights: Path, image_encoder: Path, *, dtype: torch.dtype,
                    allow_pickle: bool = False, encoder_variant: str | None = None) -> IpAdapter:
    """Read the IP-Adapter's weights and load its image encoder (not yet in a UNet: see
    :meth:`IpAdapter.install`).

    Parameters
    ----------
    weights
        ``ip-adapter_sd15.safetensors`` (or, with ``allow_pickle``, its ``.bin``).
    image_encoder
        The folder of its ``CLIPVisionModelWithProjection``; a ``preprocessor_config.json``
        there sets the image size, mean and std.
    dtype
        Precision of the encoder.
    allow_pickle
        Accept pickle checkpoints.
    encoder_variant
        ``"fp16"`` when the encoder's folder holds only ``model.fp16.safetensors``.

    Raises
    ------
    ModelError
        A file is refused, missing or broken, or the weights do not fit the encoder (one line
        naming the file and what to do).
    """
    state = read_ip_adapter_weights(weights, allow_pickle=allow_pickle)
    encoder = load_image_encoder(image_encoder, dtype=dtype, allow_pickle=allow_pickle,
                                 variant=encoder_variant)
    image_size = int(getattr(encoder.config, "image_size", 224))
    processing = ClipImageProcessing.from_folder(Path(image_encoder), image_size)
    return IpAdapter(encoder, processing, state, Path(weights))


def _check_encoder_fits(state: Mapping[str, Mapping[str, torch.Tensor]], encoder: Any,
                        weights: Path) -> None:
    """Refuse weights that are not a plain IP-Adapter, or that expect another encoder."""
    proj = state["image_proj"].get("proj.weight")
    if proj is None or proj.ndim != 2 or "norm.weight" not in state["image_proj"]:
        raise ModelError(f"cannot load {_NAME} from {weights}: only the plain IP-Adapter "
                         "(image_proj.proj and image_proj.norm, as in ip-adapter_sd15) is "
                         "supported; use models/ip-adapter_sd15.safetensors")
    embed_dim = int(getattr(encoder.config, "projection_dim", -1))
    if proj.shape[-1] != embed_dim:
        raise ModelError(f"cannot load {_NAME} from {weights}: it expects image embeddings of "
                         f"{proj.shape[-1]} values but the image encoder gives {embed_dim}; "
                         "use the image_encoder/ that comes with this IP-Adapter")


def _check_unet_fits(state: Mapping[str, Mapping[str, torch.Tensor]], unet: Any,
                     weights: Path) -> None:
    """Refuse weights made for a UNet of other sizes, or missing a cross-attention layer's
    keys (numbered as diffusers reads them: 1, 3, 5, ... over the cross-attention layers)."""
    proj = state["image_proj"]["proj.weight"]
    cross = unet.config.cross_attention_dim
    if proj.shape[0] != 4 * cross:
        raise ModelError(f"cannot load {_NAME} from {weights}: it was made for a UNet with "
                         f"{proj.shape[0] // 4}-wide text embeddings, this base has {cross}; "
                         "use the IP-Adapter made for this base model")
    layers = [name for name in unet.attn_processors
              if not name.endswith("attn1.processor") and "motion_modules" not in name]
    needed = [f"{1 + 2 * index}.{kind}.weight" for index in range(len(layers))
              for kind in ("to_k_ip", "to_v_ip")]
    absent = [key for key in needed if key not in state["ip_adapter"]]
    if absent:
        raise ModelError(f"cannot load {_NAME} from {weights}: no ip_adapter.{absent[0]} "
                         f"({len(absent)} of {len(needed)} attention weights missing); use the "
                         "IP-Adapter made for this base model")


def _guarded(read: Callable[[], Any], path: Path) -> Any:
    try:
        return read()
    except Exception as exc:  # safetensors and pickle readers raise many kinds
        raise ModelError(f"cannot load {_NAME} from {path}: {first_line(exc)}; download "
                         "the file again") from exc


def _small_json(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_PREPROCESSOR_BYTES + 1)
    except OSError as exc:
        raise ModelError(f"cannot read {path} for {_ENCODER} "
                         f"({exc.strerror or type(exc).__name__}); check its permissions"
                         ) from None
    if len(data) > MAX_PREPROCESSOR_BYTES:
        raise ModelError(f"{path} is larger than {MAX_PREPROCESSOR_BYTES // 1024} KiB, too "
                         "large for an image processor config; delete it or fetch it again")
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ModelError(f"{path} is not valid JSON; delete it or fetch it again") from None
    if not isinstance(value, dict):
        raise ModelError(f"{path} is not a JSON object; delete it or fetch it again")
    return value


def _size(value: object, default: tuple[int, int | None], *,
          shortest: bool) -> tuple[int, int | None]:
    """A ``size``/``crop_size`` value: an int, ``{"shortest_edge": n}`` (only for ``size``)
    or ``{"height": h, "width": w}``."""
    if value is None:
        return default
    if isinstance(value, Mapping):
        if shortest and "shortest_edge" in value:
            return (_pixels(value["shortest_edge"]), None)
        if "height" in value and "width" in value:
            return (_pixels(value["height"]), _pixels(value["width"]))
        raise ValueError(f"size {dict(value)!r} has no height and width")
    side = _pixels(value)
    return (side, None) if shortest else (side, side)


def _pixels(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4096:
        raise ValueError(f"{value!r} is not an image size in pixels (1-4096)")
    return value


def _triple(value: object, default: tuple[float, float, float], *,
            positive: bool) -> tuple[float, float, float]:
    if value is None:
        return default
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = [value] * 3
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 3:
        raise ValueError(f"{value!r} is not three per-channel numbers")
    numbers = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (int, float)) \
                or not math.isfinite(item) or (positive and item <= 0):
            raise ValueError(f"{value!r} is not three {'positive ' if positive else ''}numbers")
        numbers.append(float(item))
    return (numbers[0], numbers[1], numbers[2])


def _centre_crop(pixels: np.ndarray, height: int, width: int) -> np.ndarray:
    """The centre ``height`` x ``width`` of ``pixels`` (H, W, C), zero-padded when smaller."""
    h, w = pixels.shape[:2]
    if h < height or w < width:
        padded = np.zeros((max(h, height), max(w, width), pixels.shape[2]), pixels.dtype)
        top, left = (padded.shape[0] - h) // 2, (padded.shape[1] - w) // 2
        padded[top:top + h, left:left + w] = pixels
        pixels, h, w = padded, padded.shape[0], padded.shape[1]
    top, left = (h - height) // 2, (w - width) // 2
    return pixels[top:top + height, left:left + width]
