"""The icon set loads and renders, and the dark theme really is dark (real widgets, offscreen)."""

from __future__ import annotations

from importlib.resources import files

import pytest
from PySide6.QtGui import QColor, QIcon, QImage, QPalette
from PySide6.QtWidgets import QPushButton

from studio.qt.icons import ICON_NAMES, icon
from studio.qt.theme import ACCENT, BACKGROUND, TEXT, apply_dark_theme, set_app_icon


def _visible_pixels(image: QImage) -> int:
    """How many pixels of ``image`` are not fully transparent."""
    return sum(
        image.pixelColor(x, y).alpha() > 0
        for y in range(image.height())
        for x in range(image.width())
    )


def _mean_lightness(image: QImage) -> float:
    """Average HSL lightness (0-255) of ``image``."""
    total = sum(
        image.pixelColor(x, y).lightness()
        for y in range(image.height())
        for x in range(image.width())
    )
    return total / (image.width() * image.height())


@pytest.fixture
def dark_app(qapp):
    """The application with the dark theme applied; the previous look is restored after."""
    sheet, palette, icon_before = qapp.styleSheet(), QPalette(qapp.palette()), qapp.windowIcon()
    qapp.setStyleSheet("")  # a style sheet wraps the style, hiding its name
    style = qapp.style().name()
    apply_dark_theme(qapp)
    yield qapp
    qapp.setStyleSheet("")
    qapp.setStyle(style)
    qapp.setPalette(palette)
    qapp.setStyleSheet(sheet)
    qapp.setWindowIcon(icon_before)


@pytest.mark.parametrize("name", ICON_NAMES)
def test_every_icon_renders_visible_pixels_and_a_distinct_disabled_variant(qapp, name):
    ico = icon(name)
    assert not ico.isNull()
    normal = ico.pixmap(24, QIcon.Mode.Normal).toImage()
    disabled = ico.pixmap(24, QIcon.Mode.Disabled).toImage()
    assert (normal.width(), normal.height()) == (24, 24)
    assert _visible_pixels(normal) > 20, f"icon {name!r} renders (almost) nothing at 24 px"
    assert _visible_pixels(disabled) > 20
    assert normal != disabled, f"icon {name!r}: the disabled pixmap equals the normal one"


def test_disabled_variant_is_darker_than_normal(qapp):
    normal = icon("play").pixmap(24).toImage()
    disabled = icon("play").pixmap(24, QIcon.Mode.Disabled).toImage()
    centre_normal, centre_disabled = normal.pixelColor(12, 12), disabled.pixelColor(12, 12)
    assert centre_normal.alpha() == centre_disabled.alpha() == 255
    assert centre_disabled.lightness() < centre_normal.lightness() - 50


def test_icon_is_cached(qapp):
    assert icon("save") is icon("save")


def test_icon_files_and_names_match():
    folder = files("assets") / "icons"
    on_disk = {entry.name[: -len(".svg")] for entry in folder.iterdir()
               if entry.name.endswith(".svg")}
    assert on_disk == set(ICON_NAMES)
    assert len(ICON_NAMES) == len(set(ICON_NAMES))


def test_unknown_icon_raises_key_error_listing_the_names(qapp):
    with pytest.raises(KeyError, match="no-such-icon") as info:
        icon("no-such-icon")
    assert "play" in str(info.value) and "reset-view" in str(info.value)


def test_theme_constants_are_hex_colours():
    for value in (ACCENT, BACKGROUND, TEXT):
        assert QColor(value).isValid() and value.startswith("#") and len(value) == 7


def test_dark_theme_palette_is_dark_with_light_text(dark_app):
    palette = dark_app.palette()
    sheet = dark_app.styleSheet()
    assert sheet
    dark_app.setStyleSheet("")  # unwrap the style-sheet style to see the base style
    try:
        assert dark_app.style().name().lower() == "fusion"
    finally:
        dark_app.setStyleSheet(sheet)
    assert palette.color(QPalette.ColorRole.Window).lightness() < 60
    assert palette.color(QPalette.ColorRole.Base).lightness() < 60
    assert palette.color(QPalette.ColorRole.Text).lightness() > 180
    assert palette.color(QPalette.ColorRole.WindowText).lightness() > 180
    assert palette.color(QPalette.ColorRole.Highlight) == QColor(ACCENT)
    disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText)
    assert disabled.lightness() < palette.color(QPalette.ColorRole.ButtonText).lightness()


def test_push_button_renders_dark(dark_app, qtbot):
    button = QPushButton("Render take")
    qtbot.addWidget(button)
    button.resize(160, 32)
    image = button.grab().toImage()
    assert image.width() >= 160
    assert _mean_lightness(image) < 90


def test_set_app_icon(dark_app):
    set_app_icon(dark_app)
    assert not dark_app.windowIcon().isNull()
    assert dark_app.windowIcon().cacheKey() == icon("app").cacheKey()
