"""Phone-level benchmark of lip sync without a transcript (no mesh, no export: fast).

Usage::

    .venv/bin/python bench/bench_phone_recognition.py [--sets real synthetic] [--only NAME ...]
                                                      [--table] [--closure-weights 1 2 3 4 5]

For each recogniser (``loop``: the phone loop's best path, :func:`recognise_phones`;
``posterior``: the viseme-posterior timeline the rig uses, :func:`recognise_lip_phones`; with
``--closure-weights``, also that timeline at other weights of the p/b/m viseme, see
``PosteriorSettings.closure_weight``) and each
set of :mod:`bench.bench_lipsync` (real speech with reference alignments, eSpeak speech with
exact timings), the phones are scored against the reference:

* p/b/m hit: share of true p/b/m whose interval (+-20 ms) overlaps a recognised p/b/m (every
  recognised p/b/m becomes a forced lip closure);
* false closures: recognised p/b/m segments that overlap no true p/b/m (+-20 ms);
* viseme frame accuracy (15 Oculus visemes, 10 ms frames with speech in either timeline);
* CPU seconds per second of audio of the recogniser.

The mesh benchmark (bench/bench_lipsync.py) also counts lip contact during recognised pauses as
a closure, so its hit rates are a few points higher.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_lipsync import evaluation_sets  # noqa: E402
from bench.lipsync_metrics import CLOSURE_SLACK_S, viseme_accuracy  # noqa: E402
from bench.lipsync_reference import Clip  # noqa: E402
from generators.audio import AudioClip  # noqa: E402
from generators.rig.phone_recognition import (  # noqa: E402
    LIP_POSTERIORS,
    recognise_lip_phones,
    recognise_phones,
)
from generators.rig.sphinx import pcm16  # noqa: E402
from generators.rig.visemes import phones_to_visemes  # noqa: E402
from generators.take import PhonemeSegment  # noqa: E402

Segment = tuple[str, float, float]

RECOGNISERS: dict[str, Callable[[bytes], list[PhonemeSegment]]] = {
    "loop": lambda pcm: recognise_phones(pcm).phones,
    "posterior": lambda pcm: recognise_lip_phones(pcm).phones,
}
"""Recognisers compared: name -> PCM -> phones."""

_BILABIAL = ("P", "B", "M")


def _base(label: str) -> str:
    return label.strip().upper().rstrip("012")


def _overlaps(seg: tuple[float, float], others: list[tuple[float, float]]) -> bool:
    s, e = seg
    return any(a < e + CLOSURE_SLACK_S and b > s - CLOSURE_SLACK_S for a, b in others)


@dataclass
class Score:
    """Figures of one clip (or, summed, of a set)."""

    bilabials: int = 0
    hits: int = 0
    closures: int = 0
    false_closures: int = 0
    viseme_frames: float = 0.0  # accuracy x duration
    duration: float = 0.0
    cpu: float = 0.0

    def add(self, other: Score) -> None:
        """Pool another score into this one."""
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def row(self, label: str) -> str:
        """One table line."""
        hit = self.hits / self.bilabials if self.bilabials else float("nan")
        false = self.false_closures / self.closures if self.closures else 0.0
        return (
            f"{label:28s} {self.duration:7.1f} {self.cpu / self.duration:6.3f} "
            f"{f'{self.hits}/{self.bilabials}':>8s} {hit:6.1%} "
            f"{f'{self.false_closures}/{self.closures}':>8s} {false:6.1%} "
            f"{self.viseme_frames / self.duration:7.3f}"
        )


HEAD = (
    f"{'set / recogniser':28s} {'dur s':>7s} {'s/s':>6s} {'p/b/m':>8s} {'hit':>6s} "
    f"{'false':>8s} {'false':>6s} {'viseme':>7s}"
)


def score_phones(phones: list[PhonemeSegment], reference: list[Segment]) -> Score:
    """Score recognised phones against reference phones (CPU time not filled in)."""
    true_b = [(s, e) for p, s, e in reference if _base(p) in _BILABIAL]
    hyp_b = [(p.start, p.end) for p in phones if p.phone in _BILABIAL]
    visemes = [(v.viseme, v.start, v.end) for v in phones_to_visemes(phones)]
    duration = max(e for _, _, e in reference)
    return Score(
        bilabials=len(true_b),
        hits=sum(_overlaps(b, hyp_b) for b in true_b),
        closures=len(hyp_b),
        false_closures=sum(not _overlaps(h, true_b) for h in hyp_b),
        viseme_frames=viseme_accuracy(visemes, reference) * duration,
        duration=duration,
    )


def score_clip(recognise: Callable[[bytes], list[PhonemeSegment]], clip: Clip) -> Score:
    """Recognise one clip and score it."""
    pcm = pcm16(AudioClip.load(clip.audio))
    t0 = time.process_time()
    phones = recognise(pcm)
    cpu = time.process_time() - t0
    score = score_phones(phones, list(clip.phones))
    score.cpu = cpu
    return score


def _with_closure_weight(weight: float) -> Callable[[bytes], list[PhonemeSegment]]:
    settings = replace(LIP_POSTERIORS, closure_weight=weight)
    return lambda pcm: recognise_lip_phones(pcm, settings=settings).phones


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="*", default=["real", "synthetic"])
    ap.add_argument("--only", nargs="*", help="only clips whose name contains one of these")
    ap.add_argument("--table", action="store_true", help="also print one line per clip")
    ap.add_argument(
        "--closure-weights",
        nargs="*",
        type=float,
        default=[],
        help="also score the posterior timeline at these weights of the p/b/m viseme",
    )
    args = ap.parse_args(argv)
    if any(not w > 0 for w in args.closure_weights):
        ap.error("closure weights must be positive")

    sets = evaluation_sets(args.sets, args.only)
    if sets is None:
        return 2
    recognisers = dict(RECOGNISERS)
    for weight in args.closure_weights:
        recognisers[f"posterior w={weight:g}"] = _with_closure_weight(weight)
    warm = next(c for v in sets.values() for c in v)
    for recognise in RECOGNISERS.values():  # decoders, caches
        score_clip(recognise, warm)
    print(HEAD)
    print("-" * len(HEAD))
    for set_name, clips in sets.items():
        for name, recognise in recognisers.items():
            total = Score()
            for clip in clips:
                s = score_clip(recognise, clip)
                if args.table:
                    print(s.row(f"  {clip.name} {name}"))
                total.add(s)
            print(total.row(f"{set_name} / {name}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
