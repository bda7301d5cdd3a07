"""How many frames to denoise together: as many as the GPU's free memory holds, up to a cap.

Batching is the main lever on a GPU. On one H200 (SD-1.5-sized models, 512x512, fp16, 4 steps)
our loop made 14.8 frames/s in batches of 4, 30.0 in batches of 16 and 31.3 in batches of 32,
and the whole path over a voice line 24.5 frames/s in batches of 16 and 28.4 in batches of 32
(docs/benchmarks.md). The peak memory grew by about 515 MiB a frame over the models' own, most
of it the VAE decoding the batch at full resolution. The automatic choice takes the largest
power of two whose frames fit in the device's free memory, with room to spare, up to
:data:`MAX_FRAME_BATCH`.

The size changes the frames: a batch shares one start (the reference noised the same way), and
the previous frame's result is blended in only at each batch's start, so a batch of 32 blends
once every 32 frames where a batch of 4 blended every 4. The pipeline keeps the batch it chose
for as long as it is loaded (see :meth:`~generators.talking_head.pipeline.TalkingHeadPipeline.
frame_batch`); give a fixed size where frames must match across machines.
"""

from __future__ import annotations

import torch

__all__ = ["CPU_FRAME_BATCH", "MAX_FRAME_BATCH", "auto_frame_batch", "frame_bytes",
           "free_device_bytes"]

MAX_FRAME_BATCH = 32
"""Largest automatic batch (beyond it the gain is small and the first frame comes late)."""

CPU_FRAME_BATCH = 4
"""Batch on the CPU and on Apple GPUs (whose free memory torch does not report)."""

FRAME_BYTES_512 = 600 * 2**20
"""Device memory one 512x512 frame of a batch takes, with a margin over the 515 MiB measured."""

USABLE_SHARE = 0.85
"""Share of the free device memory the batch may take."""


def frame_bytes(size: tuple[int, int]) -> int:
    """Device memory one frame of ``size`` (width, height) takes in a batch (estimate)."""
    width, height = size
    return int(FRAME_BYTES_512 * (width * height) / (512 * 512))


def free_device_bytes(device: torch.device) -> int:
    """Memory a CUDA device can still give this process: the driver's free memory plus what
    PyTorch's allocator holds in its cache without using it."""
    free, _total = torch.cuda.mem_get_info(device)
    cached = torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)
    return int(free + max(cached, 0))


def auto_frame_batch(device: torch.device, size: tuple[int, int],
                     free_bytes: int | None = None, *, saving_memory: bool = False) -> int:
    """The batch size to generate ``size`` frames with on ``device``.

    Parameters
    ----------
    device
        Where the models run (with their weights already there).
    size
        ``(width, height)`` of the frames.
    free_bytes
        The device's free memory; ``None`` asks the CUDA driver (see
        :func:`free_device_bytes`).
    saving_memory
        Whether the pipeline saves memory (the VAE decodes one frame at a time, which the
        per-frame estimate is mostly made of): it keeps :data:`CPU_FRAME_BATCH` frames, the
        batch it always had.

    Returns
    -------
    int
        A power of two from 1 to :data:`MAX_FRAME_BATCH` on CUDA; :data:`CPU_FRAME_BATCH`
        elsewhere and when saving memory.

    Examples
    --------
    >>> auto_frame_batch(torch.device("cuda"), (512, 512), free_bytes=8 * 2**30)
    8
    >>> auto_frame_batch(torch.device("cuda"), (512, 512), free_bytes=100 * 2**30)
    32
    >>> auto_frame_batch(torch.device("cpu"), (512, 512))
    4
    """
    if device.type != "cuda" or saving_memory:
        return CPU_FRAME_BATCH
    if free_bytes is None:
        free_bytes = free_device_bytes(device)
    fits = int(USABLE_SHARE * free_bytes) // max(frame_bytes(size), 1)
    batch = 1
    while batch * 2 <= min(fits, MAX_FRAME_BATCH):
        batch *= 2
    return batch
