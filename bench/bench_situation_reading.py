"""Benchmark: how well are described situations read? Ten-fold cross-validation.

Each fold holds out a tenth of the shipped situations (``assets/presets/situations.json``) and
reads them from the rest, two ways:

* nearest: the basic emotion (or none) and valence sign of the closest remaining situation, as
  the situation reader did before the linear reading;
* linear: the ridge-regression reading of :mod:`generators.emotion.situation_probe`, fitted on
  the remaining situations and the lexicon's words.

Prints the share of held-out situations whose basic emotion (neutral included) and sign of
valence each way gets right, for a few ridge penalties.

Usage::

    python bench/bench_situation_reading.py [--folds 10]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    from generators.emotion.open_vocabulary import get_vocabulary
    from generators.emotion.situation_probe import RIDGE, fit_probe
    known = get_vocabulary()
    x = known.situation_vectors
    families = known.situation_families
    valence = np.array([0.0 if flat else e.vad[0]
                        for e, flat in zip(known.situations, known.situation_neutral,
                                           strict=True)])
    emotional = ~np.asarray(known.situation_neutral, dtype=bool)
    order = np.random.default_rng(args.seed).permutation(len(x))
    folds = np.array_split(order, args.folds)

    print(f"{len(x)} situations ({int(emotional.sum())} emotional), {len(known.entries)} "
          f"lexicon words, {args.folds} folds\n")
    print(f"{'reading':18s} {'basic emotion':>14s} {'valence sign':>13s}")
    rows = [("nearest", None), *((f"linear, ridge {r:g}", r) for r in (1.0, RIDGE, 10.0))]
    for label, ridge in rows:
        right_family = right_sign = 0
        for held in folds:
            rest = np.setdiff1d(order, held)
            if ridge is None:
                nearest = rest[np.argmax(x[held] @ x[rest].T, axis=1)]
                got_family, got_valence = families[nearest], valence[nearest]
            else:
                probe = fit_probe(
                    np.vstack([x[rest], known.vectors]),
                    [*families[rest], *known.entry_families],
                    [e.vad for e in (*(known.situations[i] for i in rest), *known.entries)],
                    ridge=ridge,
                )
                reads = [probe.read(v) for v in x[held]]
                got_family = np.array([r[0] for r in reads])
                got_valence = np.array([r[1] for r in reads])
            right_family += int((got_family == families[held]).sum())
            mask = emotional[held]
            right_sign += int(((got_valence[mask] > 0) == (valence[held][mask] > 0)).sum())
        print(f"{label:18s} {right_family / len(x):13.1%} {right_sign / emotional.sum():12.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
