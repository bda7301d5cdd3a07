"""The reference portrait: read safely, cropped to the frame's aspect and scaled."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from generators.talking_head.reference import ReferenceError, fit_to_frame, load_reference


def test_a_png_is_cropped_to_the_frame_and_scaled(tmp_path):
    pixels = np.zeros((200, 100, 3), np.uint8)
    pixels[:, :, 0] = 255  # red everywhere
    pixels[:20] = (0, 0, 255)  # a blue band at the very top is cut away with the crop
    Image.fromarray(pixels).save(tmp_path / "face.png")
    image = load_reference(tmp_path / "face.png", (64, 64))
    assert image.shape == (64, 64, 3) and image.dtype == np.uint8
    assert image[:, :, 0].min() > 240 and image[:, :, 2].max() < 15


def test_transparent_parts_go_on_grey():
    rgba = np.zeros((32, 32, 4), np.uint8)
    assert np.all(fit_to_frame(rgba, (16, 16)) == 128)


def test_a_wide_image_keeps_its_centre():
    rgba = np.zeros((10, 30, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[:, 10:20, 1] = 255  # green middle third
    image = fit_to_frame(rgba, (8, 8))
    assert image[:, :, 1].min() > 240


@pytest.mark.parametrize(("content", "says"), [
    (None, "reference portrait not found"),
    (b"GIF89a" + b"\0" * 20, "GIF"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 30, "reference portrait"),
])
def test_bad_files_give_one_line(tmp_path, content, says):
    path = tmp_path / "face.png"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ReferenceError, match=says) as info:
        load_reference(path, (64, 64))
    assert "\n" not in str(info.value)
