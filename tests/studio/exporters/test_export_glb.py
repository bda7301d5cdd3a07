"""The ``.glb`` exporter: a valid glTF with the avatar, its morph targets and the take's animation.

The take is the synthetic one of ``conftest.py`` (every ARKit curve moving, head and eyes
swinging), so the round trip compares the file with the take frame by frame, exactly.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pygltflib as gl
import pytest

from generators.take import CurveSet, EmotionTrack, Provenance, Take, VisemeTrack
from renderers.arkit import ARKIT_INDEX, ARKIT_NAMES
from renderers.channels import CHANNEL_INDEX
from renderers.loaders import default_avatar, load_avatar
from renderers.loaders.gltf import load_gltf
from renderers.pose import Pose
from renderers.rigid import mesh_matrix, rotation_matrix
from studio.errors import ExportError
from studio.exporters import gltf_binary
from studio.exporters.gltf_export import ANIMATION_NAME, GlbExporter
from studio.exporters.gltf_rotation import angle_quaternions, quaternion_matrix
from studio.exporters.gltf_scene import HEAD_NODE_NAME, eye_pivot
from tests.renderers.synthetic import synthetic_avatar
from tests.renderers.test_gltf_validator import validate

KNOWN_FRAME = 5
KNOWN_HEAD = (30.0, 0.0, 0.0)  # yaw only
KNOWN_EYES = (12.0, -6.0, 10.0, -5.0)


@pytest.fixture
def known_take(take: Take) -> Take:
    """The synthetic take with a known head yaw and gaze at :data:`KNOWN_FRAME`."""
    take.curves.head_rotation[KNOWN_FRAME] = KNOWN_HEAD
    take.curves.eye_rotation[KNOWN_FRAME] = KNOWN_EYES
    return take


@pytest.fixture
def glb(known_take: Take, out_dir: Path) -> Path:
    """The known take on the default avatar, exported."""
    return GlbExporter().export(known_take, default_avatar(), out_dir / "take.glb")


def _document(path: Path) -> tuple[gl.GLTF2, bytes]:
    doc = gl.GLTF2().load(str(path))
    return doc, doc.binary_blob()


def _read(doc: gl.GLTF2, blob: bytes, index: int) -> np.ndarray:
    """A dense float accessor as ``(count, components)`` float32."""
    acc = doc.accessors[index]
    assert acc.componentType == gl.FLOAT and acc.sparse is None
    view = doc.bufferViews[acc.bufferView]
    width = {"SCALAR": 1, "VEC3": 3, "VEC4": 4}[acc.type]
    start = (view.byteOffset or 0) + (acc.byteOffset or 0)
    data = np.frombuffer(blob, dtype="<f4", count=acc.count * width, offset=start)
    return data.reshape(acc.count, width)


def _channels(doc: gl.GLTF2, path: str) -> dict[str, gl.AnimationChannel]:
    (anim,) = doc.animations
    return {doc.nodes[c.target.node].name: c for c in anim.channels if c.target.path == path}


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- validity ------------------------------------------------------------------------------


def test_khronos_validator_reports_no_errors(glb):
    report = validate(glb)
    assert report["errors"] == 0, report["messages"]
    assert report["warnings"] == 0, report["messages"]


def test_other_avatar_layout_is_valid_too(take, out_dir):
    out = GlbExporter().export(take, synthetic_avatar(), out_dir / "synthetic.glb")
    report = validate(out)
    assert report["errors"] == 0, report["messages"]
    back = load_gltf(out)
    assert [m.part for m in back.meshes] == [m.part for m in synthetic_avatar().meshes]


def test_one_frame_take(out_dir):
    curves = CurveSet(30, np.full((1, 52), 0.5, np.float32))
    take = Take(curves, VisemeTrack(), EmotionTrack(), Provenance("rig", "1"))
    out = GlbExporter().export(take, default_avatar(), out_dir / "one.glb")
    assert validate(out)["errors"] == 0


# -- contents ------------------------------------------------------------------------------


def test_meshes_carry_target_names_and_zero_weights(glb):
    doc, _ = _document(glb)
    avatar = default_avatar()
    assert [m.name for m in doc.meshes] == [m.name for m in avatar.meshes]
    for gmesh, mesh in zip(doc.meshes, avatar.meshes, strict=True):
        (prim,) = gmesh.primitives
        if not mesh.morph_targets:
            assert not prim.targets and not gmesh.extras
            continue
        names = gmesh.extras["targetNames"]
        assert names == [n for n in ARKIT_NAMES if n in mesh.morph_targets]
        assert len(prim.targets) == len(names) == len(gmesh.weights)
        assert set(gmesh.weights) == {0.0}


def test_round_trip_through_the_project_loader(glb):
    avatar, back = default_avatar(), load_gltf(glb)
    assert back.target_names == avatar.target_names
    assert back.missing_arkit_shapes == []
    np.testing.assert_allclose(back.head_pivot, avatar.head_pivot, atol=1e-6)
    assert len(back.meshes) == len(avatar.meshes)
    for a, b in zip(avatar.meshes, back.meshes, strict=True):
        assert (b.name, b.part, b.vertex_count) == (a.name, a.part, a.vertex_count)
        np.testing.assert_allclose(b.positions, a.positions, atol=1e-6)
        np.testing.assert_array_equal(b.indices, a.indices)
        assert list(b.morph_targets) == list(a.morph_targets)
        for name, delta in a.morph_targets.items():
            np.testing.assert_array_equal(b.morph_targets[name], delta)
        assert b.material.base_color == pytest.approx(a.material.base_color)
        if a.pivot is not None:
            np.testing.assert_allclose(b.pivot, a.pivot, atol=1e-6)


def test_animation_weights_equal_the_take_frame_by_frame(glb, known_take):
    doc, blob = _document(glb)
    (anim,) = doc.animations
    assert anim.name == ANIMATION_NAME
    curves = known_take.curves
    weight_channels = _channels(doc, "weights")
    with_targets = [m.name for m in default_avatar().meshes if m.morph_targets]
    assert sorted(weight_channels) == sorted(with_targets)
    worst = 0.0
    for node_name, channel in weight_channels.items():
        sampler = anim.samplers[channel.sampler]
        assert sampler.interpolation == "LINEAR"
        times = _read(doc, blob, sampler.input)[:, 0]
        np.testing.assert_allclose(times, curves.times, rtol=0, atol=1e-6)
        acc = doc.accessors[sampler.input]
        assert acc.min == [float(times[0])] and acc.max == [float(times[-1])]
        node = next(n for n in doc.nodes if n.name == node_name)
        names = doc.meshes[node.mesh].extras["targetNames"]
        samples = _read(doc, blob, sampler.output).reshape(curves.num_frames, len(names))
        expected = curves.weights[:, [ARKIT_INDEX[n] for n in names]]
        worst = max(worst, float(np.abs(samples - expected).max()))
    assert worst <= 1e-7


def test_head_rotation_at_a_known_yaw(glb, known_take):
    doc, blob = _document(glb)
    channel = _channels(doc, "rotation")[HEAD_NODE_NAME]
    (anim,) = doc.animations
    quats = _read(doc, blob, anim.samplers[channel.sampler].output)
    half = np.radians(KNOWN_HEAD[0]) / 2
    np.testing.assert_allclose(quats[KNOWN_FRAME], [0, np.sin(half), 0, np.cos(half)], atol=1e-6)
    head = known_take.curves.head_rotation
    for i in range(0, known_take.curves.num_frames, 7):
        np.testing.assert_allclose(quaternion_matrix(quats[i]), rotation_matrix(*head[i]),
                                   atol=1e-6)


def test_head_node_sits_at_the_pivot_with_every_mesh_under_it(glb):
    doc, _ = _document(glb)
    (root,) = doc.scenes[doc.scene].nodes
    head = doc.nodes[root]
    assert head.name == HEAD_NODE_NAME
    np.testing.assert_allclose(head.translation, default_avatar().head_pivot, atol=1e-7)
    assert sorted(doc.nodes[c].name for c in head.children) == sorted(
        m.name for m in default_avatar().meshes)


def test_file_moves_the_face_as_the_renderer_does(glb, known_take):
    """World transform of each eyeball (head node x eye node) equals the renderer's matrix."""
    doc, blob = _document(glb)
    (anim,) = doc.animations
    rotations = {name: _read(doc, blob, anim.samplers[c.sampler].output)
                 for name, c in _channels(doc, "rotation").items()}
    avatar = default_avatar()
    pivot = avatar.head_pivot.astype(np.float64)
    eyes = [m for m in avatar.meshes if m.part in ("eye_left", "eye_right")]
    assert sorted(rotations) == sorted([HEAD_NODE_NAME, *(m.name for m in eyes)])
    curves = known_take.curves
    for i in (0, KNOWN_FRAME, curves.num_frames - 1):
        pose = Pose(curves.weights[i], curves.head_rotation[i], curves.eye_rotation[i])
        head = _transform(quaternion_matrix(rotations[HEAD_NODE_NAME][i]), pivot)
        for mesh in eyes:
            centre = eye_pivot(mesh).astype(np.float64)
            local = _transform(quaternion_matrix(rotations[mesh.name][i]), centre - pivot)
            world = head @ local @ _transform(np.eye(3), -centre)  # vertices are stored - pivot
            np.testing.assert_allclose(world, mesh_matrix(mesh, pose, avatar.head_pivot),
                                       atol=1e-6)


