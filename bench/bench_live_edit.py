"""Benchmark of a live edit: the cost of moving a studio slider (``RigGenerator.map`` alone).

Usage::

    .venv/bin/python bench/bench_live_edit.py [--repeat 20] [--durations 10 60]

The demo voice line (``assets/demo/greeting.flac``, 6.5 s) is tiled, with its transcript
repeated, to each duration. For each clip the table gives the full ``generate()`` (analysis +
mapping, the baseline, median of 3 after a warm-up) and ``map()`` alone on the stored analysis
(median of ``--repeat``), once with the default controls and once with every slider moved.
Target: ``map()`` at most 50 ms for a 60 s clip.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generators.audio import AudioClip  # noqa: E402
from generators.base import AnimationControls, GenerationRequest  # noqa: E402
from generators.emotion import parse_prompt  # noqa: E402
from generators.progress import CancelToken, NullProgress  # noqa: E402
from generators.rig.generator import RigGenerator  # noqa: E402
from generators.take import EmotionTrack  # noqa: E402

DEMO = ROOT / "assets" / "demo"
MOVED = AnimationControls(
    upper_face=1.3,
    lower_face=0.7,
    lip_articulation=0.8,
    blink_rate=1.5,
    gaze_activity=0.6,
    head_motion=1.4,
)


def tiled_request(seconds: float, fps: float = 30.0) -> GenerationRequest:
    """The demo line (and its transcript) repeated with 0.4 s pauses, padded with silence to
    exactly ``seconds`` (at least one repetition)."""
    demo = AudioClip.load(DEMO / "greeting.flac")
    text = (DEMO / "greeting.txt").read_text(encoding="utf-8").strip()
    gap = np.zeros(int(0.4 * demo.sample_rate), dtype=np.float32)
    unit = np.concatenate([demo.samples.reshape(-1).astype(np.float32), gap])
    reps = max(1, int(seconds * demo.sample_rate) // unit.size)
    samples = np.tile(unit, reps)
    samples = np.pad(samples, (0, max(0, int(seconds * demo.sample_rate) - samples.size)))
    clip = AudioClip.from_samples(samples, demo.sample_rate)
    prompt = "nervous but hopeful"
    track = EmotionTrack.constant(prompt, parse_prompt(prompt))
    return GenerationRequest(clip, track, " ".join([text] * reps), fps=fps, seed=1)


def median_s(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``fn()`` over ``repeat`` runs."""
    walls = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
    return statistics.median(walls)


def main() -> None:
    """Print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20, help="map() runs per measurement")
    ap.add_argument("--durations", type=float, nargs="+", default=[10.0, 60.0])
    args = ap.parse_args()

    gen = RigGenerator()
    head = (
        f"{'clip s':>7s} {'frames':>7s} {'generate() ms':>14s} {'map() ms':>9s} "
        f"{'map() moved ms':>15s} {'map/generate':>13s}"
    )
    print(head)
    print("-" * len(head))
    for seconds in args.durations:
        req = tiled_request(seconds)
        moved = GenerationRequest(
            req.audio, req.emotion, req.transcript, req.intensity, req.fps, req.seed, MOVED
        )
        gen.generate(req, progress=NullProgress(), cancel=CancelToken())  # warm-up
        full = median_s(
            lambda r=req: gen.generate(r, progress=NullProgress(), cancel=CancelToken()), 3
        )
        analysis = gen.analyse(req)
        take = gen.map(analysis, req)
        plain = median_s(lambda a=analysis, r=req: gen.map(a, r), args.repeat)
        slid = median_s(lambda a=analysis, r=moved: gen.map(a, r), args.repeat)
        print(
            f"{req.audio.duration:7.1f} {take.curves.num_frames:7d} {full * 1e3:14.1f} "
            f"{plain * 1e3:9.1f} {slid * 1e3:15.1f} {plain / full:13.3f}"
        )
    print("\ntarget: map() <= 50 ms for a 60 s clip")


if __name__ == "__main__":
    main()
