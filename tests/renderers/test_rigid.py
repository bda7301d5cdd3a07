"""Head and eye rotation conventions (Pose docstring) and the morph texture layout."""

from __future__ import annotations

import numpy as np

from renderers.avatar import AvatarMesh
from renderers.deform import MORPH_EPSILON, DrivenTargets, deform_mesh
from renderers.morph_pack import TEXTURE_WIDTH, pack_morph_targets
from renderers.pose import Pose
from renderers.rigid import head_matrix, rotation_matrix
from tests.renderers.helpers import synthetic


def test_positive_yaw_turns_the_face_to_the_avatars_left():
    np.testing.assert_allclose(rotation_matrix(90, 0, 0) @ [0, 0, 1], [1, 0, 0], atol=1e-12)


def test_positive_pitch_tips_the_chin_down():
    forward = rotation_matrix(0, 30, 0) @ [0, 0, 1]
    assert forward[1] < -0.4 and forward[2] > 0


def test_positive_roll_tilts_the_head_toward_the_left_shoulder():
    up = rotation_matrix(0, 0, 30) @ [0, 1, 0]
    assert up[0] > 0.4 and up[1] > 0


def test_head_rotates_about_the_pivot():
    pose = Pose()
    pose.head_rotation[:] = (40, 20, 10)
    pivot = np.array([0.1, 1.5, -0.05])
    m = head_matrix(pose, pivot)
    np.testing.assert_allclose(m[:3, :3] @ pivot + m[:3, 3], pivot, atol=1e-12)


def test_eye_gaze_uses_its_own_side_and_the_head_follows():
    avatar = synthetic()
    left, right = avatar.mesh("eye_left"), avatar.mesh("eye_right")
    pose = Pose()
    pose.eye_rotation[:] = (30, 0, 0, 0)
    looked = deform_mesh(left, pose, avatar.head_pivot)
    front = np.argmax(left.positions[:, 2])
    assert looked[front, 0] > left.positions[front, 0] + 0.004  # looks toward +X
    np.testing.assert_array_equal(deform_mesh(right, pose, avatar.head_pivot), right.positions)
    pose.eye_rotation[:] = (0, 0, 0, 25)
    looked = deform_mesh(right, pose, avatar.head_pivot)
    assert looked[np.argmax(right.positions[:, 2]), 1] < right.positions[front, 1] - 0.003


def test_driven_targets_keep_arkit_names_and_prune_sub_micron_deltas():
    head = synthetic().meshes[0]
    targets = DrivenTargets.from_mesh(head)
    assert set(targets.names) == {"jawOpen", "mouthSmileLeft", "mouthSmileRight", "browInnerUp"}
    for t, name in enumerate(targets.names):
        original = head.morph_targets[name]
        kept = targets.positions[t]
        error = np.linalg.norm(original - kept, axis=1)
        assert error.max() < MORPH_EPSILON
        assert np.array_equal(kept[kept.any(axis=1)], original[kept.any(axis=1)])
        assert targets.normals[t].any()


def test_morph_pack_is_sparse_by_vertex_and_round_trips():
    head = synthetic().meshes[0]
    targets = DrivenTargets.from_mesh(head)
    pack = pack_morph_targets(targets)
    assert pack.texels.shape[1] == TEXTURE_WIDTH
    texels = pack.texels.reshape(-1, 4)
    rebuilt_p = np.zeros_like(targets.positions)
    rebuilt_n = np.zeros_like(targets.normals)
    for v, (start, count) in enumerate(pack.entries):
        for e in range(start, start + count):
            slot = int(texels[2 * e, 3])
            rebuilt_p[slot, v] = texels[2 * e, :3]
            rebuilt_n[slot, v] = texels[2 * e + 1, :3]
    np.testing.assert_array_equal(rebuilt_p, targets.positions)
    np.testing.assert_array_equal(rebuilt_n, targets.normals)
    assert pack.entry_count < 0.5 * len(targets.names) * head.vertex_count  # local targets


def test_mesh_without_targets_packs_to_an_empty_texture():
    mesh = AvatarMesh(
        name="tri", part="other",
        positions=np.zeros((3, 3), np.float32), normals=np.zeros((3, 3), np.float32),
        indices=np.array([[0, 1, 2]], np.uint32), morph_targets={"custom": np.ones((3, 3))},
    )  # fmt: skip
    pack = pack_morph_targets(DrivenTargets.from_mesh(mesh))
    assert pack.entry_count == 0 and pack.texels.shape == (1, TEXTURE_WIDTH, 4)
