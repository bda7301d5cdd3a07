"""Write real VRM 0.x and 1.0 files from the facecap evaluation head, for the VRM loader tests.

The head's 52 ARKit targets (mesh 2, shown by node 2) are renamed VRoid-style (``Fcl_MTH_A``,
``Fcl_EYE_Close_L`` ...) unless asked otherwise, and expressions bind weighted combinations of
them, so the delta each expression must give is known from the plain head's ARKit targets
(:func:`expected_delta`). A VRM 0.x file is turned half a turn about +Y as a 0.x exporter
leaves it (facing -Z). Two bone nodes named without "neck"/"head" are the humanoid's neck and
head, so a pivot found from them cannot come from the glTF loader's name search.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np

from renderers.avatar import Avatar
from renderers.loaders.arkit_names import match_arkit_name

HEAD_MESH = 2
"""glTF mesh (and node) index of the facecap head with the 52 targets."""

NECK_AT = (0.0, -0.7, -0.45)
HEAD_AT = (0.02, -0.3, -0.4)
"""Where the humanoid neck and head bones sit in avatar space (face toward +Z)."""

LEFT_EYE_AT = (0.34, 0.26, 0.23)
RIGHT_EYE_AT = (-0.32, 0.28, 0.23)

VROID_NAMES: dict[str, str] = {
    "eyeBlink_L": "Fcl_EYE_Close_L", "eyeBlink_R": "Fcl_EYE_Close_R", "jawOpen": "Fcl_MTH_A",
    "mouthFunnel": "Fcl_MTH_O", "mouthPucker": "Fcl_MTH_U", "mouthSmile_L": "Fcl_MTH_Joy_L",
    "mouthSmile_R": "Fcl_MTH_Joy_R", "browInnerUp": "Fcl_BRW_Surprised",
}  # fmt: skip
"""Facecap target -> VRoid-style name; the others become ``Fcl_ETC_<index>``."""

Binds = tuple[tuple[str, float], ...]
"""(facecap target name, weight 0..1) pairs."""

PRESETS: dict[str, Binds] = {
    "aa": (("jawOpen", 0.8), ("mouthStretch_L", 0.3), ("mouthStretch_R", 0.3)),
    "ih": (("mouthSmile_L", 0.5), ("mouthSmile_R", 0.5), ("jawOpen", 0.2)),
    "ou": (("mouthPucker", 1.0),),
    "ee": (("mouthStretch_L", 0.6), ("mouthStretch_R", 0.6)),
    "oh": (("mouthFunnel", 0.7), ("jawOpen", 0.4)),
    "happy": (("mouthSmile_L", 1.0), ("mouthSmile_R", 1.0), ("cheekSquint_L", 0.5),
              ("cheekSquint_R", 0.5)),
    "angry": (("browDown_L", 1.0), ("browDown_R", 1.0), ("noseSneer_L", 0.5)),
    "sad": (("mouthFrown_L", 1.0), ("mouthFrown_R", 1.0), ("browInnerUp", 0.6)),
    "relaxed": (("mouthSmile_L", 0.4), ("mouthSmile_R", 0.4)),
    "surprised": (("eyeWide_L", 1.0), ("eyeWide_R", 1.0), ("jawOpen", 0.5)),
    "blink": (("eyeBlink_L", 1.0), ("eyeBlink_R", 1.0)),
    "blinkLeft": (("eyeBlink_L", 1.0),),
    "blinkRight": (("eyeBlink_R", 1.0),),
    "lookUp": (("eyeLookUp_L", 1.0), ("eyeLookUp_R", 1.0)),
    "lookDown": (("eyeLookDown_L", 1.0), ("eyeLookDown_R", 1.0)),
    "lookLeft": (("eyeLookOut_L", 1.0), ("eyeLookIn_R", 1.0)),
    "lookRight": (("eyeLookIn_L", 1.0), ("eyeLookOut_R", 1.0)),
    "neutral": (),
}  # fmt: skip
"""VRM 1.0 presets; 0.x files use :data:`V0_NAMES` for them."""

V0_NAMES: dict[str, str | None] = {
    "aa": "a", "ih": "i", "ou": "u", "ee": "e", "oh": "o", "happy": "joy", "angry": "angry",
    "sad": "sorrow", "relaxed": "fun", "surprised": None, "blink": "blink",
    "blinkLeft": "blink_l", "blinkRight": "blink_r", "lookUp": "lookup", "lookDown": "lookdown",
    "lookLeft": "lookleft", "lookRight": "lookright", "neutral": "neutral",
}  # fmt: skip
"""VRM 1.0 preset -> its VRM 0.x ``presetName`` (0.x has no ``surprised``)."""

CUSTOM: dict[str, Binds] = {
    "browInnerUp": (("browInnerUp", 1.0),),
    "CheekPuff": (("cheekPuff", 1.0),),
    "mouth_roll_upper": (("mouthRollUpper", 0.5),),
    "Fcl_ALL_Fun": (("mouthSmile_L", 1.0),),
}
"""Custom expressions: three named like ARKit shapes ("perfect sync"), one VRoid-only."""


def read_glb(path: Path) -> tuple[dict[str, Any], bytes]:
    """The JSON document and binary chunk of a GLB file."""
    data = path.read_bytes()
    (json_len,) = struct.unpack_from("<I", data, 12)
    doc = json.loads(data[20:20 + json_len].decode("utf-8"))
    (bin_len,) = struct.unpack_from("<I", data, 20 + json_len)
    start = 20 + json_len + 8
    return doc, data[start:start + bin_len]


def write_glb(path: Path, doc: dict[str, Any], binary: bytes) -> Path:
    """Write a GLB file (JSON chunk padded with spaces, binary chunk with zeros)."""
    text = json.dumps(doc).encode("utf-8")
    text += b" " * (-len(text) % 4)
    binary = binary + b"\0" * (-len(binary) % 4)
    body = struct.pack("<I4s", len(text), b"JSON") + text
    body += struct.pack("<I4s", len(binary), b"BIN\0") + binary
    path.write_bytes(struct.pack("<4sII", b"glTF", 2, 12 + len(body)) + body)
    return path


def build_vrm(source: Path, out: Path, *, version: Literal["0", "1"] = "1",
              rename: bool = True, turn: bool | None = None, eyes: bool = True,
              eye_bones: bool = False, neck: bool = True,
              presets: dict[str, Binds] | None = None, custom: dict[str, Binds] | None = None,
              binary: tuple[str, ...] = (), skinned: bool = False,
              edit: Callable[[dict[str, Any]], None] | None = None) -> Path:
    """Write a VRM file made from the facecap head.

    Parameters
    ----------
    source
        ``facecap_plain.glb``.
    out
        The file to write.
    version
        ``"0"`` for VRM 0.x (``extensions.VRM``), ``"1"`` for VRM 1.0 (``VRMC_vrm``).
    rename
        Rename the targets VRoid-style (else they keep their ARKit names).
    turn
        Turn the model to face -Z (default: for VRM 0.x, as its exporters do).
    eyes
        Keep the eyeball meshes (``False`` leaves their nodes empty).
    eye_bones
        Add leftEye/rightEye humanoid bones.
    neck
        Give the humanoid a neck bone (else only a head bone).
    presets, custom
        Expressions (default :data:`PRESETS`, :data:`CUSTOM`); 0.x custom ones are groups
        with preset ``unknown``.
    binary
        Expressions flagged ``isBinary``.
    skinned
        Skin the head to one joint that turns and shrinks it (the head node's own transform
        is then ignored, as glTF says).
    edit
        Called with the finished JSON document to damage it.
    """
    doc, blob = read_glb(source)
    presets = PRESETS if presets is None else presets
    custom = CUSTOM if custom is None else custom
    names = doc["meshes"][HEAD_MESH]["extras"]["targetNames"]
    index = {name: i for i, name in enumerate(names)}
    if rename:
        doc["meshes"][HEAD_MESH]["extras"]["targetNames"] = [
            VROID_NAMES.get(name, f"Fcl_ETC_{i:02d}") for i, name in enumerate(names)]
    if not eyes:
        for node in doc["nodes"]:
            if node.get("name") is None and node.get("mesh") in (0, 1):
                del node["mesh"]
    turned = version == "0" if turn is None else turn
    bones = {"head": _add_node(doc, "bone_b", HEAD_AT)}
    if neck:
        bones["neck"] = _add_node(doc, "bone_a", NECK_AT)
    if eye_bones:
        bones["leftEye"] = _add_node(doc, "bone_l", LEFT_EYE_AT)
        bones["rightEye"] = _add_node(doc, "bone_r", RIGHT_EYE_AT)
    extra = list(bones.values())
    if skinned:
        blob = _add_skin(doc, blob)
        extra.append(doc["skins"][0]["joints"][0])
    scene = doc["scenes"][doc.get("scene", 0)]
    root = {"name": "Root", "children": scene["nodes"] + extra}
    if turned:
        root["rotation"] = [0.0, 1.0, 0.0, 0.0]
    doc["nodes"].append(root)
    scene["nodes"] = [len(doc["nodes"]) - 1]

    def flag(name: str) -> dict[str, bool]:
        return {"isBinary": True} if name in binary else {}

    if version == "1":
        def binds(spec: Binds) -> list[dict[str, Any]]:
            return [{"node": HEAD_MESH, "index": index[t], "weight": w} for t, w in spec]

        def table(spec: dict[str, Binds]) -> dict[str, Any]:
            return {k: {"morphTargetBinds": binds(v), **flag(k)} for k, v in spec.items()}

        doc["extensions"] = {"VRMC_vrm": {
            "specVersion": "1.0", "meta": {"name": "facecap", "licenseUrl": "", "authors": ["x"]},
            "humanoid": {"humanBones": {bone: {"node": n} for bone, n in bones.items()}},
            "expressions": {"preset": table(presets), "custom": table(custom)}}}
        doc["extensionsUsed"] = ["VRMC_vrm"]
    else:
        def group(name: str, preset: str, spec: Binds) -> dict[str, Any]:
            return {"name": name, "presetName": preset, "materialValues": [],
                    "binds": [{"mesh": HEAD_MESH, "index": index[t], "weight": 100.0 * w}
                              for t, w in spec], **flag(name)}

        groups = [group(name, V0_NAMES[name], spec) for name, spec in presets.items()
                  if V0_NAMES.get(name)]
        groups += [group(name, "unknown", spec) for name, spec in custom.items()]
        doc["extensions"] = {"VRM": {
            "specVersion": "0.0", "exporterVersion": "UniVRM-0.99",
            "meta": {"title": "facecap"},
            "humanoid": {"humanBones": [{"bone": b, "node": n, "useDefaultValues": True}
                                        for b, n in bones.items()]},
            "blendShapeMaster": {"blendShapeGroups": groups},
            "firstPerson": {"lookAtTypeName": "BlendShape"}}}
        doc["extensionsUsed"] = ["VRM"]
    if edit is not None:
        edit(doc)
    return write_glb(out, doc, blob)


SKIN_JOINT = {"translation": [0.1, -0.2, 0.05], "rotation": [0.0, 0.0, 0.258819, 0.9659258],
              "scale": [0.004, 0.004, 0.004]}
"""The joint of a skinned head: 30 degrees about +Z, small scale (the raw head is in cm)."""


def _add_skin(doc: dict[str, Any], blob: bytes) -> bytes:
    """Skin mesh 2 fully to one new joint node; returns the grown binary chunk."""
    prim = doc["meshes"][HEAD_MESH]["primitives"][0]
    count = doc["accessors"][prim["attributes"]["POSITION"]]["count"]
    blob = blob + b"\0" * (-len(blob) % 4)
    joints = np.zeros((count, 4), np.uint8).tobytes()
    weights = np.tile(np.array([1, 0, 0, 0], np.float32), (count, 1)).tobytes()
    for data, component, key in ((joints, 5121, "JOINTS_0"), (weights, 5126, "WEIGHTS_0")):
        doc["bufferViews"].append({"buffer": 0, "byteOffset": len(blob), "byteLength": len(data)})
        doc["accessors"].append({"bufferView": len(doc["bufferViews"]) - 1, "type": "VEC4",
                                 "componentType": component, "count": count})
        prim["attributes"][key] = len(doc["accessors"]) - 1
        blob += data
    doc["buffers"][0]["byteLength"] = len(blob)
    doc["nodes"].append({"name": "bone_skin", **SKIN_JOINT})
    doc["skins"] = [{"joints": [len(doc["nodes"]) - 1]}]
    head_node = next(n for n in doc["nodes"] if n.get("mesh") == HEAD_MESH)
    head_node["skin"] = 0
    return blob


def _add_node(doc: dict[str, Any], name: str, at: tuple[float, float, float]) -> int:
    doc["nodes"].append({"name": name, "translation": list(at)})
    return len(doc["nodes"]) - 1


def expected_delta(plain: Avatar, spec: Binds) -> np.ndarray:
    """The head-mesh delta an expression binding ``spec`` must give, from the plain head.

    The plain facecap head serves each ARKit shape from exactly one target, so its ARKit
    targets are the facecap targets in avatar space.
    """
    head = plain.mesh("skin")
    total = np.zeros_like(head.positions, dtype=np.float64)
    for target, weight in spec:
        total += weight * head.morph_targets[match_arkit_name(target) or target]
    return total
