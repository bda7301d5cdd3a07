"""Benchmark of the language-independent lip sync (``language="other"``) on non-English speech.

Usage::

    .venv/bin/python bench/bench_acoustic_lipsync.py [--repeat 3] [--markdown]

For the German, French, Japanese and two Mandarin clips of the shared evaluation set, and a few
English clips as a contrast, it runs the rig generator with ``language="other"`` (and
``"auto"``, and ``"en"`` for comparison) and prints one row per clip:

* ``dur s``: clip length; ``cpu s/s``: seconds of compute of the ``"other"`` analysis per second
  of audio (median of ``--repeat`` runs, after a warm-up);
* ``auto``: the mode the ``"auto"`` setting chose (``en``: English phones, ``acoustic``) and its
  phone coverage (share of the voice the English recogniser labels as phones);
* ``syl/s``: syllable nuclei found per second of speech;
* ``r 30``, ``r 100``: Pearson correlation between the loudness envelope (RMS level in dB, 40 ms
  window, floored at the clip's noise floor) and the take's ``jawOpen`` curve, both sampled at
  the take's frame rate (30 fps, and a take made at 100 fps); ``r en``: the same at 30 fps with
  English phone recognition (``language="en"``), for comparison;
* ``closed``: of the silent frames (in pauses: runs of at least 0.15 s whose level stays within
  6 dB of the noise floor, the 5th percentile of the level), the share where the mouth is
  closed (``jawOpen`` < 0.1, closer than any vowel target), at 30 fps;
* ``jaw sp/sil``: mean ``jawOpen`` in speech frames (level 15 dB or more above the noise floor)
  and in the silent frames.

A second table checks the syllable nuclei against reference vowel timings: the Montreal Forced
Aligner and praatIO test alignments (real English speech) and, when eSpeak NG is installed,
synthetic German, French, Japanese and English sentences whose phone timings are exact. A
reference vowel is found when a nucleus lies within it (+-30 ms), one nucleus per vowel;
precision counts the nuclei within the reference's speech (+-0.3 s).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generators.audio import AudioClip  # noqa: E402
from generators.base import GenerationRequest  # noqa: E402
from generators.progress import CancelToken, NullProgress  # noqa: E402
from generators.rig.acoustic_lipsync import analyse_acoustics  # noqa: E402
from generators.rig.energy import EnergyEnvelope, energy_envelope  # noqa: E402
from generators.rig.generator import RigAnalysis, RigGenerator  # noqa: E402
from generators.take import Take  # noqa: E402
from renderers.arkit import ARKIT_INDEX  # noqa: E402

SHARED = Path(
    os.environ.get("AFFECT_SHARED_DIR", Path(__file__).resolve().parents[1].parent / "shared")
)
SPEECH = SHARED / "evaldata" / "speech"
ALIGNMENT = SHARED / "evaldata" / "alignment"
ESPEAK_TRUTH = SHARED / "tools" / "espeak_truth.py"

NON_ENGLISH: list[tuple[str, str]] = [
    ("German", "sadtalker/deyu.wav"),
    ("French", "sadtalker/fayu.wav"),
    ("Japanese", "sadtalker/japanese.wav"),
    ("Mandarin", "nvidia_a2f/Claire_joy_mandarin.wav"),
    ("Mandarin", "nvidia_a2f/Claire_outofbreath_mandarin.wav"),
]
ENGLISH: list[tuple[str, str]] = [
    ("English", "nvidia_a2f/Claire_neutral.wav"),
    ("English", "nvidia_a2f/Mark_joy.wav"),
    ("English", "whisper/jfk.flac"),
    ("English", "sadtalker/RD_Radio34_002.wav"),
]

SILENT_WITHIN_DB = 6.0
MIN_PAUSE_S = 0.15
SPEECH_ABOVE_DB = 15.0
CLOSED_BELOW = 0.1
_JAW = ARKIT_INDEX["jawOpen"]


@dataclass
class Row:
    """One clip's measurements (see the module docstring)."""

    language: str
    name: str
    duration: float
    cpu: float
    auto_mode: str
    coverage: float | None
    syllable_rate: float
    r30: float
    r100: float
    r_en: float
    closed: float
    closed_en: float
    pause_s: float
    jaw_speech: float
    jaw_silence: float


