"""The user's reference portrait: read safely, cropped and scaled to the frame size.

The file is untrusted: it is read with the avatar loaders' image decoder, which accepts only
PNG and JPEG and checks the declared size before decoding anything (no decompression bombs),
and its size on disk is bounded before it is read. The image is centre-cropped to the frames'
aspect ratio and scaled with a Lanczos filter; a transparent background is put on mid grey.

Examples
--------
>>> import numpy as np
>>> fit_to_frame(np.zeros((300, 200, 4), np.uint8), (64, 64)).shape
(64, 64, 3)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from generators.errors import GeneratorError
from renderers.errors import AvatarError
from renderers.loaders.image_decode import MAX_ENCODED_BYTES, decode_texture

__all__ = ["ReferenceError", "fit_to_frame", "load_reference"]

BACKDROP = 128
"""Grey that transparent parts of the portrait are put on."""


class ReferenceError(GeneratorError):
    """The reference portrait cannot be used (the message says why and what to do)."""


def load_reference(path: Path, size: tuple[int, int]) -> np.ndarray:
    """The portrait at ``path`` as RGB uint8 ``(height, width, 3)`` for frames of ``size``.

    Parameters
    ----------
    path
        A PNG or JPEG file.
    size
        ``(width, height)`` of the frames.

    Raises
    ------
    ReferenceError
        Missing, too large, not a PNG/JPEG, or undecodable (one line: what and what to do).
    """
    path = Path(path)
    if not path.is_file():
        raise ReferenceError(f"reference portrait not found: {path} (check the path)")
    if path.stat().st_size > MAX_ENCODED_BYTES:
        raise ReferenceError(f"reference portrait {path} is larger than "
                             f"{MAX_ENCODED_BYTES // 2**20} MiB; save a smaller PNG or JPEG")
    try:
        texture = decode_texture(path.read_bytes(), name=path.name)
    except AvatarError as exc:
        raise ReferenceError(f"reference portrait {path}: {exc}") from exc
    except OSError as exc:
        raise ReferenceError(f"cannot read the reference portrait {path} "
                             f"({exc.strerror or exc}); check its permissions") from exc
    return fit_to_frame(texture.pixels, size)


def fit_to_frame(rgba: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Centre-crop ``rgba`` (H, W, 4) to the aspect of ``size`` and scale it to ``size``."""
    width, height = size
    h, w = rgba.shape[:2]
    if w * height > h * width:  # wider than the frame: crop the sides
        crop = max(1, round(h * width / height))
        left = (w - crop) // 2
        rgba = rgba[:, left:left + crop]
    else:  # taller: crop top and bottom, keeping more of the top (where the face is)
        crop = max(1, round(w * height / width))
        top = (h - crop) // 3
        rgba = rgba[top:top + crop]
    image = Image.fromarray(np.ascontiguousarray(rgba), "RGBA")
    image = image.resize((width, height), Image.Resampling.LANCZOS)
    pixels = np.asarray(image, dtype=np.float32)
    alpha = pixels[..., 3:4] / 255.0
    rgb = pixels[..., :3] * alpha + BACKDROP * (1.0 - alpha)
    return np.clip(rgb + 0.5, 0, 255).astype(np.uint8)
