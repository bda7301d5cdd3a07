"""Rule-based English letter-to-sound: a spelling -> ARPAbet phones (no stress).

The fallback for words the pronouncing dictionary does not know (names, invented words). It is a
small ordered rule set in the spirit of the NRL rules (Elovitz et al., 1976): at each letter the
first rule whose grapheme and left/right contexts match wins. It is rough, but for lip sync only
the viseme class of each phone matters and the forced aligner absorbs small errors.

Examples
--------
>>> letter_to_sound("knightly")
['N', 'AY', 'T', 'L', 'IY']
>>> letter_to_sound("blorp")
['B', 'L', 'AO', 'R', 'P']
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["letter_to_sound"]

_V = "[aeiouy]"
_C = "[bcdfghjklmnpqrstvwxz]"
_CM = "[bcdfgklmnpstvz]"  # consonants that make a following final "e" lengthen the vowel
_END = "(?:#|s#|d#)"  # end of word, allowing a plural or past-tense ending

# (grapheme, left context regex (matched at the end of the text before), right context regex
# (matched at the start of the text after), phones). "#" marks the word boundaries.
_RULES: dict[str, list[tuple[str, str, str, str]]] = {
    "a": [
        ("a", "", "#", "AH"),
        ("are", "#", "#", "AA R"),
        ("ar", "", f"(?:#|{_C})", "AA R"),
        ("air", "", "", "EH R"),
        ("ai", "", "", "EY"),
        ("ay", "", "", "EY"),
        ("augh", "", "", "AO"),
        ("au", "", "", "AO"),
        ("aw", "", "", "AO"),
        ("all", "", "", "AO L"),
        ("alk", "", "", "AO K"),
        ("a", "", f"{_CM}e{_END}", "EY"),
        ("a", "", f"{_C}i{_V}", "EY"),
        ("a", "", "", "AE"),
    ],
    "b": [("bb", "", "", "B"), ("b", "m", "#", ""), ("b", "", "", "B")],
    "c": [
        ("ch", "", "", "CH"),
        ("ck", "", "", "K"),
        ("cc", "", "[eiy]", "K S"),
        ("cia", "", "", "SH AH"),
        ("c", "", "[eiy]", "S"),
        ("c", "", "", "K"),
    ],
    "d": [("dd", "", "", "D"), ("dge", "", "", "JH"), ("d", "", "", "D")],
    "e": [
        ("e", f"{_V}{_C}+", "#", ""),
        ("e", f"#{_C}*{_V}{_C}", "#", ""),
        ("e", f"{_C}{_C}", "#", ""),
        ("ed", "[td]", "#", "IH D"),
        ("ed", "[pkfsx]|ch|sh", "#", "T"),
        ("ed", "", "#", "D"),
        ("es", "(?:[sxz]|ch|sh|[cg])", "#", "IH Z"),
        ("es", f"{_C}", "#", "Z"),
        ("eau", "", "", "OW"),
        ("ee", "", "", "IY"),
        ("ea", "", "", "IY"),
        ("ei", "", "", "IY"),
        ("ey", "", "#", "IY"),
        ("ew", "", "", "UW"),
        ("er", "", "", "ER"),
        ("e", "#", f"{_C}#", "EH"),
        ("e", "", f"{_CM}e{_END}", "IY"),
        ("e", "", "#", "IY"),
        ("e", "", "", "EH"),
    ],
    "f": [("ff", "", "", "F"), ("f", "", "", "F")],
    "g": [
        ("gh", "#", "", "G"),
        ("gh", "", "", ""),
        ("gg", "", "", "G"),
        ("gn", "", "(?:#|e|ing)", "N"),
        ("g", "#", "[ei]", "G"),
        ("g", "", "[eiy]", "JH"),
        ("g", "", "", "G"),
    ],
    "h": [("h", "", "", "HH")],
    "i": [
        ("igh", "", "", "AY"),
        ("ie", "", "#", "AY"),
        ("ie", "", "", "IY"),
        ("ir", "", "", "ER"),
        ("ind", "", "#", "AY N D"),
        ("i", "", "gn(?:#|e|ing)", "AY"),
        ("i", "", f"{_CM}e{_END}", "AY"),
        ("i", "#", f"{_C}#", "IH"),
        ("i", "", "#", "IY"),
        ("i", "", "", "IH"),
    ],
    "j": [("j", "", "", "JH")],
    "k": [("k", "#", "n", ""), ("k", "", "", "K")],
    "l": [("ll", "", "", "L"), ("le", f"{_C}", "#", "AH L"), ("l", "", "", "L")],
    "m": [("mm", "", "", "M"), ("m", "", "", "M")],
    "n": [
        ("nn", "", "", "N"),
        ("ng", "", "", "NG"),
        ("nk", "", "", "NG K"),
        ("n", "", "", "N"),
    ],
    "o": [
        ("ough", "", "", "AO"),
        ("oo", "", "", "UW"),
        ("ou", "", "", "AW"),
        ("ow", "", "#", "OW"),
        ("ow", "", "", "AW"),
        ("oi", "", "", "OY"),
        ("oy", "", "", "OY"),
        ("oa", "", "", "OW"),
        ("oe", "", "#", "OW"),
        ("or", "", "", "AO R"),
        ("o", "", f"{_CM}e{_END}", "OW"),
        ("o", "", "#", "OW"),
        ("o", "", "", "AA"),
    ],
    "p": [("ph", "", "", "F"), ("pp", "", "", "P"), ("p", "", "", "P")],
    "q": [("qu", "", "", "K W"), ("q", "", "", "K")],
    "r": [("rr", "", "", "R"), ("r", "", "", "R")],
    "s": [
        ("sh", "", "", "SH"),
        ("ss", "", "", "S"),
        ("sion", "", "", "ZH AH N"),
        ("sure", "", "", "SH ER"),
        ("s", f"{_V}|[bdgvmnlr]", "#", "Z"),
        ("s", f"{_V}", f"{_V}", "Z"),
        ("s", "", "", "S"),
    ],
    "t": [
        ("tch", "", "", "CH"),
        ("tion", "", "", "SH AH N"),
        ("th", "", "", "TH"),
        ("tt", "", "", "T"),
        ("t", "", "", "T"),
    ],
    "u": [
        ("ur", "", "", "ER"),
        ("ue", "", "#", "UW"),
        ("u", "", f"{_CM}e{_END}", "UW"),
        ("u", "", "", "AH"),
    ],
    "v": [("v", "", "", "V")],
    "w": [("wh", "", "", "W"), ("wr", "", "", "R"), ("w", "", "", "W")],
    "x": [("x", "#", "", "Z"), ("x", "", "", "K S")],
    "y": [
        ("y", "#", f"{_V}", "Y"),
        ("y", "#", f"{_C}", "Y"),
        ("y", f"#{_C}+", "#", "AY"),
        ("y", "", "#", "IY"),
        ("y", f"{_C}", f"{_C}", "IH"),
        ("y", "", "", "Y"),
    ],
    "z": [("zz", "", "", "Z"), ("z", "", "", "Z")],
}

_COMPILED = {
    letter: [
        (g, re.compile(f"(?:{left})$") if left else None, re.compile(right) if right else None, p)
        for g, left, right, p in rules
    ]
    for letter, rules in _RULES.items()
}


@lru_cache(maxsize=4096)
def _convert(word: str) -> tuple[str, ...]:
    text = f"#{word}#"
    i = 1
    phones: list[str] = []
    while i < len(text) - 1:
        letter = text[i]
        rules = _COMPILED.get(letter)
        if rules is None:  # digits, apostrophes, letters of other scripts: no sound
            i += 1
            continue
        for grapheme, left, right, out in rules:
            if not text.startswith(grapheme, i):
                continue
            end = i + len(grapheme)
            if left is not None and not left.search(text[:i]):
                continue
            if right is not None and not right.match(text, end):
                continue
            phones.extend(out.split())
            i = end
            break
        else:  # pragma: no cover - every letter has a catch-all rule
            i += 1
    # Collapse doubled phones the rules can produce across graphemes ("k" + "c" ...).
    collapsed: list[str] = []
    for p in phones:
        if not collapsed or collapsed[-1] != p:
            collapsed.append(p)
    return tuple(collapsed)


def letter_to_sound(word: str) -> list[str]:
    """Guess the ARPAbet pronunciation of ``word`` from its spelling.

    Parameters
    ----------
    word
        A lower-case word (letters and apostrophes).

    Returns
    -------
    list of str
        ARPAbet phones without stress marks; empty when the word has no letters.
    """
    return list(_convert(word.lower()))
