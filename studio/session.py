"""Session: the one mutable state object that the GUI and the CLI both drive.

A session holds the user's choices (audio, transcript, emotion prompts, intensity, frame
rate, avatar), produces a :class:`~generators.take.Take` with a generator, and answers
:meth:`Session.pose_at` for preview and export alike.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generators.audio import AudioClip
from generators.base import AnimationControls, GenerationRequest, Generator, create_generator
from generators.emotion.parse import parse_prompt
from generators.errors import GeneratorError, PromptError
from generators.language import AUTO, check_language
from generators.progress import CancelToken, NullProgress, ProgressSink, SubProgress
from generators.take import EmotionTrack, Take, VisemeSegment
from generators.viseme_edit import changed_mask, validate_timeline
from renderers.avatar import Avatar
from renderers.pose import Pose
from studio.errors import StudioError

Listener = Callable[[str], None]
AnalysisJob = Callable[[ProgressSink, CancelToken], Any]

ANALYSIS_SHARE = 0.9
"""Share of :meth:`Session.generate`'s progress taken by the audio analysis."""

MAX_CACHED_ANALYSES = 4
"""Audio analyses kept for undo and for switching back and forth between transcripts."""


@dataclass
class RenderSettings:
    """Output settings shared by preview and export.

    Parameters
    ----------
    fps
        Frames per second of the take and of video output.
    width, height
        Video size in pixels (even numbers for H.264).
    """

    fps: float = 30.0
    width: int = 1280
    height: int = 720


