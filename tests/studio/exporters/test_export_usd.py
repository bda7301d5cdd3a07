"""OpenUSD export: a valid UsdSkel rig whose animation reproduces the take and the renderer.

Needs the ``usd`` extra (``usd-core``); without it only the missing-extra message is tested.
"""

from __future__ import annotations

import builtins
import contextlib
from pathlib import Path

import numpy as np
import pytest

from generators.take import Take
from renderers.arkit import ARKIT_INDEX
from renderers.avatar import Avatar, AvatarMesh
from renderers.deform import deform_mesh
from renderers.loaders import default_avatar
from renderers.rigid import rotation_matrix
from studio.errors import ExportError
from studio.exporters import usd_export
from studio.exporters.usd_export import UsdExporter
from tests.studio.exporters.conftest import make_take

FORMATS = (".usda", ".usd")


@pytest.fixture(scope="module")
def usd_take(tmp_path_factory: pytest.TempPathFactory) -> Take:
    """A 1.5 s take at 30 fps: every curve moving, head and eyes swinging."""
    return make_take(tmp_path_factory.mktemp("audio"), duration=1.5, audio=False)


@pytest.fixture(scope="module", params=FORMATS)
def exported(request, usd_take: Take, tmp_path_factory: pytest.TempPathFactory):
    """``(path, stage)`` of the take exported on the default avatar, once per format."""
    import pxr.UsdValidation  # noqa: F401 - installed by the test command (the "usd" extra)
    from pxr import Usd

    path = tmp_path_factory.mktemp("usd") / f"take{request.param}"
    assert UsdExporter().export(usd_take, default_avatar(), path) == path
    return path, Usd.Stage.Open(str(path))


def _anim(stage):
    from pxr import UsdSkel

    return UsdSkel.Animation(stage.GetPrimAtPath("/Avatar/Animation"))


def _mesh_prims(stage) -> list:
    from pxr import UsdGeom

    return [p for p in stage.GetPrimAtPath("/Avatar").GetChildren() if p.IsA(UsdGeom.Mesh)]


def test_no_validation_errors(exported) -> None:
    from studio.exporters.usd_validate import validate_usd

    path, _ = exported
    assert validate_usd(path) == []


def test_file_format_and_stage_metadata(exported, usd_take: Take) -> None:
    from pxr import UsdGeom

    path, stage = exported
    head = path.read_bytes()[:9]
    assert head.startswith(b"#usda 1.0" if path.suffix == ".usda" else b"PXR-USDC")
    assert UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.y
    assert stage.GetTimeCodesPerSecond() == usd_take.curves.fps
    assert stage.GetStartTimeCode() == 0
    assert stage.GetEndTimeCode() == usd_take.curves.num_frames - 1
    assert stage.GetDefaultPrim().GetPath() == "/Avatar"
    assert stage.GetDefaultPrim().GetTypeName() == "SkelRoot"
    assert not list(path.parent.glob("*.part*"))


def test_blend_shape_weights_match_the_take(exported, usd_take: Take) -> None:
    _, stage = exported
    anim = _anim(stage)
    channels = list(anim.GetBlendShapesAttr().Get())
    assert len(set(channels)) == len(channels)
    arkit = [n for n in default_avatar().target_names if n in ARKIT_INDEX]
    assert set(arkit) <= set(channels)
    attr = anim.GetBlendShapeWeightsAttr()
    n = usd_take.curves.num_frames
    assert attr.GetTimeSamples() == [float(i) for i in range(n)]
    want = usd_take.curves.weights.astype(np.float32)
    for i in range(n):
        got = np.asarray(attr.Get(i), dtype=np.float32)
        for name in arkit:
            assert got[channels.index(name)] == want[i, ARKIT_INDEX[name]], (name, i)


def test_every_mesh_has_its_blend_shapes(exported) -> None:
    from pxr import UsdSkel

    _, stage = exported
    avatar = default_avatar()
    channels = set(_anim(stage).GetBlendShapesAttr().Get())
    prims = _mesh_prims(stage)
    assert [p.GetName() for p in prims] == [m.name for m in avatar.meshes]
    for mesh, prim in zip(avatar.meshes, prims, strict=True):
        shapes = [c for c in prim.GetChildren() if c.IsA(UsdSkel.BlendShape)]
        assert len(shapes) == len(mesh.morph_targets), mesh.name
        binding = UsdSkel.BindingAPI(prim)
        names = list(binding.GetBlendShapesAttr().Get() or [])
        targets = binding.GetBlendShapeTargetsRel().GetTargets()
        assert len(names) == len(targets)
        assert set(names) <= channels
        # an eyeball with a pivot turns by its joint: its own eyeLook* shapes stay unbound
        rigid_gaze = mesh.part.startswith("eye_") and mesh.pivot is not None
        expected = [n for n in mesh.morph_targets if not (rigid_gaze and n.startswith("eyeLook"))]
        assert names == expected, mesh.name
        assert binding.GetSkeletonRel().GetTargets() == ["/Avatar/Skeleton"]


