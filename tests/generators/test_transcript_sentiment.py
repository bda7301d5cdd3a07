"""Valence from the transcript: sentence sentiment and its timing."""

from __future__ import annotations

import pytest

from generators.emotion.transcript_sentiment import (
    sentence_sentiment,
    split_sentences,
    transcript_sentiment,
)

POSITIVE = [
    "Thank you so much for coming, it means a lot.",
    "I got the job!",
    "This is the best day of my life.",
    "You look amazing tonight.",
    "We won the championship!",
    "I'm really glad you're here.",
    "Congratulations on the new baby!",
    "I'm so excited for the trip tomorrow.",
]
NEGATIVE = [
    "My grandmother passed away yesterday.",
    "Get away from me!",
    "This is a disaster, we lost everything.",
    "I'm so tired of your excuses.",
    "The pain is unbearable.",
    "You never listen to me.",
    "Stop it, you're hurting me!",
    "I'm not happy about this at all.",
]
NEUTRAL = [
    "The package will arrive on Tuesday.",
    "Please send me the file.",
    "The store closes at nine.",
    "Take the second exit.",
]


def sign(v: float) -> str:
    return "+" if v > 0.15 else "-" if v < -0.15 else "0"


def test_sentence_polarity() -> None:
    cases = [(s, "+") for s in POSITIVE] + [(s, "-") for s in NEGATIVE]
    cases += [(s, "0") for s in NEUTRAL]
    hits = sum(sign(sentence_sentiment(s).valence) == want for s, want in cases)
    assert hits >= 0.85 * len(cases), hits
    assert all(sign(sentence_sentiment(s).valence) != "-" for s in POSITIVE)
    assert all(sign(sentence_sentiment(s).valence) != "+" for s in NEGATIVE)


def test_negated_emotion_words_flip() -> None:
    assert sentence_sentiment("I am happy.").valence > 0.3
    assert sentence_sentiment("I am not happy.").valence < 0


def test_empty_and_neutral_text() -> None:
    s = sentence_sentiment("")
    assert s.valence == 0.0 and s.confidence == 0.0
    assert abs(sentence_sentiment("Turn left at the next street.").valence) < 0.15


def test_split_and_time_sentences() -> None:
    assert split_sentences("Hi. How are you?\nFine!") == ["Hi.", "How are you?", "Fine!"]
    text = "I love this place. I hate the traffic though."
    timed = transcript_sentiment(text, 4.0)
    assert [round(t.start, 3) for t in timed][0] == 0.0 and timed[-1].end == pytest.approx(4.0)
    assert timed[0].sentiment.valence > 0 > timed[1].sentiment.valence
    words = [(w, i * 0.4, i * 0.4 + 0.3) for i, w in enumerate(text.split())]
    by_words = transcript_sentiment(text, 4.0, words)
    assert by_words[1].start == pytest.approx(words[4][1])  # the 5th word starts sentence two
    assert transcript_sentiment(None, 3.0) == [] and transcript_sentiment("Hi.", 0.0) == []
