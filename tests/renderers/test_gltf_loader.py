"""The glTF avatar loader: real files load, ARKit names match, bad files fail clearly."""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path

import numpy as np
import pytest

from renderers.arkit import ARKIT_NAMES
from renderers.avatar import Avatar
from renderers.errors import AvatarError
from renderers.loaders import default_avatar, default_avatar_path, load_avatar
from renderers.loaders.arkit_names import match_arkit_name, split_side, unsided_arkit_name
from renderers.loaders.parts import infer_part

REPO = Path(__file__).resolve().parents[2]
MESHES = REPO.parent / "shared" / "evaldata" / "meshes"
FACECAP_PLAIN = MESHES / "facecap" / "facecap_plain.glb"
FACECAP_PACKED = MESHES / "facecap" / "facecap.glb"
ICT = MESHES / "ict_facekit" / "ict_face_57shapes.glb"


def require(path: Path) -> Path:
    """A file from ../shared/evaldata; its absence is a failure, not a skip."""
    if not path.is_file():
        pytest.fail(f"test data {path} is missing (expected ../shared/evaldata/meshes)")
    return path


# -- tiny hand-made files ------------------------------------------------------------------


def triangle_doc(*, targets: int = 0, names: list[str] | None = None, count: int | None = None,
                 uri: str | None = None, extra_nodes: list[dict] | None = None) -> dict:
    """A one-triangle glTF with an embedded buffer (optionally with morph targets)."""
    pos = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], dtype=np.float32)
    idx = np.array([0, 1, 2], dtype=np.uint16)
    deltas = [np.full((3, 3), 0.1 * (i + 1), dtype=np.float32) for i in range(targets)]
    blob = pos.tobytes() + idx.tobytes() + b"\0\0" + b"".join(d.tobytes() for d in deltas)
    views = [{"buffer": 0, "byteOffset": 0, "byteLength": 36},
             {"buffer": 0, "byteOffset": 36, "byteLength": 6}]
    accessors = [
        {"bufferView": 0, "componentType": 5126, "count": 3 if count is None else count,
         "type": "VEC3", "min": [0, 0, 0], "max": [1, 1, 0]},
        {"bufferView": 1, "componentType": 5123, "count": 3, "type": "SCALAR"},
    ]
    prim_targets = []
    for i in range(targets):
        views.append({"buffer": 0, "byteOffset": 44 + 36 * i, "byteLength": 36})
        accessors.append({"bufferView": len(views) - 1, "componentType": 5126, "count": 3,
                          "type": "VEC3", "min": [0, 0, 0], "max": [1, 1, 1]})
        prim_targets.append({"POSITION": len(accessors) - 1})
    prim: dict = {"attributes": {"POSITION": 0}, "indices": 1}
    if prim_targets:
        prim["targets"] = prim_targets
    mesh: dict = {"name": "Face", "primitives": [prim]}
    if names is not None:
        mesh["extras"] = {"targetNames": names}
    buffer_uri = uri if uri is not None else (
        "data:application/octet-stream;base64," + base64.b64encode(blob).decode())
    nodes = [{"name": "Face", "mesh": 0}, *(extra_nodes or [])]
    return {
        "asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": list(range(len(nodes)))}],
        "nodes": nodes, "meshes": [mesh], "accessors": accessors, "bufferViews": views,
        "buffers": [{"byteLength": len(blob), "uri": buffer_uri}],
    }, blob


def write_gltf(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc))
    return path


def expect_error(path: Path, *words: str) -> str:
    with pytest.raises(AvatarError) as info:
        load_avatar(path)
    message = str(info.value)
    assert "\n" not in message and len(message) < 300
    for word in words:
        assert word.lower() in message.lower(), message
    return message


# -- the default avatar --------------------------------------------------------------------


def test_default_avatar_loads_with_every_arkit_shape_and_part() -> None:
    avatar = default_avatar()
    assert avatar.missing_arkit_shapes == []
    assert set(avatar.target_names) >= set(ARKIT_NAMES)
    parts = {m.part for m in avatar.meshes}
    assert parts == {"skin", "eye_left", "eye_right", "teeth", "tongue", "mouth_interior",
                     "hair"}
    assert default_avatar() is avatar  # cached
    assert avatar.source == "default"
    left, right = avatar.mesh("eye_left"), avatar.mesh("eye_right")
    assert left.pivot[0] > 0 > right.pivot[0]
    lo, hi = avatar.bounds()
    pivot = avatar.head_pivot
    assert lo[1] < pivot[1] < left.pivot[1]  # below the eyes, above the bottom of the neck
    assert abs(pivot[0]) < 1e-6 and pivot[2] < left.pivot[2]


