"""Benchmark: does the emotion engine understand free-text prompts? Accuracy per category, speed.

Reads ``bench/emotion_prompts.tsv`` (160 prompts in eight categories: basic words, open
vocabulary, intensity words, negation, display rules, mixtures, regional prompts, situations),
each with the dominant basic emotion and the signs of valence and arousal a reader expects, and,
where the prompt decides what each half of the face shows, the upper and lower faces' dominant
emotions. ``?`` marks a field that is genuinely ambiguous; it is not scored. A mix of equal
partners ("happy and surprised") has no single dominant emotion: its expected dominant is written
``happiness+surprise`` and scores when each holds at least 20 % of the mixture.

``--prompts bench/emotion_prompts_heldout.tsv`` scores the held-out set instead: 100 prompts
(idioms, rare words, situations, mixed) written without looking at the engine.

Prints one row per category: prompts, dominant-emotion accuracy, valence-sign and arousal-sign
accuracy, region accuracy, and the median/max time per prompt; then the overall row, the model
load times, and (with ``--misses``) every prompt that missed.

Signs: a value above ``+SIGN_BAND`` is ``+``, below ``-SIGN_BAND`` is ``-``, else ``0``.

Usage::

    python bench/bench_emotion.py [--prompts TSV] [--misses] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PROMPTS = Path(__file__).with_name("emotion_prompts.tsv")
SIGN_BAND = 0.1
MIX_SHARE = 0.2


@dataclass
class Case:
    """One prompt and what it should mean."""

    category: str
    prompt: str
    dominant: str
    valence: str
    arousal: str
    upper: str = "?"
    lower: str = "?"


@dataclass
class Outcome:
    """What the engine made of one prompt."""

    case: Case
    seconds: float
    dominant: str = "error"
    valence: str = "error"
    arousal: str = "error"
    upper: str = "error"
    lower: str = "error"
    notes: list[str] = field(default_factory=list)

    families: dict[str, float] = field(default_factory=dict)

    def hits(self, name: str) -> bool | None:
        """Whether one field matches (``None``: not scored).

        An expected dominant written ``a+b`` (a mix of equal partners) asks instead that each
        named emotion hold at least :data:`MIX_SHARE` of the mixture.
        """
        want = getattr(self.case, name)
        if want == "?":
            return None
        if name == "dominant" and "+" in want:
            total = sum(self.families.values()) or 1.0
            return all(self.families.get(f, 0.0) / total >= MIX_SHARE for f in want.split("+"))
        return getattr(self, name) == want


def read_cases(path: Path = PROMPTS) -> list[Case]:
    """The prompt set (comment lines start with ``#``)."""
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t") + ["?"] * 7
        cases.append(Case(*(c.strip() or "?" for c in cols[:7])))
    return cases


def _sign(x: float) -> str:
    return "+" if x > SIGN_BAND else "-" if x < -SIGN_BAND else "0"


def run_case(case: Case) -> Outcome:
    """Parse one prompt and read off the scored fields."""
    from generators.emotion.parse import parse_prompt
    from generators.emotion.table import get_emotion_table
    from generators.errors import PromptError

    table = get_emotion_table()
    t0 = time.perf_counter()
    try:
        state = parse_prompt(case.prompt)
    except PromptError as exc:
        return Outcome(case, time.perf_counter() - t0, notes=[str(exc)])
    seconds = time.perf_counter() - t0
    return Outcome(
        case,
        seconds,
        dominant=table.dominant_family(state.mixture),
        valence=_sign(state.valence),
        arousal=_sign(state.arousal),
        upper=table.dominant_family(state.shown_by("upper").mixture),
        lower=table.dominant_family(state.shown_by("lower").mixture),
        notes=list(state.notes),
        families=table.family_weights(state.mixture),
    )


def _rate(outcomes: list[Outcome], fields: tuple[str, ...]) -> tuple[int, int]:
    scored = [o.hits(f) for o in outcomes for f in fields]
    scored = [s for s in scored if s is not None]
    return sum(scored), len(scored)


def _cell(hit: int, n: int) -> str:
    return f"{100 * hit / n:5.1f}% ({hit}/{n})" if n else "-"


def summarise(outcomes: list[Outcome]) -> list[dict[str, object]]:
    """One row per category and an overall row."""
    rows = []
    categories = list(dict.fromkeys(o.case.category for o in outcomes))
    for cat in [*categories, "overall"]:
        sel = [o for o in outcomes if cat == "overall" or o.case.category == cat]
        times = [o.seconds * 1000 for o in sel]
        row: dict[str, object] = {"category": cat, "prompts": len(sel)}
        for name, fields in (
            ("dominant", ("dominant",)),
            ("valence", ("valence",)),
            ("arousal", ("arousal",)),
            ("regions", ("upper", "lower")),
        ):
            row[name] = _rate(sel, fields)
        row["median_ms"] = statistics.median(times)
        row["max_ms"] = max(times)
        rows.append(row)
    return rows


def print_table(rows: list[dict[str, object]]) -> None:
    """The per-category table."""
    head = f"{'category':16s} {'n':>4s}  {'dominant':>15s}  {'valence sign':>15s}  "
    head += f"{'arousal sign':>15s}  {'regions':>15s}  {'median ms':>9s}  {'max ms':>7s}"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['category']:16s} {r['prompts']:4d}  {_cell(*r['dominant']):>15s}  "
            f"{_cell(*r['valence']):>15s}  {_cell(*r['arousal']):>15s}  "
            f"{_cell(*r['regions']):>15s}  {r['median_ms']:9.2f}  {r['max_ms']:7.1f}"
        )


