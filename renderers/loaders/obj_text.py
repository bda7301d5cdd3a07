"""Fast, vectorised reading of Wavefront OBJ text: a table of lines and their numbers.

An OBJ head has tens of thousands of ``v``/``vt``/``vn``/``f`` lines, and a blendshape set
repeats the ``v`` lines once per shape, so nothing here loops over lines in Python: the lines
of one kind are gathered with numpy masks and parsed in one ``np.fromstring`` call, and the
numbers each line holds are counted from whitespace runs, so a short or long line is caught.

Examples
--------
>>> table = line_table(b"v 0 0 0\\nv 1 0 0\\nvt 0.5 1\\nf 1/1 2/1 -1/1\\n")
>>> rows, counts = numbers(table, KIND_V, 1)
>>> rows.tolist(), counts.tolist()
([0.0, 0.0, 0.0, 1.0, 0.0, 0.0], [3, 3])
>>> table.kinds.tolist()
[1, 1, 2, 4, 0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["KIND_F", "KIND_OTHER", "KIND_V", "KIND_VN", "KIND_VT", "LineTable", "NumberError",
           "fixed_decimals", "line_table", "numbers", "parse_ints", "segment_bytes",
           "token_counts"]

KIND_OTHER, KIND_V, KIND_VT, KIND_VN, KIND_F = 0, 1, 2, 3, 4
"""Line kinds: anything else (comments, groups, materials, blank), ``v``, ``vt``, ``vn``, ``f``."""

_SPACE, _TAB, _CR, _LF = 32, 9, 13, 10


class NumberError(ValueError):
    """A line of a kind holds something that is not a number (``line`` is 0-based)."""

    def __init__(self, line: int) -> None:
        super().__init__(f"line {line + 1}")
        self.line = line


@dataclass(frozen=True)
class LineTable:
    """The lines of an OBJ file.

    Attributes
    ----------
    buf
        The file's bytes as ``uint8``.
    starts, ends
        ``(L,)`` int64 first byte of each line (leading blanks skipped) and one past its last
        byte (the newline excluded).
    kinds
        ``(L,)`` uint8 line kind (``KIND_*``).
    """

    buf: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    kinds: np.ndarray


def _is_blank(c: np.ndarray) -> np.ndarray:
    return (c == _SPACE) | (c == _TAB) | (c == _CR)


def line_table(data: bytes) -> LineTable:
    """Split OBJ bytes into lines and classify each by its keyword.

    Parameters
    ----------
    data
        The whole file.
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buf == _LF)
    starts = np.concatenate(([0], newlines + 1)).astype(np.int64)
    ends = np.concatenate((newlines, [buf.size])).astype(np.int64)
    if buf.size:
        indented = np.flatnonzero((starts < ends) & _is_blank(buf[np.minimum(starts,
                                                                             buf.size - 1)]))
        for i in indented:  # rare: strip leading blanks line by line
            s, e = int(starts[i]), int(ends[i])
            while s < e and buf[s] in (_SPACE, _TAB, _CR):
                s += 1
            starts[i] = s
    kinds = np.zeros(starts.size, dtype=np.uint8)
    if buf.size:
        length = ends - starts

        def at(k: int) -> np.ndarray:
            return np.where(length > k, buf[np.minimum(starts + k, buf.size - 1)], 0)

        c0, c1, c2 = at(0), at(1), at(2)
        blank1, blank2 = _is_blank(c1) & (length > 1), _is_blank(c2) & (length > 2)
        kinds[(c0 == ord("v")) & blank1] = KIND_V
        kinds[(c0 == ord("v")) & (c1 == ord("t")) & blank2] = KIND_VT
        kinds[(c0 == ord("v")) & (c1 == ord("n")) & blank2] = KIND_VN
        kinds[(c0 == ord("f")) & blank1] = KIND_F
    return LineTable(buf, starts, ends, kinds)


def segment_bytes(table: LineTable, lines: np.ndarray, skip: int) -> tuple[np.ndarray,
                                                                           np.ndarray]:
    """The bytes of the given lines with their first ``skip`` bytes blanked, run together.

    Each segment starts with blanks where the keyword was, so segments stay separated.

    Returns
    -------
    tuple
        ``(bytes, offsets)``: the gathered ``uint8`` bytes and ``(N,)`` int64 start of each
        line's segment in them.
    """
    buf = table.buf
    first, last = int(lines[0]), int(lines[-1])
    if last - first + 1 == lines.size:  # one run of lines (the usual v block): copy the span
        base = int(table.starts[first])
        text = buf[base:int(table.ends[last])].copy()
        offsets = table.starts[lines] - base
        for k in range(skip):
            text[offsets + k] = _SPACE
        return text, offsets
    s = table.starts[lines] + skip
    e = table.ends[lines]
    lengths = e - s
    offsets = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    lo, hi = int(s[0]), int(e[-1])
    mark = np.zeros(hi - lo + 1, dtype=np.int8)
    mark[s - lo] = 1
    mark[e - lo] -= 1  # s and e are each unique and never meet across lines
    inside = np.cumsum(mark[:-1], dtype=np.int8).view(bool)
    return buf[lo:hi][inside], offsets


