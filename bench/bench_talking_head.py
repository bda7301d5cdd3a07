"""Talking-head generator throughput: the bare model beside our whole pipeline, on one GPU.

Usage::

    python bench/bench_talking_head.py                 # SD-1.5-sized models, on CUDA if present
    python bench/bench_talking_head.py --tiny --device cpu --frames 8   # a quick check anywhere
    python bench/bench_talking_head.py --line   # end to end over the whole demo line
    python bench/bench_talking_head.py --clip   # a 2 s line, tiny models, CPU, end to end

The models are built from SD-1.5's architecture (UNet 320-640-1280-1280 with cross-attention
768, a ControlNet of the same encoder, the SD VAE, CLIP ViT-L/14's text encoder) with random
weights: the compute does not depend on the weights, and nothing is downloaded. fp16 on a GPU.

Rows, per batch size (1, 4, 8, 16, 32) and for 4 steps without guidance and 20 steps with
classifier-free guidance, 512x512:

* **bare**: UNet + ControlNet for every step and the VAE decode, on latents already on the
  device, nothing else (reference figures for eager PyTorch on one H200: 4.4 frames/s at
  batch 1, 22.6 at batch 8 and 31.7 at batch 16 with 4 steps; 5.4 at batch 16 with 20 guided
  steps);
* **ours**: :class:`generators.talking_head.pipeline.TalkingHeadPipeline` over conditioning
  images rendered from a take of the demo line by our renderer (depth maps), with the reference
  image-to-image start, temporal blending and the frames copied back to the host;
* **end to end**: the same plus rendering the conditioning images and encoding the frames to
  H.264 with the audio (the whole ``render --generator talking-head`` work after the take).

Frames per second count output frames; *vs bare* is ours / bare in the same run. Peak GPU
memory is ``torch.cuda.max_memory_allocated`` over the row.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from generators.talking_head.pipeline import (  # noqa: E402
    FrameSettings,
    TalkingHeadPipeline,
    choose_device,
)

SD15_UNET = {
    "sample_size": 64, "in_channels": 4, "out_channels": 4, "layers_per_block": 2,
    "block_out_channels": [320, 640, 1280, 1280], "cross_attention_dim": 768,
    "attention_head_dim": 8,
    "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
                         "DownBlock2D"],
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D",
                       "CrossAttnUpBlock2D"],
}
SD15_CONTROLNET = {
    key: SD15_UNET[key] for key in ("in_channels", "layers_per_block", "block_out_channels",
                                    "cross_attention_dim", "attention_head_dim",
                                    "down_block_types")
} | {"conditioning_embedding_out_channels": [16, 32, 96, 256]}
SD15_VAE = {
    "in_channels": 3, "out_channels": 3, "latent_channels": 4, "layers_per_block": 2,
    "block_out_channels": [128, 256, 512, 512], "sample_size": 512, "scaling_factor": 0.18215,
    "down_block_types": ["DownEncoderBlock2D"] * 4, "up_block_types": ["UpDecoderBlock2D"] * 4,
}
SD15_TEXT = {"hidden_size": 768, "intermediate_size": 3072, "num_attention_heads": 12,
             "num_hidden_layers": 12, "max_position_embeddings": 77, "vocab_size": 49408,
             "projection_dim": 768, "hidden_act": "quick_gelu"}
TOKENIZER = ROOT / "tests" / "generators" / "fixtures" / "tiny_sd" / "tokenizer"


def build_models(tiny: bool) -> dict[str, Any]:
    """Random-weight components of SD-1.5's size (or the test suite's tiny ones)."""
    if tiny:
        from tests.generators.tiny_talking_head import tiny_components

        return tiny_components()
    from diffusers import AutoencoderKL, ControlNetModel, DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    torch.manual_seed(0)
    return {
        "unet": UNet2DConditionModel(**SD15_UNET),
        "controlnet": ControlNetModel(**SD15_CONTROLNET),
        "vae": AutoencoderKL(**SD15_VAE),
        "text_encoder": CLIPTextModel(CLIPTextConfig(**SD15_TEXT)),
        "tokenizer": CLIPTokenizer.from_pretrained(TOKENIZER),
        "scheduler": DDIMScheduler(beta_start=0.00085, beta_end=0.012,
                                   beta_schedule="scaled_linear", clip_sample=False,
                                   set_alpha_to_one=False, steps_offset=1),
    }


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(device: torch.device, run: Callable[[], int], repeats: int,
          warm_up: bool = True) -> tuple[float, float]:
    """(frames per second, peak GPU MiB) of ``run`` (which returns its frame count), after one
    warm-up call unless ``warm_up`` is false."""
    if warm_up:
        run()
    _sync(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    start, frames = time.perf_counter(), 0
    for _ in range(repeats):
        frames += run()
    _sync(device)
    seconds = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda" else float("nan")
    return frames / seconds, peak


@torch.no_grad()
def bare_run(pipe: TalkingHeadPipeline, batch: int, steps: int, guided: bool,
             size: int) -> Callable[[], int]:
    """UNet + ControlNet for every step and the VAE decode; nothing else."""
    scale = pipe.vae_scale
    latents = torch.randn(batch, 4, size // scale, size // scale, device=pipe.device,
                          dtype=pipe.dtype)
    control = torch.rand(batch * (2 if guided else 1), 3, size, size, device=pipe.device,
                         dtype=pipe.dtype)
    text = pipe.encode_prompt("a portrait", "", guided).repeat_interleave(batch, dim=0)
    pipe.scheduler.set_timesteps(steps, device=pipe.device)
    timesteps = pipe.scheduler.timesteps

    @torch.no_grad()
    def run() -> int:
        x = latents
        for t in timesteps:
            model_in = torch.cat([x, x]) if guided else x
            down, mid = pipe.controlnet(model_in, t, encoder_hidden_states=text,
                                        controlnet_cond=control, return_dict=False)
            noise = pipe.unet(model_in, t, encoder_hidden_states=text,
                              down_block_additional_residuals=down,
                              mid_block_additional_residual=mid, return_dict=False)[0]
            if guided:
                uncond, cond = noise.chunk(2)
                noise = uncond + 7.5 * (cond - uncond)
            x = pipe.scheduler.step(noise, t, x, return_dict=False)[0]
        pipe.vae.decode(x / pipe.vae.config.scaling_factor)
        return batch

    return run


def ours_run(pipe: TalkingHeadPipeline, batch: int, steps: int, guided: bool,
             conditioning: list[np.ndarray], reference: np.ndarray) -> Callable[[], int]:
    """Our loop over the conditioning images, frames back on the host."""
    settings = FrameSettings(steps=steps, guidance=7.5 if guided else 1.0, strength=1.0,
                             batch_size=batch)

    def run() -> int:
        frames = list(pipe.frames(conditioning, settings, reference=reference))
        return len(frames)

    return run


def end_to_end_run(pipe: TalkingHeadPipeline, batch: int, steps: int, guided: bool,
                   demo: Demo, count: int, folder: Path) -> Callable[[], int]:
    """Conditioning images rendered from the take, our loop, and H.264 + AAC encoding of
    ``count`` frames with the voice: the work of ``render --generator talking-head`` after
    the take."""
    from generators.talking_head.conditioning import conditioning_frames
    from studio.exporters.ffmpeg_pipe import FfmpegVideoWriter

    settings = FrameSettings(steps=steps, guidance=7.5 if guided else 1.0, strength=1.0,
                             batch_size=batch)
    fps = 30.0

    def depth_maps() -> Iterator[np.ndarray]:
        # A generator that alone holds the renderer's, so that it is released in the thread
        # that draws the maps (as in studio.talking_head_video).
        for frame in islice(conditioning_frames(demo.take, demo.avatar, size=demo.size,
                                                kinds=("depth",), fps=fps), count):
            yield frame["depth"]

    def run() -> int:
        frames = 0
        with FfmpegVideoWriter(folder / "bench.mp4", width=demo.size[0], height=demo.size[1],
                               fps=fps, duration=count / fps, audio=demo.audio) as writer:
            for frame in pipe.frames(depth_maps(), settings, reference=demo.reference,
                                     count=count):
                writer.write(frame)
                frames += 1
            writer.close()
        return frames

    return run


class Demo:
    """The demo line's take (rig generator, default avatar), its depth maps and a reference."""

    def __init__(self, count: int, size: int) -> None:
        from generators.talking_head.conditioning import (
            conditioning_frame_count,
            conditioning_frames,
        )
        from studio.render_spec import RenderSpec, session_for

        demo = ROOT / "assets" / "demo"
        session = session_for(RenderSpec(demo / "greeting.flac",
                                          (demo / "greeting.txt").read_text(encoding="utf-8"),
                                          prompt="cheerful"))
        session.generate()
        self.take, self.avatar, self.size = session.take, session.avatar, (size, size)
        self.audio = demo / "greeting.flac"
        maps = conditioning_frames(self.take, self.avatar, size=self.size, kinds=("depth",))
        self.conditioning = [frame["depth"] for frame in islice(maps, count)]
        self.reference = np.full((size, size, 3), 128, np.uint8)
        self.frame_count = conditioning_frame_count(self.take, 30.0)


