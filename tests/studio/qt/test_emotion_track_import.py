"""The studio imports emotion-track files and shows how a prompt was read."""

from __future__ import annotations

from pathlib import Path

from studio.qt.main_window import MainWindow


def test_import_track_sets_prompts_and_transition_in_one_undo_step(
    window: MainWindow, qtbot, tmp_path: Path  # noqa: ANN001 - pytest-qt fixture
) -> None:
    track = tmp_path / "scene.track"
    track.write_text("transition 1.2\n0.0 calm\n1.5 suddenly furious\n", encoding="utf-8")
    before = window.session.emotion
    window.import_emotion_track(track)  # read in the background
    qtbot.waitUntil(lambda: len(window.session.emotion.segments) == 2, timeout=10_000)
    prompts = [s.prompt for s in window.session.emotion.segments]
    assert prompts == ["calm", "suddenly furious"]
    assert window.session.emotion.segments[1].speed > 1.0  # "suddenly": a faster change
    assert window.session.controls.emotion_transition == 1.2
    assert window.controls_panel.rows["emotion_transition"].value() == 1.2
    window.undo_stack.undo()
    assert window.session.emotion == before
    assert window.session.controls.emotion_transition == 0.4


def test_bad_track_is_reported_and_changes_nothing(
    window: MainWindow, qtbot, tmp_path: Path  # noqa: ANN001 - pytest-qt fixture
) -> None:
    bad = tmp_path / "bad.track"
    bad.write_text("0.0 calm\nsoon furious\n", encoding="utf-8")
    before = window.session.emotion
    window.import_emotion_track(bad)
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=10_000)
    assert window.session.emotion == before
    assert "line 2" in window.last_error
    assert window.message_box is not None and window.message_box.isVisible()
    window.message_box.close()


def test_prompt_meaning_shows_regions_and_notes(window: MainWindow) -> None:
    window.edit_prompt("trying to hide her fear")
    state = window.session.emotion.segments[0].state
    window.emotion_panel.show_meaning(state)
    text = window.emotion_panel.meaning.text()
    assert "upper face shows: fear" in text
    assert "hidden" in text


def test_a_track_outside_the_control_range_is_refused(window: MainWindow) -> None:
    from generators.take import EmotionTrack

    before = window.session.emotion
    assert not window.use_emotion_track(EmotionTrack([], transition=9.0))
    assert window.session.emotion == before and "emotion_transition" in window.last_error
    window.message_box.close()

