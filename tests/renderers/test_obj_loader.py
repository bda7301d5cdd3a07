"""OBJ avatars with a shapes folder: real OBJ sets written from the evaluation meshes, parts
and materials, textures, bad input, and a real render."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from renderers.avatar import Avatar
from renderers.errors import AvatarError
from renderers.loaders import load_avatar
from renderers.loaders import obj_document as obj_document_module
from renderers.loaders.arkit_names import match_arkit_name
from renderers.loaders.gltf import load_gltf
from renderers.loaders.gltf_targets import mesh_targets
from renderers.loaders.obj import load_obj
from renderers.loaders.obj_document import read_obj
from renderers.loaders.obj_mtl import inside_folder, parse_mtl
from renderers.loaders.obj_shapes import MAX_SHAPE_FILES
from renderers.loaders.obj_targets import obj_mesh_targets
from renderers.pose import Pose
from tests.renderers.helpers import changed, foreground, project, renderer

MEDIAPIPE = Path("meshes/mediapipe/canonical_face_model.obj")
ICT = Path("meshes/ict_facekit/ict_face_57shapes.glb")

MOUTH_Y = -3.6
"""Height (MediaPipe units, cm) just below the canonical face's lips."""


def _v_lines(points: np.ndarray) -> str:
    return "".join(f"v {x:.6f} {y:.6f} {z:.6f}\n" for x, y, z in np.asarray(points, float))


def _jaw(p: np.ndarray) -> np.ndarray:
    d = np.zeros_like(p)
    below = p[:, 1] < MOUTH_Y
    d[below, 1] = -0.4 * (MOUTH_Y - p[below, 1])
    return d


def _blink(p: np.ndarray, side: float) -> np.ndarray:
    """Move the upper lid region of the eye on ``side`` (+1: +X, the avatar's left) down."""
    d = np.zeros_like(p)
    near = (np.sign(p[:, 0]) == side) & (np.abs(np.abs(p[:, 0]) - 3.3) < 1.5) & \
        (p[:, 1] > 2.0) & (p[:, 1] < 4.5)
    d[near, 1] = -0.5
    return d


def _smile(p: np.ndarray) -> np.ndarray:
    d = np.zeros_like(p)
    d[:, 0] = 0.2 * np.sign(p[:, 0]) * (np.abs(p[:, 1] - MOUTH_Y) < 1.5)
    return d


def _viseme(p: np.ndarray) -> np.ndarray:
    return 0.5 * _jaw(p)


SHAPES = {"jawOpen": _jaw, "eyeBlink_L": lambda p: _blink(p, 1.0),
          "eyeBlink_R": lambda p: _blink(p, -1.0), "mouthSmile": _smile, "viseme_aa": _viseme}


def _write_shapes(folder: Path, neutral: np.ndarray, names=SHAPES) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, fn in names.items():
        (folder / f"{name}.obj").write_text(_v_lines(neutral + fn(neutral)))


@pytest.fixture
def canonical(evaldata: Path, tmp_path: Path) -> Path:
    """The MediaPipe canonical face copied into a fresh folder (no shapes yet)."""
    dest = tmp_path / "face.obj"
    shutil.copy(evaldata / MEDIAPIPE, dest)
    return dest


@pytest.fixture
def canonical_set(canonical: Path) -> Path:
    """The canonical face with a generated ``face_shapes/`` folder."""
    _write_shapes(canonical.with_name("face_shapes"), read_obj(canonical).positions)
    return canonical


# -- the MediaPipe canonical face -----------------------------------------------------------


def test_canonical_face_without_shapes_says_where_to_put_them(canonical: Path) -> None:
    with pytest.raises(AvatarError, match=r"face\.obj: has no blendshapes; put one OBJ per "
                       r"shape in face_shapes/") as err:
        load_avatar(canonical)
    assert "\n" not in str(err.value)


