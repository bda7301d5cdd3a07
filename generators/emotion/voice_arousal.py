"""Arousal from the voice: prosodic cues -> an arousal curve in -1..1 with a confidence.

How aroused (activated) a speaker sounds is carried mostly by prosody and voice effort, and the
cues agree across studies: high arousal (anger, joy, fear, excitement) is louder and produced
with more vocal effort (flatter spectral tilt, more high-frequency energy), higher in pitch with
a wider pitch range, faster, and with more abrupt onsets; low arousal (sadness, tenderness,
boredom) is the reverse. See Banse & Scherer 1996, "Acoustic profiles in vocal emotion
expression", J. Personality and Social Psychology 70(3); Juslin & Laukka 2003, "Communication
of emotions in vocal expression and music performance: different channels, same code?",
Psychological Bulletin 129(5) (their meta-analysis of 104 speech studies); Scherer 2003,
"Vocal communication of emotion: a review of research paradigms", Speech Communication 40.

Each cue of a :class:`~generators.rig.prosody.ProsodyTrack` is turned into a z-score against a
typical value for modal, neutral speech, in a way that does not depend on who speaks or how the
clip was recorded:

========== ============================================================= ======= ==========
cue        standardised as                                               weight  source cue
========== ============================================================= ======= ==========
effort     (alpha ratio - :data:`TYPICAL_ALPHA_DB`) / 3 dB               0.25    HF energy
pitch      (median F0 - expected base of the register) / 3 semitones     0.25    F0 level
loudness   (window level - clip speaking level) / 4 dB                   0.15    intensity
range      (10-90 % F0 spread - :data:`TYPICAL_RANGE_ST`) / 2.5 st       0.15    F0 variab.
rate       (syllables/s - :data:`TYPICAL_RATE`) / 1 syllable/s           0.10    speech rate
attack     (onset rise - :data:`TYPICAL_ATTACK`) / 120 dB/s              0.10    voice onset
========== ============================================================= ======= ==========

The weights follow how consistently each cue marks activation in those reviews: intensity,
high-frequency energy (effort) and F0 level rise with arousal in nearly every study; F0
variability and speech rate differ in direction between emotions of similar arousal (joy and
anger are not always faster, fear often has a narrow range), and onsets are reported in fewer
studies, so they weigh less. The weights are a judgement from that ranking, not values fitted
to the evaluation clips; the typical values are measured with these cue definitions on neutral
read and broadcast speech. Loudness relative to the clip's own speaking level only tells where
a clip gets louder, since the recording gain is unknown; absolute effort comes from the
spectral tilt, which a gain change does not alter.

Speaker-independent pitch: the expected speaking F0 depends on the register (about
:data:`MALE_BASE_HZ` for men, :data:`FEMALE_BASE_HZ` for women; e.g. Titze 1994, "Principles of
Voice Production"). The register is estimated from the clip's 10th-percentile F0, which moves
much less with arousal than the median: below :data:`REGISTER_MID_HZ` it is a low (male)
register, above it a high (female) one, with a logistic step :data:`REGISTER_WIDTH_ST` wide
between the two bases (in semitones). The step is kept narrow, because within it a voice raised
as a whole also raises its expected base; a man shouting with his low percentile above the
step, or a woman whose low percentile falls below it, is judged against the other register.

The weighted sum (each z-score clipped to +-2.5) goes through ``tanh(score / SCALE)``. Over
time, the clip's score is moved by half (:data:`LOCAL_GAIN`) of each window's departure from the
windows' mean, smoothed with a Gaussian of :data:`SMOOTH_S` (about 1 s wide) weighted by how
much voice each window had. Confidence is that support times the agreement of the cues (1 when
they all point the same way, 0.5 when they cancel out); silence gives arousal 0 with
confidence 0.

Examples
--------
>>> import numpy as np
>>> from generators.audio import AudioClip
>>> from generators.rig.prosody import prosody_track
>>> silent = prosody_track(AudioClip.from_samples(np.zeros(16000, dtype=np.float32), 16000))
>>> result = arousal_from_prosody(silent)
>>> times, arousal, confidence = result
>>> float(np.abs(arousal).max()), float(confidence.max()), result.summary.arousal
(0.0, 0.0, 0.0)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from generators.rig.prosody import ProsodySummary, ProsodyTrack

__all__ = [
    "CUE_WEIGHTS",
    "ArousalSummary",
    "VoiceArousal",
    "arousal_from_prosody",
    "expected_f0_hz",
]

TYPICAL_ALPHA_DB: float = -13.0
"""Alpha ratio of modal read speech (median of neutral read and broadcast clips, dB)."""

ALPHA_SD_DB: float = 3.0
"""Spread of the alpha ratio between effort levels, dB."""

MALE_BASE_HZ: float = 120.0
"""Typical median speaking F0 of adult men."""

FEMALE_BASE_HZ: float = 210.0
"""Typical median speaking F0 of adult women."""

REGISTER_MID_HZ: float = 125.0
"""10th-percentile F0 half-way between a low (male) and a high (female) register: typical low
percentiles are about 85-105 Hz for men and 150-180 Hz for women."""

REGISTER_WIDTH_ST: float = 1.5
"""Width of the logistic step from the low to the high register, semitones."""

PITCH_SD_ST: float = 3.0
"""Spread of speaking pitch between arousal levels, semitones."""

TYPICAL_RANGE_ST: float = 6.5
"""10-90 % F0 spread over 2 s of neutral read speech, semitones."""

RANGE_SD_ST: float = 2.5
"""Spread of that range, semitones."""

TYPICAL_RATE: float = 4.5
"""Articulation rate of neutral speech, syllables per second of speech."""

RATE_SD: float = 1.0
"""Spread of the articulation rate, syllables per second."""

TYPICAL_ATTACK: float = 450.0
"""Onset rise of neutral speech, dB per second."""

ATTACK_SD: float = 120.0
"""Spread of the onset rise, dB per second."""

LOUDNESS_SD_DB: float = 4.0
"""A window this much louder than the clip's speaking level counts one standard step up."""

