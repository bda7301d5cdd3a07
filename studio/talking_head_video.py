"""A talking-head video (``.mp4``) of the session's take: diffusion frames with the sound.

The rig's take drives everything: each frame's conditioning image is the posed avatar rendered
by our renderer (depth), the prompt follows the take's emotion track, and every frame starts
from the user's reference portrait. Frames stream to the same ffmpeg encoder the rig's video
uses, into a temporary file renamed only when the video is complete (a failure or a cancel
leaves nothing). torch and diffusers are imported only when this runs (the ``diffusion``
extra); without them the error says what to install.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from generators.progress import CancelToken, NullProgress, ProgressSink, SubProgress
from generators.take import Take
from renderers.avatar import Avatar
from studio.errors import StudioError

__all__ = [
    "NEEDS_EXTRA",
    "TalkingHeadRequest",
    "check_diffusion_available",
    "check_talking_head_request",
    "diffusion_available",
    "forget_loaded_pipeline",
    "loaded_pipeline",
    "render_talking_head",
    "talking_head_frames",
]

NEEDS_EXTRA = ("the talking-head generator needs the diffusion extra: "
               "pip install 'affect-studio[diffusion]'")

LOAD_SHARE = 0.1
"""Share of the progress bar for loading the models."""


@dataclass(frozen=True)
class TalkingHeadRequest:
    """What the user asked of the talking-head generator.

    Parameters
    ----------
    reference
        The portrait every frame starts from (PNG or JPEG); ``None`` starts from noise. When
        the models include an IP-Adapter it is also the image prompt.
    config
        The models' config file (``talking_head.toml``); ``None`` for the default lookup.
    device
        ``"cuda"``, ``"mps"`` or ``"cpu"``; ``None`` picks the best available.
    steps, guidance, strength, temporal_blend, seed, ip_adapter_scale
        See :class:`generators.talking_head.pipeline.FrameSettings`.
    batch_size
        Frames denoised together; ``None`` takes as many as the GPU's free memory holds (see
        :func:`generators.talking_head.frame_batch.auto_frame_batch`).
    low_memory
        Save device memory for small GPUs (see
        :meth:`generators.talking_head.pipeline.TalkingHeadPipeline.save_memory`).
    size
        ``(width, height)`` of the frames.
    fps
        Frames per second of the video.
    """

    reference: Path | None = None
    config: Path | None = None
    device: str | None = None
    steps: int = 4
    guidance: float = 1.0
    strength: float = 0.7
    temporal_blend: float = 0.3
    batch_size: int | None = None
    seed: int = 0
    ip_adapter_scale: float = 0.6
    low_memory: bool = False
    size: tuple[int, int] = (512, 512)
    fps: float = 30.0

    def draws_like(self, other: TalkingHeadRequest) -> bool:
        """Whether ``other`` asks for the same frames: it may differ only in where they are
        drawn (the device) and how memory is saved. Frames drawn on another device, or with an
        automatic batch (``batch_size=None``) on a GPU with other free memory, may still differ
        a little."""
        return replace(self, device=None, low_memory=False) == replace(
            other, device=None, low_memory=False)


def diffusion_available() -> bool:
    """Whether torch and diffusers are installed (without importing them)."""
    return all(importlib.util.find_spec(name) is not None
               for name in ("torch", "diffusers", "transformers"))


def render_talking_head(
    take: Take,
    avatar: Avatar,
    dest: Path,
    request: TalkingHeadRequest,
    *,
    progress: ProgressSink | None = None,
    cancel: CancelToken | None = None,
    frames: Iterable[np.ndarray] | None = None,
) -> Path:
    """Write the talking-head video of ``take`` to ``dest`` (``.mp4``).

    Parameters
    ----------
    take, avatar
        The rig's take and the avatar its conditioning images are rendered from.
    dest
        The ``.mp4`` to write (through a temporary file renamed when complete).
    request
        The generator's settings.
    progress, cancel
        Progress reporting and cancellation (checked before every denoising step, or
        between frames when ``frames`` is given).
    frames
        Frames already generated for ``take`` with ``request`` (one RGB uint8 frame of
        ``request.size`` per video frame): they are encoded instead of generating new ones.

    Raises
    ------
    StudioError
        The diffusion extra is missing or ``dest`` is not an ``.mp4``.
    GeneratorError
        Models missing (the message lists which and where they were looked for), a bad
        reference portrait or bad settings.
    Cancelled
        ``cancel`` was set; nothing is left at ``dest``.
    """
    from studio.exporters.base import atomic_output, check_writable
    from studio.exporters.ffmpeg_pipe import FfmpegVideoWriter
    from studio.exporters.frame_encoding import source_audio, take_frames

    dest = Path(dest)
    if dest.suffix.lower() != ".mp4":
        raise StudioError(f"the talking-head generator writes .mp4 video, not {dest.name}; "
                          "name the output NAME.mp4")
    check_writable(dest)
    progress = progress or NullProgress()
    width, height = request.size
    count = take_frames(take, request.fps)
    audio = source_audio(take)
    if frames is None:
        check_diffusion_available()
        generated = talking_head_frames(take, avatar, request,
                                        progress=SubProgress(progress, 0.0, 0.98), cancel=cancel)
    else:
        generated = _encoding_progress(frames, count, progress, cancel)
    with (atomic_output(dest) as tmp,
          FfmpegVideoWriter(tmp, width=width, height=height, fps=request.fps,
                            duration=count / request.fps, audio=audio) as writer):
        for frame in generated:
            writer.write(frame)
        progress.report(0.99, "finishing the video file")
        writer.close()
    progress.report(1.0, "talking-head video written")
    return dest


def _encoding_progress(frames: Iterable[np.ndarray], count: int, progress: ProgressSink,
                       cancel: CancelToken | None) -> Iterator[np.ndarray]:
    """``frames`` with a cancel check and a progress report for each."""
    for index, frame in enumerate(frames):
        if cancel is not None:
            cancel.raise_if_cancelled()
        yield frame
        progress.report(0.98 * (index + 1) / max(count, 1), "writing the talking-head video")


def check_diffusion_available() -> None:
    """Raise a :class:`StudioError` saying what to install when the extra is missing."""
    if not diffusion_available():
        raise StudioError(NEEDS_EXTRA)


def check_talking_head_request(request: TalkingHeadRequest) -> None:
    """Check, without loading any model, that ``request`` can run: the diffusion extra, the
    models' config and every model file, and the reference portrait.

    Raises
    ------
    StudioError, GeneratorError
        What is missing or wrong, in one line.
    """
    from generators.talking_head.checkpoints import locate_models
    from generators.talking_head.model_config import load_model_config

    check_diffusion_available()
    locate_models(load_model_config(request.config))
    _settings(request)
    _reference(request)


def talking_head_frames(
    take: Take,
    avatar: Avatar,
    request: TalkingHeadRequest,
    *,
    progress: ProgressSink | None = None,
    cancel: CancelToken | None = None,
) -> Iterator[np.ndarray]:
    """The talking-head frames of ``take`` (RGB uint8, ``request.size``), one per video frame.

    The models are loaded (or reused, see :func:`loaded_pipeline`), the reference portrait
    read and every setting checked before the first frame is yielded, so a bad request fails
    at once. Frames then come one by one as their batch is denoised (a viewer can show them
    as they arrive).

    Raises
    ------
    StudioError
        The diffusion extra is missing.
    GeneratorError
        Missing models, a bad reference portrait or bad settings.
    Cancelled
        ``cancel`` was set (checked before every denoising step).
    """
    from studio.exporters.frame_encoding import take_frames

    check_diffusion_available()
    progress = progress or NullProgress()
    settings = _settings(request)  # bad settings fail before the models load
    pipeline = loaded_pipeline(request, SubProgress(progress, 0.0, LOAD_SHARE))
    if request.batch_size is None:  # as many frames as the device has memory for
        settings = replace(settings, batch_size=pipeline.frame_batch(request.size))
    reference = _reference(request)
    count = take_frames(take, request.fps)
    images = _conditioning(take, avatar, request, cancel)
    prompts = _prompts(take, request, count)
    generate = SubProgress(progress, LOAD_SHARE, 1.0)
    return pipeline.frames(images, settings, reference=reference, prompts=prompts,
                           count=count, progress=generate, cancel=cancel)


_LOADED: dict[tuple[object, ...], Any] = {}
"""The last pipeline loaded (one at most), by what it was loaded from."""


def loaded_pipeline(request: TalkingHeadRequest, progress: ProgressSink | None = None) -> Any:
    """The pipeline of ``request``'s models and device, loaded once per process.

    The same config, model folders and device reuse the pipeline already in memory (a batch
    worker or the studio loads the models once, not per voice line); anything else replaces
    it, so at most one set of weights is held. Memory saving is applied to the pipeline in
    place; turning it off again loads the models afresh.
    """
    from generators.talking_head.checkpoints import locate_models
    from generators.talking_head.loading import load_pipeline
    from generators.talking_head.model_config import load_model_config

    progress = progress or NullProgress()
    models = load_model_config(request.config)
    folders = locate_models(models).component_folders()
    key = (repr(folders), request.device, models.allow_pickle)
    pipeline = _LOADED.get(key)
    if pipeline is not None and pipeline.saving_memory and not request.low_memory:
        pipeline = None  # memory saving is not undone in place: the models load afresh
    if pipeline is None:
        _LOADED.clear()  # free the old weights before loading new ones
        progress.report(0.0, "loading the talking-head models")
        pipeline = _LOADED[key] = load_pipeline(folders, device=request.device,
                                                allow_pickle=models.allow_pickle)
    if request.low_memory and not pipeline.saving_memory:
        pipeline.save_memory()
    progress.report(1.0, "models loaded")
    return pipeline


def forget_loaded_pipeline() -> None:
    """Drop the pipeline kept by :func:`loaded_pipeline` (frees its memory)."""
    _LOADED.clear()


def _settings(request: TalkingHeadRequest) -> Any:
    """The frame settings of ``request`` (one frame a batch when its batch is automatic)."""
    from generators.talking_head.pipeline import FrameSettings

    return FrameSettings(steps=request.steps, guidance=request.guidance,
                         strength=request.strength, temporal_blend=request.temporal_blend,
                         batch_size=1 if request.batch_size is None else request.batch_size,
                         seed=request.seed, ip_adapter_scale=request.ip_adapter_scale)


def _reference(request: TalkingHeadRequest) -> np.ndarray | None:
    if request.reference is None:
        return None
    from generators.talking_head.reference import load_reference

    return load_reference(request.reference, request.size)


def _conditioning(take: Take, avatar: Avatar, request: TalkingHeadRequest,
                  cancel: CancelToken | None) -> Iterator[np.ndarray]:
    from generators.talking_head.conditioning import conditioning_frames

    return (frame["depth"] for frame in conditioning_frames(
        take, avatar, size=request.size, kinds=("depth",), fps=request.fps, cancel=cancel))


def _prompts(take: Take, request: TalkingHeadRequest, frames: int) -> list[str]:
    from generators.talking_head.prompting import frame_prompts

    return frame_prompts(take.emotion, [i / request.fps for i in range(frames)])
