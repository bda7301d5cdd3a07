"""The studio backdrop: a neutral vertical gradient, cached so each frame only copies it."""

from __future__ import annotations

import moderngl
import numpy as np

from renderers.errors import RendererError
from renderers.render_target import release_framebuffer
from renderers.shader_source import load_shader

Color = tuple[float, float, float]

DEFAULT_BACKGROUND: tuple[Color, Color] = ((0.40, 0.41, 0.43), (0.17, 0.17, 0.18))
"""Default backdrop: (top, bottom) display-sRGB colours of a soft neutral gradient."""


def parse_background(value: Color | tuple[Color, Color]) -> tuple[Color, Color]:
    """Return ``(top, bottom)`` from one ``(r, g, b)`` (flat) or a ``(top, bottom)`` pair.

    Raises
    ------
    RendererError
        When ``value`` is neither shape.
    """
    arr = np.asarray(value, dtype=np.float32)
    if arr.shape == (3,):
        arr = np.stack([arr, arr])
    if arr.shape != (2, 3):
        raise RendererError(
            f"background must be an (r, g, b) colour or a (top, bottom) pair, got {value!r}"
        )
    top, bottom = (tuple(float(c) for c in row) for row in np.clip(arr, 0.0, 1.0))
    return top, bottom  # type: ignore[return-value]


class Backdrop:
    """Draws the gradient, or copies a cached image of it (much cheaper on software GL).

    Parameters
    ----------
    ctx
        The GL context.
    """

    def __init__(self, ctx: moderngl.Context) -> None:
        self.ctx = ctx
        self.colors: tuple[Color, Color] = DEFAULT_BACKGROUND
        self._program = ctx.program(
            vertex_shader=load_shader("background.vert.glsl"),
            fragment_shader=load_shader("background.frag.glsl"),
        )
        self._vao = ctx.vertex_array(self._program, [])
        self._cache: moderngl.Framebuffer | None = None
        self._cache_key: tuple[object, ...] | None = None

    def draw(self, flip: bool) -> None:
        """Draw the gradient into the bound framebuffer at the far plane.

        Call after the meshes with depth test ``<=`` and depth writes off, so the pixels the
        meshes covered are rejected before shading.
        """
        top, bottom = self.colors
        self._program["u_top"].value = top
        self._program["u_bottom"].value = bottom
        self._program["u_flip"].value = 1.0 if flip else 0.0
        self._vao.render(moderngl.TRIANGLES, vertices=3)

    def copy_into(self, fbo: moderngl.Framebuffer, flip: bool) -> None:
        """Copy the cached gradient into single-sampled ``fbo`` (rendering it first if needed).

        Leaves another framebuffer bound: bind ``fbo`` again before drawing.
        """
        key = (fbo.size, flip, self.colors)
        if key != self._cache_key:
            self._render_cache(fbo.size, flip)
            self._cache_key = key
        self.ctx.copy_framebuffer(fbo, self._cache)

    def _render_cache(self, size: tuple[int, int], flip: bool) -> None:
        if self._cache is None or self._cache.size != size:
            self._release_cache()
            self._cache = self.ctx.framebuffer([self.ctx.renderbuffer(size, 4)])
        self._cache.use()
        self.ctx.disable(moderngl.DEPTH_TEST)
        self.draw(flip)

    def _release_cache(self) -> None:
        if self._cache is not None:
            release_framebuffer(self._cache)
            self._cache = None
            self._cache_key = None

    def release(self) -> None:
        """Free the GL objects."""
        self._release_cache()
        self._vao.release()
        self._program.release()
