"""BERT's uncased WordPiece tokenizer in pure Python, equal to Hugging Face's ``BertTokenizerFast``.

Text goes through the same steps as the reference tokenizer:

1. special tokens written literally (``[CLS]``, ``[SEP]``, ``[PAD]``, ``[UNK]``, ``[MASK]``,
   case-sensitive) are kept whole;
2. basic tokenization: drop NUL, U+FFFD and control, format, private-use and surrogate
   characters (not unassigned ones), turn Unicode spaces into spaces, put spaces around CJK
   ideographs, split on whitespace, strip accents (NFD, then drop non-spacing marks),
   lower-case, split off every punctuation character
   (Unicode ``P*`` categories and the ASCII symbols ``!``-``/``, ``:``-``@``, ``[``-`````,
   ``{``-``~``), classifying characters as the reference's Unicode 8.0 tables do;
3. WordPiece: greedy longest-match-first against the vocabulary, continuation pieces
   prefixed ``##``; a word longer than 100 characters or with a part not in the vocabulary
   becomes ``[UNK]``;
4. ``[CLS]`` ... ``[SEP]`` around the pieces, truncated to ``max_length`` tokens in all.

Examples
--------
>>> vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "quiet", "##ly", "furious", "!"]
>>> tokenizer = WordPieceTokenizer(vocab)
>>> tokenizer.tokenize("Quietly FURIOUS!")
['quiet', '##ly', 'furious', '!']
>>> tokenizer.encode("Quietly FURIOUS!")
[2, 5, 6, 7, 8, 3]
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from os import PathLike
from pathlib import Path

__all__ = ["DEFAULT_MAX_LENGTH", "MAX_WORD_CHARS", "WordPieceTokenizer", "basic_tokenize"]

DEFAULT_MAX_LENGTH: int = 128
"""Default longest token sequence, ``[CLS]`` and ``[SEP]`` included.