@dataclass
class Session:
    """The state a user edits, and the take generated from it.

    Listeners (the GUI) subscribe with :meth:`subscribe` and are told the name of what
    changed; the session never imports Qt.
    """

    audio: AudioClip | None = None
    transcript: str | None = None
    language: str = AUTO
    emotion: EmotionTrack = field(default_factory=EmotionTrack)
    intensity: float = 1.0
    seed: int = 0
    controls: AnimationControls = field(default_factory=AnimationControls)
    generator_name: str = "rig"
    settings: RenderSettings = field(default_factory=RenderSettings)
    avatar_path: str | None = None
    take: Take | None = None
    _avatar: Avatar | None = field(default=None, repr=False)
    _listeners: list[Listener] = field(default_factory=list, repr=False)
    _generator: Generator | None = field(default=None, repr=False)
    _analyses: OrderedDict[tuple[str, str | None, str], Any] = field(
        default_factory=OrderedDict, repr=False
    )
    _viseme_edits: OrderedDict[Any, tuple[VisemeSegment, ...]] = field(
        default_factory=OrderedDict, repr=False
    )
    _pending_visemes: tuple[Any, tuple[VisemeSegment, ...]] | None = field(default=None, repr=False)

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(what_changed)`` after every change."""
        self._listeners.append(listener)

    def _changed(self, what: str) -> None:
        for listener in list(self._listeners):
            listener(what)

    def load_audio(self, path: str | Path) -> AudioClip:
        """Decode and select a voice line (raises ``AudioError`` on bad input)."""
        self.set_audio(AudioClip.load(path))
        assert self.audio is not None
        return self.audio

    def set_audio(self, clip: AudioClip | None) -> None:
        """Select an already decoded voice line (``None``: no audio); the take is dropped.

        Lip-sync corrections made for another voice line stop applying (see :attr:`visemes`).
        """
        had_edits = self.visemes is not None
        self.audio = clip
        self.take = None
        self._adopt_pending_visemes()
        self._changed("audio")
        self._visemes_followed(had_edits)

    def set_transcript(self, text: str | None) -> None:
        """Set what is said (``None`` or blank: recognise phones from the audio).

        Lip-sync corrections made for another transcript stop applying (see :attr:`visemes`).
        """
        had_edits = self.visemes is not None
        self.transcript = text.strip() if text and text.strip() else None
        self._changed("transcript")
        self._visemes_followed(had_edits)

    def set_language(self, language: str) -> None:
        """Set the spoken language: ``"auto"``, ``"en"`` or ``"other"`` (any language, lip
        sync from the sound alone; see :mod:`generators.language`).

        Like a new transcript, it needs a new audio analysis; lip-sync corrections made under
        another setting stop applying (see :attr:`visemes`).

        Raises
        ------
        GeneratorError
            If ``language`` is not one of the accepted values.
        """
        language = check_language(language)
        had_edits = self.visemes is not None
        self.language = language
        self._changed("language")
        self._visemes_followed(had_edits)

    # ------------------------------------------------------------------ lip-sync corrections

    @property
    def visemes(self) -> tuple[VisemeSegment, ...] | None:
        """The hand-corrected viseme timeline of the current analysis, or ``None``.

        Corrections belong to one analysis (the voice line's hash, the transcript and the
        language): under another voice line, transcript or language they no longer apply and
        this is ``None``
        (listeners hear ``"visemes_set_aside"``); going back (undo) applies them again. The
        corrections of the last :data:`MAX_CACHED_ANALYSES` analyses are kept.
        """
        key = self._analysis_key()
        return None if key is None else self._viseme_edits.get(key)

    def set_visemes(self, visemes: tuple[VisemeSegment, ...] | None) -> None:
        """Correct the lip sync by hand, or go back to the analysis with ``None``.

        Parameters
        ----------
        visemes
            A viseme timeline of the current voice line, contiguous from 0 to its duration
            (made with :mod:`generators.viseme_edit`); it replaces the analysed visemes in
            every take until changed. Re-mapping (:meth:`remap`) is enough to apply it. A
            timeline that says what the analysis says is no correction: :attr:`visemes`
            becomes ``None``.

        Raises
        ------
        StudioError
            If no voice line is selected.
        generators.viseme_edit.VisemeEditError
            If ``visemes`` is not a timeline of the current voice line.
        """
        key = self._analysis_key()
        if visemes is None:
            if key is not None:
                self._viseme_edits.pop(key, None)
        else:
            if key is None or self.audio is None:
                raise StudioError("choose a voice line before correcting its lip sync")
            timeline = validate_timeline(tuple(visemes), self.audio.duration)
            if self._is_analysed(timeline):
                self._viseme_edits.pop(key, None)  # corrected back to what the analysis says
            else:
                self._viseme_edits[key] = timeline
                self._viseme_edits.move_to_end(key)
                while len(self._viseme_edits) > MAX_CACHED_ANALYSES:
                    self._viseme_edits.popitem(last=False)
        self._changed("visemes")

    def _is_analysed(self, timeline: tuple[VisemeSegment, ...]) -> bool:
        analysed = getattr(self.cached_analysis(), "viseme_timeline", None)
        if analysed is None:
            return False
        reference = tuple(analysed())
        return len(reference) == len(timeline) and not any(changed_mask(timeline, reference))

    def viseme_timeline(self) -> tuple[VisemeSegment, ...] | None:
        """The timeline a lip-sync correction starts from: :attr:`visemes` if there are
        corrections, else the analysed visemes; ``None`` until the audio is analysed."""
        if self.visemes is not None:
            return self.visemes
        analysed = getattr(self.cached_analysis(), "viseme_timeline", None)
        return None if analysed is None else tuple(analysed())

    def restore_visemes(
        self, visemes: tuple[VisemeSegment, ...] | None, audio_sha256: str = ""
    ) -> None:
        """Forget every stored correction, then keep ``visemes`` for the voice line whose
        hash is ``audio_sha256`` and the current transcript and language (an opened project's).

        Without a voice line the corrections wait for one with that hash (a missing file
        relinked) under these settings. Emits nothing: the caller announces the change.

        Raises
        ------
        generators.viseme_edit.VisemeEditError
            If the voice line matches but ``visemes`` is not a timeline of it.
        """
        self._viseme_edits.clear()
        self._pending_visemes = None
        if visemes is None:
            return
        if self.audio is None:
            self._pending_visemes = (self._analysis_key_for(audio_sha256), tuple(visemes))
        elif self.audio.sha256 == audio_sha256:
            key = self._analysis_key()
            self._viseme_edits[key] = validate_timeline(tuple(visemes), self.audio.duration)

    def _adopt_pending_visemes(self) -> None:
        pending, clip = self._pending_visemes, self.audio
        if pending is None or clip is None:
            return
        key, visemes = pending
        if key != self._analysis_key():
            return  # not that recording (yet), or other settings: keep waiting
        self._pending_visemes = None
        try:
            timeline = validate_timeline(visemes, clip.duration)
        except GeneratorError:
            return
        self._viseme_edits[self._analysis_key()] = timeline

    def _visemes_followed(self, had_edits: bool) -> None:
        self._adopt_pending_visemes()
        if had_edits and self.visemes is None:
            self._changed("visemes_set_aside")
        elif self.visemes is not None:
            self._changed("visemes")

    def set_prompt(self, prompt: str, intensity: float | None = None) -> None:
        """Use one emotion prompt for the whole clip."""
        self.emotion = EmotionTrack.constant(prompt, parse_prompt(prompt, intensity))
        self._changed("emotion")

    def set_emotion_track(self, track: EmotionTrack) -> None:
        """Use prompts placed along the timeline."""
        self.emotion = track
        self._changed("emotion")

    def set_intensity(self, intensity: float) -> None:
        """Global emotion intensity 0..1."""
        if not 0.0 <= intensity <= 1.0:
            raise PromptError(f"intensity must be between 0 and 1, got {intensity}")
        self.intensity = float(intensity)
        self._changed("intensity")

    def set_controls(self, controls: AnimationControls) -> None:
        """Set the live animation sliders (validated when the controls were built)."""
        if not isinstance(controls, AnimationControls):
            raise StudioError(f"controls must be AnimationControls, got {type(controls).__name__}")
        self.controls = controls
        self._changed("controls")

    # ------------------------------------------------------------------ avatar

    @staticmethod
    def load_avatar_file(path: str | Path | None) -> Avatar:
        """Load an avatar without touching any session (safe on a worker thread).

        Hand the result to :meth:`use_avatar` on the thread that owns the session.

        Parameters
        ----------
        path
            A ``.glb``, ``.gltf``, ``.vrm`` or ``.obj`` (with its shapes folder) file; its
            ``<stem>.mapping.json`` profile is applied when present. ``None``: the shipped
            default avatar.

        Raises
        ------
        renderers.errors.AvatarError
            The file is missing or unusable, or has no morph targets at all (nothing could
            move the face); the one-line message says what to do.
        """
        from renderers.loaders import default_avatar, load_avatar

        if path is None:
            return default_avatar()
        avatar = load_avatar(path)
        _require_morph_targets(Path(path), avatar)
        return avatar

    def use_avatar(self, path: str | Path | None, avatar: Avatar | None) -> None:
        """Make an avatar loaded by :meth:`load_avatar_file` the one in use (cannot fail).

        Parameters
        ----------
        path
            The file ``avatar`` was loaded from, or ``None`` for the default avatar.
        avatar
            The loaded avatar; ``None`` loads the default avatar on first access (only
            with ``path=None``).
        """
        if avatar is None and path is not None:
            raise StudioError("use_avatar needs the loaded avatar of a file; load it first")
        self.avatar_path = None if path is None else str(path)
        self._avatar = avatar
        self._changed("avatar")

    def switch_avatar(self, path: str | Path | None) -> Avatar:
        """Load ``path`` (``None``: the default avatar) and use it only if that worked.

        Raises
        ------
        renderers.errors.AvatarError
            The file cannot be used; :attr:`avatar_path` and :attr:`avatar` are unchanged.
        """
        avatar = self.load_avatar_file(path)
        self.use_avatar(path, avatar)
        return avatar

    def set_avatar_path(self, path: str | Path | None) -> None:
        """Choose an avatar file (``None``: the default avatar, loaded on first access).

        A file is loaded first (:meth:`switch_avatar`): one that cannot be used raises
        :class:`~renderers.errors.AvatarError` and changes nothing.
        """
        if path is None:
            self.use_avatar(None, None)
        else:
            self.switch_avatar(path)

    def reload_avatar(self) -> Avatar:
        """Read the avatar file in use again, e.g. after its mapping profile changed.

        The default avatar has no file and is returned as it is.

        Raises
        ------
        renderers.errors.AvatarError
            The file can no longer be used; the avatar in use stays.
        """
        if self.avatar_path is None:
            return self.avatar
        return self.switch_avatar(self.avatar_path)

    @property
    def avatar(self) -> Avatar:
        """The avatar in use (the default avatar is loaded on first access)."""
        if self._avatar is None:
            self._avatar = self.load_avatar_file(self.avatar_path)
        return self._avatar

    def request(self) -> GenerationRequest:
        """The generation request for the current state."""
        if self.audio is None:
            raise StudioError("no audio selected (choose a voice line first)")
        return GenerationRequest(
            audio=self.audio,
            emotion=self.emotion,
            transcript=self.transcript,
            intensity=self.intensity,
            fps=self.settings.fps,
            seed=self.seed,
            controls=self.controls,
            visemes=self.visemes,
            language=self.language,
        )

    # ------------------------------------------------------------------ generation

    @property
    def generator(self) -> Generator:
        """The generator in use (one instance per session and generator name)."""
        if self._generator is None or self._generator.name != self.generator_name:
            self._generator = create_generator(self.generator_name)
        return self._generator

    @property
    def supports_live_edits(self) -> bool:
        """Whether slider and prompt edits re-run only the cheap stage (:meth:`remap`)."""
        gen = self.generator
        return bool(getattr(gen, "supports_live_edits", False)) and hasattr(gen, "analyse")

    def _analysis_key(self) -> tuple[str, str | None, str] | None:
        if self.audio is None:
            return None
        return self._analysis_key_for(self.audio.sha256)

    def _analysis_key_for(self, audio_sha256: str) -> tuple[str, str | None, str]:
        """The analysis key of the current settings with the voice line ``audio_sha256``."""
        return (audio_sha256, self.transcript, self.language)

    def cached_analysis(self) -> Any | None:
        """The stored audio analysis for the current audio, transcript and language, if any."""
        key = self._analysis_key()
        if key is None or key not in self._analyses:
            return None
        self._analyses.move_to_end(key)
        return self._analyses[key]

    def needs_analysis(self) -> bool:
        """Whether :meth:`remap` needs an analysis first (see :meth:`analysis_job`)."""
        return self.audio is not None and self.cached_analysis() is None

    def analysis_job(self) -> AnalysisJob:
        """A self-contained job that analyses the current audio and transcript.

        The job captures a snapshot of the request, touches no session state and may run
        on a worker thread; hand its result to :meth:`install_analysis` on the thread that
        owns the session.

        Raises
        ------
        StudioError
            If there is no audio or the generator has no separate analysis stage.
        """
        if not self.supports_live_edits:
            raise StudioError(f"generator {self.generator_name!r} has no separate analysis stage")
        request = self.request()
        generator = self.generator

        def job(progress: ProgressSink, cancel: CancelToken) -> Any:
            return generator.analyse(request, progress=progress, cancel=cancel)  # type: ignore[attr-defined]

        return job

    def install_analysis(self, analysis: Any) -> bool:
        """Store an analysis made by :meth:`analysis_job`.

        Returns
        -------
        bool
            ``True`` if it belongs to the current audio and transcript (so :meth:`remap` can
            use it now); a stale analysis is still kept for undo.
        """
        key = (analysis.audio_sha256, analysis.transcript, getattr(analysis, "language", AUTO))
        self._analyses[key] = analysis
        self._analyses.move_to_end(key)
        while len(self._analyses) > MAX_CACHED_ANALYSES:
            self._analyses.popitem(last=False)
        return key == self._analysis_key()

    def remap(self, *, progress: ProgressSink | None = None) -> Take:
        """Rebuild the take from the stored analysis (cheap: sliders, prompts, intensity).

        Raises
        ------
        StudioError
            If the current audio and transcript have not been analysed yet.
        """
        take = self.remap_job()(progress or NullProgress(), CancelToken())
        self.set_take(take)
        return take

    def remap_job(self) -> Callable[[ProgressSink, CancelToken], Take]:
        """A self-contained job doing :meth:`remap`'s work on a snapshot of the state.

        It may run on a worker thread and touches no session state; hand its take to
        :meth:`set_take`.

        Raises
        ------
        StudioError
            If the current audio and transcript have not been analysed yet.
        """
        analysis = self.cached_analysis()
        if analysis is None:
            raise StudioError("the audio has not been analysed yet (run the analysis first)")
        request = self.request()
        generator = self.generator

        def job(progress: ProgressSink, cancel: CancelToken) -> Take:
            return generator.map(analysis, request, progress=progress, cancel=cancel)  # type: ignore[attr-defined]

        return job

    def set_take(self, take: Take | None) -> None:
        """Show a take made elsewhere (e.g. by :meth:`remap_job` on a worker thread)."""
        self.take = take
        self._changed("take")

    def generate(
        self, *, progress: ProgressSink | None = None, cancel: CancelToken | None = None
    ) -> Take:
        """Run the generator on the current state and keep the take.

        A stored analysis of the same audio and transcript is reused when the generator
        supports live edits, so only the cheap stage runs again.
        """
        sink = progress or NullProgress()
        token = cancel or CancelToken()
        if self.supports_live_edits:
            mapping_from = 0.0
            if self.needs_analysis():
                mapping_from = ANALYSIS_SHARE
                self.install_analysis(
                    self.analysis_job()(SubProgress(sink, 0.0, ANALYSIS_SHARE), token)
                )
            token.raise_if_cancelled()
            return self.remap(progress=SubProgress(sink, mapping_from, 1.0))
        self.take = self.generator.generate(self.request(), progress=sink, cancel=token)
        self._changed("take")
        return self.take

    def export(
        self,
        dest: str | Path,
        *,
        progress: ProgressSink | None = None,
        cancel: CancelToken | None = None,
    ) -> Path:
        """Write the current take to ``dest``; the format follows the file extension."""
        from studio.exporters.base import exporter_for

        if self.take is None:
            raise StudioError("nothing to export yet (generate a take first)")
        exporter = exporter_for(
            Path(dest),
            width=self.settings.width,
            height=self.settings.height,
            fps=self.settings.fps,
            cancel=cancel,
        )
        sink = progress or NullProgress()
        return exporter.export(self.take, self.avatar, Path(dest), progress=sink)

    def pose_at(self, t: float) -> Pose:
        """The pose at time ``t`` (neutral before anything is generated)."""
        return self.take.pose_at(t) if self.take is not None else Pose.neutral()


def _require_morph_targets(path: Path, avatar: Avatar) -> None:
    """Refuse an avatar file without a single morph target: nothing could move its face.

    Targets that a mapping profile ignores still count (the profile can be edited).
    """
    if any(mesh.morph_targets for mesh in avatar.meshes):
        return
    from studio.mapping_edit import target_names

    if target_names(path):
        return
    from renderers.loaders.gltf_io import fail

    raise fail(path, "has no morph targets (blendshapes), so its face cannot move",
               "export the head with its ARKit shape keys")
