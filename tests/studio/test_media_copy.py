"""Copying a project's voice line and avatar into the project folder (no Qt)."""

from __future__ import annotations

from pathlib import Path

import pytest

from renderers.loaders.mapping_profile import MappingProfile, profile_path_for, save_profile
from studio.errors import ProjectError
from studio.media_copy import (
    AVATARS_FOLDER,
    OutsideMedia,
    copy_avatar_into,
    copy_file_into,
    copy_media_into,
    copy_question,
    copy_tree_into,
    find_outside,
)
from studio.session import Session
from tests.conftest import unwritable


def write_obj_head(folder: Path) -> Path:
    """A one-triangle OBJ head with a material, a texture and a shapes folder of two shapes."""
    shapes = folder / "head_shapes"
    shapes.mkdir(parents=True)
    (folder / "head.obj").write_text("mtllib head.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\n"
                                     "usemtl skin\nf 1 2 3\n", encoding="utf-8")
    (folder / "head.mtl").write_text("newmtl skin\nKd 0.5 0.4 0.3\nmap_Kd tex/skin.png\n",
                                     encoding="utf-8")
    (folder / "tex").mkdir()
    (folder / "tex" / "skin.png").write_bytes(b"\x89PNG not decoded here")
    (shapes / "jawOpen.obj").write_text("v 0 0 0.1\nv 1 0 0\nv 0 1 0\n", encoding="utf-8")
    (shapes / "grin.obj").write_text("v 0 0 0\nv 1 0 0.2\nv 0 1 0\n", encoding="utf-8")
    return folder / "head.obj"


