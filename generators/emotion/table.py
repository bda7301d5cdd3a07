"""The emotion table: every emotion the rig can show, with its published norms and FACS recipe.

The data lives in ``assets/presets/emotion_table.json``:

* ``emotions``: each term (the basic emotions, the compound expressions of Du, Tao & Martinez
  2014, and everyday states such as embarrassment, worry or wistfulness) with its family (its
  share of the basic emotions), a FACS action-unit recipe, the source of that recipe, and the
  valence/arousal/dominance ratings of the words that name it in the NRC VAD Lexicon
  (Mohammad 2018); the term's VAD is their mean, rescaled from 0..1 to -1..1;
* ``displays``: what a face region may show without feeling it (a social smile, tight lips, a
  composed face), used by display rules such as "trying to hide her fear" or "forced smile".

Mixtures in :class:`~generators.take.EmotionState` name table entries (emotions, or displays in a
region's state); :data:`FAMILIES` are the basic emotions the dominant emotion is reported in.

Examples
--------
>>> table = get_emotion_table()
>>> len(table.emotions) >= 30, table.family("sadly angry")
(True, {'sadness': 0.4, 'anger': 0.6})
>>> table.canonical("joy"), table.dominant_family({"wistfulness": 0.7, "anger": 0.3})
('happiness', 'sadness')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

import numpy as np

from generators.emotion.base_emotions import BASE_EMOTIONS
from generators.emotion.data import load_preset
from generators.errors import PromptError

__all__ = ["FAMILIES", "EmotionTable", "build_emotion_table", "get_emotion_table"]

FAMILIES: tuple[str, ...] = BASE_EMOTIONS
"""The basic emotions (neutral and Ekman's seven) every term belongs to in some share."""

Vad = tuple[float, float, float]


@dataclass(frozen=True)
class EmotionTable:
    """The emotion table as arrays (built once by :func:`get_emotion_table`).

    Parameters
    ----------
    names
        Every entry a mixture may name: the emotions first, then the displays.
    emotions
        The felt emotions (a prefix of ``names``).
    displays
        The display-only entries (the rest of ``names``).
    recipes
        Entry -> FACS code (``"6C+12E"``).
    families
        ``(len(names), len(FAMILIES))`` share of each basic emotion per entry (rows sum to 1; a
        display counts as the emotion it looks like).
    vad
        ``(len(names), 3)`` valence, arousal, dominance in -1..1 (zeros for displays).
    descriptions
        Entry -> the text free prompts are matched against.
    aliases
        Lower-case alias -> entry name (every entry is its own alias).
    sources
        Source key -> citation.
    """

    names: tuple[str, ...]
    emotions: tuple[str, ...]
    displays: tuple[str, ...]
    recipes: Mapping[str, str]
    families: np.ndarray
    vad: np.ndarray
    descriptions: Mapping[str, str]
    aliases: Mapping[str, str]
    sources: Mapping[str, str]

    @cached_property
    def index(self) -> dict[str, int]:
        """Entry name -> its row (built once)."""
        return {n: i for i, n in enumerate(self.names)}

    def canonical(self, name: str) -> str:
        """The entry an emotion name or alias stands for.

        Raises
        ------
        PromptError
            If the name is not in the table.
        """
        canon = self.aliases.get(name.strip().lower())
        if canon is None:
            raise PromptError(
                f"unknown emotion {name!r} in a mixture; use one of {', '.join(self.emotions)}"
            )
        return canon

    def family(self, name: str) -> dict[str, float]:
        """The basic-emotion shares of one entry (non-zero only)."""
        row = self.families[self.index[self.canonical(name)]]
        return {f: float(w) for f, w in zip(FAMILIES, row, strict=True) if w > 0}

    def term_vad(self, name: str) -> Vad:
        """The valence, arousal, dominance of one entry (from its published norms)."""
        v = self.vad[self.index[self.canonical(name)]]
        return (float(v[0]), float(v[1]), float(v[2]))

    def family_weights(self, mixture: Mapping[str, float]) -> dict[str, float]:
        """A mixture of entries expressed in basic emotions (weights summing like the input)."""
        out = dict.fromkeys(FAMILIES, 0.0)
        for name, w in mixture.items():
            row = self.families[self.index[self.canonical(name)]]
            for f, share in zip(FAMILIES, row, strict=True):
                out[f] += float(w) * float(share)
        return {f: w for f, w in out.items() if w > 1e-9}

    def dominant_family(self, mixture: Mapping[str, float]) -> str:
        """The strongest basic emotion of a mixture (``"neutral"`` when nothing outweighs it;
        a tie with neutral goes to the emotion, other ties to the one first in
        :data:`FAMILIES`)."""
        fam = self.family_weights(mixture)
        if not fam:
            return "neutral"
        return max(fam, key=lambda f: (round(fam[f], 9), f != "neutral", -FAMILIES.index(f)))


def _norm_vad(norms: Any, where: str) -> Vad:
    if not isinstance(norms, Mapping) or not norms:
        raise ValueError(f"emotion_table.json: {where} needs norms (word -> [v, a, d])")
    rows = []
    for word, values in norms.items():
        if not (isinstance(values, Sequence) and len(values) == 3):
            raise ValueError(f"emotion_table.json: {where} norm {word!r} must be [v, a, d]")
        row = [float(x) for x in values]
        if not all(0.0 <= x <= 1.0 for x in row):
            raise ValueError(f"emotion_table.json: {where} norm {word!r} must lie in 0..1")
        rows.append(row)
    mean = np.mean(np.array(rows), axis=0) * 2.0 - 1.0
    return (float(mean[0]), float(mean[1]), float(mean[2]))


def _family_row(family: Any, where: str) -> np.ndarray:
    if not isinstance(family, Mapping) or not family:
        raise ValueError(f"emotion_table.json: {where} needs a family")
    unknown = set(family) - set(FAMILIES)
    if unknown:
        raise ValueError(f"emotion_table.json: {where} family names unknown {sorted(unknown)}")
    row = np.array([float(family.get(f, 0.0)) for f in FAMILIES])
    if (row < 0).any() or row.sum() <= 0:
        raise ValueError(f"emotion_table.json: {where} family weights must be positive")
    return row / row.sum()


def build_emotion_table(data: Mapping[str, Any]) -> EmotionTable:
    """Build and validate an :class:`EmotionTable` from the decoded JSON object.

    Raises
    ------
    ValueError
        If an entry lacks a family or norms, cites an unknown source, or an alias is ambiguous.
    """
    sources = dict(data["sources"])
    emotions: Mapping[str, Any] = data["emotions"]
    displays: Mapping[str, Any] = data.get("displays", {})
    missing = set(FAMILIES) - set(emotions)
    if missing:
        raise ValueError(f"emotion_table.json: the basic emotions {sorted(missing)} are missing")
    names = (*emotions, *displays)
    recipes: dict[str, str] = {}
    families, vads = [], []
    descriptions: dict[str, str] = {}
    aliases: dict[str, str] = {}

    def alias(key: str, target: str) -> None:
        key = key.strip().lower()
        if aliases.get(key, target) != target:
            raise ValueError(f"emotion_table.json: alias {key!r} names two entries")
        aliases[key] = target

    for name in names:
        spec = emotions.get(name) or displays[name]
        where = f"entry {name!r}"
        if spec.get("facs_source") not in sources:
            raise ValueError(f"emotion_table.json: {where} cites unknown source")
        recipes[name] = str(spec.get("facs", ""))
        descriptions[name] = str(spec.get("description", name))
        if name in emotions:
            families.append(_family_row(spec.get("family"), where))
            if "vad" in spec and "vad_note" in spec:  # neutral: the origin by definition
                vads.append(tuple(float(x) for x in spec["vad"]))
            else:
                vads.append(_norm_vad(spec.get("norms"), where))
            for a in spec.get("aliases", ()):
                alias(a, name)
        else:
            families.append(_family_row(spec.get("family", {"neutral": 1.0}), where))
            vads.append((0.0, 0.0, 0.0))
        alias(name, name)
    return EmotionTable(
        names=names,
        emotions=tuple(emotions),
        displays=tuple(displays),
        recipes=recipes,
        families=np.array(families),
        vad=np.array(vads),
        descriptions=descriptions,
        aliases=aliases,
        sources=sources,
    )


@lru_cache(maxsize=1)
def get_emotion_table() -> EmotionTable:
    """The table shipped in ``assets/presets/emotion_table.json`` (built once, cached)."""
    return build_emotion_table(load_preset("emotion_table.json"))
