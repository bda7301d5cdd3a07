"""OpenGL contexts: a headless EGL context for offline rendering and tests."""

from __future__ import annotations

import moderngl

from renderers.errors import GLContextError

REQUIRED_GL = 330
"""Minimum OpenGL version the renderer needs (3.3 core)."""

_PACKAGES = "libegl1 libegl-mesa0 libgl1 libgl1-mesa-dri libgbm1"


def create_headless_context(require: int = REQUIRED_GL) -> moderngl.Context:
    """Create a standalone OpenGL context through EGL (no display needed).

    On machines without a GPU this runs on Mesa's llvmpipe software rasteriser, whose
    thread count follows the ``LP_NUM_THREADS`` environment variable (default: all cores).

    Parameters
    ----------
    require
        Minimum OpenGL version as an integer (330 = 3.3).

    Returns
    -------
    moderngl.Context
        The context. It has no default framebuffer: render into framebuffers you create.

    Raises
    ------
    GLContextError
        When EGL or a GL driver is missing; the message names the packages to install.
    """
    try:
        return moderngl.create_context(standalone=True, backend="egl", require=require)
    except Exception as exc:  # moderngl/glcontext raise plain Exceptions
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise GLContextError(
            f"cannot create a headless OpenGL {require // 100}.{require % 100 // 10} context "
            f"via EGL ({reason}); install Mesa's EGL and GL drivers, e.g. on Debian/Ubuntu: "
            f"sudo apt-get install {_PACKAGES}"
        ) from exc


def wrap_current_context(require: int = REQUIRED_GL) -> moderngl.Context:
    """Return a moderngl context for the OpenGL context current on this thread.

    Use inside a GUI toolkit's GL callback (e.g. a ``QOpenGLWidget.initializeGL``) and pass
    the result to :class:`~renderers.avatar_renderer.AvatarRenderer`, then draw with
    ``render_to_fbo(pose, framebuffer=ctx.detect_framebuffer())``.

    Raises
    ------
    GLContextError
        When no context is current or it is older than ``require``.
    """
    try:
        return moderngl.create_context(require=require)
    except Exception as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise GLContextError(
            f"no usable OpenGL {require // 100}.{require % 100 // 10} context is current "
            f"({reason}); create the renderer inside the widget's GL initialisation, or render "
            "offscreen with create_headless_context()"
        ) from exc