def _analyse(gen: RigGenerator, req: GenerationRequest) -> RigAnalysis:
    return gen.analyse(req, progress=NullProgress(), cancel=CancelToken())


def _take(gen: RigGenerator, analysis: RigAnalysis, req: GenerationRequest, fps: float) -> Take:
    req.fps = fps
    return gen.map(analysis, req, progress=NullProgress(), cancel=CancelToken())


def _levels(env: EnergyEnvelope, take: Take) -> tuple[np.ndarray, np.ndarray, float]:
    times = take.curves.times
    db = env.at(times)
    floor = float(np.percentile(env.db, 5))
    return np.maximum(db, floor), take.curves.weights[:, _JAW].astype(np.float64), floor


def correlation(env: EnergyEnvelope, take: Take) -> float:
    """Pearson r between the floored loudness envelope and ``jawOpen`` at the take's frames."""
    level, jaw, _ = _levels(env, take)
    if np.std(level) == 0 or np.std(jaw) == 0:
        return float("nan")
    return float(np.corrcoef(level, jaw)[0, 1])


def _pauses(quiet: np.ndarray, min_frames: int) -> np.ndarray:
    """Only the runs of ``quiet`` frames at least ``min_frames`` long."""
    out = np.zeros_like(quiet)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], quiet.astype(np.int8), [0]])))
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        if b - a >= min_frames:
            out[a:b] = True
    return out


def silence_stats(env: EnergyEnvelope, take: Take) -> tuple[float, float, float, float]:
    """(share of silent frames with the mouth closed, mean jaw in speech, mean jaw in silence,
    seconds of silence)."""
    level, jaw, floor = _levels(env, take)
    silent = _pauses(level < floor + SILENT_WITHIN_DB, round(MIN_PAUSE_S * take.curves.fps))
    speech = level >= floor + SPEECH_ABOVE_DB
    closed = float(np.mean(jaw[silent] < CLOSED_BELOW)) if silent.any() else float("nan")
    in_speech = float(jaw[speech].mean()) if speech.any() else float("nan")
    in_silence = float(jaw[silent].mean()) if silent.any() else float("nan")
    return closed, in_speech, in_silence, float(np.count_nonzero(silent)) / take.curves.fps


def measure(gen: RigGenerator, language: str, rel: str, repeat: int) -> Row:
    """Run the three language settings on one clip and measure the acoustic take."""
    clip = AudioClip.load(SPEECH / rel)
    env = energy_envelope(clip)
    req = GenerationRequest(clip, language="other")
    _analyse(gen, req)  # warm-up
    cpus = []
    analysis = None
    for _ in range(repeat):
        c0 = time.process_time()
        analysis = _analyse(gen, req)
        cpus.append(time.process_time() - c0)
    assert analysis is not None
    diag = analysis.speech.diagnostics
    take30 = _take(gen, analysis, GenerationRequest(clip, language="other"), 30.0)
    take100 = _take(gen, analysis, GenerationRequest(clip, language="other"), 100.0)
    auto = _analyse(gen, GenerationRequest(clip, language="auto")).speech.diagnostics
    en_req = GenerationRequest(clip, language="en")
    en_take = _take(gen, _analyse(gen, en_req), en_req, 30.0)
    closed, jaw_sp, jaw_sil, pause_s = silence_stats(env, take30)
    coverage = auto.get("english_coverage")
    return Row(
        language=language,
        name=Path(rel).stem,
        duration=clip.duration,
        cpu=statistics.median(cpus) / clip.duration,
        auto_mode=str(auto.get("language_mode", "?")),
        coverage=None if coverage is None else float(coverage),  # type: ignore[arg-type]
        syllable_rate=float(diag.get("syllable_rate", 0.0)),  # type: ignore[arg-type]
        r30=correlation(env, take30),
        r100=correlation(env, take100),
        r_en=correlation(env, en_take),
        closed=closed,
        closed_en=silence_stats(env, en_take)[0],
        pause_s=pause_s,
        jaw_speech=jaw_sp,
        jaw_silence=jaw_sil,
    )


