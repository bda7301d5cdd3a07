"""How many frames to denoise together: as many as the GPU's free memory holds, up to a cap.

Batching is the main lever on a GPU. On one H200 (SD-1.5-sized models, 512x512, fp16, 4 steps)
the whole path ran at 9.5 frames/s in batches of 4, 24.5 in batches of 16 and 28.4 in batches
of 32 (docs/benchmarks.md); the peak memory grew by about 515 MiB a frame over the models'
own, most of it the VAE decoding the batch at full resolution. The automatic choice takes the
largest power of two whose frames fit in the device's free memory, with room to spare, up to
:data:`MAX_FRAME_BATCH`. A batch shares one start (the reference noised the same way), and the
previous frame is blended in at each batch's start, so the size changes the frames a little:
give a fixed size where frames must match across machines.
"""

from __future__ import annotations

import torch

__all__ = ["CPU_FRAME_BATCH", "MAX_FRAME_BATCH", "auto_frame_batch", "frame_bytes"]

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


def auto_frame_batch(device: torch.device, size: tuple[int, int],
                     free_bytes: int | None = None) -> int:
    """The batch size to generate ``size`` frames with on ``device``.

    Parameters
    ----------
    device
        Where the models run (with their weights already there).
    size
        ``(width, height)`` of the frames.
    free_bytes
        The device's free memory; ``None`` asks the CUDA driver.

    Returns
    -------
    int
        A power of two from 1 to :data:`MAX_FRAME_BATCH` on CUDA; :data:`CPU_FRAME_BATCH`
        elsewhere.

    Examples
    --------
    >>> auto_frame_batch(torch.device("cuda"), (512, 512), free_bytes=8 * 2**30)
    8
    >>> auto_frame_batch(torch.device("cuda"), (512, 512), free_bytes=100 * 2**30)
    32
    >>> auto_frame_batch(torch.device("cpu"), (512, 512))
    4
    """
    if device.type != "cuda":
        return CPU_FRAME_BATCH
    if free_bytes is None:
        free_bytes, _total = torch.cuda.mem_get_info(device)
    fits = int(USABLE_SHARE * free_bytes) // max(frame_bytes(size), 1)
    batch = 1
    while batch * 2 <= min(fits, MAX_FRAME_BATCH):
        batch *= 2
    return batch
