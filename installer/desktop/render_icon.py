"""Render the application icon (assets/icons/app.svg) to the 256x256 PNG beside this script.

The PNG is committed, so that installing the desktop entry needs neither Qt nor Python (a
standalone bundle installs it the same way). Run again after changing the SVG:

    QT_QPA_PLATFORM=offscreen .venv/bin/python installer/desktop/render_icon.py
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SVG = HERE.parents[1] / "assets" / "icons" / "app.svg"
PNG = HERE / "affect-studio-256.png"
SIZE = 256


def render(svg: Path = SVG, size: int = SIZE):  # noqa: ANN201 - a QImage (Qt imported lazily)
    """The SVG drawn on a transparent ``size`` x ``size`` ARGB image."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"error: cannot read the icon {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    """Write the PNG; returns the exit status."""
    if not render().save(str(PNG), "PNG"):
        print(f"error: cannot write {PNG}", file=sys.stderr)
        return 1
    print(PNG)
    return 0


if __name__ == "__main__":
    sys.exit(main())