def measure_load() -> dict[str, float]:
    """Seconds to load the lexicon and table, the sentence encoder, and the known words'
    embeddings (from the on-disk cache when it is warm; a cold cache is built here)."""
    from generators.emotion.lexicon import get_lexicon
    from generators.emotion.open_vocabulary import vocabulary_size
    from generators.emotion.text_encoder import encoder_available, get_encoder

    out: dict[str, float] = {}
    t0 = time.perf_counter()
    get_lexicon()
    out["lexicon_s"] = time.perf_counter() - t0
    if not encoder_available():
        return out
    t0 = time.perf_counter()
    get_encoder()
    out["encoder_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    vocabulary_size()
    out["vocabulary_s"] = time.perf_counter() - t0
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompts", metavar="TSV", type=Path, default=PROMPTS,
                    help="prompt set to score (default: emotion_prompts.tsv; "
                    "emotion_prompts_heldout.tsv is the held-out set)")
    ap.add_argument("--misses", action="store_true", help="list every prompt that missed")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("--cold-cache", action="store_true",
                    help="measure the load with an empty embedding cache (a first run)")
    args = ap.parse_args(argv)
    if args.cold_cache:
        import os
        import tempfile

        os.environ["AFFECT_STUDIO_CACHE"] = tempfile.mkdtemp(prefix="emotion-cache-")

    load = measure_load()
    cases = read_cases(args.prompts)
    outcomes = [run_case(c) for c in cases]
    rows = summarise(outcomes)
    print(f"Emotion prompts: {len(cases)} from {args.prompts.name}\n")
    print_table(rows)
    print()
    for k, v in load.items():
        print(f"load {k[:-2]:10s} {v:6.3f} s")
    if "encoder_s" in load:
        print(f"load total   {sum(load.values()):6.3f} s (lexicon + encoder + known words)")
    by_meaning = [o.seconds * 1000 for o in outcomes if any("by meaning" in n for n in o.notes)]
    rules = [o.seconds * 1000 for o in outcomes if not any("by meaning" in n for n in o.notes)]
    for label, ms in (("rules only", rules), ("read by meaning", by_meaning)):
        if ms:
            ms.sort()
            p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
            print(f"per prompt, {label:16s} n={len(ms):3d}  median {statistics.median(ms):7.2f} ms"
                  f"  p95 {p95:7.2f} ms  max {ms[-1]:7.2f} ms")
    if args.misses:
        print("\nmisses (field: got / expected):")
        for o in outcomes:
            fields = ("dominant", "valence", "arousal", "upper", "lower")
            bad = [f for f in fields if o.hits(f) is False]
            if bad:
                what = ", ".join(f"{f}: {getattr(o, f)}/{getattr(o.case, f)}" for f in bad)
                print(f"  [{o.case.category}] {o.case.prompt!r}: {what}  {o.notes[:1]}")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "load": load}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
