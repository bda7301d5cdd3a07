"""Benchmark of the rig generator: speed (s of compute per s of audio) and lip-sync accuracy.

Usage::

    .venv/bin/python bench/bench_rig.py [--repeat 3] [--no-espeak] [--only NAME ...]

Speed: full ``RigGenerator.generate()`` (audio analysis, alignment or phone recognition, curves,
emotion, blinks, head and eyes), after a warm-up that builds the decoders and imports
everything once; the median of ``--repeat`` runs, wall clock and CPU time, with a transcript
(forced alignment + transcript check) and without (phone recognition).

Accuracy: word and phone boundary errors against the reference alignments (Montreal Forced
Aligner and praatIO test data, which are themselves automatic alignments at 10 ms resolution),
and against eSpeak NG synthetic speech whose phone timings are exact; plus the share of 10 ms
frames whose viseme agrees with the reference, with and without the transcript.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.lipsync_reference import (  # noqa: E402
    Clip,
    boundary_errors,
    espeak_available,
    espeak_clips,
    espeak_missing,
    reference_clips,
    transcribed_clips,
    viseme_frame_accuracy,
)
from generators.audio import AudioClip  # noqa: E402
from generators.base import GenerationRequest  # noqa: E402
from generators.emotion import parse_prompt  # noqa: E402
from generators.progress import CancelToken, NullProgress  # noqa: E402
from generators.rig.generator import RigAnalysis, RigGenerator  # noqa: E402
from generators.take import EmotionTrack, Take  # noqa: E402


def _timed(gen: RigGenerator, req: GenerationRequest, repeat: int) -> tuple[float, float, Take]:
    walls, cpus = [], []
    take = None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        take = gen.generate(req, progress=NullProgress(), cancel=CancelToken())
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    assert take is not None
    return statistics.median(walls), statistics.median(cpus), take


def _segments(take: Take) -> list[tuple[str, float, float]]:
    return [(p.phone, p.start, p.end) for p in take.visemes.phonemes]


def _words(analysis: RigAnalysis) -> list[tuple[str, float, float]]:
    return [(w.word, w.start, w.end) for w in analysis.speech.words]


def _fmt(x: float | None, spec: str = ".3f") -> str:
    return "-" if x is None else format(x, spec)


def _speed(gen: RigGenerator, clips: list[Clip], repeat: int, track: EmotionTrack) -> None:
    print(f"\nSpeed: seconds of compute per second of audio (median of {repeat} runs)")
    head = (
        f"{'clip':22s} {'dur s':>6s} {'T wall':>7s} {'T cpu':>7s} {'noT wall':>8s} {'noT cpu':>8s}"
    )
    print(head)
    print("-" * len(head))
    tot = {"d": 0.0, "tw": 0.0, "tc": 0.0, "nw": 0.0, "nc": 0.0}
    worst = 0.0
    for c in clips:
        audio = AudioClip.load(c.audio)
        d = audio.duration
        tw, tc, _ = _timed(gen, GenerationRequest(audio, track, c.transcript), repeat)
        nw, nc, _ = _timed(gen, GenerationRequest(audio, track, None), repeat)
        worst = max(worst, tw / d)
        for k, v in (("d", d), ("tw", tw), ("tc", tc), ("nw", nw), ("nc", nc)):
            tot[k] += v
        print(f"{c.name:22s} {d:6.2f} {tw / d:7.3f} {tc / d:7.3f} {nw / d:8.3f} {nc / d:8.3f}")
    print("-" * len(head))
    d = tot["d"]
    print(
        f"{'all (total/total)':22s} {d:6.1f} {tot['tw'] / d:7.3f} {tot['tc'] / d:7.3f} "
        f"{tot['nw'] / d:8.3f} {tot['nc'] / d:8.3f}"
    )
    print(f"worst clip with transcript: {worst:.3f} s/s (target <= 0.150)")


def _accuracy(gen: RigGenerator, clips: list[Clip], title: str) -> None:
    print(f"\nLip-sync timing vs {title}")
    head = (
        f"{'clip':16s} {'words ms':>9s} {'w<=50ms':>8s} {'phones ms':>10s} {'p<=50ms':>8s} "
        f"{'vis acc T':>9s} {'vis acc noT':>11s}"
    )
    print(head)
    print("-" * len(head))
    all_w: list[np.ndarray] = []
    all_p: list[np.ndarray] = []
    vis_t: list[float] = []
    vis_n: list[float] = []
    for c in clips:
        audio = AudioClip.load(c.audio)
        request = GenerationRequest(audio, transcript=c.transcript)
        analysis = gen.analyse(request)
        take = gen.map(analysis, request)
        we = boundary_errors(_words(analysis), c.words, phones=False)
        ws = we.summary()
        all_w.append(np.concatenate([we.starts, we.ends]))
        pm = p50 = vt = vn = None
        if c.phones:
            pe = boundary_errors(_segments(take), c.phones, phones=True)
            ps = pe.summary()
            all_p.append(np.concatenate([pe.starts, pe.ends]))
            pm, p50 = ps.get("mean_ms"), ps.get("within_50ms")
            vt = viseme_frame_accuracy(_segments(take), c.phones)
            free = gen.generate(
                GenerationRequest(audio), progress=NullProgress(), cancel=CancelToken()
            )
            vn = viseme_frame_accuracy(_segments(free), c.phones)
            vis_t.append(vt)
            vis_n.append(vn)
        print(
            f"{c.name:16s} {_fmt(ws.get('mean_ms'), '9.1f')} {_fmt(ws.get('within_50ms'), '8.2f')} "
            f"{_fmt(pm, '10.1f')} {_fmt(p50, '8.2f')} {_fmt(vt, '9.2f')} {_fmt(vn, '11.2f')}"
        )
    print("-" * len(head))
    w = np.concatenate(all_w) if all_w else np.zeros(0)
    p = np.concatenate(all_p) if all_p else np.zeros(0)

    def summ(x: np.ndarray) -> str:
        if not x.size:
            return "-"
        return (
            f"mean {1000 * x.mean():.1f} ms, median {1000 * np.median(x):.1f} ms, "
            f"<=50 ms {np.mean(x <= 0.05):.0%}, <=100 ms {np.mean(x <= 0.1):.0%}"
        )

    print(f"word boundaries:  {summ(w)}")
    print(f"phone boundaries: {summ(p)}")
    if vis_t:
        print(
            f"viseme frame accuracy: {np.mean(vis_t):.2f} with transcript, "
            f"{np.mean(vis_n):.2f} without"
        )


def main() -> None:
    """Run the benchmark and print the tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per clip (median)")
    ap.add_argument("--no-espeak", action="store_true", help="skip the eSpeak NG synthetic set")
    ap.add_argument("--only", nargs="*", help="only clips whose name contains one of these")
    args = ap.parse_args()

    def keep(clips: list[Clip]) -> list[Clip]:
        if not args.only:
            return clips
        return [c for c in clips if any(o in c.name for o in args.only)]

    refs = keep(reference_clips())
    speech = keep(transcribed_clips())
    if not refs and not speech:
        sys.exit("no evaluation clips found (expected ../shared/evaldata next to the repo)")
    gen = RigGenerator()
    track = EmotionTrack.constant("calm but focused", parse_prompt("calm but focused"))

    # Warm-up: decoders, imports (scipy.signal for resampling), emotion tables.
    for c in (speech + refs)[:1] + [c for c in speech if c.name == "jfk"][:1]:
        audio = AudioClip.load(c.audio)
        for t in (c.transcript, None):
            gen.generate(GenerationRequest(audio, track, t), progress=NullProgress(),
                         cancel=CancelToken())  # fmt: skip

    _speed(gen, speech + [c for c in refs if c.name not in ("bobby", "mary")], args.repeat, track)
    _accuracy(gen, refs, "reference alignments (MFA / praatIO, 10 ms grid)")
    if not args.no_espeak:
        if espeak_available():
            with tempfile.TemporaryDirectory() as tmp:
                _accuracy(gen, keep(espeak_clips(Path(tmp))), "eSpeak NG exact phone timings")
        else:
            print(f"\n({espeak_missing()})")


if __name__ == "__main__":
    main()