def test_default_avatar_path_is_in_the_assets_package() -> None:
    path = default_avatar_path()
    assert path.name == "default_head.glb" and path.is_file()
    assert path.parent.name == "avatar"


# -- real third-party files ----------------------------------------------------------------


def test_facecap_loads_with_arkit_names_and_eyes() -> None:
    avatar = load_avatar(require(FACECAP_PLAIN))
    face = max(avatar.meshes, key=lambda m: len(m.morph_targets))
    assert set(ARKIT_NAMES) <= set(face.morph_targets)
    assert {m.part for m in avatar.meshes} >= {"skin", "eye_left", "eye_right", "teeth"}
    left, right = avatar.mesh("eye_left"), avatar.mesh("eye_right")
    assert left.pivot is not None and right.pivot is not None
    assert left.positions[:, 0].mean() > right.positions[:, 0].mean()
    # ARKit Left = the avatar's +X side
    blink = np.linalg.norm(face.morph_targets["eyeBlinkLeft"], axis=1)
    moving = blink > 0.3 * blink.max()
    assert face.positions[moving, 0].mean() > 0
    assert np.all(np.isfinite(face.positions))


def test_ict_facekit_loads_sparse_targets() -> None:
    avatar = load_avatar(require(ICT))
    (face,) = avatar.meshes
    assert face.vertex_count == 26719
    assert avatar.missing_arkit_shapes == ["tongueOut"]
    # one-sided halves (browInnerUp_L/_R, cheekPuff_L/_R) are combined
    for name in ("browInnerUp", "cheekPuff"):
        d = face.morph_targets[name]
        halves = face.morph_targets[f"{name}_L"] + face.morph_targets[f"{name}_R"]
        np.testing.assert_allclose(d, halves, atol=1e-6)
    jaw = face.morph_targets["jawOpen"]
    assert 0 < np.count_nonzero(np.abs(jaw).max(axis=1)) < face.vertex_count
    assert jaw[:, 1].min() < 0  # the chin drops
    assert np.linalg.norm(face.normals, axis=1) == pytest.approx(1.0, abs=1e-4)


def test_compressed_glb_is_refused_with_advice() -> None:
    expect_error(require(FACECAP_PACKED), "EXT_meshopt_compression", "re-export")


# -- ARKit name matching -------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("eyeBlinkLeft", "eyeBlinkLeft"),
    ("eyeBlink_L", "eyeBlinkLeft"),
    ("EyeBlinkLeft", "eyeBlinkLeft"),
    ("blendShape1.eyeBlinkLeft", "eyeBlinkLeft"),
    ("Face:eye_blink_left", "eyeBlinkLeft"),
    ("EYEBLINK_R", "eyeBlinkRight"),
    ("mouthSmile_R", "mouthSmileRight"),
    ("browDownL", "browDownLeft"),
    ("jawOpen", "jawOpen"),
    ("JawOpen", "jawOpen"),
    ("jawLeft", "jawLeft"),
    ("jaw_R", "jawRight"),
    ("mouthLeft", "mouthLeft"),
    ("tongueOut", "tongueOut"),
    ("blendShape2.TongueOut", "tongueOut"),
    ("cheekPuff", "cheekPuff"),
    ("cheekPuff_L", None),
    ("PupilDilate_L", None),
    ("smile", None),
    ("", None),
])
def test_match_arkit_name(raw: str, expected: str | None) -> None:
    assert match_arkit_name(raw) == expected


def test_every_arkit_name_matches_itself_and_its_suffixed_forms() -> None:
    for name in ARKIT_NAMES:
        assert match_arkit_name(name) == name
        assert match_arkit_name(name[0].upper() + name[1:]) == name
        assert match_arkit_name("rig|" + name) == name
        if name.endswith("Left"):
            assert match_arkit_name(name[:-4] + "_L") == name
        if name.endswith("Right"):
            assert match_arkit_name(name[:-5] + "_R") == name


