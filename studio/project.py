"""The ``.affect.json`` project file: save a session's choices and reopen them later.

The schema lives in :mod:`studio.project_schema`, reading and writing in
:mod:`studio.project_io`; this module adds the bridge to :class:`~studio.session.Session`.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> project = Project(segments=[ProjectSegment(0.0, None, "calm")], seed=7)
>>> path = save_project(project, folder / "scene.affect.json")
>>> load_project(path) == project
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from generators.audio import AudioClip
from generators.controls import AnimationControls
from generators.emotion.parse import parse_prompt
from generators.emotion.speed_words import prompt_speed
from generators.errors import GeneratorError, PromptError
from generators.language import LANGUAGES
from generators.take import EmotionSegment, EmotionTrack, VisemeSegment
from generators.viseme_edit import VisemeEditError, validate_timeline
from renderers.avatar import Avatar
from renderers.errors import AvatarError
from studio.errors import ProjectError
from studio.project_io import (
    MAX_SEGMENTS,
    PROJECT_SUFFIX,
    load_project,
    migrate,
    save_project,
)
from studio.project_schema import (
    CURRENT_VERSION,
    FORMAT_NAME,
    Project,
    ProjectLipSync,
    ProjectSegment,
)
from studio.session import RenderSettings, Session

__all__ = [
    "CURRENT_VERSION",
    "FORMAT_NAME",
    "MAX_SEGMENTS",
    "PROJECT_SUFFIX",
    "PreparedProject",
    "Project",
    "ProjectError",
    "ProjectLipSync",
    "ProjectSegment",
    "apply_project",
    "load_project",
    "migrate",
    "prepare_project",
    "save_project",
    "session_to_project",
]


def _segment_intensity(seg: EmotionSegment) -> float | None:
    """The intensity override that reproduces ``seg.state`` from its prompt, if one is found.

    :class:`~generators.take.EmotionSegment` keeps the parsed state, not the override it
    was parsed with; ``None`` (the words' own strength) or the state's intensity cover
    prompts without intensity modifiers. Otherwise the override is not recoverable and
    ``None`` is stored.
    """
    try:
        if parse_prompt(seg.prompt) == seg.state:
            return None
        candidate = round(float(seg.state.intensity), 6)
        if parse_prompt(seg.prompt, candidate) == seg.state:
            return candidate
    except PromptError:
        pass
    return None


def _build_controls(values: dict[str, float]) -> AnimationControls:
    """:class:`AnimationControls` from stored values; absent names keep their default."""
    try:
        return AnimationControls.from_dict(values)
    except PromptError as exc:
        raise ProjectError(f"animation controls: {exc}") from None


def session_to_project(session: Session) -> Project:
    """Capture the state of ``session`` as a :class:`Project` (paths made absolute)."""
    audio = session.audio
    audio_path = Path(os.path.abspath(audio.source)) if audio is not None and audio.source else None
    return Project(
        version=CURRENT_VERSION,
        audio_path=audio_path,
        transcript=session.transcript,
        language=session.language,
        segments=[
            ProjectSegment(float(s.start), None if s.end is None else float(s.end), s.prompt,
                           s.intensity if s.intensity is not None else _segment_intensity(s),
                           None if s.speed == prompt_speed(s.prompt) else float(s.speed))
            for s in sorted(session.emotion.segments, key=lambda s: s.start)
        ],
        intensity=float(session.intensity),
        seed=int(session.seed),
        generator=session.generator_name,
        fps=float(session.settings.fps),
        width=int(session.settings.width),
        height=int(session.settings.height),
        avatar_path=None
        if session.avatar_path is None
        else Path(os.path.abspath(session.avatar_path)),
        controls=session.controls.as_dict(),
        lip_sync=None
        if session.visemes is None or audio is None
        else ProjectLipSync(audio.sha256, session.visemes),
    )


@dataclass
class PreparedProject:
    """A project whose audio is decoded and prompts parsed, ready to apply in one step.

    Made by :func:`prepare_project` (slow part; safe on a worker thread, touches no
    session) and applied with :meth:`apply_to` (fast; cannot fail). ``visemes`` are the
    hand-corrected lip sync that still applies (checked against the audio); ``notices`` say
    what was dropped and why, for the user. ``avatar`` is the project's avatar, loaded
    (``None``: the default avatar); when the project's avatar file is missing or unusable it
    is ``None`` and ``avatar_problem`` says so in one line (the rest of the project applies).
    """

    project: Project
    audio: AudioClip | None
    emotion: EmotionTrack
    controls: AnimationControls
    settings: RenderSettings
    missing: list[str]
    visemes: tuple[VisemeSegment, ...] | None = None
    notices: tuple[str, ...] = ()
    avatar: Avatar | None = None
    avatar_problem: str = ""

    def apply_to(self, session: Session) -> list[str]:
        """Make ``session`` reflect the project; return the roles of missing files."""
        project = self.project
        session.audio = self.audio
        session.take = None
        text = project.transcript
        session.transcript = text.strip() if text and text.strip() else None
        session.language = project.language
        session.emotion = self.emotion
        session.intensity = float(project.intensity)
        session.seed = int(project.seed)
        session.generator_name = project.generator
        session.settings = self.settings
        loaded = self.avatar is not None and project.avatar_path is not None
        session.avatar_path = str(project.avatar_path) if loaded else None
        session._avatar = self.avatar if loaded else None
        session.controls = self.controls
        lip_sync = project.lip_sync
        session.restore_visemes(self.visemes, lip_sync.audio_sha256 if lip_sync else "")
        for what in (
            "audio", "transcript", "language", "emotion", "intensity", "avatar", "settings",
            "controls", "visemes",
        ):
            session._changed(what)
        return list(self.missing)


def prepare_project(project: Project) -> PreparedProject:
    """Decode the audio and parse the prompts of ``project`` without touching any session.

    A missing audio file is not an error: the prepared project then has no audio, and the
    file is listed in :meth:`Project.missing_files` for the user to relink. Neither is a
    missing or unusable avatar file: the default avatar stands in and
    :attr:`PreparedProject.avatar_problem` says why.

    Raises
    ------
    ProjectError
        If the audio cannot be decoded, a prompt cannot be understood or a setting is invalid.
    """
    missing = project.missing_files()
    audio: AudioClip | None = None
    if project.audio_path is not None and "audio" not in missing:
        try:
            audio = AudioClip.load(project.audio_path)
        except GeneratorError as exc:
            raise ProjectError(f"project audio: {exc}") from None
    segments = []
    for i, seg in enumerate(project.segments):
        try:
            state = parse_prompt(seg.prompt, seg.intensity)
        except PromptError as exc:
            raise ProjectError(f"emotion segment {i} ({seg.prompt!r:.40}): {exc}") from None
        segments.append(
            EmotionSegment(
                seg.start,
                seg.end,
                seg.prompt,
                state,
                prompt_speed(seg.prompt) if seg.speed is None else seg.speed,
                seg.intensity,
            )
        )
    if not 0.0 <= project.intensity <= 1.0:
        raise ProjectError(f"intensity must be between 0 and 1, got {project.intensity}")
    if project.language not in LANGUAGES:
        raise ProjectError(
            f"language must be one of {', '.join(LANGUAGES)}, got {project.language!r:.40}"
        )
    visemes, notices = _lip_sync_for(project.lip_sync, audio)
    avatar, avatar_problem = _avatar_for(project.avatar_path, "avatar" in missing)
    return PreparedProject(
        project=project,
        audio=audio,
        emotion=EmotionTrack(segments),
        controls=_build_controls(project.controls),
        settings=RenderSettings(fps=project.fps, width=project.width, height=project.height),
        missing=sorted(missing),
        visemes=visemes,
        notices=notices,
        avatar=avatar,
        avatar_problem=avatar_problem,
    )


def _avatar_for(path: Path | None, missing: bool) -> tuple[Avatar | None, str]:
    """The project's avatar loaded, or ``None`` (the default) and why it stands in."""
    if path is None:
        return None, ""
    if missing:
        return None, (f"the avatar file {path.name} is missing, so the default avatar is shown "
                      "(put the file back, or choose the avatar again, then save)")
    try:
        return Session.load_avatar_file(path), ""
    except AvatarError as exc:
        detail = " ".join(str(exc).split())
        return None, ("the project's avatar cannot be used, so the default avatar is shown: "
                      f"{detail}")


def _lip_sync_for(
    lip_sync: ProjectLipSync | None, audio: AudioClip | None
) -> tuple[tuple[VisemeSegment, ...] | None, tuple[str, ...]]:
    """The corrected visemes that still apply to ``audio``, and a notice if they were dropped.

    Without audio (a missing file) they are kept, to apply once the same file is relinked.
    """
    if lip_sync is None:
        return None, ()
    if audio is None:
        return lip_sync.visemes, ()
    if audio.sha256 != lip_sync.audio_sha256:
        return None, (
            "The voice line changed since its lip sync was corrected by hand: the corrections "
            "were dropped",
        )
    try:
        return validate_timeline(lip_sync.visemes, audio.duration), ()
    except VisemeEditError as exc:
        raise ProjectError(f"lipSync: {exc}") from None


def apply_project(project: Project, session: Session) -> list[str]:
    """Make ``session`` reflect ``project``: audio, transcript, prompts, settings, avatar.

    Everything is prepared first (:func:`prepare_project`: audio decoded, prompts parsed)
    and assigned only when all of it succeeded, so on error the session is left unchanged.

    Returns
    -------
    list of str
        Roles of referenced files that are missing (``"audio"``, ``"avatar"``).

    Raises
    ------
    ProjectError
        If the audio cannot be decoded, a prompt cannot be understood or a setting is invalid.
    """
    return prepare_project(project).apply_to(session)