def tiny_clip_seconds(folder: Path, seconds: float = 2.0) -> float:
    """Wall time of ``affect-studio render --generator talking-head`` on a ``seconds`` line
    with the tiny models at 64x64 on the CPU (model loading, the take, conditioning,
    diffusion, encoding: everything the user waits for)."""
    import soundfile as sf

    from studio.cli import main as cli
    from tests.generators.tiny_talking_head import save_tiny_models_config

    config = save_tiny_models_config(folder)
    voice = folder / "line.wav"
    t = np.arange(int(seconds * 16000)) / 16000
    sf.write(voice, 0.3 * np.sin(2 * np.pi * 180 * t) * (1 + np.sin(2 * np.pi * 3 * t)), 16000)
    start = time.perf_counter()
    code = cli(["render", str(voice), "--prompt", "nervous but hopeful", "--generator",
                "talking-head", "--models", str(config), "--device", "cpu", "--size", "64x64",
                "--steps", "2", "-o", str(folder / "clip.mp4")])
    if code:
        raise SystemExit(f"the tiny clip failed (exit {code})")
    return time.perf_counter() - start


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="the test suite's tiny models")
    parser.add_argument("--device", default=None, help="cuda, mps or cpu (default: best)")
    parser.add_argument("--size", type=int, default=None, help="frame side (default 512, "
                        "64 with --tiny)")
    parser.add_argument("--frames", type=int, default=16,
                        help="frames per timed run (at least two batches' worth)")
    parser.add_argument("--batches", default="1,4,8,16,32")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--line", action="store_true",
                        help="end to end over the whole demo line (every frame of it)")
    parser.add_argument("--steps", default="4,20g",
                        help="step settings, comma-separated; a trailing g runs guidance")
    parser.add_argument("--clip", action="store_true",
                        help="only time a 2 s line end to end with the tiny models on the CPU")
    args = parser.parse_args()
    if args.clip:
        with tempfile.TemporaryDirectory() as folder:
            seconds = tiny_clip_seconds(Path(folder))
        print(f"tiny models, 64x64, 2 steps, CPU: a 2 s line end to end in {seconds:.1f} s "
              f"(target < 20 s)")
        return
    device, dtype = choose_device(args.device)
    size = args.size or (64 if args.tiny else 512)
    batches = [int(b) for b in args.batches.split(",")]
    settings = [(int(s.rstrip("g")), s.endswith("g")) for s in args.steps.split(",")]
    pipe = TalkingHeadPipeline(**build_models(args.tiny), device=device, dtype=dtype)
    demo = Demo(max(args.frames, 2 * max(batches)), size)
    line = demo.frame_count if args.line else 0
    for guided in (False, True):  # the reference's VAE encode and the prompts, once
        list(pipe.frames(demo.conditioning[:1], FrameSettings(
            steps=1, guidance=7.5 if guided else 1.0, strength=1.0, batch_size=1),
            reference=demo.reference))
    name = torch.cuda.get_device_name() if device.type == "cuda" else device.type
    import diffusers

    print(f"talking head, {'tiny' if args.tiny else 'SD-1.5-sized'} random-weight models, "
          f"{size}x{size}, {dtype}, on {name}; torch {torch.__version__}, diffusers "
          f"{diffusers.__version__}; frames a run: max({args.frames}, 2 x batch)"
          + (f", end to end: the whole line ({line} frames)" if line else ""))
    print(f"{'steps':<16} {'batch':>5} {'bare f/s':>9} {'ours f/s':>9} {'vs bare':>8} "
          f"{'e2e f/s':>8} {'vs bare':>8} {'peak MiB bare':>14} {'ours':>6} {'e2e':>6}",
          flush=True)
    with tempfile.TemporaryDirectory() as folder:
        for steps, guided in settings:
            for batch in batches:
                count = max(args.frames, 2 * batch)
                conditioning = demo.conditioning[:count]
                bare = bare_run(pipe, batch, steps, guided, size)
                bare_fps, bare_peak = timed(device, bare, max(1, count // batch))
                # The bare run warmed these shapes up: ours and end to end run cold from here.
                ours = ours_run(pipe, batch, steps, guided, conditioning, demo.reference)
                ours_fps, ours_peak = timed(device, ours, args.repeats, warm_up=False)
                whole = end_to_end_run(pipe, batch, steps, guided, demo, line or count,
                                       Path(folder))
                whole_fps, whole_peak = timed(device, whole, args.repeats, warm_up=False)
                label = f"{steps}{' + guidance' if guided else ''}"
                print(f"{label:<16} {batch:>5} {bare_fps:>9.2f} {ours_fps:>9.2f} "
                      f"{ours_fps / bare_fps:>8.2f} {whole_fps:>8.2f} "
                      f"{whole_fps / bare_fps:>8.2f} {bare_peak:>14.0f} {ours_peak:>6.0f} "
                      f"{whole_peak:>6.0f}", flush=True)


if __name__ == "__main__":
    main()
