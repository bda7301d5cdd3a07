"""Orbit camera matrices and automatic framing."""

from __future__ import annotations

import numpy as np
import pytest

from renderers.camera import Camera
from tests.renderers.helpers import project, synthetic


def test_view_matrix_puts_the_eye_at_the_origin_looking_down_minus_z():
    cam = Camera(target=(0.1, 1.6, 0.0), yaw=30, pitch=10, distance=0.8, pan=(0.02, -0.01))
    view = cam.view_matrix()
    np.testing.assert_allclose(view @ np.r_[cam.eye, 1.0], [0, 0, 0, 1], atol=1e-6)
    ahead = view @ np.r_[cam.look_at, 1.0]
    np.testing.assert_allclose(ahead[:3], [0, 0, -0.8], atol=1e-5)


def test_positive_yaw_moves_the_camera_toward_the_avatars_left():
    assert Camera(yaw=30).eye[0] > 0
    assert Camera(pitch=20).eye[1] > 0


def test_projection_maps_near_and_far_to_the_depth_range():
    cam = Camera(distance=2.0)
    proj = cam.projection_matrix(16 / 9)
    for z, expected in ((-cam.near, -1.0), (-cam.far, 1.0)):
        clip = proj @ [0, 0, z, 1]
        assert clip[2] / clip[3] == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize("aspect", [16 / 9, 4 / 3, 1.0, 9 / 16])
def test_framing_shows_the_whole_head_filling_most_of_the_frame(aspect):
    avatar = synthetic()
    cam = Camera.framing(avatar, aspect)
    size = (int(400 * aspect), 400)
    head = avatar.meshes[0].positions
    px = project(cam, size, head)
    assert px[:, 0].min() >= 0 and px[:, 0].max() <= size[0]
    assert px[:, 1].min() >= 0 and px[:, 1].max() <= size[1]
    extent = (px.max(axis=0) - px.min(axis=0)) / size
    assert extent.max() > 0.7
    centre = (px.max(axis=0) + px.min(axis=0)) / 2 / size
    assert abs(centre[0] - 0.5) < 0.05


def test_edits_return_new_cameras():
    cam = Camera(distance=1.0)
    assert cam.zoomed(2).distance == 2.0 and cam.distance == 1.0
    assert cam.orbited(0, 200).pitch == 89
    np.testing.assert_allclose(cam.panned(0.1, 0).look_at, [0.1, 0, 0], atol=1e-7)


def test_invalid_camera_is_rejected():
    with pytest.raises(ValueError):
        Camera(distance=0)
