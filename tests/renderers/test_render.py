"""Real EGL rendering of the synthetic avatar: framing, regions that poses change, API."""

from __future__ import annotations

import numpy as np
import pytest

from renderers.avatar_renderer import AvatarRenderer
from renderers.errors import RendererError
from renderers.pose import Pose
from tests.renderers import synthetic as syn
from tests.renderers.helpers import (
    box_of,
    changed,
    foreground,
    project,
    renderer,
    shared_context,
    synthetic,
)

SIZE = (320, 240)


@pytest.fixture(scope="module")
def r():
    rend = renderer(synthetic(), *SIZE)
    yield rend
    rend.release()


@pytest.fixture(scope="module")
def neutral(r):
    return r.render(Pose()).copy()


def _px(r: AvatarRenderer, point) -> np.ndarray:
    return project(r.camera, r.size, np.asarray([point]))[0]


def test_image_shape_dtype_and_orientation(r, neutral):
    assert neutral.shape == (240, 320, 3) and neutral.dtype == np.uint8
    mask = foreground(r)
    top_of_head = _px(r, syn.HEAD_CENTRE + [0, syn.HEAD_RADII[1] * 0.9, 0])
    assert top_of_head[1] < 40  # row 0 is the top of the image
    assert mask[int(top_of_head[1]), int(top_of_head[0])]
    assert neutral[0].mean() > neutral[-1][~mask[-1]].mean() + 20  # lighter backdrop on top


