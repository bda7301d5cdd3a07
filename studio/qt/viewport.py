"""The 3-D viewport: the avatar in the current pose, with an orbit/zoom/pan camera.

Two implementations share one interface (:class:`Viewport`):

* :class:`GLViewport`, a ``QOpenGLWidget`` drawing with moderngl on Qt's own GL context
  (a real display or Xvfb);
* :class:`ImageViewport`, which renders offscreen through EGL and shows the image, for
  platforms without window GL such as ``QT_QPA_PLATFORM=offscreen``.

:func:`create_viewport` picks the one the platform supports. Mouse: left drag orbits,
middle or right drag (or Shift + left) pans, the wheel zooms, a double click resets the view.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QPointF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QImage,
    QMouseEvent,
    QOffscreenSurface,
    QOpenGLContext,
    QPainter,
    QSurfaceFormat,
    QWheelEvent,
)
from PySide6.QtOpenGLWidgets import QOpenGLWidget
from PySide6.QtWidgets import QApplication, QWidget

from renderers.avatar import Avatar
from renderers.avatar_renderer import AvatarRenderer
from renderers.camera import Camera
from renderers.pose import Pose

AvatarProvider = Callable[[], Avatar]

ORBIT_DEG_PER_PIXEL = 0.35
ZOOM_PER_NOTCH = 0.9
MAX_IMAGE_SIDE = 2048
VIEWPORT_ENV = "AFFECT_VIEWPORT"
"""Set to ``gl`` or ``image`` to force a viewport kind."""

_NO_WINDOW_GL = {"offscreen", "minimal", "vnc", "linuxfb"}


class _CameraControl:
    """Orbit/zoom/pan state and mouse handling shared by both viewports."""

    def _init_camera_control(self) -> None:
        self._camera: Camera | None = None
        self._drag_from: QPointF | None = None
        self._drag_mode = ""

    def _camera_for(self, avatar: Avatar, aspect: float) -> Camera:
        if self._camera is None:
            self._camera = Camera.framing(avatar, aspect)
        return self._camera

    def _reset_camera(self) -> None:
        self._camera = None

    def _press(self, event: QMouseEvent) -> None:
        self._drag_from = event.position()
        button = event.button()
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if button in (Qt.MouseButton.MiddleButton, Qt.MouseButton.RightButton) or shift:
            self._drag_mode = "pan"
        else:
            self._drag_mode = "orbit"

    def _move(self, event: QMouseEvent, height: int) -> bool:
        if self._drag_from is None or self._camera is None:
            return False
        delta = event.position() - self._drag_from
        self._drag_from = event.position()
        cam = self._camera
        if self._drag_mode == "orbit":
            self._camera = cam.orbited(
                -delta.x() * ORBIT_DEG_PER_PIXEL, delta.y() * ORBIT_DEG_PER_PIXEL
            )
        else:
            metres_per_pixel = (
                2.0 * cam.distance * np.tan(np.radians(cam.fov_deg) / 2) / max(1, height)
            )
            self._camera = cam.panned(-delta.x() * metres_per_pixel, delta.y() * metres_per_pixel)
        return True

    def _release(self) -> None:
        self._drag_from = None

    def _wheel(self, event: QWheelEvent) -> bool:
        if self._camera is None:
            return False
        notches = event.angleDelta().y() / 120.0
        if not notches:
            return False
        self._camera = self._camera.zoomed(ZOOM_PER_NOTCH**notches)
        return True

    def _camera_changed(self) -> None:
        """Redraw after the camera moved (each viewport says how)."""
        raise NotImplementedError

    # Qt event handlers: the mixin comes before the widget class in each viewport's bases.

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self._press(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._move(event, self.height()):  # type: ignore[attr-defined]
            self._camera_changed()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self._release()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self._reset_camera()
        self._camera_changed()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        if self._wheel(event):
            self._camera_changed()


class Viewport(QWidget):
    """Interface of the studio viewport (see :func:`create_viewport`).

    Signals
    -------
    frame_drawn(float)
        Milliseconds the last frame took to draw.
    failed(str)
        Drawing is impossible (no usable OpenGL); emitted once, with the reason.
    """

    frame_drawn = Signal(float)
    failed = Signal(str)

    kind = "abstract"

    def set_pose(self, pose: Pose) -> None:
        """Show ``pose`` (drawn on the next paint)."""
        raise NotImplementedError

    def set_avatar_provider(self, provider: AvatarProvider) -> None:
        """Use another avatar (rebuilds the renderer on the next paint)."""
        raise NotImplementedError

    def reset_view(self) -> None:
        """Frame the head again."""
        raise NotImplementedError

    def set_wireframe(self, on: bool) -> None:
        """Draw surfaces as wireframe."""
        raise NotImplementedError

    def set_show_neutral(self, on: bool) -> None:
        """Show the neutral pose instead of the animation."""
        raise NotImplementedError

    def grab_frame(self) -> QImage:
        """The image currently shown."""
        raise NotImplementedError

    @property
    def camera(self) -> Camera | None:
        """The current camera (``None`` until the first frame)."""
        raise NotImplementedError


class _ViewportState:
    """What both viewports draw: pose, neutral toggle, wireframe toggle, avatar."""

    def _init_state(self, provider: AvatarProvider) -> None:
        self._provider = provider
        self._pose = Pose.neutral()
        self._neutral = False
        self._wireframe = False
        self._renderer: AvatarRenderer | None = None

    def _pose_to_draw(self) -> Pose:
        return Pose.neutral() if self._neutral else self._pose


class ImageViewport(_CameraControl, _ViewportState, Viewport):
    """Offscreen (EGL) rendering shown as an image: works on every Qt platform."""

    kind = "image"

    def __init__(self, provider: AvatarProvider, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._init_camera_control()
        self._init_state(provider)
        self._image: QImage | None = None
        self._pixels: np.ndarray | None = None
        self._dirty = True
        self.error: str | None = None
        self.setMinimumSize(160, 120)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)

    # -- interface -----------------------------------------------------------------------

    def set_pose(self, pose: Pose) -> None:  # noqa: D102
        self._pose = pose
        self._invalidate()

    def set_avatar_provider(self, provider: AvatarProvider) -> None:  # noqa: D102
        self._provider = provider
        self._drop_renderer()
        self._reset_camera()
        self._invalidate()

    def reset_view(self) -> None:  # noqa: D102
        self._reset_camera()
        self._invalidate()

    def set_wireframe(self, on: bool) -> None:  # noqa: D102
        self._wireframe = bool(on)
        self._invalidate()

    def set_show_neutral(self, on: bool) -> None:  # noqa: D102
        self._neutral = bool(on)
        self._invalidate()

    def grab_frame(self) -> QImage:  # noqa: D102
        self._render_if_dirty()
        if self._image is None:
            blank = QImage(max(1, self.width()), max(1, self.height()),
                           QImage.Format.Format_RGB888)
            blank.fill(0)
            return blank
        return self._image.copy()

    @property
    def camera(self) -> Camera | None:  # noqa: D102
        return self._camera

    def render_now(self) -> None:
        """Draw the current pose immediately (normally done on the next paint)."""
        self._render_if_dirty()

    # -- drawing -------------------------------------------------------------------------

    def _invalidate(self) -> None:
        self._dirty = True
        self.update()

    def _drop_renderer(self) -> None:
        if self._renderer is not None:
            self._renderer.release()
            self._renderer = None

    def _image_size(self) -> tuple[int, int]:
        ratio = self.devicePixelRatioF()
        w = int(min(MAX_IMAGE_SIDE, max(16, self.width() * ratio)))
        h = int(min(MAX_IMAGE_SIDE, max(16, self.height() * ratio)))
        return w, h

    def _render_if_dirty(self) -> None:
        if self.error is not None:
            return
        try:
            self._render()
        except Exception as exc:  # noqa: BLE001 - no usable GL: say so once, stop trying
            self.error = " ".join(str(exc).split()) or type(exc).__name__
            self._drop_renderer_quietly()
            self.failed.emit(self.error)

    def _drop_renderer_quietly(self) -> None:
        try:
            self._drop_renderer()
        except Exception:  # noqa: BLE001 - the context is already broken
            self._renderer = None

    def _render(self) -> None:
        size = self._image_size()
        if not self._dirty and self._image is not None and self._image.size() == QSize(*size):
            return
        started = time.perf_counter()
        avatar = self._provider()
        if self._renderer is None:
            self._renderer = AvatarRenderer(avatar, *size)
        else:
            self._renderer.resize(*size)
        renderer = self._renderer
        renderer.camera = self._camera_for(avatar, size[0] / size[1])
        renderer.wireframe = self._wireframe
        renderer.render_to_fbo(self._pose_to_draw())
        pixels = renderer.read_pixels()
        self._pixels = np.ascontiguousarray(pixels[..., :3])
        h, w = self._pixels.shape[:2]
        self._image = QImage(self._pixels.data, w, h, 3 * w, QImage.Format.Format_RGB888)
        self._dirty = False
        self.frame_drawn.emit((time.perf_counter() - started) * 1000.0)

    def paintEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        self._render_if_dirty()
        painter = QPainter(self)
        if self.error is not None:
            painter.fillRect(self.rect(), Qt.GlobalColor.black)
            painter.setPen(Qt.GlobalColor.lightGray)
            painter.drawText(self.rect().adjusted(20, 20, -20, -20),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             f"The viewport cannot draw: {self.error}")
        elif self._image is not None:
            painter.drawImage(self.rect(), self._image)
        painter.end()

    def resizeEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        self._invalidate()

    def _camera_changed(self) -> None:
        self._invalidate()

    def closeEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        self._drop_renderer()


class _GLSurface(_CameraControl, _ViewportState, QOpenGLWidget):
    """The QOpenGLWidget inside :class:`GLViewport`."""

    def __init__(self, owner: GLViewport, provider: AvatarProvider) -> None:
        super().__init__(owner)
        self._owner = owner
        self._init_camera_control()
        self._init_state(provider)
        self._ctx = None
        self._rebuild = False
        self.error: str | None = None

    def initializeGL(self) -> None:  # noqa: N802 - Qt override
        from renderers.context import wrap_current_context

        try:
            self._ctx = wrap_current_context()
        except Exception as exc:  # noqa: BLE001 - reported; the window falls back
            self.error = " ".join(str(exc).split()) or type(exc).__name__
            self._owner.failed.emit(self.error)

    def paintGL(self) -> None:  # noqa: N802 - Qt override
        if self._ctx is None or self.error is not None:
            return
        try:
            self._paint()
        except Exception as exc:  # noqa: BLE001 - reported; the window falls back
            self.error = " ".join(str(exc).split()) or type(exc).__name__
            self._owner.failed.emit(self.error)

    def _paint(self) -> None:
        started = time.perf_counter()
        ratio = self.devicePixelRatioF()
        w, h = max(1, int(self.width() * ratio)), max(1, int(self.height() * ratio))
        avatar = self._provider()
        if self._renderer is None or self._rebuild:
            if self._renderer is not None:
                self._renderer.release()
            self._renderer = AvatarRenderer(avatar, w, h, ctx=self._ctx)
            self._rebuild = False
        fbo = self._ctx.detect_framebuffer(self.defaultFramebufferObject())
        fbo.viewport = (0, 0, w, h)
        self._renderer.camera = self._camera_for(avatar, w / h)
        self._renderer.wireframe = self._wireframe
        self._renderer.render_to_fbo(self._pose_to_draw(), fbo)
        self._owner.frame_drawn.emit((time.perf_counter() - started) * 1000.0)

    def _camera_changed(self) -> None:
        self.update()


class GLViewport(Viewport):
    """A ``QOpenGLWidget`` drawing with moderngl on Qt's GL context."""

    kind = "gl"

    def __init__(self, provider: AvatarProvider, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from PySide6.QtWidgets import QVBoxLayout

        self.surface = _GLSurface(self, provider)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.surface)
        self.setMinimumSize(160, 120)
        self._checked_once = False

    def set_pose(self, pose: Pose) -> None:  # noqa: D102
        self.surface._pose = pose
        self.surface.update()

    def set_avatar_provider(self, provider: AvatarProvider) -> None:  # noqa: D102
        self.surface._provider = provider
        self.surface._rebuild = True
        self.surface._reset_camera()
        self.surface.update()

    def reset_view(self) -> None:  # noqa: D102
        self.surface._reset_camera()
        self.surface.update()

    def set_wireframe(self, on: bool) -> None:  # noqa: D102
        self.surface._wireframe = bool(on)
        self.surface.update()

    def set_show_neutral(self, on: bool) -> None:  # noqa: D102
        self.surface._neutral = bool(on)
        self.surface.update()

    def grab_frame(self) -> QImage:  # noqa: D102
        return self.surface.grabFramebuffer()

    @property
    def camera(self) -> Camera | None:  # noqa: D102
        return self.surface._camera

    @property
    def error(self) -> str | None:
        """Why window OpenGL cannot be used, if it cannot (checked once shown)."""
        surface = self.surface
        unusable = not surface.isValid() or surface.context() is None
        if surface.error is None and surface.isVisible() and self._checked_once and unusable:
            surface.error = "Qt could not create an OpenGL context for the window"
        return self.surface.error

    def check_context(self) -> None:
        """After the first show: report a window without a usable GL context."""
        self._checked_once = True
        message = self.error
        if message is not None:
            self.failed.emit(message)


