"""The talking-head diffusion loop: ControlNet-guided SD-1.5 frames from conditioning images.

One readable loop over batches of frames. Each frame starts from the reference portrait's
latents noised to the first step (image-to-image), with the **same noise for every frame** (a
shared initial noise keeps identity, lighting and texture steady from frame to frame), blended
with the previous frame's final latents noised the same way (``temporal_blend``), and is then
denoised by the UNet with the ControlNet's residuals from that frame's conditioning image (the
rig's depth or normal map), with classifier-free guidance when ``guidance > 1``. Few-step
schedulers (LCM, Turbo-style) work by passing them in and asking for 1-4 steps.

With an IP-Adapter (:mod:`generators.talking_head.ip_adapter`) the reference portrait is also
an image prompt: its CLIP image embedding is computed once per call and given to the UNet in
every step (``added_cond_kwargs["image_embeds"]``; a zero embedding is the negative under
guidance), weighted by ``ip_adapter_scale``. The ControlNet sees the text embeddings only.

torch and diffusers are imported here and only here (with the ``diffusion`` extra); nothing on
the base path imports this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from generators.errors import GeneratorError
from generators.progress import CancelToken, NullProgress, ProgressSink
from generators.talking_head.read_ahead import read_ahead

if TYPE_CHECKING:
    from generators.talking_head.ip_adapter import IpAdapter

__all__ = ["FrameSettings", "TalkingHeadPipeline", "choose_device"]


@dataclass(frozen=True)
class FrameSettings:
    """How frames are generated.

    Parameters
    ----------
    prompt, negative_prompt
        The text prompts (the emotion-aware prompt is built by the caller).
    steps
        Denoising steps of the full schedule; with a reference image only the last
        ``strength * steps`` run.
    guidance
        Classifier-free guidance scale; ``<= 1`` runs the UNet once per step (no guidance).
    strength
        How far from the reference each frame may go: the share of the schedule's steps
        run, starting from the reference noised to the first of them (near 0 keeps it; 1 runs
        every step, from the schedule's noisiest step, which keeps only its broad layout and
        colours); without a reference every frame starts from noise.
    controlnet_scale
        Weight of the ControlNet's residuals.
    temporal_blend
        Share of the previous frame's latents in each frame's start (0: none).
    batch_size
        Frames denoised together.
    seed
        Seed of the shared initial noise.
    ip_adapter_scale
        Weight of the reference portrait as an image prompt when the models include an
        IP-Adapter (0 turns it off; ignored without one).
    """

    prompt: str = "a portrait photo of a person talking, looking at the camera"
    negative_prompt: str = "blurry, distorted, deformed face, extra teeth, text, watermark"
    steps: int = 4
    guidance: float = 1.0
    strength: float = 0.7
    controlnet_scale: float = 1.0
    temporal_blend: float = 0.3
    batch_size: int = 4
    seed: int = 0
    ip_adapter_scale: float = 0.6

    def __post_init__(self) -> None:
        checks = [
            (self.steps >= 1, f"steps must be at least 1, got {self.steps}"),
            (0.0 < self.strength <= 1.0, f"strength must be in (0, 1], got {self.strength}"),
            (0.0 <= self.temporal_blend < 1.0,
             f"temporal_blend must be in [0, 1), got {self.temporal_blend}"),
            (isinstance(self.batch_size, int) and not isinstance(self.batch_size, bool)
             and self.batch_size >= 1,
             f"batch_size must be a whole number of at least 1, got {self.batch_size!r}"),
            (self.guidance >= 0.0, f"guidance must not be negative, got {self.guidance}"),
            (0.0 <= self.ip_adapter_scale < float("inf"),
             f"ip_adapter_scale must be 0 or more, got {self.ip_adapter_scale}"),
        ]
        for ok, message in checks:
            if not ok:
                raise GeneratorError(message)

    @property
    def guided(self) -> bool:
        """Whether classifier-free guidance runs (two UNet passes per step)."""
        return self.guidance > 1.0


def choose_device(preferred: str | None = None) -> tuple[torch.device, torch.dtype]:
    """The device to run on and its dtype: CUDA (fp16), then MPS (fp16), then CPU (fp32).

    Parameters
    ----------
    preferred
        ``"cuda"``, ``"mps"`` or ``"cpu"`` to force one; ``None`` picks the best available.
    """
    if preferred is None:
        if torch.cuda.is_available():
            preferred = "cuda"
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            preferred = "mps"
        else:
            preferred = "cpu"
    if preferred == "cuda" and not torch.cuda.is_available():
        raise GeneratorError("no CUDA GPU is available here; run on the CPU or leave the "
                             "device to the automatic choice")
    mps = getattr(torch.backends, "mps", None)
    if preferred == "mps" and (mps is None or not mps.is_available()):
        raise GeneratorError("no Apple GPU (MPS) is available here; run on the CPU or leave "
                             "the device to the automatic choice")
    device = torch.device(preferred)
    return device, (torch.float32 if device.type == "cpu" else torch.float16)


class TalkingHeadPipeline:
    """UNet + ControlNet + VAE + CLIP text encoder, run frame batch by frame batch.

    Parameters
    ----------
    unet, controlnet, vae, text_encoder, tokenizer, scheduler
        The diffusers / transformers components (an SD-1.5-compatible set).
    ip_adapter
        An IP-Adapter (see :func:`~generators.talking_head.ip_adapter.load_ip_adapter`),
        installed in ``unet`` here unless it already is; ``None`` for none.
    device, dtype
        Where and in which precision to run (see :func:`choose_device`); the components are
        moved there.
    """

    def __init__(self, *, unet: Any, controlnet: Any, vae: Any, text_encoder: Any,
                 tokenizer: Any, scheduler: Any, ip_adapter: IpAdapter | None = None,
                 device: torch.device | None = None, dtype: torch.dtype | None = None) -> None:
        if device is None or dtype is None:
            device, dtype = choose_device(None if device is None else device.type)
        self.device, self.dtype = device, dtype
        if ip_adapter is not None and not ip_adapter.installed:
            ip_adapter.install(unet)
        self.unet = _placed(unet, device, dtype)
        self.controlnet = _placed(controlnet, device, dtype)
        self.vae = _placed(vae, device, dtype)
        self.text_encoder = _placed(text_encoder, device, dtype)
        self.tokenizer = tokenizer
        self.scheduler = scheduler
        self.ip_adapter = None if ip_adapter is None else ip_adapter.to(device, dtype)
        blocks = (getattr(vae.config, "block_out_channels", None)
                  or vae.config.encoder_block_out_channels)  # AutoencoderKL or AutoencoderTiny
        self.vae_scale = 2 ** (len(blocks) - 1)
        self._prompt_cache: dict[tuple[str, str, bool], torch.Tensor] = {}
        self._frame_batches: dict[tuple[int, int, bool], int] = {}
        self.saving_memory = False
        """Whether :meth:`save_memory` has been applied."""

    def save_memory(self) -> None:
        """Trade a little speed for device memory, for small GPUs.

        The text encoder moves to the CPU (in fp32; it runs once per distinct prompt, its
        embeddings are cached), the UNet's and ControlNet's attention is computed in slices,
        and the VAE decodes one frame at a time, in tiles when the frames are large. The
        frames stay the same up to floating-point rounding.
        """
        self.text_encoder = self.text_encoder.to(device="cpu", dtype=torch.float32)
        for model in (self.unet, self.controlnet):
            model.set_attention_slice("auto")
        self.vae.enable_slicing()
        self.vae.enable_tiling()
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        self.saving_memory = True

    def frame_batch(self, size: tuple[int, int]) -> int:
        """The automatic batch size for frames of ``size`` (width, height) on this device.

        Chosen from the device's free memory the first time (see
        :func:`~generators.talking_head.frame_batch.auto_frame_batch`) and kept while this
        pipeline lives, so that every line it draws is batched, and looks, the same.
        """
        from generators.talking_head.frame_batch import auto_frame_batch

        key = (int(size[0]), int(size[1]), self.saving_memory)
        if key not in self._frame_batches:
            self._frame_batches[key] = auto_frame_batch(self.device, (key[0], key[1]),
                                                        saving_memory=self.saving_memory)
        return self._frame_batches[key]

    # -- pieces ---------------------------------------------------------------------------

    @torch.no_grad()
    def encode_prompt(self, prompt: str, negative_prompt: str, guided: bool) -> torch.Tensor:
        """Text embeddings (negative first when ``guided``), cached per prompt pair."""
        key = (prompt, negative_prompt, guided)
        if key not in self._prompt_cache:
            texts = [negative_prompt, prompt] if guided else [prompt]
            tokens = self.tokenizer(texts, padding="max_length", truncation=True,
                                    max_length=self.tokenizer.model_max_length,
                                    return_tensors="pt")
            encoder_device = next(self.text_encoder.parameters()).device
            hidden = self.text_encoder(tokens.input_ids.to(encoder_device))[0]
            self._prompt_cache[key] = hidden.to(device=self.device, dtype=self.dtype)
        return self._prompt_cache[key]

    @torch.no_grad()
    def encode_image(self, image: np.ndarray) -> torch.Tensor:
        """Latents (1, C, h, w) of an RGB uint8 image, scaled for the UNet."""
        pixels = _to_tensor(image[None], self.device, self.dtype) * 2.0 - 1.0
        encoded = self.vae.encode(pixels)
        latents = encoded.latent_dist.mean if hasattr(encoded, "latent_dist") else encoded.latents
        return latents * self.vae.config.scaling_factor

    @torch.no_grad()
    def encode_image_prompt(self, image: np.ndarray | None) -> torch.Tensor:
        """The IP-Adapter's image embedding (1, D) of an RGB uint8 image (any size); zeros
        (the unconditional embedding) for ``None``.

        Raises
        ------
        GeneratorError
            The pipeline has no IP-Adapter.
        """
        if self.ip_adapter is None:
            raise GeneratorError("these talking-head models include no IP-Adapter; name one "
                                 "in talking_head.toml ([models] ip_adapter = ...)")
        if image is not None:
            return self.ip_adapter.embed(image).to(self.dtype)
        return torch.zeros((1, self.ip_adapter.embedding_size), device=self.device,
                           dtype=self.dtype)

    @torch.no_grad()
    def decode(self, latents: torch.Tensor) -> np.ndarray:
        """RGB uint8 frames (N, H, W, 3) from UNet-scaled latents."""
        images = self.vae.decode(latents / self.vae.config.scaling_factor).sample
        images = ((images.float() + 1.0) * 127.5).clamp(0, 255).round().to(torch.uint8)
        return images.permute(0, 2, 3, 1).cpu().numpy()

    # -- the loop -------------------------------------------------------------------------

    @torch.no_grad()
    def frames(
        self,
        conditioning: Iterable[np.ndarray],
        settings: FrameSettings,
        *,
        reference: np.ndarray | None = None,
        ip_adapter_image: np.ndarray | None = None,
        prompts: Iterable[str] | None = None,
        count: int | None = None,
        progress: ProgressSink | None = None,
        cancel: CancelToken | None = None,
        draw_ahead: bool = True,
    ) -> Iterator[np.ndarray]:
        """Generate one RGB uint8 frame (H, W, 3) per conditioning image, in order.

        Parameters
        ----------
        conditioning
            RGB uint8 images (H, W, 3), all the same size, a multiple of the latent scale.
        settings
            Prompts, steps, guidance and the temporal settings.
        reference
            The portrait (RGB uint8, same size) every frame starts from; ``None`` starts from
            noise. With an IP-Adapter it is also the image prompt.
        ip_adapter_image
            The IP-Adapter's image prompt (RGB uint8, any size) when it should differ from
            ``reference``. Without either, or with ``settings.ip_adapter_scale == 0``, the
            adapter is off; without an IP-Adapter this is ignored.
        prompts
            One prompt per conditioning image (the emotion along the timeline); ``None`` uses
            ``settings.prompt`` throughout. A batch never mixes prompts.
        count
            How many conditioning images there are (for progress), when known.
        progress, cancel
            Progress per denoising step; cancel checked before every step.
        draw_ahead
            Iterate ``conditioning`` in a worker thread, one batch ahead, so that drawing the
            next batch's images overlaps denoising this one (see
            :func:`~generators.talking_head.read_ahead.read_ahead`: the source must then be
            unstarted and bound to no thread, e.g. no GL context of the caller's); ``False``
            iterates it here, in the caller's thread.
        """
        progress = progress or NullProgress()
        reference_latents = None if reference is None else self.encode_image(reference)
        image_prompt = self._image_prompt(
            reference if ip_adapter_image is None else ip_adapter_image, settings)
        texts = prompts if prompts is not None else _repeat(settings.prompt)
        # Drawing ahead, the next batch's conditioning images are drawn while the GPU denoises
        # this one, and the worker owns the source (and releases it in its thread).
        images = read_ahead(conditioning, depth=settings.batch_size) if draw_ahead else \
            conditioning
        del conditioning
        try:
            yield from self._batch_frames(images, texts, settings, reference_latents,
                                          image_prompt, count, progress, cancel)
        finally:
            if draw_ahead:
                images.close()  # type: ignore[attr-defined]

    def _batch_frames(self, images: Iterable[np.ndarray], texts: Iterable[str],
                      settings: FrameSettings, reference_latents: torch.Tensor | None,
                      image_prompt: tuple[torch.Tensor, float] | None, count: int | None,
                      progress: ProgressSink,
                      cancel: CancelToken | None) -> Iterator[np.ndarray]:
        shared_noise: torch.Tensor | None = None
        previous: torch.Tensor | None = None
        done = 0
        for batch, prompt in _batches(images, texts, settings.batch_size):
            if cancel is not None:
                cancel.raise_if_cancelled()
            embeddings = self.encode_prompt(prompt, settings.negative_prompt, settings.guided)
            control = _to_tensor(np.stack(batch), self.device, self.dtype)
            height, width = control.shape[-2:]
            if height % (8 * self.vae_scale) or width % (8 * self.vae_scale):
                raise GeneratorError(f"frame size {width}x{height} must be a multiple of "
                                     f"{8 * self.vae_scale} pixels; choose another --size")
            shape = (1, self.unet.config.in_channels, height // self.vae_scale,
                     width // self.vae_scale)
            if shared_noise is None:
                generator = torch.Generator(device="cpu").manual_seed(settings.seed)
                shared_noise = torch.randn(shape, generator=generator).to(self.device,
                                                                           self.dtype)
            timesteps = self._schedule(settings, reference_latents is not None)
            latents = self._start(len(batch), shared_noise, reference_latents, previous,
                                  timesteps[0], settings)

            def step_done(share: float, base: int = done, size: int = len(batch)) -> None:
                if count:  # share: how much of this batch's denoising is done
                    progress.report(min((base + size * share) / count, 1.0),
                                    f"generating frames ({base + size}/{count})")

            latents = self._denoise(latents, control, embeddings, timesteps, settings,
                                    cancel, step_done, image_prompt)
            previous = latents[-1:]
            done += len(batch)
            yield from self.decode(latents)

    def _image_prompt(self, image: np.ndarray | None,
                      settings: FrameSettings) -> tuple[torch.Tensor, float] | None:
        """The image embedding and the scale the IP-Adapter runs with (``None`` without an
        adapter); no image or a zero scale runs it at scale 0, which skips its branch."""
        if self.ip_adapter is None:
            return None
        scale = settings.ip_adapter_scale if image is not None else 0.0
        return self.encode_image_prompt(image if scale > 0 else None), scale

    def _schedule(self, settings: FrameSettings, from_reference: bool) -> torch.Tensor:
        self.scheduler.set_timesteps(settings.steps, device=self.device)
        timesteps = self.scheduler.timesteps
        if from_reference:
            keep = max(1, min(settings.steps, round(settings.steps * settings.strength)))
            timesteps = timesteps[len(timesteps) - keep:]
            if hasattr(self.scheduler, "set_begin_index"):
                self.scheduler.set_begin_index(len(self.scheduler.timesteps) - keep)
        return timesteps

    def _start(self, size: int, noise: torch.Tensor, reference: torch.Tensor | None,
               previous: torch.Tensor | None, first: torch.Tensor,
               settings: FrameSettings) -> torch.Tensor:
        """The starting latents of a batch: shared noise on the reference, blended with the
        previous frame's result noised alike."""
        if reference is None:
            start = noise * getattr(self.scheduler, "init_noise_sigma", 1.0)
            if previous is not None and settings.temporal_blend > 0:
                renoised = self.scheduler.add_noise(previous, noise, first.reshape(1))
                start = torch.lerp(start, renoised, settings.temporal_blend)
            return start.expand(size, -1, -1, -1).clone()
        base = reference
        if previous is not None and settings.temporal_blend > 0:
            base = torch.lerp(reference, previous, settings.temporal_blend)
        start = self.scheduler.add_noise(base, noise, first.reshape(1))
        return start.expand(size, -1, -1, -1).clone()

    def _denoise(self, latents: torch.Tensor, control: torch.Tensor, embeddings: torch.Tensor,
                 timesteps: Sequence[torch.Tensor], settings: FrameSettings,
                 cancel: CancelToken | None, step_done: Callable[[float], None],
                 image_prompt: tuple[torch.Tensor, float] | None = None) -> torch.Tensor:
        size = latents.shape[0]
        copies = 2 if settings.guided else 1
        text = embeddings.repeat_interleave(size, dim=0)  # [neg]*size + [pos]*size
        control_in = control.repeat(copies, 1, 1, 1)
        extra: dict[str, Any] = {}
        if image_prompt is not None and self.ip_adapter is not None:
            embeds, scale = image_prompt
            self.ip_adapter.set_scale(self.unet, scale)  # per batch: frames() may interleave
            images = [torch.zeros_like(embeds)] * (size if settings.guided else 0) + \
                [embeds] * size
            extra["added_cond_kwargs"] = {"image_embeds": [torch.cat(images)[:, None]]}
        for index, t in enumerate(timesteps):
            if cancel is not None:
                cancel.raise_if_cancelled()
            model_in = self.scheduler.scale_model_input(latents.repeat(copies, 1, 1, 1), t)
            down, mid = self.controlnet(model_in, t, encoder_hidden_states=text,
                                        controlnet_cond=control_in,
                                        conditioning_scale=settings.controlnet_scale,
                                        return_dict=False)
            noise = self.unet(model_in, t, encoder_hidden_states=text,
                              down_block_additional_residuals=down,
                              mid_block_additional_residual=mid, return_dict=False,
                              **extra)[0]
            if settings.guided:
                uncond, cond = noise.chunk(2)
                noise = uncond + settings.guidance * (cond - uncond)
            latents = self.scheduler.step(noise, t, latents, return_dict=False)[0]
            step_done((index + 1) / len(timesteps))
        return latents


