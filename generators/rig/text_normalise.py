"""Transcript normalisation: free text -> lower-case dictionary-style words.

The forced aligner needs whitespace-separated words that look like CMUdict entries: lower case,
no punctuation, digits spelled out. This pass does that for the simple cases a voice-line script
contains (cardinals, years, ordinals, decimals, percentages, currency, clock times, ``&``).

Examples
--------
>>> normalise_transcript("Hello, World! It's 3:30 -- 42% of $5.")
['hello', 'world', "it's", 'three', 'thirty', 'forty', 'two', 'percent', 'of', 'five', 'dollars']
>>> normalise_transcript("In 1999 the 21st [noise] <laugh> guest")
['in', 'nineteen', 'ninety', 'nine', 'the', 'twenty', 'first', 'guest']
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalise_transcript", "number_to_words", "ordinal_to_words"]

_ONES = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
]  # fmt: skip
_TENS = [
    "zero", "ten", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
]  # fmt: skip
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_ORDINAL_IRREGULAR = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
    "nine": "ninth", "twelve": "twelfth",
}  # fmt: skip
_SYMBOLS = {"&": " and ", "%": " percent ", "+": " plus ", "@": " at ", "=": " equals "}
_CURRENCY = {"$": ("dollar", "dollars", "cent", "cents"), "£": ("pound", "pounds", "penny",
             "pence"), "€": ("euro", "euros", "cent", "cents")}  # fmt: skip


def _below_thousand(n: int) -> list[str]:
    words: list[str] = []
    if n >= 100:
        words += [_ONES[n // 100], "hundred"]
        n %= 100
    if n >= 20:
        words.append(_TENS[n // 10])
        n %= 10
        if n:
            words.append(_ONES[n])
    elif n or not words:
        words.append(_ONES[n])
    return words


def number_to_words(n: int) -> list[str]:
    """Spell a non-negative integer as English words.

    Examples
    --------
    >>> " ".join(number_to_words(1205))
    'one thousand two hundred five'
    """
    if n < 0:
        return ["minus", *number_to_words(-n)]
    if n < 1000:
        return _below_thousand(n)
    words: list[str] = []
    for value, name in _SCALES:
        if n >= value:
            words += [*number_to_words(n // value), name]
            n %= value
    if n:
        words += _below_thousand(n)
    return words


def _year_to_words(n: int) -> list[str]:
    """Read a 4-digit year the way it is spoken (``1999`` -> nineteen ninety nine)."""
    hi, lo = divmod(n, 100)
    if n % 1000 < 10 and n >= 2000:  # 2000..2009: "two thousand (five)"
        return number_to_words(n)
    if lo == 0:
        return [*_below_thousand(hi), "hundred"]
    if lo < 10:
        return [*_below_thousand(hi), "oh", _ONES[lo]]
    return [*_below_thousand(hi), *_below_thousand(lo)]


def ordinal_to_words(n: int) -> list[str]:
    """Spell ``n`` as an ordinal (``21`` -> twenty first)."""
    words = number_to_words(n)
    last = words[-1]
    if last in _ORDINAL_IRREGULAR:
        words[-1] = _ORDINAL_IRREGULAR[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return words


def _digits_to_words(token: str) -> list[str]:
    digits = token.replace(",", "")
    if not digits.isdigit():
        return []
    n = int(digits)
    if len(digits) == 4 and "," not in token and 1100 <= n <= 2099:
        return _year_to_words(n)
    if len(digits) > 1 and digits.startswith("0"):
        return [_ONES[int(d)] if d != "0" else "oh" for d in digits]
    return number_to_words(n)


_NUMBER_RE = re.compile(
    r"(?P<cur>[$£€])?(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?"
    r"(?P<ord>st\b|nd\b|rd\b|th\b)?(?P<pct>%)?"
)
_TIME_RE = re.compile(r"\b(\d{1,2}):(\d{2})\b")


def _expand_number(m: re.Match[str]) -> str:
    cur, num, frac, ordn, pct = m.group("cur", "num", "frac", "ord", "pct")
    if ordn:
        return " " + " ".join(ordinal_to_words(int(num.replace(",", "")))) + " "
    if cur:
        one, many, sub_one, sub_many = _CURRENCY[cur]
        whole = int(num.replace(",", ""))
        words = [*number_to_words(whole), one if whole == 1 else many]
        if frac and int(frac[:2].ljust(2, "0")):
            cents = int(frac[:2].ljust(2, "0"))
            words += ["and", *number_to_words(cents), sub_one if cents == 1 else sub_many]
        return " " + " ".join(words) + " "
    words = _digits_to_words(num) if frac is None else number_to_words(int(num.replace(",", "")))
    if frac is not None:
        words += ["point", *[_ONES[int(d)] for d in frac]]
    if pct:
        words.append("percent")
    return " " + " ".join(words) + " "


def _expand_time(m: re.Match[str]) -> str:
    h, mins = int(m.group(1)), int(m.group(2))
    words = number_to_words(h)
    if mins == 0:
        words.append("o'clock")
    elif mins < 10:
        words += ["oh", _ONES[mins]]
    else:
        words += number_to_words(mins)
    return " " + " ".join(words) + " "


def normalise_transcript(text: str) -> list[str]:
    """Turn a free-text transcript into the word list the aligner expects.

    Lower-cases, drops bracketed annotations (``[noise]``, ``<laugh>``, ``(sighs)``), spells out
    numbers, keeps word-internal apostrophes (``don't``), splits hyphenated and slashed words,
    and removes all other punctuation.

    Parameters
    ----------
    text
        The transcript as the user typed it.

    Returns
    -------
    list of str
        Words in speaking order (possibly empty).
    """
    t = unicodedata.normalize("NFKC", text)
    t = t.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    t = re.sub(r"\[[^\]]*\]|<[^>]*>|\([^)]*\)|\{[^}]*\}", " ", t)
    t = _TIME_RE.sub(_expand_time, t)
    t = _NUMBER_RE.sub(_expand_number, t)
    for sym, word in _SYMBOLS.items():
        t = t.replace(sym, word)
    t = t.lower()
    # Letters (any script, so accented names survive) and apostrophes; everything else splits.
    t = re.sub(r"[^\w']+|_", " ", t)
    words = []
    for raw in t.split():
        w = raw.strip("'")
        if raw.startswith("'") and raw.rstrip("'") in ("'em", "'cause", "'til", "'bout"):
            w = raw.rstrip("'")
        w = unicodedata.normalize("NFKD", w)
        w = "".join(c for c in w if not unicodedata.combining(c))
        if w and any(c.isalpha() for c in w):
            words.append(w)
    return words
