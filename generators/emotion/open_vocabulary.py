"""Open vocabulary: read words the lexicon does not know by their meaning.

A word or phrase the rules do not know ("crestfallen", "mournful") is embedded with the
sentence encoder (all-MiniLM-L6-v2, run in numpy: :mod:`generators.emotion.text_encoder`) and
compared by cosine similarity with every lexicon word and every emotion-table description, all
framed the same way ("I am X."). The :data:`NEIGHBOURS` closest known words vote, each weighted
by ``exp(SHARPNESS * (similarity - best))``: their mixtures, intensities and VAD are averaged
with those weights, which is steadier than the single nearest word (a rare word's sub-word pieces
can land it next to a word that merely looks alike). The encoder loads on the first unknown word
only, so prompts the lexicon covers never pay for it, and the known words' embeddings are cached
on disk (:func:`generators.emotion.vocabulary_cache.cached_embeddings`).

Examples
--------
>>> from generators.emotion.text_encoder import encoder_available
>>> if encoder_available():
...     match = closest_emotion_word("livid")
...     assert match is not None and match.similarity > MIN_SIMILARITY
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from generators.emotion.lexicon import WordEntry, get_lexicon
from generators.emotion.table import get_emotion_table

__all__ = [
    "MIN_SIMILARITY",
    "SimilarWord",
    "closest_emotion_word",
    "closest_emotion_words",
    "get_vocabulary",
    "has_latin_letters",
    "is_ready",
    "vocabulary_size",
    "vote",
    "warm_up_in_background",
]

MIN_SIMILARITY: float = 0.45
"""Cosine similarity below which an unknown word is not read as an emotion."""

MIN_MARGIN: float = 0.0
"""How much closer an unknown word must be to an emotion word than to every everyday,
non-emotional word of :data:`NON_EMOTION_ANCHORS` ("banana", "keyboard", "xyzzy" are as close
to some emotion word as many rare emotion words are, but closer still to the anchors)."""

NON_EMOTION_ANCHORS: tuple[str, ...] = (
    "table", "chair", "car", "house", "banana", "tomato", "apple", "computer", "keyboard",
    "phone", "book", "paper", "window", "door", "tree", "dog", "cat", "giraffe", "river", "road",
    "city", "seven", "twelve", "hundred", "monday", "january", "walk", "run", "write", "read",
    "the", "of", "and", "is", "qwerty", "asdf", "blah", "lorem ipsum", "xyz", "thing", "stuff",
    "lottery", "ticket", "money", "coin", "bank", "office", "meeting", "email", "printer",
    "kitchen", "spoon", "plate", "soup", "bread", "milk", "coffee", "shoe", "shirt", "coat",
    "pocket", "bag", "box", "bottle", "glass", "lamp", "bed", "pillow", "garden", "flower",
    "grass", "stone", "sand", "cloud", "rain", "snow", "weather", "mountain", "island", "bridge",
    "train", "bus", "plane", "bicycle", "street", "school", "teacher", "student", "doctor",
    "hospital", "brother", "sister", "friend", "neighbour", "team", "game", "ball", "music",
    "song", "picture", "camera", "screen", "number", "letter", "word", "page", "minute", "hour",
    "week", "year", "morning", "evening", "colour", "blue", "green", "metal", "wood", "plastic",
    "eat", "drink", "sleep", "open", "close", "go", "come", "take", "give", "make", "use",
    "find", "put", "sit", "stand", "win", "lose", "buy", "sell", "pay", "send", "call", "play",
)  # fmt: skip
"""Everyday words with no emotion: the yardstick an unknown word's emotion similarity must beat."""

NEIGHBOURS: int = 11
"""How many of the closest known words vote."""

SHARPNESS: float = 10.0
"""How fast a neighbour's vote falls with its distance from the best match."""

AGREE_SHARE: float = 0.3
"""A voter's VAD counts when the reading's dominant basic emotion is at least this share of
its own mixture ("sadly disgusted" agrees with a sadness reading as well as a disgust one)."""

_MEMO_SIZE = 256
"""Embeddings kept, the most recently used: a prompt read again (the studio reads the emotion
track anew after every edit) costs no encoder call."""

_TEMPLATE = "I am {}."
"""Both sides are embedded in the same frame, so single words are compared as feelings."""


