"""Benchmark of arousal from prosody on labelled emotional speech.

Usage::

    .venv/bin/python bench/bench_voice_arousal.py [--repeat 3] [--phones] [--markdown]

For every clip of the shared evaluation set (``../shared/evaldata/speech``, never shipped) it
measures the prosody (:func:`generators.rig.prosody.prosody_track`) and the arousal
(:func:`generators.emotion.voice_arousal.arousal_from_prosody`) and prints one row:

* ``speaker``, ``label``: from the NVIDIA Audio2Face clips' names (Claire, Mark; anger, joy,
  neutral, sadness, out of breath); other clips are unlabelled (``-``), JFK is oratory;
* ``dBFS``: the clip's speaking level (depends on the recording gain, not used for arousal);
  ``tilt``: median alpha ratio of the voiced frames, dB (vocal effort);
* ``F0 med``, ``F0 p10``: median and 10th-percentile F0, Hz; ``range``: 10-90 % F0 spread over
  2 s windows, semitones; ``rate``: syllable nuclei per second of speech; ``attack``: onset rise,
  dB/s;
* ``arousal``, ``conf``: whole-clip arousal (-1..1) and confidence; ``curve sd``: how much the
  arousal curve moves within the clip;
* ``ok``: whether the clip's arousal has the expected sign (anger, joy, out of breath and the
  JFK oratory above 0, sadness below 0, neutral within +-0.3).

Then, per speaker, every pair of clips whose labels are ordered (anger/joy/out of breath above
neutral above sadness) is checked, and the share of correctly ordered pairs is printed (the
20 s sadness clip repeats the 5 s one and is left out of the pairs). Last, the CPU time per
second of audio: the F0 tracker alone, the whole prosody pass (envelope, F0, tilt, syllables,
windows) and the arousal estimate, medians over ``--repeat`` runs.

``--phones`` takes the syllable nuclei from the lip-sync analysis (forced alignment with the
inventory's transcript where there is one, else phone recognition or the acoustic pass), as the
rig generator would, instead of the acoustic syllable finder.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
from dataclasses import dataclass
from itertools import product
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generators.audio import AudioClip  # noqa: E402
from generators.emotion.voice_arousal import (  # noqa: E402
    VoiceArousal,
    arousal_from_prosody,
)
from generators.rig.energy import energy_envelope  # noqa: E402
from generators.rig.pitch import track_pitch  # noqa: E402
from generators.rig.prosody import ProsodyTrack, prosody_track  # noqa: E402
from generators.take import PhonemeSegment  # noqa: E402

SHARED = Path(
    os.environ.get("AFFECT_SHARED_DIR", Path(__file__).resolve().parents[1].parent / "shared")
)
EVALDATA = SHARED / "evaldata"
SPEECH = EVALDATA / "speech"

HIGH = ("anger", "joy", "outofbreath")
NEUTRAL_BAND = 0.3
_REPEAT_CLIP = "Claire_sadness_16khz_20_sec"


@dataclass
class Row:
    """One clip's measurements (see the module docstring)."""

    name: str
    speaker: str
    label: str
    duration: float
    track: ProsodyTrack
    result: VoiceArousal
    t_pitch: float
    t_prosody: float
    t_arousal: float

    @property
    def arousal(self) -> float:
        return self.result.summary.arousal

    @property
    def ok(self) -> bool | None:
        a = self.arousal
        if self.label in HIGH or self.label == "oratory":
            return a > 0.0
        if self.label == "sadness":
            return a < 0.0
        if self.label == "neutral":
            return abs(a) <= NEUTRAL_BAND
        return None


def _inventory() -> dict[str, dict[str, str]]:
    path = EVALDATA / "inventory.csv"
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as f:
        return {row["file"]: row for row in csv.DictReader(f)}


def _labels(path: Path) -> tuple[str, str]:
    stem = path.stem
    if path.parent.name == "nvidia_a2f":
        speaker, label = stem.split("_")[:2]
        return speaker, label
    if stem == "jfk":
        return "JFK", "oratory"
    return "-", "-"


def _phones(clip: AudioClip, transcript: str) -> list[PhonemeSegment]:
    from generators.rig.lipsync import analyse_speech

    text = transcript.strip() or None
    try:
        return analyse_speech(clip, text).phonemes
    except Exception:  # a transcript that does not fit: recognise phones instead
        return analyse_speech(clip, None).phonemes


def _timed(fn, repeat: int):  # type: ignore[no-untyped-def]
    times, out = [], None
    for _ in range(repeat + 1):  # the first run warms caches up and is not counted
        t0 = time.process_time()
        out = fn()
        times.append(time.process_time() - t0)
    return statistics.median(times[1:]), out


