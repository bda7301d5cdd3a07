"""VRM 0.x and 1.0 avatars: expressions become driven channels, 0.x models turn to face +Z."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from renderers.arkit import ARKIT_NAMES
from renderers.avatar import Avatar, AvatarMesh
from renderers.channels import EXPRESSION_CHANNELS, VISEME_CHANNELS
from renderers.errors import AvatarError
from renderers.loaders import load_avatar
from renderers.loaders.arkit_match import build_report
from renderers.loaders.gltf_targets import mesh_targets
from renderers.loaders.vrm import vrm_report_sources
from renderers.loaders.vrm_presets import MAX_BINDS, MAX_EXPRESSIONS
from tests.renderers.vrm_builder import (
    CUSTOM,
    HEAD_AT,
    NECK_AT,
    PRESETS,
    build_vrm,
    expected_delta,
)
from tests.studio.test_cli_bad_input import assert_one_error_line, run_cli

ATOL = 1e-6

SINGLE = {
    "viseme_aa": "aa", "viseme_I": "ih", "viseme_U": "ou", "viseme_E": "ee", "viseme_O": "oh",
    "expression_happy": "happy", "expression_angry": "angry", "expression_sad": "sad",
    "expression_relaxed": "relaxed", "expression_surprised": "surprised",
    "eyeBlinkLeft": "blinkLeft", "eyeBlinkRight": "blinkRight",
}  # fmt: skip
"""Channel -> the VRM 1.0 preset that must give it whole."""

LOOKS = {"lookUp": ("eyeLookUpLeft", "eyeLookUpRight"),
         "lookDown": ("eyeLookDownLeft", "eyeLookDownRight"),
         "lookLeft": ("eyeLookOutLeft", "eyeLookInRight"),
         "lookRight": ("eyeLookInLeft", "eyeLookOutRight")}
LOOK_CHANNELS = {c for pair in LOOKS.values() for c in pair}
NO_SIDES = {k: v for k, v in PRESETS.items() if k not in ("blinkLeft", "blinkRight")}


@pytest.fixture(scope="module")
def facecap(evaldata: Path) -> Path:
    path = evaldata / "meshes" / "facecap" / "facecap_plain.glb"
    if not path.is_file():
        pytest.fail(f"test data {path.name} is missing from the evaluation meshes")
    return path


@pytest.fixture(scope="module")
def plain(facecap: Path) -> Avatar:
    return load_avatar(facecap)


def head(avatar: Avatar) -> AvatarMesh:
    return avatar.mesh("skin")


def assert_delta(mesh: AvatarMesh, channel: str, expected: np.ndarray) -> None:
    assert channel in mesh.morph_targets, sorted(mesh.morph_targets)
    got = mesh.morph_targets[channel]
    assert got.dtype == np.float32 and got.shape == expected.shape
    assert np.abs(expected).max() > 1e-3  # a real shape, so the comparison means something
    np.testing.assert_allclose(got, expected, atol=ATOL, err_msg=channel)


def centroid_x(mesh: AvatarMesh, delta: np.ndarray) -> float:
    w = np.linalg.norm(delta, axis=1)
    return float((mesh.positions[:, 0] * w).sum() / w.sum())


# -- VRM 1.0 -------------------------------------------------------------------------------


def test_vrm1_presets_become_channels_with_summed_deltas(facecap, plain, tmp_path) -> None:
    avatar = load_avatar(build_vrm(facecap, tmp_path / "face.vrm", version="1"))
    mesh = head(avatar)
    for channel, preset in SINGLE.items():
        assert_delta(mesh, channel, expected_delta(plain, PRESETS[preset]))
    for name, arkit in (("browInnerUp", "browInnerUp"), ("CheekPuff", "cheekPuff"),
                        ("mouth_roll_upper", "mouthRollUpper")):  # perfect-sync custom ones
        assert_delta(mesh, arkit, expected_delta(plain, CUSTOM[name]))
    arkit = set(ARKIT_NAMES) & set(mesh.morph_targets)
    assert arkit == {"eyeBlinkLeft", "eyeBlinkRight", "browInnerUp", "cheekPuff",
                     "mouthRollUpper"}  # the look presets are skipped: the eyeballs rotate
    assert "Fcl_ALL_Fun" not in avatar.target_names and "neutral" not in avatar.target_names
    for other in avatar.meshes:
        if other is not mesh:
            assert not set(other.morph_targets) & set(SINGLE), other.name
    assert {*VISEME_CHANNELS[10:], *EXPRESSION_CHANNELS} <= set(avatar.target_names)
    np.testing.assert_allclose(mesh.positions, head(plain).positions, atol=1e-6)  # no turn
    np.testing.assert_allclose(avatar.head_pivot, NECK_AT, atol=1e-6)


def test_custom_expression_that_moves_nothing_adds_no_target(facecap, tmp_path) -> None:
    avatar = load_avatar(build_vrm(facecap, tmp_path / "face.vrm", presets={},
                                   custom={"tongueOut": (("tongueOut", 1.0),),  # a zero target
                                           "jawOpen": (("jawOpen", 0.0),)}))
    assert "tongueOut" not in avatar.target_names and "jawOpen" not in avatar.target_names


def test_binary_expression_is_kept_continuous(facecap, plain, tmp_path) -> None:
    avatar = load_avatar(build_vrm(facecap, tmp_path / "face.vrm", binary=("happy", "aa")))
    assert_delta(head(avatar), "expression_happy", expected_delta(plain, PRESETS["happy"]))
    assert_delta(head(avatar), "viseme_aa", expected_delta(plain, PRESETS["aa"]))


def test_vrm_extension_in_a_glb_file_is_used_too(facecap, plain, tmp_path) -> None:
    avatar = load_avatar(build_vrm(facecap, tmp_path / "face.glb", version="0"))
    assert_delta(head(avatar), "viseme_O", expected_delta(plain, PRESETS["oh"]))
    np.testing.assert_allclose(head(avatar).positions, head(plain).positions, atol=1e-5)


# -- VRM 0.x -------------------------------------------------------------------------------


def test_vrm0_model_is_turned_to_face_plus_z(facecap, plain, tmp_path) -> None:
    avatar = load_avatar(build_vrm(facecap, tmp_path / "face.vrm", version="0",
                                   presets=NO_SIDES))
    mesh, ref = head(avatar), head(plain)
    np.testing.assert_allclose(mesh.positions, ref.positions, atol=1e-5)
    np.testing.assert_allclose(mesh.normals, ref.normals, atol=1e-5)
    nose = int(np.argmax(mesh.positions[:, 2]))
    assert nose == int(np.argmax(ref.positions[:, 2])) and mesh.positions[nose, 2] > 0.5
    left, right = avatar.mesh("eye_left"), avatar.mesh("eye_right")
    assert left.positions[:, 0].mean() > 0.1 > -0.1 > right.positions[:, 0].mean()
    np.testing.assert_allclose(left.pivot, plain.mesh("eye_left").pivot, atol=1e-5)
    np.testing.assert_allclose(avatar.head_pivot, NECK_AT, atol=1e-5)
    for channel in ("viseme_aa", "viseme_I", "viseme_U", "viseme_E", "viseme_O",
                    "expression_happy", "expression_angry", "expression_sad",
                    "expression_relaxed"):
        assert_delta(mesh, channel, expected_delta(plain, PRESETS[SINGLE[channel]]))
    assert "expression_surprised" not in avatar.target_names  # VRM 0.x has no such preset
    assert_delta(mesh, "browInnerUp", expected_delta(plain, CUSTOM["browInnerUp"]))


def test_vrm0_blink_is_split_at_the_midline(facecap, plain, tmp_path) -> None:
    avatar = load_avatar(build_vrm(facecap, tmp_path / "face.vrm", version="0",
                                   presets=NO_SIDES))
    mesh = head(avatar)
    blink = expected_delta(plain, PRESETS["blink"])
    left, right = mesh.morph_targets["eyeBlinkLeft"], mesh.morph_targets["eyeBlinkRight"]
    np.testing.assert_allclose(left + right, blink, atol=ATOL)
    assert centroid_x(mesh, left) > 0.3 and centroid_x(mesh, right) < -0.3  # left is +X
    np.testing.assert_allclose(left, expected_delta(plain, PRESETS["blinkLeft"]), atol=1e-5)


def test_the_same_file_without_its_vrm_extension_faces_minus_z(facecap, tmp_path) -> None:
    path = build_vrm(facecap, tmp_path / "face.glb", version="0",
                     edit=lambda doc: doc.pop("extensions"))
    mesh = head(load_avatar(path))
    assert mesh.positions[int(np.argmin(mesh.positions[:, 2])), 2] < -0.5  # nose toward -Z


def test_one_sided_presets_win_over_the_split_blink(facecap, plain, tmp_path) -> None:
    presets = {"blink": PRESETS["blink"], "blinkLeft": (("jawOpen", 1.0),)}
    avatar = load_avatar(build_vrm(facecap, tmp_path / "face.vrm", version="0",
                                   presets=presets))
    mesh = head(avatar)
    assert_delta(mesh, "eyeBlinkLeft", expected_delta(plain, (("jawOpen", 1.0),)))
    blink = expected_delta(plain, PRESETS["blink"])
    right = mesh.morph_targets["eyeBlinkRight"]
    assert centroid_x(mesh, right) < -0.3
    np.testing.assert_allclose(right, expected_delta(plain, PRESETS["blinkRight"]), atol=1e-5)
    assert np.abs(right).max() < np.abs(blink).max() + ATOL


@pytest.mark.parametrize("version", ["0", "1"])
def test_head_pivot_falls_back_to_the_head_bone(facecap, tmp_path, version) -> None:
    avatar = load_avatar(build_vrm(facecap, tmp_path / "face.vrm", version=version,
                                   neck=False))
    np.testing.assert_allclose(avatar.head_pivot, HEAD_AT, atol=1e-5)


@pytest.mark.parametrize("version", ["0", "1"])
def test_skinned_head_gets_deltas_turned_like_its_own_targets(facecap, plain, tmp_path,
                                                              version) -> None:
    presets = {"aa": (("jawOpen", 0.8), ("mouthFunnel", 0.5)), "happy": PRESETS["happy"]}
    avatar = load_avatar(build_vrm(facecap, tmp_path / "face.vrm", version=version,
                                   rename=False, presets=presets, custom={}, skinned=True))
    mesh = head(avatar)
    own = mesh.morph_targets  # the loader's own ARKit targets of the same skinned mesh
    assert_delta(mesh, "viseme_aa", 0.8 * own["jawOpen"] + 0.5 * own["mouthFunnel"])
    assert_delta(mesh, "expression_happy", own["mouthSmileLeft"] + own["mouthSmileRight"]
                 + 0.5 * own["cheekSquintLeft"] + 0.5 * own["cheekSquintRight"])
    ref = head(plain).morph_targets["jawOpen"]  # the joint, not the node, places the head
    assert not np.allclose(own["jawOpen"], ref, atol=0.1 * np.abs(ref).max())


# -- files that already have ARKit shapes --------------------------------------------------


@pytest.mark.parametrize("version", ["0", "1"])
def test_existing_arkit_targets_are_not_overwritten(facecap, plain, tmp_path, version) -> None:
    presets = {**PRESETS, "blinkLeft": (("jawOpen", 1.0),), "blink": (("jawOpen", 1.0),)}
    custom = {"browInnerUp": (("mouthSmile_L", 1.0),)}
    avatar = load_avatar(build_vrm(facecap, tmp_path / "face.vrm", version=version,
                                   rename=False, presets=presets, custom=custom, eyes=False))
    mesh, ref = head(avatar), head(plain)
    for name in ARKIT_NAMES:  # every one of the file's own shapes is kept as it was
        np.testing.assert_allclose(mesh.morph_targets[name], ref.morph_targets[name],
                                   atol=1e-5, err_msg=name)
    assert_delta(mesh, "viseme_aa", expected_delta(plain, PRESETS["aa"]))
    assert_delta(mesh, "expression_happy", expected_delta(plain, PRESETS["happy"]))


# -- look presets --------------------------------------------------------------------------


def test_look_presets_drive_eye_look_pairs_without_eyes_to_rotate(facecap, plain,
                                                                 tmp_path) -> None:
    avatar = load_avatar(build_vrm(facecap, tmp_path / "face.vrm", eyes=False))
    assert not avatar.meshes_of("eye_left") and not avatar.meshes_of("eye_right")
    mesh = head(avatar)
    for preset, (left, right) in LOOKS.items():
        whole = expected_delta(plain, PRESETS[preset])
        np.testing.assert_allclose(mesh.morph_targets[left] + mesh.morph_targets[right], whole,
                                   atol=ATOL, err_msg=preset)
        assert centroid_x(mesh, mesh.morph_targets[left]) > 0.2, left
        assert centroid_x(mesh, mesh.morph_targets[right]) < -0.2, right


def test_look_presets_drive_gaze_when_only_eye_bones_exist(facecap, tmp_path) -> None:
    """The renderer turns eye meshes, not bones: a face with eye bones looks with its presets."""
    avatar = load_avatar(build_vrm(facecap, tmp_path / "face.vrm", eyes=False, eye_bones=True))
    assert set(avatar.target_names) >= LOOK_CHANNELS
    assert "eyeBlinkLeft" in avatar.target_names


# -- bad files -----------------------------------------------------------------------------


def _set(*keys: Any, value: Any) -> Callable[[dict], None]:
    def edit(doc: dict) -> None:
        node = doc
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    return edit


def _v1(*keys: Any) -> tuple:
    return ("extensions", "VRMC_vrm", *keys)


_HAPPY = _v1("expressions", "preset", "happy", "morphTargetBinds")
_JOY = ("extensions", "VRM", "blendShapeMaster", "blendShapeGroups", 5)


def _many_binds(doc: dict) -> None:
    bind = {"node": 2, "index": 0, "weight": 0.001}
    doc["extensions"]["VRMC_vrm"]["expressions"]["custom"]["huge"] = {
        "morphTargetBinds": [bind] * (MAX_BINDS + 1)}


def _many_expressions(doc: dict) -> None:
    doc["extensions"]["VRMC_vrm"]["expressions"]["custom"] = {
        f"e{i}": {} for i in range(MAX_EXPRESSIONS + 1)}


BAD = [
    ("1", _set(*_v1(), value=[]), "extension 'VRMC_vrm' is not a JSON object"),
    ("1", _set(*_HAPPY, value="x"), "expression 'happy' morphTargetBinds is not a JSON list"),
    ("1", _set(*_HAPPY, 0, "node", value=999), "expression 'happy' refers to missing node 999"),
    ("1", _set(*_HAPPY, 0, "node", value=4), "'happy' binds node 4, which has no mesh"),
    ("1", _set(*_HAPPY, 0, "index", value=52), "missing morph target 52 of mesh 2 (it has 52)"),
    ("1", _set(*_HAPPY, 0, "index", value=1.5), "missing morph target 1.5"),
    ("1", _set(*_HAPPY, 0, "weight", value=math.nan), "'happy' has a bind weight that is not a "
     "finite number (nan)"),
    ("1", _set(*_HAPPY, 0, "weight", value=math.inf), "not a finite number (inf)"),
    ("1", _set(*_HAPPY, 0, "weight", value="1"), "not a finite number ('1')"),
    ("1", _set(*_HAPPY, 0, value={"node": 2, "index": 0}), "'happy' has a bind without a weight"),
    ("1", _set(*_v1("expressions", "preset", "aa", "isBinary"), value="yes"),
     "expression 'aa' has an isBinary that is not true/false"),
    ("1", _set(*_v1("humanoid", "humanBones", "neck", "node"), value=-1),
     "humanoid bone 'neck' refers to missing node -1"),
    ("1", _many_binds, f"'huge' brings the morph-target binds over {MAX_BINDS} in all"),
    ("1", _many_expressions, f"expressions (limit {MAX_EXPRESSIONS})"),
    ("0", _set(*_JOY, "binds", 0, "mesh", value=9), "expression 'joy' binds missing mesh 9"),
    ("0", _set(*_JOY, "binds", 0, "weight", value=None), "'joy' has a bind without a weight"),
    ("0", _set(*_JOY, "presetName", value=5), "blendShapeGroup 5 has a name that is not text"),
    ("0", _set("extensions", "VRM", "blendShapeMaster", "blendShapeGroups", value={}),
     "blendShapeMaster.blendShapeGroups is not a JSON list"),
]


@pytest.mark.parametrize(("version", "edit", "needle"), BAD,
                         ids=[f"v{v}-{n[:40]}" for v, _, n in BAD])
def test_malformed_vrm_data_fails_in_one_line(facecap, tmp_path, version, edit, needle) -> None:
    path = build_vrm(facecap, tmp_path / "bad.vrm", version=version, edit=edit)
    with pytest.raises(AvatarError) as info:
        load_avatar(path)
    message = str(info.value)
    assert "\n" not in message and len(message) < 300, message
    assert message.startswith("bad.vrm: VRM "), message
    assert needle in message, message
    assert message.endswith("export again"), message


def test_the_joy_group_is_where_the_bad_tests_think(facecap, tmp_path) -> None:
    seen: list[str] = []
    build_vrm(facecap, tmp_path / "x.vrm", version="0",
              edit=lambda doc: seen.append(doc["extensions"]["VRM"]["blendShapeMaster"]
                                           ["blendShapeGroups"][5]["presetName"]))
    assert seen == ["joy"]


def test_vrm_without_a_vrm_extension(facecap, tmp_path) -> None:
    path = tmp_path / "plain.vrm"
    path.write_bytes(facecap.read_bytes())
    with pytest.raises(AvatarError, match=r"^plain\.vrm: is not a VRM file .*rename it to "
                                          r"\.glb if it is a plain glTF avatar"):
        load_avatar(path)


@pytest.mark.parametrize(("keep", "needle"), [
    (0.5, "GLB file is truncated ("),
    (None, "GLB file is truncated (shorter than its header)"),
])
def test_truncated_vrm_files(facecap, tmp_path, keep, needle) -> None:
    data = build_vrm(facecap, tmp_path / "full.vrm").read_bytes()
    path = tmp_path / "cut.vrm"
    path.write_bytes(data[: int(len(data) * keep)] if keep else data[:12])
    with pytest.raises(AvatarError) as info:
        load_avatar(path)
    message = str(info.value)
    assert message.startswith("cut.vrm: ") and needle in message and "\n" not in message
    assert message.endswith("re-export or re-download the file")


def test_cut_json_chunk_reads_well(facecap, tmp_path) -> None:
    data = bytearray(build_vrm(facecap, tmp_path / "full.vrm").read_bytes())
    json_len = int.from_bytes(data[12:16], "little")
    data[20 + json_len // 2: 20 + json_len] = b" " * (json_len - json_len // 2)
    path = tmp_path / "cut.vrm"
    path.write_bytes(bytes(data))
    with pytest.raises(AvatarError, match=r"^cut\.vrm: glTF JSON is invalid .*re-export"):
        load_avatar(path)


# -- report and CLI ------------------------------------------------------------------------


def test_report_lists_what_the_vrm_expressions_give(facecap, tmp_path) -> None:
    path = build_vrm(facecap, tmp_path / "face.vrm", version="0", presets=NO_SIDES)
    avatar = load_avatar(path)
    names = [n for m in mesh_targets(path) for n in m.target_names]
    assert len(names) == 52 and "Fcl_MTH_A" in names
    assert build_report(names).coverage == 0.0  # the names alone give nothing
    report = build_report(names, presets=vrm_report_sources(path, avatar))
    assert report.shape("eyeBlinkLeft").how == "vrm"
    assert report.shape("eyeBlinkLeft").sources == ("VRM blink (left half)",)
    assert report.shape("browInnerUp").sources == ("VRM custom browInnerUp",)
    assert report.shape("jawOpen").how == "missing"
    assert dict(report.visemes)["viseme_aa"] == "VRM a"
    assert dict(report.expressions)["expression_happy"] == "VRM joy"
    assert "expression_surprised" not in dict(report.expressions)
    summary = report.to_dict()
    assert summary["expressions"]["expression_sad"] == "VRM sorrow"
    json.dumps(summary)
    text = report.format_text()
    assert "expression presets: expression_happy (VRM joy)" in text
    assert "viseme_aa (VRM a)" in text


def test_report_prefers_the_files_arkit_targets(facecap, tmp_path) -> None:
    path = build_vrm(facecap, tmp_path / "face.vrm", rename=False)
    avatar = load_avatar(path)
    names = [n for m in mesh_targets(path) for n in m.target_names]
    report = build_report(names, presets=vrm_report_sources(path, avatar))
    assert report.coverage == 1.0
    assert report.shape("eyeBlinkLeft").sources == ("eyeBlink_L",)
    assert "vrm" not in {s.how for s in report.shapes}
    assert dict(report.expressions)["expression_surprised"] == "VRM surprised"
    assert vrm_report_sources(facecap, load_avatar(facecap)) == []


def test_cli_inspect_reads_a_vrm(facecap, tmp_path, capsys) -> None:
    path = build_vrm(facecap, tmp_path / "face.vrm", version="0")
    code, out, err = run_cli(capsys, "avatar", "inspect", path)
    assert code == 0, err
    assert "avatar:   face.vrm" in out and "52 targets" in out and "ARKit coverage:" in out


def test_cli_inspect_rejects_a_bad_vrm_in_one_line(facecap, tmp_path, capsys) -> None:
    path = build_vrm(facecap, tmp_path / "bad.vrm", edit=_set(*_HAPPY, 0, "node", value=999))
    code, _, err = run_cli(capsys, "avatar", "inspect", path)
    assert code != 0
    assert_one_error_line(err, "bad.vrm", "expression 'happy' refers to missing node 999")
