"""The rig generator: voice line + emotion track -> ARKit-52 curves, head and eye motion.

A chain of small pure passes, split into two stages so a GUI can re-run only the cheap one:

* :meth:`RigGenerator.analyse` (expensive, depends on the audio, transcript and language only):
  loudness envelope -> lip-sync phones (forced alignment with a transcript, phone recognition
  without; for a voice line in another language, syllables and pauses from the sound alone)
  -> emphasised syllables;
* :meth:`RigGenerator.map` (cheap, milliseconds, depends on every slider): phones -> visemes ->
  coarticulated mouth curves (jaw scaled by loudness) -> emotion layer -> blinks -> head sway and
  nods -> gaze saccades and eyeLook shapes -> :class:`~generators.take.Take`. A hand-corrected
  viseme timeline in the request (:attr:`~generators.base.GenerationRequest.visemes`) reshapes
  the mouth curves where it differs from the analysis
  (:mod:`~generators.rig.corrected_lipsync`) and becomes the take's viseme track.

:meth:`RigGenerator.generate` runs both.

Examples
--------
>>> import numpy as np
>>> from generators.audio import AudioClip
>>> from generators.base import GenerationRequest
>>> from generators.progress import CancelToken, NullProgress
>>> rng = np.random.default_rng(0)
>>> clip = AudioClip.from_samples((0.01 * rng.standard_normal(16000)).astype("f4"), 16000)
>>> take = RigGenerator().generate(GenerationRequest(clip), progress=NullProgress(),
...                                cancel=CancelToken())
>>> take.curves.num_frames, take.provenance.generator
(30, 'rig')
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import metadata

import numpy as np

from generators.base import GenerationRequest
from generators.blas_threads import in_one_blas_thread
from generators.errors import AudioError, GeneratorError
from generators.language import AUTO, check_language
from generators.progress import CancelToken, NullProgress, ProgressSink, SubProgress
from generators.rig.blinks import Blink, blink_curves, plan_blinks
from generators.rig.coarticulation import coarticulate
from generators.rig.corrected_lipsync import corrected_lip_curves
from generators.rig.emotion_frames import emotion_frames
from generators.rig.emotion_layer import combine_with_lipsync, emotion_curves
from generators.rig.emotion_motion import articulation_gain, motion_style
from generators.rig.energy import EnergyEnvelope, energy_envelope
from generators.rig.expression_presets import expression_presets
from generators.rig.gaze import (
    EYE_LOOK_COLUMNS,
    eye_look_weights,
    gaze_from_eye_look,
    gaze_motion,
)
from generators.rig.head_motion import emphasis_peaks, head_motion
from generators.rig.lipsync import ACOUSTIC, SpeechAnalysis, analyse_speech
from generators.rig.live_controls import (
    scale_articulation,
    scale_emotion_regions,
    scale_viseme_articulation,
)
from generators.rig.visemes import phones_to_visemes
from generators.rig.voice_cues import VoiceAnalysis, analyse_voice
from generators.take import CurveSet, Provenance, Take, VisemeSegment, VisemeTrack, frame_count
from generators.viseme_edit import complete_timeline, edited_mask, validate_timeline
from renderers.arkit import ARKIT_INDEX

__all__ = ["MAX_FPS", "MIN_DURATION_S", "RigAnalysis", "RigGenerator"]

MAX_FPS: float = 240.0
"""Highest frame rate accepted."""

MIN_DURATION_S: float = 0.1
"""Shortest clip accepted."""

_ANALYSIS_SHARE = 0.9  # share of generate()'s progress bar taken by the analysis stage
_BLINK = [ARKIT_INDEX["eyeBlinkLeft"], ARKIT_INDEX["eyeBlinkRight"]]
_WIDE = [ARKIT_INDEX["eyeWideLeft"], ARKIT_INDEX["eyeWideRight"]]


@dataclass
class RigAnalysis:
    """The expensive, slider-independent part of a rig take.

    Parameters
    ----------
    audio_sha256
        Hash of the analysed audio (a mapping request must carry the same audio).
    transcript
        The transcript the phones were aligned to (``None``: phone recognition).
    duration
        Clip length in seconds.
    audio_path
        Where the audio came from.
    speech
        The timed phones.
    envelope
        Loudness envelope.
    emphasis
        ``(time, strength)`` of emphasised syllables.
    language
        The language setting the analysis was made for (:mod:`generators.language`).
    voice
        The voice's own emotion cues: arousal from prosody, valence from the transcript.
    """

    audio_sha256: str
    transcript: str | None
    duration: float
    audio_path: str
    speech: SpeechAnalysis
    envelope: EnergyEnvelope
    emphasis: list[tuple[float, float]] = field(default_factory=list)
    language: str = AUTO
    voice: VoiceAnalysis | None = None

    def viseme_timeline(self) -> tuple[VisemeSegment, ...]:
        """The analysed visemes as a full timeline from 0 to the clip's end: where a hand
        correction (:mod:`generators.viseme_edit`) starts from."""
        return complete_timeline(phones_to_visemes(self.speech.phonemes), self.duration)

    def matches(self, request: GenerationRequest) -> bool:
        """Whether this analysis is still valid for ``request`` (same audio, transcript and
        language)."""
        return (
            request.audio.sha256 == self.audio_sha256
            and _clean(request.transcript) == self.transcript
            and request.language == self.language
        )


def _clean(transcript: str | None) -> str | None:
    return transcript.strip() if transcript and transcript.strip() else None


def _engine(method: str) -> str:
    if method == ACOUSTIC:
        return "acoustic syllable analysis (any language)"
    return f"pocketsphinx {_version()} (bundled en-US model)"


@lru_cache(maxsize=1)
def _version() -> str:
    try:
        return metadata.version("pocketsphinx")
    except metadata.PackageNotFoundError:  # pragma: no cover - pocketsphinx is a dependency
        return "unknown"


class RigGenerator:
    """CPU rig generator (the default): lip sync + emotion + blinks + head and eye motion.

    Attributes
    ----------
    name
        ``"rig"``.
    version
        Generator version recorded in every take's provenance.
    supports_live_edits
        ``True``: :meth:`map` re-runs only the cheap stage on a stored :class:`RigAnalysis`.
    """

    name: str = "rig"
    version: str = "1.0.0"
    supports_live_edits: bool = True

    # ------------------------------------------------------------------ stages

    @in_one_blas_thread
    def analyse(
        self,
        request: GenerationRequest,
        *,
        progress: ProgressSink | None = None,
        cancel: CancelToken | None = None,
    ) -> RigAnalysis:
        """Run the expensive stage: loudness, lip-sync phones, emphasis.

        Parameters
        ----------
        request
            Only ``audio``, ``transcript`` and ``language`` are used.
        progress
            Receives 0..1 progress with messages.
        cancel
            Checked between steps.

        Raises
        ------
        AudioError
            If the clip is shorter than :data:`MIN_DURATION_S`.
        GeneratorError
            If the language is not one of :data:`~generators.language.LANGUAGES`.
        TranscriptError
            If the transcript is unusable or does not match the audio.
        Cancelled
            If cancelled.
        """
        sink = progress or NullProgress()
        token = cancel or CancelToken()
        clip = request.audio
        language = check_language(request.language)
        if clip.duration < MIN_DURATION_S:
            raise AudioError(
                f"audio is too short ({clip.duration * 1000:.0f} ms); use a clip of at least "
                f"{MIN_DURATION_S:.1f} s"
            )
        sink.report(0.0, "measuring loudness")
        envelope = energy_envelope(clip)
        token.raise_if_cancelled()
        transcript = _clean(request.transcript)
        speech = analyse_speech(
            clip,
            transcript,
            language=language,
            envelope=envelope,
            progress=SubProgress(sink, 0.02, 0.97),
            cancel=token,
        )
        token.raise_if_cancelled()
        sink.report(0.97, "finding emphasised syllables")
        emphasis = emphasis_peaks(envelope, speech.phonemes)
        token.raise_if_cancelled()
        sink.report(0.98, "reading the emotion in the voice")
        voice = analyse_voice(clip, envelope, speech, transcript, language)
        sink.report(1.0, "audio analysed")
        return RigAnalysis(
            clip.sha256,
            transcript,
            clip.duration,
            clip.source,
            speech,
            envelope,
            emphasis,
            language=language,
            voice=voice,
        )

    @in_one_blas_thread
    def map(
        self,
        analysis: RigAnalysis,
        request: GenerationRequest,
        *,
        progress: ProgressSink | None = None,
        cancel: CancelToken | None = None,
    ) -> Take:
        """Run the cheap stage: phones -> curves -> emotion -> blinks -> head and eyes.

        Parameters
        ----------
        analysis
            From :meth:`analyse` on the same audio and transcript.
        request
            Supplies fps, intensity, emotion track, seed and the animation controls.
        progress
            Receives 0..1 progress with messages.
        cancel
            Checked between steps.

        Raises
        ------
        GeneratorError
            If ``analysis`` was made from other audio or another transcript, or fps is invalid.
        VisemeEditError
            If ``request.visemes`` is not a timeline of this clip (unknown label, gaps, other
            length).
        PromptError
            If the intensity is outside 0..1.
        """
        sink = progress or NullProgress()
        token = cancel or CancelToken()
        if not analysis.matches(request):
            raise GeneratorError(
                "the audio analysis belongs to another clip, transcript or language; analyse again"
            )
        fps = float(request.fps)
        if not (0 < fps <= MAX_FPS) or not np.isfinite(fps):
            raise GeneratorError(f"fps must be between 1 and {MAX_FPS:.0f}, got {request.fps}")
        n = frame_count(analysis.duration, fps)
        times = np.arange(n, dtype=np.float64) / fps
        phonemes = analysis.speech.phonemes

        controls = request.controls
        track = request.emotion
        if track.transition != controls.emotion_transition:
            track = replace(track, transition=controls.emotion_transition)
        voice = None if analysis.voice is None else analysis.voice.cue(times)
        frames = emotion_frames(track, times, voice=voice, follow_voice=controls.follow_voice)
        style = motion_style(frames.felt.vad, frames.families)
        sink.report(0.0, "shaping visemes into mouth curves")
        # The lip offset moves the mouth track: frame t shows the mouth of t - offset.
        lip_times = times - controls.lip_offset
        jaw_gain = analysis.envelope.loudness_gain(lip_times)
        corrected = (
            None
            if request.visemes is None
            else validate_timeline(request.visemes, analysis.duration)
        )
        anticipation = controls.lip_anticipation
        if corrected is None:
            lip = coarticulate(phonemes, lip_times, jaw_gain=jaw_gain, anticipation=anticipation)
        else:
            lip = corrected_lip_curves(
                phonemes,
                corrected,
                lip_times,
                analysis.duration,
                jaw_gain=jaw_gain,
                anticipation=anticipation,
            )
        articulation = articulation_gain(style, controls.lip_articulation)
        lip_weights = scale_articulation(lip, articulation)
        lip_visemes = scale_viseme_articulation(lip, articulation)
        token.raise_if_cancelled()

        sink.report(0.4, "layering the emotion")
        emotion = emotion_curves(track, times, request.intensity, seed=request.seed, frames=frames)
        emotion = scale_emotion_regions(
            emotion, upper=controls.upper_face, lower=controls.lower_face
        )
        weights = combine_with_lipsync(lip_weights, emotion, lip.activity).astype(np.float64)
        token.raise_if_cancelled()

        sink.report(0.7, "adding blinks, head and eye motion")
        pauses = [(p.start, p.end) for p in phonemes if p.phone == "SIL"]
        blinks = plan_blinks(
            analysis.duration,
            seed=request.seed,
            pauses=pauses,
            rate=controls.blink_rate,
            rate_curve=(times, style.blink_rate_factor),
        )
        _apply_blinks(weights, blink_curves(blinks, times))
        head = head_motion(
            times,
            seed=request.seed,
            activity=lip.activity,
            emphasis=analysis.emphasis,
            amplitude=controls.head_motion,
            style=style,
        )
        # The expression's own gaze (eyes down in shame...) becomes eye rotation too, and the
        # eyeLook shapes are then derived from the total rotation, so both always agree.
        eyes = gaze_motion(
            times,
            seed=request.seed,
            head_rotation=head,
            activity=controls.gaze_activity,
            style=style,
        )
        eyes = eyes + gaze_from_eye_look(weights)
        look = list(EYE_LOOK_COLUMNS)
        weights[:, look] = eye_look_weights(eyes)[:, look]
        weights = np.clip(weights, 0.0, 1.0)
        token.raise_if_cancelled()

        presets = expression_presets(
            frames, lip.activity, upper=controls.upper_face, lower=controls.lower_face
        )
        curves = CurveSet(
            fps,
            weights.astype(np.float32),
            head,
            eyes,
            visemes=lip_visemes,
            speech=lip_weights,
            expressions=presets,
        )
        if corrected is None:
            visemes = VisemeTrack(
                list(phonemes), phones_to_visemes(phonemes), analysis.speech.method
            )
        else:
            visemes = VisemeTrack(
                list(phonemes), list(corrected), analysis.speech.method, edited=True
            )
        take = Take(
            curves=curves,
            visemes=visemes,
            emotion=request.emotion,
            provenance=self._provenance(analysis, request, n, blinks, visemes),
            audio_path=analysis.audio_path,
            duration=analysis.duration,
            emotion_curves=frames.felt,
        )
        sink.report(1.0, "take ready")
        return take

    def generate(
        self, request: GenerationRequest, *, progress: ProgressSink, cancel: CancelToken
    ) -> Take:
        """Analyse the audio and map it to a take (see the module docstring)."""
        analysis = self.analyse(
            request, progress=SubProgress(progress, 0.0, _ANALYSIS_SHARE), cancel=cancel
        )
        return self.map(
            analysis, request, progress=SubProgress(progress, _ANALYSIS_SHARE, 1.0), cancel=cancel
        )

    # ------------------------------------------------------------------ helpers

    def _provenance(
        self,
        analysis: RigAnalysis,
        request: GenerationRequest,
        n: int,
        blinks: list[Blink],
        visemes: VisemeTrack,
    ) -> Provenance:
        settings: dict[str, object] = {
            "fps": float(request.fps),
            "frames": n,
            "intensity": float(request.intensity),
            "prompts": [
                {"start": s.start, "end": s.end, "prompt": s.prompt}
                for s in request.emotion.segments
            ],
            "emotion_transition": request.controls.emotion_transition,
            "voice_emotion": {} if analysis.voice is None else analysis.voice.summary(),
            "transcript_provided": analysis.transcript is not None,
            "transcript": analysis.transcript,
            "language": analysis.language,
            "lip_sync": analysis.speech.method,
            "lip_sync_diagnostics": dict(analysis.speech.diagnostics),
            "lip_sync_edited": visemes.edited,
            "visemes_edited": sum(edited_mask(visemes, analysis.duration)),
            "speech_engine": _engine(analysis.speech.method),
            "blinks": len(blinks),
            "controls": request.controls.as_dict(),
        }
        return Provenance(
            generator=self.name,
            version=self.version,
            settings=settings,
            seed=int(request.seed),
            audio_sha256=analysis.audio_sha256,
        )


def _apply_blinks(weights: np.ndarray, blink: np.ndarray) -> None:
    """Layer blinks over the expression: lids close fully, a widened eye relaxes while blinking."""
    base = weights[:, _BLINK]
    weights[:, _BLINK] = base + (1.0 - base) * blink
    weights[:, _WIDE] *= 1.0 - blink
