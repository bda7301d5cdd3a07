"""The automatic frame batch: as many frames as the GPU's free memory holds, up to a cap."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="the diffusion extra is installed by the test command")

from generators.talking_head.frame_batch import (  # noqa: E402
    CPU_FRAME_BATCH,
    MAX_FRAME_BATCH,
    auto_frame_batch,
    frame_bytes,
)

CUDA = torch.device("cuda")
GIB = 2**30


@pytest.mark.parametrize(("free_gib", "batch"), [
    (0.1, 1), (1.0, 1), (2.0, 2), (4.0, 4), (8.0, 8), (12.0, 16), (24.0, 32), (140.0, 32),
])
def test_the_batch_follows_the_free_memory_in_powers_of_two_up_to_the_cap(free_gib, batch):
    assert auto_frame_batch(CUDA, (512, 512), free_bytes=int(free_gib * GIB)) == batch


def test_larger_frames_take_smaller_batches():
    free = 12 * GIB
    sizes = [(256, 256), (512, 512), (768, 768), (1024, 1024)]
    batches = [auto_frame_batch(CUDA, size, free_bytes=free) for size in sizes]
    assert batches == sorted(batches, reverse=True) and batches[0] == MAX_FRAME_BATCH
    assert batches[-1] * frame_bytes((1024, 1024)) <= free  # what it picks fits


def test_the_cpu_and_apple_gpus_keep_a_small_fixed_batch():
    assert auto_frame_batch(torch.device("cpu"), (512, 512)) == CPU_FRAME_BATCH
    assert auto_frame_batch(torch.device("mps"), (512, 512), free_bytes=64 * GIB) == \
        CPU_FRAME_BATCH


def test_saving_memory_keeps_the_batch_of_four():
    assert auto_frame_batch(CUDA, (512, 512), free_bytes=100 * GIB, saving_memory=True) == \
        CPU_FRAME_BATCH


def test_a_loaded_pipeline_keeps_the_batch_it_chose(monkeypatch):
    from generators.talking_head import frame_batch
    from generators.talking_head.pipeline import TalkingHeadPipeline
    from tests.generators.tiny_talking_head import tiny_components

    pipeline = TalkingHeadPipeline(**tiny_components(), device=torch.device("cpu"),
                                   dtype=torch.float32)
    choices = iter([16, 2, 8])
    monkeypatch.setattr(frame_batch, "auto_frame_batch", lambda *a, **k: next(choices))
    assert pipeline.frame_batch((512, 512)) == 16
    assert pipeline.frame_batch((512, 512)) == 16  # the free memory changed; the batch did not
    assert pipeline.frame_batch((256, 256)) == 2  # another size is chosen for itself


@pytest.mark.parametrize("batch", [2.5, True, 0, "4"])
def test_a_batch_that_is_not_a_whole_number_of_frames_is_refused(batch):
    from generators.errors import GeneratorError
    from generators.talking_head.pipeline import FrameSettings

    with pytest.raises(GeneratorError, match="batch_size must be a whole number"):
        FrameSettings(batch_size=batch)
