"""The studio window's avatar commands: open an avatar file, go back to the default one, and
edit the ARKit mapping of the avatar in use.

Avatar files load on the window's loader thread (the window stays responsive, the status bar
shows the job); the switch happens on the UI thread only once the file has loaded, so a file
that cannot be used is reported and the previous avatar stays. Each switch is one undo step.
After the mapping editor saves, the avatar file is read again and the viewport redrawn.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu

from renderers.arkit import ARKIT_NAMES
from renderers.avatar import Avatar
from renderers.errors import AvatarError
from renderers.loaders.mapping_profile import profile_path_for
from studio.errors import StudioError
from studio.mapping_edit import MappingData, read_mapping_data
from studio.qt.commands import ValueCommand
from studio.qt.mapping_editor import MappingEditor
from studio.session import Session

if TYPE_CHECKING:
    from studio.qt.main_window import MainWindow

__all__ = ["AVATAR_FILTER", "AvatarActions", "AvatarChoice", "avatar_summary"]

AVATAR_SUFFIXES = (".glb", ".gltf", ".vrm", ".obj")
AVATAR_FILTER = ("Avatars: glTF, GLB, VRM, OBJ (" + " ".join(f"*{s}" for s in AVATAR_SUFFIXES)
                 + ");;All files (*)")
MAPPABLE_SUFFIXES = AVATAR_SUFFIXES
"""Avatar files whose morph targets the mapping editor can list."""
NO_FILE_TIP = ("The default avatar has no file of its own to map: open an avatar first "
               "(File > Open avatar…)")


def _stamp(path: Path | None) -> tuple[Any, ...] | None:
    """When the avatar file and its mapping profile last changed (``None``: default avatar)."""
    if path is None:
        return None
    parts: list[Any] = []
    for p in (path, profile_path_for(path)):
        try:
            st = p.stat()
            parts.append((st.st_mtime_ns, st.st_size))
        except OSError:
            parts.append(None)
    return tuple(parts)


class AvatarChoice:
    """An avatar as the undo stack keeps it: its file and the avatar loaded from it.

    Parameters
    ----------
    path
        The avatar file, or ``None`` for the default avatar.
    avatar
        The avatar loaded from it.
    """

    def __init__(self, path: Path | None, avatar: Avatar) -> None:
        self.path = path
        self.avatar = avatar
        self.stamp = _stamp(path)

    @classmethod
    def load(cls, path: Path | None) -> AvatarChoice:
        """Load ``path`` (``None``: the default avatar); safe on a worker thread.

        Raises
        ------
        StudioError
            The file cannot be used (the avatar error's one-line message).
        """
        stamp = _stamp(path)  # taken first: a change during the load shows as stale later
        try:
            avatar = Session.load_avatar_file(path)
        except AvatarError as exc:
            raise StudioError(" ".join(str(exc).split())) from None
        choice = cls(path, avatar)
        choice.stamp = stamp
        return choice

    def current(self) -> Avatar:
        """The avatar, read again first if its file or mapping changed since it was loaded
        (the one loaded earlier stays when the file can no longer be read)."""
        if self.path is not None and _stamp(self.path) != self.stamp:
            try:
                fresh = AvatarChoice.load(self.path)
            except StudioError:
                return self.avatar
            self.avatar, self.stamp = fresh.avatar, fresh.stamp
        return self.avatar

    @property
    def name(self) -> str:
        """The file's stem, or the default avatar's name."""
        return self.path.stem if self.path is not None else self.avatar.name


def avatar_summary(name: str, avatar: Avatar) -> str:
    """One status-bar line: how many ARKit shapes ``avatar`` can show, and its first note.

    Examples
    --------
    >>> from renderers.loaders import default_avatar
    >>> avatar_summary("Default head", default_avatar())
    'Default head: 52 of 52 ARKit shapes'
    """
    total = len(ARKIT_NAMES)
    line = f"{name}: {total - len(avatar.missing_arkit_shapes)} of {total} ARKit shapes"
    if avatar.notes:
        more = f" (+{len(avatar.notes) - 1} more)" if len(avatar.notes) > 1 else ""
        line += f"; note: {avatar.notes[0]}{more}"
    return line


class AvatarActions(QObject):
    """Open avatar, Use default avatar and Edit ARKit mapping for a :class:`MainWindow`.

    Parameters
    ----------
    window
        The studio window (its session, undo stack, loader and status bar are used).
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.editor: MappingEditor | None = None
        w = window._action
        self.act_open = w("O&pen avatar…", self.choose_avatar, None, None,
                          "Use an avatar file (glTF, GLB, VRM, or OBJ with a shapes folder) "
                          "for the preview and export")
        self.act_default = w("Use &default avatar", self.use_default_avatar, None, None,
                             "Go back to the built-in head")
        self.act_mapping = w("Edit ARKit &mapping…", self.edit_mapping, None, None,
                             "Choose which morph target drives each ARKit shape")
        window.session.subscribe(self._session_changed)
        self._update_actions()

    @property
    def session(self) -> Session:
        """The window's session."""
        return self.window.session

    def file_actions(self) -> list[QAction]:
        """The actions for the File menu."""
        return [self.act_open, self.act_default]

    def fill_menu(self, menu: QMenu) -> None:
        """Fill the Avatar menu (tool tips shown: they say why an action is disabled)."""
        menu.setToolTipsVisible(True)
        menu.addActions([self.act_open, self.act_default])
        menu.addSeparator()
        menu.addAction(self.act_mapping)

    # ------------------------------------------------------------------ choosing an avatar

    def _path(self) -> Path | None:
        path = self.session.avatar_path
        return None if path is None else Path(path)

    def choose_avatar(self) -> None:
        """Ask for an avatar file and open it."""
        current = self._path()
        folder = str(current.parent) if current is not None else self.window._start_folder()
        path, _ = QFileDialog.getOpenFileName(self.window, "Open an avatar", folder,
                                              AVATAR_FILTER)
        if path:
            self.open_avatar(Path(path))

    def open_avatar(self, path: Path) -> None:
        """Load ``path`` in the background, then use it (one undo step); a file that cannot
        be used is reported and the avatar in use stays."""
        path = Path(path).absolute()

        def job(progress: Any, cancel: Any) -> AvatarChoice:
            progress.report(0.0, f"reading {path.name}")
            return AvatarChoice.load(path)

        self.window._start_load(f"Loading avatar {path.name}", job, self.use_choice,
                                "Cannot open this avatar")

    def use_default_avatar(self) -> None:
        """Go back to the built-in head (one undo step)."""
        if self.session.avatar_path is None:
            self.window.statusBar().showMessage("The default avatar is already in use", 5000)
            return
        try:
            choice = AvatarChoice.load(None)
        except StudioError as exc:
            self.window.show_error("Cannot use the default avatar", str(exc))
            return
        self.use_choice(choice)

    def use_choice(self, choice: AvatarChoice) -> None:
        """Make a loaded avatar the one in use, as one undo step."""
        session = self.session
        old_path = self._path()
        if old_path == choice.path and choice.path is None:
            return
        old = AvatarChoice(old_path, session.avatar)
        self.window.undo_stack.push(
            ValueCommand(f"Use avatar {choice.name}", self._apply, old, choice))

    def _apply(self, choice: AvatarChoice) -> None:
        self.session.use_avatar(choice.path, choice.current())

    # ------------------------------------------------------------------ mapping

    def edit_mapping(self) -> None:
        """Read the avatar file's morph-target names in the background, then open the
        mapping editor."""
        path = self._path()
        if path is None:
            self.window.statusBar().showMessage(NO_FILE_TIP, 8000)
            return

        def job(progress: Any, cancel: Any) -> MappingData:
            progress.report(0.0, f"reading the targets of {path.name}")
            try:
                return read_mapping_data(path)
            except AvatarError as exc:
                raise StudioError(" ".join(str(exc).split())) from None

        self.window._start_load(f"Reading {path.name}", job, self.open_editor,
                                "Cannot edit the mapping of this avatar")

    def open_editor(self, data: MappingData) -> MappingEditor:
        """Show the mapping editor for ``data`` (window-modal, does not block)."""
        editor = MappingEditor(data, self.window)
        editor.saved.connect(self._mapping_saved)
        self.editor = editor
        editor.open()
        return editor

    def _mapping_saved(self, avatar_path: Path) -> None:
        def job(progress: Any, cancel: Any) -> AvatarChoice:
            progress.report(0.0, f"reading {avatar_path.name} again")
            return AvatarChoice.load(avatar_path)

        def done(choice: AvatarChoice) -> None:
            if self._path() != choice.path:
                return  # another avatar was chosen meanwhile
            self.session.use_avatar(choice.path, choice.avatar)
            self.window.statusBar().showMessage(
                f"Mapping saved: {avatar_summary(choice.name, choice.avatar)}", 8000)

        self.window._start_load(f"Reloading {avatar_path.name}", job, done,
                                "Cannot reload the avatar with its new mapping")

    # ------------------------------------------------------------------ session updates

    def _session_changed(self, what: str) -> None:
        if what != "avatar":
            return
        window = self.window
        window.viewport.set_avatar_provider(lambda: window.session.avatar)
        self._update_actions()
        path = self._path()
        try:
            avatar = self.session.avatar
        except AvatarError:
            return
        name = path.stem if path is not None else avatar.name
        window.statusBar().showMessage(avatar_summary(name, avatar), 8000)

    def _update_actions(self) -> None:
        path = self._path()
        mappable = path is not None and path.suffix.lower() in MAPPABLE_SUFFIXES
        self.act_mapping.setEnabled(mappable)
        if path is None:
            tip = NO_FILE_TIP
        elif not mappable:
            tip = f"{path.name} has no morph targets to map (glTF, GLB, VRM and OBJ do)"
        else:
            tip = f"Choose which morph target of {path.name} drives each ARKit shape"
        self.act_mapping.setToolTip(tip)
        self.act_mapping.setStatusTip(tip)
        self.act_default.setEnabled(path is not None)
