"""Visemes: the mouth shapes of speech, the ARPAbet -> viseme table, and each viseme's ARKit pose.

The set is the 15 Oculus/MPEG-4-style visemes. The phone table lives here; each viseme's ARKit
target weights and coarticulation parameters are data in ``assets/presets/visemes.json``.

Examples
--------
>>> PHONE_VISEMES["B"], PHONE_VISEMES["AY"]
(('PP',), ('aa', 'ih'))
>>> table = viseme_table()
>>> round(float(table["PP"].weight("mouthClose")), 2)
0.06
>>> [v.viseme for v in phones_to_visemes([PhonemeSegment("M", 0.0, 0.1)])]
['PP']
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from generators.take import PhonemeSegment, VisemeSegment
from renderers.arkit import ARKIT_INDEX, ARKIT_NAMES, NUM_SHAPES

__all__ = [
    "CHANNEL_GROUPS",
    "DIPHTHONG_SPLIT",
    "PHONE_DOMINANCE",
    "PHONE_VISEMES",
    "VISEMES",
    "Articulation",
    "VisemeSpec",
    "articulations",
    "group_of_channels",
    "phones_to_visemes",
    "viseme_table",
]

VISEMES: tuple[str, ...] = (
    "sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "ih", "oh", "ou",
)  # fmt: skip
"""The viseme set, in Oculus order."""

PHONE_VISEMES: dict[str, tuple[str, ...]] = {
    "SIL": ("sil",),
    "P": ("PP",), "B": ("PP",), "M": ("PP",),
    "F": ("FF",), "V": ("FF",),
    "TH": ("TH",), "DH": ("TH",),
    "T": ("DD",), "D": ("DD",),
    "K": ("kk",), "G": ("kk",), "NG": ("kk",), "HH": ("kk",),
    "CH": ("CH",), "JH": ("CH",), "SH": ("CH",), "ZH": ("CH",),
    "S": ("SS",), "Z": ("SS",),
    "N": ("nn",), "L": ("nn",),
    "R": ("RR",), "ER": ("RR",),
    "AA": ("aa",), "AE": ("aa",), "AH": ("aa",),
    "AW": ("aa", "ou"), "AY": ("aa", "ih"),
    "EH": ("E",), "EY": ("E", "ih"),
    "IH": ("ih",), "IY": ("ih",), "Y": ("ih",),
    "AO": ("oh",), "OW": ("oh", "ou"), "OY": ("oh", "ih"),
    "UH": ("ou",), "UW": ("ou",), "W": ("ou",),
}  # fmt: skip
"""ARPAbet phone (no stress) -> viseme(s); diphthongs glide through two visemes."""

DIPHTHONG_SPLIT: float = 0.55
"""Share of a diphthong's duration given to its first viseme."""

PHONE_DOMINANCE: dict[str, float] = {"HH": 0.15, "AH": 0.8, "Y": 0.7, "L": 0.8}
"""Per-phone dominance multipliers: /h/ takes the next vowel's shape, schwa and glides yield."""

CHANNEL_GROUPS: tuple[str, ...] = ("lips", "jaw", "tongue")
"""Coarticulation channel groups (each viseme has a dominance per group)."""


def group_of_channels() -> np.ndarray:
    """``(52,)`` index of each ARKit channel's group in :data:`CHANNEL_GROUPS`.

    ``jaw*`` -> jaw, ``tongueOut`` -> tongue, everything else (mouth, cheeks, and non-mouth shapes
    that visemes leave at 0) -> lips.
    """
    out = np.zeros(NUM_SHAPES, dtype=np.int64)
    for i, name in enumerate(ARKIT_NAMES):
        if name.startswith("jaw"):
            out[i] = 1
        elif name == "tongueOut":
            out[i] = 2
    return out


@dataclass(frozen=True)
class VisemeSpec:
    """One viseme's target pose and coarticulation parameters.

    Parameters
    ----------
    name
        Viseme label.
    weights
        ``(52,)`` ARKit target weights.
    dominance
        ``(3,)`` dominance per channel group (lips, jaw, tongue).
    attack, release
        Seconds of influence before / after the segment.
    closure
        Whether the lips must meet at the segment centre.
    """

    name: str
    weights: np.ndarray
    dominance: np.ndarray
    attack: float
    release: float
    closure: bool = False

    def weight(self, shape: str) -> float:
        """Target weight of one ARKit shape."""
        return float(self.weights[ARKIT_INDEX[shape]])


