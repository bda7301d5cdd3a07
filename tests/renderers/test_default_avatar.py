"""The shipped default head: every ARKit shape moves the right region the right way.

The avatar's left is +X (``...Left`` shapes act there); +Y is up, the face looks toward +Z.
Landmark vertex groups come from the Head mesh's ``extras.landmarks``.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial import cKDTree

from renderers.arkit import ARKIT_NAMES
from renderers.avatar import Avatar, AvatarMesh
from renderers.loaders import default_avatar_path, load_avatar

MM = 1e-3
MIRROR = np.array([-1.0, 1.0, 1.0])


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def glb_path() -> Path:
    return default_avatar_path()


@pytest.fixture(scope="module")
def avatar(glb_path: Path) -> Avatar:
    return load_avatar(glb_path)


@pytest.fixture(scope="module")
def doc(glb_path: Path) -> dict:
    data = glb_path.read_bytes()
    (json_len,) = struct.unpack_from("<I", data, 12)
    return json.loads(data[20 : 20 + json_len])


@pytest.fixture(scope="module")
def marks(doc: dict) -> dict[str, np.ndarray]:
    head = next(m for m in doc["meshes"] if m["name"] == "Head")
    return {k: np.asarray(v, dtype=np.int64) for k, v in head["extras"]["landmarks"].items()}


@pytest.fixture(scope="module")
def head(avatar: Avatar) -> AvatarMesh:
    return next(m for m in avatar.meshes if m.name == "Head")


def by_name(avatar: Avatar, name: str) -> AvatarMesh:
    return next(m for m in avatar.meshes if m.name == name)


def delta(mesh: AvatarMesh, shape: str, idx: np.ndarray | None = None) -> np.ndarray:
    d = mesh.morph_targets[shape].astype(np.float64)
    return d if idx is None else d[idx]


def mean_delta(mesh: AvatarMesh, shape: str, idx: np.ndarray) -> np.ndarray:
    return delta(mesh, shape, idx).mean(axis=0)


def untouched(mesh: AvatarMesh, shape: str, idx: np.ndarray, tol: float = 1e-6) -> bool:
    return bool(np.abs(delta(mesh, shape, idx)).max() <= tol)


def centre_cols(edge: np.ndarray, mesh: AvatarMesh, half_width: float = 0.006) -> np.ndarray:
    """Lip-edge vertices near the middle of the mouth."""
    return edge[np.abs(mesh.positions[edge, 0]) < half_width]


# -- structure -----------------------------------------------------------------------------


def test_glb_is_structurally_valid(glb_path: Path, doc: dict) -> None:
    data = glb_path.read_bytes()
    magic, version, length = struct.unpack_from("<4sII", data, 0)
    assert (magic, version, length) == (b"glTF", 2, len(data))
    json_len, json_type = struct.unpack_from("<I4s", data, 12)
    assert json_type == b"JSON" and json_len % 4 == 0
    bin_off = 20 + json_len
    bin_len, bin_type = struct.unpack_from("<I4s", data, bin_off)
    assert bin_type == b"BIN\0" and bin_len % 4 == 0 and bin_off + 8 + bin_len == len(data)
    assert doc["asset"]["version"] == "2.0"
    assert doc["buffers"][0]["byteLength"] <= bin_len
    for view in doc["bufferViews"]:
        assert view["byteOffset"] % 4 == 0
        assert view["byteOffset"] + view["byteLength"] <= doc["buffers"][0]["byteLength"]
    sparse_views = {a["sparse"][k]["bufferView"] for a in doc["accessors"] if "sparse" in a
                    for k in ("indices", "values")}
    for i in sparse_views:
        assert "target" not in doc["bufferViews"][i]
    for mesh in doc["meshes"]:
        for prim in mesh["primitives"]:
            pos = doc["accessors"][prim["attributes"]["POSITION"]]
            assert "min" in pos and "max" in pos
            assert doc["bufferViews"][pos["bufferView"]]["target"] == 34962
            assert doc["bufferViews"][doc["accessors"][prim["indices"]]["bufferView"]][
                "target"] == 34963
            for target in prim.get("targets", []):
                acc = doc["accessors"][target["POSITION"]]
                assert acc["count"] == pos["count"] and "min" in acc and "max" in acc
    assert len(data) < 3_000_000


def test_accessor_bounds_match_the_data(avatar: Avatar, doc: dict) -> None:
    for gmesh in doc["meshes"]:
        acc = doc["accessors"][gmesh["primitives"][0]["attributes"]["POSITION"]]
        mesh = by_name(avatar, gmesh["name"])
        local = mesh.positions - (mesh.pivot if mesh.pivot is not None else 0)
        np.testing.assert_allclose(local.min(axis=0), acc["min"], atol=1e-6)
        np.testing.assert_allclose(local.max(axis=0), acc["max"], atol=1e-6)


def test_parts_counts_and_materials(avatar: Avatar, doc: dict) -> None:
    names = [m.name for m in avatar.meshes]
    assert names == ["Head", "EyeLeft", "EyeRight", "TeethUpper", "TeethLower", "Tongue",
                     "MouthInterior", "Hair"]
    total = sum(m.vertex_count for m in avatar.meshes)
    assert 15_000 <= total <= 35_000
    lo, hi = avatar.bounds()
    head_height = hi[1] - by_name(avatar, "Head").positions[
        by_name(avatar, "Head").positions[:, 2] > 0.05, 1].min()
    assert 0.2 <= head_height <= 0.27
    for mesh in avatar.meshes:
        assert mesh.colors is not None and mesh.colors.shape == (mesh.vertex_count, 4)
        np.testing.assert_allclose(np.linalg.norm(mesh.normals, axis=1), 1.0, atol=1e-3)
    assert by_name(avatar, "Head").material.roughness == pytest.approx(0.5)
    assert by_name(avatar, "EyeLeft").material.roughness < 0.2
    for gmesh in doc["meshes"]:
        if gmesh["name"] != "Hair":
            assert gmesh["extras"]["targetNames"] == list(ARKIT_NAMES)
            assert len(gmesh["primitives"][0]["targets"]) == 52


def test_eye_nodes_sit_at_the_eyeball_centres(avatar: Avatar, doc: dict) -> None:
    for name in ("EyeLeft", "EyeRight"):
        node = next(n for n in doc["nodes"] if n["name"] == name)
        eye = by_name(avatar, name)
        np.testing.assert_allclose(eye.pivot, node["translation"], atol=1e-6)
        radius = np.linalg.norm(eye.positions - eye.pivot, axis=1)
        assert radius.max() - radius.min() < 1e-4  # a sphere around the pivot
    assert by_name(avatar, "EyeLeft").pivot[0] > 0 > by_name(avatar, "EyeRight").pivot[0]


def test_winding_faces_outward(avatar: Avatar) -> None:
    for name in ("Head", "EyeLeft", "Hair", "Tongue"):
        m = by_name(avatar, name)
        p, t = m.positions.astype(np.float64), m.indices.astype(np.int64)
        fn = np.cross(p[t[:, 1]] - p[t[:, 0]], p[t[:, 2]] - p[t[:, 0]])
        vn = m.normals[t].mean(axis=1)
        assert np.mean((fn * vn).sum(axis=1) > 0) > 0.97, name


def test_build_is_deterministic(tmp_path: Path, glb_path: Path) -> None:
    from assets.avatar.build_default_avatar import build

    out = build(tmp_path / "again.glb")
    assert out.read_bytes() == glb_path.read_bytes()


# -- every shape ---------------------------------------------------------------------------


def test_every_target_moves_and_is_bounded(avatar: Avatar) -> None:
    for name in ARKIT_NAMES:
        biggest = 0.0
        for mesh in avatar.meshes:
            if name in mesh.morph_targets:
                d = mesh.morph_targets[name]
                assert np.all(np.isfinite(d)), name
                biggest = max(biggest, float(np.linalg.norm(d, axis=1).max()))
        assert biggest > 1.0 * MM, f"{name} barely moves"
        assert biggest < 40 * MM, f"{name} moves too far"


def _mirror_index(a: AvatarMesh, b: AvatarMesh) -> np.ndarray:
    """For each vertex of ``b``, the vertex of ``a`` that is its mirror image."""
    key_a = np.concatenate([a.positions, 0.01 * a.normals], axis=1)
    key_b = np.concatenate([b.positions * MIRROR, 0.01 * b.normals * MIRROR], axis=1)
    dist, idx = cKDTree(key_a).query(key_b)
    assert dist.max() < 1e-5
    return idx


def _right(name: str) -> str:
    return {"jawLeft": "jawRight", "mouthLeft": "mouthRight"}.get(name,
                                                                  name.replace("Left", "Right"))


def test_left_and_right_shapes_are_exact_mirrors(avatar: Avatar) -> None:
    pairs = [("Head", "Head"), ("EyeLeft", "EyeRight"), ("TeethLower", "TeethLower"),
             ("MouthInterior", "MouthInterior"), ("Tongue", "Tongue")]
    for a_name, b_name in pairs:
        a, b = by_name(avatar, a_name), by_name(avatar, b_name)
        m = _mirror_index(a, b)
        for name in ARKIT_NAMES:
            if not name.endswith("Left"):
                continue
            left = a.morph_targets[name].astype(np.float64)
            right = b.morph_targets[_right(name)].astype(np.float64)
            np.testing.assert_allclose(right, left[m] * MIRROR, atol=2e-6, err_msg=name)
    head = by_name(avatar, "Head")
    m = _mirror_index(head, head)
    for name in ("jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "browInnerUp",
                 "cheekPuff", "mouthRollLower", "mouthShrugUpper"):
        d = head.morph_targets[name].astype(np.float64)
        np.testing.assert_allclose(d[m] * MIRROR, d, atol=2e-6, err_msg=name)


def _lid_checks(side: str, other: str) -> dict[str, Callable[..., None]]:
    sign = 1.0 if side == "Left" else -1.0

    def blink(avatar: Avatar, head: AvatarMesh, marks: dict) -> None:
        name = f"eyeBlink{side}"
        moved = np.abs(delta(head, name)).max(axis=1) > 1e-6
        assert np.all(np.sign(head.positions[moved, 0]) == sign)
        assert mean_delta(head, name, marks[f"upperLidEdge{side}"])[1] < -3 * MM
        assert mean_delta(head, name, marks[f"lowerLidEdge{side}"])[1] > 0.5 * MM
        assert untouched(head, name, marks[f"upperLidEdge{other}"])
        assert untouched(by_name(avatar, f"Eye{side}"), name, np.arange(10))

    def squint(avatar: Avatar, head: AvatarMesh, marks: dict) -> None:
        name = f"eyeSquint{side}"
        assert mean_delta(head, name, marks[f"lowerLidEdge{side}"])[1] > 1.5 * MM
        assert untouched(head, name, marks[f"lowerLidEdge{other}"])

    def wide(avatar: Avatar, head: AvatarMesh, marks: dict) -> None:
        name = f"eyeWide{side}"
        assert mean_delta(head, name, marks[f"upperLidEdge{side}"])[1] > 1.0 * MM
        assert untouched(head, name, marks[f"upperLidEdge{other}"])

    def look(direction: str, axis: int, expect: float) -> Callable[..., None]:
        def check(avatar: Avatar, head: AvatarMesh, marks: dict) -> None:
            name = f"eyeLook{direction}{side}"
            eye = by_name(avatar, f"Eye{side}")
            front = int(np.argmax(eye.positions[:, 2]))
            assert delta(eye, name)[front, axis] * expect > 2 * MM
            assert untouched(by_name(avatar, f"Eye{other}"), name, np.arange(
                by_name(avatar, f"Eye{other}").vertex_count))
            lid = mean_delta(head, name, marks[f"upperLidEdge{side}"])
            if direction in ("Up", "Down"):
                assert lid[1] * expect > 0.3 * MM  # the upper lid follows the gaze
            assert untouched(head, name, marks[f"upperLidEdge{other}"])
        return check

    # In = toward the nose: the left eye (at +X) looks toward -X, the right eye toward +X
    return {
        f"eyeBlink{side}": blink, f"eyeSquint{side}": squint, f"eyeWide{side}": wide,
        f"eyeLookUp{side}": look("Up", 1, 1.0), f"eyeLookDown{side}": look("Down", 1, -1.0),
        f"eyeLookIn{side}": look("In", 0, -sign), f"eyeLookOut{side}": look("Out", 0, sign),
    }


def _side_checks(side: str, other: str) -> dict[str, Callable[..., None]]:
    sign = 1.0 if side == "Left" else -1.0

    def corner(shape: str, test: Callable[[np.ndarray], bool]) -> Callable[..., None]:
        def check(avatar: Avatar, head: AvatarMesh, marks: dict) -> None:
            d = mean_delta(head, shape, marks[f"mouthCorner{side}"])
            assert test(d), (shape, d)
            assert untouched(head, shape, marks[f"mouthCorner{other}"], tol=2e-4)
        return check

    def half_lip(shape: str, edge: str, dy: float) -> Callable[..., None]:
        def check(avatar: Avatar, head: AvatarMesh, marks: dict) -> None:
            e = marks[edge]
            x = head.positions[e, 0] * sign
            mine = e[(x > 0.004) & (x < 0.012)]
            theirs = e[(x < -0.006)]
            assert mean_delta(head, shape, mine)[1] * np.sign(dy) > abs(dy)
            assert np.abs(delta(head, shape, theirs)[:, 1]).max() < 0.4 * MM
        return check

    def region(shape: str, mark: str, axis: int, amount: float) -> Callable[..., None]:
        def check(avatar: Avatar, head: AvatarMesh, marks: dict) -> None:
            d = mean_delta(head, shape, marks[f"{mark}{side}"])
            assert d[axis] * np.sign(amount) > abs(amount), (shape, d)
            assert untouched(head, shape, marks[f"{mark}{other}"], tol=2e-4)
        return check

    def press(avatar: Avatar, head: AvatarMesh, marks: dict) -> None:
        shape = f"mouthPress{side}"
        e = marks["upperLipEdge"]
        x = head.positions[e, 0] * sign
        assert mean_delta(head, shape, e[(x > 0.003) & (x < 0.012)])[2] < -0.8 * MM
        assert np.abs(delta(head, shape, e[x < -0.008])).max() < 0.2 * MM

    jaw_side = "jawLeft" if side == "Left" else "jawRight"
    mouth_side = "mouthLeft" if side == "Left" else "mouthRight"

    def jaw(avatar: Avatar, head: AvatarMesh, marks: dict) -> None:
        assert mean_delta(head, jaw_side, marks["chin"])[0] * sign > 4 * MM
        teeth = by_name(avatar, "TeethLower")
        assert delta(teeth, jaw_side)[:, 0].mean() * sign > 4 * MM
        assert untouched(by_name(avatar, "TeethUpper"), jaw_side, np.arange(10))

    def mouth(avatar: Avatar, head: AvatarMesh, marks: dict) -> None:
        for c in ("mouthCornerLeft", "mouthCornerRight"):
            assert mean_delta(head, mouth_side, marks[c])[0] * sign > 3 * MM
        mid = centre_cols(marks["upperLipEdge"], head)
        assert mean_delta(head, mouth_side, mid)[0] * sign > 4 * MM

    return {
        f"mouthSmile{side}": corner(f"mouthSmile{side}",
                                    lambda d: d[1] > 3 * MM and d[2] < 0 and d[0] * sign > 0),
        f"mouthFrown{side}": corner(f"mouthFrown{side}", lambda d: d[1] < -3 * MM),
        f"mouthDimple{side}": corner(f"mouthDimple{side}", lambda d: d[2] < -2.5 * MM),
        f"mouthStretch{side}": corner(f"mouthStretch{side}",
                                      lambda d: d[0] * sign > 3 * MM and d[1] < -1 * MM),
        f"mouthPress{side}": press,
        f"mouthLowerDown{side}": half_lip(f"mouthLowerDown{side}", "lowerLipEdge", -2.5 * MM),
        f"mouthUpperUp{side}": half_lip(f"mouthUpperUp{side}", "upperLipEdge", 2.5 * MM),
        f"browDown{side}": region(f"browDown{side}", "brow", 1, -2.5 * MM),
        f"browOuterUp{side}": region(f"browOuterUp{side}", "browOuter", 1, 3 * MM),
        f"cheekSquint{side}": region(f"cheekSquint{side}", "cheekUpper", 1, 1.5 * MM),
        f"noseSneer{side}": region(f"noseSneer{side}", "noseWing", 1, 1.5 * MM),
        jaw_side: jaw,
        mouth_side: mouth,
    }


def _centre_checks() -> dict[str, Callable[..., None]]:
    def jaw_open(avatar: Avatar, head: AvatarMesh, marks: dict) -> None:
        assert mean_delta(head, "jawOpen", marks["chin"])[1] < -12 * MM
        lower = centre_cols(marks["lowerLipEdge"], head)
        upper = centre_cols(marks["upperLipEdge"], head)
        assert mean_delta(head, "jawOpen", lower)[1] < -15 * MM
        assert np.abs(delta(head, "jawOpen", upper)).max() < 0.5 * MM
        assert delta(by_name(avatar, "TeethLower"), "jawOpen")[:, 1].mean() < -8 * MM
        assert delta(by_name(avatar, "Tongue"), "jawOpen")[:, 1].mean() < -5 * MM
        assert untouched(by_name(avatar, "TeethUpper"), "jawOpen", np.arange(100))
        assert untouched(head, "jawOpen", marks["browLeft"])
        interior = by_name(avatar, "MouthInterior")
        low = interior.positions[:, 1] < np.median(interior.positions[:, 1]) - 0.008
        assert delta(interior, "jawOpen")[low, 1].mean() < -5 * MM

    def jaw_forward(avatar: Avatar, head: AvatarMesh, marks: dict) -> None:
        assert mean_delta(head, "jawForward", marks["chin"])[2] > 4 * MM
        assert delta(by_name(avatar, "TeethLower"), "jawForward")[:, 2].mean() > 4 * MM
        assert untouched(by_name(avatar, "TeethUpper"), "jawForward", np.arange(100))

    def mouth_close(avatar: Avatar, head: AvatarMesh, marks: dict) -> None:
        upper = centre_cols(marks["upperLipEdge"], head)
        lower = centre_cols(marks["lowerLipEdge"], head)
        assert mean_delta(head, "mouthClose", lower)[1] > 8 * MM
        assert mean_delta(head, "mouthClose", upper)[1] < -3 * MM

    def funnel(avatar: Avatar, head: AvatarMesh, marks: dict) -> None:
        upper = centre_cols(marks["upperLipEdge"], head)
        lower = centre_cols(marks["lowerLipEdge"], head)
        assert mean_delta(head, "mouthFunnel", upper)[2] > 2 * MM
        assert mean_delta(head, "mouthFunnel", upper)[1] > 1.5 * MM
        assert mean_delta(head, "mouthFunnel", lower)[1] < -1.5 * MM
        left = mean_delta(head, "mouthFunnel", marks["mouthCornerLeft"])
        assert left[0] < -2 * MM  # corners draw toward the middle

    def pucker(avatar: Avatar, head: AvatarMesh, marks: dict) -> None:
        upper = centre_cols(marks["upperLipEdge"], head)
        assert mean_delta(head, "mouthPucker", upper)[2] > 5 * MM
        assert mean_delta(head, "mouthPucker", marks["mouthCornerLeft"])[0] < -3 * MM
        assert mean_delta(head, "mouthPucker", marks["mouthCornerRight"])[0] > 3 * MM

    def roll(which: str) -> Callable[..., None]:
        def check(avatar: Avatar, head: AvatarMesh, marks: dict) -> None:
            edge = centre_cols(marks[f"{which.lower()}LipEdge"], head)
            assert mean_delta(head, f"mouthRoll{which}", edge)[2] < -2.5 * MM
        return check

    def shrug(which: str) -> Callable[..., None]:
        def check(avatar: Avatar, head: AvatarMesh, marks: dict) -> None:
            edge = centre_cols(marks[f"{which.lower()}LipEdge"], head)
            assert mean_delta(head, f"mouthShrug{which}", edge)[1] > 2 * MM
            if which == "Lower":
                assert mean_delta(head, "mouthShrugLower", marks["chin"])[1] > 0.5 * MM
        return check

    def brow_inner(avatar: Avatar, head: AvatarMesh, marks: dict) -> None:
        for side in ("Left", "Right"):
            assert mean_delta(head, "browInnerUp", marks[f"browInner{side}"])[1] > 3.5 * MM
            inner = mean_delta(head, "browInnerUp", marks[f"browInner{side}"])[1]
            outer = mean_delta(head, "browInnerUp", marks[f"browOuter{side}"])[1]
            assert inner > 2 * outer

    def puff(avatar: Avatar, head: AvatarMesh, marks: dict) -> None:
        assert mean_delta(head, "cheekPuff", marks["cheekLeft"])[0] > 3 * MM
        assert mean_delta(head, "cheekPuff", marks["cheekRight"])[0] < -3 * MM

    def tongue(avatar: Avatar, head: AvatarMesh, marks: dict) -> None:
        t = by_name(avatar, "Tongue")
        d = delta(t, "tongueOut")
        tip = int(np.argmax(t.positions[:, 2]))
        assert d[tip, 2] > 20 * MM
        assert d[:, 2].max() == pytest.approx(d[tip, 2], abs=2 * MM)
        assert untouched(head, "tongueOut", np.arange(head.vertex_count))

    return {
        "jawOpen": jaw_open, "jawForward": jaw_forward, "mouthClose": mouth_close,
        "mouthFunnel": funnel, "mouthPucker": pucker, "mouthRollLower": roll("Lower"),
        "mouthRollUpper": roll("Upper"), "mouthShrugLower": shrug("Lower"),
        "mouthShrugUpper": shrug("Upper"), "browInnerUp": brow_inner, "cheekPuff": puff,
        "tongueOut": tongue,
    }


CHECKS: dict[str, Callable[..., None]] = {
    **_lid_checks("Left", "Right"), **_lid_checks("Right", "Left"),
    **_side_checks("Left", "Right"), **_side_checks("Right", "Left"), **_centre_checks(),
}


def test_every_arkit_shape_has_a_region_check() -> None:
    assert sorted(CHECKS) == sorted(ARKIT_NAMES)


@pytest.mark.parametrize("shape", ARKIT_NAMES)
def test_shape_moves_its_region_the_right_way(shape: str, avatar: Avatar, head: AvatarMesh,
                                              marks: dict) -> None:
    CHECKS[shape](avatar, head, marks)


# -- combinations --------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["Left", "Right"])
def test_blink_closes_the_lids_with_no_gap(side: str, head: AvatarMesh, marks: dict,
                                           avatar: Avatar) -> None:
    up_idx, lo_idx = marks[f"upperLidEdge{side}"], marks[f"lowerLidEdge{side}"]
    assert up_idx.size == lo_idx.size > 20
    blink = head.morph_targets[f"eyeBlink{side}"]
    up = head.positions[up_idx] + blink[up_idx]
    lo = head.positions[lo_idx] + blink[lo_idx]
    assert np.linalg.norm(up - lo, axis=1).max() < 0.5 * MM
    # open at rest: the middle of the eye shows a gap of several millimetres
    rest_gap = np.linalg.norm(head.positions[up_idx] - head.positions[lo_idx], axis=1)
    assert rest_gap.max() > 8 * MM
    # the closed lid sits in front of the eyeball (covers it)
    pivot = by_name(avatar, f"Eye{side}").pivot
    radius = np.linalg.norm(by_name(avatar, f"Eye{side}").positions - pivot, axis=1).max()
    assert np.linalg.norm(up - pivot, axis=1).min() >= radius


def test_jaw_open_with_mouth_close_brings_the_lips_together(head: AvatarMesh,
                                                          marks: dict) -> None:
    up_idx = centre_cols(marks["upperLipEdge"], head, 0.012)
    lo_idx = centre_cols(marks["lowerLipEdge"], head, 0.012)
    d = head.morph_targets["jawOpen"] + head.morph_targets["mouthClose"]
    up = head.positions[up_idx] + d[up_idx]
    lo = head.positions[lo_idx] + d[lo_idx]
    assert np.linalg.norm(up - lo, axis=1).max() < 1.0 * MM
    assert np.linalg.norm(d, axis=1).max() < 40 * MM


def test_blink_with_squint_stays_on_the_eye(head: AvatarMesh, avatar: Avatar) -> None:
    d = head.morph_targets["eyeBlinkLeft"] + head.morph_targets["eyeSquintLeft"]
    moved = np.linalg.norm(d, axis=1) > 1e-6
    pivot = by_name(avatar, "EyeLeft").pivot
    r0 = np.linalg.norm(head.positions[moved] - pivot, axis=1)
    r1 = np.linalg.norm(head.positions[moved] + d[moved] - pivot, axis=1)
    assert np.abs(r1 - r0).max() < 2.0 * MM
    assert np.linalg.norm(d, axis=1).max() < 12 * MM


def test_shapes_do_not_tear_the_skin(head: AvatarMesh) -> None:
    """Neighbouring vertices keep similar deltas (no edge stretches wildly), except across
    the lip slit and the eye openings, which are cut on purpose."""
    t = head.indices.astype(np.int64)
    edges = np.unique(np.sort(np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]]),
                          axis=1), axis=0)
    rest = np.linalg.norm(head.positions[edges[:, 0]] - head.positions[edges[:, 1]], axis=1)
    for name in ARKIT_NAMES:
        d = head.morph_targets[name]
        stretch = np.linalg.norm(d[edges[:, 0]] - d[edges[:, 1]], axis=1)
        assert stretch.max() < max(6 * MM, 3.0 * rest.max()), name
