"""Emotion idioms: figurative phrases ("seeing red", "on cloud nine") read as emotion words.

A sentence encoder reads an idiom by its literal words ("tickled pink" lands next to "blue",
"hot-headed" next to "warm"), so idioms are listed in ``assets/presets/idioms.json`` with the
emotion they mean. Each is written as a pattern that covers its usual forms:

* words are separated by spaces, hyphens count as spaces, apostrophes are dropped
  ("hot-headed" is ``hot headed``, "wits' end" is ``wits end``);
* ``a|b|c`` is any one of these words at that place (verb forms: ``see|sees|saw|seeing red``);
* ``one's`` is any possessive (my, your, his, her, its, our, their, one's);
* ``[word]`` is an optional word;
* a negative contraction without its apostrophe ("couldnt", "cant") also matches the prompt's
  "couldn't" / "could not" ("cant" also "cannot").

The first form of every place names the idiom in notes ("see red").

Examples
--------
>>> expand_pattern("see|saw red")
[('see', 'red'), ('saw', 'red')]
>>> ("at", "her", "wits", "end") in expand_pattern("at one's wits end")
True
>>> ("could", "not", "care", "less") in expand_pattern("couldnt care less")
True
>>> idiom_name("[as] cool|calm as a cucumber")
'as cool as a cucumber'
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["MAX_PHRASES", "MAX_VARIANTS", "MAX_WORDS", "POSSESSIVES", "expand_pattern",
           "idiom_name", "idiom_patterns"]

POSSESSIVES: tuple[str, ...] = ("my", "your", "his", "her", "its", "our", "their", "one's")
"""What ``one's`` in a pattern stands for."""

MAX_VARIANTS: int = 200
"""Most word sequences one pattern may stand for (a bound on what a data file can make us
allocate, and a guard against a pattern written wrongly)."""

MAX_IDIOMS: int = 5_000
"""Most idioms the file may list."""

MAX_WORDS: int = 12
"""Most words (places) in one pattern."""

MAX_PHRASES: int = 50_000
"""Most phrases all the idioms may stand for together."""

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_NOT_CONTRACTIONS = {"cant": "can", "wont": "will"}
"""Negative contractions whose first part is not the word before "nt"."""
_NEGATABLE = frozenset({
    "could", "would", "should", "do", "does", "did", "is", "was", "are", "were", "have", "has",
    "had", "must", "need",
})


def _places(pattern: str) -> list[tuple[list[str], str]]:
    """The choices at each place of a pattern and the form that names it."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise ValueError(f"idioms.json: empty idiom pattern {pattern!r}")
    places: list[tuple[list[str], str]] = []
    for token in pattern.lower().replace("-", " ").split():
        optional = token.startswith("[") and token.endswith("]")
        core = token[1:-1] if optional else token
        choices = list(POSSESSIVES) if core == "one's" else core.split("|")
        if not all(_WORD.fullmatch(c) for c in choices):
            raise ValueError(
                f"idioms.json: {pattern!r}: {token!r} must be words, a|b choices, [optional] "
                "or one's"
            )
        name = "one's" if core == "one's" else choices[0]
        places.append(([*choices, ""] if optional else choices, name))
        if len(places) > MAX_WORDS:
            raise ValueError(f"idioms.json: {pattern[:40]!r}... has more than {MAX_WORDS} words")
    if all("" in choices for choices, _ in places):
        raise ValueError(f"idioms.json: {pattern!r} has only optional words")
    return places


def expand_pattern(pattern: str) -> list[tuple[str, ...]]:
    """Every word sequence an idiom pattern stands for.

    Parameters
    ----------
    pattern
        An idiom pattern (see the module's description).

    Returns
    -------
    list of tuple of str
        The sequences in pattern order, without duplicates.

    Raises
    ------
    ValueError
        If the pattern is malformed or stands for more than :data:`MAX_VARIANTS` sequences.
    """
    return _expand(pattern, _places(pattern))


def _expand(pattern: str, places: list[tuple[list[str], str]]) -> list[tuple[str, ...]]:
    """:func:`expand_pattern` of a pattern already split into its places."""
    count = 1
    for choices, _ in places:
        count *= len(choices)
    if count > MAX_VARIANTS:
        raise ValueError(
            f"idioms.json: {pattern!r} stands for {count} phrases (at most {MAX_VARIANTS}); "
            "split it into several idioms"
        )
    out: dict[tuple[str, ...], None] = {}
    for combo in itertools.product(*(choices for choices, _ in places)):
        words = tuple(w for w in combo if w)
        out[words] = None
        out[_uncontracted(words)] = None
        if "cant" in words:  # "cannot" is one word to the tokenizer
            out[tuple("cannot" if w == "cant" else w for w in words)] = None
    return list(out)


def _uncontracted(words: tuple[str, ...]) -> tuple[str, ...]:
    """The words as the prompt tokenizer leaves them: "couldnt" -> "could not" (it reads
    "couldn't" so), "cant" -> "can not"."""
    out: list[str] = []
    for w in words:
        if w in _NOT_CONTRACTIONS:
            out += [_NOT_CONTRACTIONS[w], "not"]
        elif w.endswith("nt") and w[:-2] in _NEGATABLE:
            out += [w[:-2], "not"]
        else:
            out.append(w)
    return tuple(out)


def idiom_name(pattern: str) -> str:
    """The idiom's name: the first form at every place, optional words included."""
    return _name(_places(pattern))


def _name(places: list[tuple[list[str], str]]) -> str:
    return " ".join(name for _, name in places)


def idiom_patterns(
    data: Mapping[str, Any],
) -> dict[str, tuple[str, list[tuple[str, ...]], Mapping[str, Any]]]:
    """The idioms of a decoded ``idioms.json``: name -> (pattern, its forms as
    :func:`expand_pattern` gives them, word entry).

    Raises
    ------
    ValueError
        If the file is malformed, too long, or two patterns share a name.
    """
    idioms = data.get("idioms") if isinstance(data, Mapping) else None
    if not isinstance(idioms, Mapping):
        raise ValueError("idioms.json: needs an 'idioms' object of pattern -> entry")
    if len(idioms) > MAX_IDIOMS:
        raise ValueError(f"idioms.json: {len(idioms)} idioms, at most {MAX_IDIOMS}")
    out: dict[str, tuple[str, list[tuple[str, ...]], Mapping[str, Any]]] = {}
    for pattern, spec in idioms.items():
        if not isinstance(pattern, str):
            raise ValueError(f"idioms.json: pattern {pattern!r} must be text")
        if not isinstance(spec, Mapping):
            raise ValueError(f"idioms.json: {pattern!r} needs an entry object")
        places = _places(pattern)  # parsed once for the name and the forms
        name = _name(places)
        if name in out:
            raise ValueError(f"idioms.json: {pattern!r} and {out[name][0]!r} share a name")
        out[name] = (pattern, _expand(pattern, places), spec)
    return out
