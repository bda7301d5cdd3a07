"""Display rules and face regions in prompts: what is felt versus what each half of the face shows.

People do not always show what they feel (Ekman & Friesen 1975, *Unmasking the Face*): they hide
an emotion behind a neutral or smiling mask, hold it back with control gestures (pressed lips), or
put on an expression they do not feel (a social smile, which lacks the cheek raise of a felt one:
Ekman, Friesen & O'Sullivan 1988). What leaks through a mask shows most in the upper face, whose
muscles are harder to control (the "reliable muscles" of the brows and lids). Prompts say this in
words, and this module gives each emotion word of a prompt a *role* and a *region*:

* ``felt``: shown by the whole face (or by the region the prompt names: "sad eyes", "smiling
  mouth");
* ``hidden`` ("trying to hide her fear", "secretly pleased", "furious inside"): felt, but shown only
  as a leak in the upper face (``leak`` x its intensity); the mouth keeps the mask;
* ``controlled`` ("quietly furious", "barely contained rage"): felt and shown, but held back: the
  upper face at ``control_upper``, the mouth at ``control_lower`` under a tight-lipped control
  gesture;
* ``display`` ("forced smile", "pretending to be calm", "behind a smile"): shown by the mouth (a
  smile becomes the social smile) but barely felt (``display_felt`` of its weight in the felt
  state).

The word lists and factors are data, in ``assets/presets/emotions.json`` under
``display_rules``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from generators.emotion.data import load_preset
from generators.emotion.lexicon import normalise_phrase
from generators.emotion.table import get_emotion_table
from generators.take import EmotionState

__all__ = [
    "DisplayRules",
    "Part",
    "RuleKind",
    "get_display_rules",
    "region_state",
    "region_parts",
]

Shown = tuple[Mapping[str, float], float, float]
"""A region's part with a mixing share: ``(mixture, intensity, share)``."""

RuleKind = Literal["hide", "hidden_after", "display", "control", "upper", "lower"]
"""What a display-rule phrase marks."""

Role = Literal["felt", "hidden", "controlled", "display"]

_KINDS: tuple[RuleKind, ...] = ("hide", "hidden_after", "display", "control", "upper", "lower")

SOCIAL_SMILE = "social smile"
TIGHT_LIPS = "tight lips"


@dataclass(frozen=True)
class DisplayRules:
    """The display-rule vocabulary and factors (see the module docstring)."""

    phrases: Mapping[tuple[str, ...], RuleKind]
    max_phrase: int
    mouth_words: frozenset[str]
    leak: float
    control_upper: float
    control_lower: float
    tight_lips: float
    display_felt: float

    def match(self, tokens: Sequence[str], start: int) -> tuple[RuleKind, int] | None:
        """The longest display-rule phrase at ``tokens[start:]`` as ``(kind, length)``."""
        for length in range(min(self.max_phrase, len(tokens) - start), 0, -1):
            kind = self.phrases.get(tuple(tokens[start : start + length]))
            if kind is not None:
                return kind, length
        return None

    def kind_of(self, phrase: str) -> RuleKind | None:
        """The kind of one phrase (e.g. a lexicon modifier such as "quietly"), if any."""
        return self.phrases.get(normalise_phrase(phrase))


def build_display_rules(data: Mapping[str, Any]) -> DisplayRules:
    """Build :class:`DisplayRules` from the ``display_rules`` object of ``emotions.json``."""
    phrases: dict[tuple[str, ...], RuleKind] = {}
    for kind in _KINDS:
        for phrase in data[kind]:
            key = normalise_phrase(phrase)
            if key in phrases and phrases[key] != kind:
                raise ValueError(f"emotions.json: display rule {phrase!r} has two kinds")
            phrases[key] = kind
    factors = {k: float(data[k]) for k in ("leak", "control_upper", "control_lower")}
    factors |= {k: float(data[k]) for k in ("tight_lips", "display_felt")}
    if not all(0.0 <= v <= 1.0 for v in factors.values()):
        raise ValueError("emotions.json: display-rule factors must lie in 0..1")
    return DisplayRules(
        phrases=phrases,
        max_phrase=max(len(k) for k in phrases),
        mouth_words=frozenset(data.get("mouth_words", ())),
        **factors,
    )


