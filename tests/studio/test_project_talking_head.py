"""The project file's ``talkingHead``: the studio's generator switch and talking-head settings."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest

from studio.errors import ProjectError
from studio.project import FORMAT_NAME, Project, load_project, save_project
from studio.project_io import project_from_dict, project_to_dict
from studio.project_schema import CURRENT_VERSION, ProjectTalkingHead
from studio.recovery import find_recoveries, write_recovery
from studio.talking_head_video import TalkingHeadRequest


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    """A project folder holding a reference portrait in a subfolder."""
    root = tmp_path / "scene"
    (root / "faces").mkdir(parents=True)
    (root / "faces" / "anna.png").write_bytes(b"\x89PNG not decoded here")
    return root


def talking_head(folder: Path) -> ProjectTalkingHead:
    return ProjectTalkingHead(enabled=True, reference_path=folder / "faces" / "anna.png",
                              steps=12, guidance=2.5, strength=0.55, size=256)


def doc(talking: object) -> dict:
    return {"format": FORMAT_NAME, "version": 1, "talkingHead": talking}


def write(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_defaults_are_those_of_a_talking_head_request() -> None:
    settings, request = ProjectTalkingHead(), TalkingHeadRequest()
    assert not settings.enabled and settings.reference_path is None
    assert (settings.steps, settings.guidance, settings.strength) == (
        request.steps, request.guidance, request.strength)
    assert (settings.size, settings.size) == request.size


def test_round_trip_stores_the_reference_relative_to_the_project(folder: Path) -> None:
    project = Project(talking_head=talking_head(folder))
    path = save_project(project, folder / "scene.affect.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["version"] == CURRENT_VERSION == 1  # an optional key: no new version
    assert data["talkingHead"] == {"enabled": True, "reference": "faces/anna.png", "steps": 12,
                                   "guidance": 2.5, "strength": 0.55, "size": 256}
    assert str(folder) not in path.read_text(encoding="utf-8")
    loaded = load_project(path)
    assert loaded == project
    assert loaded.referenced_files()["reference"] == folder / "faces" / "anna.png"
    assert loaded.missing_files() == {}


def test_round_trip_without_talking_head_writes_null(folder: Path) -> None:
    path = save_project(Project(), folder / "scene.affect.json")
    assert json.loads(path.read_text(encoding="utf-8"))["talkingHead"] is None
    assert load_project(path).talking_head is None


def test_no_reference_and_a_moved_folder(folder: Path, tmp_path: Path) -> None:
    settings = ProjectTalkingHead(enabled=False, steps=3, size=1024)
    assert load_project(save_project(Project(talking_head=settings),
                                     folder / "a.affect.json")).talking_head == settings
    save_project(Project(talking_head=talking_head(folder)), folder / "b.affect.json")
    moved = tmp_path / "moved"
    folder.rename(moved)
    loaded = load_project(moved / "b.affect.json")
    assert loaded.talking_head is not None
    assert loaded.talking_head.reference_path == moved / "faces" / "anna.png"
    (moved / "faces" / "anna.png").unlink()
    assert load_project(moved / "b.affect.json").missing_files() == {
        "reference": moved / "faces" / "anna.png"}  # opens; the portrait can be relinked


def test_absolute_paths_mode_keeps_the_reference_absolute(folder: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "face.png"  # recovery files: any absolute path
    project = Project(talking_head=ProjectTalkingHead(enabled=True, reference_path=outside))
    data = json.loads(json.dumps(project_to_dict(project, folder, absolute_paths=True)))
    assert data["talkingHead"]["reference"] == outside.as_posix()
    assert project_from_dict(data, folder, absolute_paths=True) == project
    with pytest.raises(ProjectError, match="in a recovery file must be absolute"):
        project_from_dict(doc({"reference": "faces/anna.png"}), folder, absolute_paths=True)

    write_recovery(tmp_path / "recovery", "a1", project, None, pid=2**22 + 7)
    [recovery] = find_recoveries(tmp_path / "recovery")
    assert recovery.project.talking_head == project.talking_head


def test_a_reference_outside_the_project_folder_is_refused_on_save(folder: Path,
                                                                   tmp_path: Path) -> None:
    outside = tmp_path / "face.png"
    project = Project(talking_head=ProjectTalkingHead(reference_path=outside))
    with pytest.raises(ProjectError) as exc:
        save_project(project, folder / "scene.affect.json")
    message = str(exc.value)
    assert "\n" not in message
    assert "reference portrait file" in message and "outside the project folder" in message
    assert not (folder / "scene.affect.json").exists()


def test_an_old_file_without_the_key_loads(folder: Path) -> None:
    path = write(folder / "old.affect.json", {
        "format": FORMAT_NAME, "version": 1, "audio": None, "generator": "rig",
        "render": {"fps": 30.0, "width": 1280, "height": 720}, "seed": 3})
    project = load_project(path)
    assert project.talking_head is None and project.seed == 3
    assert "reference" not in project.referenced_files()


def test_absent_fields_take_the_defaults(folder: Path) -> None:
    project = load_project(write(folder / "p.affect.json", doc({"enabled": True})))
    assert project.talking_head == ProjectTalkingHead(enabled=True)
    assert load_project(write(folder / "q.affect.json",
                              doc({"models": "x.toml"}))).talking_head == ProjectTalkingHead()


@pytest.mark.parametrize(("talking", "needle"), [
    ({"size": 200}, "talkingHead size must be a multiple of 64 pixels, got 200"),
    ({"size": 0}, "talkingHead size must be between 64 and"),
    ({"size": 512.0}, "talkingHead size must be a whole number"),
    ({"steps": 0}, "talkingHead steps must be between 1 and 100, got 0"),
    ({"steps": 101}, "talkingHead steps must be between 1 and 100, got 101"),
    ({"steps": "4"}, "talkingHead steps must be a whole number"),
    ({"enabled": "yes"}, "talkingHead enabled must be true or false, got 'yes'"),
    ({"enabled": 1}, "talkingHead enabled must be true or false, got 1"),
    ({"reference": 5}, "reference portrait path must be a non-empty string or null, got 5"),
    ({"reference": ["a.png"]}, "reference portrait path must be a non-empty string or null"),
    ({"reference": "/tmp/face.png"}, "reference portrait path '/tmp/face.png' is absolute"),
    ({"reference": "../face.png"}, "leaves the project folder"),
    ({"guidance": -1}, "talkingHead guidance must be between 0 and 20"),
    ({"guidance": True}, "talkingHead guidance must be a number, got bool"),
    ({"strength": 0}, "talkingHead strength must be between 0.05 and 1"),
    ([], "talkingHead must be a JSON object, got list"),
    ("talking head", "talkingHead must be a JSON object, got str"),
])
def test_bad_values_give_one_line(folder: Path, talking: object, needle: str) -> None:
    path = write(folder / "bad.affect.json", doc(talking))
    with pytest.raises(ProjectError) as exc:
        load_project(path)
    message = str(exc.value)
    assert "\n" not in message and needle in message, message
    assert message.startswith("project bad.affect.json: ")


def test_every_setting_is_stored(folder: Path) -> None:
    stored = project_to_dict(Project(talking_head=talking_head(folder)), folder)["talkingHead"]
    names = {"reference_path": "reference"}
    assert set(stored) == {names.get(f.name, f.name) for f in fields(ProjectTalkingHead)}
