"""Mapping profiles: round trip, overrides in the loader, and strict checks of bad files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from renderers.errors import AvatarError, RendererError
from renderers.loaders import load_avatar
from renderers.loaders.mapping_profile import (
    FORMAT,
    MAX_ENTRIES,
    MAX_PROFILE_BYTES,
    MappingProfile,
    apply_profile,
    load_profile,
    profile_path_for,
    resolve_profile,
    save_profile,
)
from tests.renderers.test_gltf_loader import triangle_doc


def write(path: Path, data: object) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def good(entries: dict) -> dict:
    return {"format": FORMAT, "version": 1, "map": entries}


def expect(path: Path, *words: str) -> str:
    with pytest.raises(AvatarError) as info:
        load_profile(path)
    message = str(info.value)
    assert "\n" not in message and len(message) < 300, message
    for word in words:
        assert word.lower() in message.lower(), message
    return message


# -- round trip and use --------------------------------------------------------------------


def test_round_trip(tmp_path: Path) -> None:
    profile = MappingProfile({"Smile_Left": "mouthSmileLeft", "junk": None, "Ünï": "jawOpen"})
    path = save_profile(profile, tmp_path / "face.mapping.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == good({"Smile_Left": "mouthSmileLeft", "junk": None, "Ünï": "jawOpen"})
    back = load_profile(path)
    assert dict(back.map) == dict(profile.map)
    assert back.source == str(path)
    assert [p.name for p in tmp_path.iterdir()] == ["face.mapping.json"]  # no temp file left


def test_save_replaces_an_existing_file(tmp_path: Path) -> None:
    path = write(tmp_path / "a.mapping.json", "old")
    save_profile(MappingProfile({"x": "jawOpen"}), path)
    assert dict(load_profile(path).map) == {"x": "jawOpen"}


def test_profile_is_read_only() -> None:
    profile = MappingProfile({"x": "jawOpen"})
    with pytest.raises(TypeError):
        profile.map["y"] = "jawOpen"  # type: ignore[index]


def test_apply_profile_overrides_automatic_matching() -> None:
    profile = MappingProfile({"smile": "mouthSmileLeft", "eyeBlink_L": None})
    assert apply_profile(["smile", "eyeBlink_L", "eyeBlink_R", "custom"], profile) == {
        "smile": "mouthSmileLeft", "eyeBlink_L": None, "eyeBlink_R": "eyeBlinkRight",
        "custom": None,
    }
    assert apply_profile(["jaw_open"], None) == {"jaw_open": "jawOpen"}


def test_default_path_and_resolution(tmp_path: Path) -> None:
    avatar = tmp_path / "face.glb"
    assert profile_path_for(avatar) == tmp_path / "face.mapping.json"
    assert resolve_profile(avatar, None) is None
    write(tmp_path / "face.mapping.json", good({"a": "jawOpen"}))
    assert dict(resolve_profile(avatar, None).map) == {"a": "jawOpen"}
    explicit = MappingProfile()
    assert resolve_profile(avatar, explicit) is explicit
    other = write(tmp_path / "other.json", good({"b": None}))
    assert dict(resolve_profile(avatar, str(other)).map) == {"b": None}


def test_loader_applies_sibling_and_given_profiles(tmp_path: Path) -> None:
    doc, _ = triangle_doc(targets=3, names=["smile", "eyeBlink_L", "browInnerUp_L"])
    path = write(tmp_path / "face.gltf", doc)
    (plain,) = load_avatar(path).meshes
    assert set(plain.morph_targets) == {"smile", "eyeBlinkLeft", "browInnerUp_L", "browInnerUp"}
    write(tmp_path / "face.mapping.json",
          good({"smile": "mouthSmileLeft", "eyeBlink_L": None, "browInnerUp_L": "browDownLeft"}))
    (mapped,) = load_avatar(path).meshes
    assert set(mapped.morph_targets) == {"mouthSmileLeft", "browDownLeft"}
    np.testing.assert_allclose(mapped.morph_targets["mouthSmileLeft"], 0.1, atol=1e-6)
    np.testing.assert_allclose(mapped.morph_targets["browDownLeft"], 0.3, atol=1e-6)
    (auto,) = load_avatar(path, MappingProfile()).meshes  # an empty profile: automatic only
    assert set(auto.morph_targets) == set(plain.morph_targets)
    given = write(tmp_path / "given.json", good({"smile": "mouthSmileRight"}))
    (chosen,) = load_avatar(path, given).meshes
    assert "mouthSmileRight" in chosen.morph_targets and "eyeBlinkLeft" in chosen.morph_targets


def test_loader_reports_a_bad_sibling_profile(tmp_path: Path) -> None:
    doc, _ = triangle_doc(targets=1, names=["jawOpen"])
    path = write(tmp_path / "face.gltf", doc)
    write(tmp_path / "face.mapping.json", "{not json")
    with pytest.raises(RendererError, match="face.mapping.json"):
        load_avatar(path)


# -- bad files -----------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    expect(tmp_path / "none.mapping.json", "not found")


def test_not_json(tmp_path: Path) -> None:
    expect(write(tmp_path / "p.json", "{'map': 1"), "invalid JSON", "line 1")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_bytes(b'{"format": "\xff"}')
    expect(path, "UTF-8")


def test_not_an_object(tmp_path: Path) -> None:
    expect(write(tmp_path / "p.json", [1, 2]), "JSON object")


def test_wrong_format_tag(tmp_path: Path) -> None:
    expect(write(tmp_path / "p.json", {"format": "other", "version": 1, "map": {}}),
           "format", FORMAT)


@pytest.mark.parametrize("version", [2, "1", True, 1.0, None])
def test_wrong_version(tmp_path: Path, version: object) -> None:
    expect(write(tmp_path / "p.json", {"format": FORMAT, "version": version, "map": {}}),
           "version")


def test_unknown_and_missing_keys(tmp_path: Path) -> None:
    expect(write(tmp_path / "p.json", {**good({}), "extra": 1}), "unknown key", "extra")
    expect(write(tmp_path / "q.json", {"format": FORMAT, "version": 1}), "'map' is missing")


def test_unknown_arkit_name(tmp_path: Path) -> None:
    expect(write(tmp_path / "p.json", good({"smile": "mouthSmile"})), "mouthSmile",
           "not an ARKit-52 name")
    expect(write(tmp_path / "q.json", good({"smile": "JAWOPEN"})), "not an ARKit-52 name")


@pytest.mark.parametrize("value", [1, 0.5, True, ["jawOpen"], {"a": "jawOpen"}])
def test_non_string_values(tmp_path: Path, value: object) -> None:
    expect(write(tmp_path / "p.json", good({"smile": value})), "not an ARKit-52 name")


@pytest.mark.parametrize("key", ["", "   ", "a\nb", "x" * 300])
def test_bad_target_names(tmp_path: Path, key: str) -> None:
    expect(write(tmp_path / "p.json", good({key: "jawOpen"})), "target name")


def test_map_must_be_an_object(tmp_path: Path) -> None:
    expect(write(tmp_path / "p.json", good(["jawOpen"])), "'map' must be an object")  # type: ignore[arg-type]


def test_duplicate_keys(tmp_path: Path) -> None:
    text = '{"format": "' + FORMAT + '", "version": 1, "map": {"a": "jawOpen", "a": null}}'
    expect(write(tmp_path / "p.json", text), "duplicate key")


def test_too_large(tmp_path: Path) -> None:
    path = write(tmp_path / "p.json", good({"a": "jawOpen"}) | {"pad": " " * MAX_PROFILE_BYTES})
    expect(path, "larger than")


def test_too_many_entries(tmp_path: Path) -> None:
    entries = {f"t{i}": "jawOpen" for i in range(MAX_ENTRIES + 1)}
    expect(write(tmp_path / "p.json", good(entries)), "entries")


def test_deep_nesting(tmp_path: Path) -> None:
    expect(write(tmp_path / "p.json", "[" * 100_000 + "]" * 100_000), "invalid JSON")


def test_bad_entries_in_code_raise_the_same_error() -> None:
    with pytest.raises(AvatarError, match="not an ARKit-52 name"):
        MappingProfile({"a": "nope"})