@lru_cache(maxsize=1)
def get_display_rules() -> DisplayRules:
    """The display rules shipped in ``assets/presets/emotions.json`` (built once, cached)."""
    return build_display_rules(load_preset("emotions.json")["display_rules"])


@dataclass
class Part:
    """One emotion word of a prompt as the face shows it.

    Parameters
    ----------
    word
        The word (for notes).
    mixture
        Emotion-table entry -> weight.
    intensity
        Strength 0..1 after modifiers.
    vad
        Valence, arousal, dominance of the word after modifiers.
    role
        ``"felt"``, ``"hidden"``, ``"controlled"`` or ``"display"``.
    region
        ``"upper"``, ``"lower"`` or ``None`` (the whole face).
    share
        Its weight in a region's mix beside other parts (a qualified smile counts less than
        the emotion qualifying it).
    """

    word: str
    mixture: dict[str, float]
    intensity: float
    vad: tuple[float, float, float]
    role: Role = "felt"
    region: str | None = None
    share: float = 1.0


def _is_smile(mixture: Mapping[str, float]) -> bool:
    return get_emotion_table().dominant_family(mixture) == "happiness"


def region_parts(
    parts: Sequence[Part], rules: DisplayRules
) -> dict[str, list[Shown]]:
    """What each face region shows: ``{"upper": [(mixture, intensity, share)...], "lower": ...}``.

    Applies the roles and regions of the parts as the module docstring describes. A region
    with nothing to show is left empty (it then shows a composed, neutral face).
    """
    out: dict[str, list[Shown]] = {"upper": [], "lower": []}
    for p in parts:
        targets = ("upper", "lower") if p.region is None else (p.region,)
        if p.role == "felt":
            for r in targets:
                out[r].append((p.mixture, p.intensity, p.share))
        elif p.role == "hidden":
            out["upper"].append((p.mixture, p.intensity * rules.leak, 1.0))
        elif p.role == "controlled":
            if "upper" in targets:
                out["upper"].append((p.mixture, p.intensity * rules.control_upper, 1.0))
            if "lower" in targets:
                out["lower"].append((p.mixture, p.intensity * rules.control_lower, 1.0))
                out["lower"].append(({TIGHT_LIPS: 1.0}, p.intensity * rules.tight_lips, 1.0))
        else:  # display: the mouth shows it; a put-on smile never reaches the eyes
            mixture = {SOCIAL_SMILE: 1.0} if _is_smile(p.mixture) else p.mixture
            out["lower"].append((mixture, p.intensity, 1.0))
            if p.region == "upper" or (p.region is None and not _is_smile(p.mixture)):
                out["upper"].append((p.mixture, p.intensity * rules.leak, 1.0))
    return out


def region_state(shown: Sequence[tuple[Mapping[str, float], float] | Shown]) -> EmotionState:
    """One region's displayed state from its ``(mixture, intensity)`` parts.

    Each part's share of the mix follows its intensity; the region's intensity is the largest
    part's, so a weak leak beside a strong mask does not dilute the mask.

    Examples
    --------
    >>> s = region_state([({"fear": 1.0}, 0.3)])
    >>> s.mixture, round(s.intensity, 2)
    ({'fear': 1.0}, 0.3)
    >>> region_state([]).mixture
    {'neutral': 1.0}
    """
    live = [
        (dict(item[0]), float(item[1]), float(item[2]) if len(item) > 2 else 1.0)
        for item in shown
        if item[1] > 1e-6
    ]
    if not live:
        return EmotionState.neutral()
    total = sum(i * share for _, i, share in live)
    mixture: dict[str, float] = {}
    for mix, i, share in live:
        norm = sum(mix.values())
        for name, w in mix.items():
            mixture[name] = mixture.get(name, 0.0) + (i * share / total) * w / norm
    table = get_emotion_table()
    vad = [0.0, 0.0, 0.0]
    for name, w in mixture.items():
        if name in table.emotions:
            vad = [a + w * b for a, b in zip(vad, table.term_vad(name), strict=True)]
    level = max(i for _, i, _share in live)
    ordered = dict(sorted(mixture.items(), key=lambda kv: -kv[1]))
    return EmotionState(ordered, min(1.0, level), *(v * level**0.5 for v in vad))