def measure(path: Path, repeat: int, phones: bool, inventory: dict[str, dict[str, str]]) -> Row:
    """Prosody, arousal and timings of one clip."""
    clip = AudioClip.load(path)
    speaker, label = _labels(path)
    rel = path.relative_to(EVALDATA).as_posix()
    phonemes = _phones(clip, inventory.get(rel, {}).get("transcript", "")) if phones else None
    t_pitch, pitch = _timed(lambda: track_pitch(clip), repeat)
    t_prosody, track = _timed(lambda: prosody_track(clip, energy_envelope(clip), phonemes), repeat)
    t_arousal, result = _timed(lambda: arousal_from_prosody(track), repeat)
    del pitch
    return Row(
        path.stem, speaker, label, clip.duration, track, result, t_pitch, t_prosody, t_arousal
    )


def _pairs(rows: list[Row]) -> tuple[int, int, list[str]]:
    """Correctly ordered pairs, pairs checked, and the wrong ones."""
    rank = {**dict.fromkeys(HIGH, 2), "neutral": 1, "sadness": 0}
    good = total = 0
    wrong: list[str] = []
    labelled = [r for r in rows if r.label in rank and r.name != _REPEAT_CLIP]
    for a, b in product(labelled, labelled):
        if a.speaker != b.speaker or rank[a.label] <= rank[b.label]:
            continue
        total += 1
        if a.arousal > b.arousal:
            good += 1
        else:
            wrong.append(f"{a.name} ({a.arousal:+.2f}) <= {b.name} ({b.arousal:+.2f})")
    return good, total, wrong


def _table(rows: list[Row], markdown: bool) -> None:
    head = [
        "clip", "speaker", "label", "dur s", "dBFS", "tilt dB", "F0 med", "F0 p10", "range st",
        "rate", "attack", "arousal", "conf", "curve sd", "ok",
    ]  # fmt: skip
    lines = []
    for r in rows:
        s = r.track.summary
        ok = "-" if r.ok is None else ("yes" if r.ok else "NO")
        lines.append([
            r.name, r.speaker, r.label, f"{r.duration:.1f}", f"{s.speech_level_dbfs:.1f}",
            f"{s.effort_db:.1f}", f"{s.f0_median_hz:.0f}", f"{s.f0_low_hz:.0f}",
            f"{s.pitch_range_st:.1f}", f"{s.rate:.2f}", f"{s.attack_db_s:.0f}",
            f"{r.arousal:+.2f}", f"{r.result.summary.confidence:.2f}",
            f"{float(np.std(r.result.arousal)):.2f}", ok,
        ])  # fmt: skip
    if markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for line in lines:
            print("| " + " | ".join(line) + " |")
        return
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(head)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    for line in lines:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)))


def main() -> None:
    """Run the benchmark and print the tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per clip (median)")
    ap.add_argument("--phones", action="store_true", help="syllables from the lip-sync phones")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = ap.parse_args()
    if not SPEECH.is_dir():
        sys.exit(f"no evaluation clips found at {SPEECH} (set AFFECT_SHARED_DIR)")
    inventory = _inventory()
    paths = sorted(p for p in SPEECH.glob("*/*") if p.suffix in {".wav", ".flac"})
    # Labelled clips first, grouped by speaker.
    paths.sort(key=lambda p: (p.parent.name != "nvidia_a2f", _labels(p)[0], p.stem))
    rows = [measure(p, args.repeat, args.phones, inventory) for p in paths]
    _table(rows, args.markdown)

    print()
    good, total, wrong = _pairs(rows)
    signs = [r.ok for r in rows if r.ok is not None]
    for speaker in sorted({r.speaker for r in rows if r.label in HIGH}):
        g, t, _ = _pairs([r for r in rows if r.speaker == speaker])
        print(f"{speaker}: {g}/{t} pairs ordered")
    print(f"ordering accuracy: {good}/{total} pairs = {good / max(total, 1):.0%}; "
          f"expected sign: {sum(signs)}/{len(signs)} clips")  # fmt: skip
    for w in wrong:
        print(f"  wrong: {w}")

    audio = sum(r.duration for r in rows)
    pitch = sum(r.t_pitch for r in rows) / audio
    prosody = sum(r.t_prosody for r in rows) / audio
    arousal = sum(r.t_arousal for r in rows) / audio
    print(
        f"\nCPU s per s of audio ({audio:.0f} s, median of {args.repeat}): F0 tracker "
        f"{pitch:.4f}; prosody pass incl. envelope and F0 {prosody:.4f}; arousal {arousal:.5f}; "
        f"total {prosody + arousal:.4f}"
    )


if __name__ == "__main__":
    main()
