"""Pronunciations for transcript words, with fallbacks for words the dictionary lacks.

Order of attempts: the pronouncing dictionary; a contraction or possessive on a known word
(``suzie'd``, ``robot's``); a known stem plus a regular suffix (``aligner``, ``tweeting``); a
compound of two known words (``earthmover``); finally rule-based letter-to-sound.

Examples
--------
>>> lexicon = {"suzie": "S UW Z IY", "align": "AH L AY N", "earth": "ER TH", "mover": "M UW V ER"}
>>> p = Pronouncer(lexicon.get)
>>> p.pronounce("suzie'd").phones, p.pronounce("suzie'd").source
(('S', 'UW', 'Z', 'IY', 'D'), 'derived')
>>> p.pronounce("aligner").phones
('AH', 'L', 'AY', 'N', 'ER')
>>> p.pronounce("earthmover").phones
('ER', 'TH', 'M', 'UW', 'V', 'ER')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from generators.rig.letter_to_sound import letter_to_sound

__all__ = ["ARPABET", "Pronouncer", "Pronunciation"]

ARPABET: frozenset[str] = frozenset((
    "AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH",
    "IH", "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH",
    "UW", "V", "W", "Y", "Z", "ZH",
))  # fmt: skip
"""The 39 ARPAbet phones of the CMU dictionary (no stress marks)."""

_VOICELESS = {"P", "T", "K", "F", "TH"}
_SIBILANT = {"S", "Z", "SH", "ZH", "CH", "JH"}
_CONTRACTIONS = {"'d": ["D"], "'ll": ["L"], "'re": ["ER"], "'ve": ["V"], "'m": ["M"]}
# Regular suffixes: (spelling, phones, candidate stem endings to restore).
_SUFFIXES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("ing", ("IH", "NG"), ("", "e")),
    ("ers", ("ER", "Z"), ("", "e")),
    ("er", ("ER",), ("", "e")),
    ("ed", ("D",), ("", "e")),
    ("es", ("IH", "Z"), ("",)),
    ("s", ("Z",), ("",)),
    ("ly", ("L", "IY"), ("",)),
    ("ness", ("N", "AH", "S"), ("",)),
    ("less", ("L", "AH", "S"), ("",)),
    ("ful", ("F", "AH", "L"), ("",)),
    ("able", ("AH", "B", "AH", "L"), ("", "e")),
    ("ish", ("IH", "SH"), ("",)),
    ("y", ("IY",), ("", "e")),
)
_PREFIXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("un", ("AH", "N")),
    ("re", ("R", "IY")),
    ("non", ("N", "AA", "N")),
    ("pre", ("P", "R", "IY")),
)


@dataclass(frozen=True)
class Pronunciation:
    """Phones of one word and where they came from.

    Parameters
    ----------
    phones
        ARPAbet phones without stress.
    source
        ``"dictionary"``, ``"derived"`` (from known words) or ``"letter-to-sound"``.
    """

    phones: tuple[str, ...]
    source: str


def _strip_stress(pron: str) -> tuple[str, ...]:
    return tuple(p.rstrip("012") for p in pron.split())


def _possessive(phones: tuple[str, ...]) -> tuple[str, ...]:
    last = phones[-1] if phones else ""
    if last in _SIBILANT:
        return (*phones, "IH", "Z")
    if last in _VOICELESS:
        return (*phones, "S")
    return (*phones, "Z")


def _past(stem: tuple[str, ...]) -> tuple[str, ...]:
    last = stem[-1] if stem else ""
    if last in {"T", "D"}:
        return (*stem, "IH", "D")
    if last in _VOICELESS | {"S", "SH", "CH"}:
        return (*stem, "T")
    return (*stem, "D")


class Pronouncer:
    """Pronounce words using a dictionary lookup plus fallbacks.

    Parameters
    ----------
    lookup
        Returns a word's space-separated ARPAbet pronunciation or ``None`` (for example
        ``pocketsphinx.Decoder.lookup_word``).
    """

    def __init__(self, lookup: Callable[[str], str | None]) -> None:
        self._lookup = lookup
        self._cache: dict[str, Pronunciation] = {}

    def known(self, word: str) -> tuple[str, ...] | None:
        """Dictionary phones of ``word`` (no fallback), or ``None``."""
        pron = self._lookup(word)
        return _strip_stress(pron) if pron else None

    def pronounce(self, word: str) -> Pronunciation:
        """Phones for ``word``; never fails for a word with letters.

        Parameters
        ----------
        word
            A normalised (lower-case) word.
        """
        hit = self._cache.get(word)
        if hit is None:
            hit = self._pronounce(word)
            self._cache[word] = hit
        return hit

    def _pronounce(self, word: str) -> Pronunciation:
        known = self.known(word)
        if known:
            return Pronunciation(known, "dictionary")
        derived = self._derive(word)
        if derived:
            return Pronunciation(derived, "derived")
        phones = tuple(p for p in letter_to_sound(word) if p in ARPABET)
        return Pronunciation(phones or ("AH",), "letter-to-sound")

    def _derive(self, word: str) -> tuple[str, ...] | None:
        clean = word.replace("'", "")
        for suffix, extra in _CONTRACTIONS.items():
            if word.endswith(suffix) and (base := self.known(word[: -len(suffix)])):
                return (*base, *extra)
        if word.endswith("n't") and (base := self.known(word[:-3])):
            return (*base, "AH", "N", "T")
        if word.endswith(("'s", "s'")) and (base := self.known(word[:-2])):
            return _possessive(base)
        if word.endswith("s'") and (base := self.known(word[:-1])):
            return base
        if clean != word and (base := self.known(clean)):
            return base
        for suffix, phones, restores in _SUFFIXES:
            if not clean.endswith(suffix) or len(clean) - len(suffix) < 3:
                continue
            stem = clean[: -len(suffix)]
            candidates = [stem + r for r in restores]
            if len(stem) >= 2 and stem[-1] == stem[-2]:  # "stopping" -> "stop"
                candidates.append(stem[:-1])
            if stem.endswith("i"):  # "happier" -> "happy"
                candidates.append(stem[:-1] + "y")
            for cand in candidates:
                base = self.known(cand)
                if base:
                    if suffix == "ed":
                        return _past(base)
                    if suffix == "s":
                        return _possessive(base)
                    return (*base, *phones)
        for prefix, phones in _PREFIXES:
            if clean.startswith(prefix) and (base := self.known(clean[len(prefix) :])):
                return (*phones, *base)
        return self._compound(clean)

    def _compound(self, word: str) -> tuple[str, ...] | None:
        best: tuple[int, tuple[str, ...]] | None = None
        for i in range(3, len(word) - 2):
            left, right = self.known(word[:i]), self.known(word[i:])
            if left and right:
                score = min(i, len(word) - i)
                if best is None or score > best[0]:
                    best = (score, (*left, *right))
        return best[1] if best else None