def test_split_side_and_unsided_halves() -> None:
    assert split_side("eyeBlink_L") == ("eyeblink", "left")
    assert split_side("mouthSmileRight") == ("mouthsmile", "right")
    assert split_side("jawOpen") == ("jawopen", None)
    assert unsided_arkit_name("cheekPuff_R") == "cheekPuff"
    assert unsided_arkit_name("browInnerUp_L") == "browInnerUp"
    assert unsided_arkit_name("eyeBlink_L") is None
    assert unsided_arkit_name("jawOpen") is None


@pytest.mark.parametrize(("names", "part"), [
    (["grp_eyeLeft", "eyeLeft"], "eye_left"),
    (["Eye_R"], "eye_right"),
    (["EyeballLeft"], "eye_left"),
    (["Eyebrows"], "hair"),
    (["Eyelashes"], "hair"),
    (["Eyelid_L"], "skin"),
    (["TeethUpper"], "teeth"),
    (["tongue_geo"], "tongue"),
    (["MouthInterior"], "mouth_interior"),
    (["Hair"], "hair"),
    (["Head"], "skin"),
    (["", "", "lambert5"], "skin"),
])
def test_infer_part(names: list[str], part: str) -> None:
    assert infer_part(names) == part


def test_eye_side_falls_back_to_position() -> None:
    assert infer_part(["eye"], eye_x=0.03) == "eye_left"
    assert infer_part(["eye"], eye_x=-0.03) == "eye_right"


# -- hand-made files -----------------------------------------------------------------------


def test_small_gltf_with_targets_loads(tmp_path: Path) -> None:
    doc, _ = triangle_doc(targets=3, names=["eyeBlink_L", "blendShape.JawOpen", "custom"])
    avatar = load_avatar(write_gltf(tmp_path / "tri.gltf", doc))
    assert isinstance(avatar, Avatar)
    (mesh,) = avatar.meshes
    assert set(mesh.morph_targets) == {"eyeBlinkLeft", "jawOpen", "custom"}
    np.testing.assert_allclose(mesh.morph_targets["jawOpen"], 0.2, atol=1e-6)
    np.testing.assert_allclose(mesh.normals, [[0, 0, 1]] * 3, atol=1e-6)  # computed


def test_node_transforms_are_baked(tmp_path: Path) -> None:
    doc, _ = triangle_doc(targets=1, names=["jawOpen"])
    doc["nodes"][0].update({"translation": [1.0, 2.0, 3.0], "scale": [2.0, 2.0, 2.0]})
    avatar = load_avatar(write_gltf(tmp_path / "moved.gltf", doc))
    mesh = avatar.meshes[0]
    np.testing.assert_allclose(mesh.positions[1], [3.0, 2.0, 3.0], atol=1e-6)
    np.testing.assert_allclose(mesh.morph_targets["jawOpen"], 0.2, atol=1e-6)  # scaled x2


def test_external_buffer_next_to_the_file_loads(tmp_path: Path) -> None:
    doc, blob = triangle_doc(targets=1, names=["jawOpen"], uri="tri.bin")
    (tmp_path / "tri.bin").write_bytes(blob)
    assert load_avatar(write_gltf(tmp_path / "tri.gltf", doc)).meshes[0].vertex_count == 3


def test_missing_file(tmp_path: Path) -> None:
    expect_error(tmp_path / "nope.glb", "not found")


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "head.fbx"
    path.write_text("v 0 0 0\n")
    expect_error(path, "unsupported", "glTF")


def test_not_a_gltf(tmp_path: Path) -> None:
    path = tmp_path / "head.glb"
    path.write_bytes(b"this is not a binary gltf at all")
    expect_error(path, "head.glb", "not a GLB")
    text = tmp_path / "head.gltf"
    text.write_text("{not json")
    expect_error(text, "JSON")
    other = tmp_path / "other.gltf"
    other.write_text(json.dumps({"hello": 1}))
    expect_error(other, "not a glTF")