def _transform(rotation: np.ndarray, translation: np.ndarray) -> np.ndarray:
    m = np.eye(4)
    m[:3, :3] = rotation
    m[:3, 3] = translation
    return m


def test_quaternions_stay_in_one_hemisphere():
    yaw = np.linspace(0.0, 720.0, 200)
    q = angle_quaternions(yaw, np.zeros_like(yaw), np.zeros_like(yaw))
    assert np.all(np.einsum("ij,ij->i", q[1:], q[:-1]) > 0)
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-12)


def test_opens_in_the_viewer(glb):
    avatar = load_avatar(glb)
    assert avatar.missing_arkit_shapes == []
    assert sorted(m.part for m in avatar.meshes) == sorted(m.part for m in default_avatar().meshes)


def test_progress_is_reported_in_order(known_take, out_dir, recorder):
    GlbExporter().export(known_take, default_avatar(), out_dir / "take.glb", progress=recorder)
    fractions = [f for f, _ in recorder.events]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions) and len(fractions) >= 4


def test_no_avatar_means_the_default_head(known_take, out_dir):
    out = GlbExporter().export(known_take, None, out_dir / "take.glb")
    assert len(load_gltf(out).meshes) == len(default_avatar().meshes)


def test_a_minute_at_30_fps_exports_every_frame(take_factory, out_dir):
    # Its speed is measured by bench/bench_export_glb.py, not here.
    take = take_factory(out_dir, duration=60.0, fps=30.0, audio=False)
    assert take.curves.num_frames == 1800
    out = GlbExporter().export(take, default_avatar(), out_dir / "minute.glb")
    doc = gl.GLTF2().load(str(out))
    assert doc.accessors[doc.animations[0].samplers[0].input].count == 1800


