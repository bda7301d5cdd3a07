"""Session: the one mutable state object that the GUI and the CLI both drive.

A session holds the user's choices (audio, transcript, emotion prompts, intensity, frame
rate, avatar), produces a :class:`~generators.take.Take` with a generator, and answers
:meth:`Session.pose_at` for preview and export alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from generators.audio import AudioClip
from generators.base import AnimationControls, GenerationRequest, create_generator
from generators.emotion.parse import parse_prompt
from generators.errors import PromptError
from generators.progress import CancelToken, NullProgress, ProgressSink
from generators.take import EmotionTrack, Take
from renderers.avatar import Avatar
from renderers.pose import Pose
from studio.errors import StudioError

Listener = Callable[[str], None]


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

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(what_changed)`` after every change."""
        self._listeners.append(listener)

    def _changed(self, what: str) -> None:
        for listener in list(self._listeners):
            listener(what)

    def load_audio(self, path: str | Path) -> AudioClip:
        """Decode and select a voice line (raises ``AudioError`` on bad input)."""
        self.audio = AudioClip.load(path)
        self.take = None
        self._changed("audio")
        return self.audio

    def set_transcript(self, text: str | None) -> None:
        """Set what is said (``None`` or blank: recognise phones from the audio)."""
        self.transcript = text.strip() if text and text.strip() else None
        self._changed("transcript")

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

    def set_avatar_path(self, path: str | None) -> None:
        """Choose an avatar file (``None``: the default avatar)."""
        self.avatar_path = path
        self._avatar = None
        self._changed("avatar")

    @property
    def avatar(self) -> Avatar:
        """The avatar in use, loaded on first access."""
        if self._avatar is None:
            from renderers.loaders import default_avatar, load_avatar

            self._avatar = load_avatar(self.avatar_path) if self.avatar_path else default_avatar()
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
        )

    def generate(
        self, *, progress: ProgressSink | None = None, cancel: CancelToken | None = None
    ) -> Take:
        """Run the generator on the current state and keep the take."""
        generator = create_generator(self.generator_name)
        self.take = generator.generate(
            self.request(), progress=progress or NullProgress(), cancel=cancel or CancelToken()
        )
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
