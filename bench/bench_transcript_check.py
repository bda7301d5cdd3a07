"""Calibration benchmark of the transcript check: which transcripts it accepts, and on what.

Usage::

    .venv/bin/python bench/bench_transcript_check.py [--cases] [--espeak N]

The check (:mod:`generators.rig.transcript_alignment`) aligns the words, reads the aligned
path's fit off the same table of acoustic scores as free phone recognition of the same audio,
compares the two (the *ratio*, larger is worse) and measures how much loud audio the alignment
leaves as silence. This benchmark runs it
on transcripts that should pass and on ones that should not, built from the shared evaluation
clips (real speech) and the eSpeak set of :mod:`bench.bench_lipsync`:

* ``correct``: the exact transcript, the transcript with one word dropped, and with one word
  swapped for another (a typo a user would not want rejected);
* ``wrong``: another clip's transcript;
* ``foreign``: English transcripts on the German, French, Japanese and Mandarin clips;
* ``half``: the first half of the words only.

It prints, per kind, how many were accepted, the range of the ratio and of the fit per frame,
and the CPU time of the check per second of audio. ``--cases`` lists every case.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_lipsync import synthetic_clips  # noqa: E402
from bench.lipsync_reference import (  # noqa: E402
    EVALDATA,
    Clip,
    espeak_available,
    reference_clips,
    transcribed_clips,
)
from generators.audio import AudioClip  # noqa: E402
from generators.rig.energy import energy_envelope  # noqa: E402
from generators.rig.sphinx import pcm16  # noqa: E402
from generators.rig.text_normalise import normalise_transcript  # noqa: E402
from generators.rig.transcript_alignment import align_with_check  # noqa: E402
from generators.rig.voice_activity import SINGLE_UTTERANCE_MAX_S  # noqa: E402

KINDS = ("correct", "wrong", "foreign", "half")
_SWAP_WORD = "table"
_FOREIGN = (
    "sadtalker/deyu.wav",
    "sadtalker/fayu.wav",
    "sadtalker/japanese.wav",
    "nvidia_a2f/Claire_joy_mandarin.wav",
    "nvidia_a2f/Claire_outofbreath_mandarin.wav",
)


@dataclass
class Case:
    """One transcript on one clip."""

    kind: str
    clip: str
    variant: str
    audio: Path
    words: list[str]


@dataclass
class Outcome:
    """What the check said about a case."""

    case: Case
    accepted: bool
    reason: str
    score: float | None
    ratio: float | None
    untranscribed: float | None
    cpu: float
    duration: float


def _variants(words: list[str]) -> list[tuple[str, list[str]]]:
    mid = len(words) // 2
    out = [("exact", words)]
    if len(words) >= 4:
        out.append(("dropped", words[:mid] + words[mid + 1 :]))
        out.append(("swapped", words[:mid] + [_SWAP_WORD] + words[mid + 1 :]))
    return out


def build_cases(espeak: int) -> list[Case]:
    """The calibration cases (``espeak`` eSpeak clips join the real ones)."""
    real = [
        c
        for c in reference_clips() + transcribed_clips()
        if c.transcript and AudioClip.load(c.audio).duration <= SINGLE_UTTERANCE_MAX_S
    ]
    synthetic: list[Clip] = []
    if espeak and espeak_available():
        synthetic = synthetic_clips()[: 2 * espeak : 2]  # the first voice of each sentence
    clips = real + synthetic
    words = {c.name: normalise_transcript(c.transcript) for c in clips}
    cases: list[Case] = []
    for clip in clips:
        for variant, ws in _variants(words[clip.name]):
            cases.append(Case("correct", clip.name, variant, clip.audio, ws))
    for group in (real, synthetic):
        for i, clip in enumerate(group):
            other = next(
                (
                    group[(i + k) % len(group)]
                    for k in range(1, len(group))
                    if group[(i + k) % len(group)].transcript != clip.transcript
                ),
                None,
            )
            if other is not None:
                cases.append(
                    Case("wrong", clip.name, f"says {other.name}", clip.audio, words[other.name])
                )
            half = words[clip.name][: max(1, len(words[clip.name]) // 2)]
            cases.append(Case("half", clip.name, "first half", clip.audio, half))
    english = [c for c in real if len(words[c.name]) >= 6][:5]
    for rel in _FOREIGN:
        path = EVALDATA / "speech" / rel
        if path.exists():
            for source in english:
                cases.append(
                    Case("foreign", path.stem, f"says {source.name}", path, words[source.name])
                )
    return cases


def run_case(case: Case) -> Outcome:
    """Run the check (alignment, scores, comparison) on one case."""
    audio = AudioClip.load(case.audio)
    pcm = pcm16(audio)
    envelope = energy_envelope(audio)
    t0 = time.process_time()
    checked = align_with_check(pcm, case.words, envelope)
    cpu = time.process_time() - t0
    return Outcome(
        case,
        checked.matches,
        checked.reason,
        checked.score,
        checked.ratio,
        checked.untranscribed,
        cpu,
        audio.duration,
    )


def _range(values: list[float]) -> str:
    finite = [v for v in values if v is not None and np.isfinite(v)]
    return f"{min(finite):.2f}..{max(finite):.2f}" if finite else "-"


def summarise(outcomes: list[Outcome]) -> None:
    """Print the per-kind table."""
    print(f"{'kind':8s} {'cases':>5s} {'accepted':>8s} {'ratio':>12s} {'score':>14s} {'s/s':>6s}")
    for kind in KINDS:
        rows = [o for o in outcomes if o.case.kind == kind]
        if not rows:
            continue
        accepted = sum(o.accepted for o in rows)
        cpu = sum(o.cpu for o in rows) / sum(o.duration for o in rows)
        print(
            f"{kind:8s} {len(rows):5d} {accepted:8d} {_range([o.ratio for o in rows]):>12s} "
            f"{_range([o.score for o in rows]):>14s} {cpu:6.3f}"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", action="store_true", help="list every case")
    parser.add_argument("--espeak", type=int, default=16, help="eSpeak clips (0: real only)")
    args = parser.parse_args(argv)
    cases = build_cases(args.espeak)
    if not cases:
        print("no evaluation clips found (set AFFECT_SHARED_DIR)")
        return 1
    outcomes = [run_case(c) for c in cases]
    if args.cases:
        for o in outcomes:
            ratio = "-" if o.ratio is None else f"{o.ratio:.2f}"
            score = "-" if o.score is None else f"{o.score:.1f}"
            print(
                f"{o.case.kind:8s} {o.case.clip:28s} {o.case.variant:28s} "
                f"{'ok ' if o.accepted else 'NO '} score {score:>7s} ratio {ratio:>5s} "
                f"{o.reason}"
            )
        print()
    summarise(outcomes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