def token_counts(text: np.ndarray, offsets: np.ndarray, separators: bytes = b"") -> np.ndarray:
    """Number of blank-separated tokens in each segment of ``text``.

    Parameters
    ----------
    text
        Gathered ``uint8`` bytes (each segment starts with a blank).
    offsets
        ``(N,)`` start of each segment.
    separators
        Extra bytes that separate tokens like blanks (``b"/"`` counts face-corner fields).
    """
    if offsets.size == 0:
        return np.zeros(0, dtype=np.int64)
    sep = text <= _SPACE  # blanks, newlines and control bytes
    for ch in separators:
        sep |= text == ch
    start = ~sep
    start[1:] &= sep[:-1]
    return np.add.reduceat(start, offsets, dtype=np.int64)


def _fromstring(text: np.ndarray, dtype: type, lines: np.ndarray,
                offsets: np.ndarray) -> np.ndarray:
    try:
        return np.fromstring(text.tobytes(), dtype=dtype, sep=" ")
    except ValueError:
        # find the first bad line for the message (only on failure)
        for k in range(offsets.size):
            end = offsets[k + 1] if k + 1 < offsets.size else text.size
            try:
                np.fromstring(text[offsets[k]:end].tobytes(), dtype=dtype, sep=" ")
            except ValueError:
                raise NumberError(int(lines[k])) from None
        raise NumberError(int(lines[0])) from None


def numbers(table: LineTable, kind: int, skip: int) -> tuple[np.ndarray, np.ndarray]:
    """All numbers of the lines of one kind, flat, and how many each line holds.

    Parameters
    ----------
    table
        The file's lines.
    kind
        ``KIND_V``, ``KIND_VT`` or ``KIND_VN``.
    skip
        Keyword length (1 for ``v``, 2 for ``vt``/``vn``).

    Returns
    -------
    tuple
        ``(values, counts)``: float64 values in file order and ``(N,)`` numbers per line.

    Raises
    ------
    NumberError
        A line holds something that is not a number.
    """
    lines = np.flatnonzero(table.kinds == kind)
    if lines.size == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    text, offsets = segment_bytes(table, lines, skip)
    fast = fixed_decimals(text, offsets)
    if fast is not None:
        return fast
    counts = token_counts(text, offsets)
    values = _fromstring(text, np.float64, lines, offsets)
    if values.size != int(counts.sum()):
        raise NumberError(int(lines[0]))
    return values, counts


def fixed_decimals(text: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray,
                                                                  np.ndarray] | None:
    """Parse numbers that all have the same count of decimals (``-0.123456``), or ``None``.

    Most exporters write every coordinate with ``%.Nf``; such numbers parse as integers
    (about three times faster than decimal parsing) and one division by ``10**N``, which
    gives the same correctly rounded doubles while the integers stay below ``2**53``. Any
    other shape of number (an exponent, no point, another count of decimals) returns
    ``None`` so the caller parses the general way.

    Examples
    --------
    >>> text = np.frombuffer(b" 0.50 -1.25\\n 2.00 3.75", dtype=np.uint8)
    >>> values, counts = fixed_decimals(text, np.array([0, 12]))
    >>> values.tolist(), counts.tolist()
    ([0.5, -1.25, 2.0, 3.75], [2, 2])
    >>> fixed_decimals(np.frombuffer(b" 1e5 2.0", dtype=np.uint8), np.array([0])) is None
    True
    """
    dots = np.flatnonzero(text == ord("."))
    if dots.size == 0:
        return None
    n = text.size
    k = 0
    while int(dots[0]) + 1 + k < n and 48 <= text[int(dots[0]) + 1 + k] <= 57:
        k += 1
    if not 1 <= k <= 15:
        return None
    for j in range(1, k + 1):
        at = dots + j
        if int(at[-1]) >= n or np.any(text[at] - np.uint8(48) > 9):
            return None
    end = dots + k + 1
    if np.any(text[np.minimum(end, n - 1)][end < n] > _SPACE):
        return None
    try:
        ints = np.fromstring(text.tobytes().replace(b".", b""), dtype=np.int64, sep=" ")
    except ValueError:
        return None
    if ints.size != dots.size or np.any(np.abs(ints) >= 2**53):
        return None
    per = dots.size // offsets.size
    if per * offsets.size == dots.size and per > 0:  # the usual: as many numbers on every line
        firsts, lasts = dots[::per], dots[per - 1::per]
        if firsts[0] > offsets[0] and np.all(lasts[:-1] < offsets[1:]) and \
                np.all(firsts[1:] > offsets[1:]):
            return ints / 10.0**k, np.full(offsets.size, per, dtype=np.int64)
    counts = np.diff(np.searchsorted(dots, offsets), append=dots.size)
    return ints / 10.0**k, counts.astype(np.int64)


def parse_ints(text: np.ndarray, lines: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Parse blank-separated integers from gathered segment bytes (``NumberError`` if not)."""
    return _fromstring(text, np.int64, lines, offsets)
