"""The studio window: viewport, timeline, panels, transport, projects, undo and export.

The window drives the same :class:`~studio.session.Session` as the command line. Every user
edit goes through the undo stack as a :class:`~studio.qt.commands.ValueCommand`; the session
tells the window what changed, and the window then re-runs only what is needed: the audio
analysis (in a helper process, with progress and cancel) when the voice line or transcript
changed, otherwise the cheap mapping stage on the UI thread.
"""

from __future__ import annotations

import gc
import os
import time
import uuid
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QKeySequence,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QFrame,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from generators.audio import AudioClip
from generators.base import load_builtin_generators
from generators.controls import AnimationControls
from generators.emotion.open_vocabulary import is_ready as vocabulary_ready
from generators.emotion.open_vocabulary import warm_up_in_background
from generators.emotion.parse import parse_prompt
from generators.emotion.text_encoder import encoder_available
from generators.errors import GeneratorError
from generators.take import EmotionTrack, VisemeSegment
from generators.viseme_edit import (
    STEP_S,
    delete_segment,
    insert_viseme,
    move_boundary,
    nearest_boundary,
    set_viseme,
)
from generators.viseme_edit import segment_index_at as viseme_index_at
from studio.analysis_process import AnalysisProcess
from studio.emotion_edit import remove_at, segment_index_at, split_at, with_prompt_at
from studio.emotion_track_file import load_emotion_track
from studio.errors import ProjectError, StudioError
from studio.media_copy import CopiedMedia, copy_media_into, copy_question, find_outside
from studio.project import (
    PROJECT_SUFFIX,
    PreparedProject,
    Project,
    load_project,
    prepare_project,
    save_project,
    session_to_project,
)
from studio.project_schema import ProjectTalkingHead
from studio.qt.avatar_actions import AvatarActions
from studio.qt.batch_actions import BatchActions
from studio.qt.commands import ValueCommand
from studio.qt.export_dialog import ExportDialog, ExportPlan, export_job
from studio.qt.icons import icon
from studio.qt.panels import AudioPanel, ControlsPanel, EmotionPanel
from studio.qt.playback import PlaybackController
from studio.qt.talking_head_actions import TalkingHeadActions
from studio.qt.timeline import TimelineWidget
from studio.qt.viewport import ImageViewport, Viewport, create_viewport
from studio.qt.workers import JobRunner
from studio.recovery import Recovery, discard_recovery, find_recoveries, write_recovery
from studio.session import Session

APP_TITLE = "Affect Studio"
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".aiff",
                  ".aif")
AUDIO_FILTER = "Audio (" + " ".join(f"*{s}" for s in AUDIO_SUFFIXES) + ");;All files (*)"
PROJECT_FILTER = f"Affect Studio project (*{PROJECT_SUFFIX});;All files (*)"
TRACK_FILTER = "Emotion track (*.txt *.track *.json);;All files (*)"
MAX_RECENT = 8
AUTOSAVE_ENV = "AFFECT_AUTOSAVE_SECONDS"
DEFAULT_AUTOSAVE_S = 30.0
LAYOUT_VERSION = 1
VIEWPORT_CHECK_MS = 1500
_ROLES = {"reference": "reference portrait"}
"""How the missing-files message names a project's file roles (where not by the role)."""
_TALKING_HEAD_FIELDS = {"reference_path": "reference portrait"}
"""How undo labels name the talking-head settings (where not by the field)."""
SYNC_REMAP_MAX_S = 120.0
TEXT_MODEL_DELAY_MS = 2000  # load the sentence encoder in the background after start-up
"""Clips up to this long re-map on the UI thread (at most ~40 ms); longer ones on a worker."""


def _format_time(t: float) -> str:
    minutes, seconds = divmod(max(0.0, t), 60.0)
    return f"{int(minutes):02d}:{seconds:06.3f}"


def autosave_seconds() -> float:
    """The autosave interval: ``AFFECT_AUTOSAVE_SECONDS`` (0.1..3600) or 30 s."""
    text = os.environ.get(AUTOSAVE_ENV, "")
    try:
        value = float(text) if text.strip() else DEFAULT_AUTOSAVE_S
    except ValueError:
        return DEFAULT_AUTOSAVE_S
    return min(3600.0, max(0.1, value)) if value == value else DEFAULT_AUTOSAVE_S


def settings() -> QSettings:
    """The studio's user settings (window layout, recent files)."""
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, "AffectStudio", "studio"
    )


def recovery_folder() -> Path:
    """Where autosaved recovery files go."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    return Path(base or Path.home() / ".local" / "share") / "affect-studio" / "recovery"



def _scrolling(widget: QWidget) -> QScrollArea:
    """``widget`` in a frameless vertical scroll area, so a long panel never forces the
    window taller than the screen."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return area