def _placed(module: Any, device: torch.device, dtype: torch.dtype) -> Any:
    """``module`` on ``device`` in ``dtype``, in eval mode (cast only when it differs)."""
    current = next(module.parameters()).dtype
    module = module.to(device=device) if current == dtype else module.to(device=device,
                                                                          dtype=dtype)
    return module.eval()


def _repeat(text: str) -> Iterator[str]:
    while True:
        yield text


def _batches(images: Iterable[np.ndarray], prompts: Iterable[str],
             size: int) -> Iterator[tuple[list[np.ndarray], str]]:
    """Batches of at most ``size`` images that share one prompt, in order."""
    batch: list[np.ndarray] = []
    current = ""
    texts = iter(prompts)
    for image in images:
        prompt = next(texts, None)
        if prompt is None:
            raise GeneratorError("fewer prompts than conditioning images")
        if batch and (len(batch) == size or prompt != current):
            yield batch, current
            batch = []
        batch.append(image)
        current = prompt
    if batch:
        yield batch, current


def _to_tensor(images: np.ndarray, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """(N, H, W, 3) uint8 -> (N, 3, H, W) in 0..1."""
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
        raise GeneratorError(f"expected RGB uint8 images, got {images.dtype} {images.shape}")
    tensor = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2)
    return tensor.to(device=device, dtype=dtype) / 255.0
