"""Switching avatars in a session: load first, swap only on success; projects keep the choice."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from renderers.errors import AvatarError
from renderers.loaders import default_avatar, default_avatar_path
from renderers.loaders.mapping_profile import MappingProfile, profile_path_for, save_profile
from studio.errors import StudioError
from studio.project import (
    Project,
    apply_project,
    load_project,
    prepare_project,
    save_project,
    session_to_project,
)
from studio.session import Session
from tests.renderers.test_gltf_loader import triangle_doc


def glb_bytes(doc: dict, blob: bytes) -> bytes:
    """A binary glTF of ``doc`` with ``blob`` as its BIN chunk."""
    doc = json.loads(json.dumps(doc))
    doc["buffers"][0].pop("uri", None)
    text = json.dumps(doc).encode()
    text += b" " * (-len(text) % 4)
    blob += b"\0" * (-len(blob) % 4)
    total = 12 + 8 + len(text) + 8 + len(blob)
    return (b"glTF" + struct.pack("<II", 2, total) + struct.pack("<I", len(text)) + b"JSON"
            + text + struct.pack("<I", len(blob)) + b"BIN\0" + blob)


def truncated_glb(folder: Path, facecap: Path) -> Path:
    path = folder / "truncated.glb"
    path.write_bytes(facecap.read_bytes()[:5000])
    return path


def glb_without_targets(folder: Path) -> Path:
    doc, blob = triangle_doc()
    path = folder / "still.glb"
    path.write_bytes(glb_bytes(doc, blob))
    return path


def text_as_glb(folder: Path) -> Path:
    path = folder / "notes.glb"
    path.write_text("these are my notes, not a mesh\n", encoding="utf-8")
    return path


BROKEN = {
    "truncated": lambda folder, facecap: truncated_glb(folder, facecap),
    "no morph targets": lambda folder, facecap: glb_without_targets(folder),
    "text file": lambda folder, facecap: text_as_glb(folder),
}


def skin(avatar):  # noqa: ANN001, ANN201 - the facecap face mesh
    return next(m for m in avatar.meshes if m.morph_targets)


def test_a_new_session_uses_the_default_avatar() -> None:
    session = Session()
    assert session.avatar_path is None
    assert session.avatar is default_avatar()
    assert session.avatar.missing_arkit_shapes == []


def test_switch_to_a_file_then_back_to_the_default(facecap: Path) -> None:
    session = Session()
    events: list[str] = []
    session.subscribe(events.append)
    avatar = session.switch_avatar(facecap)
    assert session.avatar_path == str(facecap)
    assert session.avatar is avatar
    assert avatar.missing_arkit_shapes == []
    assert events == ["avatar"]
    session.switch_avatar(None)
    assert session.avatar_path is None and session.avatar is default_avatar()
    assert events == ["avatar", "avatar"]


def test_the_shipped_default_file_opens_like_any_avatar_file() -> None:
    session = Session()
    avatar = session.switch_avatar(default_avatar_path())
    assert session.avatar_path == str(default_avatar_path())
    assert avatar is not default_avatar()  # a file of its own, not the shared default
    assert avatar.missing_arkit_shapes == []


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_a_broken_file_raises_and_keeps_the_avatar_in_use(facecap: Path, kind: str) -> None:
    bad = BROKEN[kind](facecap.parent, facecap)
    session = Session()
    before = session.switch_avatar(facecap)
    events: list[str] = []
    session.subscribe(events.append)
    with pytest.raises(AvatarError) as info:
        session.switch_avatar(bad)
    message = str(info.value)
    assert "\n" not in message and bad.name in message, message
    assert session.avatar_path == str(facecap)
    assert session.avatar is before
    assert events == []
    with pytest.raises(AvatarError):
        session.set_avatar_path(bad)  # the older entry point checks the file the same way
    assert session.avatar_path == str(facecap) and session.avatar is before


def test_no_morph_targets_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(AvatarError) as info:
        Session.load_avatar_file(glb_without_targets(tmp_path))
    assert "still.glb: has no morph targets" in str(info.value)
    assert "shape keys" in str(info.value)


def test_targets_without_arkit_names_are_accepted_for_mapping(tmp_path: Path) -> None:
    doc, _ = triangle_doc(targets=2, names=["grin", "blinky"])
    path = tmp_path / "odd.gltf"
    path.write_text(json.dumps(doc), encoding="utf-8")
    session = Session()
    avatar = session.switch_avatar(path)
    assert session.avatar_path == str(path)
    assert len(avatar.missing_arkit_shapes) == 52  # nothing yet: the mapping editor can fix it


def test_a_missing_file_raises_and_changes_nothing(tmp_path: Path) -> None:
    session = Session()
    with pytest.raises(AvatarError) as info:
        session.switch_avatar(tmp_path / "gone.glb")
    assert "not found" in str(info.value)
    assert session.avatar_path is None and session.avatar is default_avatar()


def test_set_avatar_path_none_is_the_default(facecap: Path) -> None:
    session = Session()
    session.set_avatar_path(str(facecap))
    assert session.avatar_path == str(facecap)
    session.set_avatar_path(None)
    assert session.avatar_path is None and session.avatar is default_avatar()


def test_use_avatar_needs_the_loaded_avatar_of_a_file(facecap: Path) -> None:
    with pytest.raises(StudioError):
        Session().use_avatar(facecap, None)


def test_use_avatar_commits_a_load_made_elsewhere(facecap: Path) -> None:
    loaded = Session.load_avatar_file(facecap)  # e.g. on a worker thread
    session = Session()
    assert session.avatar_path is None  # loading touched no session
    session.use_avatar(facecap, loaded)
    assert session.avatar_path == str(facecap) and session.avatar is loaded


def test_reload_applies_a_new_mapping_profile(facecap: Path) -> None:
    session = Session()
    session.switch_avatar(facecap)
    smile = skin(session.avatar).morph_targets["mouthSmileLeft"].copy()
    save_profile(MappingProfile({"mouthSmile_L": "jawOpen", "jawOpen": None}),
                 profile_path_for(facecap))
    reloaded = session.reload_avatar()
    targets = skin(reloaded).morph_targets
    assert session.avatar is reloaded
    assert "mouthSmileLeft" not in targets
    assert (targets["jawOpen"] == smile).all()


def test_reload_with_a_broken_profile_keeps_the_avatar(facecap: Path) -> None:
    session = Session()
    before = session.switch_avatar(facecap)
    profile_path_for(facecap).write_text('{"format": "affect-studio-mapping", "version": 1, '
                                         '"map": {"jawOpen": "chin"}}', encoding="utf-8")
    with pytest.raises(AvatarError) as info:
        session.reload_avatar()
    assert "ARKit" in str(info.value)
    assert session.avatar is before and session.avatar_path == str(facecap)


def test_reload_of_the_default_avatar_is_the_default() -> None:
    assert Session().reload_avatar() is default_avatar()


# --------------------------------------------------------------------------- projects


def test_a_project_keeps_the_avatar_relative_and_loads_it(facecap: Path) -> None:
    folder = facecap.parent
    session = Session()
    session.switch_avatar(facecap)
    session.set_intensity(0.4)
    path = save_project(session_to_project(session), folder / "scene.affect.json")
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert stored["avatar"] == "facecap_plain.glb"

    restored = Session()
    assert apply_project(load_project(path), restored) == []
    assert restored.avatar_path == str(facecap)
    assert restored.avatar.missing_arkit_shapes == []
    assert restored.intensity == 0.4


def test_a_missing_avatar_falls_back_to_the_default_and_keeps_the_rest(facecap: Path) -> None:
    folder = facecap.parent
    project = Project(avatar_path=facecap, intensity=0.3, seed=5)
    path = save_project(project, folder / "scene.affect.json")
    facecap.unlink()
    prepared = prepare_project(load_project(path))
    assert prepared.avatar is None
    assert "facecap_plain.glb is missing" in prepared.avatar_problem
    assert "default avatar" in prepared.avatar_problem
    session = Session()
    session.switch_avatar(default_avatar_path())
    assert prepared.apply_to(session) == ["avatar"]
    assert session.avatar_path is None and session.avatar is default_avatar()
    assert (session.intensity, session.seed) == (0.3, 5)


def test_a_broken_avatar_in_a_project_falls_back_to_the_default(facecap: Path) -> None:
    bad = text_as_glb(facecap.parent)
    path = save_project(Project(avatar_path=bad, seed=8), facecap.parent / "s.affect.json")
    prepared = prepare_project(load_project(path))
    assert prepared.avatar is None and "notes.glb" in prepared.avatar_problem
    assert "\n" not in prepared.avatar_problem
    session = Session()
    assert prepared.apply_to(session) == []
    assert session.avatar_path is None and session.seed == 8
    assert session.avatar is default_avatar()
