"""Valence from what is said: the sentiment of each sentence of a transcript, placed in time.

Two readings of every sentence are combined:

* the emotion words it contains, read by the prompt rules (negation included: "I'm not happy
  about this" is negative), when there are any;
* its meaning as a whole, from the sentence encoder (:mod:`generators.emotion.text_encoder`):
  the sentence is compared with short reference sentences that are clearly positive, clearly
  negative and plainly neutral (:data:`ANCHORS`), and its valence is the difference between its
  closeness to the positive and to the negative ones, damped when it sits closer to the neutral
  ones.

Without the encoder model only the emotion words count. Sentences are timed by the aligned words
when the lip sync has them, otherwise spread over the clip in proportion to their length.

Examples
--------
>>> s = sentence_sentiment("I'm not happy about this at all.")
>>> s.valence < 0
True
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from generators.errors import PromptError

__all__ = [
    "ANCHORS",
    "SentenceSentiment",
    "TimedSentiment",
    "sentence_sentiment",
    "split_sentences",
    "transcript_sentiment",
]

ANCHORS: dict[str, tuple[str, ...]] = {
    "positive": (
        "This is wonderful news.",
        "I love it, thank you so much!",
        "We did it, I am so happy.",
        "What a beautiful day.",
        "That was really fun.",
        "I'm proud of you.",
        "Great job, well done!",
        "I can't wait to see you again.",
    ),
    "negative": (
        "This is terrible news.",
        "I hate this, leave me alone.",
        "I am so sad and lonely.",
        "That was awful and painful.",
        "Get out of here before I hurt you.",
        "I'm scared something bad will happen.",
        "You ruined everything.",
        "He died last night.",
    ),
    "neutral": (
        "The meeting starts at three o'clock.",
        "Please put the box on the table.",
        "The report has four sections.",
        "Turn left at the next street.",
        "The train leaves from platform two.",
        "Here is the list of items.",
    ),
}
"""Reference sentences of each polarity the encoder reading compares a sentence with."""

ENCODER_GAIN: float = 6.0
"""Scales the positive-minus-negative similarity into valence (then clipped to -1..1)."""

WORDS_SHARE: float = 0.6
"""Share of the emotion words' reading when a sentence has emotion words."""

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class SentenceSentiment:
    """How positive or negative one sentence is.

    Parameters
    ----------
    text
        The sentence.
    valence
        -1..1.
    confidence
        0..1: how sure the reading is (emotion words found, or a clear encoder reading).
    """

    text: str
    valence: float
    confidence: float


@dataclass(frozen=True)
class TimedSentiment:
    """A sentence's sentiment with the time it is spoken (seconds)."""

    start: float
    end: float
    sentiment: SentenceSentiment


def split_sentences(text: str) -> list[str]:
    """Split a transcript at sentence ends (``. ! ?``) and line breaks.

    Examples
    --------
    >>> split_sentences("Hello there. How are you?  Fine!")
    ['Hello there.', 'How are you?', 'Fine!']
    """
    return [s.strip() for s in _SENTENCE_END.split(text or "") if s and s.strip()]


class _AnchorSet:
    """The anchors' embeddings (built on first use)."""

    def __init__(self) -> None:
        from generators.emotion.text_encoder import get_encoder
        from generators.emotion.vocabulary_cache import cached_embeddings

        self.encoder = get_encoder()
        texts = [t for group in ANCHORS.values() for t in group]
        vectors = cached_embeddings(self.encoder, texts)
        self.groups: dict[str, np.ndarray] = {}
        start = 0
        for name, group in ANCHORS.items():
            self.groups[name] = vectors[start : start + len(group)]
            start += len(group)

    def valence(self, sentence: str) -> tuple[float, float]:
        q = self.encoder.encode([sentence])[0]
        sims = {name: float(np.sort(g @ q)[-2:].mean()) for name, g in self.groups.items()}
        polar = sims["positive"] - sims["negative"]
        emotional = max(sims["positive"], sims["negative"])
        damp = float(np.clip(0.5 + 5.0 * (emotional - sims["neutral"]), 0.0, 1.0))
        valence = float(np.clip(ENCODER_GAIN * polar, -1.0, 1.0)) * damp
        return valence, min(1.0, abs(valence))


_lock = threading.Lock()
_anchors: _AnchorSet | None = None


def _anchor_set() -> _AnchorSet | None:
    from generators.emotion.text_encoder import encoder_available

    global _anchors
    with _lock:
        if _anchors is None and encoder_available():
            _anchors = _AnchorSet()
        return _anchors


def _words_reading(sentence: str) -> tuple[float, float] | None:
    from generators.emotion.parse import parse_prompt

    try:
        state = parse_prompt(sentence[:500], typos=False, by_meaning=False)
    except PromptError:
        return None
    if state.intensity <= 0:
        return None
    return state.valence, min(1.0, 0.5 + state.intensity)


def sentence_sentiment(sentence: str) -> SentenceSentiment:
    """The valence of one sentence (see the module docstring).

    Parameters
    ----------
    sentence
        Plain text.

    Returns
    -------
    SentenceSentiment
        Valence 0 with confidence 0 when nothing in it reads as positive or negative.
    """
    words = _words_reading(sentence)
    anchors = _anchor_set()
    meaning = anchors.valence(sentence) if anchors is not None and sentence.strip() else None
    if words is None and meaning is None:
        return SentenceSentiment(sentence, 0.0, 0.0)
    if words is None:
        assert meaning is not None
        return SentenceSentiment(sentence, *meaning)
    if meaning is None:
        return SentenceSentiment(sentence, *words)
    valence = WORDS_SHARE * words[0] + (1 - WORDS_SHARE) * meaning[0]
    return SentenceSentiment(sentence, float(valence), max(words[1], meaning[1]))


def transcript_sentiment(
    transcript: str | None,
    duration: float,
    words: Sequence[tuple[str, float, float]] = (),
) -> list[TimedSentiment]:
    """Each sentence of a transcript with its valence and the time it is spoken.

    Parameters
    ----------
    transcript
        The transcript (``None`` or empty: no sentences).
    duration
        Clip length in seconds.
    words
        Aligned words ``(text, start, end)`` in order, when the lip sync has them; sentences
        are then timed by their words. Without them sentences share the clip by length.

    Returns
    -------
    list of TimedSentiment
        In time order, covering the clip from 0 to ``duration``.
    """
    sentences = split_sentences(transcript or "")
    if not sentences or duration <= 0:
        return []
    counts = [max(1, len(s.split())) for s in sentences]
    bounds: list[float] = [0.0]
    if words and len(words) >= sum(counts) * 0.5:
        k = 0
        for c in counts[:-1]:
            k = min(len(words) - 1, k + c)
            bounds.append(float(words[k][1]))
    else:
        chars = np.cumsum([len(s) for s in sentences], dtype=np.float64)
        bounds += list(duration * chars[:-1] / chars[-1])
    bounds.append(float(duration))
    bounds = list(np.maximum.accumulate(np.clip(bounds, 0.0, duration)))
    return [
        TimedSentiment(bounds[i], bounds[i + 1], sentence_sentiment(s))
        for i, s in enumerate(sentences)
    ]