def test_canonical_face_with_generated_shapes_loads_the_right_deltas(canonical_set: Path) -> None:
    avatar = load_avatar(canonical_set)
    assert isinstance(avatar, Avatar) and avatar.name == "face" and avatar.notes == []
    (mesh,) = avatar.meshes
    assert mesh.part == "skin"
    assert mesh.vertex_count == 468 and mesh.triangle_count == 898
    p = mesh.positions.astype(np.float64)
    expected = {"jawOpen": _jaw(p), "eyeBlinkLeft": _blink(p, 1.0),
                "eyeBlinkRight": _blink(p, -1.0), "viseme_aa": _viseme(p)}
    for name, delta in expected.items():
        assert np.abs(delta).max() > 0.1, name  # the shape really moves something
        np.testing.assert_allclose(mesh.morph_targets[name], delta, atol=2e-6, err_msg=name)
    # the unsided smile is cut at the midline into both ARKit sides that add up to it
    left, right = mesh.morph_targets["mouthSmileLeft"], mesh.morph_targets["mouthSmileRight"]
    np.testing.assert_allclose(left + right, _smile(p), atol=2e-6)
    assert np.all(left[p[:, 0] < -1.0] == 0) and np.all(right[p[:, 0] > 1.0] == 0)
    assert {"jawOpen", "eyeBlinkLeft", "viseme_aa"} <= set(avatar.target_names)
    assert "eyeBlink_L" not in mesh.morph_targets


def test_uvs_are_flipped_to_the_gltf_convention(canonical_set: Path) -> None:
    doc = read_obj(canonical_set)
    mesh = load_avatar(canonical_set).meshes[0]
    assert mesh.uvs is not None and mesh.uvs.shape == (mesh.vertex_count, 2)
    corners = np.unique(doc.groups[0].triangles.reshape(-1, 3), axis=0)
    assert len(corners) == mesh.vertex_count  # one vertex per distinct (v, vt) corner
    expected = np.c_[doc.positions[corners[:, 0]], doc.uvs[corners[:, 1], 0],
                     1.0 - doc.uvs[corners[:, 1], 1]]
    got = np.c_[mesh.positions, mesh.uvs].astype(np.float64)
    nearest = np.argmin(((got[:, None, :3] - expected[None, :, :3]) ** 2).sum(axis=2), axis=1)
    np.testing.assert_allclose(got, expected[nearest], atol=1e-6)
    assert abs(mesh.uvs[:, 1].mean() - (1.0 - doc.uvs[:, 1].mean())) < 0.05


def test_shapes_folder_discovery_order_and_explicit_folder(canonical: Path) -> None:
    neutral = read_obj(canonical).positions
    for folder, shape in (("blendshapes", "mouthClose"), ("shapes", "mouthFunnel"),
                          ("face.shapes", "jawOpen")):
        _write_shapes(canonical.with_name(folder), neutral, {shape: _jaw})
    assert load_avatar(canonical).target_names == ["jawOpen"]  # face.shapes/ first
    assert obj_mesh_targets(canonical)[0].target_names == ("jawOpen",)
    shutil.rmtree(canonical.with_name("face.shapes"))
    assert load_avatar(canonical).target_names == ["mouthFunnel"]  # then shapes/
    _write_shapes(canonical.with_name("face_shapes"), neutral, {"eyeBlink_L": _jaw})
    assert load_avatar(canonical).target_names == ["eyeBlinkLeft"]  # face_shapes/ before all
    explicit = canonical.parent / "elsewhere"
    _write_shapes(explicit, neutral, {"mouthPucker": _jaw})
    assert load_avatar(canonical, shapes_dir=explicit).target_names == ["mouthPucker"]
    assert obj_mesh_targets(canonical, explicit)[0].vertex_count == 468


def test_mapping_profile_beside_the_obj_overrides_names(canonical: Path) -> None:
    neutral = read_obj(canonical).positions
    _write_shapes(canonical.with_name("face_shapes"), neutral,
                  {"custom_blink": lambda p: _blink(p, 1.0), "jawOpen": _jaw, "junk": _jaw})
    canonical.with_name("face.mapping.json").write_text(json.dumps(
        {"format": "affect-studio-mapping", "version": 1,
         "map": {"custom_blink": "eyeBlinkLeft", "junk": None}}))
    targets = load_avatar(canonical).meshes[0].morph_targets
    assert sorted(targets) == ["eyeBlinkLeft", "jawOpen"]


