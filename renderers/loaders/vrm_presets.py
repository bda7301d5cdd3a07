"""Read the VRM extension of a glTF document: version, humanoid bones and expressions.

A VRM file is a GLB whose JSON carries one extension:

* **VRM 0.x** (``extensions.VRM``): ``blendShapeMaster.blendShapeGroups``, each with a
  ``presetName`` (``a i u e o blink blink_l blink_r joy angry sorrow fun look* neutral
  unknown``), a ``name`` and ``binds`` ``[{mesh, index, weight 0..100}]``; ``humanoid.humanBones``
  is a list of ``{bone, node}``. These models face -Z.
* **VRM 1.0** (``extensions.VRMC_vrm``): ``expressions.preset`` (``aa ih ou ee oh happy angry sad
  relaxed surprised blink blinkLeft blinkRight look* neutral``) and ``expressions.custom``, each
  with ``morphTargetBinds`` ``[{node, index, weight 0..1}]``; ``humanoid.humanBones`` is an object
  ``{bone: {node}}``. These models face +Z, as glTF does.

Only the JSON is read here (no geometry): every index is checked against the document and every
weight must be a finite number, so a malformed file fails with one line naming the expression.
:func:`plan_channels` says which driven channel each expression becomes.

Examples
--------
>>> import pygltflib as gl
>>> doc = gl.GLTF2(nodes=[gl.Node(mesh=0)],
...                meshes=[gl.Mesh(primitives=[gl.Primitive(targets=[{"POSITION": 0}])])])
>>> doc.extensions = {"VRMC_vrm": {"expressions": {"preset": {
...     "happy": {"morphTargetBinds": [{"node": 0, "index": 0, "weight": 0.5}]}}}}}
>>> info = read_vrm(Path("smile.vrm"), doc)
>>> info.version, info.faces_minus_z, info.expressions[0].binds[0].weight
('1.0', False, 0.5)
>>> [(s.channel, s.expression.name) for s in plan_channels(info)]
[('expression_happy', 'happy')]
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pygltflib as gl

from renderers.errors import AvatarError
from renderers.loaders.arkit_names import match_arkit_name, match_viseme_name, sided_pair
from renderers.loaders.gltf_io import fail

__all__ = ["LOOK_CHANNELS", "MAX_BINDS", "MAX_EXPRESSIONS", "Bind", "ChannelSource",
           "Expression", "VrmInfo", "plan_channels", "read_vrm"]

MAX_EXPRESSIONS = 1_000
"""Most expressions (presets and custom together) a VRM file may declare."""

MAX_BINDS = 10_000
"""Most morph-target binds over all expressions of a VRM file."""

VrmVersion = Literal["0.x", "1.0"]
Half = Literal["left", "right"]

SINGLE_PRESETS: dict[str, str] = {
    "aa": "viseme_aa", "a": "viseme_aa", "ih": "viseme_I", "i": "viseme_I",
    "ou": "viseme_U", "u": "viseme_U", "ee": "viseme_E", "e": "viseme_E",
    "oh": "viseme_O", "o": "viseme_O",
    "happy": "expression_happy", "joy": "expression_happy", "angry": "expression_angry",
    "sad": "expression_sad", "sorrow": "expression_sad", "relaxed": "expression_relaxed",
    "fun": "expression_relaxed", "surprised": "expression_surprised",
    "blinkleft": "eyeBlinkLeft", "blink_l": "eyeBlinkLeft",
    "blinkright": "eyeBlinkRight", "blink_r": "eyeBlinkRight",
}  # fmt: skip
"""Preset (lower-case, 0.x or 1.0 spelling) -> the driven channel it becomes."""

SPLIT_PRESETS: dict[str, tuple[str, str]] = {
    "blink": ("eyeBlinkLeft", "eyeBlinkRight"),
    "lookup": ("eyeLookUpLeft", "eyeLookUpRight"),
    "lookdown": ("eyeLookDownLeft", "eyeLookDownRight"),
    "lookleft": ("eyeLookOutLeft", "eyeLookInRight"),  # both eyes turn to the avatar's left
    "lookright": ("eyeLookInLeft", "eyeLookOutRight"),
}
"""Preset acting on both eyes -> (channel of its left half, channel of its right half)."""

LOOK_CHANNELS: frozenset[str] = frozenset(
    name for key, pair in SPLIT_PRESETS.items() if key.startswith("look") for name in pair)
"""Channels that only the look presets give (skipped when the eyes can be rotated)."""

_V0_PRESETS = frozenset({"a", "i", "u", "e", "o", "blink", "blink_l", "blink_r", "joy", "angry",
                         "sorrow", "fun", "lookup", "lookdown", "lookleft", "lookright",
                         "neutral"})
_FIX = "fix or remove that expression in the VRM editor and export again"
_FIX_BONES = "fix the humanoid bone mapping in the VRM editor and export again"
_FIX_FILE = "open the avatar in a VRM editor and export again"


@dataclass(frozen=True)
class Bind:
    """One morph target an expression moves.

    Parameters
    ----------
    mesh
        glTF mesh index.
    node
        VRM 1.0: the node showing that mesh (only its copy moves); VRM 0.x: ``None`` (every
        node showing the mesh moves).
    index
        Morph-target index in the mesh's primitives.
    weight
        Target weight at full expression, on glTF's 0..1 scale (VRM 0.x's 0..100 divided by 100).
    """

    mesh: int
    node: int | None
    index: int
    weight: float


@dataclass(frozen=True)
class Expression:
    """One VRM expression (0.x: blend-shape group).

    Parameters
    ----------
    name
        The preset name as the file spells it (``"joy"``, ``"blinkLeft"``), or the custom
        expression's name (0.x: the group's ``name`` when its preset is ``unknown``).
    preset
        Whether it is one of the spec's presets (rather than a custom expression).
    binds
        The morph targets it moves.
    is_binary
        VRM's on/off flag. Kept as information only: the expression becomes a continuous
        morph target and the renderer weights it continuously.
    """

    name: str
    preset: bool
    binds: tuple[Bind, ...] = ()
    is_binary: bool = False


@dataclass(frozen=True)
class VrmInfo:
    """What the VRM extension of a file says.

    Parameters
    ----------
    version
        ``"0.x"`` (``extensions.VRM``) or ``"1.0"`` (``extensions.VRMC_vrm``).
    expressions
        Presets and custom expressions in file order (0.x groups in order; 1.0 presets, then
        custom ones).
    bones
        Humanoid bone name (``"head"``, ``"neck"``, ``"leftEye"`` ...) -> node index.
    """

    version: VrmVersion
    expressions: tuple[Expression, ...] = ()
    bones: dict[str, int] = field(default_factory=dict)

    @property
    def faces_minus_z(self) -> bool:
        """Whether the model looks toward -Z (VRM 0.x) and must be turned to face +Z."""
        return self.version == "0.x"


@dataclass(frozen=True)
class ChannelSource:
    """Where one driven channel comes from.

    Parameters
    ----------
    channel
        ARKit, viseme or expression channel name (:mod:`renderers.channels`).
    expression
        The expression giving it.
    half
        ``None`` for the whole expression, ``"left"``/``"right"`` for the half on that side
        of the face (a both-eyes preset cut at the midline).
    """

    channel: str
    expression: Expression
    half: Half | None = None

    @property
    def label(self) -> str:
        """A short description for reports (``"VRM blink (left half)"``)."""
        kind = "" if self.expression.preset else " custom"
        side = f" ({self.half} half)" if self.half else ""
        return f"VRM{kind} {self.expression.name}{side}"


def read_vrm(path: Path, doc: gl.GLTF2) -> VrmInfo | None:
    """Read the VRM 0.x or 1.0 extension of a loaded glTF document.

    Parameters
    ----------
    path
        The file (for messages; a ``.vrm`` suffix makes the extension mandatory).
    doc
        Its parsed document.

    Returns
    -------
    VrmInfo or None
        ``None`` for a plain glTF file (not named ``.vrm``). VRM 1.0 wins when a file carries
        both extensions.

    Raises
    ------
    AvatarError
        A ``.vrm`` file without a VRM extension, or malformed extension data (wrong types,
        binds pointing at missing meshes, nodes or targets, weights that are not finite
        numbers, more than :data:`MAX_EXPRESSIONS` expressions or :data:`MAX_BINDS` binds).
    """
    ext = doc.extensions if isinstance(doc.extensions, dict) else {}
    if "VRMC_vrm" in ext:
        return _Reader(path, doc).read_v1(ext["VRMC_vrm"])
    if "VRM" in ext:
        return _Reader(path, doc).read_v0(ext["VRM"])
    if path.suffix.lower() == ".vrm":
        raise fail(path, "is not a VRM file (its glTF JSON has no VRM or VRMC_vrm extension)",
                   "rename it to .glb if it is a plain glTF avatar, or export it as VRM again")
    return None


def plan_channels(info: VrmInfo) -> list[ChannelSource]:
    """The driven channel each expression gives, first source first.

    Custom expressions named like ARKit shapes or visemes (VRoid "perfect sync" avatars) come
    first, then the single presets (``aa`` -> ``viseme_aa``, ``joy``/``happy`` ->
    ``expression_happy``, ``blinkLeft`` -> ``eyeBlinkLeft`` ...), then the halves of presets
    acting on both eyes (``blink`` -> ``eyeBlinkLeft`` + ``eyeBlinkRight``, ``lookLeft`` ->
    ``eyeLookOutLeft`` + ``eyeLookInRight`` ...) and of custom expressions standing for a
    left/right ARKit pair (``mouthSmile``). A channel may appear more than once: the loader
    takes the first that moves something. Expressions without binds, ``neutral`` and unknown
    names give nothing.

    Examples
    --------
    >>> info = VrmInfo("0.x", (Expression("blink", True, (Bind(0, None, 0, 1.0),)),
    ...                        Expression("blink_l", True, (Bind(0, None, 1, 1.0),))))
    >>> [(s.channel, s.half) for s in plan_channels(info)]
    [('eyeBlinkLeft', None), ('eyeBlinkLeft', 'left'), ('eyeBlinkRight', 'right')]
    """
    custom: list[ChannelSource] = []
    single: list[ChannelSource] = []
    halves: list[ChannelSource] = []
    for expr in info.expressions:
        if not expr.binds:
            continue
        key = expr.name.lower()
        if expr.preset:
            if key in SINGLE_PRESETS:
                single.append(ChannelSource(SINGLE_PRESETS[key], expr))
            elif key in SPLIT_PRESETS:
                left, right = SPLIT_PRESETS[key]
                halves += [ChannelSource(left, expr, "left"), ChannelSource(right, expr, "right")]
            continue
        named = match_arkit_name(expr.name) or match_viseme_name(expr.name)
        pair = sided_pair(expr.name)
        if named is not None:
            custom.append(ChannelSource(named, expr))
        elif pair is not None:
            halves += [ChannelSource(pair[0], expr, "left"), ChannelSource(pair[1], expr, "right")]
    return custom + single + halves


# -- reading and checking the JSON ---------------------------------------------------------


class _Reader:
    """Checks the extension's JSON against the document while converting it."""

    def __init__(self, path: Path, doc: gl.GLTF2) -> None:
        self.path = path
        self.doc = doc
        self.binds = 0

    def error(self, what: str, todo: str = _FIX) -> AvatarError:
        return fail(self.path, f"VRM {what}", todo)

    def obj(self, value: Any, what: str, default: dict | None = None) -> dict:
        if value is None and default is not None:
            return default
        if not isinstance(value, dict):
            raise self.error(f"{what} is not a JSON object", _todo(what))
        return value

    def items(self, value: Any, what: str) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(f"{what} is not a JSON list", _todo(what))
        return value

    # -- versions ----------------------------------------------------------------------------

    def read_v0(self, ext: Any) -> VrmInfo:
        ext = self.obj(ext, "extension 'VRM'")
        master = self.obj(ext.get("blendShapeMaster"), "blendShapeMaster", {})
        groups = self.items(master.get("blendShapeGroups"), "blendShapeMaster.blendShapeGroups")
        self.check_count(len(groups))
        expressions = []
        for g_index, group in enumerate(groups):
            group = self.obj(group, f"blendShapeGroup {g_index}")
            preset = group.get("presetName", "unknown")
            name = group.get("name", "")
            if not isinstance(preset, str) or not isinstance(name, str):
                raise self.error(f"blendShapeGroup {g_index} has a name that is not text")
            known = preset.lower() in _V0_PRESETS
            label = preset if known else (name or f"blendShapeGroup {g_index}")
            binds = tuple(self.v0_binds(group.get("binds"), label))
            expressions.append(Expression(_clip(label), known, binds,
                                          self.flag(group.get("isBinary"), label)))
        bones: dict[str, int] = {}
        humanoid = self.obj(ext.get("humanoid"), "humanoid", {})
        for b_index, bone in enumerate(self.items(humanoid.get("humanBones"),
                                                  "humanoid.humanBones")):
            bone = self.obj(bone, f"humanoid bone {b_index}")
            name = bone.get("bone")
            if isinstance(name, str):
                bones.setdefault(name, self.node(bone.get("node"), f"humanoid bone {name!r}"))
        return VrmInfo("0.x", tuple(expressions), bones)

    def read_v1(self, ext: Any) -> VrmInfo:
        ext = self.obj(ext, "extension 'VRMC_vrm'")
        table = self.obj(ext.get("expressions"), "expressions", {})
        preset = self.obj(table.get("preset"), "expressions.preset", {})
        custom = self.obj(table.get("custom"), "expressions.custom", {})
        self.check_count(len(preset) + len(custom))
        expressions = []
        for is_preset, group in ((True, preset), (False, custom)):
            for name, expr in group.items():
                label = _clip(str(name))
                expr = self.obj(expr, f"expression {label!r}")
                binds = tuple(self.v1_binds(expr.get("morphTargetBinds"), label))
                expressions.append(Expression(label, is_preset, binds,
                                              self.flag(expr.get("isBinary"), label)))
        bones: dict[str, int] = {}
        humanoid = self.obj(ext.get("humanoid"), "humanoid", {})
        for name, bone in self.obj(humanoid.get("humanBones"), "humanoid.humanBones",
                                   {}).items():
            bone = self.obj(bone, f"humanoid bone {_clip(str(name))!r}")
            bones[str(name)] = self.node(bone.get("node"), f"humanoid bone {_clip(str(name))!r}")
        return VrmInfo("1.0", tuple(expressions), bones)

    # -- pieces ------------------------------------------------------------------------------

    def check_count(self, count: int) -> None:
        if count > MAX_EXPRESSIONS:
            raise self.error(f"file declares {count} expressions (limit {MAX_EXPRESSIONS})",
                             "remove unused expressions in the VRM editor and export again")

    def flag(self, value: Any, label: str) -> bool:
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self.error(f"expression {label!r} has an isBinary that is not true/false")
        return value

    def bind_list(self, value: Any, label: str, key: str) -> list:
        binds = self.items(value, f"expression {label!r} {key}")
        self.binds += len(binds)
        if self.binds > MAX_BINDS:
            raise self.error(f"expression {label!r} brings the morph-target binds over "
                             f"{MAX_BINDS} in all")
        return binds

    def v0_binds(self, value: Any, label: str) -> Iterator[Bind]:
        for bind in self.bind_list(value, label, "binds"):
            bind = self.obj(bind, f"expression {label!r} bind")
            mesh = bind.get("mesh")
            if not _is_int(mesh) or not 0 <= mesh < len(self.doc.meshes or []):
                raise self.error(f"expression {label!r} binds missing mesh {_clip(repr(mesh))}")
            index = self.target(mesh, bind.get("index"), label)
            yield Bind(mesh, None, index, self.weight(bind.get("weight"), label) / 100.0)

    def v1_binds(self, value: Any, label: str) -> Iterator[Bind]:
        for bind in self.bind_list(value, label, "morphTargetBinds"):
            bind = self.obj(bind, f"expression {label!r} morphTargetBind")
            node = self.node(bind.get("node"), f"expression {label!r}")
            mesh = self.doc.nodes[node].mesh
            if not _is_int(mesh) or not 0 <= mesh < len(self.doc.meshes or []):
                raise self.error(f"expression {label!r} binds node {node}, which has no mesh")
            index = self.target(mesh, bind.get("index"), label)
            yield Bind(mesh, node, index, self.weight(bind.get("weight"), label))

    def node(self, value: Any, what: str) -> int:
        if not _is_int(value) or not 0 <= value < len(self.doc.nodes or []):
            raise self.error(f"{what} refers to missing node {_clip(repr(value))}", _todo(what))
        return value

    def target(self, mesh: int, value: Any, label: str) -> int:
        count = max((len(p.targets or []) for p in self.doc.meshes[mesh].primitives or []),
                    default=0)
        if not _is_int(value) or not 0 <= value < count:
            raise self.error(f"expression {label!r} binds missing morph target "
                             f"{_clip(repr(value))} of mesh {mesh} (it has {count})")
        return value

    def weight(self, value: Any, label: str) -> float:
        if value is None:
            raise self.error(f"expression {label!r} has a bind without a weight")
        if isinstance(value, bool) or not isinstance(value, int | float) or \
                not math.isfinite(value):
            raise self.error(f"expression {label!r} has a bind weight that is not a finite "
                             f"number ({_clip(repr(value))})")
        return float(value)


def _todo(what: str) -> str:
    """What to do about a malformed part: an expression, the humanoid, or the whole extension."""
    if "expression" in what or "blendShape" in what:
        return _FIX
    return _FIX_BONES if "humanoid" in what else _FIX_FILE


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _clip(text: str, limit: int = 64) -> str:
    """Keep names from files short in messages."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
