"""A long voice line made from the shared evaluation clips, for benchmarks and tests of the
alignment of long clips.

Clips with reference word timings (the Montreal Forced Aligner test corpus) and clips with known
transcripts (NVIDIA Audio2Face samples, JFK) are resampled to 16 kHz mono and joined with a
short silence between them; their transcripts are joined in the same order and the reference
word timings moved onto the long clip's timeline. One part's transcript can be replaced by an
unrelated sentence (a transcript that is wrong for one stretch), and a noise burst like a cough
can be laid over a pause.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bench.lipsync_reference import (
    BoundaryErrors,
    boundary_errors,
    reference_clips,
    transcribed_clips,
)
from generators.audio import AudioClip

FULL_ORDER: tuple[str, ...] = (
    "acoustic_corpus",
    "Mark_neutral",
    "cold_corpus",
    "Claire_anger",
    "Mark_joy",
    "cold_corpus3",
    "jfk",
    "Mark_outofbreath",
    "Claire_sadness",
    "Mark_anger",
    "Mark_sadness",
    "Claire_sadness_20s",
)
"""The parts of the benchmark's long clip (2 min 39 s; three have reference timings)."""

SHORT_ORDER: tuple[str, ...] = ("acoustic_corpus", "Claire_anger", "cold_corpus3")
"""The parts of the tests' long clip (60 s; two have reference timings)."""

WRONG_TEXT = (
    "Unfortunately, the bus was late again, so we walked home in the rain while my mother "
    "made marmalade, muffins, and meatballs for everyone."
)
"""An unrelated sentence put in place of one part's transcript."""

_RATE = 16000


@dataclass
class Part:
    """One source clip inside the long clip.

    Parameters
    ----------
    name
        The source clip's name.
    start, end
        Where it lies on the long clip's timeline, seconds.
    transcript
        What the long clip's transcript says for it (the wrong sentence if corrupted).
    words
        Reference ``(word, start, end)`` on the long clip's timeline (empty if unknown).
    corrupted
        Whether its transcript was replaced.
    """

    name: str
    start: float
    end: float
    transcript: str
    words: list[tuple[str, float, float]] = field(default_factory=list)
    corrupted: bool = False


@dataclass
class LongClip:
    """The joined audio, its transcript and where each part lies."""

    audio: AudioClip
    parts: list[Part]

    @property
    def transcript(self) -> str:
        """The parts' transcripts joined in order."""
        return " ".join(p.transcript for p in self.parts)

    def part(self, name: str) -> Part:
        """The part made from clip ``name``."""
        return next(p for p in self.parts if p.name == name)


def build_long_clip(
    order: tuple[str, ...] = FULL_ORDER,
    *,
    gap: float = 0.4,
    corrupt: str | None = None,
    cough_at: float | None = None,
) -> LongClip:
    """Join evaluation clips into one long clip.

    Parameters
    ----------
    order
        Names of the clips (from :func:`reference_clips` and :func:`transcribed_clips`).
    gap
        Seconds of silence between parts.
    corrupt
        Name of a part whose transcript is replaced by :data:`WRONG_TEXT`.
    cough_at
        If given, a 0.35 s burst of loud band-passed noise is laid over the audio from this time.

    Raises
    ------
    FileNotFoundError
        If a clip is not in the evaluation data.
    """
    known = {c.name: c for c in reference_clips() + transcribed_clips()}
    missing = [n for n in order if n not in known]
    if missing:
        raise FileNotFoundError(f"evaluation clips not found: {', '.join(missing)}")
    pieces: list[np.ndarray] = []
    parts: list[Part] = []
    t = 0.0
    silence = np.zeros(int(round(gap * _RATE)), dtype=np.float32)
    for name in order:
        clip = known[name]
        x = AudioClip.load(clip.audio).resampled(_RATE).samples.astype(np.float32)
        end = t + x.size / _RATE
        words = [(w, s + t, e + t) for w, s, e in clip.words]
        text = WRONG_TEXT if name == corrupt else clip.transcript
        parts.append(Part(name, t, end, text, words, name == corrupt))
        pieces += [x, silence]
        t = end + gap
    samples = np.concatenate(pieces)
    if cough_at is not None:
        samples = samples.copy()
        _add_cough(samples, cough_at)
    return LongClip(AudioClip.from_samples(samples, _RATE, "long-clip"), parts)


def _add_cough(samples: np.ndarray, at: float) -> None:
    rng = np.random.default_rng(7)
    n = int(0.35 * _RATE)
    noise = rng.standard_normal(n + 64)
    # A crude cough: noise through a short moving average (a low-passed burst), fast attack,
    # slower decay, about as loud as the speech around it.
    burst = np.convolve(noise, np.ones(4) / 4, mode="same")[:n]
    env = np.minimum(np.arange(n) / (0.02 * _RATE), 1.0) * np.exp(-np.arange(n) / (0.12 * _RATE))
    i = int(round(at * _RATE))
    seg = samples[i : i + n]
    seg += (0.25 * burst * env)[: seg.size].astype(np.float32)


def part_errors(
    hyp: list[tuple[str, float, float]], clip: LongClip, *, include_corrupted: bool = False
) -> BoundaryErrors:
    """Word boundary errors against the reference, part by part (so that a word is only ever
    matched with the same word of the same part), pooled over the parts with references.

    Parameters
    ----------
    hyp
        Aligned ``(word, start, end)`` on the long clip's timeline.
    clip
        The long clip.
    include_corrupted
        Also score the part whose transcript was replaced.
    """
    starts, ends = [], []
    matched = total = 0
    for part in clip.parts:
        if not part.words or (part.corrupted and not include_corrupted):
            continue
        inside = [(w, s, e) for w, s, e in hyp if part.start <= 0.5 * (s + e) < part.end]
        err = boundary_errors(inside, part.words, phones=False)
        starts.append(err.starts)
        ends.append(err.ends)
        matched += err.matched
        total += err.total
    if not starts:
        return BoundaryErrors(np.zeros(0), np.zeros(0), 0, 0)
    return BoundaryErrors(np.concatenate(starts), np.concatenate(ends), matched, total)