def test_truncated_glb(tmp_path: Path) -> None:
    data = default_avatar_path().read_bytes()
    path = tmp_path / "cut.glb"
    path.write_bytes(data[: len(data) // 2])
    expect_error(path, "truncated")
    tiny = tmp_path / "tiny.glb"
    tiny.write_bytes(data[:10])
    expect_error(tiny, "truncated")


def test_glb_with_wrong_chunk_length(tmp_path: Path) -> None:
    data = bytearray(default_avatar_path().read_bytes())
    struct.pack_into("<I", data, 12, len(data) * 2)  # JSON chunk longer than the file
    path = tmp_path / "bad.glb"
    path.write_bytes(bytes(data))
    expect_error(path, "truncated")


@pytest.mark.parametrize("uri", ["../secret.bin", "/etc/passwd", "sub/../../x.bin",
                                 "http://example.com/x.bin", "file:///etc/passwd",
                                 "%2e%2e/secret.bin"])
def test_external_buffer_cannot_escape_the_folder(tmp_path: Path, uri: str) -> None:
    folder = tmp_path / "avatar"
    folder.mkdir()
    doc, blob = triangle_doc(uri=uri)
    (tmp_path / "secret.bin").write_bytes(blob)
    expect_error(write_gltf(folder / "evil.gltf", doc), "outside")


def test_missing_external_buffer(tmp_path: Path) -> None:
    doc, _ = triangle_doc(uri="gone.bin")
    expect_error(write_gltf(tmp_path / "a.gltf", doc), "missing")


def test_too_many_vertices_declared(tmp_path: Path) -> None:
    doc, _ = triangle_doc(count=3_000_000)
    expect_error(write_gltf(tmp_path / "huge.gltf", doc), "vertices", "decimate")


def test_accessor_past_the_end_of_its_buffer(tmp_path: Path) -> None:
    doc, _ = triangle_doc(count=100)
    expect_error(write_gltf(tmp_path / "short.gltf", doc), "past the end")


def test_too_many_targets(tmp_path: Path) -> None:
    doc, _ = triangle_doc(targets=1, names=["jawOpen"])
    prim = doc["meshes"][0]["primitives"][0]
    prim["targets"] = prim["targets"] * 300
    expect_error(write_gltf(tmp_path / "many.gltf", doc), "morph targets", "300")


def test_indices_out_of_range(tmp_path: Path) -> None:
    doc, blob = triangle_doc()
    bad = bytearray(blob)
    struct.pack_into("<H", bad, 36 + 4, 9)
    doc["buffers"][0]["uri"] = ("data:application/octet-stream;base64,"
                                + base64.b64encode(bytes(bad)).decode())
    expect_error(write_gltf(tmp_path / "idx.gltf", doc), "indices out of range")


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.glb"
    with path.open("wb") as fh:  # a sparse file: no disk space is used
        fh.truncate(513 * 1024 * 1024)
    expect_error(path, "MB", "limit")


def test_cyclic_scene_graph(tmp_path: Path) -> None:
    doc, _ = triangle_doc(extra_nodes=[{"name": "a", "children": [2]},
                                       {"name": "b", "children": [1]}])
    doc["scenes"][0]["nodes"] = [0, 1]
    expect_error(write_gltf(tmp_path / "cycle.gltf", doc), "cycle")


def test_no_meshes(tmp_path: Path) -> None:
    doc = {"asset": {"version": "2.0"}, "nodes": [{"name": "empty"}],
           "scenes": [{"nodes": [0]}], "scene": 0}
    expect_error(write_gltf(tmp_path / "empty.gltf", doc), "no triangle meshes")


def test_a_mesh_without_morph_targets_is_refused(tmp_path: Path) -> None:
    doc, _ = triangle_doc()
    expect_error(write_gltf(tmp_path / "static.gltf", doc), "no morph targets", "shape keys")


def test_primitives_with_different_target_counts_are_refused(tmp_path: Path) -> None:
    doc, _ = triangle_doc(targets=2, names=["jawOpen", "mouthClose"])
    prim = doc["meshes"][0]["primitives"][0]
    doc["meshes"][0]["primitives"].append({**prim, "targets": prim["targets"][:1]})
    expect_error(write_gltf(tmp_path / "uneven.gltf", doc), "different numbers of morph targets",
                 "1, 2")


def test_non_manifold_geometry_still_loads(tmp_path: Path) -> None:
    """Heads are rarely closed (mouth bag, eye holes) and fans of faces share edges: fine."""
    doc, _ = triangle_doc(targets=1, names=["jawOpen"])
    doc["meshes"][0]["primitives"].append(dict(doc["meshes"][0]["primitives"][0]))  # same tri
    avatar = load_avatar(write_gltf(tmp_path / "fan.gltf", doc))
    assert [m.triangle_count for m in avatar.meshes] == [1, 1]
    assert np.all(np.isfinite(avatar.meshes[0].normals))
