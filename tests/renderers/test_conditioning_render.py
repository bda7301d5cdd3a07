"""Depth and normal conditioning images of the default avatar, drawn with real EGL rendering."""

from __future__ import annotations

import numpy as np
import pytest

from renderers.avatar import Avatar
from renderers.conditioning_render import (
    DEPTH_BACKGROUND,
    NORMAL_BACKGROUND,
    ConditioningRenderer,
    DepthRange,
    check_kinds,
)
from renderers.errors import RendererError
from renderers.loaders import default_avatar
from renderers.pose import Pose
from renderers.rigid import head_matrix
from tests.renderers.helpers import changed, project, renderer, shared_context

SIZE = (256, 256)
JAW_OPEN = Pose.neutral().set("jawOpen", 1.0)


@pytest.fixture(scope="module")
def avatar() -> Avatar:
    return default_avatar()


@pytest.fixture(scope="module")
def r(avatar: Avatar):
    rend = ConditioningRenderer(avatar, *SIZE, ctx=shared_context())
    yield rend
    rend.release()


@pytest.fixture(scope="module")
def neutral(r: ConditioningRenderer) -> dict[str, np.ndarray]:
    return r.render_kinds(Pose.neutral(), ("depth", "normal"))


def _skin_front(avatar: Avatar, x: float, y: float, tol: float = 0.006) -> tuple[np.ndarray,
                                                                                  np.ndarray]:
    """The front-most skin vertex near ``(x, y)``: its rest position and normal."""
    skin = next(m for m in avatar.meshes if m.part == "skin")
    near = np.nonzero((np.abs(skin.positions[:, 0] - x) < tol)
                      & (np.abs(skin.positions[:, 1] - y) < tol))[0]
    i = near[np.argmax(skin.positions[near, 2])]
    return skin.positions[i].astype(np.float64), skin.normals[i].astype(np.float64)


def _landmarks(avatar: Avatar) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    skin = next(m for m in avatar.meshes if m.part == "skin")
    central = np.abs(skin.positions[:, 0]) < 0.004
    tip = skin.positions[central][np.argmax(skin.positions[central, 2])]
    eyes = [m for m in avatar.meshes if m.part in ("eye_left", "eye_right")]
    eye_y = float(np.mean([m.positions[:, 1].mean() for m in eyes]))
    return {
        "nose": _skin_front(avatar, 0.0, float(tip[1]), 0.003),
        "forehead": _skin_front(avatar, 0.0, eye_y + 0.045),
        # The avatar's left is +x, which the front camera shows on the right of the image.
        "left_cheek": _skin_front(avatar, 0.05, eye_y - 0.04),
        "right_cheek": _skin_front(avatar, -0.05, eye_y - 0.04),
        "chin": _skin_front(avatar, 0.0, eye_y - 0.1),
    }


def _pixel(r: ConditioningRenderer, point: np.ndarray) -> tuple[int, int]:
    x, y = project(r.camera, r.size, point[None])[0]
    return int(y), int(x)


def _decode_bae(rgb: np.ndarray) -> np.ndarray:
    """Camera-space normal (x right, y up, z toward the camera) from a NormalBAE colour."""
    n = rgb.astype(np.float64) / 255.0 * 2.0 - 1.0
    return np.array([-n[0], n[1], n[2]])


def test_images_are_rgb_uint8_and_the_background_is_documented(r, neutral, avatar):
    with renderer(avatar, *SIZE, transparent=True, ambient_occlusion=False) as colour:
        alpha = colour.render(Pose.neutral())[..., 3]
    covered = alpha > 0
    assert 0.2 < covered.mean() < 0.8
    for kind, background in (("depth", DEPTH_BACKGROUND), ("normal", NORMAL_BACKGROUND)):
        image = neutral[kind]
        assert image.shape == (*SIZE[::-1], 3) and image.dtype == np.uint8
        assert (image[~covered] == background).all(), kind
    # Same camera and geometry as the avatar renderer: the silhouettes match pixel for pixel,
    # and no surface is drawn black in the depth map.
    assert np.array_equal(neutral["depth"][..., 0] > 0, covered)
    assert np.allclose(r.camera.view_matrix(), colour.camera.view_matrix())