HEADER = (
    "language",
    "clip",
    "dur s",
    "cpu s/s",
    "auto (coverage)",
    "syl/s",
    "r 30",
    "r 100",
    "r en",
    "pauses s",
    "closed",
    "closed en",
    "jaw sp/sil",
)


def _cells(row: Row) -> tuple[str, ...]:
    cov = "-" if row.coverage is None else f"{row.coverage:.2f}"
    return (
        row.language,
        row.name,
        f"{row.duration:.1f}",
        f"{row.cpu:.4f}",
        f"{row.auto_mode} ({cov})",
        f"{row.syllable_rate:.1f}",
        f"{row.r30:.2f}",
        f"{row.r100:.2f}",
        f"{row.r_en:.2f}",
        f"{row.pause_s:.1f}",
        _num(row.closed),
        _num(row.closed_en),
        f"{row.jaw_speech:.2f}/{_num(row.jaw_silence)}",
    )


def _num(x: float) -> str:
    return "-" if np.isnan(x) else f"{x:.2f}"


def print_table(rows: list[Row], markdown: bool) -> None:
    """Print the rows as aligned text or as a Markdown table."""
    cells = [HEADER, *(_cells(r) for r in rows)]
    if markdown:
        print("| " + " | ".join(HEADER) + " |")
        print("|" + "|".join("---" for _ in HEADER) + "|")
        for c in cells[1:]:
            print("| " + " | ".join(c) + " |")
        return
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADER))]
    for k, c in enumerate(cells):
        print("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)))
        if k == 0:
            print("  ".join("-" * w for w in widths))


# --------------------------------------------------------------------------- syllable nuclei

_VOWEL_START = set("aeiouyɑɐɒæɛəɜɪɔøœʊʌɯɤɨʉɵäAEIOU")

ESPEAK_SENTENCES: list[tuple[str, str]] = [
    (
        "de",
        "Guten Morgen, ich möchte heute mit dem Zug nach Berlin fahren, aber der Zug hat "
        "leider Verspätung.",
    ),
    (
        "de",
        "Die Kinder spielen im Garten, während die Eltern in der Küche das Abendessen vorbereiten.",
    ),
    ("fr", "Bonjour, je voudrais réserver une table pour deux personnes ce soir à huit heures."),
    ("fr", "Le petit chat dort sur le canapé pendant que la pluie tombe doucement dehors."),
    ("ja", "わたしは きのう ともだちと いっしょに えいがを みに いきました。"),
    ("ja", "あしたは あめが ふるかもしれないので かさを もって いきましょう。"),
    (
        "en-us",
        "The quick brown fox jumps over the lazy dog while the children watch from the window.",
    ),
    (
        "en-us+f3",
        "Please remember to bring your umbrella because it might rain later this afternoon.",
    ),
]


def _reference_vowels() -> list[tuple[str, Path, list[tuple[float, float]]]]:
    """(group, audio, vowel intervals) of the aligned real clips with a phone tier."""
    out = []
    for path in sorted(ALIGNMENT.glob("*/*.alignment.json")):
        tiers = json.loads(path.read_text(encoding="utf-8"))["tiers"]
        phones = tiers.get("phones") or tiers.get("phone")
        if not phones:
            continue
        base = str(path).removesuffix(".alignment.json")
        audio = next((Path(base + s) for s in (".wav", ".flac") if Path(base + s).exists()), None)
        vowels = [(p["start_s"], p["end_s"]) for p in phones if p["label"][:1] in _VOWEL_START]
        if audio is not None and vowels:
            out.append(("English (MFA, praatIO)", audio, vowels))
    return out


def _espeak_vowels(folder: Path) -> list[tuple[str, Path, list[tuple[float, float]]]]:
    """(group, audio, vowel intervals) of eSpeak NG sentences; empty without eSpeak."""
    out = []
    for i, (voice, text) in enumerate(ESPEAK_SENTENCES):
        prefix = folder / f"s{i}"
        try:
            subprocess.run(
                [sys.executable, str(ESPEAK_TRUTH), text, "-o", str(prefix), "--voice", voice],
                check=True,
                capture_output=True,
                timeout=120,
            )
        except (OSError, subprocess.SubprocessError):
            return []
        phones = json.loads(Path(f"{prefix}_phonemes.json").read_text(encoding="utf-8"))
        vowels = [(p["start_s"], p["end_s"]) for p in phones if p["ipa"][:1] in _VOWEL_START]
        out.append((f"eSpeak {voice.split('-')[0].split('+')[0]}", Path(f"{prefix}.wav"), vowels))
    return out


def nucleus_scores(vowels: list[tuple[float, float]], nuclei: list[float]) -> tuple[int, int]:
    """(reference vowels found, nuclei within the reference's speech)."""
    used: set[int] = set()
    for start, end in vowels:
        near = [
            i for i, t in enumerate(nuclei) if start - 0.03 <= t <= end + 0.03 and i not in used
        ]
        if near:
            used.add(min(near, key=lambda i: abs(nuclei[i] - 0.5 * (start + end))))
    lo, hi = vowels[0][0] - 0.3, vowels[-1][1] + 0.3
    return len(used), sum(lo <= t <= hi for t in nuclei)


def print_nuclei(folder: Path) -> None:
    """Recall and precision of the syllable nuclei per group of reference clips."""
    refs = _reference_vowels()
    if ESPEAK_TRUTH.exists():
        refs += _espeak_vowels(folder)
    totals: dict[str, list[int]] = {}
    for group, audio, vowels in refs:
        nuclei = [n.time for n in analyse_acoustics(AudioClip.load(audio)).nuclei]
        found, within = nucleus_scores(vowels, nuclei)
        t = totals.setdefault(group, [0, 0, 0, 0])
        t[0] += 1
        t[1] += len(vowels)
        t[2] += found
        t[3] += within
    print("\nSyllable nuclei against reference vowels")
    print(f"{'reference':24s} {'clips':>5s} {'vowels':>6s} {'recall':>6s} {'precision':>9s}")
    for group, (clips, n_vowels, found, within) in totals.items():
        print(
            f"{group:24s} {clips:5d} {n_vowels:6d} {found / n_vowels:6.2f} "
            f"{found / max(within, 1):9.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per clip (median)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    if not SPEECH.is_dir():
        print(f"evaluation data not found at {SPEECH}; set AFFECT_SHARED_DIR", file=sys.stderr)
        return 2
    gen = RigGenerator()
    rows = [measure(gen, lang, rel, args.repeat) for lang, rel in NON_ENGLISH + ENGLISH]
    print_table(rows, args.markdown)
    for group, names in (("non-English", NON_ENGLISH), ("English", ENGLISH)):
        sel = [r for r in rows if (r.language == "English") == (names is ENGLISH)]
        print(
            f"\n{group}: mean r 30 {np.mean([r.r30 for r in sel]):.2f} (English phones "
            f"{np.mean([r.r_en for r in sel]):.2f}), mean closed in pauses "
            f"{np.nanmean([r.closed for r in sel]):.2f} (English phones "
            f"{np.nanmean([r.closed_en for r in sel]):.2f}), worst cpu "
            f"{max(r.cpu for r in sel):.4f} s/s",
            end="",
        )
    print()
    with tempfile.TemporaryDirectory() as tmp:
        print_nuclei(Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
