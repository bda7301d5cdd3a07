"""Rig generation while the cores are shared: one process alone, then several at once.

Usage::

    .venv/bin/python bench/bench_parallel.py [--processes 2] [--rounds 2]

A batch export runs one worker per core, the studio analyses a line while its viewport renders
in software, a user's other programs run: the generator's cost per second of audio should not
depend much on that. Each process runs ``RigGenerator.generate()`` with the transcript (forced
alignment, transcript check, the transcript's sentence sentiment) over the transcribed clips of
the evaluation set, after a warm-up, ``--rounds`` times; the table gives each process's wall
seconds of compute per second of audio, alone and with ``--processes`` running at once, and
the ratio (1.0: sharing costs nothing beyond the cores themselves; with as many processes as
cores, a ratio near 1 is the best possible).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.lipsync_reference import transcribed_clips  # noqa: E402


def _run(rounds: int, start: object, out: object) -> None:
    """One process: warm up, wait for the others, generate every clip ``rounds`` times."""
    from generators.audio import AudioClip
    from generators.base import GenerationRequest
    from generators.progress import CancelToken, NullProgress
    from generators.rig.generator import RigGenerator

    clips = transcribed_clips()
    gen = RigGenerator()
    requests = [GenerationRequest(AudioClip.load(c.audio), transcript=c.transcript) for c in clips]
    gen.generate(requests[0], progress=NullProgress(), cancel=CancelToken())
    start.wait()  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    audio = 0.0
    for _ in range(rounds):
        for req in requests:
            gen.generate(req, progress=NullProgress(), cancel=CancelToken())
            audio += req.audio.duration
    out.put((os.getpid(), (time.perf_counter() - t0) / audio))  # type: ignore[attr-defined]


def measure(processes: int, rounds: int) -> list[float]:
    """Wall seconds per second of audio of each of ``processes`` processes run at once."""
    ctx = mp.get_context("spawn")
    start, out = ctx.Barrier(processes), ctx.Queue()
    procs = [ctx.Process(target=_run, args=(rounds, start, out)) for _ in range(processes)]
    for p in procs:
        p.start()
    results = [out.get()[1] for _ in procs]
    for p in procs:
        p.join()
    return results


def main() -> None:
    """Print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    if args.processes < 1 or args.rounds < 1:
        ap.error("--processes and --rounds must be at least 1")
    from generators.audio import AudioClip

    clips = transcribed_clips()
    seconds = sum(AudioClip.load(c.audio).duration for c in clips)
    print(
        f"{len(clips)} clips with transcripts, {seconds:.1f} s of audio, {args.rounds} rounds, "
        f"{os.cpu_count()} cores"
    )
    alone = measure(1, args.rounds)[0]
    shared = measure(args.processes, args.rounds)
    print(f"{'processes':>9s} {'s/s each':>24s} {'x alone':>8s}")
    print(f"{1:9d} {alone:24.3f} {1.0:8.2f}")
    each = " ".join(f"{s:.3f}" for s in shared)
    print(f"{args.processes:9d} {each:>24s} {max(shared) / alone:8.2f}")


if __name__ == "__main__":
    main()
