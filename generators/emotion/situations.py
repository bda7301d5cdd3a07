"""Situations: read a prompt that names no emotion ("his dog died this morning") by what it
describes.

A prompt of at least :data:`MIN_WORDS` words none of which the lexicon knows is read as a
whole first; a shorter one when neither the lexicon, a misspelling nor the meaning of its
single words finds an emotion. The prompt is compared with the sentence encoder to everyday
situations, each tagged with the emotion-table entry a reader would expect
(``assets/presets/situations.json``: losing someone, a stolen bike, a noise downstairs at
night, a promotion...). A prompt nearly the same as a known situation (:data:`CLOSE_MATCH`) is
read by the closest ones, as in :func:`generators.emotion.open_vocabulary.vote`. Otherwise the
linear reading of :mod:`generators.emotion.situation_probe` names the basic emotion, and the
closest situations of that emotion vote. A prompt not close to any situation (below
:data:`MIN_SIMILARITY`: "the quick brown fox", "xyzzy"), read as neutral, or at least as close
to a plainly neutral situation as to any of its emotion's ("I bought milk") has no reading,
and the parser reports it as before.

Examples
--------
>>> from generators.emotion.text_encoder import encoder_available
>>> if encoder_available():
...     reading = read_situation("someone broke into our house while we slept")
...     assert reading is not None and reading.entry.vad[0] < 0
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources

import numpy as np

from generators.emotion.lexicon import WordEntry
from generators.emotion.open_vocabulary import (
    SimilarWord,
    get_vocabulary,
    has_latin_letters,
    vote,
)
from generators.emotion.table import get_emotion_table
from generators.errors import PromptError

__all__ = ["MIN_SIMILARITY", "MIN_WORDS", "NEIGHBOURS", "SHARPNESS", "Situation",
           "read_situation", "situation_entries", "situations"]

MIN_SIMILARITY: float = 0.38
"""Cosine similarity to the closest situation below which a prompt has no reading."""

NEIGHBOURS: int = 3
"""How many of the closest situations vote."""

SHARPNESS: float = 30.0
"""How fast a situation's vote falls with its distance from the closest one (situations are
far apart, so the closest one should lead)."""

MIN_WORDS: int = 2
"""A prompt of at least this many words that names no known emotion is read as a situation
before its single words are read by meaning (a sentence means more than its words)."""

CLOSE_MATCH: float = 0.75
"""Similarity to a known situation above which it and its neighbours decide the reading
alone; below it, the linear reading (:mod:`generators.emotion.situation_probe`) chooses the
basic emotion and the nearest situations of that emotion the entry."""

SITUATION_INTENSITY: float = 0.7
"""Strength of a situation's emotion (before the prompt's own intensity words)."""

MAX_SITUATIONS: int = 10_000


@dataclass(frozen=True)
class Situation:
    """One described situation and the emotion-table entry it evokes."""

    text: str
    emotion: str


@lru_cache(maxsize=1)
def situations() -> tuple[Situation, ...]:
    """The shipped situations (``assets/presets/situations.json``), checked against the table.

    Raises
    ------
    PromptError
        The file is damaged or names an emotion the table lacks (reinstall the package).
    """
    raw = json.loads(
        resources.files("assets.presets").joinpath("situations.json").read_text("utf-8")
    )
    table = get_emotion_table()
    items = raw.get("situations") if isinstance(raw, dict) else None
    if not isinstance(items, list) or not 0 < len(items) <= MAX_SITUATIONS:
        raise PromptError("the situations preset is damaged; reinstall affect-studio")
    out = []
    for item in items:
        text, emotion = item.get("text"), item.get("emotion")
        if not isinstance(text, str) or emotion not in table.emotions:
            raise PromptError(f"the situations preset has a bad entry {str(item)[:60]}; "
                              "reinstall affect-studio")
        out.append(Situation(text, emotion))
    return tuple(out)


def situation_entries() -> tuple[list[WordEntry], list[bool], list[str]]:
    """Each situation as a lexicon-style entry, whether it is neutral, and the text to embed."""
    table = get_emotion_table()
    found = situations()
    entries = [
        WordEntry(s.text, {s.emotion: 1.0}, SITUATION_INTENSITY, table.term_vad(s.emotion))
        for s in found
    ]
    return entries, [s.emotion == "neutral" for s in found], [s.text for s in found]


def read_situation(text: str) -> SimilarWord | None:
    """The emotion the situation ``text`` evokes, or ``None`` when it is not clear.

    Raises
    ------
    ModelMissingError
        If the sentence-encoder model is not installed.
    """
    sentence = text.strip()
    if not has_latin_letters(sentence):
        return None
    known = get_vocabulary()
    query = known.embed([sentence.rstrip(".!?") + "."])[0]
    scores = known.situation_vectors @ query
    best = int(np.argmax(scores))
    if scores[best] < MIN_SIMILARITY:
        return None  # like nothing known
    if scores[best] >= CLOSE_MATCH:  # nearly a known situation: it decides
        if known.situation_neutral[best]:
            return None
        return vote(sentence, scores, known.situations, neighbours=NEIGHBOURS,
                    sharpness=SHARPNESS)
    family, valence, arousal = known.situation_probe.read(query)
    same = known.situation_families == family
    if family == "neutral" or not same.any():
        return None
    if float(scores[same].max()) <= float(scores[known.situation_neutral].max(initial=-1.0)):
        return None  # a plain statement is at least as like it ("I bought milk")
    chosen = [e for e, keep in zip(known.situations, same, strict=True) if keep]
    reading = vote(sentence, scores[same], chosen, neighbours=NEIGHBOURS, sharpness=SHARPNESS)
    v, a, d = reading.entry.vad
    entry = replace(reading.entry, vad=((v + valence) / 2, (a + arousal) / 2, d))
    return replace(reading, entry=entry)
