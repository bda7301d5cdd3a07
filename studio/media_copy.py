"""Copy a project's media (voice line, avatar, reference portrait) into the project folder.

A project stores its media paths relative to the project file and refuses, on load, paths
that leave the project folder; media elsewhere must therefore be copied in first, before
saving. The voice line and the talking-head reference portrait go directly into the folder;
the avatar, which may be many files (a ``.gltf`` with its
buffers and images, an ``.obj`` with its materials, textures and shapes folder, a mapping
profile), goes into ``avatars/<avatar stem>/`` with its files laid out as beside the original
(:func:`~renderers.loaders.avatar_files.avatar_files`).

Nothing is overwritten: a different file or avatar already there makes the copy take the next
free name (``greeting-1.flac``, ``avatars/head-1/``); an identical one is used as it is. Every
copy is made under a temporary name in the destination and renamed when complete, and a
failure removes whatever this copy created, so no half-copied file or avatar folder is left
behind.

Examples
--------
>>> import tempfile
>>> base = Path(tempfile.mkdtemp())
>>> (base / "project").mkdir()
>>> clip = base / "take.wav"
>>> _ = clip.write_bytes(b"RIFF")
>>> outside = find_outside(base / "project", audio=clip, avatar=None)
>>> outside.audio == clip, outside.avatar
(True, None)
>>> copy_file_into(clip, base / "project").name
'take.wav'
>>> copy_file_into(clip, base / "project").name  # the same file again: used as it is
'take.wav'
"""

from __future__ import annotations

import filecmp
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from renderers.errors import AvatarError
from renderers.loaders.avatar_files import avatar_files
from studio.errors import ProjectError

__all__ = [
    "AVATARS_FOLDER",
    "CopiedMedia",
    "OutsideMedia",
    "copy_avatar_into",
    "copy_file_into",
    "copy_media_into",
    "copy_question",
    "copy_tree_into",
    "find_outside",
    "is_inside",
]

AVATARS_FOLDER = "avatars"
"""The project subfolder avatars are copied into (one folder per avatar)."""

MAX_NAME_TRIES = 1000
"""Most ``-1``, ``-2``... names tried before giving up."""


def is_inside(path: str | Path, folder: str | Path) -> bool:
    """Whether ``path`` lies inside ``folder`` (directly, or through a symbolic link).

    Examples
    --------
    >>> is_inside("/a/b/c.wav", "/a"), is_inside("/a/../d.wav", "/a")
    (True, False)
    """
    target, base = Path(os.path.abspath(path)), Path(os.path.abspath(folder))
    return target.is_relative_to(base) or target.resolve().is_relative_to(base.resolve())


@dataclass(frozen=True)
class OutsideMedia:
    """The media of a project that lie outside its folder (``None``: inside, or none).

    Attributes
    ----------
    audio
        The voice line file.
    avatar
        The avatar file (its other files travel with it).
    reference
        The talking-head reference portrait.
    """

    audio: Path | None = None
    avatar: Path | None = None
    reference: Path | None = None

    def __bool__(self) -> bool:
        return any(p is not None for p in (self.audio, self.avatar, self.reference))


def find_outside(folder: str | Path, *, audio: str | Path | None,
                 avatar: str | Path | None,
                 reference: str | Path | None = None) -> OutsideMedia:
    """Which of the voice line, the avatar file and the reference portrait lie outside the
    project ``folder``.

    Parameters
    ----------
    folder
        The project file's folder.
    audio, avatar, reference
        The voice line, the avatar file and the talking-head reference portrait in use;
        ``None`` (no clip, the default avatar, no portrait) has nothing to copy.

    Examples
    --------
    >>> find_outside("/p", audio="/p/a.wav", avatar=None, reference="/m/face.png")
    OutsideMedia(audio=None, avatar=None, reference=PosixPath('/m/face.png'))
    """
    def outside(path: str | Path | None) -> Path | None:
        if path is None or not str(path) or is_inside(path, folder):
            return None
        return Path(os.path.abspath(path))

    return OutsideMedia(audio=outside(audio), avatar=outside(avatar),
                        reference=outside(reference))