@dataclass(frozen=True)
class SimilarWord:
    """The known emotion word closest in meaning to an unknown one.

    Parameters
    ----------
    text
        The unknown word or phrase as written.
    entry
        The entry standing in for it: the neighbours' weighted mixture, intensity and VAD.
    similarity
        Cosine similarity with the closest known word (-1..1).
    neighbours
        ``(word, similarity)`` of the voting neighbours, closest first.
    margin
        ``similarity`` minus the similarity to the closest non-emotion anchor word.
    """

    text: str
    entry: WordEntry
    similarity: float
    neighbours: tuple[tuple[str, float], ...] = ()
    margin: float = 0.0


class _Vocabulary:
    """Embeddings of every lexicon word and table description, and of the everyday situations
    of :mod:`generators.emotion.situations` (built on first use)."""

    def __init__(self) -> None:
        lex = get_lexicon()
        table = get_emotion_table()
        # Idioms are not neighbours (their literal words mislead: "tickled pink" is not pink),
        # nor are rare words (gibberish lands next to "zonked" and "bleary").
        entries = [e for w, e in lex.words.items() if w not in lex.idioms and w not in lex.rare]
        texts = [_TEMPLATE.format(e.word) for e in entries]
        for name in table.emotions:
            entry = lex.words.get(name) or WordEntry(
                name, {name: 1.0}, 0.7, table.term_vad(name)
            )
            entries.append(entry)
            texts.append(_TEMPLATE.format(table.descriptions[name]))
        from generators.emotion.text_encoder import get_encoder
        from generators.emotion.vocabulary_cache import cached_embeddings

        self.encoder = get_encoder()
        self._memo: OrderedDict[str, np.ndarray] = OrderedDict()
        self._memo_lock = threading.Lock()
        self.entries = entries
        anchors = [_TEMPLATE.format(a) for a in NON_EMOTION_ANCHORS]
        vectors = cached_embeddings(self.encoder, texts + anchors)
        self.vectors, self.anchors = vectors[: len(texts)], vectors[len(texts) :]
        from generators.emotion.situations import situation_entries

        self.situations, neutral, sentences = situation_entries()
        self.situation_neutral = np.asarray(neutral, dtype=bool)
        self.situation_vectors = cached_embeddings(self.encoder, sentences)
        self.situation_families = np.array([
            "neutral" if flat else table.dominant_family(e.mixture)
            for e, flat in zip(self.situations, neutral, strict=True)
        ])
        self.entry_families = np.array([table.dominant_family(e.mixture) for e in entries])
        from generators.emotion.situation_probe import fit_probe

        self.situation_probe = fit_probe(
            np.vstack([self.situation_vectors, self.vectors]),
            [*self.situation_families, *self.entry_families],
            [e.vad for e in (*self.situations, *entries)],
        )
        self.encoder.encode([_TEMPLATE.format("calm")])  # warm up, so the first prompt is fast

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of ``texts``; the ones not used lately are embedded in one encoder call.

        The :data:`_MEMO_SIZE` most recently used embeddings are kept (least recently used go
        first); safe to call from several threads.
        """
        found: dict[str, np.ndarray] = {}
        with self._memo_lock:
            for text in texts:
                if text in self._memo:
                    self._memo.move_to_end(text)
                    found[text] = self._memo[text]
        todo = [t for t in dict.fromkeys(texts) if t not in found]
        if todo:
            fresh = self.encoder.encode(todo)
            found.update(zip(todo, fresh, strict=True))
            with self._memo_lock:
                for text in todo:
                    self._memo[text] = found[text]
                    self._memo.move_to_end(text)
                while len(self._memo) > _MEMO_SIZE:
                    self._memo.popitem(last=False)
        return np.stack([found[t] for t in texts])

    def closest(self, texts: Sequence[str]) -> list[SimilarWord]:
        """Each text's reading by its closest known words (one encoder call for all)."""
        queries = self.embed([_TEMPLATE.format(t) for t in texts])
        out = []
        for text, query in zip(texts, queries, strict=True):
            scores = self.vectors @ query
            margin = float(scores.max() - (self.anchors @ query).max())
            out.append(vote(text, scores, self.entries, margin))
        return out