class MainWindow(QMainWindow):
    """The Affect Studio main window.

    Parameters
    ----------
    session
        The session to drive (a new empty one by default).
    check_recovery
        Offer autosaved work left by a crash when the window opens.
    """

    def __init__(self, session: Session | None = None, *, check_recovery: bool = True) -> None:
        super().__init__()
        self.session = session or Session()
        self.project_path: Path | None = None
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(500)
        self.loader = JobRunner(self)
        self.analyser = JobRunner(self)
        self.mapper = JobRunner(self)
        self.sync_remap_max_s = SYNC_REMAP_MAX_S
        self.analysis_process = AnalysisProcess()
        self.playback = PlaybackController(self)
        self.instance_id = uuid.uuid4().hex
        self.message_box: QMessageBox | None = None
        self.last_error: str | None = None
        self.last_frame_ms = 0.0
        self._refresh_pending = False
        self._analysis_key: tuple[str, str | None, str] | None = None
        self._stopped_key: tuple[str, str | None, str] | None = None
        self._dirty_without_undo = False
        self._shown_segment: int | None = -1
        self._closing = False
        self.export_dialog: ExportDialog | None = None
        self._load_handlers: tuple[Any, str] = (lambda _r: None, "Failed")

        self.setWindowIcon(icon("app"))
        self.setAcceptDrops(True)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
        )
        self._build_widgets()
        self._build_actions()
        self._build_menus_and_toolbar()
        self._build_status_bar()
        self._default_state = self.saveState(LAYOUT_VERSION)
        self._restore_layout()
        self._connect()

        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(round(autosave_seconds() * 1000))
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()

        self.session.subscribe(self._on_session_changed)
        self._update_title()
        self._show_session_values()
        self._refresh_timeline()
        QTimer.singleShot(0, self.analysis_process.start)
        QTimer.singleShot(TEXT_MODEL_DELAY_MS, warm_up_in_background)
        if check_recovery:
            QTimer.singleShot(0, self.offer_recovery)
        # The window's long-lived objects need no cyclic collection: keep them out of it, so
        # a full collection (tens of ms) does not land on a slider move.
        gc.collect()
        gc.freeze()

    # ------------------------------------------------------------------ construction

    def _build_widgets(self) -> None:
        self.viewport: Viewport = create_viewport(lambda: self.session.avatar)
        self.viewport.frame_drawn.connect(self._frame_drawn)
        self.viewport.failed.connect(self._viewport_failed)
        # The rig viewport and, beside it, the talking-head frames (shown with that generator).
        self.talking_head = TalkingHeadActions(self)
        self._talking_head_shown = self.talking_head.project_settings()  # (for undo)
        self.view_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.view_splitter.setChildrenCollapsible(False)
        self.view_splitter.addWidget(self.viewport)
        self.view_splitter.addWidget(self.talking_head.view)
        self.view_splitter.setStretchFactor(0, 1)
        self.view_splitter.setStretchFactor(1, 1)
        self.setCentralWidget(self.view_splitter)

        self.audio_panel = AudioPanel()
        self.emotion_panel = EmotionPanel()
        self.controls_panel = ControlsPanel()
        self.timeline = TimelineWidget()

        self.time_label = QLabel("00:00.000 / 00:00.000")
        self.time_label.setMinimumWidth(200)
        timeline_box = QWidget()
        tl = QVBoxLayout(timeline_box)
        tl.setContentsMargins(4, 2, 4, 2)
        tl.addWidget(self.timeline, 1)
        timeline_box.setMinimumHeight(170)

        self.docks: dict[str, QDockWidget] = {}
        for key, title, widget, area in (
            ("voice", "Voice line", self.audio_panel, Qt.DockWidgetArea.LeftDockWidgetArea),
            ("generator", "Generator", _scrolling(self.talking_head.panel),
             Qt.DockWidgetArea.LeftDockWidgetArea),
            ("emotion", "Emotion", self.emotion_panel, Qt.DockWidgetArea.RightDockWidgetArea),
            ("animation", "Animation", _scrolling(self.controls_panel),
             Qt.DockWidgetArea.RightDockWidgetArea),
            ("timeline", "Timeline", timeline_box, Qt.DockWidgetArea.BottomDockWidgetArea),
        ):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock-{key}")
            dock.setWidget(widget)
            dock.setFeatures(
                QDockWidget.DockWidgetFeature.DockWidgetMovable
                | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                | QDockWidget.DockWidgetFeature.DockWidgetClosable
            )
            self.addDockWidget(area, dock)
            self.docks[key] = dock
        self.resizeDocks([self.docks["timeline"]], [220], Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["voice"], self.docks["emotion"]], [280, 320],
                         Qt.Orientation.Horizontal)

    def _action(self, text: str, slot: Any, shortcut: Any = None, icon_name: str | None = None,
                tip: str | None = None, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icon(icon_name))
        if shortcut is not None:
            if isinstance(shortcut, (list, tuple)):
                action.setShortcuts([QKeySequence(s) for s in shortcut])
            else:
                action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.setCheckable(checkable)
        if checkable:
            action.toggled.connect(slot)
        else:
            action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        keys = QKeySequence.StandardKey
        a = self._action
        self.act_new = a("&New project", self.new_project, keys.New)
        self.act_open = a("&Open project…", self.choose_project, keys.Open, "open",
                          "Open an .affect.json project")
        self.act_save = a("&Save project", self.save, keys.Save, "save", "Save the project")
        self.act_save_as = a("Save project &as…", self.save_as, keys.SaveAs)
        self.act_audio = a("Choose &voice line…", self.choose_audio, "Ctrl+L", "audio-file",
                           "Pick the audio to animate")
        self.act_export = a("&Export…", self.open_export_dialog, "Ctrl+E", "export",
                            "Export video, curves and mouth cues")
        self.act_import_track = a("Import emotion &track…", self.choose_emotion_track, None, None,
                                  "Place prompts along the timeline from a track file "
                                  "('SECONDS PROMPT' lines, or JSON)")
        self.act_quit = a("&Quit", self.close, keys.Quit)
        self.act_undo = self.undo_stack.createUndoAction(self, "&Undo")
        self.act_undo.setShortcut(QKeySequence(keys.Undo))
        self.act_undo.setIcon(icon("undo"))
        self.act_redo = self.undo_stack.createRedoAction(self, "&Redo")
        self.act_redo.setShortcuts([QKeySequence(keys.Redo), QKeySequence("Ctrl+Shift+Z")])
        self.act_redo.setIcon(icon("redo"))
        self.addActions([self.act_undo, self.act_redo])

        p = self.playback
        self.act_play = a("&Play / pause", p.toggle, "Space", "play", "Play or pause (Space)")
        self.act_stop = a("&Stop", p.stop, None, "stop", "Stop and rewind")
        self.act_back = a("Step &back", lambda: p.step(-1), "Left", "step-back",
                          "One frame back (Left)")
        self.act_forward = a("Step &forward", lambda: p.step(1), "Right", "step-forward",
                             "One frame forward (Right)")
        self.act_start = a("Go to s&tart", p.go_start, "Home", "go-start", "Go to start (Home)")
        self.act_end = a("Go to &end", p.go_end, "End", "go-end", "Go to end (End)")

        self.act_reset_view = a("&Reset view", self.viewport.reset_view, "F", "reset-view",
                                "Frame the head again (F)")
        self.act_wireframe = a("&Wireframe", self.viewport.set_wireframe, "W", "wireframe",
                               "Show the mesh as wireframe (W)", checkable=True)
        self.act_neutral = a("&Neutral pose", self.viewport.set_show_neutral, "N",
                             "neutral-face", "Show the rest pose (N)", checkable=True)
        self.act_reset_layout = a("Reset &layout", self.reset_layout)
        self.act_cancel = a("Cancel", self.cancel_jobs, "Escape", "cancel",
                            "Cancel the running analysis")
        self.act_analyse = a("&Analyse again", self.analyse_again, "Ctrl+R", None,
                             "Run the audio analysis again after it failed or was cancelled")
        self.act_viseme_menu = a("Lip-sync &menu at playhead…", self.show_viseme_menu, "V",
                                 None, "Change, delete or insert the viseme at the playhead (V)")
        self.act_viseme_delete = a("&Delete viseme at playhead", self.delete_viseme_at_playhead,
                                   "Delete", None, "Delete the viseme at the playhead (Delete)")
        self.act_viseme_earlier = a("Nudge viseme boundary &earlier",
                                    lambda: self.nudge_viseme_boundary(-1), "Alt+Left", None,
                                    "Move the viseme boundary nearest the playhead 10 ms "
                                    "earlier (Alt+Left)")
        self.act_viseme_later = a("Nudge viseme boundary &later",
                                  lambda: self.nudge_viseme_boundary(1), "Alt+Right", None,
                                  "Move the viseme boundary nearest the playhead 10 ms later "
                                  "(Alt+Right)")
        self.act_viseme_reset = a("&Reset lip sync to the analysis", self.reset_visemes, None,
                                  None, "Discard every hand correction of the visemes")
        self.act_about = a("&About Affect Studio", self.about)
        self.avatar_actions = AvatarActions(self)
        self.batch_actions = BatchActions(self)

    def _build_menus_and_toolbar(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.act_new, self.act_open])
        self.recent_menu = file_menu.addMenu("Open &recent")
        file_menu.addActions([self.act_save, self.act_save_as])
        file_menu.addSeparator()
        file_menu.addActions([self.act_audio, self.act_import_track, self.act_export])
        file_menu.addActions(self.batch_actions.file_actions())
        file_menu.addSeparator()
        file_menu.addActions(self.avatar_actions.file_actions())
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        edit = bar.addMenu("&Edit")
        edit.addActions([self.act_undo, self.act_redo])
        edit.addSeparator()
        lip = edit.addMenu("&Lip sync")
        lip.addActions([self.act_viseme_menu, self.act_viseme_delete, self.act_viseme_earlier,
                        self.act_viseme_later])
        lip.addSeparator()
        lip.addAction(self.act_viseme_reset)
        view = bar.addMenu("&View")
        view.addActions([self.act_reset_view, self.act_wireframe, self.act_neutral])
        view.addSeparator()
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        view.addAction(self.act_reset_layout)
        self.avatar_actions.fill_menu(bar.addMenu("&Avatar"))
        play = bar.addMenu("&Playback")
        play.addActions([self.act_play, self.act_stop, self.act_back, self.act_forward,
                         self.act_start, self.act_end])
        play.addSeparator()
        play.addActions([self.act_analyse, self.act_cancel])
        bar.addMenu("&Help").addAction(self.act_about)
        self._rebuild_recent_menu()

        tools = self.addToolBar("Main")
        tools.setObjectName("toolbar-main")
        tools.setMovable(True)
        tools.addActions([self.act_open, self.act_save, self.act_audio, self.act_export])
        tools.addSeparator()
        tools.addActions([self.act_undo, self.act_redo])
        tools.addSeparator()
        tools.addActions([self.act_start, self.act_back, self.act_play, self.act_stop,
                          self.act_forward, self.act_end])
        tools.addSeparator()
        tools.addActions([self.act_reset_view, self.act_wireframe, self.act_neutral])

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.job_label = QLabel("")
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setMaximumWidth(220)
        self.cancel_button = QPushButton(icon("cancel"), "Cancel")
        self.cancel_button.clicked.connect(self.cancel_jobs)
        self.clip_label = QLabel("no clip")
        for w in (self.job_label, self.progress_bar, self.cancel_button):
            w.hide()
            status.addPermanentWidget(w)
        status.addPermanentWidget(self.clip_label)
        divider = QFrame()
        divider.setFrameShape(QFrame.Shape.VLine)
        divider.setFrameShadow(QFrame.Shadow.Sunken)
        status.addPermanentWidget(divider)
        status.addPermanentWidget(self.time_label)

    def _connect(self) -> None:
        self.audio_panel.choose_audio.connect(self.choose_audio)
        self.audio_panel.transcript_applied.connect(self.edit_transcript)
        self.audio_panel.language_chosen.connect(self.edit_language)
        self.emotion_panel.prompt_edited.connect(self.edit_prompt)
        self.emotion_panel.add_requested.connect(self.add_prompt_at_playhead)
        self.emotion_panel.remove_requested.connect(self.remove_prompt_at_playhead)
        self.controls_panel.intensity_changed.connect(self.edit_intensity)
        self.controls_panel.control_changed.connect(self.edit_control)
        self.controls_panel.reset_requested.connect(self.reset_sliders)
        self.talking_head.panel.generator_changed.connect(self._talking_head_edited)
        self.talking_head.panel.settings_changed.connect(self._talking_head_edited)
        self.timeline.seek_requested.connect(self.playback.seek)
        self.timeline.viseme_boundary_moved.connect(self.move_viseme_boundary)
        self.timeline.viseme_change_requested.connect(self.change_viseme)
        self.timeline.viseme_delete_requested.connect(self.delete_viseme)
        self.timeline.viseme_insert_requested.connect(self.insert_viseme)
        self.timeline.viseme_reset_requested.connect(self.reset_visemes)
        self.playback.time_changed.connect(self._show_time)
        self.playback.state_changed.connect(self._playback_state)
        self.playback.audio_message.connect(self._audio_message)
        self.undo_stack.cleanChanged.connect(self._undo_changed)
        self.undo_stack.indexChanged.connect(self._undo_changed)
        for runner in (self.loader, self.analyser):
            runner.progressed.connect(self._job_progress)
            runner.busy_changed.connect(self._update_job_widgets)
        self.loader.succeeded.connect(self._load_succeeded)
        self.loader.failed.connect(self._load_failed)
        self.mapper.succeeded.connect(self._mapped)
        self.mapper.failed.connect(self._mapping_failed)
        self.analyser.succeeded.connect(self._analysis_done)
        self.analyser.failed.connect(self._analysis_failed)
        self.analyser.cancelled.connect(self._analysis_cancelled)

    # ------------------------------------------------------------------ layout

    def _restore_layout(self) -> None:
        store = settings()
        geometry = store.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            screen = QGuiApplication.primaryScreen()
            avail = screen.availableGeometry() if screen else None
            w = min(1440, avail.width() if avail else 1440)
            h = min(900, avail.height() if avail else 900)
            self.resize(w, h)
        state = store.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state, LAYOUT_VERSION)

    def save_layout(self) -> None:
        """Remember the window geometry and dock layout."""
        store = settings()
        store.setValue("window/geometry", self.saveGeometry())
        store.setValue("window/state", self.saveState(LAYOUT_VERSION))
        store.sync()

    def reset_layout(self) -> None:
        """Put the docks back where they start."""
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()
        self.restoreState(self._default_state, LAYOUT_VERSION)

    # ------------------------------------------------------------------ messages

    def show_error(self, title: str, message: str) -> None:
        """Tell the user something failed (a window-modal box that does not block)."""
        self.last_error = message
        self.statusBar().showMessage(f"{title}: {message.splitlines()[0]}", 10000)
        box = QMessageBox(QMessageBox.Icon.Critical, title, message.splitlines()[0],
                          QMessageBox.StandardButton.Ok, self)
        if "\n" in message:
            box.setDetailedText(message)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.message_box = box
        box.open()

    def _info(self, title: str, message: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, title, message,
                          QMessageBox.StandardButton.Ok, self)
        self.message_box = box
        box.open()

    def about(self) -> None:
        """Show what this is."""
        self._info(
            "About Affect Studio",
            "Affect Studio turns a voice line and free-text emotion prompts into an animated "
            "face: lip sync, emotion, blinks, gaze and head motion.",
        )

    # ------------------------------------------------------------------ title, status

    @property
    def dirty(self) -> bool:
        """Whether there are unsaved changes."""
        return self._dirty_without_undo or not self.undo_stack.isClean()

    def _undo_changed(self, *_args: object) -> None:
        if not self._closing:
            self._update_title()

    def _audio_message(self, message: str) -> None:
        self.statusBar().showMessage(message, 8000)

    def _update_title(self) -> None:
        name = self.project_path.name.removesuffix(PROJECT_SUFFIX) if self.project_path else (
            "Untitled")
        self.setWindowTitle(f"{APP_TITLE} — {name}[*]")
        self.setWindowModified(self.dirty)
        if not self.dirty:
            discard_recovery(recovery_folder() / f"{self.instance_id}.recovery.json")

    def _update_clip_label(self) -> None:
        clip = self.session.audio
        if clip is None:
            self.clip_label.setText("no clip")
        else:
            self.clip_label.setText(
                f"{Path(clip.source).name or 'clip'}  ·  {clip.duration:.2f} s  ·  "
                f"{clip.sample_rate} Hz  ·  {self.session.settings.fps:g} fps"
            )

    def _update_job_widgets(self, *_args: object) -> None:
        runner = self.loader if self.loader.busy else self.analyser
        busy = runner.busy
        for w in (self.job_label, self.progress_bar, self.cancel_button):
            w.setVisible(busy)
        if busy:
            self.job_label.setText(runner.label)
            self.progress_bar.setValue(0)

    def _job_progress(self, fraction: float, message: str) -> None:
        self.progress_bar.setValue(round(fraction * 1000))
        self.progress_bar.setFormat(f"{message} %p%")

    def cancel_jobs(self) -> None:
        """Cancel loading, analysis or the talking-head frames."""
        self.talking_head.cancel()
        if self.loader.busy:
            self.loader.cancel()
        if self.analyser.busy:
            self.analyser.cancel()

    # ------------------------------------------------------------------ session updates

    def _on_session_changed(self, what: str) -> None:
        if what == "take":
            return
        if what == "audio":
            self._audio_changed()
        elif what == "transcript":
            self.audio_panel.show_transcript(self.session.transcript)
        elif what == "language":
            self.audio_panel.show_language(self.session.language)
        elif what in ("intensity", "controls"):
            self.controls_panel.show_values(self.session.intensity, self.session.controls)
        elif what == "emotion":
            self._shown_segment = -1
            self._show_prompt_at(self.playback.time)
        elif what == "visemes_set_aside":
            self.statusBar().showMessage(
                "Lip-sync corrections set aside: they belong to another voice line, "
                "transcript or language (Undo brings them back)", 10000)
        self._schedule_refresh()

    def _audio_changed(self) -> None:
        clip = self.session.audio
        if clip is None:
            self.timeline.set_audio(None, 0)
            self.playback.set_media(None, 0.0, self.session.settings.fps)
        else:
            self.timeline.set_audio(clip.samples, clip.sample_rate)
            self.playback.set_media(clip.source or None, clip.duration, self.session.settings.fps)
        self.audio_panel.show_audio(Path(clip.source).name if clip else None,
                                    clip.duration if clip else None)
        self._update_clip_label()

    def _schedule_refresh(self) -> None:
        if not self._refresh_pending:
            self._refresh_pending = True
            QTimer.singleShot(0, self.refresh)

    def refresh(self) -> None:
        """Bring the take up to date: analyse in the background, or re-map now."""
        self._refresh_pending = False
        session = self.session
        if self.mapper.busy:
            self.mapper.cancel()  # whatever it was mapping is out of date now
        if session.audio is None:
            session.take = None
            self._refresh_timeline()
            self._show_time(self.playback.time)
            return
        if not session.supports_live_edits:
            self._start_generation()
            return
        if session.needs_analysis():
            self._start_analysis()
            return
        if self.analyser.busy:
            self.analyser.cancel()
        if session.audio.duration > self.sync_remap_max_s:
            # Long clips: map on a worker so dragging a slider never stalls the window; the
            # runner drops results of edits that were superseded meanwhile.
            self.mapper.start("Updating the animation", session.remap_job())
            return
        try:
            session.remap()
        except (GeneratorError, StudioError) as exc:
            self.show_error("Cannot update the animation", str(exc))
            return
        self._take_updated()

    def _take_updated(self) -> None:
        self._refresh_timeline()
        self._show_time(self.playback.time)

    def _mapped(self, take: object) -> None:
        self.session.set_take(take)  # type: ignore[arg-type]
        self._take_updated()

    def _mapping_failed(self, message: str, _expected: bool) -> None:
        self.show_error("Cannot update the animation", message)

    def _start_analysis(self) -> None:
        session = self.session
        key = (
            (session.audio.sha256, session.transcript, session.language) if session.audio else None
        )
        if self.analyser.busy and key == self._analysis_key:
            return
        if key == self._stopped_key:
            return  # failed or cancelled: wait for new input or "Analyse again"
        self._analysis_key = key
        request = session.request()
        name = session.generator_name
        process = self.analysis_process

        def job(progress: Any, cancel: Any) -> Any:
            return process.analyse(name, request, progress, cancel)

        if session.language == "other":
            label = "Finding syllables in the sound"
        else:
            label = "Aligning the transcript" if session.transcript else "Recognising speech"
        self.analyser.start(label, job)

    def _start_generation(self) -> None:
        session = self.session
        request = session.request()
        generator = session.generator

        def job(progress: Any, cancel: Any) -> Any:
            return generator.generate(request, progress=progress, cancel=cancel)

        self._analysis_key = None
        self.analyser.start("Generating", job)

    def _analysis_done(self, result: object) -> None:
        from generators.take import Take

        if isinstance(result, Take):
            self.session.set_take(result)
            self._take_updated()
            return
        if not self.session.install_analysis(result):
            return
        if self._refresh_pending or not self.session.supports_live_edits:
            self.refresh()
            return
        # The first take of a new analysis is mapped on a worker: the UI thread only draws it,
        # so the end of a long analysis never stalls the window (a slider move stays synchronous).
        if self.analyser.busy:
            self.analyser.cancel()
        self.mapper.start("Updating the animation", self.session.remap_job())

    def analyse_again(self) -> None:
        """Retry an analysis that failed or was cancelled."""
        self._stopped_key = None
        self._schedule_refresh()

    def _analysis_failed(self, message: str, expected: bool) -> None:
        self._stopped_key = self._analysis_key
        title = "Cannot analyse this voice line" if expected else "Analysis failed"
        self.show_error(title, message)

    def _analysis_cancelled(self) -> None:
        self._stopped_key = self._analysis_key
        self.statusBar().showMessage(
            "Analysis cancelled: the face stays still until the voice line is analysed "
            "(Playback > Analyse again, Ctrl+R)", 10000)

    def _show_session_values(self) -> None:
        session = self.session
        self.controls_panel.show_values(session.intensity, session.controls)
        self.audio_panel.show_transcript(session.transcript)
        self.audio_panel.show_language(session.language)
        self._shown_segment = -1
        self._show_prompt_at(self.playback.time)

    def _refresh_timeline(self) -> None:
        take = self.session.take
        duration = self.session.audio.duration if self.session.audio else 0.0
        self.timeline.set_visemes(take.visemes if take is not None else None)
        self.timeline.set_emotion(self.session.emotion, duration)

    def _show_time(self, t: float) -> None:
        self.viewport.set_pose(self.session.pose_at(t))
        self.talking_head.show_time(t)
        self.timeline.set_time(t)
        duration = self.session.audio.duration if self.session.audio else 0.0
        frame = round(t * self.session.settings.fps)
        self.time_label.setText(f"{_format_time(t)} / {_format_time(duration)}  ·  f{frame}")
        self._show_prompt_at(t)

    def _show_prompt_at(self, t: float) -> None:
        track = self.session.emotion
        index = segment_index_at(track, t)
        if index == self._shown_segment:
            return
        self._shown_segment = index
        segs = sorted(track.segments, key=lambda s: s.start)
        if index is None:
            where = "no prompt here" if segs else "whole clip"
            self.emotion_panel.show_prompt("", where, None)
            return
        seg = segs[index]
        end = "end" if seg.end is None else f"{seg.end:.2f} s"
        where = "whole clip" if len(segs) == 1 and seg.end is None else (
            f"prompt {index + 1} of {len(segs)}: {seg.start:.2f} s – {end}")
        self.emotion_panel.show_prompt(seg.prompt, where, seg.state)

    def _frame_drawn(self, ms: float) -> None:
        self.last_frame_ms = ms

    def _playback_state(self, state: str) -> None:
        self.act_play.setIcon(icon("pause" if state == "playing" else "play"))

    # ------------------------------------------------------------------ edits (undoable)

    def _push(self, label: str, apply: Any, old: Any, new: Any, merge: Any = None) -> None:
        if old == new:
            return
        self.undo_stack.push(ValueCommand(label, apply, old, new, merge))

    def _set_audio_clip(self, clip: AudioClip | None) -> None:
        self.session.set_audio(clip)

    def use_audio(self, clip: AudioClip) -> None:
        """Make ``clip`` the voice line (undoable)."""
        self._push(f"Load {Path(clip.source).name}", self._set_audio_clip, self.session.audio,
                   clip)

    def edit_language(self, language: str) -> None:
        """Set the spoken language (undoable; re-analyses in the background)."""
        self._push("Change language", self.session.set_language, self.session.language, language)

    def edit_transcript(self, text: str) -> None:
        """Set the transcript (undoable; re-aligns in the background)."""
        new = text.strip() or None
        self._push("Edit transcript", self.session.set_transcript, self.session.transcript, new)

    def _set_emotion(self, track: EmotionTrack) -> None:
        self.session.set_emotion_track(track)

    def _parsed(self, prompt: str) -> Any:
        # Words outside the lexicon are read by meaning only once the text model has loaded in
        # the background (warm_up_in_background): the window never waits for it.
        ready = vocabulary_ready()
        try:
            state = parse_prompt(prompt, by_meaning=ready)
        except GeneratorError as exc:
            loading = not ready and encoder_available()
            later = " (the text model for other words is still loading)" if loading else ""
            self.emotion_panel.show_problem(f"{exc}{later}")
            return None
        self.emotion_panel.show_problem(None)
        return state

    def edit_prompt(self, prompt: str) -> None:
        """Give the prompt under the playhead new text (undoable)."""
        state = self._parsed(prompt)
        if state is None:
            return
        old = self.session.emotion
        new = with_prompt_at(old, self.playback.time, prompt, state)
        self._shown_segment = -1
        self._push("Edit emotion prompt", self._set_emotion, old, new)

    def add_prompt_at_playhead(self, prompt: str) -> None:
        """Start a new prompt at the playhead (undoable)."""
        state = self._parsed(prompt)
        if state is None:
            return
        old = self.session.emotion
        new = split_at(old, self.playback.time, prompt, state)
        self._shown_segment = -1
        self._push("Add emotion prompt", self._set_emotion, old, new)

    def choose_emotion_track(self) -> None:
        """Ask for an emotion-track file and use it."""
        path, _ = QFileDialog.getOpenFileName(
            self, "Import an emotion track", self._start_folder(), TRACK_FILTER
        )
        if path:
            self.import_emotion_track(Path(path))

    def import_emotion_track(self, path: Path) -> None:
        """Read a track file in the background, then use it (:meth:`use_emotion_track`); a bad
        file is reported and changes nothing."""

        def job(progress: Any, cancel: Any) -> EmotionTrack:
            progress.report(0.0, f"reading {path.name}")
            return load_emotion_track(path)

        def done(track: EmotionTrack) -> None:
            self.use_emotion_track(track, path.name)

        self._start_load(f"Reading {path.name}", job, done, "Cannot use this emotion track")

    def use_emotion_track(self, track: EmotionTrack, name: str = "the track") -> bool:
        """Replace the prompts with ``track``'s and take its transition time (one undoable
        step)."""
        old_track, old_controls = self.session.emotion, self.session.controls
        try:
            controls = old_controls.replace(emotion_transition=track.transition)
        except GeneratorError as exc:
            self.show_error("Cannot use this emotion track", str(exc))
            return False

        def apply(value: tuple[EmotionTrack, AnimationControls]) -> None:
            self.session.set_emotion_track(value[0])
            self.session.set_controls(value[1])

        self._shown_segment = -1
        self._push("Import emotion track", apply, (old_track, old_controls), (track, controls))
        self.statusBar().showMessage(f"{len(track.segments)} prompts from {name}", 5000)
        return True

    def remove_prompt_at_playhead(self) -> None:
        """Remove the prompt under the playhead (undoable)."""
        old = self.session.emotion
        new = remove_at(old, self.playback.time)
        self._shown_segment = -1
        self._push("Remove emotion prompt", self._set_emotion, old, new)

    def edit_intensity(self, value: float, gesture: int) -> None:
        """Set the overall intensity (undoable; one drag is one step)."""
        self._push("Change intensity", self.session.set_intensity, self.session.intensity,
                   float(value), ("intensity", gesture))

    def edit_control(self, name: str, value: float, gesture: int) -> None:
        """Move an animation slider (undoable; one drag is one step)."""
        old = self.session.controls
        new = old.replace(**{name: float(value)})
        self._push(f"Change {name.replace('_', ' ')}", self.session.set_controls, old, new,
                   ("control", name, gesture))

    def reset_sliders(self) -> None:
        """Every slider back to its default (undoable)."""
        self.undo_stack.beginMacro("Reset sliders")
        self._push("Reset intensity", self.session.set_intensity, self.session.intensity, 1.0)
        self._push("Reset animation sliders", self.session.set_controls, self.session.controls,
                   AnimationControls())
        self.undo_stack.endMacro()

    def _talking_head_edited(self, *_args: object) -> None:
        """The Generator panel changed: its switch and settings (what a project holds) as
        one undoable edit; the models' file, a setting of the machine, is no edit."""
        old, new = self._talking_head_shown, self.talking_head.project_settings()
        changed = tuple(f.name for f in fields(ProjectTalkingHead)
                        if getattr(old, f.name) != getattr(new, f.name))
        if not changed:
            return
        if "enabled" in changed:
            label = "Talking head generator" if new.enabled else "Rig generator"
            merge = None
        else:
            names = ", ".join(_TALKING_HEAD_FIELDS.get(name, name) for name in changed)
            label, merge = f"Change talking-head {names}", ("talking-head", changed)
        self._push(label, self._set_talking_head, old, new, merge)

    def _set_talking_head(self, settings: ProjectTalkingHead) -> None:
        self._talking_head_shown = settings
        if self.talking_head.project_settings() != settings:  # an undo or a redo
            self.talking_head.show_settings(settings)

    # ------------------------------------------------------------------ lip-sync corrections

    def _edit_visemes(self, label: str, edit: Any, merge: Any = None) -> bool:
        """Apply ``edit`` (timeline -> timeline) to the lip sync as one undo step."""
        session = self.session
        base = session.viseme_timeline()
        if base is None:
            self.statusBar().showMessage(
                "The lip sync can be corrected once the voice line is analysed", 8000)
            self._refresh_timeline()
            return False
        try:
            new: tuple[VisemeSegment, ...] | None = edit(base)
        except GeneratorError as exc:
            self.statusBar().showMessage(f"{label}: {exc}", 8000)
            self._refresh_timeline()
            return False
        if new == base:
            self._refresh_timeline()
            return False
        self._push(label, self._set_visemes, session.visemes, new, merge)
        return True

    def _set_visemes(self, visemes: tuple[VisemeSegment, ...] | None) -> None:
        self.session.set_visemes(visemes)

    def move_viseme_boundary(self, at: float, to: float) -> bool:
        """Move the viseme boundary at time ``at`` to ``to`` (undoable).

        Returns
        -------
        bool
            Whether the lip sync changed.
        """

        def edit(base: tuple[VisemeSegment, ...]) -> tuple[VisemeSegment, ...]:
            k = nearest_boundary(base, at, 0.5 * STEP_S)
            return base if k is None else move_boundary(base, k, to)

        return self._edit_visemes("Move viseme boundary", edit)

    def nudge_viseme_boundary(self, steps: int) -> bool:
        """Move the viseme boundary nearest the playhead by ``steps`` 10 ms steps (undoable;
        repeated nudges of one boundary are one undo step)."""
        base = self.session.viseme_timeline()
        k = None if base is None else nearest_boundary(base, self.playback.time)
        if base is None or k is None:
            return self._edit_visemes("Nudge viseme boundary", lambda b: b)
        at = base[k].start
        return self._edit_visemes("Nudge viseme boundary",
                                  lambda b: move_boundary(b, k, at + steps * STEP_S),
                                  ("viseme-nudge", k))

    def change_viseme(self, at: float, viseme: str) -> bool:
        """Give the viseme segment at time ``at`` the viseme ``viseme`` (undoable)."""
        return self._edit_visemes(f"Change viseme to {viseme}",
                                  lambda b: set_viseme(b, viseme_index_at(b, at), viseme))

    def delete_viseme(self, at: float) -> bool:
        """Delete the viseme segment at time ``at``; its neighbours take its time (undoable)."""
        return self._edit_visemes("Delete viseme",
                                  lambda b: delete_segment(b, viseme_index_at(b, at)))

    def insert_viseme(self, at: float, viseme: str) -> bool:
        """Insert ``viseme`` centred on time ``at`` (undoable)."""
        return self._edit_visemes(f"Insert viseme {viseme}",
                                  lambda b: insert_viseme(b, at, viseme))

    def delete_viseme_at_playhead(self) -> bool:
        """Delete the viseme under the playhead (undoable)."""
        return self.delete_viseme(self.playback.time)

    def show_viseme_menu(self) -> Any:
        """Open the viseme menu at the playhead (keyboard access to the lane's menu)."""
        menu = self.timeline.show_viseme_menu(self.playback.time)
        if menu is None:
            self.statusBar().showMessage(
                "The lip sync can be corrected once the voice line is analysed", 8000)
        return menu

    def reset_visemes(self) -> bool:
        """Discard every hand correction of the lip sync (undoable)."""
        if self.session.visemes is None:
            return False
        self._push("Reset lip sync", self._set_visemes, self.session.visemes, None)
        return True

    # ------------------------------------------------------------------ audio

    def choose_audio(self) -> None:
        """Ask for a voice line."""
        path, _ = QFileDialog.getOpenFileName(self, "Choose a voice line", self._start_folder(),
                                              AUDIO_FILTER)
        if path:
            self.load_audio(Path(path))

    def load_audio(self, path: Path) -> None:
        """Decode ``path`` in the background, then make it the voice line."""

        def job(progress: Any, cancel: Any) -> AudioClip:
            progress.report(0.0, f"decoding {path.name}")
            return AudioClip.load(path)

        self._start_load(f"Loading {path.name}", job, self._audio_loaded,
                         "Cannot use this audio file")

    def _audio_loaded(self, clip: AudioClip) -> None:
        self.use_audio(clip)
        self.statusBar().showMessage(f"Loaded {Path(clip.source).name}", 5000)

    def _start_load(self, label: str, job: Any, on_success: Any, error_title: str) -> None:
        def loading(progress: Any, cancel: Any) -> object:
            # Decoding may import scipy (to resample) on this worker while the GUI thread
            # imports the generator (scipy too) for its next refresh; with the generator
            # imported here first, scipy is never first imported on two threads at once.
            load_builtin_generators()
            return job(progress, cancel)

        self._load_handlers = (on_success, error_title)
        self.loader.start(label, loading)

    def _load_succeeded(self, result: object) -> None:
        on_success, _title = self._load_handlers
        on_success(result)

    def _load_failed(self, message: str, _expected: bool) -> None:
        _on_success, title = self._load_handlers
        self.show_error(title, message)

    def _start_folder(self) -> str:
        if self.project_path is not None:
            return str(self.project_path.parent)
        if self.session.audio is not None and self.session.audio.source:
            return str(Path(self.session.audio.source).parent)
        return str(Path.home())

    # ------------------------------------------------------------------ drag and drop

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if self._dropped_path(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        path = self._dropped_path(event)
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_path(path)

    @staticmethod
    def _dropped_path(event: QDragEnterEvent | QDropEvent) -> Path | None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if len(urls) != 1 or not urls[0].isLocalFile():
            return None
        return Path(urls[0].toLocalFile())

    def open_path(self, path: Path) -> None:
        """Open a project file or load an audio file, by its name."""
        if path.name.lower().endswith(PROJECT_SUFFIX):
            self.open_project(path)
        else:
            self.load_audio(path)

    # ------------------------------------------------------------------ projects

    def _confirm_discard(self) -> bool:
        """Ask to save unsaved changes; ``False`` if the user cancelled."""
        if not self.dirty:
            return True
        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            "Save the changes to this project before closing it?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def new_project(self) -> None:
        """Start an empty project."""
        if not self._confirm_discard():
            return
        self._apply_prepared(prepare_project(Project()), None)

    def choose_project(self) -> None:
        """Ask for a project file to open."""
        if not self._confirm_discard():
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open project", self._start_folder(),
                                              PROJECT_FILTER)
        if path:
            self.open_project(Path(path))

    def open_project(self, path: Path) -> None:
        """Read, check and decode a project in the background, then show it."""

        def job(progress: Any, cancel: Any) -> PreparedProject:
            progress.report(0.0, f"reading {path.name}")
            return prepare_project(load_project(path))

        self._start_load(f"Opening {path.name}", job,
                         lambda prepared: self._apply_prepared(prepared, path),
                         "Cannot open this project")

    def _apply_prepared(self, prepared: PreparedProject, path: Path | None,
                        *, recovered: bool = False) -> None:
        self.playback.stop()
        self.undo_stack.clear()
        self.project_path = Path(os.path.abspath(path)) if path is not None else None
        self._dirty_without_undo = recovered
        missing = prepared.apply_to(self.session)
        self.talking_head.show_project(prepared.project.talking_head)
        self._talking_head_shown = self.talking_head.project_settings()
        self._update_title()
        self._update_clip_label()
        for notice in prepared.notices:
            self.statusBar().showMessage(notice, 10000)
        if path is not None:
            self._add_recent(Path(path))
        if missing:
            files = prepared.project.missing_files()
            listed = ", ".join(f"{_ROLES.get(role, role)}: {files[role]}" for role in missing)
            self.show_error("Missing files", f"These files are missing: {listed} (move them back "
                            "or choose them again, then save)"
                            + (" The default avatar is shown instead." if "avatar" in missing
                               else ""))
        elif prepared.avatar_problem:
            self.show_error("Cannot use the project's avatar", prepared.avatar_problem)

    def save(self) -> bool:
        """Save to the current project file (asks for one the first time)."""
        if self.project_path is None:
            return self.save_as()
        return self.save_to(self.project_path, offer_copy=True)

    def save_as(self) -> bool:
        """Ask where to save the project, then save it."""
        start = str(self.project_path or Path(self._start_folder()) / f"untitled{PROJECT_SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self, "Save project", start, PROJECT_FILTER)
        if not path:
            return False
        dest = Path(path)
        if not dest.name.lower().endswith(PROJECT_SUFFIX):
            dest = dest.with_name(dest.name.removesuffix(".json") + PROJECT_SUFFIX)
        return self.save_to(dest, offer_copy=True)

    def save_to(self, dest: Path, *, offer_copy: bool = False,
                copy_media: bool | None = None) -> bool:
        """Save the project to ``dest``; media outside its folder can be copied in.

        Parameters
        ----------
        dest
            The project file.
        offer_copy
            Ask whether to copy media outside the project folder into it.
        copy_media
            Decide without asking (``True`` copies, ``False`` refuses).
        """
        dest = Path(os.path.abspath(dest))
        self.emotion_panel.flush()
        clip = self.session.audio
        outside = find_outside(dest.parent, audio=clip.source if clip is not None else None,
                               avatar=self.session.avatar_path,
                               reference=self._talking_head_settings().reference_path)
        if outside:
            copy = copy_media
            if copy is None and offer_copy:
                title, text = copy_question(outside, dest.parent)
                copy = QMessageBox.question(self, title, text) == QMessageBox.StandardButton.Yes
            if copy:
                try:
                    self._use_copies(copy_media_into(outside, dest.parent))
                except ProjectError as exc:
                    self.show_error("Cannot save the project", str(exc))
                    return False
        try:
            save_project(self.project(), dest)
        except ProjectError as exc:
            self.show_error("Cannot save the project", str(exc))
            return False
        self.project_path = dest
        self._dirty_without_undo = False
        self.undo_stack.setClean()
        self._update_title()
        self._add_recent(dest)
        self.statusBar().showMessage(f"Saved {dest.name}", 5000)
        return True

    def _use_copies(self, copied: CopiedMedia) -> None:
        """Point the session at media copied into the project folder (same content)."""
        clip = self.session.audio
        if copied.audio is not None and clip is not None:
            moved = replace(clip, source=str(copied.audio))
            self.session.audio = moved  # same samples, new home: the analysis stays valid
            self.playback.set_media(str(copied.audio), moved.duration, self.session.settings.fps)
            self._update_clip_label()
        if copied.avatar is not None:  # the same files: the loaded avatar stays valid
            self.session.use_avatar(copied.avatar, self.session.avatar)
        if copied.reference is not None:  # the same portrait: not an edit
            self.talking_head.use_reference_copy(copied.reference)
            self._talking_head_shown = self.talking_head.project_settings()

    def project(self) -> Project:
        """The work as a project: the session's state with the Generator panel's switch and
        talking-head settings (what saving and autosave write)."""
        return replace(session_to_project(self.session),
                       talking_head=self._talking_head_settings())

    def _talking_head_settings(self) -> ProjectTalkingHead:
        """The panel's settings for the project; with the switch on Rig without the portrait
        (a portrait the project does not use is neither stored nor offered for copying)."""
        chosen = self.talking_head.project_settings()
        return chosen if chosen.enabled else replace(chosen, reference_path=None)

    # ------------------------------------------------------------------ recent files

    def recent_files(self) -> list[str]:
        """Recently used project files, newest first."""
        value = settings().value("recent/projects", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])][:MAX_RECENT]

    def _add_recent(self, path: Path) -> None:
        entry = str(Path(os.path.abspath(path)))
        items = [entry] + [p for p in self.recent_files() if p != entry]
        store = settings()
        store.setValue("recent/projects", items[:MAX_RECENT])
        store.sync()
        self._rebuild_recent_menu()

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        items = self.recent_files()
        for item in items:
            action = self.recent_menu.addAction(Path(item).name)
            action.setToolTip(item)
            action.triggered.connect(lambda _c=False, p=item: self._open_recent(Path(p)))
        self.recent_menu.setEnabled(bool(items))

    def _open_recent(self, path: Path) -> None:
        if self._confirm_discard():
            self.open_project(path)

    # ------------------------------------------------------------------ autosave / recovery

    def autosave(self) -> Path | None:
        """Write unsaved changes to the recovery folder (nothing when there are none)."""
        if not self.dirty:
            return None
        try:
            return write_recovery(recovery_folder(), self.instance_id, self.project(),
                                  self.project_path)
        except (ProjectError, StudioError) as exc:
            self.statusBar().showMessage(f"Autosave failed: {exc}", 10000)
            return None

    def offer_recovery(self) -> list[Recovery]:
        """Offer the newest autosave left by a studio that did not close normally."""
        found = [r for r in find_recoveries(recovery_folder())
                 if r.path.name != f"{self.instance_id}.recovery.json"]
        if not found:
            return []
        newest = found[0]
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(newest.saved_at))
        name = newest.project_file.name if newest.project_file else "an untitled project"
        box = QMessageBox(
            QMessageBox.Icon.Question, "Recover unsaved work?",
            f"Affect Studio did not close normally. Recover the unsaved changes to {name} "
            f"from {when}?", QMessageBox.StandardButton.NoButton, self)
        recover = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(recover)

        def answered() -> None:
            if box.clickedButton() is recover:
                self.recover(newest)
            else:
                discard_recovery(newest.path)

        box.finished.connect(lambda _r: answered())
        self.message_box = box
        box.open()
        return found

    def recover(self, recovery: Recovery) -> None:
        """Load the state from ``recovery`` (marked unsaved), then drop the recovery file."""

        def job(progress: Any, cancel: Any) -> PreparedProject:
            return prepare_project(recovery.project)

        def done(prepared: PreparedProject) -> None:
            self._apply_prepared(prepared, recovery.project_file, recovered=True)
            discard_recovery(recovery.path)
            self.autosave()

        self._start_load("Recovering", job, done, "Cannot recover the unsaved work")

    # ------------------------------------------------------------------ export

    def open_export_dialog(self) -> ExportDialog | None:
        """Open the export dialog (the take must exist)."""
        if self.session.take is None:
            self.show_error("Nothing to export yet",
                            "choose a voice line and wait for the analysis to finish")
            return None
        clip = self.session.audio
        stem = Path(clip.source).stem if clip is not None and clip.source else "take"
        folder = self.project_path.parent if self.project_path else Path(self._start_folder())
        s = self.session.settings
        dialog = ExportDialog(self._export_job, folder=folder, stem=stem, width=s.width,
                              height=s.height, fps=s.fps, note=self.talking_head.export_note(),
                              parent=self)
        self.export_dialog = dialog
        dialog.open()
        return dialog

    def _export_job(self, plan: ExportPlan) -> Any:
        session = self.session
        take = session.take
        analysis = session.cached_analysis() if session.supports_live_edits else None
        request = session.request()
        generator = session.generator
        avatar = session.avatar

        def take_for_fps(fps: float) -> Any:
            if take is not None and abs(take.curves.fps - fps) < 1e-9:
                return take
            if analysis is None:
                raise StudioError("this generator cannot change the frame rate after "
                                  "generation; set the frame rate before generating")
            return generator.map(analysis, replace(request, fps=fps))  # type: ignore[attr-defined]

        return export_job(plan, take_for_fps, avatar, self.talking_head.export_writers(plan.fps))

    # ------------------------------------------------------------------ viewport fallback

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self.viewport.kind == "gl":
            QTimer.singleShot(VIEWPORT_CHECK_MS, self._check_viewport)

    def _check_viewport(self) -> None:
        check = getattr(self.viewport, "check_context", None)
        if check is not None and not self._closing:
            check()

    def _viewport_failed(self, message: str) -> None:
        if self._closing:
            return
        if self.viewport.kind != "gl":
            self.show_error("The viewport cannot draw", message)
            return
        replacement = ImageViewport(lambda: self.session.avatar)
        replacement.frame_drawn.connect(self._frame_drawn)
        replacement.failed.connect(self._viewport_failed)
        replacement.set_wireframe(self.act_wireframe.isChecked())
        replacement.set_show_neutral(self.act_neutral.isChecked())
        self.act_reset_view.triggered.disconnect()
        self.act_reset_view.triggered.connect(lambda _c=False: replacement.reset_view())
        self.act_wireframe.toggled.disconnect()
        self.act_wireframe.toggled.connect(replacement.set_wireframe)
        self.act_neutral.toggled.disconnect()
        self.act_neutral.toggled.connect(replacement.set_show_neutral)
        old = self.viewport
        self.viewport = replacement
        self.view_splitter.replaceWidget(self.view_splitter.indexOf(old), replacement)
        old.deleteLater()
        self._show_time(self.playback.time)
        self.statusBar().showMessage(f"Window OpenGL unavailable ({message}); rendering "
                                     "offscreen instead", 15000)

    # ------------------------------------------------------------------ closing

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.emotion_panel.flush()
        if not self._confirm_discard():
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop playback, jobs and the helper process; remember the layout."""
        if self._closing:
            return
        self._closing = True
        self.undo_stack.cleanChanged.disconnect(self._undo_changed)
        self.undo_stack.indexChanged.disconnect(self._undo_changed)
        self.save_layout()
        self.autosave_timer.stop()
        self.playback.stop()
        self.loader.shutdown()
        self.analyser.shutdown()
        self.mapper.shutdown()
        self.talking_head.shutdown()
        self.batch_actions.shutdown()
        self.analysis_process.close()
        discard_recovery(recovery_folder() / f"{self.instance_id}.recovery.json")


__all__ = ["APP_TITLE", "MainWindow", "recovery_folder", "settings"]
