"""Benchmark of the alignment of long clips: speed, word timing and fallbacks, before and after
splitting at pauses.

Usage::

    .venv/bin/python bench/bench_long_alignment.py [--repeat 1] [--short]

The long clip joins twelve evaluation clips (``bench/long_clip.py``: 2 min 39 s, three parts
with reference word timings from the Montreal Forced Aligner test corpus; ``--short`` uses the
60 s clip of the tests). Each row runs the whole rig generation with the transcript
(``RigGenerator.analyse`` then ``map``, which is what ``generate()`` does) after a warm-up, and
reports seconds of compute per second of audio, the stretches the clip was aligned in and how
many fell back to phone recognition, and the word boundary errors against the reference, part
by part (the part whose transcript is wrong is left out). "one utterance" rows align the whole
clip at once, as clips of up to 30 s still are (the code before splitting existed).

Rows: the right transcript; one part's transcript replaced by an unrelated sentence (its stretch
must fall back, the rest stay aligned); the right transcript with a cough-like noise burst laid
over a pause.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import generators.rig.lipsync as lipsync  # noqa: E402
from bench.long_clip import (  # noqa: E402
    FULL_ORDER,
    SHORT_ORDER,
    LongClip,
    build_long_clip,
    part_errors,
)
from generators.base import GenerationRequest  # noqa: E402
from generators.errors import TranscriptError  # noqa: E402
from generators.rig.generator import RigAnalysis, RigGenerator  # noqa: E402
from generators.rig.voice_activity import SINGLE_UTTERANCE_MAX_S  # noqa: E402


def _run(clip: LongClip, repeat: int, *, split: bool) -> tuple[float, float, RigAnalysis | str]:
    """Median wall and CPU seconds per second of audio, and the analysis (or the error)."""
    lipsync.SINGLE_UTTERANCE_MAX_S = SINGLE_UTTERANCE_MAX_S if split else float("inf")
    gen = RigGenerator()
    req = GenerationRequest(clip.audio, transcript=clip.transcript)
    walls, cpus = [], []
    out: RigAnalysis | str = ""
    try:
        for _ in range(repeat):
            w0, c0 = time.perf_counter(), time.process_time()
            try:
                out = gen.analyse(req)
                gen.map(out, req)
            except TranscriptError as exc:
                out = f"TranscriptError: {exc}"
            walls.append(time.perf_counter() - w0)
            cpus.append(time.process_time() - c0)
    finally:
        lipsync.SINGLE_UTTERANCE_MAX_S = SINGLE_UTTERANCE_MAX_S
    d = clip.audio.duration
    return statistics.median(walls) / d, statistics.median(cpus) / d, out


def _row(label: str, clip: LongClip, repeat: int, split: bool) -> str:
    wall, cpu, out = _run(clip, repeat, split=split)
    head = f"| {label} | {clip.audio.duration:.1f} |"
    if isinstance(out, str):
        return f"{head} - | - | {wall:.3f} | {cpu:.3f} | - | - | - | {out} |"
    diag = out.speech.diagnostics
    chunks = diag.get("chunks") or []
    assert isinstance(chunks, list)
    n = len(chunks) or 1
    fell = sum(c["method"] != "forced-alignment" for c in chunks)
    words = [(w.word, w.start, w.end) for w in out.speech.words]
    s = part_errors(words, clip).summary()
    err = (
        f"{s['mean_ms']:.1f} | {s['median_ms']:.1f} | {s['within_50ms']:.0%}"
        if s.get("n")
        else "- | - | -"
    )
    how = diag.get("word_distribution", "one utterance")
    return (
        f"{head} {n} | {fell} | {wall:.3f} | {cpu:.3f} | {err} "
        f"| words given out by {how}; {s.get('matched', 0):.0%} of reference words matched"
        f"{_ratios(chunks)} |"
    )


def _ratios(chunks: list) -> str:
    """The transcript check's score ratios of the aligned stretches and of those that fell
    back (empty for one utterance)."""
    kept = [c["score_ratio"] for c in chunks if c["method"] == "forced-alignment"]
    fell = [c.get("score_ratio") for c in chunks if c["method"] != "forced-alignment"]
    if not kept:
        return ""
    out = f"; score ratio of the aligned stretches {min(kept):.2f}-{max(kept):.2f}"
    if fell:
        out += ", of those that fell back " + ", ".join(
            "-" if r is None else f"{r:.2f}" for r in fell
        )
    return out


def main() -> None:
    """Run the benchmark and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1, help="timed runs per row (median)")
    ap.add_argument("--short", action="store_true", help="the tests' 60 s clip instead")
    args = ap.parse_args()
    order = SHORT_ORDER if args.short else FULL_ORDER
    wrong = "Claire_anger"
    right = build_long_clip(order)
    corrupted = build_long_clip(order, corrupt=wrong)
    # The cough goes into the pause after "...that's the acoustic corpus" (13.9-14.9 s).
    cough = build_long_clip(order, cough_at=14.2)

    gen = RigGenerator()  # warm-up: decoders, imports
    warm = build_long_clip(("Mark_neutral",))
    gen.analyse(GenerationRequest(warm.audio, transcript=warm.transcript))
    _run(build_long_clip(order[:2]), 1, split=True)

    print(
        "| clip | s | stretches | fell back | wall s/s | cpu s/s | word err mean ms "
        "| median ms | <= 50 ms | notes |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    rows = [
        ("right transcript, one utterance (before)", right, False),
        ("right transcript, in stretches", right, True),
        (f"{wrong}'s words wrong, one utterance (before)", corrupted, False),
        (f"{wrong}'s words wrong, in stretches", corrupted, True),
        ("cough in a pause, one utterance (before)", cough, False),
        ("cough in a pause, in stretches", cough, True),
    ]
    for label, clip, split in rows:
        print(_row(label, clip, args.repeat, split), flush=True)


if __name__ == "__main__":
    main()