def test_neutral_face_is_centred_with_background_in_the_corners(r, neutral):
    mask = foreground(r)
    h, w = mask.shape
    assert mask[h // 2 - 10 : h // 2 + 10, w // 2 - 10 : w // 2 + 10].all()
    for y, x in ((0, 0), (0, w - 1), (h - 1, 0), (h - 1, w - 1)):
        assert not mask[y, x]
    x0, y0, x1, y1 = box_of(mask)
    assert abs((x0 + x1) / 2 - w / 2) < 0.03 * w
    assert y1 - y0 > 0.8 * h
    face = neutral[mask].astype(float)
    assert 60 < face.mean() < 230  # lit, neither black nor blown out
    assert (face[:, 0] > face[:, 2]).mean() > 0.9  # skin tones: more red than blue


def test_jaw_open_changes_the_lower_face_but_not_the_forehead(r, neutral):
    opened = r.render(Pose.from_dict({"jawOpen": 1.0}))
    diff = changed(neutral, opened)
    mouth_row = _px(r, (0, syn.MOUTH_Y, 0.09))[1]
    above_mouth_row = _px(r, (0, syn.MOUTH_Y + 0.01, 0.09))[1]  # 1 cm above the lips
    brow_row = _px(r, (0, 0.14, 0.09))[1]
    assert diff.sum() > 100
    assert not diff[: int(brow_row)].any()
    ys, _ = np.nonzero(diff)
    assert ys.min() > above_mouth_row
    assert np.median(ys) > mouth_row


def test_smile_changes_pixels_near_the_mouth_corners(r, neutral):
    smile = r.render(Pose.from_dict({"mouthSmileLeft": 1.0}))
    diff = changed(neutral, smile, threshold=4)
    corner = _px(r, (0.025, syn.MOUTH_Y, 0.08))
    _, ys = np.nonzero(diff.T)
    xs = np.nonzero(diff)[1]
    assert diff.sum() > 20
    assert np.all(np.abs(xs - corner[0]) < 40) and np.all(np.abs(ys - corner[1]) < 40)
    assert xs.mean() > SIZE[0] / 2  # the avatar's left is the image's right


def test_head_yaw_moves_the_silhouette(r, neutral):
    base = foreground(r)
    pose = Pose()
    pose.head_rotation[:] = (30, 0, 0)
    r.render(pose)
    turned = foreground(r)
    assert (base ^ turned).sum() > 0.03 * base.sum()
    # Turning toward the avatar's left moves the face toward the image's right.
    assert np.nonzero(turned)[1].mean() > np.nonzero(base)[1].mean() + 2


def test_eye_rotation_changes_pixels_only_around_the_eyes(r, neutral):
    pose = Pose()
    pose.eye_rotation[:] = (25, 10, 25, 10)
    diff = changed(neutral, r.render(pose), threshold=8)
    assert diff.sum() > 20
    allowed = np.zeros_like(diff)
    for centre in syn.EYE_CENTRES.values():
        ring = centre + syn.EYE_RADIUS * 1.3 * np.array(
            [[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0]], dtype=float
        )
        px = project(r.camera, r.size, ring)
        x0, y0 = np.floor(px.min(axis=0)).astype(int)
        x1, y1 = np.ceil(px.max(axis=0)).astype(int)
        allowed[y0 : y1 + 1, x0 : x1 + 1] = True
        assert diff[y0 : y1 + 1, x0 : x1 + 1].any()
    assert not (diff & ~allowed).any()


def test_render_equals_render_to_fbo_then_read_pixels(r):
    pose = Pose.from_dict({"jawOpen": 0.3})
    first = r.render(pose)
    r.render_to_fbo(pose)
    out = np.zeros_like(first)
    assert r.read_pixels(out) is out
    np.testing.assert_array_equal(out, first)
    assert r.render(pose, out=out) is out


def test_read_pixels_rejects_a_wrong_buffer(r):
    with pytest.raises(RendererError, match="uint8"):
        r.read_pixels(np.zeros((10, 10, 3), np.uint8))


def test_drawing_into_a_viewport_framebuffer_gives_the_same_upright_image(r, neutral):
    ctx = shared_context()
    color = ctx.renderbuffer(SIZE, 4)
    depth = ctx.depth_renderbuffer(SIZE)
    fbo = ctx.framebuffer([color], depth)
    try:
        r.render_to_fbo(Pose(), framebuffer=fbo)
        gl_rows = np.frombuffer(fbo.read(components=3), np.uint8).reshape(240, 320, 3)
        upright = gl_rows[::-1]
        diff = np.abs(upright.astype(int) - neutral.astype(int))
        assert diff.mean() < 1.0 and np.percentile(diff, 99.5) <= 8
    finally:
        fbo.release()
        color.release()
        depth.release()


def test_per_vertex_and_per_pixel_lighting_look_alike(neutral):
    with renderer(synthetic(), *SIZE, shading="pixel") as pixel_lit:
        other = pixel_lit.render(Pose())
    diff = np.abs(other.astype(int) - neutral.astype(int))
    assert diff.mean() < 1.5 and np.percentile(diff, 99) < 12


def test_msaa_smooths_edges_without_changing_the_picture(neutral):
    with renderer(synthetic(), *SIZE, samples=4) as msaa:
        smooth = msaa.render(Pose())
    diff = np.abs(smooth.astype(int) - neutral.astype(int))
    assert diff.mean() < 2.0 and diff.max() > 0


def test_flat_background_colour():
    with renderer(synthetic(), 64, 48, background=(0.2, 0.4, 0.6)) as rend:
        image = rend.render(Pose())
    np.testing.assert_allclose(image[0, 0], [51, 102, 153], atol=1)
    np.testing.assert_allclose(image[-1, -1], [51, 102, 153], atol=1)


def test_bad_arguments_raise_renderer_errors():
    with pytest.raises(RendererError, match="background"):
        renderer(synthetic(), 64, 48, background=(1, 2))
    with pytest.raises(RendererError, match="MSAA"):
        renderer(synthetic(), 64, 48, samples=64)


def test_camera_setter_and_resize(r):
    with renderer(synthetic(), 160, 120) as rend:
        rend.render(Pose())
        full = foreground(rend).sum()
        rend.camera = rend.camera.zoomed(2.0)
        rend.render(Pose())
        assert foreground(rend).sum() < 0.4 * full
        rend.resize(100, 200)
        assert rend.render(Pose()).shape == (200, 100, 3)


def test_auto_camera_reframes_on_resize():
    with renderer(synthetic(), 320, 180) as rend:
        rend.resize(180, 320)
        rend.render(Pose())
        x0, _, x1, _ = box_of(foreground(rend))
        assert x0 > 0 and x1 < 179


def test_owns_and_releases_its_context_as_a_context_manager():
    with AvatarRenderer(synthetic(), 32, 24) as rend:
        assert rend.render(Pose()).shape == (24, 32, 3)
    rend.release()  # a second release is harmless


def test_no_gl_errors_across_the_renderer_lifecycle():
    ctx = shared_context()
    ctx.error  # noqa: B018 - reading clears any earlier error
    with renderer(synthetic(), 96, 64, samples=4) as rend:
        rend.render(Pose.from_dict({"jawOpen": 0.5}))
        rend.resize(80, 60)
        rend.render(Pose())
        rend.deformed_meshes(Pose())
    with renderer(synthetic(), 96, 64) as rend:
        rend.render(Pose())
        rend.background = (0.5, 0.5, 0.5)
        rend.render(Pose())
    assert ctx.error == "GL_NO_ERROR"


def test_empty_meshes_are_skipped_and_an_avatar_without_triangles_rejected():
    from renderers.avatar import Avatar, AvatarMesh

    empty = AvatarMesh(
        name="empty", part="hair", positions=np.zeros((0, 3), np.float32),
        normals=np.zeros((0, 3), np.float32), indices=np.zeros((0, 3), np.uint32),
    )  # fmt: skip
    base = synthetic()
    avatar = Avatar("with-empty", [*base.meshes, empty], head_pivot=base.head_pivot)
    with renderer(avatar, 64, 48) as rend:
        assert rend.render(Pose()).shape == (48, 64, 3)
        assert rend.deformed_meshes(Pose())[-1][0].shape == (0, 3)
    with pytest.raises(RendererError, match="no triangles"):
        renderer(Avatar("nothing", [empty]), 64, 48)


def test_default_avatar_is_framed_and_its_jaw_moves_only_the_lower_face():
    from renderers.loaders import default_avatar

    with renderer(default_avatar(), 160, 120) as rend:
        neutral = rend.render(Pose())
        mask = foreground(rend)
        opened = rend.render(Pose.from_dict({"jawOpen": 1.0}))
    h, w = mask.shape
    x0, y0, x1, y1 = box_of(mask)
    assert mask[h // 2, w // 2] and y1 - y0 > 0.85 * h and abs((x0 + x1) / 2 - w / 2) < 0.05 * w
    diff = changed(neutral, opened)
    ys, _ = np.nonzero(diff)
    assert diff.sum() > 50 and ys.min() > 0.4 * h
