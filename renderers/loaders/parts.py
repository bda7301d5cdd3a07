"""Guess what a mesh is (skin, eye, teeth, ...) from its node, mesh and material names.

Examples
--------
>>> infer_part(["grp_eyeLeft", "eyeLeft"])
'eye_left'
>>> infer_part(["Eye_R"])
'eye_right'
>>> infer_part(["Eyebrows"])
'hair'
>>> infer_part(["teeth"])
'teeth'
>>> infer_part(["Body"])
'skin'
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from renderers.avatar import MeshPart

_SPLIT = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|[^A-Za-z0-9]+")


def _words(names: Iterable[str]) -> list[str]:
    words: list[str] = []
    for name in names:
        words += [w.lower() for w in _SPLIT.split(name or "") if w]
    return words


def eye_side(names: Iterable[str]) -> str | None:
    """``"left"``, ``"right"`` or ``None`` from words like Left, R, _L, LeftEye."""
    words = _words(names)
    for w in reversed(words):
        if w in ("left", "l", "lf", "lft"):
            return "left"
        if w in ("right", "r", "rt", "rgt"):
            return "right"
    return None


def infer_part(names: Iterable[str], eye_x: float | None = None) -> MeshPart:
    """Classify a mesh by its names.

    Parameters
    ----------
    names
        Node, mesh and material names (most specific first; ``None`` entries are ignored).
    eye_x
        X of the mesh centre; decides left (+X) or right for an eye whose names do not say.
    """
    names = [n for n in names if n]
    joined = " ".join(_words(names))
    flat = "".join(_words(names))
    if any(k in flat for k in ("brow", "lash", "hair", "beard", "moustache", "mustache")):
        return "hair"
    if "teeth" in flat or "tooth" in flat or "gum" in joined.split():
        return "teeth"
    if "tongue" in flat:
        return "tongue"
    if "mouth" in flat and any(k in flat for k in ("interior", "inside", "inner", "cavity",
                                                     "bag", "sock")):
        return "mouth_interior"
    if re.search(r"(^|\s)(eye|eyes|eyeball|eyeballs|iris|pupil|cornea|sclera)(\s|$)", joined) \
            or "eyeball" in flat:
        if any(k in flat for k in ("lid", "socket", "shadow", "occlusion", "tear")):
            return "skin"
        side = eye_side(names)
        if side is None and eye_x is not None:
            side = "left" if eye_x > 0 else "right"
        if side == "left":
            return "eye_left"
        if side == "right":
            return "eye_right"
        return "other"
    return "skin"