def copy_question(outside: OutsideMedia, folder: Path) -> tuple[str, str]:
    """The title and text of the question offering to copy ``outside`` into ``folder``.

    Examples
    --------
    >>> title, text = copy_question(OutsideMedia(Path("/m/a.wav"), Path("/m/head.glb")),
    ...                             Path("/p"))
    >>> title
    'Copy the media?'
    >>> print(text)
    These files are outside the project folder /p:
      voice line: a.wav
      avatar: head.glb (into avatars/head/)
    Copy them into that folder so the project can be moved with its media?
    """
    lines, titles = [], []
    if outside.audio is not None:
        lines.append(f"  voice line: {outside.audio.name}")
        titles.append("Copy the voice line?")
    if outside.avatar is not None:
        lines.append(f"  avatar: {outside.avatar.name} (into {AVATARS_FOLDER}/"
                     f"{outside.avatar.stem}/)")
        titles.append("Copy the avatar?")
    if outside.reference is not None:
        lines.append(f"  reference portrait: {outside.reference.name}")
        titles.append("Copy the reference portrait?")
    title = titles[0] if len(titles) == 1 else "Copy the media?"
    them = "them" if len(lines) > 1 else "it"
    text = "\n".join([f"{'These files are' if len(lines) > 1 else 'This file is'} outside the "
                      f"project folder {folder}:", *lines,
                      f"Copy {them} into that folder so the project can be moved with its "
                      "media?"])
    return title, text


def _same_content(a: Path, b: Path) -> bool:
    try:
        return b.is_file() and filecmp.cmp(a, b, shallow=False)
    except OSError:
        return False


def _copy_error(what: str, folder: Path, exc: OSError) -> ProjectError:
    reason = exc.strerror or type(exc).__name__
    return ProjectError(f"cannot copy {what} into {folder}: {reason} (make the folder "
                        "writable or free some space, or save the project next to it)")


def copy_file_into(source: Path, folder: Path) -> Path:
    """Copy one file into ``folder``; return the copy (an identical file there is reused).

    A different file of the same name is never overwritten: the copy is named
    ``<stem>-1<suffix>``, ``<stem>-2<suffix>``... instead.

    Raises
    ------
    ProjectError
        The file cannot be read or the folder cannot take it; nothing is left behind.
    """
    return _copy_file(source, folder)[0]


def _copy_file(source: Path, folder: Path) -> tuple[Path, bool]:
    """:func:`copy_file_into`, also saying whether the copy is new (``False``: reused)."""
    source = Path(source)
    for n in range(MAX_NAME_TRIES):
        target = folder / (source.name if n == 0 else f"{source.stem}-{n}{source.suffix}")
        if not target.exists() and not target.is_symlink():
            break
        if _same_content(source, target):
            return target, False
    else:
        raise ProjectError(f"cannot copy {source.name} into {folder}: too many files of that "
                           "name (tidy the folder up, or save the project elsewhere)")
    tmp, created = _temporary(folder, target.name), False
    try:
        with open(source, "rb") as src, open(tmp, "xb") as out:  # "x": never an existing file
            created = True
            shutil.copyfileobj(src, out)
        os.replace(tmp, target)
    except OSError as exc:
        if created:
            tmp.unlink(missing_ok=True)
        raise _copy_error(source.name, folder, exc) from None
    return target, True


def _temporary(folder: Path, name: str) -> Path:
    """A fresh hidden ``.part`` name in ``folder`` for a copy of ``name`` in progress."""
    return folder / f".{name}.{secrets.token_hex(6)}.part"


def _files_under(folder: Path, limit: int) -> set[Path] | None:
    """The files under ``folder`` relative to it, or ``None`` past ``limit`` or on an error."""
    found: set[Path] = set()
    try:
        for dirpath, _, names in os.walk(folder):
            for name in names:
                found.add((Path(dirpath) / name).relative_to(folder))
                if len(found) > limit:
                    return None
    except OSError:
        return None
    return found


def _same_tree(root: Path, files: list[Path], dest: Path) -> bool:
    """Whether ``dest`` holds exactly ``files`` (relative to ``root``), byte for byte."""
    if not dest.is_dir() or dest.is_symlink():
        return False
    rels = [f.relative_to(root) for f in files]
    if _files_under(dest, len(rels)) != set(rels):
        return False
    return all(_same_content(f, dest / rel) for f, rel in zip(files, rels, strict=True))