# -- the ICT-FaceKit head: OBJ set vs glTF ---------------------------------------------------


@pytest.fixture(scope="module")
def ict_set(evaldata: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Avatar]:
    """The ICT-FaceKit head written as ``ict.obj`` + ``ict_shapes/<raw target name>.obj``."""
    src = evaldata / ICT
    gltf = load_gltf(src)
    (mesh,) = gltf.meshes
    raw_names = mesh_targets(src)[0].target_names
    folder = tmp_path_factory.mktemp("ict")
    neutral = mesh.positions.astype(np.float64)
    faces = "".join(f"f {a}//{a} {b}//{b} {c}//{c}\n" for a, b, c in (mesh.indices + 1).tolist())
    normals = "".join(f"vn {x:.6f} {y:.6f} {z:.6f}\n" for x, y, z in mesh.normals.tolist())
    (folder / "ict.obj").write_text(f"g {mesh.name}\n{_v_lines(neutral)}{normals}{faces}")
    shapes = folder / "ict_shapes"
    shapes.mkdir()
    for k, raw in enumerate(raw_names):
        delta = mesh.morph_targets[match_arkit_name(raw) or raw]
        text = _v_lines(neutral + delta)
        if k == 0:  # a full OBJ: its faces are skipped
            text += normals + faces
        (shapes / f"{raw}.obj").write_text(text)
    return folder / "ict.obj", gltf


def test_ict_obj_set_matches_the_gltf_load_delta_for_delta(ict_set) -> None:
    path, gltf = ict_set
    avatar = load_avatar(path)
    (obj_mesh,), (gltf_mesh,) = avatar.meshes, gltf.meshes
    assert obj_mesh.name == gltf_mesh.name == "ICTFaceModel"
    assert obj_mesh.vertex_count == gltf_mesh.vertex_count
    np.testing.assert_allclose(obj_mesh.positions, gltf_mesh.positions, atol=1e-5)
    np.testing.assert_array_equal(obj_mesh.indices, gltf_mesh.indices)
    np.testing.assert_allclose(obj_mesh.normals, gltf_mesh.normals, atol=1e-5)
    assert set(obj_mesh.morph_targets) == set(gltf_mesh.morph_targets)
    assert avatar.missing_arkit_shapes == gltf.missing_arkit_shapes == ["tongueOut"]
    for name, delta in gltf_mesh.morph_targets.items():
        np.testing.assert_allclose(obj_mesh.morph_targets[name], delta, atol=2e-5,
                                   err_msg=name)
    assert np.abs(obj_mesh.morph_targets["browInnerUp"]).max() > 0.1  # summed from halves


# -- parts, materials, polygon faces -------------------------------------------------------


def _octahedron(centre: tuple[float, float, float], r: float, first: int) -> tuple[str, str]:
    c = np.asarray(centre)
    pts = c + r * np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]])
    faces = [(0, 2, 4), (2, 1, 4), (1, 3, 4), (3, 0, 4), (2, 0, 5), (1, 2, 5), (3, 1, 5),
             (0, 3, 5)]
    # negative (relative) indices: -6 is the first of the six vertices just written
    text = "".join(f"f {a - 6} {b - 6} {c - 6}\n" for a, b, c in faces)
    return _v_lines(pts), text


RIG = """mtllib rig.mtl
o Head
v -0.1 0.0 0.0
v 0.1 0.0 0.0
v 0.1 0.2 0.0
v -0.1 0.2 0.0
v 0.0 0.1 0.05
vt 0 0
vt 1 0
vt 1 1
vt 0 1
vt 0.5 0.5
vt 0.25 0.25
vn 0 0 1
usemtl skin
f 1/1/1 2/2/1 5/5/1
f 2/2/1 3/3/1 5/5/1
f 3/3/1 4/4/1 5/6/1
f 4/4 1/1 5/6
g mouth
usemtl teethMat
f 1//1 2//1 3//1 4//1
"""