Emotion prompts are a few words; 128 tokens is about 90 English words, far more than any
prompt needs, and keeps the attention cost small.
"""

MAX_WORD_CHARS: int = 100
"""A word longer than this (in characters) becomes ``[UNK]``, as in the reference tokenizer."""

_SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
_SPECIAL_SPLIT = re.compile("(" + "|".join(re.escape(t) for t in _SPECIAL_TOKENS) + ")")

# CJK ideographs get spaces around them. The fast reference tokenizer starts its fifth
# supplementary range at U+2B920 (the original BERT code at U+2B820); the ids follow it.
_CJK_RANGES = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B920, 0x2CEAF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
)

# The reference tokenizer classifies characters with Unicode 8.0 tables, Python with newer
# ones (13.0 in Python 3.10, 14.0 in 3.11). Characters whose class differs from 8.0 up to
# Unicode 14.0 are listed so that the ids stay identical. On a Python with newer tables,
# characters added after 14.0 may still split differently; none of them is in the vocabulary,
# so at most the grouping of [UNK] tokens can differ.
_NEWER_PUNCTUATION = (  # punctuation (P*) added after 8.0: not split off
    (0x061D, 0x061D), (0x09FD, 0x09FD), (0x0A76, 0x0A76), (0x0C77, 0x0C77), (0x0C84, 0x0C84),
    (0x1B7D, 0x1B7E), (0x2E43, 0x2E4F), (0x2E52, 0x2E5D), (0x10EAD, 0x10EAD),
    (0x10F55, 0x10F59), (0x10F86, 0x10F89), (0x1144B, 0x1144F), (0x1145A, 0x1145B),
    (0x1145D, 0x1145D), (0x11660, 0x1166C), (0x116B9, 0x116B9), (0x1183B, 0x1183B),
    (0x11944, 0x11946), (0x119E2, 0x119E2), (0x11A3F, 0x11A46), (0x11A9A, 0x11A9C),
    (0x11A9E, 0x11AA2), (0x11C41, 0x11C45), (0x11C70, 0x11C71), (0x11EF7, 0x11EF8),
    (0x11FFF, 0x11FFF), (0x12FF1, 0x12FF2), (0x16E97, 0x16E9A), (0x16FE2, 0x16FE2),
    (0x1E95E, 0x1E95F),
)
_FORMER_PUNCTUATION = frozenset((0x166D, 0x111C9))  # punctuation in 8.0, reclassified since
_NEWER_FORMAT = (  # format characters (Cf) added after 8.0: kept, not dropped
    (0x0890, 0x0891), (0x08E2, 0x08E2), (0x110CD, 0x110CD), (0x13430, 0x13438),
)
_NEWER_MARKS = (  # non-spacing marks (Mn) added after 8.0: kept by accent stripping
    (0x07FD, 0x07FD), (0x0898, 0x089F), (0x08CA, 0x08E1), (0x09FE, 0x09FE), (0x0AFA, 0x0AFF),
    (0x0B55, 0x0B55), (0x0C04, 0x0C04), (0x0C3C, 0x0C3C), (0x0D00, 0x0D00), (0x0D3B, 0x0D3C),
    (0x0D81, 0x0D81), (0x0EBA, 0x0EBA), (0x180F, 0x180F), (0x1885, 0x1886), (0x1ABF, 0x1ACE),
    (0x1DF6, 0x1DFB), (0xA82C, 0xA82C), (0xA8C5, 0xA8C5), (0xA8FF, 0xA8FF), (0xA9BD, 0xA9BD),
    (0x10D24, 0x10D27), (0x10EAB, 0x10EAC), (0x10F46, 0x10F50), (0x10F82, 0x10F85),
    (0x11070, 0x11070), (0x11073, 0x11074), (0x110C2, 0x110C2), (0x111C9, 0x111C9),
    (0x111CF, 0x111CF), (0x1123E, 0x1123E), (0x1133B, 0x1133B), (0x11438, 0x1143F),
    (0x11442, 0x11444), (0x11446, 0x11446), (0x1145E, 0x1145E), (0x1182F, 0x11837),
    (0x11839, 0x1183A), (0x1193B, 0x1193C), (0x1193E, 0x1193E), (0x11943, 0x11943),
    (0x119D4, 0x119D7), (0x119DA, 0x119DB), (0x119E0, 0x119E0), (0x11A01, 0x11A0A),
    (0x11A33, 0x11A38), (0x11A3B, 0x11A3E), (0x11A47, 0x11A47), (0x11A51, 0x11A56),
    (0x11A59, 0x11A5B), (0x11A8A, 0x11A96), (0x11A98, 0x11A99), (0x11C30, 0x11C36),
    (0x11C38, 0x11C3D), (0x11C3F, 0x11C3F), (0x11C92, 0x11CA7), (0x11CAA, 0x11CB0),
    (0x11CB2, 0x11CB3), (0x11CB5, 0x11CB6), (0x11D31, 0x11D36), (0x11D3A, 0x11D3A),
    (0x11D3C, 0x11D3D), (0x11D3F, 0x11D45), (0x11D47, 0x11D47), (0x11D90, 0x11D91),
    (0x11D95, 0x11D95), (0x11D97, 0x11D97), (0x11EF3, 0x11EF4), (0x16F4F, 0x16F4F),
    (0x16FE4, 0x16FE4), (0x1CF00, 0x1CF2D), (0x1CF30, 0x1CF46), (0x1E000, 0x1E006),
    (0x1E008, 0x1E018), (0x1E01B, 0x1E021), (0x1E023, 0x1E024), (0x1E026, 0x1E02A),
    (0x1E130, 0x1E136), (0x1E2AE, 0x1E2AE), (0x1E2EC, 0x1E2EF), (0x1E944, 0x1E94A),
)
_FORMER_MARKS = frozenset((0x1734,))  # a non-spacing mark in 8.0, a spacing one since
_SIGMA = "\u03a3"

_CONTROL_CATEGORIES = frozenset(("Cc", "Cf", "Co", "Cs"))


def _is_whitespace(char: str) -> bool:
    """Space, tab, newline, carriage return or a Unicode space separator (``Zs``)."""
    return char in " \t\n\r" or unicodedata.category(char) == "Zs"


def _is_control(char: str) -> bool:
    """A control, format, private-use or surrogate character other than tab, CR and LF.

    Unassigned code points (``Cn``) are kept, as the reference (Rust) tokenizer keeps them;
    they end up as ``[UNK]``.
    """
    return (
        char not in "\t\n\r"
        and unicodedata.category(char) in _CONTROL_CATEGORIES
        and not _in_ranges(ord(char), _NEWER_FORMAT)
    )


def _is_punctuation(char: str) -> bool:
    """ASCII non-alphanumeric symbols and every Unicode ``P*`` category character."""
    cp = ord(char)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    if cp < 128:
        return False
    if unicodedata.category(char).startswith("P"):
        return not _in_ranges(cp, _NEWER_PUNCTUATION)
    return cp in _FORMER_PUNCTUATION


def _in_ranges(cp: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    """Whether a code point lies in one of the inclusive ranges."""
    return any(low <= cp <= high for low, high in ranges)


def _is_cjk(cp: int) -> bool:
    """Whether a code point is a CJK ideograph (not Japanese kana or Hangul)."""
    return cp >= 0x3400 and _in_ranges(cp, _CJK_RANGES)


def _clean(text: str) -> str:
    """Drop invalid and control characters, map whitespace to spaces, space out CJK."""
    out: list[str] = []
    for char in text:
        cp = ord(char)
        if cp == 0 or cp == 0xFFFD or _is_control(char):
            continue
        if _is_whitespace(char):
            out.append(" ")
        elif _is_cjk(cp):
            out.extend((" ", char, " "))
        else:
            out.append(char)
    return "".join(out)


def _is_mark(char: str) -> bool:
    """Whether a character is a non-spacing mark (``Mn``) in Unicode 8.0."""
    if unicodedata.category(char) == "Mn":
        return not _in_ranges(ord(char), _NEWER_MARKS)
    return ord(char) in _FORMER_MARKS


def _lower(word: str) -> str:
    """Lower-case character by character (no final-sigma rule, as the reference)."""
    if _SIGMA not in word:
        return word.lower()
    return "".join(char.lower() for char in word)


def _strip_accents(text: str) -> str:
    """Decompose (NFD) and drop the non-spacing marks."""
    decomposed = unicodedata.normalize("NFD", text)
    if decomposed.isascii():
        return decomposed
    return "".join(char for char in decomposed if not _is_mark(char))


def _split_punctuation(word: str) -> list[str]:
    """Split a word so that every punctuation character stands alone."""
    pieces: list[str] = []
    current: list[str] = []
    for char in word:
        if _is_punctuation(char):
            if current:
                pieces.append("".join(current))
                current = []
            pieces.append(char)
        else:
            current.append(char)
    if current:
        pieces.append("".join(current))
    return pieces


def basic_tokenize(text: str, lower_case: bool = True) -> list[str]:
    """BERT's basic tokenization: clean, lower-case, strip accents, split punctuation.

    Parameters
    ----------
    text
        Any text (no special-token handling here).
    lower_case
        Strip accents and lower-case (the uncased models); ``False`` keeps both.

    Returns
    -------
    list[str]
        The words and punctuation characters.

    Examples
    --------
    >>> basic_tokenize("Naïve CAFÉ-owner, 你好!")
    ['naive', 'cafe', '-', 'owner', ',', '你', '好', '!']
    """
    words: list[str] = []
    for word in _clean(text).split():
        if lower_case:
            word = _lower(_strip_accents(word))
        words.extend(_split_punctuation(word))
    return words


class WordPieceTokenizer:
    """Text -> BERT token ids for an uncased WordPiece vocabulary.

    Parameters
    ----------
    vocab
        The tokens in id order (line ``i`` of ``vocab.txt`` has id ``i``); must contain
        ``[UNK]``, ``[CLS]`` and ``[SEP]``.
    lower_case
        Lower-case and strip accents, as the uncased models expect.
    max_length
        Longest id sequence :meth:`encode` returns, ``[CLS]`` and ``[SEP]`` included.

    Raises
    ------
    ValueError
        A special token is missing from the vocabulary, or ``max_length`` is below 2.
    """

    def __init__(
        self,
        vocab: Iterable[str],
        lower_case: bool = True,
        max_length: int = DEFAULT_MAX_LENGTH,
    ) -> None:
        self._ids: dict[str, int] = {token: i for i, token in enumerate(vocab)}
        missing = [t for t in ("[UNK]", "[CLS]", "[SEP]") if t not in self._ids]
        if missing:
            raise ValueError(f"the vocabulary lacks {', '.join(missing)}")
        if max_length < 2:
            raise ValueError(f"max_length must be at least 2 ([CLS] and [SEP]), not {max_length}")
        self.lower_case = lower_case
        self.max_length = max_length
        self.unk_id = self._ids["[UNK]"]
        self.cls_id = self._ids["[CLS]"]
        self.sep_id = self._ids["[SEP]"]
        self.pad_id = self._ids.get("[PAD]", 0)

    @classmethod
    def from_file(
        cls,
        path: str | PathLike[str],
        lower_case: bool = True,
        max_length: int = DEFAULT_MAX_LENGTH,
    ) -> WordPieceTokenizer:
        """Read a ``vocab.txt`` (one token per line, UTF-8).

        Parameters
        ----------
        path
            The vocabulary file.
        lower_case, max_length
            As for the constructor.

        Returns
        -------
        WordPieceTokenizer
            The tokenizer.
        """
        text = Path(path).read_text(encoding="utf-8")
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return cls(lines, lower_case=lower_case, max_length=max_length)

    def __len__(self) -> int:
        """Size of the id space: the largest token id plus one."""
        return max(self._ids.values()) + 1

    def _wordpieces(self, word: str) -> list[str]:
        """Greedy longest-match-first split of one word, or ``["[UNK]"]``."""
        if len(word) > MAX_WORD_CHARS:
            return ["[UNK]"]
        pieces: list[str] = []
        start = 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self._ids:
                    break
                end -= 1
            else:
                return ["[UNK]"]
            pieces.append(piece)
            start = end
        return pieces

    def tokenize(self, text: str) -> list[str]:
        """Split text into WordPiece tokens, without ``[CLS]``/``[SEP]`` or truncation.

        Parameters
        ----------
        text
            Any text.

        Returns
        -------
        list[str]
            The tokens.
        """
        tokens: list[str] = []
        for i, part in enumerate(_SPECIAL_SPLIT.split(text)):
            if i % 2 and part in self._ids:  # a literal special token
                tokens.append(part)
                continue
            for word in basic_tokenize(part, self.lower_case):
                tokens.extend(self._wordpieces(word))
        return tokens

    def encode(self, text: str) -> list[int]:
        """Token ids ``[CLS] ... [SEP]``, truncated to :attr:`max_length`.

        Parameters
        ----------
        text
            Any text; the empty string gives ``[CLS] [SEP]``.

        Returns
        -------
        list[int]
            The ids.
        """
        ids = [self._ids[t] for t in self.tokenize(text)]
        return [self.cls_id, *ids[: self.max_length - 2], self.sep_id]