def copy_tree_into(root: Path, files: list[Path], parent: Path, name: str, *,
                   what: str | None = None) -> Path:
    """Copy ``files`` (inside ``root``) into ``parent/<name>/``, keeping their layout.

    A different folder of that name is never touched: ``<name>-1``, ``<name>-2``... are
    tried instead; one that already holds exactly these files is reused. The copy is made in
    a temporary folder inside ``parent`` and renamed when complete.

    Parameters
    ----------
    root
        The folder the files' layout is taken from.
    files
        Files inside ``root``.
    parent
        Where the new folder goes (created when missing, its own parent must exist).
    name
        The new folder's name.
    what
        What is copied, for the error message (default: ``name``).

    Returns
    -------
    Path
        The folder holding the copies.

    Raises
    ------
    ProjectError
        A file cannot be read or ``parent`` cannot take the copy; no folder is left behind
        (``parent`` too is removed again when this call created it and it stays empty).
    """
    root = Path(root)
    for n in range(MAX_NAME_TRIES):
        dest = parent / (name if n == 0 else f"{name}-{n}")
        if not dest.exists() and not dest.is_symlink():
            break
        if _same_tree(root, files, dest):
            return dest
    else:
        raise ProjectError(f"cannot copy {name} into {parent}: too many folders of that name "
                           "(tidy the folder up, or save the project elsewhere)")
    with _created_folder(parent, what or name):
        tmp = _temporary(parent, dest.name)
        tmp.mkdir()  # the usual permissions, unlike tempfile's private folders
        try:
            for file in files:
                target = tmp / file.relative_to(root)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(file, target)
            os.rename(tmp, dest)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return dest


@contextmanager
def _created_folder(folder: Path, what: str) -> Iterator[None]:
    """Create ``folder`` if missing; on an error remove it again if it was created and is
    empty, and turn an ``OSError`` into a :class:`ProjectError`."""
    created = False
    try:
        if not folder.is_dir():
            folder.mkdir()
            created = True
        yield
    except OSError as exc:
        if created:
            with suppress(OSError):
                folder.rmdir()
        raise _copy_error(what, folder, exc) from None


def copy_avatar_into(avatar: Path, project_folder: Path) -> Path:
    """Copy an avatar with all its files into ``<project_folder>/avatars/<stem>/``.

    Parameters
    ----------
    avatar
        The avatar file (``.glb``, ``.gltf``, ``.vrm`` or ``.obj``).
    project_folder
        The project file's folder (must exist).

    Returns
    -------
    Path
        The copied avatar file (the same avatar: it loads exactly as the original).

    Raises
    ------
    ProjectError
        The avatar's files cannot be listed or read, or the folder cannot take them; nothing
        is left behind.
    """
    avatar = Path(os.path.abspath(avatar))
    try:
        files = avatar_files(avatar)
    except AvatarError as exc:
        raise ProjectError(f"cannot copy the avatar: {exc}") from None
    except OSError as exc:
        raise _copy_error(avatar.name, project_folder, exc) from None
    root = avatar.parent.resolve()
    folder = copy_tree_into(root, files, project_folder / AVATARS_FOLDER, avatar.stem,
                            what=f"the avatar {avatar.name}")
    return folder / files[0].relative_to(root)


@dataclass(frozen=True)
class CopiedMedia:
    """Where :func:`copy_media_into` put the media (``None``: not copied)."""

    audio: Path | None = None
    avatar: Path | None = None
    reference: Path | None = None


def copy_media_into(outside: OutsideMedia, folder: Path) -> CopiedMedia:
    """Copy the avatar, the voice line, then the reference portrait of ``outside`` into the
    project ``folder``.

    All are copied or none: when one fails, the copies this call made before it are removed
    again (files that were already there, identical, are left alone).

    Raises
    ------
    ProjectError
        One line saying what could not be copied and what to do.
    """
    folder = Path(os.path.abspath(folder))
    avatars = folder / AVATARS_FOLDER
    fresh_parent = not avatars.exists()
    avatar = None
    before: set[Path] = set()
    if outside.avatar is not None:
        before = set(avatars.iterdir()) if avatars.is_dir() else set()
        avatar = copy_avatar_into(outside.avatar, folder)
    files: dict[str, Path] = {}
    made: list[Path] = []
    try:
        for role, source in (("audio", outside.audio), ("reference", outside.reference)):
            if source is not None:
                files[role], new = _copy_file(source, folder)
                if new:
                    made.append(files[role])
    except ProjectError:
        for copy in made:
            copy.unlink(missing_ok=True)
        if avatar is not None:
            copied = avatars / avatar.relative_to(avatars).parts[0]
            if copied not in before:
                shutil.rmtree(copied, ignore_errors=True)
            if fresh_parent:
                with suppress(OSError):
                    avatars.rmdir()  # only when empty
        raise
    return CopiedMedia(audio=files.get("audio"), avatar=avatar,
                       reference=files.get("reference"))
