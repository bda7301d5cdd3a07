"""Named presets: where they live, saving and loading them, and the studio session's settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio.batch import presets
from studio.batch.presets import (
    PresetError,
    list_presets,
    load_preset,
    presets_folder,
    save_preset,
    settings_from_session,
)
from studio.errors import StudioError
from studio.session import Session


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "my presets"
    monkeypatch.setenv("AFFECT_STUDIO_PRESETS", str(folder))
    return folder


def test_location_env_var_then_xdg_then_home(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFFECT_STUDIO_PRESETS", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert presets_folder() == tmp_path / "explicit"
    monkeypatch.delenv("AFFECT_STUDIO_PRESETS")
    assert presets_folder() == tmp_path / "xdg" / "affect-studio" / "presets"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/ignored")
    assert presets_folder() == tmp_path / "home" / ".config" / "affect-studio" / "presets"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert presets_folder() == tmp_path / "home" / ".config" / "affect-studio" / "presets"


def test_round_trip_in_the_env_var_folder(folder: Path, tmp_path: Path) -> None:
    assert list_presets() == []
    avatar = tmp_path / "head.glb"
    path = save_preset("Angry boss (v2)", {
        "prompt": "quietly furious", "intensity": "0.8", "language": "en",
        "controls": {"head_motion": 0.5}, "follow_voice": 0.1, "fps": 24, "size": "640x360",
        "seed": 9, "avatar": str(avatar), "formats": "json csv"})
    assert path == folder / "Angry boss (v2).json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["format"] == "affect-studio-preset" and doc["version"] == 1
    assert doc["settings"]["size"] == "640x360" and doc["settings"]["formats"] == [".json", ".csv"]
    assert list_presets() == ["Angry boss (v2)"]
    loaded = load_preset("Angry boss (v2)")
    assert loaded == {
        "prompt": "quietly furious", "intensity": 0.8, "language": "en",
        "controls": {"head_motion": 0.5, "follow_voice": 0.1}, "fps": 24.0,
        "size": (640, 360), "seed": 9, "avatar": avatar, "formats": (".json", ".csv")}
    assert [p.name for p in folder.iterdir()] == ["Angry boss (v2).json"]  # no temp files


def test_saving_again_replaces_and_list_is_sorted(folder: Path) -> None:
    save_preset("Émue_2", {"prompt": "moved"})
    save_preset("b", {"prompt": "calm"})
    save_preset("A", {"prompt": "sad"})
    save_preset("b", {"prompt": "happy"})
    (folder / "notes.txt").write_text("ignored", encoding="utf-8")
    (folder / ".hidden.json").write_text("{}", encoding="utf-8")
    assert list_presets() == ["A", "b", "Émue_2"]
    assert load_preset("b") == {"prompt": "happy"}


def test_relative_paths_are_stored_absolute(folder: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    save_preset("rel", {"avatar": "heads/face.glb"})
    stored = json.loads((folder / "rel.json").read_text(encoding="utf-8"))["settings"]
    assert stored["avatar"] == str(tmp_path / "heads" / "face.glb")


def test_hand_written_relative_path_starts_at_the_presets_folder(folder: Path) -> None:
    folder.mkdir()
    (folder / "x.json").write_text(json.dumps({
        "format": "affect-studio-preset", "version": 1,
        "settings": {"emotion_track": "tracks/t.txt"}}), encoding="utf-8")
    assert load_preset("x") == {"emotion_track": folder / "tracks" / "t.txt"}


@pytest.mark.parametrize("name", ["", ".hidden", "a/b", "..", "x" * 65, "tab\tname", " lead",
                                  "trail ", "nul\x00", "a:b"])
def test_bad_names_are_refused(folder: Path, name: str) -> None:
    with pytest.raises(PresetError, match="is not allowed; use 1-64 letters"):
        save_preset(name, {"prompt": "calm"})
    with pytest.raises(PresetError, match="is not allowed"):
        load_preset(name)
    assert not folder.exists()


@pytest.mark.parametrize(("settings", "expected"), [
    ({"intensity": 2}, "intensity must be a number between 0 and 1, got 2"),
    ({"audio": "a.wav"}, "'audio' (not allowed here)"),
    ({"transcript": "words"}, "'transcript' (not allowed here)"),
    ({"preset": "other"}, "'preset' (not allowed here)"),
    ({"colour": "red"}, "unknown field(s) 'colour'"),
    ({"controls": {"head_motion": 9}}, "head_motion must be a number between 0 and 2"),
    ({"formats": ["gif"]}, "unknown output format 'gif'"),
])
def test_bad_settings_are_refused_before_writing(folder: Path, settings: dict,
                                                 expected: str) -> None:
    with pytest.raises(PresetError) as info:
        save_preset("p", settings)
    assert expected in str(info.value)
    assert not (folder / "p.json").exists()


def test_unknown_preset_lists_the_saved_ones(folder: Path) -> None:
    with pytest.raises(PresetError, match="unknown preset 'calm'; no presets are saved in"):
        load_preset("calm")
    save_preset("warm", {"prompt": "warm"})
    save_preset("cold", {"prompt": "cold"})
    with pytest.raises(PresetError, match="the saved presets are: cold, warm"):
        load_preset("calm")


@pytest.mark.parametrize(("content", "expected"), [
    (b"{not json", "is not valid JSON"),
    (b"\xff\xfe", "not UTF-8"),
    (b'{"format": "other"}', "is not an affect-studio preset"),
    (b'{"format": "affect-studio-preset", "version": 2, "settings": {}}',
     "is a version 2 preset; this program reads version 1"),
    (b'{"format": "affect-studio-preset", "version": 1, "settings": [], "x": 1}',
     "unknown key(s) 'x'"),
    (b'{"format": "affect-studio-preset", "version": 1, "settings": []}',
     "settings must be an object"),
    (b'{"format": "affect-studio-preset", "version": 1, "settings": {"fps": 0}}',
     "preset broken.json: fps must be a number between 1 and 240"),
])
def test_broken_preset_files_raise_one_line(folder: Path, content: bytes,
                                            expected: str) -> None:
    folder.mkdir()
    (folder / "broken.json").write_bytes(content)
    with pytest.raises(StudioError) as info:
        load_preset("broken")
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_oversized_preset_is_refused(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(presets, "MAX_PRESET_BYTES", 100)
    folder.mkdir()
    (folder / "big.json").write_text(json.dumps({
        "format": "affect-studio-preset", "version": 1, "settings": {"prompt": "x" * 200}}),
        encoding="utf-8")
    with pytest.raises(PresetError, match="larger than 100 bytes"):
        load_preset("big")


def test_unwritable_folder_is_a_preset_error(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("AFFECT_STUDIO_PRESETS", str(blocker / "presets"))
    with pytest.raises(PresetError, match="cannot save preset 'p' in .*set AFFECT_STUDIO_PRESETS"):
        save_preset("p", {"prompt": "calm"})


def test_session_settings_round_trip_through_a_preset(folder: Path, tmp_path: Path) -> None:
    session = Session()
    session.set_prompt("nervous but hopeful")
    session.set_intensity(0.6)
    session.set_language("other")
    session.set_controls(session.controls.replace(head_motion=0.25, lip_offset=-0.05))
    session.settings.fps, session.settings.width, session.settings.height = 25.0, 960, 540
    session.seed = 11
    session.avatar_path = str(tmp_path / "face.glb")
    settings = settings_from_session(session, formats=[".json", ".usda"])
    save_preset("from studio", settings)
    loaded = load_preset("from studio")
    assert (loaded["prompt"], loaded["intensity"], loaded["language"]) == \
        ("nervous but hopeful", 0.6, "other")
    assert loaded["controls"] == session.controls.as_dict()
    assert (loaded["fps"], loaded["size"], loaded["seed"]) == (25.0, (960, 540), 11)
    assert loaded["avatar"] == tmp_path / "face.glb"
    assert loaded["formats"] == (".json", ".usda")


def test_session_without_a_single_prompt_leaves_it_out(folder: Path) -> None:
    settings = settings_from_session(Session())
    assert "prompt" not in settings and "avatar" not in settings and "formats" not in settings
    save_preset("plain", settings)
    assert load_preset("plain")["size"] == (1280, 720)
