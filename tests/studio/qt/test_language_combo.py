"""The voice panel's language choice: the combo box, and the window re-analysing on a change."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from studio.qt.main_window import MainWindow
from studio.qt.panels import AudioPanel
from tests.studio.qt.windows import ANALYSIS_TIMEOUT_MS, idle, load


def pick(qtbot, combo: QComboBox, text: str) -> None:  # noqa: ANN001
    """Open the combo's list and click the entry ``text``, as a user would."""
    combo.showPopup()
    view = combo.view()
    qtbot.waitUntil(view.isVisible, timeout=2_000)
    index = view.model().index(combo.findText(text), 0)
    qtbot.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center()
    )


def test_combo_offers_the_three_languages_and_reports_only_user_choices(qtbot) -> None:  # noqa: ANN001
    panel = AudioPanel()
    qtbot.addWidget(panel)
    combo = panel.language
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "Automatic",
        "English",
        "Other language (from the sound)",
    ]
    assert [combo.itemData(i) for i in range(combo.count())] == ["auto", "en", "other"]
    assert combo.currentData() == "auto"
    chosen: list[str] = []
    panel.language_chosen.connect(chosen.append)
    panel.show_language("other")  # the window showing the session: no request
    assert combo.currentData() == "other" and chosen == []
    panel.show()
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Up)  # the user picks the entry above
    assert chosen == ["en"]


def test_choosing_a_language_reanalyses_and_undo_goes_back(
    window: MainWindow,
    qtbot,
    demo_audio: Path,  # noqa: ANN001
) -> None:
    w = window
    load(qtbot, w, demo_audio)
    assert w.session.take.visemes.method == "phone-recognition"
    started: list[str] = []
    w.analyser.started.connect(started.append)
    combo = w.audio_panel.language
    pick(qtbot, combo, "Other language (from the sound)")
    assert w.session.language == "other"
    qtbot.waitUntil(lambda: started == ["Finding syllables in the sound"], timeout=2_000)
    qtbot.waitUntil(
        lambda: (
            idle(w)
            and w.session.take is not None
            and w.session.take.visemes.method == "acoustic"
        ),
        timeout=ANALYSIS_TIMEOUT_MS,
    )
    assert w.session.take.provenance.settings["language"] == "other"
    assert w.undo_stack.undoText() == "Change language"

    w.undo_stack.undo()
    assert w.session.language == "auto"
    assert combo.currentData() == "auto"
    qtbot.waitUntil(
        lambda: w.session.take is not None and w.session.take.visemes.method == "phone-recognition",
        timeout=5_000,
    )
    assert started == ["Finding syllables in the sound"], "the earlier analysis is reused"