class UnusableGLViewport(Viewport):
    """Stands in for :class:`GLViewport` when Qt's OpenGL cannot serve it (see
    :func:`window_gl_problem`): draws nothing and reports ``failed`` once the event loop runs,
    so the window falls back to images without ever holding a ``QOpenGLWidget``."""

    kind = "gl"

    def __init__(self, reason: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.error: str | None = reason
        self.setMinimumSize(160, 120)
        QTimer.singleShot(0, self, self._report)

    def _report(self) -> None:
        if self.error is not None:
            self.failed.emit(self.error)

    def set_pose(self, pose: Pose) -> None:  # noqa: D102
        pass

    def set_avatar_provider(self, provider: AvatarProvider) -> None:  # noqa: D102
        pass

    def reset_view(self) -> None:  # noqa: D102
        pass

    def set_wireframe(self, on: bool) -> None:  # noqa: D102
        pass

    def set_show_neutral(self, on: bool) -> None:  # noqa: D102
        pass

    def grab_frame(self) -> QImage:  # noqa: D102
        blank = QImage(max(1, self.width()), max(1, self.height()), QImage.Format.Format_RGB888)
        blank.fill(0)
        return blank

    @property
    def camera(self) -> Camera | None:  # noqa: D102
        return None


def configure_gl_format() -> None:
    """Ask Qt for an OpenGL 3.3 core context with a depth buffer (call before the app)."""
    fmt = QSurfaceFormat()
    fmt.setVersion(3, 3)
    fmt.setProfile(QSurfaceFormat.OpenGLContextProfile.CoreProfile)
    fmt.setDepthBufferSize(24)
    fmt.setSwapInterval(0)
    QSurfaceFormat.setDefaultFormat(fmt)


def window_gl_available() -> bool:
    """Whether this Qt platform can show a ``QOpenGLWidget``."""
    forced = os.environ.get(VIEWPORT_ENV, "").strip().lower()
    if forced in ("gl", "image"):
        return forced == "gl"
    app = QApplication.instance()
    platform = app.platformName() if isinstance(app, QApplication) else ""
    return platform not in _NO_WINDOW_GL


@functools.cache
def window_gl_problem() -> str | None:
    """Why Qt cannot give the window the OpenGL 3.3 context the GL viewport needs, or None.

    Tried once on an offscreen surface, before any ``QOpenGLWidget`` exists: a window holding
    one is composed through OpenGL, and stays black on the screen when that context is
    unusable (no GLX/EGL, or a driver older than 3.3), even after the viewport falls back.
    """
    context = QOpenGLContext()
    context.setFormat(QSurfaceFormat.defaultFormat())
    if not context.create():
        return "Qt could not create an OpenGL context for the window"
    surface = QOffscreenSurface()
    surface.setFormat(context.format())
    surface.create()
    try:
        if not context.makeCurrent(surface):
            return "Qt could not use an OpenGL context for the window"
        version = (context.format().majorVersion(), context.format().minorVersion())
        context.doneCurrent()
    finally:
        surface.destroy()
    if version < (3, 3):
        return f"the window's OpenGL is {version[0]}.{version[1]}, older than the 3.3 it needs"
    return None


def create_viewport(provider: AvatarProvider, parent: QWidget | None = None) -> Viewport:
    """The viewport this platform supports: GL in a window, else offscreen images.

    Where window OpenGL exists but cannot serve the GL viewport, an
    :class:`UnusableGLViewport` reports why and the window falls back to images.
    """
    if not window_gl_available():
        return ImageViewport(provider, parent)
    forced = os.environ.get(VIEWPORT_ENV, "").strip().lower() == "gl"
    problem = None if forced else window_gl_problem()
    if problem is not None:
        return UnusableGLViewport(problem, parent)
    return GLViewport(provider, parent)
