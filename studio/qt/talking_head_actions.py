"""The talking-head generator in the studio window: the switch, generation and export.

:class:`TalkingHeadActions` owns the Generator panel (:mod:`studio.qt.talking_head_panel`), the
generated-frames view (:mod:`studio.qt.generated_view`) and a :class:`~studio.qt.workers.JobRunner`
that draws the frames of the session's take on a worker thread. Each frame travels to the UI
thread in a queued signal as soon as its batch is denoised; the rig viewport keeps rendering
live meanwhile. Cancel stops within one denoising step and keeps the frames already received.
A new take (a slider, a prompt, another voice line), another avatar or other settings mark the
frames out of date. With the switch on Talking head, an exported ``.mp4`` is the talking-head
video (the frames on show when they are complete and current, otherwise generated again).

The switch and the settings belong to the project (:class:`~studio.project_schema.
ProjectTalkingHead`: :meth:`TalkingHeadActions.project_settings` and
:meth:`~TalkingHeadActions.show_project`); the studio's user settings remember them too, with
the models' file (a setting of the machine), for new projects and files without them.

torch is never imported here: :mod:`studio.talking_head_video` loads it only when frames are
generated, on the worker thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, QSignalBlocker, Signal, Slot

from generators.progress import CancelToken, ProgressSink
from generators.take import Take
from studio.project_schema import ProjectTalkingHead
from studio.qt.export_dialog import OutputWriter
from studio.qt.generated_view import GeneratedFramesView
from studio.qt.talking_head_panel import TALKING_HEAD, TalkingHeadPanel
from studio.qt.workers import EXPECTED_ERRORS, JobRunner
from studio.talking_head_video import TalkingHeadRequest

if TYPE_CHECKING:
    from studio.qt.main_window import MainWindow

__all__ = ["TalkingHeadActions"]

ERROR_TITLE = "Cannot generate the talking head"
SHUTDOWN_WAIT_MS = 60_000
"""How long closing the window waits for a generation to stop (one denoising step)."""

_PIPELINE_LOCK = threading.Lock()
"""One generation at a time: the loaded pipeline (and its scheduler) is shared."""


@contextmanager
def _pipeline_turn(progress: ProgressSink, cancel: CancelToken) -> Iterator[None]:
    """Wait (cancellably) until no other generation uses the pipeline, then hold it."""
    if not _PIPELINE_LOCK.acquire(blocking=False):
        progress.report(0.0, "waiting for the frames being generated")
        while not _PIPELINE_LOCK.acquire(timeout=0.1):
            cancel.raise_if_cancelled()
    try:
        yield
    finally:
        _PIPELINE_LOCK.release()


class _FrameRelay(QObject):
    """Carries frames from the worker thread to the UI thread (a queued connection)."""

    frame = Signal(int, int, object)  # run, frame index, RGB uint8 array


class TalkingHeadActions(QObject):
    """The talking-head generator of a :class:`MainWindow`.

    Parameters
    ----------
    window
        The studio window (its session, status bar and error boxes are used).

    Attributes
    ----------
    panel : TalkingHeadPanel
        The generator switch and settings (the window docks it).
    view : GeneratedFramesView
        The generated frames (the window shows it beside the viewport).
    runner : JobRunner
        Runs the generation.
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.panel = TalkingHeadPanel()
        self.view = GeneratedFramesView()
        self.runner = JobRunner(self)
        self._relay = _FrameRelay(self)
        self._relay.frame.connect(self._frame_arrived)
        self._run = 0
        self._accepting = False
        self._made_for: tuple[Take, str | None, TalkingHeadRequest] | None = None
        self._pending: tuple[Take, str | None, TalkingHeadRequest, int] | None = None

        self.panel.restore(_settings())
        self.panel.generator_changed.connect(self._generator_changed)
        self.panel.settings_changed.connect(self._settings_changed)
        self.panel.generate_requested.connect(self.generate)
        self.panel.cancel_requested.connect(self.cancel)
        self.runner.progressed.connect(self.panel.show_progress)
        self.runner.busy_changed.connect(self.panel.show_busy)
        self.runner.succeeded.connect(self._done)
        self.runner.failed.connect(self._failed)
        self.runner.cancelled.connect(self._cancelled)
        window.session.subscribe(self._session_changed)
        if not self.active:
            self.view.hide()  # (showing is left to the window that embeds the view)

    # ------------------------------------------------------------------ state

    @property
    def active(self) -> bool:
        """Whether the switch is on Talking head (and the diffusion extra is installed)."""
        return self.panel.available and self.panel.generator() == TALKING_HEAD

    @property
    def busy(self) -> bool:
        """Whether frames are being generated."""
        return self.runner.busy

    def project_settings(self) -> ProjectTalkingHead:
        """The switch and settings as a project holds them (the reference portrait absolute)."""
        return self.panel.project_settings()

    def show_project(self, settings: ProjectTalkingHead | None) -> None:
        """Show an opened project's switch and settings without any signal (not an edit);
        ``None`` (a new project, a file without them) shows those of the user settings, or
        the defaults where there are none. The user settings are left as they are."""
        with QSignalBlocker(self.panel):
            self.panel.show_project_settings(settings or ProjectTalkingHead())
            if settings is None:
                self.panel.restore(_settings())
        self._refresh()

    def show_settings(self, settings: ProjectTalkingHead) -> None:
        """Show ``settings`` without any signal (an undo or redo) and remember them in the
        user settings, as an edit in the panel is."""
        with QSignalBlocker(self.panel):
            self.panel.show_project_settings(settings)
        self._refresh()
        self._save()

    def use_reference_copy(self, path: Path) -> None:
        """Point the panel at ``path``, a copy of the reference portrait made in the project
        folder (the same image: frames made from the original stay current)."""
        old = self.request()
        self.panel.reference_edit.setText(str(path))  # (only editing emits a signal)
        made = self._made_for
        if made is not None and made[2] == old:
            self._made_for = (made[0], made[1], self.request())
        self._save()

    def request(self, fps: float | None = None) -> TalkingHeadRequest:
        """The talking-head request of the panel's settings at ``fps`` (the session's frame
        rate by default) with the session's seed."""
        session = self.window.session
        return self.panel.request(fps=fps or session.settings.fps, seed=session.seed)

    # ------------------------------------------------------------------ generation

    def generate(self) -> bool:
        """Start drawing the frames of the session's take in the background.

        Returns
        -------
        bool
            Whether generation started (a message says why not).
        """
        if not self.active:
            self._problem("choose the Talking head generator first"
                          if self.panel.available else self.panel.extra_label.text())
            return False
        session = self.window.session
        take = session.take
        if take is None:
            self._problem("there is no take yet: choose a voice line and wait for the "
                          "analysis to finish")
            return False
        from studio.exporters.frame_encoding import take_frames

        request = self.request()
        try:
            count = take_frames(take, request.fps)
            avatar = session.avatar
        except EXPECTED_ERRORS as exc:
            self._problem(str(exc))
            return False
        self._run += 1
        run, relay = self._run, self._relay
        self._accepting = True
        # The frames on show stay until the first new one arrives: a run that fails or is
        # cancelled before drawing anything leaves them as they were.
        self._pending = (take, session.avatar_path, request, count)
        self.panel.show_message(f"Generating {count} frames…")

        def job(progress: ProgressSink, cancel: CancelToken) -> int:
            from studio.talking_head_video import check_talking_head_request, talking_head_frames

            progress.report(0.0, "checking the models")
            check_talking_head_request(request)  # a missing model or bad portrait: at once
            made = 0
            with _pipeline_turn(progress, cancel):
                for index, frame in enumerate(talking_head_frames(
                        take, avatar, request, progress=progress, cancel=cancel)):
                    relay.frame.emit(run, index, frame)
                    made += 1
            return made

        self.runner.start("Generating talking-head frames", job)
        return True

    def cancel(self) -> None:
        """Stop generating; the frames already received stay."""
        if self.runner.busy:
            self.runner.cancel()

    def shutdown(self) -> None:
        """Cancel a running generation and wait for its thread (the window is closing)."""
        self._accepting = False
        self.runner.shutdown(SHUTDOWN_WAIT_MS)
        self.panel.save(_settings())

    @Slot(int, int, object)
    def _frame_arrived(self, run: int, index: int, frame: object) -> None:
        if run == self._run and self._accepting:
            if self._pending is not None:  # the run's first frame replaces the old ones
                take, avatar_path, request, count = self._pending
                self._pending = None
                self._made_for = (take, avatar_path, request)
                self.view.reset(count, request.fps)
                self.view.set_time(self.window.playback.time)
            self.view.add_frame(index, frame)  # type: ignore[arg-type]

    def _done(self, made: object) -> None:
        self._accepting = False
        text = f"Generated {made} talking-head frames"
        self.panel.show_message(text)
        self.panel.show_progress(1.0, "done")
        self.window.statusBar().showMessage(text, 5000)

    def _failed(self, message: str, _expected: bool) -> None:
        self._accepting = False
        self._pending = None
        self.panel.show_progress(0.0, "")
        self._problem(message)

    def _cancelled(self) -> None:
        self._accepting = False
        if self._pending is not None:
            self._pending = None
            text = "Generation cancelled before its first frame; the frames on show are kept"
        else:
            text = (f"Generation cancelled: {self.view.frame_count} of {self.view.expected} "
                    "frames kept")
        self.panel.show_message(text)
        self.window.statusBar().showMessage(text, 8000)

    def _problem(self, message: str) -> None:
        self.panel.show_message(message)
        self.window.show_error(ERROR_TITLE, message)

    # ------------------------------------------------------------------ what changes

    def show_time(self, t: float) -> None:
        """Follow the playhead (the window calls this with every time shown)."""
        if self.view.isVisible() or self.view.frame_count:
            self.view.set_time(t)

    def _generator_changed(self, _name: str) -> None:
        self._refresh()
        self._save()

    def _refresh(self) -> None:
        """Show the frames view with the talking head, and whether its frames are current."""
        self.view.setVisible(self.active)
        if self.active:
            self.view.set_time(self.window.playback.time)
        self._update_stale()

    def _settings_changed(self) -> None:
        self._update_stale()
        self._save()

    def _session_changed(self, _what: str) -> None:
        self._update_stale()

    def _update_stale(self) -> None:
        made = self._made_for
        if made is None:
            return
        take, avatar_path, request = made
        session = self.window.session
        reason = ""
        if session.take is None or session.take is not take:
            reason = "the take changed"
        elif session.avatar_path != avatar_path:
            reason = "the avatar changed"
        elif not request.draws_like(self.request()):
            reason = "the settings changed"
        self.view.set_stale(bool(reason), reason)

    def _save(self) -> None:
        self.panel.save(_settings())

    # ------------------------------------------------------------------ export

    def export_note(self) -> str | None:
        """What the export dialog should say about the ``.mp4`` (``None`` with the rig)."""
        if not self.active:
            return None
        side = self.panel.frame_side()
        reuse = " (the frames on show are used)" if self._reusable(self.request()) else ""
        return (f"Generator: Talking head. The video (.mp4) is the talking-head video, "
                f"{side} × {side}{reuse}; the other formats are the rig's.")

    def export_writers(self, fps: float) -> dict[str, OutputWriter]:
        """Writers replacing the exporters for some extensions: with the switch on Talking
        head, ``.mp4`` becomes the talking-head video at ``fps``; none with the rig."""
        if not self.active:
            return {}
        request = self.request(fps)
        session = self.window.session
        avatar = session.avatar
        frames = self._reusable(request)
        made_take = self._made_for[0] if self._made_for is not None else None

        def write(take: Any, dest: Path, progress: ProgressSink, cancel: CancelToken) -> Path:
            from studio.talking_head_video import render_talking_head

            if frames is not None and take is made_take:
                return render_talking_head(take, avatar, dest, request, progress=progress,
                                           cancel=cancel, frames=frames)
            with _pipeline_turn(progress, cancel):
                return render_talking_head(take, avatar, dest, request, progress=progress,
                                           cancel=cancel)

        return {".mp4": write}

    def _reusable(self, request: TalkingHeadRequest) -> list[np.ndarray] | None:
        """The frames on show, in order, when they are complete and made for ``request`` and
        the current take and avatar."""
        made = self._made_for
        if (made is None or not self.view.complete or self.view.stale or self.busy
                or not made[2].draws_like(request)):
            return None
        frames = self.view.frames
        return [frames[i] for i in range(self.view.expected)]


def _settings() -> Any:
    from studio.qt.main_window import settings  # the window's QSettings (imported late)

    return settings()

