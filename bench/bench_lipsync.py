"""Lip-sync benchmark: the rig generator's exports against true phone timings.

Usage::

    .venv/bin/python bench/bench_lipsync.py [--sets real synthetic] [--only NAME ...]
                                            [--fps 30] [--no-table] [--avatar FILE]

Two sets, each with and without the transcript:

* ``real``: real speech with phone-level alignments (Montreal Forced Aligner and praatIO test
  clips in ``../shared/evaldata/alignment``; automatic alignments on a 10 ms grid, moved onto
  the analysis frames' centres like the studio's own timings, see :func:`real_clips`);
* ``synthetic``: eSpeak NG speech whose phone timings are exact
  (``../shared/tools/espeak_truth.py``): :data:`SENTENCES` (44) in two voices at two speaking
  rates, synthesised once into ``.cache/lipsync-espeak/`` (git-ignored).

For every clip and mode, the take is made by ``RigGenerator.generate()`` (timed: seconds of
compute per second of audio), exported through the exporter registry as curves ``.json``
(Audio2Face layout) and ``.rhubarb.json``, and the files are read back to score:

* bilabial closure hit rate: share of true p/b/m whose interval (+-20 ms) contains lip contact,
  measured as the lip gap on the deformed mesh of the default avatar (:class:`LipGauge`);
* closure timing error: mean |contact onset - phone start| in ms over the hits whose closure
  starts from a speech sound (after a pause, labelled or a gap between reference phones, or
  after another p/b/m the lips are already shut);
* viseme frame accuracy (15 Oculus visemes, 10 ms frames with speech in either timeline);
* openness r: Pearson r between the lip gap and the true phone's openness class;
* Rhubarb-shape frame accuracy of the mouth cues against Rhubarb's rules for the true phones.

Overall rows pool the clips: hits over all bilabials, onset error over all hits, accuracies
weighted by clip length, r averaged over clips, compute summed over audio.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.lipsync_metrics import (  # noqa: E402
    CONTACT_MM,
    LipGauge,
    closure_scores,
    openness_correlation,
    read_exports,
    rhubarb_accuracy,
    viseme_accuracy,
)
from bench.lipsync_reference import (  # noqa: E402
    ESPEAK_SENTENCES,
    Clip,
    espeak_clip,
    espeak_missing,
    reference_clips,
)
from generators.audio import AudioClip  # noqa: E402
from generators.base import GenerationRequest  # noqa: E402
from generators.errors import GeneratorError  # noqa: E402
from generators.progress import CancelToken, NullProgress  # noqa: E402
from generators.rig.generator import RigGenerator  # noqa: E402
from generators.rig.lipsync import FRAME_CENTRE_S  # noqa: E402
from renderers.loaders import default_avatar, load_avatar  # noqa: E402
from studio.exporters.base import exporter_for  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / ".cache" / "lipsync-espeak"

SENTENCES: tuple[str, ...] = (
    # The 30 sentences of espeak_truth.py's own set ...
    "The birch canoe slid on the smooth planks.",
    "Please pass me the blue paper bag, Bob.",
    "Five wives wove fine woolen vests.",
    "She sells sea shells by the sea shore.",
    "Thick thistles threaten the thirsty thatch.",
    "Judge Jones enjoyed the jazz in June.",
    "Why would you wait until the very last minute?",
    "Oh no! I can't believe we actually won!",
    "Stop. Wait. Look, then listen carefully.",
    "My mother made marmalade, muffins, and meatballs.",
    "The quick brown fox jumps over the lazy dog.",
    "Each evening, eagles echo across the empty valley.",
    "I am so sorry, I never meant to hurt you.",
    "Get out of my room right now, and shut the door!",
    "Could you possibly open the window a little?",
    "Ruth usually chooses the smooth blue shoes.",
    "Ahoy! Are you aware how far the harbor is?",
    "One, two, three, four, five, six, seven, eight, nine, ten.",
    "Peter Piper picked a peck of pickled peppers.",
    "Cheerful children chased the chattering chipmunks.",
    "We will meet at half past seven on Wednesday, the twelfth of May.",
    "Yes, yes, yes! That is exactly what I wanted.",
    "Hmm, I am not entirely sure that this is a good idea.",
    "Vivid violet vines covered the old village wall.",
    "Good morning everyone, and welcome to the show.",
    "The zebra's zigzag stripes amazed the zookeeper.",
    "Unfortunately, the bus was late again, so we walked home in the rain.",
    "Whoa, look at the size of that enormous wave!",
    "Laura loves lemon lollipops and lilac lanterns.",
    "Breathe in slowly, hold it, and then breathe out.",
    # ... and fourteen more: game and film lines, numbers, names, fast bilabial runs.
    "Drop your weapon and put your hands where I can see them.",
    "The map shows a path past the bamboo bridge to the mountain temple.",
    "Remember me when the embers of this empire burn out.",
    "Maybe tomorrow, maybe never; but probably by Monday.",
    "Bring the big brown box back before bedtime, Bobby.",
    "I promise you, nobody will ever find the treasure.",
    "Captain, the engines are failing and the shields are down to twelve percent.",
    "Welcome back, hero. The market opens at dawn.",
    "Humble bumblebees mumble in the summer meadow.",
    "Do you really think they will let us go home?",
    "Operation Blue Moon begins at nine hundred hours.",
    "The museum's impressive marble columns were built in nineteen twenty-nine.",
    "Please, please, please, just this one time!",
    "Jump, Mike! The bomb's about to blow up the whole damn building!",
)
"""Benchmark sentences (44); the first eight are also :data:`ESPEAK_SENTENCES`."""

VOICES: dict[str, tuple[str, int]] = {
    "m175": ("en-us", 175),  # the default male voice at its normal rate
    "f140": ("en-us+f3", 140),  # a female variant, slower
}
"""Synthetic voice configurations: name -> (eSpeak voice, words per minute)."""

assert set(ESPEAK_SENTENCES) <= set(SENTENCES)


# ----------------------------------------------------------------------------- clips


def synthetic_clips(sentences: tuple[str, ...] = SENTENCES) -> list[Clip]:
    """The eSpeak set, synthesised into :data:`CACHE` on first use."""
    clips = []
    for i, text in enumerate(sentences):
        for tag, (voice, rate) in VOICES.items():
            key = hashlib.sha256(f"{text}|{voice}|{rate}".encode()).hexdigest()[:10]
            folder = CACHE / key
            name = f"s{i + 1:02d}_{tag}"
            done = folder / "clip.json"
            if done.exists():
                meta = json.loads(done.read_text(encoding="utf-8"))
                clips.append(
                    Clip(
                        name,
                        folder / f"{name}.wav",
                        text,
                        [tuple(w) for w in meta["words"]],
                        [tuple(p) for p in meta["phones"]],
                        "espeak",
                    )
                )
                continue
            folder.mkdir(parents=True, exist_ok=True)
            clip = espeak_clip(text, folder, name, voice=voice, rate=rate)
            done.write_text(json.dumps({"words": clip.words, "phones": clip.phones}))
            clips.append(clip)
    return clips


def real_clips(*, centred: bool = True) -> list[Clip]:
    """Real speech with phone-level reference alignments.

    The references come from HMM aligners (Montreal Forced Aligner, praatIO's examples) that
    time a phone from the start of its first analysis window, the convention the studio's own
    decoder corrects by :data:`~generators.rig.lipsync.FRAME_CENTRE_S` (it measured 12 ms
    early against exact timings). With ``centred`` (the default) the same correction is applied
    to the references, so both sides follow one convention; ``--raw-references`` turns it off.
    """
    clips = [c for c in reference_clips() if c.phones]
    if not centred:
        return clips
    for clip in clips:
        end = clip.phones[-1][2]
        clip.phones = [
            (
                p,
                s if s <= 0 else min(s + FRAME_CENTRE_S, end),
                e if e >= end else e + FRAME_CENTRE_S,
            )
            for p, s, e in clip.phones
        ]
    return clips


def evaluation_sets(
    names: list[str], only: list[str] | None = None, *, centred: bool = True
) -> dict[str, list[Clip]] | None:
    """The named sets (``"real"``, ``"synthetic"``), clips filtered by name.

    Returns ``None`` (after saying what to install) when the synthetic set is asked for and
    eSpeak NG is missing.
    """
    sets: dict[str, list[Clip]] = {}
    if "real" in names:
        sets["real"] = real_clips(centred=centred)
    if "synthetic" in names:
        missing = espeak_missing()
        if missing:
            print(missing)
            return None
        sets["synthetic"] = synthetic_clips()
    if only:
        sets = {k: [c for c in v if any(o in c.name for o in only)] for k, v in sets.items()}
    return sets


# ----------------------------------------------------------------------------- scoring


@dataclass
class Row:
    """One clip in one mode."""

    name: str
    mode: str
    duration: float
    compute: float
    bilabials: int
    hits: int
    onset_errors: list[float]
    viseme: float
    openness: float
    rhubarb: float
    method: str
    failed: str = ""


def score_clip(
    gen: RigGenerator, gauge: LipGauge, clip: Clip, transcript: bool, fps: float, out: Path
) -> Row:
    """Generate, export, read back and score one clip."""
    audio = AudioClip.load(clip.audio)
    request = GenerationRequest(audio, transcript=clip.transcript if transcript else None, fps=fps)
    mode = "T" if transcript else "noT"
    t0 = time.process_time()
    try:
        take = gen.generate(request, progress=NullProgress(), cancel=CancelToken())
    except GeneratorError as exc:
        nan = float("nan")
        total = sum(1 for p, _, _ in clip.phones if p.rstrip("012") in ("P", "B", "M"))
        return Row(clip.name, mode, audio.duration, 0.0, total, 0, [], nan, nan, nan, "", str(exc))
    compute = time.process_time() - t0
    curves, cues = out / f"{clip.name}.json", out / f"{clip.name}.rhubarb.json"
    for dest in (curves, cues):
        exporter_for(dest).export(take, None, dest, progress=NullProgress())  # type: ignore[arg-type]
    exported = read_exports(curves, cues)
    gap = gauge.gap_mm(exported.weights)
    closure = closure_scores(gap, exported.fps, clip.phones)
    return Row(
        clip.name,
        mode,
        audio.duration,
        compute,
        closure.total,
        closure.hits,
        closure.onset_errors,
        viseme_accuracy(exported.visemes, clip.phones),
        openness_correlation(gap, exported.fps, clip.phones),
        rhubarb_accuracy(exported.cues, clip.phones),
        take.visemes.method,
    )


def _f(x: float, spec: str) -> str:
    return "-" if x is None or not np.isfinite(x) else format(x, spec)


HEAD = (
    f"{'clip':18s} {'mode':4s} {'dur s':>6s} {'s/s':>6s} {'p/b/m hit':>10s} {'onset ms':>9s} "
    f"{'viseme':>7s} {'open r':>7s} {'rhubarb':>8s}"
)


def print_row(r: Row) -> None:
    """One table line."""
    if r.failed:
        print(f"{r.name:18s} {r.mode:4s} {r.duration:6.2f} FAILED: {r.failed}")
        return
    onset = 1000 * float(np.mean(r.onset_errors)) if r.onset_errors else float("nan")
    hit = f"{r.hits}/{r.bilabials}"
    print(
        f"{r.name:18s} {r.mode:4s} {r.duration:6.2f} {r.compute / r.duration:6.3f} {hit:>10s} "
        f"{_f(onset, '9.1f')} {_f(r.viseme, '7.3f')} {_f(r.openness, '7.3f')} "
        f"{_f(r.rhubarb, '8.3f')}"
    )


def summarise(rows: list[Row]) -> dict[str, float]:
    """Pooled figures of a set of rows (see the module docstring).

    A failed clip counts as missing all its bilabials; it is left out of the other figures and
    counted in ``failed``.
    """
    total = sum(r.bilabials for r in rows)
    failed = sum(1 for r in rows if r.failed)
    rows = [r for r in rows if not r.failed]
    dur = sum(r.duration for r in rows)
    onsets = [e for r in rows for e in r.onset_errors]
    r_values = [r.openness for r in rows if np.isfinite(r.openness)]
    return {
        "clips": len(rows) + failed,
        "failed": failed,
        "duration": dur,
        "compute_per_s": sum(r.compute for r in rows) / dur,
        "bilabials": total,
        "hit_rate": sum(r.hits for r in rows) / total if total else float("nan"),
        "onset_ms": 1000 * float(np.mean(onsets)) if onsets else float("nan"),
        "viseme": sum(r.viseme * r.duration for r in rows) / dur,
        "openness_r": float(np.mean(r_values)) if r_values else float("nan"),
        "rhubarb": sum(r.rhubarb * r.duration for r in rows) / dur,
    }


def print_summary(title: str, rows: list[Row]) -> dict[str, float]:
    """The overall line of a set and mode."""
    s = summarise(rows)
    print(
        f"{title:18s} {rows[0].mode:4s} {s['duration']:6.1f} {s['compute_per_s']:6.3f} "
        f"{s['hit_rate']:10.1%} {_f(s['onset_ms'], '9.1f')} {s['viseme']:7.3f} "
        f"{_f(s['openness_r'], '7.3f')} {s['rhubarb']:8.3f}"
        + (f"  ({s['failed']} of {s['clips']} clips failed)" if s["failed"] else "")
    )
    return s


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print per-clip tables and the overall table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="*", default=["real", "synthetic"])
    ap.add_argument("--only", nargs="*", help="only clips whose name contains one of these")
    ap.add_argument("--fps", type=float, default=30.0, help="curve frame rate (default 30)")
    ap.add_argument("--no-table", action="store_true", help="print only the overall table")
    ap.add_argument("--avatar", help="measure lip contact on this avatar instead of the default")
    ap.add_argument("--json", help="also write the overall figures to this JSON file")
    ap.add_argument(
        "--raw-references",
        action="store_true",
        help="score the real set against the aligners' window-start times as published",
    )
    ap.add_argument(
        "--modes", nargs="*", default=["T", "noT"], help="T (transcript) and/or noT (without)"
    )
    args = ap.parse_args(argv)

    avatar = load_avatar(args.avatar) if args.avatar else default_avatar()
    gauge = LipGauge(avatar)
    sets = evaluation_sets(args.sets, args.only, centred=not args.raw_references)
    if sets is None:
        return 2
    gen = RigGenerator()
    warm = next(c for v in sets.values() for c in v)
    with tempfile.TemporaryDirectory() as tmp:
        for transcript in (True, False):  # warm-up: decoders, imports
            score_clip(gen, gauge, warm, transcript, args.fps, Path(tmp))
        results: dict[tuple[str, str], list[Row]] = {}
        for set_name, clips in sets.items():
            if not args.no_table:
                print(f"\n{set_name}: {len(clips)} clips, {args.fps:g} fps")
                print(HEAD)
                print("-" * len(HEAD))
            for clip in clips:
                for transcript in [m == "T" for m in args.modes]:
                    row = score_clip(gen, gauge, clip, transcript, args.fps, Path(tmp))
                    results.setdefault((set_name, row.mode), []).append(row)
                    if not args.no_table:
                        print_row(row)
    print(
        f"\nOverall (lip contact: gap <= {CONTACT_MM:g} mm over the middle {gauge.seam_pairs} "
        f"seam pairs of {avatar.name!r}; onset error over hits)"
    )
    print(HEAD.replace("clip", "set "))
    print("-" * len(HEAD))
    figures = {}
    for (set_name, mode), rows in results.items():
        figures[f"{set_name}/{mode}"] = print_summary(set_name, rows)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
