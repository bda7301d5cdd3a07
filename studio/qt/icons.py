"""The studio's icon set: small monochrome SVG line icons shipped in ``assets/icons``.

Every icon is rendered once into pixmaps for the normal and the disabled mode, so a disabled
button shows a dimmed grey glyph on the dark theme instead of Qt's generated (light) one.
A ``QGuiApplication`` must exist before :func:`icon` is called, because it builds pixmaps.
"""

from __future__ import annotations

import functools
import re
from importlib.resources import files

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

__all__ = ["DISABLED_COLOR", "ICON_NAMES", "ICON_SIZES", "icon", "icon_svg"]

ICON_NAMES: tuple[str, ...] = (
    "app",
    "open",
    "save",
    "export",
    "undo",
    "redo",
    "play",
    "pause",
    "stop",
    "step-back",
    "step-forward",
    "go-start",
    "go-end",
    "reset-view",
    "wireframe",
    "neutral-face",
    "audio-file",
    "folder",
    "warning",
    "cancel",
)
"""Names of every icon in ``assets/icons`` (the file stem of each SVG)."""

ICON_SIZES: tuple[int, ...] = (16, 24, 32, 48)
"""Pixel sizes rendered for every icon, in both normal and disabled mode."""

_APP_EXTRA_SIZES: tuple[int, ...] = (64, 128, 256)
"""Extra sizes for the application icon (task switchers and docks ask for large ones)."""

FOREGROUND_COLOR = "#d7dae0"
"""The stroke/fill colour the SVG files are drawn in."""

DISABLED_COLOR = "#6b6f78"
"""What :data:`FOREGROUND_COLOR` becomes in the disabled variant."""

_HEX_COLOR = re.compile(r"#([0-9a-fA-F]{6})\b")


def _luma(rgb: str) -> float:
    """Perceived lightness of a ``rrggbb`` hex string, in ``[0, 255]``."""
    r, g, b = (int(rgb[i : i + 2], 16) for i in (0, 2, 4))
    return 0.299 * r + 0.587 * g + 0.114 * b


def _dim_svg(svg: bytes) -> bytes:
    """Recolour an SVG for the disabled state.

    Every ``#rrggbb`` colour becomes a grey of :data:`DISABLED_COLOR`'s hue, scaled by the
    colour's lightness relative to :data:`FOREGROUND_COLOR`; the foreground itself maps exactly
    to :data:`DISABLED_COLOR` and multi-colour icons keep their light/dark structure.
    """
    reference = _luma(FOREGROUND_COLOR[1:])
    dim = [int(DISABLED_COLOR[i : i + 2], 16) for i in (1, 3, 5)]

    def recolour(match: re.Match[str]) -> str:
        scale = min(_luma(match.group(1)) / reference, 1.0)
        return "#" + "".join(f"{round(c * scale):02x}" for c in dim)

    return _HEX_COLOR.sub(recolour, svg.decode("utf-8")).encode("utf-8")


def _render(renderer: QSvgRenderer, size: int) -> QPixmap:
    """Render ``renderer`` into a transparent ``size`` x ``size`` pixmap."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter, QRectF(0, 0, size, size))
    finally:
        painter.end()
    return QPixmap.fromImage(image)


def icon_svg(name: str) -> bytes:
    """Return the SVG source of one icon.

    Parameters
    ----------
    name : str
        One of :data:`ICON_NAMES`.

    Returns
    -------
    bytes
        The file's contents.

    Raises
    ------
    KeyError
        If ``name`` is not a known icon.
    """
    if name not in ICON_NAMES:
        raise KeyError(f"unknown icon {name!r}; available icons: {', '.join(ICON_NAMES)}")
    return (files("assets") / "icons" / f"{name}.svg").read_bytes()


@functools.lru_cache(maxsize=128)
def icon(name: str) -> QIcon:
    """Return the named icon, with normal and dimmed disabled pixmaps (cached).

    Parameters
    ----------
    name : str
        One of :data:`ICON_NAMES`, e.g. ``"play"`` or ``"reset-view"``.

    Returns
    -------
    QIcon
        An icon holding pixmaps at :data:`ICON_SIZES` for ``QIcon.Mode.Normal`` and
        ``QIcon.Mode.Disabled``. The same object is returned on every call.

    Raises
    ------
    KeyError
        If ``name`` is not a known icon; the message lists the available names.
    RuntimeError
        If the SVG file cannot be parsed.

    Notes
    -----
    Needs a running ``QGuiApplication`` (pixmaps cannot exist without one).
    """
    svg = icon_svg(name)
    sizes = ICON_SIZES + (_APP_EXTRA_SIZES if name == "app" else ())
    result = QIcon()
    for mode, data in ((QIcon.Mode.Normal, svg), (QIcon.Mode.Disabled, _dim_svg(svg))):
        renderer = QSvgRenderer(QByteArray(data))
        if not renderer.isValid():
            raise RuntimeError(f"icon {name!r}: assets/icons/{name}.svg is not a valid SVG")
        for size in sizes:
            result.addPixmap(_render(renderer, size), mode, QIcon.State.Off)
    return result
