"""The studio's dark theme: Fusion style, a dark grey palette and a compact stylesheet.

The palette does most of the work (Fusion draws every widget from it, including the disabled
state); the stylesheet only adds what a palette cannot express: the orange accent on slider
handles, progress chunks, focused text fields and selected tabs, flat tool buttons, and
quieter dock titles, menus, tool tips and status bar.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from studio.qt.icons import icon

__all__ = [
    "ACCENT",
    "BACKGROUND",
    "BASE",
    "DISABLED_TEXT",
    "STYLESHEET",
    "TEXT",
    "apply_dark_theme",
    "dark_palette",
    "set_app_icon",
]

ACCENT = "#ff8a3d"
"""The accent colour: selection, slider handles, progress, focus borders."""
ACCENT_HOVER = "#ffa566"
"""The accent, a little lighter, for hovered accent items and links."""
ACCENT_MUTED = "#a85a28"
"""The accent, darker, for filled slider tracks."""
BACKGROUND = "#1e1f22"
"""Window background."""
BASE = "#17181a"
"""Background of text fields, lists and views."""
ALTERNATE = "#232428"
"""Alternate row colour; also panels that sit on the window (dock titles, menus)."""
BUTTON = "#2b2d31"
"""Button face."""
BORDER = "#3a3d43"
"""Hairline borders and separators."""
TEXT = "#d7dae0"
"""Primary text and icon colour."""
TEXT_MUTED = "#a4a8b1"
"""Secondary text (status bar, unselected tabs)."""
DISABLED_TEXT = "#6b6f78"
"""Text of disabled widgets."""
HIGHLIGHTED_TEXT = "#17181a"
"""Text drawn on the accent colour."""

STYLESHEET = f"""
QToolTip {{
    color: {TEXT}; background-color: {BUTTON}; border: 1px solid {BORDER};
    border-radius: 4px; padding: 4px 6px;
}}
QDockWidget {{ color: {TEXT}; }}
QDockWidget::title {{
    background: {ALTERNATE}; padding: 4px 8px; border-bottom: 1px solid {BUTTON};
    text-align: left;
}}
QToolBar {{
    background: {BACKGROUND}; border: none; border-bottom: 1px solid {BUTTON};
    spacing: 2px; padding: 2px 4px;
}}
QToolBar::separator {{ background: {BORDER}; width: 1px; height: 1px; margin: 4px; }}
QToolButton {{
    background: transparent; border: 1px solid transparent; border-radius: 4px; padding: 3px;
}}
QToolButton:hover {{ background: {BUTTON}; border-color: {BORDER}; }}
QToolButton:pressed {{ background: {BASE}; border-color: {ACCENT}; }}
QToolButton:checked {{ background: rgba(255, 138, 61, 40); border-color: {ACCENT_MUTED}; }}
QToolButton:disabled {{ color: {DISABLED_TEXT}; }}
QPushButton {{
    color: {TEXT}; background: {BUTTON}; border: 1px solid {BORDER}; border-radius: 4px;
    padding: 4px 12px; min-height: 18px;
}}
QPushButton:hover {{ background: #34363b; border-color: #4a4d55; }}
QPushButton:pressed {{ background: {ALTERNATE}; border-color: {ACCENT}; }}
QPushButton:checked {{ background: rgba(255, 138, 61, 40); border-color: {ACCENT_MUTED}; }}
QPushButton:default {{ border-color: {ACCENT_MUTED}; }}
QPushButton:focus {{ border-color: {ACCENT}; }}
QPushButton:disabled {{ color: {DISABLED_TEXT}; background: #242529; border-color: {BUTTON}; }}
QLineEdit, QPlainTextEdit, QTextEdit {{
    color: {TEXT}; background: {BASE}; border: 1px solid {BORDER}; border-radius: 3px;
    padding: 3px; selection-background-color: {ACCENT}; selection-color: {HIGHLIGHTED_TEXT};
}}
QLineEdit:focus, QPlainTextEdit:focus, QTextEdit:focus {{ border-color: {ACCENT}; }}
QLineEdit:disabled, QPlainTextEdit:disabled, QTextEdit:disabled {{
    color: {DISABLED_TEXT}; border-color: {BUTTON};
}}
QSlider::groove:horizontal {{ height: 4px; background: {BORDER}; border-radius: 2px; }}
QSlider::groove:vertical {{ width: 4px; background: {BORDER}; border-radius: 2px; }}
QSlider::sub-page:horizontal {{ background: {ACCENT_MUTED}; border-radius: 2px; }}
QSlider::add-page:vertical {{ background: {ACCENT_MUTED}; border-radius: 2px; }}
QSlider::handle:horizontal {{
    background: {ACCENT}; width: 12px; margin: -5px 0; border-radius: 6px;
}}
QSlider::handle:vertical {{
    background: {ACCENT}; height: 12px; margin: 0 -5px; border-radius: 6px;
}}
QSlider::handle:hover {{ background: {ACCENT_HOVER}; }}
QSlider::sub-page:horizontal:disabled, QSlider::add-page:vertical:disabled {{
    background: {BUTTON};
}}
QSlider::handle:disabled {{ background: {DISABLED_TEXT}; }}
QProgressBar {{
    color: #ffffff; font-weight: 600; background: {BASE}; border: 1px solid {BORDER};
    border-radius: 3px; text-align: center; min-height: 14px;
}}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 2px; }}
QStatusBar {{ color: {TEXT_MUTED}; background: #1a1b1e; border-top: 1px solid {BUTTON}; }}
QStatusBar::item {{ border: none; }}
QTabWidget::pane {{ border: 1px solid {BUTTON}; top: -1px; }}
QTabBar::tab {{
    color: {TEXT_MUTED}; background: {ALTERNATE}; border: 1px solid {BUTTON};
    border-bottom: none; border-top-left-radius: 4px; border-top-right-radius: 4px;
    padding: 5px 12px; margin-right: 1px;
}}
QTabBar::tab:selected {{ color: {TEXT}; background: {BACKGROUND}; border-top: 2px solid {ACCENT}; }}
QTabBar::tab:hover:!selected {{ color: {TEXT}; background: {BUTTON}; }}
QTabBar::tab:disabled {{ color: {DISABLED_TEXT}; }}
QMenuBar {{ background: {BACKGROUND}; }}
QMenuBar::item {{ padding: 4px 8px; background: transparent; }}
QMenuBar::item:selected {{ background: {BUTTON}; border-radius: 3px; }}
QMenu {{ color: {TEXT}; background: {ALTERNATE}; border: 1px solid {BORDER}; padding: 4px 0; }}
QMenu::item {{ padding: 4px 24px 4px 8px; }}
QMenu::item:selected {{ color: {HIGHLIGHTED_TEXT}; background: {ACCENT}; }}
QMenu::item:disabled {{ color: {DISABLED_TEXT}; background: transparent; }}
QMenu::separator {{ height: 1px; background: {BORDER}; margin: 4px 8px; }}
QSplitter::handle {{ background: {BUTTON}; }}
"""
"""The application stylesheet installed by :func:`apply_dark_theme`."""


def dark_palette() -> QPalette:
    """Build the studio's dark palette.

    Returns
    -------
    QPalette
        Dark greys for windows, views and buttons, light text, the orange accent as the
        highlight (with dark highlighted text), and dimmed colours for the disabled group.
    """
    palette = QPalette()
    role = QPalette.ColorRole
    group = QPalette.ColorGroup
    colours = {
        role.Window: BACKGROUND,
        role.WindowText: TEXT,
        role.Base: BASE,
        role.AlternateBase: ALTERNATE,
        role.ToolTipBase: BUTTON,
        role.ToolTipText: TEXT,
        role.PlaceholderText: "#7c808a",
        role.Text: TEXT,
        role.Button: BUTTON,
        role.ButtonText: TEXT,
        role.BrightText: "#ffffff",
        role.Light: "#3f4248",
        role.Midlight: "#34363b",
        role.Mid: "#26272b",
        role.Dark: "#141517",
        role.Shadow: "#0b0b0c",
        role.Highlight: ACCENT,
        role.HighlightedText: HIGHLIGHTED_TEXT,
        role.Link: ACCENT_HOVER,
        role.LinkVisited: "#d98a5a",
        role.Accent: ACCENT,
    }
    for colour_role, value in colours.items():
        palette.setColor(colour_role, QColor(value))
    disabled = {
        role.WindowText: DISABLED_TEXT,
        role.Text: DISABLED_TEXT,
        role.ButtonText: DISABLED_TEXT,
        role.Button: "#242529",
        role.Base: "#1b1c1e",
        role.Highlight: "#4a4d55",
        role.HighlightedText: "#9a9ea6",
        role.Link: DISABLED_TEXT,
        role.PlaceholderText: "#55585f",
    }
    for colour_role, value in disabled.items():
        palette.setColor(group.Disabled, colour_role, QColor(value))
    return palette


def apply_dark_theme(app: QApplication) -> None:
    """Switch ``app`` to the studio's dark theme.

    Sets the Fusion style, :func:`dark_palette` and :data:`STYLESHEET`. Calling it again is
    harmless.

    Parameters
    ----------
    app : QApplication
        The running application.
    """
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
    app.setStyleSheet(STYLESHEET)


def set_app_icon(app: QApplication) -> None:
    """Give ``app`` (and so every top-level window) the studio's application icon.

    Parameters
    ----------
    app : QApplication
        The running application.
    """
    app.setWindowIcon(icon("app"))