def _write_rig(folder: Path, mtl: str = "newmtl skin\nKd 0.9 0.7 0.6\nNs 98\n"
               "newmtl teethMat\nKd 1 1 1\nd 1\nnewmtl eyeMat\nKd 0.2 0.3 0.9\n") -> Path:
    text = RIG
    for name, centre in (("Eye_L", (0.04, 0.12, 0.05)), ("Eye_R", (-0.04, 0.12, 0.05))):
        verts, faces = _octahedron(centre, 0.012, 0)
        text += f"o {name}\ng {name}\nusemtl eyeMat\n{verts}{faces}"
    (folder / "rig.obj").write_text(text)
    (folder / "rig.mtl").write_text(mtl)
    neutral = read_obj(folder / "rig.obj").positions
    jaw = np.zeros_like(neutral)
    jaw[:2, 1] = -0.02
    blink = np.zeros_like(neutral)
    blink[5:11, 1] = 0.001  # the left eye's vertices
    shapes = folder / "rig_shapes"
    shapes.mkdir()
    (shapes / "jawOpen.obj").write_text(_v_lines(neutral + jaw))
    (shapes / "eyeBlink_L.obj").write_text(_v_lines(neutral + blink))
    (shapes / "cheekPuff.obj").write_text(_v_lines(neutral))  # moves nothing
    return folder / "rig.obj"


def test_groups_objects_and_materials_become_parts(tmp_path: Path) -> None:
    avatar = load_avatar(_write_rig(tmp_path))
    parts = {m.name: m.part for m in avatar.meshes}
    assert parts == {"Head": "skin", "mouth": "teeth", "Eye_L": "eye_left",
                     "Eye_R": "eye_right"}
    head = avatar.meshes[0]
    # 5 positions, split per (v, vt, vn) corner: vertex 5 has two UVs, and vertices 1, 4
    # and 5 appear with and without a normal
    assert head.vertex_count == 9 and head.triangle_count == 4
    assert head.uvs is not None
    assert head.material.base_color == (0.9, 0.7, 0.6, 1.0)
    assert head.material.roughness == pytest.approx(0.1414, abs=1e-3)
    assert head.material.subsurface == pytest.approx(0.3)
    mouth = avatar.meshes[1]
    assert mouth.triangle_count == 2 and mouth.uvs is None  # a quad, fan-triangulated
    np.testing.assert_allclose(mouth.normals, np.tile([0, 0, 1], (4, 1)), atol=1e-6)
    eye = avatar.mesh("eye_left")
    assert eye.vertex_count == 6 and eye.triangle_count == 8
    np.testing.assert_allclose(eye.pivot, (0.04, 0.12, 0.05), atol=1e-6)
    assert eye.material.base_color[:3] == (0.2, 0.3, 0.9)
    # shapes are split per mesh; a shape that moves a mesh not at all is left off it
    assert sorted(avatar.meshes[1].morph_targets) == ["jawOpen"]
    assert sorted(eye.morph_targets) == ["eyeBlinkLeft"]
    assert avatar.mesh("eye_right").morph_targets == {}
    np.testing.assert_allclose(head.morph_targets["jawOpen"][:, 1].min(), -0.02, atol=1e-7)
    # a shape that moves nothing at all still shows as present (on the largest mesh)
    assert sorted(head.morph_targets) == ["cheekPuff", "jawOpen"]
    assert not head.morph_targets["cheekPuff"].any()
    # the face looks toward +Z: the winding of the first head triangle faces the viewer
    tri = head.positions[head.indices[0]].astype(float)
    assert np.cross(tri[1] - tri[0], tri[2] - tri[0])[2] > 0


def test_eye_sides_follow_position_not_names(tmp_path: Path) -> None:
    path = _write_rig(tmp_path)
    text = path.read_text().replace("Eye_L", "EyeTmp").replace("Eye_R", "Eye_L")
    path.write_text(text.replace("EyeTmp", "Eye_R"))
    avatar = load_avatar(path)
    assert avatar.mesh("eye_left").pivot[0] > 0 and avatar.mesh("eye_right").pivot[0] < 0


def _png(color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 2), color).save(out, format="PNG")
    return out.getvalue()


