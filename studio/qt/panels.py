"""The side panels of the studio window: voice line, emotion prompt, animation sliders.

Panels only show values and emit what the user asked for; the main window turns requests
into undoable session edits and pushes the resulting values back with the ``show_*``
methods (which never emit).
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from generators.controls import AnimationControls, control_default, control_range
from generators.language import LANGUAGE_NAMES, LANGUAGES
from generators.take import EmotionState
from studio.qt.icons import icon

PROMPT_DEBOUNCE_MS = 350
SLIDER_STEPS_PER_UNIT = 100

CONTROL_LABELS: dict[str, str] = {
    "upper_face": "Upper face",
    "lower_face": "Lower face",
    "lip_articulation": "Lip articulation",
    "blink_rate": "Blink rate",
    "gaze_activity": "Gaze activity",
    "head_motion": "Head motion",
    "lip_anticipation": "Lip anticipation",
    "lip_offset": "Lip offset (s)",
    "follow_voice": "Follow the voice",
    "emotion_transition": "Emotion transition (s)",
}
CONTROL_TIPS: dict[str, str] = {
    "upper_face": "Strength of the emotion on brows, eyes and cheeks",
    "lower_face": "Strength of the emotion on mouth and jaw",
    "lip_articulation": "How wide the lip-sync mouth shapes are (p/b/m still close)",
    "blink_rate": "How often the avatar blinks (0: never)",
    "gaze_activity": "How much the eyes wander (0: steady on the listener)",
    "head_motion": "How much the head sways and nods (0: still)",
    "lip_anticipation": "How early the mouth moves toward each sound (0: as late as possible)",
    "lip_offset": "Moves the whole mouth track in time, in seconds (negative: earlier)",
    "follow_voice": "How much the voice's own emotion (its energy and pitch, and the transcript's "
    "sentiment) colours the prompt's (0: the prompt alone)",
    "emotion_transition": "How long a change of emotion on the timeline takes to settle, "
    "in seconds",
}


LANGUAGE_TIPS: dict[str, str] = {
    "auto": "English phones; without a transcript, lip sync from the sound when the English "
    "recogniser cannot follow the voice",
    "en": "English: phones from the transcript, or recognised from the audio",
    "other": "Any language: the mouth opens on each syllable and rests in pauses, from the "
    "sound alone (a transcript is ignored)",
}


class AudioPanel(QWidget):
    """Voice line, its language and transcript.

    Signals
    -------
    choose_audio()
        The user wants to pick an audio file.
    transcript_applied(str)
        The user applied a transcript (empty: recognise phones from the audio).
    language_chosen(str)
        The user chose a spoken language (a value of
        :data:`~generators.language.LANGUAGES`).
    """

    choose_audio = Signal()
    transcript_applied = Signal(str)
    language_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choose_button = QPushButton(icon("audio-file"), "Choose voice line…")
        self.choose_button.setToolTip("Pick a WAV/FLAC/MP3/OGG file (or drop one on the window)")
        self.choose_button.clicked.connect(self.choose_audio)
        self.file_label = QLabel("No voice line yet: choose one or drop a file here")
        self.file_label.setWordWrap(True)
        self.file_label.setObjectName("hint")
        self.language = QComboBox()
        for value in LANGUAGES:
            self.language.addItem(LANGUAGE_NAMES[value], value)
            self.language.setItemData(
                self.language.count() - 1, LANGUAGE_TIPS[value], Qt.ItemDataRole.ToolTipRole
            )
        self.language.setToolTip("The language spoken in the voice line")
        self.language.activated.connect(self._language_activated)
        language_row = QHBoxLayout()
        language_label = QLabel("Language")
        language_label.setBuddy(self.language)
        language_row.addWidget(language_label)
        language_row.addWidget(self.language, 1)
        self.transcript = QPlainTextEdit()
        self.transcript.setPlaceholderText(
            "Transcript (optional): what is said, for the most accurate lip sync"
        )
        self.transcript.setTabChangesFocus(True)
        self.transcript.textChanged.connect(self._update_apply)
        self.apply_button = QPushButton("Apply transcript")
        self.apply_button.setToolTip("Re-align the lip sync to this text (Ctrl+Return)")
        self.apply_button.clicked.connect(self._apply)
        self._applied = ""
        shortcut = QShortcut(QKeySequence("Ctrl+Return"), self.transcript)
        shortcut.activated.connect(self._apply)

        layout = QVBoxLayout(self)
        layout.addWidget(self.choose_button)
        layout.addWidget(self.file_label)
        layout.addLayout(language_row)
        layout.addWidget(self.transcript, 1)
        layout.addWidget(self.apply_button)
        self._update_apply()

    def show_audio(self, name: str | None, duration: float | None) -> None:
        """Show the chosen file."""
        if name is None:
            self.file_label.setText("No voice line yet: choose one or drop a file here")
        else:
            self.file_label.setText(f"{name}  ·  {duration or 0:.2f} s")

    def show_transcript(self, text: str | None) -> None:
        """Show the transcript in use."""
        self._applied = text or ""
        if self.transcript.toPlainText().strip() != self._applied:
            with QSignalBlocker(self.transcript):
                self.transcript.setPlainText(self._applied)
        self._update_apply()

    def show_language(self, language: str) -> None:
        """Show the spoken language in use."""
        index = self.language.findData(language)
        if index >= 0 and index != self.language.currentIndex():
            with QSignalBlocker(self.language):
                self.language.setCurrentIndex(index)

    def _language_activated(self, index: int) -> None:
        self.language_chosen.emit(str(self.language.itemData(index)))

    def _current(self) -> str:
        return self.transcript.toPlainText().strip()

    def _update_apply(self) -> None:
        self.apply_button.setEnabled(self._current() != self._applied)

    def _apply(self) -> None:
        if self._current() != self._applied:
            self.transcript_applied.emit(self._current())


class EmotionPanel(QWidget):
    """The emotion prompt at the playhead, plus adding and removing prompts on the timeline.

    Signals
    -------
    prompt_edited(str)
        The prompt text for the segment under the playhead (debounced while typing).
    add_requested(str)
        Start a new prompt at the playhead.
    remove_requested()
        Remove the prompt under the playhead.
    """

    prompt_edited = Signal(str)
    add_requested = Signal(str)
    remove_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.prompt = QLineEdit()
        self.prompt.setPlaceholderText('How it is said, e.g. "quietly furious"')
        self.prompt.setClearButtonEnabled(True)
        self.prompt.textEdited.connect(self._typed)
        self.prompt.returnPressed.connect(self._commit)
        self.add_button = QPushButton("Add at playhead")
        self.add_button.setToolTip("Start this prompt at the playhead; the one before ends there")
        self.add_button.clicked.connect(lambda: self.add_requested.emit(self.prompt.text()))
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the prompt under the playhead")
        self.remove_button.clicked.connect(self.remove_requested)
        self.meaning = QLabel("neutral")
        self.meaning.setWordWrap(True)
        self.meaning.setObjectName("hint")
        self.problem = QLabel("")
        self.problem.setWordWrap(True)
        self.problem.setObjectName("error")
        self.problem.setStyleSheet("color: #ff6b6b")
        self.problem.hide()
        self.where = QLabel("")
        self.where.setObjectName("hint")
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(PROMPT_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._commit)
        self._shown = ""

        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.prompt)
        layout.addWidget(self.where)
        layout.addLayout(buttons)
        layout.addWidget(self.meaning)
        layout.addWidget(self.problem)
        layout.addStretch(1)

    def show_prompt(self, prompt: str, where: str, state: EmotionState | None) -> None:
        """Show the prompt under the playhead (does not emit)."""
        self._shown = prompt
        if not self.prompt.hasFocus() or not self._debounce.isActive():
            with QSignalBlocker(self.prompt):
                if self.prompt.text() != prompt:
                    self.prompt.setText(prompt)
        self.where.setText(where)
        self.show_meaning(state)

    def show_meaning(self, state: EmotionState | None) -> None:
        """Describe what the prompt means (top emotions and intensity)."""
        if state is None:
            self.meaning.setText("neutral")
            return
        def top(mixture: dict[str, float]) -> str:
            mix = sorted(mixture.items(), key=lambda kv: -kv[1])[:3]
            return ", ".join(f"{n} {w:.0%}" for n, w in mix if w > 0.01) or "neutral"

        lines = [
            f"{top(state.mixture)}  ·  intensity {state.intensity:.2f}  ·  valence "
            f"{state.valence:+.2f}, arousal {state.arousal:+.2f}"
        ]
        for region in ("upper", "lower"):
            if region in state.regions:
                lines.append(f"{region} face shows: {top(state.regions[region].mixture)}")
        lines += state.notes[:3]
        self.meaning.setText("\n".join(lines))

    def show_problem(self, message: str | None) -> None:
        """Show why the prompt could not be used (``None`` clears it)."""
        self.problem.setText(message or "")
        self.problem.setVisible(bool(message))

    def flush(self) -> None:
        """Apply a pending debounced edit now."""
        if self._debounce.isActive():
            self._debounce.stop()
            self._commit()

    def _typed(self, _text: str) -> None:
        self._debounce.start()

    def _commit(self) -> None:
        self._debounce.stop()
        text = self.prompt.text()
        if text != self._shown:
            self._shown = text
            self.prompt_edited.emit(text)


class _SliderRow(QWidget):
    """One labelled slider with its numeric value and a reset button."""

    def __init__(self, label: str, tip: str, lo: float, hi: float, default: float) -> None:
        super().__init__()
        self.lo, self.hi, self.default = lo, hi, default
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(round(lo * SLIDER_STEPS_PER_UNIT), round(hi * SLIDER_STEPS_PER_UNIT))
        self.slider.setPageStep(10)
        self.slider.setToolTip(tip)
        self.slider.setAccessibleName(label)
        self.slider.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.value_label = QLabel()
        self.value_label.setMinimumWidth(34)
        self.value_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.reset = QToolButton()
        self.reset.setText("↺")
        self.reset.setToolTip(f"Back to {default:g}")
        self.reset.setAutoRaise(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.value_label)
        layout.addWidget(self.reset)
        self.slider.valueChanged.connect(lambda _v: self._show_value())
        self.set_value(default)

    def value(self) -> float:
        return self.slider.value() / SLIDER_STEPS_PER_UNIT

    def set_value(self, value: float) -> None:
        with QSignalBlocker(self.slider):
            self.slider.setValue(round(value * SLIDER_STEPS_PER_UNIT))
        self._show_value()

    def _show_value(self) -> None:
        self.value_label.setText(f"{self.value():.2f}")


class ControlsPanel(QWidget):
    """Intensity and animation sliders.

    Signals
    -------
    intensity_changed(float, int)
        New overall intensity and the id of the gesture (one drag = one id, for undo merging).
    control_changed(str, float, int)
        Control name, new value and gesture id.
    reset_requested()
        Every slider back to its default.
    """

    intensity_changed = Signal(float, int)
    control_changed = Signal(str, float, int)
    reset_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._gesture = 0
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.rows: dict[str, _SliderRow] = {}
        intensity = _SliderRow("Intensity", "Overall strength of the emotion", 0.0, 1.0, 1.0)
        self.rows["intensity"] = intensity
        form.addRow("Intensity", intensity)
        for name in AnimationControls.names():
            label = CONTROL_LABELS.get(name, name)
            lo, hi = control_range(name)
            row = _SliderRow(label, CONTROL_TIPS.get(name, ""), lo, hi, control_default(name))
            self.rows[name] = row
            form.addRow(CONTROL_LABELS.get(name, name), row)
        for name, row in self.rows.items():
            row.slider.sliderPressed.connect(self._new_gesture)
            row.slider.valueChanged.connect(lambda _v, n=name: self._moved(n))
            row.reset.clicked.connect(lambda _c=False, n=name: self._reset_one(n))
        self.reset_all = QPushButton("Reset sliders")
        self.reset_all.clicked.connect(self.reset_requested)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.reset_all, 0, Qt.AlignmentFlag.AlignRight)
        layout.addStretch(1)

    def slider(self, name: str) -> QSlider:
        """The slider for ``"intensity"`` or a control name."""
        return self.rows[name].slider

    def show_values(self, intensity: float, controls: AnimationControls) -> None:
        """Show the session's values (does not emit)."""
        self.rows["intensity"].set_value(intensity)
        for name, value in controls.as_dict().items():
            self.rows[name].set_value(value)

    def _new_gesture(self) -> None:
        self._gesture += 1

    def _moved(self, name: str) -> None:
        row = self.rows[name]
        if not row.slider.isSliderDown():  # keyboard, wheel or click: its own undo step
            self._gesture += 1
        self._moved_value(name, row.value())

    def _reset_one(self, name: str) -> None:
        self._gesture += 1
        row = self.rows[name]
        row.set_value(row.default)
        self._moved_value(name, row.default)

    def _moved_value(self, name: str, value: float) -> None:
        if name == "intensity":
            self.intensity_changed.emit(value, self._gesture)
        else:
            self.control_changed.emit(name, value, self._gesture)