# -- refusals and failures -----------------------------------------------------------------


def test_too_large_a_take_is_refused_before_writing(known_take, out_dir):
    with pytest.raises(ExportError, match=r"over the .* limit .*shorter take"):
        GlbExporter(max_bytes=1_000_000).export(known_take, default_avatar(), out_dir / "t.glb")
    assert _listing(out_dir) == []


def test_empty_take_is_refused(out_dir):
    take = Take(CurveSet.zeros(30, 0), VisemeTrack(), EmotionTrack(), Provenance("rig", "1"))
    with pytest.raises(ExportError, match="no frames"):
        GlbExporter().export(take, default_avatar(), out_dir / "t.glb")
    assert _listing(out_dir) == []


def test_full_disk_midway_leaves_nothing_and_keeps_the_old_file(known_take, out_dir,
                                                                monkeypatch):
    old = out_dir / "take.glb"
    old.write_bytes(b"previous export")

    def full_disk(self, fh):
        fh.write(b"\0" * 1024)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(gltf_binary.GlbBuffer, "write_to", full_disk)
    with pytest.raises(ExportError, match="No space left on device"):
        GlbExporter().export(known_take, default_avatar(), old)
    assert _listing(out_dir) == ["take.glb"]
    assert old.read_bytes() == b"previous export"


def test_unwritable_folder(known_take, tmp_path):
    if os.geteuid() == 0:  # root ignores permission bits: use a folder no one can write
        folder = Path("/sys")
    else:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o500)
    try:
        with pytest.raises(ExportError, match="not writable"):
            GlbExporter().export(known_take, default_avatar(), folder / "take.glb")
    finally:
        if folder != Path("/sys"):
            folder.chmod(0o700)
    assert not (folder / "take.glb").exists()


# -- Blender -------------------------------------------------------------------------------

BLENDER_SCRIPT = r'''
import json
import sys

import numpy
import bpy

# Debian's Blender 3.4 glTF importer still uses numpy.bool, which numpy 1.24 removed.
if "bool" not in numpy.__dict__:
    numpy.bool = bool

path, report = sys.argv[sys.argv.index("--") + 1:]
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.import_scene.gltf(filepath=path)
out = {"fps": bpy.context.scene.render.fps / bpy.context.scene.render.fps_base, "objects": {}}
for ob in bpy.data.objects:
    info = {"type": ob.type, "parent": ob.parent.name if ob.parent else None, "paths": [],
            "keys": [], "curves": {}}
    if ob.animation_data and ob.animation_data.action:
        info["paths"] = sorted({f.data_path for f in ob.animation_data.action.fcurves})
    keys = ob.data.shape_keys if ob.type == "MESH" else None
    if keys is not None:
        info["keys"] = [k.name for k in keys.key_blocks]
        if keys.animation_data and keys.animation_data.action:
            for f in keys.animation_data.action.fcurves:
                name = f.data_path.split('"')[1]
                info["curves"][name] = [list(p.co) for p in f.keyframe_points]
    out["objects"][ob.name] = info
with open(report, "w") as fh:
    json.dump(out, fh)
'''


