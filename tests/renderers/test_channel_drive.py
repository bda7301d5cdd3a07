"""Sculpted visemes and expression presets: which shapes a pose drives, on GPU and in numpy."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pygltflib as gl
import pytest

from renderers.arkit import ARKIT_INDEX
from renderers.avatar import Avatar
from renderers.channel_drive import EMOTION_SHAPES, ChannelDrive
from renderers.channels import CHANNEL_INDEX, EXPRESSION_CHANNELS, VISEME_CHANNELS
from renderers.deform import DrivenTargets, deform_mesh
from renderers.loaders import default_avatar
from renderers.loaders.gltf import load_gltf
from renderers.pose import Pose
from tests.renderers.helpers import renderer

VIS = {name: i for i, name in enumerate(VISEME_CHANNELS)}


def with_visemes(avatar: Avatar, names: tuple[str, ...] = VISEME_CHANNELS) -> Avatar:
    """A copy of ``avatar`` whose head has sculpted viseme shapes (built from its ARKit ones)."""
    out = copy.deepcopy(avatar)
    head = out.mesh("skin")
    jaw = head.morph_targets["jawOpen"]
    funnel = head.morph_targets["mouthFunnel"]
    stretch = head.morph_targets["mouthStretchLeft"] + head.morph_targets["mouthStretchRight"]
    shapes = {
        "viseme_aa": 0.9 * jaw, "viseme_E": 0.5 * jaw + 0.4 * stretch,
        "viseme_I": 0.3 * jaw + 0.6 * stretch, "viseme_O": 0.6 * jaw + 0.8 * funnel,
        "viseme_U": 0.2 * jaw + funnel, "viseme_PP": head.morph_targets["mouthPressLeft"],
    }  # fmt: skip
    for name in names:
        head.morph_targets[name] = shapes.get(name, 0.2 * jaw).astype(np.float32)
    return out


def test_an_arkit_avatar_is_driven_by_the_arkit_weights_alone() -> None:
    drive = ChannelDrive.for_avatar(default_avatar())
    assert not drive.lips_from_visemes and not drive.expressions
    pose = Pose(weights=np.full(52, 0.4), visemes=np.full(15, 0.5), speech=np.full(52, 0.3),
                expressions=np.ones(5))
    w = drive.weights(pose)
    np.testing.assert_allclose(w[:52], 0.4)
    assert not w[52:].any()


def test_sculpted_visemes_form_the_lips_and_speech_leaves_the_arkit_shapes() -> None:
    drive = ChannelDrive.for_avatar(with_visemes(default_avatar()))
    assert drive.lips_from_visemes
    np.testing.assert_array_equal(drive.viseme_matrix, np.eye(15))
    visemes = np.zeros(15)
    visemes[VIS["viseme_aa"]] = 0.7
    speech = np.zeros(52)
    speech[ARKIT_INDEX["jawOpen"]] = 0.5
    weights = np.zeros(52)
    weights[ARKIT_INDEX["jawOpen"]] = 0.6  # 0.5 from speech, 0.1 from the emotion
    weights[ARKIT_INDEX["browInnerUp"]] = 0.8
    w = drive.weights(Pose(weights=weights, visemes=visemes, speech=speech))
    assert w[CHANNEL_INDEX["viseme_aa"]] == pytest.approx(0.7)
    assert w[CHANNEL_INDEX["jawOpen"]] == pytest.approx(0.1)
    assert w[CHANNEL_INDEX["browInnerUp"]] == pytest.approx(0.8)
    # A pose without viseme data (a hand-made one, an imported curve file) stays on ARKit.
    w = drive.weights(Pose(weights=weights))
    assert w[CHANNEL_INDEX["jawOpen"]] == pytest.approx(0.6)
    assert not w[52:].any()


def test_missing_visemes_borrow_the_closest_vowel() -> None:
    five = ("viseme_aa", "viseme_E", "viseme_I", "viseme_O", "viseme_U")
    drive = ChannelDrive.for_avatar(with_visemes(default_avatar(), five))
    assert drive.lips_from_visemes
    visemes = np.zeros(15)
    visemes[VIS["viseme_SS"]] = 1.0
    visemes[VIS["viseme_CH"]] = 0.5
    visemes[VIS["viseme_PP"]] = 1.0  # the closed rest mouth: nothing to drive
    w = drive.weights(Pose(visemes=visemes))
    assert w[CHANNEL_INDEX["viseme_I"]] == pytest.approx(0.6)
    assert w[CHANNEL_INDEX["viseme_U"]] == pytest.approx(0.3)
    assert w[CHANNEL_INDEX["viseme_PP"]] == 0.0 and w[CHANNEL_INDEX["viseme_SS"]] == 0.0


def test_too_few_visemes_leave_the_lips_to_arkit() -> None:
    drive = ChannelDrive.for_avatar(with_visemes(default_avatar(), ("viseme_aa", "viseme_O")))
    assert not drive.lips_from_visemes


def test_the_gpu_drives_sculpted_visemes_as_the_numpy_reference_does() -> None:
    avatar = with_visemes(default_avatar())
    drive = ChannelDrive.for_avatar(avatar)
    visemes = np.zeros(15)
    visemes[VIS["viseme_O"]] = 0.8
    speech = np.zeros(52)
    speech[ARKIT_INDEX["jawOpen"]] = 0.4
    weights = speech.copy()
    weights[ARKIT_INDEX["mouthSmileLeft"]] = 0.5
    pose = Pose(weights=weights, visemes=visemes, speech=speech)
    with renderer(avatar, 64, 64) as r:
        gpu = r.deformed_meshes(pose)
    head_index = next(i for i, m in enumerate(avatar.meshes) if m.part == "skin")
    head = avatar.meshes[head_index]
    want = deform_mesh(head, pose, avatar.head_pivot, drive=drive)
    np.testing.assert_allclose(gpu[head_index][0], want, atol=2e-5)
    # ...and that is the O viseme plus the smile, with no speech jaw on top.
    by_hand = (head.positions + 0.8 * head.morph_targets["viseme_O"]
               + 0.5 * head.morph_targets["mouthSmileLeft"])
    np.testing.assert_allclose(want, by_hand, atol=2e-5)


def test_expression_presets_drive_a_face_without_arkit_emotion_shapes() -> None:
    avatar = copy.deepcopy(default_avatar())
    head = avatar.mesh("skin")
    smile = head.morph_targets["mouthSmileLeft"] + head.morph_targets["mouthSmileRight"]
    for name in EMOTION_SHAPES:
        for mesh in avatar.meshes:
            mesh.morph_targets.pop(name, None)
    head.morph_targets["expression_happy"] = smile
    drive = ChannelDrive.for_avatar(avatar)
    assert drive.expressions
    expressions = np.zeros(5)
    expressions[EXPRESSION_CHANNELS.index("expression_happy")] = 0.75
    pose = Pose(expressions=expressions)
    moved = deform_mesh(head, pose, avatar.head_pivot, drive=drive)
    np.testing.assert_allclose(moved, head.positions + 0.75 * smile, atol=1e-6)
    # With the ARKit emotion shapes present the presets stay still (no emotion shown twice).
    full = copy.deepcopy(default_avatar())
    full.mesh("skin").morph_targets["expression_happy"] = smile
    assert not ChannelDrive.for_avatar(full).expressions


def test_loader_names_viseme_targets_by_channel(tmp_path: Path, evaldata: Path) -> None:
    src = evaldata / "meshes" / "facecap" / "facecap_plain.glb"
    doc = gl.GLTF2().load(str(src))
    head = next(m for m in doc.meshes if m.primitives[0].targets)
    names = list(head.extras["targetNames"])
    names[names.index("jawOpen")] = "Wolf3D_Head.viseme_aa"
    names[names.index("mouthFunnel")] = "viseme_oh"
    head.extras["targetNames"] = names
    path = tmp_path / "rpm_like.glb"
    doc.save(str(path))
    avatar = load_gltf(path)
    mesh = next(m for m in avatar.meshes if "viseme_aa" in m.morph_targets)
    assert "viseme_O" in mesh.morph_targets
    assert "viseme_aa" in DrivenTargets.from_mesh(mesh).names


def test_a_profile_chooses_what_forms_the_lips(tmp_path: Path, evaldata: Path) -> None:
    from renderers.errors import AvatarError
    from renderers.loaders.mapping_profile import MappingProfile, load_profile, save_profile

    src = evaldata / "meshes" / "facecap" / "facecap_plain.glb"
    doc = gl.GLTF2().load(str(src))
    head = next(m for m in doc.meshes if m.primitives[0].targets)
    names = list(head.extras["targetNames"])
    for old, new in (("jawOpen", "viseme_aa"), ("mouthFunnel", "viseme_O")):
        names[names.index(old)] = new
    head.extras["targetNames"] = names
    path = tmp_path / "two_visemes.glb"
    doc.save(str(path))
    assert not ChannelDrive.for_avatar(load_gltf(path)).lips_from_visemes  # two are too few
    save_profile(MappingProfile(lips="visemes"), tmp_path / "two_visemes.mapping.json")
    forced = load_gltf(path)
    assert forced.lips == "visemes" and ChannelDrive.for_avatar(forced).lips_from_visemes
    assert load_profile(tmp_path / "two_visemes.mapping.json").to_json()["lips"] == "visemes"

    rich = with_visemes(default_avatar())
    rich.lips = "arkit"
    assert not ChannelDrive.for_avatar(rich).lips_from_visemes
    with pytest.raises(AvatarError, match="'lips' must be one of auto, arkit, visemes"):
        MappingProfile(lips="teeth")
