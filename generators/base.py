"""Generator protocol, request type and registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from generators.audio import AudioClip
from generators.controls import AnimationControls
from generators.errors import GeneratorError
from generators.progress import CancelToken, NullProgress, ProgressSink
from generators.take import EmotionTrack, Take, VisemeSegment

__all__ = [
    "AnimationControls",
    "CancelToken",
    "GenerationRequest",
    "Generator",
    "NullProgress",
    "ProgressSink",
    "available_generators",
    "create_generator",
    "load_builtin_generators",
    "register_generator",
]


@dataclass
class GenerationRequest:
    """Everything a generator needs to make a take.

    Parameters
    ----------
    audio
        The decoded voice line.
    emotion
        Emotion prompts along the timeline.
    transcript
        What is said, if known (enables forced alignment); ``None`` to recognise phones.
    intensity
        Global emotion intensity multiplier 0..1.
    fps
        Output frame rate.
    seed
        Seed for blinks, idle motion and any sampling.
    controls
        The live animation sliders (:class:`~generators.controls.AnimationControls`); the
        defaults leave the take as generated.
    visemes
        A hand-corrected viseme timeline that replaces the analysed one (contiguous from 0 to
        the clip's duration, see :mod:`generators.viseme_edit`); ``None`` uses the analysis.
    language
        The spoken language: ``"auto"`` (English, or lip sync from the sound when the English
        recogniser cannot explain the voice), ``"en"`` or ``"other"`` (any language, from the
        sound alone; a transcript is then ignored). See :mod:`generators.language`; generators
        reject other values with a :class:`~generators.errors.GeneratorError`.
    """

    audio: AudioClip
    emotion: EmotionTrack = field(default_factory=EmotionTrack)
    transcript: str | None = None
    intensity: float = 1.0
    fps: float = 30.0
    seed: int = 0
    controls: AnimationControls = AnimationControls()
    visemes: tuple[VisemeSegment, ...] | None = None
    language: str = "auto"


@runtime_checkable
class Generator(Protocol):
    """Turns a :class:`GenerationRequest` into a :class:`~generators.take.Take`."""

    name: str
    supports_live_edits: bool

    def generate(
        self, request: GenerationRequest, *, progress: ProgressSink, cancel: CancelToken
    ) -> Take:
        """Generate a take, reporting progress and checking ``cancel`` between steps."""
        ...


_REGISTRY: dict[str, Callable[[], Generator]] = {}


def register_generator(name: str, factory: Callable[[], Generator]) -> None:
    """Make a generator available under ``name``."""
    _REGISTRY[name] = factory


def available_generators() -> list[str]:
    """Names of the registered generators."""
    load_builtin_generators()
    return sorted(_REGISTRY)


def create_generator(name: str = "rig") -> Generator:
    """Instantiate a registered generator by name."""
    load_builtin_generators()
    try:
        return _REGISTRY[name]()
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise GeneratorError(f"unknown generator {name!r} (available: {known})") from None


def load_builtin_generators() -> None:
    """Import and register the built-in generators (once; later calls return at once).

    Their imports are heavy (scipy among them): a program that starts threads may call this on
    the thread that should pay for them, so that they are not first made on two threads at
    once (scipy's own imports fail when two threads make them together).
    """
    if "rig" not in _REGISTRY:
        from generators.rig.generator import RigGenerator

        register_generator("rig", RigGenerator)
