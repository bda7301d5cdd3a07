"""The Generator panel: Rig or Talking head, and the talking-head settings.

The panel only shows values and emits what the user asked for (like the other panels); the
window's :class:`~studio.qt.talking_head_actions.TalkingHeadActions` runs the generation and
pushes progress and messages back with the ``show_*`` methods. Without the ``diffusion``
extra the Talking head choice and its settings are disabled and the panel says what to install.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio import talking_head_video
from studio.project_schema import (
    TALKING_HEAD_GUIDANCE,
    TALKING_HEAD_SIDE_STEP,
    TALKING_HEAD_STEPS,
    TALKING_HEAD_STRENGTH,
    ProjectTalkingHead,
)
from studio.qt.icons import icon
from studio.talking_head_video import NEEDS_EXTRA, TalkingHeadRequest

__all__ = [
    "DEVICES",
    "GENERATORS",
    "IMAGE_FILTER",
    "MODELS_FILTER",
    "RIG",
    "SIZES",
    "TALKING_HEAD",
    "TalkingHeadPanel",
]

RIG = "rig"
TALKING_HEAD = "talking-head"
GENERATORS: dict[str, str] = {RIG: "Rig", TALKING_HEAD: "Talking head"}
"""Generator names and their labels, in the order of the switch."""

DEVICES: dict[str, str] = {"": "Automatic", "cuda": "CUDA GPU", "mps": "Apple GPU (MPS)",
                           "cpu": "CPU"}
"""Devices offered (``""``: the best available, CUDA, then MPS, then the CPU) and their labels."""

SIZES: tuple[int, ...] = (64, 128, 256, 384, 512, 640, 768, 1024)
"""Square frame sizes offered (multiples of 64; 512 by default; a project's other multiple of
64 is added to the list when it is opened)."""
DEFAULT_SIZE = 512
IMAGE_FILTER = "Portrait (*.png *.jpg *.jpeg);;All files (*)"
MODELS_FILTER = "Talking-head models (*.toml);;All files (*)"
SETTINGS_GROUP = "talking_head"

_TIPS = {
    "generator": "Rig: the avatar's blendshape animation (live). Talking head: portrait video "
    "frames drawn by a diffusion model, guided by the rig's animation",
    "reference": "The portrait every frame starts from (PNG or JPEG); empty starts from noise",
    "config": "The models' file (talking_head.toml); empty: $AFFECT_STUDIO_TALKING_HEAD_CONFIG, "
    "else ~/.config/affect-studio/talking_head.toml, else the Hugging Face cache",
    "steps": "Denoising steps (more: finer, slower)",
    "guidance": "Classifier-free guidance; above 1 follows the prompt harder (twice the work)",
    "strength": "How far frames may move from the portrait (0: keep it, 1: ignore it)",
    "size": "Width and height of the frames in pixels",
    "device": "Where the models run: Automatic takes a CUDA GPU, then an Apple GPU, then the "
    "CPU (a setting of this machine, not of the project)",
    "low_memory": "For GPUs with little memory: the text encoder stays on the CPU, attention "
    "and the image decoder work in slices (a little slower)",
    "generate": "Draw the talking-head frames of the current take in the background",
}


def _keep_tip(widget: QWidget, tip: str) -> None:
    widget.setToolTip(tip)
    widget.setStatusTip(tip)


class TalkingHeadPanel(QWidget):
    """The generator switch with the talking-head settings and the Generate frames action.

    Signals
    -------
    generator_changed(str)
        ``"rig"`` or ``"talking-head"`` was chosen.
    settings_changed()
        A talking-head setting changed.
    generate_requested()
        Generate frames was pressed.
    cancel_requested()
        Cancel was pressed.
    """

    generator_changed = Signal(str)
    settings_changed = Signal()
    generate_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._available = False
        self._busy = False
        self._chosen = RIG  # the choice asked for (shown as the rig without the extra)
        self._choosing = False
        self.generator_combo = QComboBox()
        for name, label in GENERATORS.items():
            self.generator_combo.addItem(label, name)
        _keep_tip(self.generator_combo, _TIPS["generator"])

        self.reference_edit = QLineEdit()
        self.reference_edit.setPlaceholderText("none: start from noise")
        self.reference_browse = QToolButton()
        self.reference_browse.setIcon(icon("folder"))
        self.reference_browse.setToolTip("Choose the reference portrait")
        self.config_edit = QLineEdit()
        self.config_edit.setPlaceholderText("default lookup")
        self.config_browse = QToolButton()
        self.config_browse.setIcon(icon("folder"))
        self.config_browse.setToolTip("Choose talking_head.toml")
        self.steps_spin = QSpinBox()
        self.steps_spin.setRange(*TALKING_HEAD_STEPS)
        self.steps_spin.setValue(TalkingHeadRequest.steps)
        self.guidance_spin = QDoubleSpinBox()
        self.guidance_spin.setRange(*TALKING_HEAD_GUIDANCE)
        self.guidance_spin.setSingleStep(0.5)
        self.guidance_spin.setDecimals(2)
        self.guidance_spin.setValue(TalkingHeadRequest.guidance)
        self.strength_spin = QDoubleSpinBox()
        self.strength_spin.setRange(*TALKING_HEAD_STRENGTH)
        self.strength_spin.setSingleStep(0.05)
        self.strength_spin.setDecimals(2)
        self.strength_spin.setValue(TalkingHeadRequest.strength)
        self.size_combo = QComboBox()
        for side in SIZES:
            self.size_combo.addItem(f"{side} × {side}", side)
        self.size_combo.setCurrentIndex(SIZES.index(DEFAULT_SIZE))
        self.device_combo = QComboBox()
        for name, label in DEVICES.items():
            self.device_combo.addItem(label, name)
        self.low_memory_check = QCheckBox("Save GPU memory")
        for key, widget in (("reference", self.reference_edit), ("config", self.config_edit),
                            ("steps", self.steps_spin), ("guidance", self.guidance_spin),
                            ("strength", self.strength_spin), ("size", self.size_combo),
                            ("device", self.device_combo),
                            ("low_memory", self.low_memory_check)):
            _keep_tip(widget, _TIPS[key])

        self.generate_button = QPushButton("Generate frames")
        _keep_tip(self.generate_button, _TIPS["generate"])
        self.cancel_button = QPushButton(icon("cancel"), "Cancel")
        self.cancel_button.setToolTip("Stop generating; the frames made so far stay")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.hide()
        self.extra_label = QLabel(NEEDS_EXTRA)
        self.extra_label.setWordWrap(True)
        self.extra_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout()
        form.addRow("Generator", self.generator_combo)
        form.addRow("Reference", self._with_button(self.reference_edit, self.reference_browse))
        form.addRow("Models", self._with_button(self.config_edit, self.config_browse))
        form.addRow("Steps", self.steps_spin)
        form.addRow("Guidance", self.guidance_spin)
        form.addRow("Strength", self.strength_spin)
        form.addRow("Size", self.size_combo)
        form.addRow("Device", self.device_combo)
        form.addRow("", self.low_memory_check)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button, 1)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.extra_label)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addStretch(1)

        self.generator_combo.currentIndexChanged.connect(self._generator_picked)
        self.reference_browse.clicked.connect(self._choose_reference)
        self.config_browse.clicked.connect(self._choose_config)
        for edit in (self.reference_edit, self.config_edit):
            edit.editingFinished.connect(self.settings_changed)
        for spin in (self.steps_spin, self.guidance_spin, self.strength_spin):
            spin.valueChanged.connect(lambda _v: self.settings_changed.emit())
        self.size_combo.currentIndexChanged.connect(lambda _i: self.settings_changed.emit())
        self.device_combo.currentIndexChanged.connect(lambda _i: self.settings_changed.emit())
        self.low_memory_check.toggled.connect(lambda _on: self.settings_changed.emit())
        self.generate_button.clicked.connect(self.generate_requested)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.refresh_availability()

    @staticmethod
    def _with_button(edit: QLineEdit, button: QToolButton) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit, 1)
        row.addWidget(button)
        return row

    # -- values ----------------------------------------------------------------------------

    @property
    def available(self) -> bool:
        """Whether the diffusion extra is installed (seen at the last refresh)."""
        return self._available

    def generator(self) -> str:
        """The chosen generator: ``"rig"`` or ``"talking-head"``."""
        return str(self.generator_combo.currentData())

    def set_generator(self, name: str) -> None:
        """Choose ``name`` (``"talking-head"`` shows as the rig without the extra, but stays
        the :meth:`chosen_generator`); emits :attr:`generator_changed` when the choice on show
        changes."""
        wanted = name if name in GENERATORS else RIG
        shown = RIG if wanted == TALKING_HEAD and not self._available else wanted
        self._chosen = wanted
        self._choosing = True
        try:
            self.generator_combo.setCurrentIndex(list(GENERATORS).index(shown))
        finally:
            self._choosing = False

    def chosen_generator(self) -> str:
        """The generator last chosen, even where it cannot be used: a project or the user
        settings may ask for the talking head on a machine without the diffusion extra,
        which shows the rig but keeps the choice for the next save."""
        return self._chosen

    def device(self) -> str:
        """The chosen device: ``"cuda"``, ``"mps"``, ``"cpu"`` or ``""`` (automatic)."""
        return str(self.device_combo.currentData() or "")

    def frame_side(self) -> int:
        """The side of the square frames in pixels."""
        return int(self.size_combo.currentData())

    def request(self, *, fps: float, seed: int = 0) -> TalkingHeadRequest:
        """The talking-head request the settings describe.

        Parameters
        ----------
        fps
            Frames per second of the frames (the session's).
        seed
            Seed of the shared initial noise.
        """
        reference = self.reference_edit.text().strip()
        config = self.config_edit.text().strip()
        side = self.frame_side()
        return TalkingHeadRequest(
            reference=Path(reference).expanduser() if reference else None,
            config=Path(config).expanduser() if config else None,
            device=self.device() or None,
            low_memory=self.low_memory_check.isChecked(),
            steps=self.steps_spin.value(),
            guidance=round(self.guidance_spin.value(), 4),
            strength=round(self.strength_spin.value(), 4),
            seed=int(seed),
            size=(side, side),
            fps=float(fps),
        )

    def values(self) -> dict[str, Any]:
        """The choice and settings as plain values (what :meth:`save` stores)."""
        return {
            "generator": self.generator(),
            "reference": self.reference_edit.text().strip(),
            "config": self.config_edit.text().strip(),
            "steps": self.steps_spin.value(),
            "guidance": self.guidance_spin.value(),
            "strength": self.strength_spin.value(),
            "size": self.frame_side(),
            "device": self.device(),
            "low_memory": self.low_memory_check.isChecked(),
        }

    def apply_values(self, values: dict[str, Any]) -> None:
        """Show ``values`` (as :meth:`values` gives them; unknown or bad entries are
        skipped); signals follow for what changed."""
        with QSignalBlocker(self.reference_edit), QSignalBlocker(self.config_edit):
            if isinstance(values.get("reference"), str):
                self.reference_edit.setText(values["reference"])
            if isinstance(values.get("config"), str):
                self.config_edit.setText(values["config"])
        for key, spin, kind in (("steps", self.steps_spin, int),
                                ("guidance", self.guidance_spin, float),
                                ("strength", self.strength_spin, float)):
            try:
                spin.setValue(kind(values[key]))
            except (KeyError, TypeError, ValueError):
                continue
        try:
            side = int(values["size"])
        except (KeyError, TypeError, ValueError):
            side = 0
        if side in SIZES:
            self._select_size(side)
        device = values.get("device")
        if isinstance(device, str) and device in DEVICES:
            self.device_combo.setCurrentIndex(list(DEVICES).index(device))
        low = values.get("low_memory")
        if isinstance(low, str):  # QSettings' INI files give booleans back as text
            low = {"true": True, "false": False}.get(low.lower())
        if isinstance(low, bool):
            self.low_memory_check.setChecked(low)
        if isinstance(values.get("generator"), str):
            self.set_generator(values["generator"])
        self.settings_changed.emit()

    def project_settings(self) -> ProjectTalkingHead:
        """The choice and settings a project holds (not the models' file, the device nor
        memory saving: settings of the machine); the reference portrait as an absolute path."""
        reference = self.reference_edit.text().strip()
        return ProjectTalkingHead(
            enabled=self.chosen_generator() == TALKING_HEAD,
            reference_path=Path(os.path.abspath(Path(reference).expanduser()))
            if reference else None,
            steps=self.steps_spin.value(),
            guidance=round(self.guidance_spin.value(), 4),
            strength=round(self.strength_spin.value(), 4),
            size=self.frame_side(),
        )

    def show_project_settings(self, settings: ProjectTalkingHead) -> None:
        """Show a project's choice and settings (the models' file is left as it is); signals
        follow for what changed (block the panel's to show them quietly)."""
        reference = "" if settings.reference_path is None else str(settings.reference_path)
        if self.reference_edit.text().strip() != reference:
            self.reference_edit.setText(reference)
        self.steps_spin.setValue(settings.steps)
        self.guidance_spin.setValue(settings.guidance)
        self.strength_spin.setValue(settings.strength)
        self._select_size(settings.size)
        self.set_generator(TALKING_HEAD if settings.enabled else RIG)
        self.settings_changed.emit()

    def _select_size(self, side: int) -> None:
        """Show ``side`` as the frame size, adding it to the list (in order) when it is a
        multiple of 64 not among :data:`SIZES`."""
        if side <= 0 or side % TALKING_HEAD_SIDE_STEP:
            return
        index = self.size_combo.findData(side)
        if index < 0:
            sides = [int(self.size_combo.itemData(i)) for i in range(self.size_combo.count())]
            index = sum(1 for s in sides if s < side)
            self.size_combo.insertItem(index, f"{side} × {side}", side)
        self.size_combo.setCurrentIndex(index)

    def save(self, store: QSettings) -> None:
        """Write the choice and settings under the ``talking_head`` group of ``store``."""
        store.beginGroup(SETTINGS_GROUP)
        for key, value in self.values().items():
            if key == "generator" and not self._available:
                continue  # the rig is forced without the extra: keep the user's own choice
            store.setValue(key, value)
        store.endGroup()

    def restore(self, store: QSettings) -> None:
        """Show the choice and settings saved by :meth:`save` (defaults where none)."""
        store.beginGroup(SETTINGS_GROUP)
        values = {key: store.value(key) for key in store.childKeys()}
        store.endGroup()
        if values:
            self.apply_values(values)

    # -- what the window pushes back --------------------------------------------------------

    def refresh_availability(self) -> bool:
        """Enable the talking-head choice when the diffusion extra is installed; otherwise
        disable it (and its settings) with the install command in the tooltips."""
        self._available = talking_head_video.diffusion_available()
        item = self.generator_combo.model().item(list(GENERATORS).index(TALKING_HEAD))  # type: ignore[attr-defined]
        item.setEnabled(self._available)
        item.setToolTip("" if self._available else NEEDS_EXTRA)
        self.extra_label.setVisible(not self._available)
        if not self._available:
            self.set_generator(self._chosen)  # shows the rig, keeps the choice
            self.generator_combo.setToolTip(f"{_TIPS['generator']}. {NEEDS_EXTRA}")
        else:
            self.generator_combo.setToolTip(_TIPS["generator"])
        self._update_enabled()
        return self._available

    def show_busy(self, busy: bool) -> None:
        """Show whether frames are being generated (Cancel on, Generate off)."""
        self._busy = bool(busy)
        self._update_enabled()
        if busy:
            self.progress.setValue(0)

    def show_progress(self, fraction: float, message: str) -> None:
        """Show the generation's progress."""
        self.progress.setValue(round(max(0.0, min(1.0, fraction)) * 1000))
        self.progress.setFormat(f"{message} %p%" if message else "%p%")

    def show_message(self, text: str) -> None:
        """Show one line under the progress bar (an error, a result)."""
        self.message.setText(text.splitlines()[0] if text else "")
        self.message.setVisible(bool(text))

    def _update_enabled(self) -> None:
        busy = self._busy
        on = self._available and self.generator() == TALKING_HEAD
        for widget in (self.reference_edit, self.reference_browse, self.config_edit,
                       self.config_browse, self.steps_spin, self.guidance_spin,
                       self.strength_spin, self.size_combo, self.device_combo,
                       self.low_memory_check):
            widget.setEnabled(self._available and not busy)
        self.generate_button.setEnabled(on and not busy)
        self.cancel_button.setEnabled(busy)
        self.progress.setVisible(self._available and on)
        if not self._available:
            for widget in (self.generate_button, self.reference_edit, self.config_edit):
                widget.setToolTip(NEEDS_EXTRA)
        else:
            self.generate_button.setToolTip(
                _TIPS["generate"] if on else "Choose the Talking head generator first")
            self.reference_edit.setToolTip(_TIPS["reference"])
            self.config_edit.setToolTip(_TIPS["config"])

    # -- user actions ----------------------------------------------------------------------

    def _generator_picked(self, _index: int) -> None:
        if not self._choosing:  # picked in the list (only what can be used is enabled)
            self._chosen = self.generator()
        self._update_enabled()
        self.generator_changed.emit(self.generator())

    def _choose_reference(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose the reference portrait",
                                              self._start(self.reference_edit), IMAGE_FILTER)
        if path:
            self.reference_edit.setText(path)
            self.settings_changed.emit()

    def _choose_config(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose the talking-head models file",
                                              self._start(self.config_edit), MODELS_FILTER)
        if path:
            self.config_edit.setText(path)
            self.settings_changed.emit()

    @staticmethod
    def _start(edit: QLineEdit) -> str:
        text = edit.text().strip()
        return str(Path(text).expanduser().parent) if text else str(Path.home())
