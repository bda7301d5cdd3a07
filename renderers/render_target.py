"""An offscreen colour + depth framebuffer (optionally multisampled) with fast readback."""

from __future__ import annotations

import moderngl
import numpy as np

from renderers.errors import RendererError


def release_framebuffer(fbo: moderngl.Framebuffer) -> None:
    """Release ``fbo`` and its attachments, unbinding it first when it is bound.

    moderngl remembers the bound framebuffer and rebinds it when it creates the next one;
    a released one would then raise ``GL_INVALID_OPERATION``.
    """
    ctx = fbo.ctx
    if ctx.fbo is fbo:
        ctx.detect_framebuffer(0).use()
    attachments = [*fbo.color_attachments, fbo.depth_attachment]
    fbo.release()
    for attachment in attachments:
        if attachment is not None:
            attachment.release()


class RenderTarget:
    """Offscreen RGBA8 colour + 24-bit depth renderbuffers of a fixed size.

    Parameters
    ----------
    ctx
        The GL context.
    width, height
        Size in pixels.
    samples
        MSAA samples (0 = none). With MSAA, :meth:`read_into` first resolves into a
        single-sample framebuffer.
    """

    def __init__(self, ctx: moderngl.Context, width: int, height: int, samples: int = 0) -> None:
        if width < 1 or height < 1:
            raise RendererError(f"render size must be positive, got {width}x{height}")
        if samples > ctx.max_samples:
            raise RendererError(
                f"{samples}x MSAA requested but this GL driver supports at most "
                f"{ctx.max_samples}x; pass samples={ctx.max_samples} or 0"
            )
        self.ctx = ctx
        self.size = (int(width), int(height))
        self.samples = int(samples)
        self.framebuffer = self._framebuffer(self.samples, depth=True)
        self._resolve = self._framebuffer(0, depth=False) if self.samples else None

    def _framebuffer(self, samples: int, *, depth: bool) -> moderngl.Framebuffer:
        color = self.ctx.renderbuffer(self.size, 4, samples=samples)
        depth_rb = self.ctx.depth_renderbuffer(self.size, samples=samples) if depth else None
        return self.ctx.framebuffer(color_attachments=[color], depth_attachment=depth_rb)

    def read_into(self, out: np.ndarray) -> np.ndarray:
        """Copy the colour buffer into ``out``, a C-contiguous ``(H, W, 3)`` uint8 array.

        An ``(H, W, 4)`` array receives RGBA. Rows come in GL order (bottom row first); the
        renderer draws upside down so that row 0 is the top of the image.
        """
        w, h = self.size
        if (
            out.shape not in ((h, w, 3), (h, w, 4))
            or out.dtype != np.uint8
            or not out.flags.c_contiguous
        ):
            raise RendererError(
                f"readback buffer must be a C-contiguous ({h}, {w}, 3) or ({h}, {w}, 4) uint8 "
                f"array, got {out.shape} {out.dtype}"
            )
        source = self.framebuffer
        if self._resolve is not None:
            self.ctx.copy_framebuffer(self._resolve, self.framebuffer)
            source = self._resolve
        source.read_into(out, components=out.shape[2], alignment=1)
        return out

    def release(self) -> None:
        """Free the GL objects."""
        for fbo in (self._resolve, self.framebuffer):
            if fbo is not None:
                release_framebuffer(fbo)
        self._resolve = None