def tree(folder: Path) -> list[str]:
    """Every file and folder under ``folder`` (hidden ones too), relative, sorted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


# -- what lies outside ------------------------------------------------------------------------


def test_find_outside_tells_media_inside_from_outside(tmp_path: Path, project: Path) -> None:
    inside = project / "sub" / "a.wav"
    assert not find_outside(project, audio=inside, avatar=None)
    assert not find_outside(project, audio="", avatar=None)  # a clip without a file
    outside = find_outside(project, audio=tmp_path / "a.wav", avatar=project / ".." / "h.glb")
    assert outside.audio == tmp_path / "a.wav" and outside.avatar == tmp_path / "h.glb"
    link = project / "linked"
    link.symlink_to(tmp_path, target_is_directory=True)
    assert find_outside(tmp_path, audio=link / "a.wav", avatar=None).audio is None


def test_the_question_lists_what_is_outside(project: Path) -> None:
    title, text = copy_question(OutsideMedia(avatar=Path("/m/head.obj")), project)
    assert title == "Copy the avatar?"
    assert "head.obj" in text and "avatars/head/" in text and str(project) in text
    title, text = copy_question(OutsideMedia(audio=Path("/m/a.wav")), project)
    assert title == "Copy the voice line?" and "a.wav" in text and "avatar" not in text


# -- one file ---------------------------------------------------------------------------------


def test_a_file_is_copied_reused_or_renamed_never_overwritten(tmp_path: Path,
                                                              project: Path) -> None:
    clip = tmp_path / "take.wav"
    clip.write_bytes(b"voice")
    assert copy_file_into(clip, project) == project / "take.wav"
    assert copy_file_into(clip, project) == project / "take.wav"  # identical: reused
    clip.write_bytes(b"another voice")
    assert copy_file_into(clip, project) == project / "take-1.wav"
    assert (project / "take.wav").read_bytes() == b"voice"
    assert (project / "take-1.wav").read_bytes() == b"another voice"
    assert tree(project) == ["take-1.wav", "take.wav"]  # no temporary file left


def test_a_file_that_cannot_be_copied_leaves_nothing(tmp_path: Path, project: Path) -> None:
    with pytest.raises(ProjectError, match="cannot copy gone.wav into") as info:
        copy_file_into(tmp_path / "gone.wav", project)
    assert "\n" not in str(info.value)
    assert tree(project) == []


# -- an avatar --------------------------------------------------------------------------------


def test_an_obj_avatar_is_copied_with_its_layout_and_loads_alike(tmp_path: Path,
                                                                 project: Path) -> None:
    head = write_obj_head(tmp_path / "downloads")
    save_profile(MappingProfile({"grin": "mouthSmileLeft"}), profile_path_for(head))
    (tmp_path / "downloads" / "readme.txt").write_text("not part of the avatar", "utf-8")
    copied = copy_avatar_into(head, project)
    assert copied == project / AVATARS_FOLDER / "head" / "head.obj"
    assert tree(project / AVATARS_FOLDER) == [
        "head", "head/head.mapping.json", "head/head.mtl", "head/head.obj", "head/head_shapes",
        "head/head_shapes/grin.obj", "head/head_shapes/jawOpen.obj", "head/tex",
        "head/tex/skin.png"]
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "file").write_bytes(b"")
    for made, usual in ((copied.parent, plain), (copied, plain / "file")):
        assert made.stat().st_mode == usual.stat().st_mode  # not private temp-file modes
    original, copy = Session.load_avatar_file(head), Session.load_avatar_file(copied)
    assert set(copy.meshes[0].morph_targets) == {"jawOpen", "mouthSmileLeft"}
    assert set(copy.meshes[0].morph_targets) == set(original.meshes[0].morph_targets)
    assert copy.notes == original.notes


def test_the_same_avatar_is_reused_and_a_different_one_gets_a_new_folder(
        tmp_path: Path, project: Path) -> None:
    head = write_obj_head(tmp_path / "downloads")
    first = copy_avatar_into(head, project)
    assert copy_avatar_into(head, project) == first
    save_profile(MappingProfile({"grin": None}), profile_path_for(head))  # one more file
    second = copy_avatar_into(head, project)
    assert second == project / AVATARS_FOLDER / "head-1" / "head.obj"
    assert not profile_path_for(first).exists()  # the first copy is untouched
    (tmp_path / "downloads" / "tex" / "skin.png").write_bytes(b"repainted")  # same names
    third = copy_avatar_into(head, project)
    assert third == project / AVATARS_FOLDER / "head-2" / "head.obj"
    assert (third.parent / "tex" / "skin.png").read_bytes() == b"repainted"
    assert copy_avatar_into(head, project) == third


def test_a_failure_midway_leaves_no_half_copied_folder(tmp_path: Path, project: Path) -> None:
    source = tmp_path / "src"
    (source / "deep").mkdir(parents=True)
    (source / "a.bin").write_bytes(b"a")
    (source / "deep" / "b.bin").write_bytes(b"b")
    files = [source / "a.bin", source / "deep" / "b.bin", source / "deep" / "vanished.bin"]
    with pytest.raises(ProjectError, match="cannot copy the head into") as info:
        copy_tree_into(source, files, project / AVATARS_FOLDER, "head", what="the head")
    assert "No such file" in str(info.value) and "\n" not in str(info.value)
    assert tree(project) == []  # neither the copy, its temporary folder nor avatars/


def test_an_unusable_destination_is_reported(tmp_path: Path, project: Path) -> None:
    head = write_obj_head(tmp_path / "downloads")
    (project / AVATARS_FOLDER).write_text("a file where the folder goes", "utf-8")
    with pytest.raises(ProjectError, match="cannot copy the avatar head.obj into"):
        copy_avatar_into(head, project)
    assert tree(project) == [AVATARS_FOLDER]
    with pytest.raises(ProjectError, match="cannot copy the avatar head.obj into"):
        copy_avatar_into(head, tmp_path / "no" / "such" / "folder")


def test_a_read_only_project_folder_is_reported(tmp_path: Path, project: Path) -> None:
    head = write_obj_head(tmp_path / "downloads")
    with unwritable(project) as locked:
        if not locked:
            pytest.skip("cannot make a folder read-only here")
        with pytest.raises(ProjectError, match="make the folder writable"):
            copy_avatar_into(head, project)
    assert tree(project) == []


def test_a_broken_avatar_is_reported(tmp_path: Path, project: Path) -> None:
    bad = tmp_path / "bad.gltf"
    bad.write_text("{ not json", encoding="utf-8")
    with pytest.raises(ProjectError, match="cannot copy the avatar: bad.gltf"):
        copy_avatar_into(bad, project)
    assert tree(project) == []


# -- both -------------------------------------------------------------------------------------


def test_both_are_copied_or_neither(tmp_path: Path, project: Path) -> None:
    head = write_obj_head(tmp_path / "downloads")
    clip = tmp_path / "take.wav"
    outside = OutsideMedia(audio=clip, avatar=head)
    with pytest.raises(ProjectError, match="take.wav"):  # the clip is gone: nothing is kept
        copy_media_into(outside, project)
    assert tree(project) == []
    clip.write_bytes(b"voice")
    copied = copy_media_into(outside, project)
    assert copied.audio == project / "take.wav"
    assert copied.avatar == project / AVATARS_FOLDER / "head" / "head.obj"
    clip.unlink()  # a second failure keeps the copies made before it
    with pytest.raises(ProjectError):
        copy_media_into(outside, project)
    assert copied.avatar.is_file() and copied.audio.is_file()


# -- the talking-head reference portrait ------------------------------------------------------


def test_a_reference_portrait_outside_is_found_and_named_in_the_question(
        tmp_path: Path, project: Path) -> None:
    face = tmp_path / "face.png"
    assert not find_outside(project, audio=None, avatar=None, reference=project / "face.png")
    assert not find_outside(project, audio=None, avatar=None, reference=None)
    outside = find_outside(project, audio=None, avatar=None, reference=face)
    assert outside and outside.reference == face and outside.audio is None
    title, text = copy_question(outside, project)
    assert title == "Copy the reference portrait?"
    assert "reference portrait: face.png" in text and "Copy it into" in text
    title, text = copy_question(OutsideMedia(audio=tmp_path / "a.wav", reference=face), project)
    assert title == "Copy the media?" and "a.wav" in text and "face.png" in text


def test_the_reference_portrait_is_copied_beside_the_voice_line(tmp_path: Path,
                                                                project: Path) -> None:
    clip, face = tmp_path / "take.wav", tmp_path / "face.png"
    clip.write_bytes(b"voice")
    face.write_bytes(b"\x89PNG portrait")
    copied = copy_media_into(OutsideMedia(audio=clip, reference=face), project)
    assert copied.audio == project / "take.wav" and copied.avatar is None
    assert copied.reference == project / "face.png"
    assert copied.reference.read_bytes() == face.read_bytes()
    assert tree(project) == ["face.png", "take.wav"]


def test_a_failed_portrait_copy_removes_the_copies_made_before_it(tmp_path: Path,
                                                                  project: Path) -> None:
    head = write_obj_head(tmp_path / "downloads")
    clip, face = tmp_path / "take.wav", tmp_path / "face.png"
    clip.write_bytes(b"voice")
    outside = OutsideMedia(audio=clip, avatar=head, reference=face)  # the portrait is gone
    with pytest.raises(ProjectError, match="face.png") as exc:
        copy_media_into(outside, project)
    assert "\n" not in str(exc.value)
    assert tree(project) == []
    (project / "take.wav").write_bytes(b"voice")  # already there, identical: left alone
    with pytest.raises(ProjectError, match="face.png"):
        copy_media_into(outside, project)
    assert tree(project) == ["take.wav"]