def test_head_rotation_is_a_joint_rotation(exported, usd_take: Take) -> None:
    from pxr import Gf, UsdSkel

    _, stage = exported
    anim = _anim(stage)
    joints = list(anim.GetJointsAttr().Get())
    assert "root/head" in joints
    skel = UsdSkel.Skeleton(stage.GetPrimAtPath("/Avatar/Skeleton"))
    assert set(joints) <= set(skel.GetJointsAttr().Get())
    rotations = anim.GetRotationsAttr()
    n = usd_take.curves.num_frames
    assert rotations.GetTimeSamples() == [float(i) for i in range(n)]
    j = joints.index("root/head")
    for i in (0, n // 2, n - 1):
        q = rotations.Get(i)[j]
        got = np.array(Gf.Matrix3d(Gf.Rotation(Gf.Quatd(q))).GetTranspose())
        want = rotation_matrix(*(float(a) for a in usd_take.curves.head_rotation[i]))
        np.testing.assert_allclose(got, want, atol=1e-6)


def _usd_skinned_points(stage, frame: int) -> list[np.ndarray]:
    """Each mesh's points at ``frame`` as OpenUSD's own UsdSkel deformation computes them."""
    from pxr import Usd, UsdGeom, UsdSkel

    cache = UsdSkel.Cache()
    cache.Populate(UsdSkel.Root(stage.GetPrimAtPath("/Avatar")), Usd.PrimDefaultPredicate)
    skel_query = cache.GetSkelQuery(UsdSkel.Skeleton(stage.GetPrimAtPath("/Avatar/Skeleton")))
    xforms = skel_query.ComputeSkinningTransforms(frame)
    weights = skel_query.GetAnimQuery().ComputeBlendShapeWeights(frame)
    out = []
    for prim in _mesh_prims(stage):
        query = cache.GetSkinningQuery(prim)
        points = UsdGeom.Mesh(prim).GetPointsAttr().Get()
        if query.HasBlendShapes():
            shapes = UsdSkel.BlendShapeQuery(UsdSkel.BindingAPI(prim))
            sub = shapes.ComputeSubShapeWeights(query.GetBlendShapeMapper().Remap(weights))
            assert shapes.ComputeDeformedPoints(
                sub[0], sub[1], sub[2], shapes.ComputeBlendShapePointIndices(),
                shapes.ComputeSubShapePointOffsets(), points,
            )  # fmt: skip
        assert query.ComputeSkinnedPoints(xforms, points, frame)
        out.append(np.array(points, dtype=np.float64))
    return out


def test_usd_deformation_matches_the_renderer(exported, usd_take: Take) -> None:
    """UsdSkel's blend shapes + skinning give the renderer's vertices (morphs, gaze, head)."""
    _, stage = exported
    avatar = default_avatar()
    frame = 31
    pose = usd_take.curves.pose_at(frame / usd_take.curves.fps)
    moved = 0.0
    for mesh, got in zip(avatar.meshes, _usd_skinned_points(stage, frame), strict=True):
        want = deform_mesh(mesh, pose, avatar.head_pivot)
        np.testing.assert_allclose(got, want, atol=1e-6, err_msg=mesh.name)
        moved = max(moved, float(np.abs(want - mesh.positions).max()))
    assert moved > 1e-3  # the frame really is deformed


def test_odd_names_and_custom_targets(tmp_path: Path, usd_take: Take) -> None:
    """Mesh and target names that are no USD identifiers; a non-ARKit target stays at 0."""
    import pxr.UsdValidation  # noqa: F401 - installed by the test command (the "usd" extra)
    from pxr import Usd, UsdSkel

    from studio.exporters.usd_validate import validate_usd

    base = default_avatar().mesh("skin")
    delta = np.zeros_like(base.positions)
    delta[:10, 1] = 0.01
    odd = AvatarMesh(
        "3d mesh.001", "other", base.positions, base.normals, base.indices,
        {"jawOpen": base.morph_targets["jawOpen"], "custom-shape": delta, "jaw Open": delta,
         "puff": np.full_like(base.positions, 0.002)},
    )  # fmt: skip
    clash = AvatarMesh("Skeleton", "hair", base.positions, base.normals, base.indices)
    avatar = Avatar("odd", [odd, odd, clash], np.array([0.0, 0.1, 0.0], np.float32))
    path = UsdExporter().export(usd_take, avatar, tmp_path / "odd.usda")
    assert validate_usd(path) == []
    stage = Usd.Stage.Open(str(path))
    assert [p.GetName() for p in _mesh_prims(stage)] == [
        "_3d_mesh_001",
        "_3d_mesh_001_1",
        "Skeleton_1",
    ]
    anim = _anim(stage)
    channels = list(anim.GetBlendShapesAttr().Get())
    assert channels == ["jawOpen", "custom-shape", "jaw Open", "puff"]
    w = np.asarray(anim.GetBlendShapeWeightsAttr().Get(5))
    assert w[0] == usd_take.curves.weights[5, ARKIT_INDEX["jawOpen"]]
    assert w[1] == w[2] == w[3] == 0.0
    shapes = {
        c.GetName(): UsdSkel.BlendShape(c)
        for c in stage.GetPrimAtPath("/Avatar/_3d_mesh_001").GetChildren()
    }
    assert sorted(shapes) == ["custom_shape", "jawOpen", "jaw_Open", "puff"]
    assert list(shapes["custom_shape"].GetPointIndicesAttr().Get()) == list(range(10))
    assert not shapes["puff"].GetPointIndicesAttr().HasAuthoredValue()  # moves every point
    np.testing.assert_array_equal(
        np.array(shapes["puff"].GetOffsetsAttr().Get()), 0.002 * np.ones_like(base.positions)
    )
    assert list(anim.GetJointsAttr().Get()) == ["root/head"]


@pytest.mark.parametrize("suffix", FORMATS)
def test_failed_write_leaves_nothing(
    tmp_path: Path, usd_take: Take, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pxr.UsdValidation  # noqa: F401 - installed by the test command (the "usd" extra)
    dest = tmp_path / f"take{suffix}"
    dest.write_text("old")
    seen: list[Path] = []

    def failing_write(stage, tmp: Path, final: Path) -> None:
        seen.append(tmp)
        tmp.write_bytes(b"half a file")
        raise ExportError(f"could not write {final} (disk full)")

    monkeypatch.setattr(usd_export, "_write", failing_write)
    with pytest.raises(ExportError, match="disk full"):
        UsdExporter().export(usd_take, default_avatar(), dest)
    assert seen and seen[0].name.endswith(suffix)  # USD picks the format by extension
    assert sorted(p.name for p in tmp_path.iterdir()) == [dest.name]
    assert dest.read_text() == "old"


@pytest.mark.parametrize("suffix", FORMATS)
def test_usd_write_error_is_an_export_error(tmp_path: Path, suffix: str) -> None:
    import pxr.UsdValidation  # noqa: F401 - installed by the test command (the "usd" extra)
    from pxr import Usd

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ExportError, match="could not write .*choose another folder"):
        usd_export._write(Usd.Stage.CreateInMemory(), blocker / f"x{suffix}", blocker)


def test_missing_folder_is_an_export_error(tmp_path: Path, usd_take: Take) -> None:
    import pxr.UsdValidation  # noqa: F401 - installed by the test command (the "usd" extra)
    with pytest.raises(ExportError, match="does not exist"):
        UsdExporter().export(usd_take, default_avatar(), tmp_path / "nope" / "take.usda")


@contextlib.contextmanager
def _without_pxr(monkeypatch: pytest.MonkeyPatch):
    """Make every ``import pxr...`` fail, as when the ``usd`` extra is not installed."""
    real_import = builtins.__import__

    def fake_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and (name == "pxr" or name.startswith("pxr.")):
            raise ModuleNotFoundError(f"No module named {name.split('.')[0]!r}", name="pxr")
        return real_import(name, globals, locals, fromlist, level)

    with monkeypatch.context() as m:
        m.setattr(builtins, "__import__", fake_import)
        yield


@pytest.mark.parametrize("suffix", FORMATS)
def test_missing_extra_says_how_to_install(
    tmp_path: Path, usd_take: Take, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _without_pxr(monkeypatch), pytest.raises(ExportError) as info:
        UsdExporter().export(usd_take, default_avatar(), tmp_path / f"take{suffix}")
    message = str(info.value)
    assert 'pip install "affect-studio[usd]"' in message
    assert f"take{suffix}" in message
    assert "\n" not in message
    assert list(tmp_path.iterdir()) == []


def test_progress_reaches_the_end(tmp_path: Path, usd_take: Take, recorder) -> None:
    import pxr.UsdValidation  # noqa: F401 - installed by the test command (the "usd" extra)
    UsdExporter().export(usd_take, default_avatar(), tmp_path / "take.usd", progress=recorder)
    fractions = [fraction for fraction, _ in recorder.events]
    assert fractions and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions)


def test_a_skinned_body_turns_only_its_head_share(tmp_path: Path, usd_take: Take) -> None:
    """A body below the head stays still in UsdSkel as in the renderer; 0 validation errors."""
    import pxr.UsdValidation  # noqa: F401 - installed by the test command (the "usd" extra)
    from pxr import Usd

    from renderers.loaders import load_avatar
    from studio.exporters.usd_validate import validate_usd
    from tests.renderers.test_skinned_avatar import skinned_glb

    skinned_glb(tmp_path / "body.glb")
    avatar = load_avatar(tmp_path / "body.glb")
    out = UsdExporter().export(usd_take, avatar, tmp_path / "body.usda")
    assert validate_usd(out) == []
    stage = Usd.Stage.Open(str(out))
    frame = 31
    pose = usd_take.curves.pose_at(frame / usd_take.curves.fps)
    assert abs(float(pose.head_rotation[0])) > 1.0  # the head really turns at this frame
    (got,) = _usd_skinned_points(stage, frame)
    (mesh,) = avatar.meshes
    want = deform_mesh(mesh, pose, avatar.head_pivot)
    np.testing.assert_allclose(got, want, atol=1e-5)
    body = mesh.head_weights == 0.0
    np.testing.assert_allclose(got[body], mesh.positions[body], atol=1e-6)
