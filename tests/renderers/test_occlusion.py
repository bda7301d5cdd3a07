"""Baked ambient occlusion: open surfaces see the sky, hidden ones do not."""

from __future__ import annotations

import numpy as np

from renderers.occlusion import bake_occlusion, sphere_directions
from tests.renderers.helpers import shared_context, synthetic


def test_sphere_directions_are_unit_and_balanced():
    dirs = sphere_directions(32)
    np.testing.assert_allclose(np.linalg.norm(dirs, axis=1), 1.0, atol=1e-6)
    assert np.linalg.norm(dirs.mean(axis=0)) < 0.05


def test_open_surfaces_are_visible_and_hidden_ones_occluded():
    ctx = shared_context()
    avatar = synthetic()
    occlusion = bake_occlusion(ctx, avatar)
    assert ctx.error == "GL_NO_ERROR"
    assert [len(o) for o in occlusion] == [m.vertex_count for m in avatar.meshes]
    for values in occlusion:
        assert values.dtype == np.float32 and values.min() >= 0.0 and values.max() <= 1.0
    head = avatar.meshes[0]
    top = np.argmax(head.positions[:, 1])
    assert occlusion[0][top] > 0.95
    eye = avatar.mesh("eye_left")
    back = np.argmin(eye.positions[:, 2])  # buried inside the head
    front = np.argmax(eye.positions[:, 2])
    eye_occlusion = occlusion[avatar.meshes.index(eye)]
    assert eye_occlusion[back] < 0.1 < 0.5 < eye_occlusion[front]
    neck = avatar.meshes[1]
    under_chin = np.argmax(neck.positions[:, 1] + neck.positions[:, 2])
    assert occlusion[1][under_chin] < 0.8
