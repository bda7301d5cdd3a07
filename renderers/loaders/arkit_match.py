"""What an avatar's morph targets give the ARKit-52 vocabulary: a matching report.

The report mirrors what the glTF loader does with the same names:

* a target whose name matches an ARKit name (:func:`~renderers.loaders.arkit_names.
  match_arkit_name`: case, separators, prefixes and side suffixes ignored) drives that shape;
* one-sided halves of an unsided ARKit shape (``browInnerUp_L`` + ``browInnerUp_R``) are
  summed into it (``halves``);
* a mapping profile (:mod:`renderers.loaders.mapping_profile`) overrides both, target by
  target (``profile``);
* an unsided target standing for a left/right ARKit pair (``mouthSmile`` for
  ``mouthSmileLeft``/``mouthSmileRight``) is *split*: when neither side exists the loader cuts
  it at the face's midline into the two sides (``split``; listed under ``shared``);
* Oculus / Ready Player Me viseme targets (``viseme_aa`` ...) are detected and listed; they are
  not used for animation;
* everything else is ignored.

Examples
--------
>>> report = build_report(["blendShape1.EyeBlinkLeft", "ARKit_jawOpen", "mouthSmile",
...                        "viseme_aa", "hair_flutter"])
>>> report.shape("jawOpen").how
'prefix'
>>> report.shared, report.shape("mouthSmileLeft").how
((('mouthSmile', ('mouthSmileLeft', 'mouthSmileRight')),), 'split')
>>> report.visemes, report.ignored
((('viseme_aa', 'viseme_aa'),), ('hair_flutter',))
>>> f"{report.coverage:.3f}"
'0.077'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from renderers.arkit import ARKIT_NAMES
from renderers.channel_drive import ChannelDrive
from renderers.channels import EXPRESSION_CHANNELS, VISEME_CHANNELS
from renderers.loaders.arkit_names import (
    match_arkit_name,
    match_viseme_name,
    sided_pair,
    strip_prefix,
    unsided_arkit_name,
)
from renderers.loaders.mapping_profile import MappingProfile

__all__ = ["IMPORTANT_SHAPES", "VISEME_NAMES", "MatchReport", "ShapeMatch", "build_report",
           "unique_names"]

IMPORTANT_SHAPES: tuple[str, ...] = (
    "jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthRollLower", "mouthRollUpper",
    "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthUpperUpLeft", "mouthUpperUpRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
    "browInnerUp", "browDownLeft", "browDownRight", "browOuterUpLeft", "browOuterUpRight",
    "eyeBlinkLeft", "eyeBlinkRight", "eyeWideLeft", "eyeWideRight",
    "cheekSquintLeft", "cheekSquintRight", "noseSneerLeft", "noseSneerRight",
)  # fmt: skip
"""ARKit shapes that lip sync and the basic emotions lean on most (a missing one shows)."""

VISEME_NAMES: tuple[str, ...] = VISEME_CHANNELS
"""The 15 Oculus / Ready Player Me viseme targets, in their documented order."""

def _key(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


MISSING = "missing"


@dataclass(frozen=True)
class ShapeMatch:
    """How one ARKit shape is served.

    Parameters
    ----------
    arkit
        The ARKit name.
    sources
        Target names it comes from (several when more than one target matches; the loader
        uses the first per mesh, or sums them for ``halves``).
    how
        ``"exact"``, ``"case"`` (case or separators differ), ``"prefix"`` (a prefix was
        removed), ``"side"`` (side spelled ``_L``, ``.L``, ``L`` ...), ``"halves"`` (sum of a
        left and a right half), ``"profile"`` (set by a mapping profile), ``"vrm"`` (a VRM
        expression, see :func:`build_report`'s ``presets``), joined with ``+``
        when several apply; ``"missing"`` when nothing serves the shape.
    """

    arkit: str
    sources: tuple[str, ...] = ()
    how: str = MISSING

    @property
    def matched(self) -> bool:
        """Whether some target drives this shape."""
        return self.how != MISSING


@dataclass(frozen=True)
class MatchReport:
    """What a list of morph-target names gives the ARKit-52 vocabulary.

    Build it with :func:`build_report`.

    Parameters
    ----------
    shapes
        One :class:`ShapeMatch` per ARKit name, in Apple's order.
    shared
        ``(source, (left, right))``: an unsided target standing for a left/right ARKit pair
        that nothing else serves: the loader cuts it at the midline into both sides.
    visemes
        ``(viseme, source)`` for each Oculus / Ready Player Me viseme target found.
    ignored
        Targets that serve nothing (unknown names, or set to ``null`` in the profile).
    unused_profile
        Profile entries whose target name the avatar does not have (typos, other avatars).
    source_count
        Number of distinct target names read.
    profile
        Where the mapping profile came from (empty without one).
    expressions
        ``(channel, source)`` for each whole-face expression preset (``expression_happy`` ...)
        a VRM expression gives.
    lips_choice
        The profile's ``lips`` (``"auto"``, ``"arkit"`` or ``"visemes"``).
    """

    shapes: tuple[ShapeMatch, ...]
    shared: tuple[tuple[str, tuple[str, str]], ...] = ()
    visemes: tuple[tuple[str, str], ...] = ()
    ignored: tuple[str, ...] = ()
    unused_profile: tuple[str, ...] = ()
    source_count: int = 0
    profile: str = ""
    expressions: tuple[tuple[str, str], ...] = ()
    lips_choice: str = "auto"

    def shape(self, arkit: str) -> ShapeMatch:
        """The entry of one ARKit name (``KeyError`` for a name outside ARKit-52)."""
        for entry in self.shapes:
            if entry.arkit == arkit:
                return entry
        raise KeyError(arkit)

    @property
    def matched(self) -> tuple[str, ...]:
        """ARKit names that some target drives."""
        return tuple(s.arkit for s in self.shapes if s.matched)

    @property
    def missing(self) -> tuple[str, ...]:
        """ARKit names that no target drives (they stay at rest when animated)."""
        return tuple(s.arkit for s in self.shapes if not s.matched)

    @property
    def important_missing(self) -> tuple[str, ...]:
        """Missing shapes from :data:`IMPORTANT_SHAPES`, in ARKit order."""
        important = set(IMPORTANT_SHAPES)
        return tuple(n for n in self.missing if n in important)

    @property
    def coverage(self) -> float:
        """Share of the 52 ARKit shapes that are driven (0..1)."""
        return len(self.matched) / len(ARKIT_NAMES)

    @property
    def lips(self) -> str:
        """``"visemes"`` when the avatar's own viseme shapes form the lips, else ``"arkit"``."""
        names = [*self.matched, *(viseme for viseme, _ in self.visemes)]
        drive = ChannelDrive.for_targets(names, self.lips_choice)
        return "visemes" if drive.lips_from_visemes else "arkit"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (see ``docs/formats.md``)."""
        return {
            "coverage": round(self.coverage, 4),
            "matched_count": len(self.matched),
            "total": len(ARKIT_NAMES),
            "source_count": self.source_count,
            "profile": self.profile or None,
            "matched": {s.arkit: {"sources": list(s.sources), "how": s.how}
                        for s in self.shapes if s.matched},
            "missing": list(self.missing),
            "important_missing": list(self.important_missing),
            "shared": {src: list(pair) for src, pair in self.shared},
            "visemes": {viseme: src for viseme, src in self.visemes},
            "lips": self.lips,
            "ignored": list(self.ignored),
            "unused_profile": list(self.unused_profile),
            "expressions": {channel: src for channel, src in self.expressions},
        }

    def format_text(self) -> str:
        """A readable table: one line per ARKit shape, then the other findings."""
        lines = [f"ARKit coverage: {len(self.matched)}/{len(ARKIT_NAMES)} "
                 f"({self.coverage:.0%}) from {self.source_count} target name(s)"]
        if self.profile:
            lines.append(f"mapping profile: {self.profile}")
        width = max(len(n) for n in ARKIT_NAMES)
        for s in self.shapes:
            mark = "!" if not s.matched and s.arkit in IMPORTANT_SHAPES else " "
            source = ", ".join(s.sources) if s.sources else "-"
            lines.append(f" {mark} {s.arkit:<{width}}  {s.how:<12}  {source}")
        lines.append(f"missing: {_listing(self.missing)}")
        lines.append(f"important missing (!): {_listing(self.important_missing)}")
        shared = [f"{src} -> {left}/{right}" for src, (left, right) in self.shared]
        lines.append("split at the midline into both sides: "
                     f"{_listing(shared)}")
        visemes = [v if v == src else f"{v} ({src})" for v, src in self.visemes]
        lines.append(f"visemes: {_listing(visemes)}")
        lines.append("lips: " + ("the avatar's own viseme shapes" if self.lips == "visemes"
                                 else "ARKit shapes"))
        lines.append(f"ignored: {_listing(self.ignored)}")
        if self.expressions:
            lines.append("expression presets: " + _listing(
                f"{channel} ({src})" for channel, src in self.expressions))
        if self.unused_profile:
            lines.append(f"profile entries for absent targets: {_listing(self.unused_profile)}")
        return "\n".join(lines)


def _listing(items: Iterable[str]) -> str:
    items = list(items)
    return ", ".join(items) if items else "none"


def unique_names(names: Iterable[str]) -> list[str]:
    """Names in first-seen order without repeats (targets of several meshes share names)."""
    return list(dict.fromkeys(names))


def _how(source: str, arkit: str) -> str:
    if source == arkit:
        return "exact"
    stripped = strip_prefix(source)
    tags = ["prefix"] if stripped != source.strip() else []
    if stripped != arkit:
        tags.append("case" if _key(stripped) == arkit.lower() else "side")
    return "+".join(tags) or "exact"


def _viseme(name: str) -> str | None:
    return match_viseme_name(name)


def build_report(source_names: Iterable[str], profile: MappingProfile | None = None,
                 presets: Iterable[tuple[str, str]] = ()) -> MatchReport:
    """Match target names to ARKit-52 the way the loader does and report the outcome.

    Parameters
    ----------
    source_names
        Morph-target names as found in the avatar (repeats are ignored).
    profile
        Optional mapping profile; its entries override the automatic matching.
    presets
        ``(channel, source)`` pairs for channels a VRM avatar's expressions give
        (:func:`renderers.loaders.vrm.vrm_report_sources`); like the loader, each serves an ARKit
        shape or viseme only when no target does (``how`` ``"vrm"``).

    Returns
    -------
    MatchReport
        Matched, missing, shared, viseme and ignored names with a coverage figure.
    """
    names = unique_names(source_names)
    overrides = dict(profile.map) if profile is not None else {}
    sources: dict[str, list[str]] = {n: [] for n in ARKIT_NAMES}
    hows: dict[str, list[str]] = {n: [] for n in ARKIT_NAMES}
    halves: dict[str, list[str]] = {}
    unsided: list[tuple[str, tuple[str, str]]] = []
    visemes: dict[str, str] = {}
    ignored: list[str] = []
    for name in names:
        if name in overrides:
            target = overrides[name]
            if target is None:
                ignored.append(name)
            else:
                sources[target].append(name)
                hows[target].append("profile")
            continue
        arkit = match_arkit_name(name)
        if arkit is not None:
            sources[arkit].append(name)
            hows[arkit].append(_how(name, arkit))
            continue
        half = unsided_arkit_name(name)
        if half is not None:
            halves.setdefault(half, []).append(name)
            continue
        pair = sided_pair(name)
        if pair is not None:
            unsided.append((name, pair))
            continue
        viseme = _viseme(name)
        if viseme is not None and viseme not in visemes:
            visemes[viseme] = name
            continue
        ignored.append(name)
    for arkit, parts in halves.items():
        if not sources[arkit]:  # the loader sums halves only when no whole target exists
            sources[arkit] = parts
            hows[arkit] = ["halves"]
        else:
            ignored.extend(parts)
    shapes = tuple(
        ShapeMatch(n, tuple(sources[n]), hows[n][0] if hows[n] else MISSING)
        for n in ARKIT_NAMES
    )
    shared: list[tuple[str, tuple[str, str]]] = []
    for name, pair in unsided:  # the loader cuts it at the midline when neither side exists
        if any(sources[side] for side in pair):
            ignored.append(name)
            continue
        shared.append((name, pair))
        for side in pair:
            sources[side], hows[side] = [name], ["split"]
    expressions: dict[str, str] = {}
    for channel, label in presets:  # VRM expressions fill only what the targets leave free
        if channel in sources and not sources[channel]:
            sources[channel], hows[channel] = [label], ["vrm"]
        elif channel in VISEME_NAMES:
            visemes.setdefault(channel, label)
        elif channel in EXPRESSION_CHANNELS:
            expressions.setdefault(channel, label)
    shapes = tuple(
        ShapeMatch(n, tuple(sources[n]), hows[n][0] if hows[n] else MISSING)
        for n in ARKIT_NAMES
    )
    present = set(names)
    unused = tuple(n for n in overrides if n not in present)
    return MatchReport(
        shapes=shapes, shared=tuple(shared),
        visemes=tuple((v, visemes[v]) for v in VISEME_NAMES if v in visemes),
        ignored=tuple(ignored), unused_profile=unused, source_count=len(names),
        profile=profile.source if profile is not None else "",
        expressions=tuple((e, expressions[e]) for e in EXPRESSION_CHANNELS if e in expressions),
        lips_choice=profile.lips if profile is not None else "auto",
    )
