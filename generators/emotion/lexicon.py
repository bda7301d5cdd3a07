"""The emotion lexicon: words, modifiers and grammar words from ``assets/presets/emotions.json``."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from generators.emotion.data import load_preset
from generators.emotion.idioms import MAX_PHRASES, idiom_patterns
from generators.emotion.table import FAMILIES, EmotionTable, get_emotion_table

__all__ = ["Lexicon", "Modifier", "PhraseKind", "WordEntry", "get_lexicon", "normalise_phrase"]

PhraseKind = Literal["word", "modifier", "negator", "connector", "filler"]
"""What a matched phrase is."""

Vad = tuple[float, float, float]


def normalise_phrase(text: str) -> tuple[str, ...]:
    """Split a lexicon key into lower-case tokens, hyphens counting as spaces.

    Examples
    --------
    >>> normalise_phrase("Grossed-out")
    ('grossed', 'out')
    """
    return tuple(text.lower().replace("-", " ").split())


@dataclass(frozen=True)
class WordEntry:
    """One emotion word or phrase.

    Parameters
    ----------
    word
        The word as written in the lexicon.
    mixture
        Emotion-table entry -> weight, summing to 1.
    intensity
        Default strength 0..1 the word implies ("annoyed" 0.4, "furious" 0.95).
    vad
        Valence, arousal, dominance at full intensity, each -1..1.
    negation
        The word that "not <word>" means, or ``None`` to use the lexicon's per-emotion default.
    """

    word: str
    mixture: Mapping[str, float]
    intensity: float
    vad: Vad
    negation: str | None = None

    @property
    def main_emotion(self) -> str:
        """The strongest non-neutral basic emotion (family) of the word (``"neutral"`` if none)."""
        return get_emotion_table().dominant_family(self.mixture)


@dataclass(frozen=True)
class Modifier:
    """An intensity or weight modifier such as "slightly", "very", "quietly", "a hint of".

    Parameters
    ----------
    intensity
        Factor on the following word's intensity.
    weight
        Factor on the following word's share of a mix.
    vad
        Shift of the following word's valence, arousal, dominance.
    """

    intensity: float = 1.0
    weight: float = 1.0
    vad: Vad = (0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Lexicon:
    """Everything the prompt parser knows, built from ``emotions.json`` by :func:`get_lexicon`."""

    base_vad: Mapping[str, Vad]
    words: Mapping[str, WordEntry]
    modifiers: Mapping[str, Modifier]
    negation: Mapping[str, str]
    negation_intensity: float
    suggestions: tuple[str, ...]
    phrases: Mapping[tuple[str, ...], tuple[PhraseKind, str]]
    max_phrase: int
    idioms: frozenset[str] = frozenset()
    """Words that are idioms ("see red"): their literal meaning is no guide to their emotion."""
    rare: frozenset[str] = frozenset()
    """Less common words ("apoplectic", "zonked"): known, but not neighbours for reading
    unknown words by meaning (many of them look like gibberish to the encoder's word pieces,
    so gibberish would find them close)."""

    def match(self, tokens: Sequence[str], start: int) -> tuple[PhraseKind, str, int] | None:
        """The longest known phrase at ``tokens[start:]``.

        Returns
        -------
        tuple or None
            ``(kind, key, length)`` or ``None`` when nothing is known there (after also trying
            simple word forms: "angrily" -> "angry", "sadly" -> "sad", "nervousness" -> "nervous").
        """
        for length in range(min(self.max_phrase, len(tokens) - start), 0, -1):
            hit = self.phrases.get(tuple(tokens[start : start + length]))
            if hit is not None:
                return hit[0], hit[1], length
        for stem in _stems(tokens[start]):
            hit = self.phrases.get((stem,))
            if hit is not None and hit[0] in ("word", "modifier"):
                return hit[0], hit[1], 1
        return None

    def known_words(self) -> list[str]:
        """Every emotion word and modifier (for "did you mean" suggestions)."""
        return sorted(set(self.words) | set(self.modifiers))


def _stems(token: str) -> list[str]:
    out = []
    if token.endswith("ily"):
        out.append(token[:-3] + "y")
    if token.endswith("ly"):
        out.append(token[:-2])
    if token.endswith("ness"):
        out.append(token[:-4])
    if token.endswith("iness"):
        out.append(token[:-5] + "y")
    return [s for s in out if len(s) > 2]


def _vad(value: Any, where: str) -> Vad:
    if not (isinstance(value, Sequence) and len(value) == 3):
        raise ValueError(f"emotions.json: {where} must be [valence, arousal, dominance]")
    v = tuple(float(x) for x in value)
    if not all(-1.0 <= x <= 1.0 for x in v):
        raise ValueError(f"emotions.json: {where} values must lie in -1..1")
    return v  # type: ignore[return-value]


def _resolve(name: str, raw: Mapping[str, Any], stack: tuple[str, ...] = ()) -> dict[str, Any]:
    if name in stack:
        raise ValueError(f"emotions.json: same_as cycle {' -> '.join((*stack, name))}")
    if name not in raw:
        raise ValueError(f"emotions.json: {stack[-1]!r} is same_as unknown word {name!r}")
    entry = dict(raw[name])
    parent = entry.pop("same_as", None)
    if parent is None:
        return entry
    merged = _resolve(parent, raw, (*stack, name))
    merged.pop("not", None)  # a synonym's negation is its own (or the per-emotion default)
    merged.update(entry)
    return merged


def _build_word(word: str, spec: Mapping[str, Any], table: EmotionTable) -> WordEntry:
    mixture = spec.get("mixture")
    if not isinstance(mixture, Mapping) or not mixture:
        raise ValueError(f"emotions.json: word {word!r} needs a mixture")
    unknown = set(mixture) - set(table.emotions)
    if unknown:
        raise ValueError(f"emotions.json: word {word!r} mixes unknown emotions {sorted(unknown)}")
    total = float(sum(mixture.values()))
    if total <= 0 or any(float(v) < 0 for v in mixture.values()):
        raise ValueError(f"emotions.json: word {word!r} needs positive mixture weights")
    mix = {k: float(v) / total for k, v in mixture.items() if float(v) > 0}
    intensity = float(spec.get("intensity", 0.6))
    if not 0.0 <= intensity <= 1.0:
        raise ValueError(f"emotions.json: word {word!r} intensity must be in 0..1")
    if "vad" in spec:
        vad = _vad(spec["vad"], f"word {word!r} vad")
    else:
        vad = tuple(  # type: ignore[assignment]
            sum(w * table.term_vad(k)[j] for k, w in mix.items()) for j in range(3)
        )
    return WordEntry(word, mix, intensity, vad, spec.get("not"))


def _grammar_phrases(data: Mapping[str, Any]) -> set[tuple[str, ...]]:
    keys = [*data["fillers"], *data["connectors"], *data["negators"], *data["modifiers"]]
    return {normalise_phrase(k) for k in keys}


def build_lexicon(
    data: Mapping[str, Any],
    table: EmotionTable | None = None,
    idioms: Mapping[str, Any] | None = None,
) -> Lexicon:
    """Build and validate a :class:`Lexicon` from the decoded ``emotions.json`` object.

    Every emotion of the table (and its aliases) is a word too, unless ``emotions.json`` lists
    it or it is a grammar word. ``idioms`` is the decoded ``idioms.json``
    (:mod:`generators.emotion.idioms`): each idiom is a word matched in all its forms.
    """
    table = table or get_emotion_table()
    base_vad = {f: table.term_vad(f) for f in FAMILIES}

    rare_words = data.get("rare_words", {})
    if not isinstance(rare_words, Mapping) or not all(
            isinstance(v, Mapping) for v in rare_words.values()):
        raise ValueError("emotions.json: rare_words must map each word to an entry object")
    raw_words: Mapping[str, Any] = {**data["words"], **rare_words}
    if len(raw_words) != len(data["words"]) + len(rare_words):
        raise ValueError("emotions.json: a rare word is also listed under words")
    words = {
        " ".join(normalise_phrase(w)): _build_word(w, _resolve(w, raw_words), table)
        for w in raw_words
    }
    rare = frozenset(" ".join(normalise_phrase(w)) for w in rare_words)
    grammar = _grammar_phrases(data)
    for alias, name in table.aliases.items():
        key = normalise_phrase(alias)
        if name in table.emotions and " ".join(key) not in words and key not in grammar:
            spec = {"mixture": {name: 1.0}, "intensity": 0.7}
            words[" ".join(key)] = _build_word(alias, spec, table)
    idiom_forms: dict[str, list[tuple[str, ...]]] = {}
    phrase_count = 0
    for name, (pattern, forms, spec) in idiom_patterns(idioms or {"idioms": {}}).items():
        if name in words:
            raise ValueError(f"idioms.json: {pattern!r} is already a word of emotions.json")
        words[name] = _build_word(name, spec, table)
        idiom_forms[name] = forms
        phrase_count += len(idiom_forms[name])
        if phrase_count > MAX_PHRASES:
            raise ValueError(f"idioms.json: the idioms stand for more than {MAX_PHRASES} phrases")
    for w, entry in words.items():
        if entry.negation is not None and entry.negation not in words:
            raise ValueError(f"emotions.json: word {w!r} negates to unknown {entry.negation!r}")
    negation = dict(data["negation"])
    for emo, target in negation.items():
        if emo not in FAMILIES or target not in words:
            raise ValueError(f"emotions.json: bad negation {emo!r} -> {target!r}")
    if set(negation) != set(FAMILIES):
        raise ValueError("emotions.json: negation needs one entry per basic emotion")

    modifiers = {}
    for m, spec in data["modifiers"].items():
        mod = Modifier(
            float(spec.get("intensity", 1.0)),
            float(spec.get("weight", 1.0)),
            (
                float(spec.get("valence", 0.0)),
                float(spec.get("arousal", 0.0)),
                float(spec.get("dominance", 0.0)),
            ),
        )
        if mod.intensity < 0 or mod.weight <= 0 or not all(math.isfinite(x) for x in mod.vad):
            raise ValueError(f"emotions.json: bad modifier {m!r}")
        modifiers[" ".join(normalise_phrase(m))] = mod

    phrases: dict[tuple[str, ...], tuple[PhraseKind, str]] = {}

    def add(key: str, kind: PhraseKind) -> None:
        toks = normalise_phrase(key)
        if toks in phrases and phrases[toks][0] != kind:
            raise ValueError(f"emotions.json: {key!r} is both a {phrases[toks][0]} and a {kind}")
        phrases[toks] = (kind, " ".join(toks))

    for w in data["fillers"]:
        add(w, "filler")
    for w in data["connectors"]:
        add(w, "connector")
    for w in data["negators"]:
        add(w, "negator")
    for w in modifiers:
        add(w, "modifier")
    for w in words:
        if w not in idiom_forms:
            add(w, "word")
    for name, forms in idiom_forms.items():
        for form in forms:
            if form in phrases:
                kind, other = phrases[form]
                raise ValueError(
                    f"idioms.json: {' '.join(form)!r} of {name!r} is already the {kind} {other!r}"
                )
            phrases[form] = ("word", name)

    suggestions = tuple(data.get("suggestions", ()))
    return Lexicon(
        base_vad=base_vad,
        words=words,
        modifiers=modifiers,
        negation=negation,
        negation_intensity=float(data.get("negation_intensity", 0.7)),
        suggestions=suggestions,
        phrases=phrases,
        max_phrase=max(len(p) for p in phrases),
        idioms=frozenset(idiom_forms),
        rare=rare,
    )


@lru_cache(maxsize=1)
def get_lexicon() -> Lexicon:
    """The lexicon shipped in ``assets/presets/emotions.json`` and ``idioms.json`` (built once,
    cached).

    Examples
    --------
    >>> lex = get_lexicon()
    >>> lex.words["furious"].mixture
    {'anger': 1.0}
    >>> lex.match(["grossed", "out"], 0)
    ('word', 'grossed out', 2)
    """
    return build_lexicon(load_preset("emotions.json"), idioms=load_preset("idioms.json"))
