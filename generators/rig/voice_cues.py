"""The voice's own emotion cues, measured once per clip in the rig's analysis stage.

* Arousal over time from prosody (loudness, vocal effort, pitch level and range, speech rate:
  :mod:`generators.rig.prosody`, :mod:`generators.emotion.voice_arousal`);
* valence per sentence from the transcript's sentiment
  (:mod:`generators.emotion.transcript_sentiment`), timed by the aligned words. Only for an
  English transcript: the sentiment reader knows English only.

The mapping stage reads them at its frame times (:meth:`VoiceAnalysis.cue`) and blends them with
the prompt by the "follow the voice" control.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from generators.audio import AudioClip
from generators.emotion.transcript_sentiment import transcript_sentiment
from generators.emotion.voice_arousal import VoiceArousal, arousal_from_prosody
from generators.emotion.voice_emotion import voice_valence_arousal
from generators.language import OTHER
from generators.rig.emotion_frames import VoiceCue
from generators.rig.energy import EnergyEnvelope
from generators.rig.lipsync import ACOUSTIC, SpeechAnalysis
from generators.rig.prosody import prosody_track

__all__ = ["VoiceAnalysis", "analyse_voice"]


@dataclass(frozen=True, eq=False)
class VoiceAnalysis:
    """Arousal over time and valence per sentence.

    Parameters
    ----------
    arousal
        From the prosody.
    sentences
        ``(start, end, valence, confidence)`` of each transcript sentence (empty without an
        English transcript).
    """

    arousal: VoiceArousal
    sentences: list[tuple[float, float, float, float]] = field(default_factory=list)

    def cue(self, times: np.ndarray) -> VoiceCue:
        """Valence, arousal and confidence at frame ``times``."""
        va, conf = voice_valence_arousal(
            times,
            (self.arousal.times, self.arousal.arousal, self.arousal.confidence),
            self.sentences,
        )
        return VoiceCue(va, conf)

    def summary(self) -> dict[str, object]:
        """Whole-clip numbers for the take's provenance."""
        s = self.arousal.summary
        return {
            "arousal": round(float(s.arousal), 3),
            "arousal_confidence": round(float(s.confidence), 3),
            "sentences": [
                {"start": round(a, 3), "end": round(b, 3), "valence": round(v, 3)}
                for a, b, v, _ in self.sentences
            ],
        }


def analyse_voice(
    clip: AudioClip,
    envelope: EnergyEnvelope,
    speech: SpeechAnalysis,
    transcript: str | None,
    language: str,
) -> VoiceAnalysis:
    """Measure the voice's emotion cues (about 0.004 s per second of audio, plus the sentence
    encoder's few milliseconds per sentence when there is a transcript).

    Parameters
    ----------
    clip
        The audio.
    envelope
        Its loudness envelope.
    speech
        Its lip-sync analysis (the phones give the syllable rate, the words time sentences).
    transcript
        The transcript, or ``None``.
    language
        The analysis language; sentiment is read for English only.
    """
    track = prosody_track(clip, envelope, speech.phonemes)
    arousal = arousal_from_prosody(track)
    sentences: list[tuple[float, float, float, float]] = []
    if transcript and language != OTHER and speech.method != ACOUSTIC:
        words = [
            (w.word, w.start, w.end) for w in speech.words if not w.word.startswith(("<", "[", "+"))
        ]
        for timed in transcript_sentiment(transcript, clip.duration, words):
            s = timed.sentiment
            sentences.append((timed.start, timed.end, s.valence, s.confidence))
    return VoiceAnalysis(arousal, sentences)
