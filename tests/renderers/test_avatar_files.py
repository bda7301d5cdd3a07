"""Listing every file an avatar is made of (glTF/GLB/VRM, OBJ, mapping profile)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from renderers.errors import AvatarError
from renderers.loaders import load_avatar
from renderers.loaders.avatar_files import MAX_AVATAR_FILES, avatar_files
from renderers.loaders.mapping_profile import MappingProfile, profile_path_for, save_profile


def layout(avatar: Path) -> list[str]:
    """``avatar_files(avatar)`` as POSIX paths relative to the avatar's folder."""
    root = avatar.parent.resolve()
    return [p.relative_to(root).as_posix() for p in avatar_files(avatar)]


def write_gltf(folder: Path, images: list[str], buffers: list[str] | None = None) -> Path:
    """A glTF JSON file naming ``buffers`` and ``images`` by URI (no geometry needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    doc = {"asset": {"version": "2.0"},
           "buffers": [{"uri": u, "byteLength": 4} for u in (buffers or [])],
           "images": [{"uri": u} for u in images]}
    path = folder / "head.gltf"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def write_obj_head(folder: Path, mtl: str | None = None) -> Path:
    """A one-triangle OBJ head with a shapes folder of two shapes (and an optional MTL)."""
    shapes = folder / "head_shapes"
    shapes.mkdir(parents=True)
    head = "mtllib head.mtl\n" if mtl is not None else ""
    (folder / "head.obj").write_text(head + "v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\n"
                                     "vt 0 1\nusemtl skin\nf 1/1 2/2 3/3\n", encoding="utf-8")
    (shapes / "jawOpen.obj").write_text("v 0 0 0.1\nv 1 0 0\nv 0 1 0\n", encoding="utf-8")
    (shapes / "eyeBlink_L.obj").write_text("v 0 0 0\nv 1 0 0.2\nv 0 1 0\n", encoding="utf-8")
    if mtl is not None:
        (folder / "head.mtl").write_text(mtl, encoding="utf-8")
    return folder / "head.obj"


# -- glTF family -----------------------------------------------------------------------------


def test_a_glb_is_one_file_and_its_profile_comes_along(facecap: Path) -> None:
    assert avatar_files(facecap) == [facecap.resolve()]
    save_profile(MappingProfile({"eyeBlink_L": None}), profile_path_for(facecap))
    assert layout(facecap) == ["facecap_plain.glb", "facecap_plain.mapping.json"]


def test_a_vrm_is_listed_like_a_glb(facecap: Path) -> None:
    vrm = facecap.with_suffix(".vrm")
    shutil.copy(facecap, vrm)
    assert layout(vrm) == ["facecap_plain.vrm"]


def test_a_gltf_lists_its_external_buffers_and_images(tmp_path: Path) -> None:
    folder = tmp_path / "avatar"
    (folder / "textures").mkdir(parents=True)
    (folder / "mesh.bin").write_bytes(b"\0" * 4)
    (folder / "textures" / "skin base.png").write_bytes(b"png")
    (folder / "normal.png").write_bytes(b"png")
    gltf = write_gltf(folder, ["textures/skin%20base.png", "data:image/png;base64,iVBO",
                               "normal.png", "normal.png"], ["mesh.bin"])
    assert layout(gltf) == ["head.gltf", "mesh.bin", "textures/skin base.png", "normal.png"]


def test_gltf_uris_outside_the_folder_or_missing_are_left_out(tmp_path: Path) -> None:
    folder = tmp_path / "avatar"
    folder.mkdir()
    (tmp_path / "secret.png").write_bytes(b"not the avatar's")
    (folder / "secret.png").write_bytes(b"same name inside: still not what ../ names")
    (folder / "kept.png").write_bytes(b"png")
    (folder / "link.png").symlink_to(tmp_path / "secret.png")
    gltf = write_gltf(folder, ["../secret.png", "%2E%2E/secret.png", str(tmp_path / "secret.png"),
                               "file:///etc/passwd", "C:/textures/skin.png", "link.png",
                               "missing.png", "kept.png"], ["gone.bin"])
    assert layout(gltf) == ["head.gltf", "kept.png"]


def test_a_real_gltf_avatar_loads_from_a_copy_of_its_files(facecap: Path, tmp_path: Path) -> None:
    """Split facecap into .gltf + .bin + the profile; a copy of the listed files loads alike."""
    import pygltflib as gl

    doc = gl.GLTF2().load(str(facecap))
    source = tmp_path / "split"
    (source / "data").mkdir(parents=True)
    (source / "data" / "face.bin").write_bytes(doc.binary_blob())
    doc.buffers[0].uri = "data/face.bin"
    doc.set_binary_blob(b"")
    doc.save_json(str(source / "face.gltf"))
    save_profile(MappingProfile({"eyeBlink_L": None}), profile_path_for(source / "face.gltf"))
    files = avatar_files(source / "face.gltf")
    assert layout(source / "face.gltf") == ["face.gltf", "data/face.bin", "face.mapping.json"]
    copy = tmp_path / "copy"
    for f in files:
        (copy / f.relative_to(source.resolve())).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, copy / f.relative_to(source.resolve()))
    original, copied = load_avatar(source / "face.gltf"), load_avatar(copy / "face.gltf")
    assert "eyeBlink_L" not in copied.meshes[0].morph_targets  # the profile came along
    assert [sorted(m.morph_targets) for m in copied.meshes] == \
        [sorted(m.morph_targets) for m in original.meshes]


def test_a_broken_gltf_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gltf"
    bad.write_text("{ not json", encoding="utf-8")
    with pytest.raises(AvatarError, match="bad.gltf"):
        avatar_files(bad)


# -- OBJ -------------------------------------------------------------------------------------


MTL = ("newmtl skin\nKd 1 1 1\nmap_Kd textures/skin.png\nnorm -bm 0.5 textures/normal.png\n"
       "newmtl eyes\nmap_Bump ../outside.png\nnewmtl teeth\nbump missing.png\n"
       "newmtl nails\nmap_Kd C:\\Users\\artist\\nails.png\n")


def test_an_obj_lists_its_materials_textures_shapes_and_profile(tmp_path: Path) -> None:
    folder = tmp_path / "avatar"
    head = write_obj_head(folder, MTL)
    (folder / "textures").mkdir()
    for name in ("skin.png", "normal.png"):
        (folder / "textures" / name).write_bytes(b"png")
    (folder / "nails.png").write_bytes(b"png")  # an absolute path is looked up beside the OBJ
    (tmp_path / "outside.png").write_bytes(b"not the avatar's")
    (folder / "head_shapes" / "notes.txt").write_text("not a shape", encoding="utf-8")
    (folder / "unrelated.png").write_bytes(b"png")
    expected = ["head.obj", "head.mtl", "textures/skin.png", "textures/normal.png",
                "nails.png", "head_shapes/eyeBlink_L.obj", "head_shapes/jawOpen.obj"]
    assert layout(head) == expected
    save_profile(MappingProfile({"eyeBlink_L": None}), profile_path_for(head))
    assert layout(head) == [*expected, "head.mapping.json"]


def test_an_obj_without_materials_or_shapes_is_still_listed(tmp_path: Path) -> None:
    head = write_obj_head(tmp_path / "a", "newmtl skin\n")
    (tmp_path / "a" / "head.mtl").unlink()  # named but missing: skipped
    shutil.rmtree(tmp_path / "a" / "head_shapes")
    assert layout(head) == ["head.obj"]


def test_obj_shapes_linked_from_outside_are_left_out(tmp_path: Path) -> None:
    head = write_obj_head(tmp_path / "a")
    (tmp_path / "elsewhere.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\n", encoding="utf-8")
    (tmp_path / "a" / "head_shapes" / "mouthClose.obj").symlink_to(tmp_path / "elsewhere.obj")
    assert layout(head) == ["head.obj", "head_shapes/eyeBlink_L.obj", "head_shapes/jawOpen.obj"]


def test_a_link_to_a_file_in_the_folder_is_listed_once(tmp_path: Path) -> None:
    head = write_obj_head(tmp_path / "a", "newmtl skin\nmap_Kd skin.png\nnewmtl b\nmap_Kd s.png\n")
    (tmp_path / "a" / "skin.png").write_bytes(b"png")
    (tmp_path / "a" / "s.png").symlink_to(tmp_path / "a" / "skin.png")
    assert layout(head).count("skin.png") == 1


# -- bad input -------------------------------------------------------------------------------


def test_a_missing_or_unknown_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AvatarError, match="not found"):
        avatar_files(tmp_path / "gone.glb")
    (tmp_path / "head.fbx").write_bytes(b"x")
    with pytest.raises(AvatarError, match="unsupported avatar format '.fbx'"):
        avatar_files(tmp_path / "head.fbx")
    (tmp_path / "dir.glb").mkdir()
    with pytest.raises(AvatarError, match="not found"):
        avatar_files(tmp_path / "dir.glb")


def test_an_avatar_of_too_many_files_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    names = [f"t{i}.png" for i in range(MAX_AVATAR_FILES)]
    for name in names:
        (folder / name).write_bytes(b"")
    gltf = write_gltf(folder, names)
    with pytest.raises(AvatarError, match=f"more than {MAX_AVATAR_FILES} files") as info:
        avatar_files(gltf)
    assert "head.gltf" in str(info.value) and "\n" not in str(info.value)
    (folder / names[-1]).unlink()  # the avatar file plus 4095 images: just within the bound
    assert len(avatar_files(gltf)) == MAX_AVATAR_FILES