def test_textures_load_inside_the_folder_and_escaping_paths_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "tex").mkdir()
    (tmp_path / "tex" / "skin.png").write_bytes(_png((200, 100, 50)))
    (tmp_path / "normal.png").write_bytes(_png((128, 128, 255)))
    outside = tmp_path.parent / f"{tmp_path.name}_secret.png"
    outside.write_bytes(_png((0, 255, 0)))
    mtl = ("newmtl skin\nKd 0.5 0.5 0.5\nmap_Kd -s 1 1 1 tex/skin.png\n"
           "norm -bm 0.5 C:\\Users\\artist\\maps\\normal.png\n"
           f"newmtl eyeMat\nmap_Kd ../{outside.name}\n")
    avatar = load_avatar(_write_rig(tmp_path, mtl))
    head = avatar.meshes[0]
    tex = head.material.base_color_texture
    assert tex is not None and tex.size == (4, 2) and tex.srgb
    assert tex.pixels[0, 0].tolist() == [200, 100, 50, 255]
    assert head.material.base_color == (1.0, 1.0, 1.0, 1.0)  # the map replaces Kd
    # an absolute path from the author's machine: the file of that name beside the OBJ
    normal = head.material.normal_texture
    assert normal is not None and not normal.srgb and head.material.normal_scale == 0.5
    assert head.tangents is not None and head.tangents.shape == (head.vertex_count, 4)
    eye = avatar.mesh("eye_left")
    assert eye.material.base_color_texture is None  # ../ climbs out: never opened
    assert any("outside the avatar's folder" in n and outside.name in n for n in avatar.notes)


def test_missing_material_library_is_a_note_not_an_error(tmp_path: Path) -> None:
    path = _write_rig(tmp_path)
    path.write_text(path.read_text().replace("mtllib rig.mtl", "mtllib ../../etc/other.mtl"))
    avatar = load_avatar(path)
    assert any("material library" in n for n in avatar.notes)
    assert avatar.meshes[0].material.base_color[:3] == pytest.approx((0.8, 0.58, 0.47))


def test_undecodable_texture_is_a_note(tmp_path: Path) -> None:
    (tmp_path / "skin.tga").write_bytes(b"\x00\x00\x02" + b"\x00" * 40)
    avatar = load_avatar(_write_rig(tmp_path, "newmtl skin\nmap_Kd skin.tga\n"))
    assert avatar.meshes[0].material.base_color_texture is None
    assert any("skin.tga" in n and "PNG or JPEG" in n for n in avatar.notes)


def test_mtl_parsing_and_folder_confinement(tmp_path: Path) -> None:
    mats = parse_mtl("newmtl a b\nKd 2 -1 0.5\nTr 0.25\nmap_Bump -bm 2 -clamp on n.png\n"
                     "newmtl a b\nKd 0 0 0\n")
    assert list(mats) == ["a b"]
    assert mats["a b"].diffuse == (1.0, 0.0, 0.5) and mats["a b"].alpha == 0.75
    assert mats["a b"].normal_map == "n.png" and mats["a b"].normal_scale == 2.0
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.png").write_bytes(b"x")
    assert inside_folder(tmp_path, "sub\\x.png") == (tmp_path / "sub" / "x.png").resolve()
    assert inside_folder(tmp_path / "sub", "../sub/x.png") == (tmp_path / "sub" / "x.png").resolve()
    (tmp_path / "up.png").write_bytes(b"x")
    assert inside_folder(tmp_path / "sub", "../up.png") is None  # climbs out of sub/
    assert inside_folder(tmp_path / "sub", "/somewhere/else/x.png") == \
        (tmp_path / "sub" / "x.png").resolve()  # absolute: the file of that name in sub/
    outside = tmp_path.parent / f"{tmp_path.name}_outside.png"
    outside.write_bytes(b"x")
    (tmp_path / "link.png").symlink_to(outside)
    assert inside_folder(tmp_path, "link.png") is None  # a link pointing out of the folder


# -- bad input ------------------------------------------------------------------------------


def _obj_set(folder: Path, text: str, shapes: dict[str, str] | None = None) -> Path:
    path = folder / "bad.obj"
    path.write_text(text)
    (folder / "bad_shapes").mkdir(exist_ok=True)
    for name, body in (shapes or {"jawOpen": "v 0 0 0\nv 1 0 0\nv 0 1 0\n"}).items():
        (folder / "bad_shapes" / f"{name}.obj").write_text(body)
    return path


