"""The mapping edit model: edits follow the loader's matching, saves keep only what matters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from renderers.errors import AvatarError
from renderers.loaders.mapping_profile import MappingProfile, load_profile, profile_path_for
from studio.mapping_edit import MappingEdit, read_mapping_data, write_profile


def test_reads_the_target_names_of_a_real_avatar(facecap: Path) -> None:
    data = read_mapping_data(facecap)
    assert len(data.target_names) == 52 and data.target_names[0] == "browInnerUp"
    assert data.profile is None and data.profile_problem == ""
    assert data.profile_path == facecap.with_name("facecap_plain.mapping.json")


def test_an_unreadable_profile_is_reported_not_raised(facecap: Path) -> None:
    profile_path_for(facecap).write_text("{not json", encoding="utf-8")
    data = read_mapping_data(facecap)
    assert data.profile is None
    assert "invalid JSON" in data.profile_problem


def test_a_broken_avatar_file_raises(tmp_path: Path) -> None:
    bad = tmp_path / "x.glb"
    bad.write_text("plain text", encoding="utf-8")
    with pytest.raises(AvatarError):
        read_mapping_data(bad)


def test_starts_from_the_automatic_match(facecap: Path) -> None:
    edit = MappingEdit.start(read_mapping_data(facecap).target_names)
    assert edit.sources("eyeBlinkLeft") == ("eyeBlink_L",) and edit.how("eyeBlinkLeft") == "side"
    assert edit.how("jawOpen") == "exact"
    assert len(edit.report.matched) == 52
    assert dict(edit.profile().map) == {} and not edit.changed


def test_taking_a_target_for_another_shape(facecap: Path) -> None:
    edit = MappingEdit.start(read_mapping_data(facecap).target_names)
    lost = edit.choose("jawOpen", "mouthSmile_L")
    assert lost == ["mouthSmileLeft"]
    assert edit.sources("jawOpen") == ("mouthSmile_L",) and edit.how("jawOpen") == "profile"
    assert edit.how("mouthSmileLeft") == "missing"
    assert "mouthSmileLeft" in edit.report.important_missing
    assert dict(edit.profile().map) == {"jawOpen": None, "mouthSmile_L": "jawOpen"}
    assert edit.changed
    edit.reset()
    assert dict(edit.profile().map) == {} and edit.how("jawOpen") == "exact"


def test_none_ignores_the_target() -> None:
    edit = MappingEdit.start(["jawOpen", "eyeBlink_L"])
    assert edit.choose("eyeBlinkLeft", None) == []
    assert edit.how("eyeBlinkLeft") == "missing"
    assert dict(edit.profile().map) == {"eyeBlink_L": None}
    assert "eyeBlink_L" in edit.report.ignored


def test_choosing_what_is_already_there_changes_nothing() -> None:
    edit = MappingEdit.start(["jawOpen"])
    assert edit.choose("jawOpen", "jawOpen") == []
    assert dict(edit.profile().map) == {}


def test_halves_both_stop_when_replaced() -> None:
    edit = MappingEdit.start(["browInnerUp_L", "browInnerUp_R", "brows_up"])
    assert edit.sources("browInnerUp") == ("browInnerUp_L", "browInnerUp_R")
    assert edit.how("browInnerUp") == "halves"
    edit.choose("browInnerUp", "brows_up")
    assert edit.sources("browInnerUp") == ("brows_up",)
    assert "browInnerUp_L" in edit.report.ignored and "browInnerUp_R" in edit.report.ignored
    assert dict(edit.profile().map) == {"brows_up": "browInnerUp"}  # halves yield to it anyway


def test_a_split_target_taken_off_one_side_drives_the_other() -> None:
    edit = MappingEdit.start(["mouthSmile", "jawOpen"])
    assert edit.how("mouthSmileLeft") == "split" and edit.how("mouthSmileRight") == "split"
    edit.choose("mouthSmileLeft", None)
    assert edit.sources("mouthSmileLeft") == ()
    assert edit.sources("mouthSmileRight") == ("mouthSmile",)
    assert dict(edit.profile().map) == {"mouthSmile": "mouthSmileRight"}


def test_redundant_entries_are_dropped_and_absent_targets_kept() -> None:
    profile = MappingProfile({"eyeBlink_L": "eyeBlinkLeft", "grin": "mouthSmileLeft",
                              "old_target": "jawOpen"})
    edit = MappingEdit.start(["eyeBlink_L", "grin"], profile)
    assert edit.how("mouthSmileLeft") == "profile"
    assert dict(edit.profile().map) == {"grin": "mouthSmileLeft", "old_target": "jawOpen"}
    assert not edit.changed


def test_bad_choices_raise_and_change_nothing() -> None:
    edit = MappingEdit.start(["jawOpen"])
    with pytest.raises(AvatarError, match="ARKit-52"):
        edit.choose("chin", "jawOpen")
    with pytest.raises(AvatarError, match="no morph target"):
        edit.choose("jawOpen", "nope")
    assert dict(edit.profile().map) == {} and edit.how("jawOpen") == "exact"


def test_write_profile_writes_or_removes(tmp_path: Path) -> None:
    path = tmp_path / "face.mapping.json"
    assert write_profile(MappingProfile({"a": "jawOpen"}), path) == path
    assert load_profile(path).map == {"a": "jawOpen"}
    assert json.loads(path.read_text(encoding="utf-8"))["map"] == {"a": "jawOpen"}
    assert write_profile(MappingProfile(), path) is None
    assert not path.exists()
    assert write_profile(MappingProfile(), path) is None  # nothing there: still fine


def write_obj_head(folder: Path) -> Path:
    """A one-triangle OBJ head with two shape files (``grin`` is no ARKit name)."""
    shapes = folder / "head_shapes"
    shapes.mkdir(parents=True)
    (folder / "head.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", encoding="utf-8")
    (shapes / "jawOpen.obj").write_text("v 0 0 0.1\nv 1 0 0\nv 0 1 0\n", encoding="utf-8")
    (shapes / "grin.obj").write_text("v 0 0 0\nv 1 0 0.2\nv 0 1 0\n", encoding="utf-8")
    return folder / "head.obj"


def test_an_obj_head_lists_its_shape_files_and_takes_the_saved_mapping(tmp_path: Path) -> None:
    from studio.session import Session

    head = write_obj_head(tmp_path)
    data = read_mapping_data(head)
    assert sorted(data.target_names) == ["grin", "jawOpen"]
    edit = MappingEdit.start(data.target_names, data.profile)
    assert edit.how("mouthSmileLeft") == "missing"
    edit.choose("mouthSmileLeft", "grin")
    write_profile(edit.profile(), data.profile_path)
    avatar = Session.load_avatar_file(head)
    assert set(avatar.meshes[0].morph_targets) == {"jawOpen", "mouthSmileLeft"}


def test_an_obj_without_shapes_folder_says_where_to_put_them(tmp_path: Path) -> None:
    head = tmp_path / "bare.obj"
    head.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", encoding="utf-8")
    with pytest.raises(AvatarError, match="bare_shapes"):
        read_mapping_data(head)