def vote(text: str, scores: np.ndarray, entries: list[WordEntry], margin: float = 0.0,
         neighbours: int = NEIGHBOURS, sharpness: float = SHARPNESS) -> SimilarWord:
    """The reading of ``text`` by the closest of ``entries`` (``scores``: their similarities).

    The ``neighbours`` best vote, each weighted by ``exp(sharpness * (similarity - best))``;
    their mixtures and intensities are averaged with those weights, and their VAD among the
    voters that share the reading's dominant basic emotion (at least :data:`AGREE_SHARE` of
    their mixture), so opposite neighbours do not average the valence away; when none does,
    among all of them.
    """
    order = np.argsort(-scores)[:neighbours]
    best = float(scores[order[0]])
    votes = np.exp(sharpness * (scores[order] - best))
    votes = votes / votes.sum()
    mixture: dict[str, float] = {}
    level = 0.0
    for weight, j in zip(votes, order, strict=True):
        entry = entries[int(j)]
        for name, w in entry.mixture.items():
            mixture[name] = mixture.get(name, 0.0) + float(weight) * w
        level += float(weight) * entry.intensity
    mixture = {k: v for k, v in mixture.items() if v >= 0.05}
    total = sum(mixture.values())
    mixture = {k: v / total for k, v in sorted(mixture.items(), key=lambda kv: -kv[1])}
    table = get_emotion_table()
    family = table.dominant_family(mixture)
    voters = [(float(v), entries[int(j)]) for v, j in zip(votes, order, strict=True)]
    agree = [(v, e) for v, e in voters if _family_share(table, e.mixture, family) >= AGREE_SHARE]
    agree = agree or voters  # none holds the reading's emotion: every voter counts
    weight = sum(v for v, _ in agree)
    vad = sum(v * np.asarray(e.vad) for v, e in agree) / weight
    entry = WordEntry(text, mixture, level, (float(vad[0]), float(vad[1]), float(vad[2])))
    near = tuple((entries[int(j)].word, float(scores[j])) for j in order[:3])
    return SimilarWord(text, entry, best, near, margin)


def _family_share(table: object, mixture: dict[str, float], family: str) -> float:
    """The share of basic emotion ``family`` in ``mixture`` (0..1)."""
    weights = table.family_weights(mixture)  # type: ignore[attr-defined]
    total = sum(weights.values())
    return weights.get(family, 0.0) / total if total > 0 else 0.0


_lock = threading.Lock()
_vocabulary: _Vocabulary | None = None


def get_vocabulary() -> _Vocabulary:
    """The embedded known words and situations (loaded once, thread-safe)."""
    global _vocabulary
    with _lock:
        if _vocabulary is None:
            _vocabulary = _Vocabulary()
        return _vocabulary


def is_ready() -> bool:
    """Whether the encoder and the known words' embeddings are loaded (reading an unknown word
    then takes milliseconds, not seconds)."""
    return _vocabulary is not None


def warm_up_in_background() -> threading.Thread | None:
    """Load the encoder and the known words' embeddings in a daemon thread (for interactive
    use: the first unknown word then does not wait for them). ``None`` when the model is not
    installed.
    """
    from generators.emotion.text_encoder import encoder_available

    if _vocabulary is not None or not encoder_available():
        return None

    def load() -> None:
        try:
            get_vocabulary()
        except Exception:  # noqa: BLE001 - the first real use reports the error
            return

    thread = threading.Thread(target=load, name="emotion-vocabulary", daemon=True)
    thread.start()
    return thread


def vocabulary_size() -> int:
    """Number of known phrases an unknown word is compared with (loads the encoder)."""
    return len(get_vocabulary().entries)


def has_latin_letters(text: str) -> bool:
    """Whether ``text`` has a letter a-z (the prompt tokenizer has already taken accents off):
    the encoder reads English, so other scripts are not read by meaning."""
    return any("a" <= ch <= "z" for ch in text.lower())


def closest_emotion_word(text: str) -> SimilarWord | None:
    """The known emotion word closest in meaning to ``text``, if similar enough.

    Parameters
    ----------
    text
        An unknown word or phrase from a prompt.

    Returns
    -------
    SimilarWord or None
        ``None`` when the best similarity is below :data:`MIN_SIMILARITY`, the word is no
        closer to an emotion word than to an everyday one (:data:`MIN_MARGIN`), or it has no
        Latin letter (the encoder knows English only: "悲しい" would land anywhere).

    Raises
    ------
    ModelMissingError
        If the sentence-encoder model is not installed (see
        :mod:`generators.emotion.text_encoder`).
    """
    return closest_emotion_words([text])[0]


def closest_emotion_words(texts: Sequence[str]) -> list[SimilarWord | None]:
    """:func:`closest_emotion_word` for several texts at once (one encoder call: a prompt's
    unknown words cost about as much as one)."""
    readable = [t for t in texts if has_latin_letters(t)]
    found = dict(zip(readable, get_vocabulary().closest(readable), strict=True)) if readable else {}
    out: list[SimilarWord | None] = []
    for text in texts:
        match = found.get(text)
        ok = match is not None and match.similarity >= MIN_SIMILARITY and match.margin >= MIN_MARGIN
        out.append(match if ok else None)
    return out