def _expand_weights(name: str, raw: dict[str, float]) -> np.ndarray:
    w = np.zeros(NUM_SHAPES, dtype=np.float32)
    for key, value in raw.items():
        if key in ARKIT_INDEX:
            w[ARKIT_INDEX[key]] = value
        elif f"{key}Left" in ARKIT_INDEX and f"{key}Right" in ARKIT_INDEX:
            w[ARKIT_INDEX[f"{key}Left"]] = value
            w[ARKIT_INDEX[f"{key}Right"]] = value
        else:
            raise ValueError(f"visemes.json: viseme {name!r} names unknown ARKit shape {key!r}")
    if np.any(w < 0) or np.any(w > 1):
        raise ValueError(f"visemes.json: viseme {name!r} has weights outside 0..1")
    return w


@lru_cache(maxsize=1)
def viseme_table() -> dict[str, VisemeSpec]:
    """Load the viseme table shipped in ``assets/presets/visemes.json`` (cached).

    Raises
    ------
    ValueError
        If the data file is missing a viseme or names an unknown ARKit shape.
    """
    path = resources.files("assets") / "presets" / "visemes.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    table: dict[str, VisemeSpec] = {}
    for name in VISEMES:
        try:
            entry = data["visemes"][name]
        except KeyError:
            raise ValueError(f"visemes.json has no entry for viseme {name!r}") from None
        dom = entry.get("dominance", {})
        table[name] = VisemeSpec(
            name=name,
            weights=_expand_weights(name, entry.get("weights", {})),
            dominance=np.array([float(dom.get(g, 0.5)) for g in CHANNEL_GROUPS]),
            attack=float(entry.get("attack", 0.06)),
            release=float(entry.get("release", 0.06)),
            closure=bool(entry.get("closure", False)),
        )
    return table


def phone_visemes(phone: str) -> tuple[str, ...]:
    """Visemes of one ARPAbet phone (stress digits ignored; unknown phones -> ``sil``)."""
    return PHONE_VISEMES.get(phone.rstrip("012").upper(), ("sil",))


@dataclass(frozen=True)
class Articulation:
    """One viseme target in time: what the coarticulation pass blends.

    Parameters
    ----------
    viseme
        Viseme label.
    start, end
        Seconds.
    strength
        Dominance multiplier of the phone it comes from (:data:`PHONE_DOMINANCE`).
    phone
        The ARPAbet phone.
    """

    viseme: str
    start: float
    end: float
    strength: float = 1.0
    phone: str = ""


def articulations(phonemes: Sequence[PhonemeSegment]) -> list[Articulation]:
    """Expand phones into viseme targets (diphthongs become two), without merging."""
    out: list[Articulation] = []
    for seg in phonemes:
        phone = seg.phone.rstrip("012").upper()
        vis = phone_visemes(phone)
        strength = PHONE_DOMINANCE.get(phone, 1.0)
        if len(vis) == 1:
            parts = [(vis[0], seg.start, seg.end)]
        else:
            mid = seg.start + DIPHTHONG_SPLIT * (seg.end - seg.start)
            parts = [(vis[0], seg.start, mid), (vis[1], mid, seg.end)]
        out.extend(Articulation(v, s, e, strength, phone) for v, s, e in parts if e > s)
    return out


def phones_to_visemes(phonemes: Sequence[PhonemeSegment]) -> list[VisemeSegment]:
    """Map a phone timeline to a viseme timeline.

    Diphthongs are split into two visemes (:data:`DIPHTHONG_SPLIT`); consecutive segments with
    the same viseme are kept separate only when a phone boundary matters for closure (``PP``),
    otherwise merged.

    Parameters
    ----------
    phonemes
        Phone segments in time order.

    Returns
    -------
    list of VisemeSegment
    """
    out: list[VisemeSegment] = []
    for art in articulations(phonemes):
        v, s, e = art.viseme, art.start, art.end
        if out and out[-1].viseme == v and v != "PP" and abs(out[-1].end - s) < 1e-9:
            prev = out.pop()
            out.append(VisemeSegment(v, prev.start, e))
        else:
            out.append(VisemeSegment(v, s, e))
    return out
