"""One render as data: what ``affect-studio render`` and each batch job turn into outputs.

A :class:`RenderSpec` names the voice line, what is said, the emotion, the controls, the avatar
and the output settings; :func:`render` builds a :class:`~studio.session.Session` from it,
generates the take and writes every output through the exporter registry (each atomically).
The CLI's ``render`` command and the batch jobs both go through here, so a batch line and the
same options on the command line give the same files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from generators.errors import Cancelled
from generators.language import AUTO
from generators.progress import CancelToken, NullProgress, ProgressSink, SubProgress
from studio.errors import StudioError
from studio.session import Session
from studio.talking_head_video import TalkingHeadRequest

__all__ = ["RenderSpec", "render", "session_for"]

VIDEO_SUFFIXES = (".mp4", ".mov", ".png")
"""Outputs that render frames (their share of the progress is larger)."""


@dataclass(frozen=True)
class RenderSpec:
    """Everything one render needs.

    Parameters
    ----------
    audio
        The voice line.
    transcript
        What is said (``None``: recognise the phones from the audio).
    language
        ``auto``, ``en`` or ``other`` (:mod:`generators.language`).
    prompt
        Emotion prompt (ignored when ``emotion_track`` is given).
    emotion_track
        A prompts-along-the-timeline file (:mod:`studio.emotion_track_file`).
    visemes
        A hand-corrected lip-sync file (:mod:`studio.viseme_track_file`).
    intensity
        Emotion intensity 0..1.
    controls
        Animation-control overrides by name (``follow_voice``, ``emotion_transition``,
        ``head_motion``...: :class:`~generators.controls.AnimationControls`).
    avatar
        Avatar file (``None``: the built-in head).
    fps, size, seed
        Frame rate, video size and the seed of blinks and idle motion.
    talking_head
        When given, ``.mp4`` outputs are talking-head videos made by the diffusion generator
        from the rig's take (:mod:`studio.talking_head_video`); the other outputs are the
        rig's.
    """

    audio: Path
    transcript: str | None = None
    language: str = AUTO
    prompt: str = ""
    emotion_track: Path | None = None
    visemes: Path | None = None
    intensity: float = 1.0
    controls: Mapping[str, float] = field(default_factory=dict)
    avatar: Path | None = None
    fps: float = 30.0
    size: tuple[int, int] = (1280, 720)
    seed: int = 0
    talking_head: TalkingHeadRequest | None = None


def session_for(spec: RenderSpec) -> Session:
    """A session set up as ``spec`` says (audio decoded, avatar not loaded yet).

    Raises
    ------
    GeneratorError, StudioError
        Bad audio, prompt, track, viseme file or control values (one-line messages).
    """
    session = Session()
    session.settings.fps = spec.fps
    session.settings.width, session.settings.height = spec.size
    session.seed = spec.seed
    session.load_audio(spec.audio)
    session.set_transcript(spec.transcript)
    session.set_language(spec.language)
    if spec.visemes is not None:
        from studio.viseme_track_file import load_viseme_track

        assert session.audio is not None
        session.set_visemes(load_viseme_track(spec.visemes, session.audio.duration))
    session.set_intensity(spec.intensity)
    changes = {}
    if spec.emotion_track is not None:
        from studio.emotion_track_file import load_emotion_track

        track = load_emotion_track(spec.emotion_track)
        session.set_emotion_track(track)
        changes["emotion_transition"] = track.transition
    else:
        session.set_prompt(spec.prompt)
    changes.update(spec.controls)
    if changes:
        session.set_controls(session.controls.replace(**changes))
    if spec.avatar is not None:
        session.set_avatar_path(str(spec.avatar))  # loads it: a bad avatar fails before work
    return session


def render(
    spec: RenderSpec,
    outputs: Sequence[Path],
    *,
    progress: ProgressSink | None = None,
    cancel: CancelToken | None = None,
    keep_partial: bool = True,
) -> list[Path]:
    """Generate ``spec``'s take and write every output (format by extension).

    Parameters
    ----------
    spec
        What to generate.
    outputs
        The files to write; each format is chosen by its extension.
    progress, cancel
        Progress reporting and cancellation.
    keep_partial
        When cancelled between outputs, keep the ones already written (``True``) or remove
        them so that a cancelled render leaves none of its outputs (``False``, for batch jobs).

    Returns
    -------
    list of Path
        The files written, in the order of ``outputs``.

    Raises
    ------
    GeneratorError, RendererError, StudioError
        Bad input or an unwritable output; nothing half-written is left.
    Cancelled
        ``cancel`` was set; outputs written so far stay unless ``keep_partial`` is false,
        the one in progress is never left.
    """
    from studio.exporters.base import check_writable, exporter_for

    talking_head = spec.talking_head
    for out in outputs:  # bad outputs fail before any work
        exporter_for(out)
        check_writable(out)
        if talking_head is not None and _is_video(out) and out.suffix.lower() != ".mp4":
            raise StudioError(f"the talking-head generator writes .mp4 video, not {out.name}; "
                              "name the output NAME.mp4")
    if talking_head is not None:
        if not any(_is_video(out) for out in outputs):
            raise StudioError("the talking-head generator makes the .mp4 video; add an output "
                              "NAME.mp4 (or leave the generator to the rig)")
        from studio.talking_head_video import check_talking_head_request

        check_talking_head_request(talking_head)  # missing models fail before any work
    progress = progress or NullProgress()
    session = session_for(spec)
    frames = any(_is_video(o) for o in outputs)
    if frames:
        _ = session.avatar  # the default head, loaded before the long work
    gen_share = 0.3 if frames else 0.9
    session.generate(progress=SubProgress(progress, 0.0, gen_share), cancel=cancel)
    written = []
    span = (1.0 - gen_share) / max(len(outputs), 1)
    try:
        for i, out in enumerate(outputs):
            if cancel is not None:
                cancel.raise_if_cancelled()
            start = gen_share + i * span
            part = SubProgress(progress, start, start + span)
            if talking_head is not None and _is_video(out):
                written.append(_talking_head_video(session, out, talking_head, part, cancel))
            else:
                written.append(session.export(out, progress=part, cancel=cancel))
    except Cancelled:
        if not keep_partial:
            for path in written:
                path.unlink(missing_ok=True)
        raise
    progress.report(1.0, "done")
    return written


def _is_video(path: Path) -> bool:
    return path.name.lower().endswith(VIDEO_SUFFIXES)


def _talking_head_video(session: Session, out: Path, request: TalkingHeadRequest,
                        progress: ProgressSink, cancel: CancelToken | None) -> Path:
    from studio.talking_head_video import render_talking_head

    assert session.take is not None  # generated above
    return render_talking_head(session.take, session.avatar, out, request, progress=progress,
                               cancel=cancel)
