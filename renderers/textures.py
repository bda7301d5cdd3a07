"""Material textures on the GPU: one upload per :class:`~renderers.avatar.Texture` and context.

Colour textures are stored as ``SRGB8_ALPHA8``, so the GPU decodes them to linear values
before filtering and the shaders light linear albedo (as :attr:`Material.base_color
<renderers.avatar.Material.base_color>` is linear); normal maps stay linear ``RGBA8``. Every
texture gets mipmaps; GPUs filter trilinearly and anisotropically, a software rasteriser
(llvmpipe) bilinearly from the nearest mip level (anisotropic filtering would halve its frame
rate, trilinear filtering costs it a tenth).
Images are uploaded top row first, so glTF UVs (``(0, 0)`` at the image's top-left corner)
sample them without flipping.
"""

from __future__ import annotations

import moderngl
import numpy as np
from PIL import Image

from renderers.avatar import Texture

__all__ = ["ANISOTROPY", "SRGB8_ALPHA8", "TextureUploads", "mirror_flags"]

SRGB8_ALPHA8 = 0x8C43
"""GL internal format of sRGB colour textures."""

ANISOTROPY = 8.0
"""Anisotropic filtering level asked for on GPUs (capped by the driver's maximum)."""

_SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swiftshader", "swrast")


def mirror_flags(texture: Texture) -> tuple[float, float]:
    """``(u, v)`` 1.0 where the texture mirrors (the shader folds those coordinates).

    Examples
    --------
    >>> import numpy as np
    >>> mirror_flags(Texture(np.zeros((1, 1, 4), np.uint8), wrap=("mirror", "clamp")))
    (1.0, 0.0)
    """
    return tuple(1.0 if w == "mirror" else 0.0 for w in texture.wrap)  # type: ignore[return-value]


class TextureUploads:
    """The GL textures of one context, uploaded on first use and shared by every mesh.

    Parameters
    ----------
    ctx
        The GL context.
    """

    def __init__(self, ctx: moderngl.Context) -> None:
        self.ctx = ctx
        self._textures: dict[int, tuple[Texture, moderngl.Texture]] = {}
        renderer = str(ctx.info.get("GL_RENDERER", "")).lower()
        software = any(name in renderer for name in _SOFTWARE_RENDERERS)
        available = float(getattr(ctx, "max_anisotropy", 1.0) or 1.0)
        self._anisotropy = 1.0 if software else min(ANISOTROPY, available)
        self._min_filter = moderngl.LINEAR_MIPMAP_NEAREST if software else \
            moderngl.LINEAR_MIPMAP_LINEAR
        self._max_size = int(ctx.info.get("GL_MAX_TEXTURE_SIZE", 8192))

    def get(self, texture: Texture) -> moderngl.Texture:
        """The GL texture of ``texture`` (uploaded the first time)."""
        entry = self._textures.get(id(texture))
        if entry is not None and entry[0] is texture:
            return entry[1]
        gl_texture = self._upload(texture)
        self._textures[id(texture)] = (texture, gl_texture)
        return gl_texture

    def __len__(self) -> int:
        return len(self._textures)

    def _upload(self, texture: Texture) -> moderngl.Texture:
        pixels = self._fit(np.ascontiguousarray(texture.pixels, dtype=np.uint8))
        h, w = pixels.shape[:2]
        fmt = SRGB8_ALPHA8 if texture.srgb else None
        tex = self.ctx.texture((w, h), 4, pixels.tobytes(), internal_format=fmt)
        tex.repeat_x = texture.wrap[0] != "clamp"
        tex.repeat_y = texture.wrap[1] != "clamp"
        tex.build_mipmaps()
        tex.filter = (self._min_filter, moderngl.LINEAR)
        if self._anisotropy > 1.0:
            tex.anisotropy = self._anisotropy
        return tex

    def _fit(self, pixels: np.ndarray) -> np.ndarray:
        """Shrink images larger than the driver allows (keeping the aspect)."""
        h, w = pixels.shape[:2]
        if max(w, h) <= self._max_size:
            return pixels
        scale = self._max_size / max(w, h)
        size = (max(1, int(w * scale)), max(1, int(h * scale)))
        return np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.BOX))

    def release(self) -> None:
        """Free every uploaded texture."""
        for _, tex in self._textures.values():
            tex.release()
        self._textures.clear()