def test_blender_imports_shape_key_animation(glb, known_take, tmp_path):
    blender = shutil.which("blender")
    if blender is None:
        if os.environ.get("AFFECT_REQUIRE_BLENDER") == "1":
            pytest.fail("Blender is required (AFFECT_REQUIRE_BLENDER=1) but not installed: "
                        "apt-get install blender python3-numpy")
        pytest.skip("Blender is not installed")
    script = tmp_path / "import_glb.py"
    script.write_text(BLENDER_SCRIPT)
    report = tmp_path / "report.json"
    run = subprocess.run([blender, "-b", "--factory-startup", "--python-exit-code", "1",
                          "--python", str(script), "--", str(glb), str(report)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and report.is_file(), run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(report.read_text())
    objects, fps = result["objects"], result["fps"]
    curves = known_take.curves
    for mesh in default_avatar().meshes:
        info = objects[mesh.name]
        assert info["type"] == "MESH" and info["parent"] == HEAD_NODE_NAME
        if not mesh.morph_targets:
            continue
        assert info["keys"][1:] == [n for n in ARKIT_NAMES if n in mesh.morph_targets]
        assert sorted(info["curves"]) == sorted(mesh.morph_targets)
        for name in ("jawOpen", "mouthSmileLeft", "eyeBlinkRight"):
            points = np.asarray(info["curves"][name])
            np.testing.assert_allclose(points[:, 0], curves.times * fps, atol=1e-3)
            np.testing.assert_allclose(points[:, 1], curves.curve(name), atol=1e-6)
    assert any(p.startswith("rotation") for p in objects[HEAD_NODE_NAME]["paths"])


def test_sculpted_visemes_are_animated_as_the_viewport_drives_them(known_take, out_dir):
    from renderers.channel_drive import ChannelDrive
    from tests.renderers.test_channel_drive import with_visemes

    avatar = with_visemes(default_avatar())
    curves = known_take.curves
    n = curves.num_frames
    rng = np.random.default_rng(3)
    curves.visemes = rng.uniform(0, 0.5, (n, 15)).astype(np.float32)
    curves.speech = (0.5 * curves.weights).astype(np.float32)
    out = GlbExporter().export(known_take, avatar, out_dir / "visemes.glb")
    assert validate(out)["errors"] == 0
    doc, blob = _document(out)
    channel = _channels(doc, "weights")[avatar.mesh("skin").name]
    names = doc.meshes[doc.nodes[channel.target.node].mesh].extras["targetNames"]
    sampler = doc.animations[0].samplers[channel.sampler]
    got = _read(doc, blob, sampler.output).reshape(n, len(names))
    drive = ChannelDrive.for_avatar(avatar)
    for i in (0, KNOWN_FRAME, n - 1):
        want = drive.weights(known_take.pose_at(i / curves.fps))
        for j, name in enumerate(names):
            assert got[i, j] == pytest.approx(float(want[CHANNEL_INDEX[name]]), abs=1e-6)
    assert got[:, names.index("viseme_aa")].max() > 0.1


def test_a_skinned_body_turns_only_its_head_share(known_take, out_dir, tmp_path):
    from tests.renderers.test_skinned_avatar import skinned_glb

    skinned_glb(tmp_path / "body.glb")
    avatar = load_avatar(tmp_path / "body.glb")
    out = GlbExporter().export(known_take, avatar, out_dir / "body_take.glb")
    report = validate(out)
    assert report["errors"] == 0 and report["warnings"] == 0, report["messages"]
    doc, blob = _document(out)
    (skin,) = doc.skins
    assert [doc.nodes[j].name for j in skin.joints] == ["root", "head"]
    back = load_gltf(out)
    (mesh,) = avatar.meshes
    (again,) = back.meshes
    np.testing.assert_allclose(again.positions, mesh.positions, atol=1e-5)
    np.testing.assert_allclose(again.head_weights, mesh.head_weights, atol=1e-6)
    np.testing.assert_allclose(back.head_pivot, avatar.head_pivot, atol=1e-6)
    assert set(again.morph_targets) == set(mesh.morph_targets)