CUE_WEIGHTS: dict[str, float] = {
    "effort": 0.25,
    "pitch": 0.25,
    "loudness": 0.15,
    "range": 0.15,
    "rate": 0.10,
    "attack": 0.10,
}
"""Weight of each standardised cue in the arousal score (they sum to 1)."""

SCALE: float = 0.75
"""Score giving ``tanh(1) = 0.76`` arousal."""

LOCAL_GAIN: float = 0.5
"""Share of a window's departure from the clip's mean score that shows in the curve. A 2 s
window holds a phrase or two, and the end of every phrase is lower, quieter and slower
(declination, final lengthening) without the speaker calming down; halving the departures
keeps those dips small while a real change of arousal (a calm start, then shouting) shows."""

SMOOTH_S: float = 0.4
"""Standard deviation of the Gaussian smoothing the arousal curve, seconds (about 1 s wide)."""

FULL_CONFIDENCE_VOICED_S: float = 2.0
"""Voiced seconds a clip needs for full confidence in its whole-clip arousal."""

_Z_CLIP = 2.5


@dataclass(frozen=True)
class ArousalSummary:
    """Arousal of a whole clip.

    Parameters
    ----------
    arousal
        -1 (very calm) .. 1 (very aroused); 0 for a clip without voice.
    confidence
        0..1.
    cues
        The standardised cues (z-scores) the clip's arousal was made from.
    """

    arousal: float
    confidence: float
    cues: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class VoiceArousal:
    """Arousal over time; unpacks as ``times, arousal, confidence``.

    Parameters
    ----------
    times
        ``(T,)`` seconds.
    arousal
        ``(T,)`` -1..1, smoothed over about a second.
    confidence
        ``(T,)`` 0..1.
    summary
        The whole clip's arousal.
    """

    times: np.ndarray
    arousal: np.ndarray
    confidence: np.ndarray
    summary: ArousalSummary

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.times, self.arousal, self.confidence))

    def at(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Arousal and confidence at arbitrary ``times`` (linear interpolation, clamped)."""
        t = np.asarray(times, dtype=np.float64)
        if self.times.size == 0:
            return np.zeros(t.shape), np.zeros(t.shape)
        return np.interp(t, self.times, self.arousal), np.interp(t, self.times, self.confidence)


def _st(hz: float) -> float:
    return 12.0 * float(np.log2(hz / 100.0))


def expected_f0_hz(low_f0_hz: float) -> float:
    """Expected median speaking F0 of a speaker whose 10th-percentile F0 is ``low_f0_hz``.

    Parameters
    ----------
    low_f0_hz
        The clip's 10th-percentile F0 (0: unknown, gives the midpoint of the two registers).

    Returns
    -------
    float
        Hz, between :data:`MALE_BASE_HZ` and :data:`FEMALE_BASE_HZ`.

    Examples
    --------
    >>> round(expected_f0_hz(70.0)), round(expected_f0_hz(250.0))
    (120, 210)
    """
    if low_f0_hz <= 0.0:
        share = 0.5
    else:
        share = 1.0 / (1.0 + np.exp(-(_st(low_f0_hz) - _st(REGISTER_MID_HZ)) / REGISTER_WIDTH_ST))
    base = (1.0 - share) * _st(MALE_BASE_HZ) + share * _st(FEMALE_BASE_HZ)
    return float(100.0 * 2.0 ** (base / 12.0))


def _cue_scores(
    summary: ProsodySummary,
    effort: np.ndarray,
    pitch_st: np.ndarray,
    loudness: np.ndarray,
    pitch_range: np.ndarray,
    rate: np.ndarray,
    attack: np.ndarray,
) -> dict[str, np.ndarray]:
    base = _st(expected_f0_hz(summary.f0_low_hz))
    raw = {
        "effort": (effort - TYPICAL_ALPHA_DB) / ALPHA_SD_DB,
        "pitch": (pitch_st - base) / PITCH_SD_ST,
        "loudness": loudness / LOUDNESS_SD_DB,
        "range": (pitch_range - TYPICAL_RANGE_ST) / RANGE_SD_ST,
        "rate": (rate - TYPICAL_RATE) / RATE_SD,
        "attack": (attack - TYPICAL_ATTACK) / ATTACK_SD,
    }
    return {
        k: np.clip(np.nan_to_num(np.asarray(v, dtype=np.float64)), -_Z_CLIP, _Z_CLIP)
        for k, v in raw.items()
    }


def _combine(z: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Score ``sum w z`` and cue agreement (0.5..1)."""
    score = sum(CUE_WEIGHTS[k] * z[k] for k in CUE_WEIGHTS)
    magnitude = sum(CUE_WEIGHTS[k] * np.abs(z[k]) for k in CUE_WEIGHTS)
    agreement = np.where(magnitude > 1e-9, np.abs(score) / np.maximum(magnitude, 1e-9), 1.0)
    return np.asarray(score, dtype=np.float64), 0.5 + 0.5 * agreement


def _smooth(values: np.ndarray, weights: np.ndarray, hop: float, fallback: float) -> np.ndarray:
    """Gaussian smoothing weighted by ``weights``, pulled towards ``fallback`` where they are
    thin (a window without voice takes the value of the voice around it, or the clip's)."""
    half = max(1, int(round(3.0 * SMOOTH_S / hop)))
    k = np.exp(-0.5 * (np.arange(-half, half + 1) * hop / SMOOTH_S) ** 2)
    pad = np.pad(values * weights, half)
    num = np.convolve(pad, k, mode="valid")
    den = np.convolve(np.pad(weights, half), k, mode="valid")
    prior = 0.05 * k.sum()
    return (num + prior * fallback) / (den + prior)


def _gaussian(values: np.ndarray, hop: float) -> np.ndarray:
    """Gaussian smoothing, edges normalised."""
    half = max(1, int(round(3.0 * SMOOTH_S / hop)))
    k = np.exp(-0.5 * (np.arange(-half, half + 1) * hop / SMOOTH_S) ** 2)
    num = np.convolve(np.pad(values, half), k, mode="valid")
    den = np.convolve(np.pad(np.ones_like(values), half), k, mode="valid")
    return num / den


def arousal_from_prosody(track: ProsodyTrack) -> VoiceArousal:
    """Estimate arousal over time, and for the whole clip, from prosodic cues.

    Parameters
    ----------
    track
        From :func:`~generators.rig.prosody.prosody_track`.

    Returns
    -------
    VoiceArousal
        ``times, arousal, confidence = result`` unpacks the curves; ``result.summary`` holds the
        whole clip's arousal, confidence and standardised cues. Silence: arousal 0, confidence 0.
    """
    s = track.summary
    times = np.asarray(track.times, dtype=np.float64)
    if not s.has_voice or times.size == 0:
        zeros = np.zeros(times.size)
        return VoiceArousal(times, zeros, zeros.copy(), ArousalSummary(0.0, 0.0, {}))

    clip_z = _cue_scores(
        s,
        np.array(s.effort_db),
        np.array(_st(s.f0_median_hz)),
        np.array(0.0),
        np.array(s.pitch_range_st),
        np.array(s.rate),
        np.array(s.attack_db_s),
    )
    clip_score, clip_agreement = _combine(clip_z)
    clip_conf = min(1.0, s.voiced_seconds / FULL_CONFIDENCE_VOICED_S) * float(clip_agreement)
    summary = ArousalSummary(
        float(np.tanh(clip_score / SCALE)),
        float(clip_conf),
        {k: float(v) for k, v in clip_z.items()},
    )

    z = _cue_scores(
        s,
        track.effort_db,
        track.pitch_level_st,
        track.loudness_db,
        track.pitch_range_st,
        track.rate,
        track.attack_db_s,
    )
    score, agreement = _combine(z)
    hop = float(times[1] - times[0]) if times.size > 1 else 1.0
    support = np.clip(np.asarray(track.support, dtype=np.float64), 0.0, 1.0)
    # The clip's level plus the windows' departures from their own mean, scaled down.
    mean = float(np.average(score, weights=support)) if support.sum() > 0 else float(clip_score)
    local = float(clip_score) + LOCAL_GAIN * (score - mean)
    arousal = np.clip(np.tanh(_smooth(local, support, hop, float(clip_score)) / SCALE), -1, 1)
    confidence = _gaussian(support * agreement, hop)
    confidence = np.clip(confidence * min(1.0, s.voiced_seconds / 0.5), 0.0, 1.0)
    return VoiceArousal(times, arousal, confidence, summary)
