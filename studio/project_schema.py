"""The in-memory project: what an ``.affect.json`` file holds, with no I/O and no Qt.

Paths are absolute in memory (:mod:`studio.project_io` makes them relative to the project
file on save and resolves them again on load).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from generators.take import VisemeSegment

__all__ = [
    "CURRENT_VERSION",
    "FORMAT_NAME",
    "TALKING_HEAD_GUIDANCE",
    "TALKING_HEAD_SIDE_STEP",
    "TALKING_HEAD_STEPS",
    "TALKING_HEAD_STRENGTH",
    "Project",
    "ProjectLipSync",
    "ProjectSegment",
    "ProjectTalkingHead",
]

FORMAT_NAME: str = "affect-studio-project"
"""Value of the ``"format"`` key that marks a project file."""

CURRENT_VERSION: int = 1
"""Schema version written by this release."""

TALKING_HEAD_STEPS: tuple[int, int] = (1, 100)
"""Lowest and highest talking-head denoising steps a project may hold (the studio's range)."""
TALKING_HEAD_GUIDANCE: tuple[float, float] = (0.0, 20.0)
"""Lowest and highest talking-head guidance a project may hold."""
TALKING_HEAD_STRENGTH: tuple[float, float] = (0.05, 1.0)
"""Lowest and highest talking-head strength a project may hold."""
TALKING_HEAD_SIDE_STEP: int = 64
"""Talking-head frame sides are multiples of this many pixels."""


@dataclass(frozen=True)
class ProjectSegment:
    """One emotion prompt placed on the timeline.

    Parameters
    ----------
    start
        Start time in seconds (>= 0).
    end
        End time in seconds (> ``start``), or ``None``: until the next segment or the end.
    prompt
        Free-text emotion prompt, as typed by the user.
    intensity
        Strength 0..1 replacing what the words imply, or ``None``: from the words.
    speed
        How fast the change into this prompt goes (1 normal, 3 "suddenly"), or ``None``: from
        the words (:func:`~generators.emotion.speed_words.prompt_speed`).
    """

    start: float
    end: float | None
    prompt: str
    intensity: float | None = None
    speed: float | None = None


@dataclass(frozen=True)
class ProjectLipSync:
    """The lip sync as corrected by hand, with the voice line it was corrected for.

    Parameters
    ----------
    audio_sha256
        Hash of the voice line (:attr:`~generators.audio.AudioClip.sha256`) whose analysis the
        corrections belong to, with the project's transcript and language; other audio drops
        them.
    visemes
        The corrected viseme timeline, contiguous from 0 to the clip's duration.
    """

    audio_sha256: str
    visemes: tuple[VisemeSegment, ...]


@dataclass(frozen=True)
class ProjectTalkingHead:
    """The studio's generator switch and talking-head settings.

    The models' file is not here: it is a setting of the machine (the studio's user
    settings), not of the project. The defaults are those of
    :class:`studio.talking_head_video.TalkingHeadRequest`.

    Parameters
    ----------
    enabled
        Whether the switch is on Talking head (an exported ``.mp4`` is its video).
    reference_path
        Absolute path of the reference portrait, or ``None``: frames start from noise.
    steps, guidance, strength
        As in :class:`studio.talking_head_video.TalkingHeadRequest`, within
        :data:`TALKING_HEAD_STEPS`, :data:`TALKING_HEAD_GUIDANCE` and
        :data:`TALKING_HEAD_STRENGTH`.
    size
        Side of the square frames in pixels (a multiple of :data:`TALKING_HEAD_SIDE_STEP`).
    """

    enabled: bool = False
    reference_path: Path | None = None
    steps: int = 4
    guidance: float = 1.0
    strength: float = 0.7
    size: int = 512


@dataclass
class Project:
    """Everything needed to reopen a piece of work.

    Parameters
    ----------
    version
        Schema version the project was read as (always :data:`CURRENT_VERSION` after
        loading: older files are migrated).
    audio_path
        Absolute path of the voice line, or ``None`` when none was chosen yet.
    transcript
        What is said, or ``None``: recognise phones from the audio.
    language
        The spoken language (:data:`~generators.language.LANGUAGES`): ``"auto"`` (files
        without the field), ``"en"``, or ``"other"`` (lip sync from the sound alone).
    segments
        Emotion prompts along the timeline.
    intensity
        Global emotion intensity 0..1.
    seed
        Seed for blinks and idle motion.
    generator
        Generator name (``"rig"``...).
    fps, width, height
        Render settings.
    avatar_path
        Absolute path of the avatar file, or ``None``: the default avatar.
    controls
        Animation controls (:class:`~generators.controls.AnimationControls` name ->
        multiplier 0..2); absent names keep their default of 1.
    lip_sync
        The hand-corrected viseme timeline, or ``None``: the analysis as it is.
    talking_head
        The talking-head switch and settings, or ``None``: the studio's own defaults.
    """

    version: int = CURRENT_VERSION
    audio_path: Path | None = None
    transcript: str | None = None
    language: str = "auto"
    segments: list[ProjectSegment] = field(default_factory=list)
    intensity: float = 1.0
    seed: int = 0
    generator: str = "rig"
    fps: float = 30.0
    width: int = 1280
    height: int = 720
    avatar_path: Path | None = None
    controls: dict[str, float] = field(default_factory=dict)
    lip_sync: ProjectLipSync | None = None
    talking_head: ProjectTalkingHead | None = None

    def referenced_files(self) -> dict[str, Path]:
        """The files the project points to, by role (``"audio"``, ``"avatar"``, and
        ``"reference"``: the talking-head reference portrait)."""
        files: dict[str, Path] = {}
        if self.audio_path is not None:
            files["audio"] = self.audio_path
        if self.avatar_path is not None:
            files["avatar"] = self.avatar_path
        if self.talking_head is not None and self.talking_head.reference_path is not None:
            files["reference"] = self.talking_head.reference_path
        return files

    def missing_files(self) -> dict[str, Path]:
        """Referenced files that do not exist (yet): the user can relink them.

        Examples
        --------
        >>> list(Project(audio_path=Path("/nonexistent/line.wav")).missing_files())
        ['audio']
        """
        return {role: p for role, p in self.referenced_files().items() if not p.is_file()}