TRIANGLE = "v 0 0 0\nv 1 0 0\nv 0 1 0\n"


@pytest.mark.parametrize(("text", "needle"), [
    (TRIANGLE, "has no faces"),
    ("", "file is empty"),
    (TRIANGLE + "f 1 2 4\n", "line 4: face refers to vertex 4, but the file has 3 vertices"),
    (TRIANGLE + "f 1 2 -4\n", "face refers to vertex -4"),
    (TRIANGLE + "f 1 2 0\n", "face refers to vertex 0"),
    (TRIANGLE + "vt 0 0\nf 1/1 2/2 3/1\n", "face refers to texture coordinate 2"),
    (TRIANGLE + "f 1//1 2//1 3//1\n", "face refers to normal 1, but the file has 0 normals"),
    ("v 0 0 zero\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", "line 1: expected numbers"),
    ("v 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", "line 1: a vertex needs x, y and z"),
    ("v 0 0 nan\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", "non-finite"),
    (TRIANGLE + "f 1 2\n", "line 4: a face needs at least 3 corners"),
    (TRIANGLE + "f 1/1/1/1 2 3\n", "a face corner must be v, v/vt, v//vn or v/vt/vn"),
    (TRIANGLE + "f 1 2 3.5\n", "face indices must be whole numbers"),
    ("f 1 2 3\n", "has no vertices"),
])
def test_bad_obj_files_raise_one_line_errors(tmp_path: Path, text: str, needle: str) -> None:
    path = _obj_set(tmp_path, text)
    with pytest.raises(AvatarError) as err:
        load_avatar(path)
    message = str(err.value)
    assert needle in message and message.startswith("bad.obj: ") and "\n" not in message
    assert "; " in message  # what is wrong; what to do


def test_binary_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(AvatarError, match="avatar file not found"):
        load_avatar(tmp_path / "nope.obj")
    (tmp_path / "dir.obj").mkdir()
    with pytest.raises(AvatarError, match="avatar path is not a file"):
        load_avatar(tmp_path / "dir.obj")
    path = _obj_set(tmp_path, "")
    path.write_bytes(b"v 0 0 0\n\x00\x01\x02")
    with pytest.raises(AvatarError, match="not a text OBJ file"):
        load_avatar(path)


def test_size_and_count_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _obj_set(tmp_path, TRIANGLE + "f 1 2 3\n")
    monkeypatch.setattr(obj_document_module, "MAX_VERTICES", 2)
    with pytest.raises(AvatarError, match=r"has 3 vertices \(limit 2\); decimate"):
        load_avatar(path)
    monkeypatch.undo()
    monkeypatch.setattr(obj_document_module, "MAX_TRIANGLES", 1)
    path.write_text(TRIANGLE + "f 1 2 3\nf 3 2 1\n")
    with pytest.raises(AvatarError, match=r"has 2 triangles \(limit 1\)"):
        load_avatar(path)
    monkeypatch.undo()
    monkeypatch.setattr(obj_document_module, "MAX_OBJ_BYTES", 10)
    with pytest.raises(AvatarError, match="larger than the .* MB limit"):
        load_avatar(path)


def test_shape_file_problems(tmp_path: Path) -> None:
    path = _obj_set(tmp_path, TRIANGLE + "f 1 2 3\n", {"jawOpen": "v 0 0 0\nv 1 0 0\n"})
    with pytest.raises(AvatarError) as err:
        load_avatar(path)
    assert str(err.value) == ("jawOpen.obj: has 2 vertices but the neutral bad.obj has 3; "
                              "export every shape from the same mesh, with the same vertices "
                              "and order")
    (tmp_path / "bad_shapes" / "jawOpen.obj").write_text("v 0 0 0\nv 1 x 0\nv 0 1 0\n")
    with pytest.raises(AvatarError, match="jawOpen.obj: line 2: expected numbers"):
        load_avatar(path)
    (tmp_path / "bad_shapes" / "jawOpen.obj").write_text("v 0 0 0\nv 1 0 inf\nv 0 1 0\n")
    with pytest.raises(AvatarError, match="jawOpen.obj: has non-finite"):
        load_avatar(path)
    (tmp_path / "bad_shapes" / "jawOpen.obj").unlink()
    with pytest.raises(AvatarError, match=r"has no blendshapes \(bad_shapes/ has no \.obj"):
        load_avatar(path)
    with pytest.raises(AvatarError, match="shapes folder not found"):
        load_avatar(path, shapes_dir=tmp_path / "missing")


