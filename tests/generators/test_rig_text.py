"""Transcript normalisation, pronunciations and letter-to-sound (no audio)."""

from __future__ import annotations

import pytest

from generators.rig.forced_alignment import ALIGN_CONFIG
from generators.rig.letter_to_sound import letter_to_sound
from generators.rig.pronunciation import ARPABET, Pronouncer
from generators.rig.sphinx import decoder
from generators.rig.text_normalise import normalise_transcript, number_to_words


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Hello, World!", ["hello", "world"]),
        ("It's “quoted” — and/or hyphen-ated.", ["it's", "quoted", "and", "or", "hyphen", "ated"]),
        ("[laughs] well <noise> (sighs) okay", ["well", "okay"]),
        ("In 1999 I had 42 cats", ["in", "nineteen", "ninety", "nine", "i", "had", "forty", "two",
                                   "cats"]),
        ("the 21st of May, 2024", ["the", "twenty", "first", "of", "may", "twenty", "twenty",
                                   "four"]),
        ("$3.50 and 10%", ["three", "dollars", "and", "fifty", "cents", "and", "ten", "percent"]),
        ("at 3:05", ["at", "three", "oh", "five"]),
        ("Café Noël", ["cafe", "noel"]),
        ("?!...", []),
    ],
)  # fmt: skip
def test_normalise_transcript(text: str, words: list[str]) -> None:
    assert normalise_transcript(text) == words


def test_number_to_words_large() -> None:
    assert " ".join(number_to_words(1_234_567)) == (
        "one million two hundred thirty four thousand five hundred sixty seven"
    )


def test_letter_to_sound_gives_arpabet_only() -> None:
    for word in ["blorptastic", "zyxquv", "knightly", "photosynthesis", "a", "xylophone"]:
        phones = letter_to_sound(word)
        assert phones, word
        assert set(phones) <= ARPABET, (word, phones)


@pytest.fixture(scope="module")
def pronouncer() -> Pronouncer:
    with decoder(ALIGN_CONFIG) as dec:
        lookup = dec.lookup_word  # type: ignore[attr-defined]
    return Pronouncer(lookup)


def test_dictionary_words_come_from_the_dictionary(pronouncer: Pronouncer) -> None:
    p = pronouncer.pronounce("hello")
    assert p.source == "dictionary"
    assert p.phones == ("HH", "AH", "L", "OW")


@pytest.mark.parametrize(
    ("word", "phones"),
    [
        ("suzie'd", ("S", "AH", "Z", "IY", "D")),  # contraction on a known word
        ("aligner", ("AH", "L", "AY", "N", "ER")),  # known stem + suffix
        ("earthmovers", None),  # compound of known words
    ],
)
def test_unknown_words_are_derived(
    pronouncer: Pronouncer, word: str, phones: tuple[str, ...] | None
) -> None:
    p = pronouncer.pronounce(word)
    assert p.source in {"derived", "dictionary"}
    if phones is not None:
        assert p.phones == phones
    assert set(p.phones) <= ARPABET


def test_invented_words_fall_back_to_letter_to_sound(pronouncer: Pronouncer) -> None:
    p = pronouncer.pronounce("zorblaxian")
    assert p.source == "letter-to-sound"
    assert p.phones[0] == "Z"
    assert set(p.phones) <= ARPABET
