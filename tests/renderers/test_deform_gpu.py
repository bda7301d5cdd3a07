"""The GPU morph + rigid stage matches the numpy reference in renderers.deform."""

from __future__ import annotations

import numpy as np
import pytest

from renderers.arkit import NUM_SHAPES
from renderers.deform import DrivenTargets, deform_mesh, deform_mesh_with_normals
from renderers.pose import Pose
from tests.renderers.helpers import renderer, synthetic


def _poses() -> dict[str, Pose]:
    rng = np.random.default_rng(7)
    jaw = Pose.from_dict({"jawOpen": 0.7, "mouthSmileLeft": 0.5, "mouthSmileRight": 0.25})
    head = Pose.from_dict({"browInnerUp": 1.0})
    head.head_rotation[:] = (23.0, -11.0, 7.0)
    eyes = Pose()
    eyes.eye_rotation[:] = (18.0, -9.0, -12.0, 6.0)
    everything = Pose(weights=rng.uniform(0, 1, NUM_SHAPES))
    everything.head_rotation[:] = (-31.0, 14.0, -5.0)
    everything.eye_rotation[:] = (-20.0, 10.0, 15.0, -4.0)
    return {"neutral": Pose(), "jaw_smile": jaw, "head": head, "eyes": eyes, "all": everything}


POSES = _poses()
TARGETS = [DrivenTargets.from_mesh(m) for m in synthetic().meshes]


@pytest.fixture(scope="module")
def gpu():
    r = renderer(synthetic(), 64, 48)
    yield r
    r.release()


@pytest.mark.parametrize("name", list(POSES))
def test_gpu_positions_and_normals_match_reference(gpu, name):
    pose = POSES[name]
    avatar = gpu.avatar
    results = gpu.deformed_meshes(pose)
    for mesh, (positions, normals), targets in zip(avatar.meshes, results, TARGETS, strict=True):
        ref_p, ref_n = deform_mesh_with_normals(mesh, pose, avatar.head_pivot, targets)
        np.testing.assert_allclose(positions, ref_p, rtol=0, atol=1e-6, err_msg=mesh.name)
        np.testing.assert_allclose(normals, ref_n, rtol=0, atol=1e-5, err_msg=mesh.name)


def test_deformation_actually_moves_vertices(gpu):
    """Guards the comparison above against both sides doing nothing."""
    head = gpu.avatar.meshes[0]
    rest = gpu.deformed_meshes(Pose())[0][0]
    moved = gpu.deformed_meshes(POSES["jaw_smile"])[0][0]
    assert np.abs(moved - rest).max() > 0.01
    np.testing.assert_allclose(rest, head.positions, atol=1e-7)


def test_non_arkit_targets_stay_at_zero(gpu):
    head = gpu.avatar.meshes[0]
    assert "customBulge" in head.morph_targets
    positions = gpu.deformed_meshes(Pose(weights=np.ones(NUM_SHAPES)))[0][0]
    expected = head.positions.copy()
    for name, delta in head.morph_targets.items():
        if name != "customBulge":
            expected += delta
    np.testing.assert_allclose(positions, expected, atol=4 * 1e-6)  # 4 targets, pruned < 1 um


def test_eyes_rotate_rigidly_about_their_pivot(gpu):
    pose = POSES["eyes"]
    for mesh, (positions, _) in zip(gpu.avatar.meshes, gpu.deformed_meshes(pose), strict=True):
        if mesh.part.startswith("eye"):
            dist_rest = np.linalg.norm(mesh.positions - mesh.pivot, axis=1)
            dist_posed = np.linalg.norm(positions - mesh.pivot, axis=1)
            np.testing.assert_allclose(dist_posed, dist_rest, atol=2e-6)
            assert np.abs(positions - mesh.positions).max() > 1e-3


def test_default_avatar_gpu_deformation_matches_reference():
    """All 52 targets of the real default avatar, with head and eye rotation."""
    from renderers.loaders import default_avatar

    avatar = default_avatar()
    pose = POSES["all"]
    with renderer(avatar, 32, 24, ambient_occlusion=False) as gpu:
        results = gpu.deformed_meshes(pose)
    targets = [DrivenTargets.from_mesh(m) for m in avatar.meshes]
    assert sum(t.positions.shape[0] for t in targets) > 52
    for mesh, (positions, normals), t in zip(avatar.meshes, results, targets, strict=True):
        ref_p, ref_n = deform_mesh_with_normals(mesh, pose, avatar.head_pivot, t)
        np.testing.assert_allclose(positions, ref_p, rtol=0, atol=1e-6, err_msg=mesh.name)
        np.testing.assert_allclose(normals, ref_n, rtol=0, atol=1e-5, err_msg=mesh.name)


def test_reference_positions_helper_matches_full_reference():
    avatar = synthetic()
    pose = POSES["all"]
    for mesh in avatar.meshes:
        np.testing.assert_array_equal(
            deform_mesh(mesh, pose, avatar.head_pivot),
            deform_mesh_with_normals(mesh, pose, avatar.head_pivot)[0],
        )