def test_depth_is_grey_near_bright_and_follows_the_documented_range(r, neutral, avatar):
    depth = neutral["depth"]
    assert np.array_equal(depth[..., 0], depth[..., 1])
    assert np.array_equal(depth[..., 0], depth[..., 2])
    marks = _landmarks(avatar)
    level = {name: int(depth[_pixel(r, p)][0]) for name, (p, _) in marks.items()}
    assert level["nose"] > level["left_cheek"] + 5 and level["nose"] > level["right_cheek"] + 5
    assert level["nose"] > level["forehead"] and level["nose"] > level["chin"]
    cam = r.camera
    for name, (point, _) in marks.items():
        distance = float((point - cam.eye) @ cam.forward)
        assert abs(level[name] - int(r.depth_range.levels(np.array([distance]))[0])) <= 3, name


def test_depth_range_is_fixed_so_an_identical_pose_gives_identical_pixels(r, neutral, avatar):
    r.render(JAW_OPEN, "depth")
    again = r.render(Pose.neutral(), "depth")
    assert np.array_equal(again, neutral["depth"])
    with ConditioningRenderer(avatar, *SIZE, ctx=shared_context()) as fresh:
        assert fresh.depth_range == r.depth_range
        assert np.array_equal(fresh.render(Pose.neutral()), neutral["depth"])
    rng = DepthRange.for_avatar(avatar, r.camera)
    assert rng == r.depth_range and rng.near < float(np.linalg.norm(r.camera.eye)) < rng.far


def test_open_jaw_changes_the_mouth_and_not_the_forehead(r, neutral, avatar):
    opened = r.render_kinds(JAW_OPEN, ("depth", "normal"))
    marks = _landmarks(avatar)
    fy, fx = _pixel(r, marks["forehead"][0])
    cy, cx = _pixel(r, marks["chin"][0])
    ny, _ = _pixel(r, marks["nose"][0])
    for kind in ("depth", "normal"):
        diff = changed(neutral[kind], opened[kind], threshold=2)
        assert not diff[: (fy + ny) // 2].any(), kind  # nothing above the nose moves
        assert diff[ny:cy + 20, cx - 30:cx + 30].sum() > 200, kind
        assert np.array_equal(neutral[kind][fy - 8:fy + 8, fx - 8:fx + 8],
                              opened[kind][fy - 8:fy + 8, fx - 8:fx + 8])


def test_normals_follow_the_normalbae_convention(r, neutral, avatar):
    normal = neutral["normal"]
    marks = _landmarks(avatar)
    forehead = normal[_pixel(r, marks["forehead"][0])]
    assert np.abs(forehead.astype(int) - NORMAL_BACKGROUND).max() < 40  # about facing us
    assert _decode_bae(forehead)[2] > 0.9
    left = normal[_pixel(r, marks["left_cheek"][0])].astype(int)  # right of the image
    right = normal[_pixel(r, marks["right_cheek"][0])].astype(int)  # left of the image
    # NormalBAE's red axis points to the viewer's left: the cheek on the image's left is red.
    assert right[0] > 128 + 20 and left[0] < 128 - 20
    assert abs((right[0] - 128) + (left[0] - 128)) < 20  # a symmetric face
    # Each landmark's colour decodes to its mesh normal (the front camera's axes are the
    # avatar's: x to the avatar's left, y up, z out of the face).
    for name, (point, vertex_normal) in marks.items():
        decoded = _decode_bae(normal[_pixel(r, point)])
        assert decoded @ vertex_normal > 0.9, name


@pytest.mark.parametrize("rotation", [(25.0, 0.0, 0.0), (0.0, 20.0, 0.0), (-15.0, -10.0, 8.0)])
def test_normals_turn_with_the_head(r, avatar, rotation):
    pose = Pose(head_rotation=np.array(rotation, dtype=np.float32))
    image = r.render(pose, "normal")
    turn = head_matrix(pose, avatar.head_pivot)
    for name in ("forehead", "nose"):
        point, vertex_normal = _landmarks(avatar)[name]
        moved = turn[:3, :3] @ point + turn[:3, 3]
        expected = turn[:3, :3] @ vertex_normal
        assert _decode_bae(image[_pixel(r, moved)]) @ expected > 0.9, name


def test_bad_kinds_and_ranges_are_rejected(r):
    with pytest.raises(RendererError, match="unknown conditioning kind 'rgb'"):
        r.render(Pose.neutral(), "rgb")  # type: ignore[arg-type]
    with pytest.raises(RendererError, match="no conditioning kind"):
        check_kinds(())
    assert check_kinds(["normal", "depth", "normal"]) == ("normal", "depth")
    with pytest.raises(RendererError, match="near < far"):
        DepthRange(2.0, 1.0)


def test_reads_into_a_given_buffer(r, neutral):
    out = np.zeros((*SIZE[::-1], 3), dtype=np.uint8)
    assert r.render(Pose.neutral(), "normal", out=out) is out
    assert np.array_equal(out, neutral["normal"])