def test_too_many_shape_files(tmp_path: Path) -> None:
    shapes = {f"s{i:03d}": TRIANGLE for i in range(MAX_SHAPE_FILES + 1)}
    path = _obj_set(tmp_path, TRIANGLE + "f 1 2 3\n", shapes)
    with pytest.raises(AvatarError, match=f"more than {MAX_SHAPE_FILES} shape files"):
        load_avatar(path)


def test_shapes_dir_is_only_for_obj(tmp_path: Path) -> None:
    from renderers.loaders import default_avatar_path

    with pytest.raises(AvatarError, match="applies only to .obj avatars"):
        load_avatar(default_avatar_path(), shapes_dir=tmp_path)


# -- numbers and formats ----------------------------------------------------------------------


def test_number_formats_crlf_polygons_and_vertex_colours(tmp_path: Path) -> None:
    text = ("v 0 0 0 1 0 0\r\nv 1.5e0 0 0 0 1 0\r\n  v -1 1e0 .5 0 0 1\r\nv +0 2 0 1 1 1\r\n"
            "f 1 2 3 4\r\n")
    path = _obj_set(tmp_path, text, {"jawOpen": "v 0 -1 0\nv 1.5 -1 0\nv -1 0 0.5\nv 0 2 0\n"})
    avatar = load_obj(path)
    mesh = avatar.meshes[0]
    assert mesh.triangle_count == 2
    np.testing.assert_allclose(np.sort(mesh.positions[:, 0]), [-1, 0, 0, 1.5])
    assert mesh.colors is not None and mesh.colors.shape == (4, 4)
    red = mesh.colors[np.argmin(np.abs(mesh.positions).sum(axis=1))]
    np.testing.assert_allclose(red, [1, 0, 0, 1])
    np.testing.assert_allclose(np.sort(mesh.morph_targets["jawOpen"][:, 1]), [-1, -1, -1, 0])


def test_fixed_and_general_decimals_agree(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    pts = rng.normal(0, 10, (200, 3))
    fixed = "".join(f"v {x:.6f} {y:.6f} {z:.6f}\n" for x, y, z in pts)
    general = "".join(f"v {x:.9g} {y:.9g} {z:.9g}\n" for x, y, z in pts)
    (tmp_path / "a.obj").write_text(fixed + "f 1 2 3\n")
    (tmp_path / "b.obj").write_text(general + "f 1 2 3\n")
    a, b = read_obj(tmp_path / "a.obj").positions, read_obj(tmp_path / "b.obj").positions
    np.testing.assert_array_equal(a, np.array([float(t) for t in fixed.split() if t != "v"])
                                  .reshape(-1, 3))
    np.testing.assert_allclose(a, b, atol=1e-6)


# -- rendering ------------------------------------------------------------------------------


def test_rendered_obj_avatar_opens_its_jaw_in_the_mouth_region(canonical_set: Path) -> None:
    avatar = load_avatar(canonical_set)
    r = renderer(avatar, 256, 256)
    try:
        neutral = r.render(Pose()).copy()
        assert foreground(r).mean() > 0.1  # the face fills the frame
        opened = r.render(Pose.from_dict({"jawOpen": 1.0}))
        diff = changed(neutral, opened)
        nose_row, mouth_row, brow_row = project(
            r.camera, r.size, np.array([[0, -1.5, 7.0], [0, MOUTH_Y, 6.0], [0, 3.0, 5.0]]))[:, 1]
    finally:
        r.release()
    assert diff.sum() > 500
    ys, _ = np.nonzero(diff)
    assert ys.min() > nose_row  # the nose and everything above stay
    assert np.median(ys) > mouth_row  # mostly below the lips
    assert not diff[: int(brow_row)].any()
