"""Match morph-target names from real-world rigs to the ARKit-52 vocabulary.

Rigs spell the same shape many ways: ``eyeBlinkLeft``, ``EyeBlinkLeft`` (Live Link),
``eyeBlink_L`` (three.js facecap, ICT-FaceKit), ``blendShape1.eyeBlinkLeft`` (Maya),
``Face:eye_blink_left``, ``ARKit_jawOpen``, ``eyeBlink.L`` (Blender). Matching ignores case,
separators, namespace prefixes (``blendShape1.``, ``Face:``, ``rig|``) and the word prefixes
``ARKit``, ``BS_`` and ``blendShape_``, and reads the side from a ``Left``/``Right`` word or an
``L``/``R`` suffix.

Examples
--------
>>> match_arkit_name("blendShape1.eyeBlink_L")
'eyeBlinkLeft'
>>> match_arkit_name("MouthSmileRight")
'mouthSmileRight'
>>> match_arkit_name("cheekPuff_L") is None
True
>>> split_side("cheekPuff_L")
('cheekpuff', 'left')
>>> match_arkit_name("ARKit_jawOpen"), match_arkit_name("eyeBlink.R")
('jawOpen', 'eyeBlinkRight')
"""

from __future__ import annotations

import re
from typing import Literal

from renderers.arkit import ARKIT_NAMES

Side = Literal["left", "right"]

_PREFIX = re.compile(r"^.*[.:|/]")
_DOT_SIDE = re.compile(r"\.[lr]$", re.IGNORECASE)
_WORD_PREFIX = re.compile(r"^(?:arkit|bs|blendshape)[_\-\s]+", re.IGNORECASE)
_GLUED_PREFIX = re.compile(r"^(?i:arkit)(?=[A-Z])")
_WORD_SIDE = re.compile(r"(left|right)$", re.IGNORECASE)
_LETTER_SIDE = re.compile(r"[_.\-\s]([lr])$", re.IGNORECASE)
_NON_ALNUM = re.compile(r"[^0-9a-z]")


def _key(text: str) -> str:
    return _NON_ALNUM.sub("", text.lower())


def strip_prefix(name: str) -> str:
    """Remove namespace and word prefixes from a target name, keeping a ``.L``/``.R`` suffix.

    Parameters
    ----------
    name
        A morph-target name as found in a file.

    Returns
    -------
    str
        ``"blendShape1.eyeBlink_L"`` -> ``"eyeBlink_L"``, ``"ARKit_jawOpen"`` -> ``"jawOpen"``,
        ``"eyeBlink.L"`` -> ``"eyeBlink.L"``.
    """
    text = name.strip()
    suffix = ""
    m = _DOT_SIDE.search(text)
    if m and m.start() > 0:
        text, suffix = text[: m.start()], text[m.start():]
    text = _PREFIX.sub("", text)
    for pattern in (_WORD_PREFIX, _GLUED_PREFIX):
        text = pattern.sub("", text, count=1) or text
    return text + suffix


def split_side(name: str) -> tuple[str, Side | None]:
    """Split a target name into a normalised base key and its side.

    Parameters
    ----------
    name
        A morph-target name as found in a file.

    Returns
    -------
    tuple
        ``(base, side)``: ``base`` is lower-case letters and digits only; ``side`` is
        ``"left"``, ``"right"`` or ``None``.
    """
    text = strip_prefix(name)
    m = _WORD_SIDE.search(text)
    if m and m.start() > 0:
        return _key(text[: m.start()]), m.group(1).lower()  # type: ignore[return-value]
    m = _LETTER_SIDE.search(text)
    if m:
        side: Side = "left" if m.group(1).lower() == "l" else "right"
        return _key(text[: m.start()]), side
    return _key(text), None


def _table() -> dict[tuple[str, Side | None], str]:
    table: dict[tuple[str, Side | None], str] = {}
    for name in ARKIT_NAMES:
        base, side = split_side(name)
        table[(base, side)] = name
    return table


_TABLE = _table()


def match_arkit_name(name: str) -> str | None:
    """Return the ARKit name a morph-target name stands for, or ``None``.

    Parameters
    ----------
    name
        A morph-target name from a file (any of the common spellings).
    """
    base, side = split_side(name)
    hit = _TABLE.get((base, side))
    if hit is None and side is None:
        # a bare trailing L/R without a separator ("browDownL")
        text = strip_prefix(name)
        if len(text) > 1 and text[-1] in "LR" and text[-2].islower():
            letter: Side = "left" if text[-1] == "L" else "right"
            hit = _TABLE.get((_key(text[:-1]), letter))
    return hit


def unsided_arkit_name(name: str) -> str | None:
    """ARKit shape without a side that a one-sided target is half of (``cheekPuff_L``).

    Returns ``None`` when ``name`` has no side or its base is not an unsided ARKit shape.
    """
    base, side = split_side(name)
    if side is None:
        return None
    return _TABLE.get((base, None))


def _sided_pairs() -> dict[str, tuple[str, str]]:
    """Base key -> (left, right) ARKit names, e.g. ``"mouthsmile"`` -> the two smiles."""
    pairs = {}
    for name in ARKIT_NAMES:
        base, side = split_side(name)
        if side == "left":
            pairs[base] = (name, name[: -len("Left")] + "Right")
    return pairs


_SIDED_PAIRS = _sided_pairs()


def sided_pair(name: str) -> tuple[str, str] | None:
    """The ARKit left/right pair an unsided target stands for (``mouthSmile``), or ``None``.

    Examples
    --------
    >>> sided_pair("blendShape1.mouthSmile"), sided_pair("mouthSmile_L"), sided_pair("jawOpen")
    (('mouthSmileLeft', 'mouthSmileRight'), None, None)
    """
    base, side = split_side(name)
    if side is not None or match_arkit_name(name) is not None:
        return None
    return _SIDED_PAIRS.get(base)



def _viseme_keys() -> dict[str, str]:
    from renderers.channels import VISEME_CHANNELS

    keys = {_key(n): n for n in VISEME_CHANNELS}
    # Oculus' own spelling of the three rounded/close vowels (Ready Player Me uses I, O, U).
    keys.update({"visemeih": "viseme_I", "visemeoh": "viseme_O", "visemeou": "viseme_U"})
    return keys


_VISEME_KEYS = _viseme_keys()


def match_viseme_name(name: str) -> str | None:
    """The viseme channel (``viseme_aa`` ...) a target name stands for, or ``None``.

    Case, separators and prefixes are ignored as for ARKit names.

    Examples
    --------
    >>> match_viseme_name("Wolf3D_Head.viseme_aa"), match_viseme_name("VISEME_PP")
    ('viseme_aa', 'viseme_PP')
    >>> match_viseme_name("viseme_oh"), match_viseme_name("jawOpen") is None
    ('viseme_O', True)
    """
    return _VISEME_KEYS.get(_key(strip_prefix(name)))
