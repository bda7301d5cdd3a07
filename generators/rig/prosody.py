"""Prosody over time: loudness, vocal effort, pitch level and range, speech rate.

From a clip (its loudness envelope, its F0 track and, when known, its phones) this pass
measures the cues listeners use to hear how aroused a voice is, over sliding windows of
:data:`WINDOW_S` seconds every :data:`TRACK_HOP_S` seconds, so the estimate can change within
a clip:

* **loudness**: the speaking level of the window (80th percentile of the 10 ms levels of its
  speech frames) in dB relative to the whole clip's speaking level
  (:meth:`~generators.rig.energy.EnergyEnvelope.speech_level`). It depends on the recording
  gain only through that reference, so it shows where a clip gets louder, not how loud the
  speaker was.
* **vocal effort**: the alpha ratio (energy 1-5 kHz over 50 Hz-1 kHz, dB, as in Eyben et al.
  2016, "The Geneva Minimalistic Acoustic Parameter Set (GeMAPS)", IEEE Trans. Affective
  Computing 7(2)) of the voiced frames, their median in the window. Raised effort flattens the
  spectral tilt of the voice source, so the ratio rises with vocal loudness (Sundberg &
  Nordenberg 2006, JASA 120(1)); a gain change does not alter it.
* **F0** in semitones re 100 Hz (:func:`~generators.rig.pitch.track_pitch`); per window the
  **pitch level** (median) and **pitch range** (10th to 90th percentile spread, semitones) of
  its voiced frames.
* **speech rate**: syllable nuclei per second of speech in the window (articulation rate). The
  nuclei are the vowels when phones are given, else the loudness peaks of the voice band that
  the language-independent lip sync finds (the approach of de Jong & Wempe 2009, "Praat script
  to detect syllable nuclei and measure speech rate automatically", Behavior Research Methods
  41(2)).
* **attack**: how steeply the level rises at syllable onsets (90th percentile of the rise,
  dB/s, taken near the speaking level so the noise floor does not matter); forceful, abrupt
  onsets go with anger and joy, soft ones with sadness and tenderness (Juslin & Laukka 2003).

Only frames of the voice count: speech as found by
:func:`~generators.rig.voice_activity.detect_voice_activity`, and for F0 and effort, voiced
frames no more than :data:`VOICED_RANGE_DB` below the speaking level (so a hum or a breath in a
pause does not set the pitch). A window with too little voice takes the clip's value, and its
``support`` says how much it had; a clip without voice gives a track of typical values with zero
support, never NaN.

Examples
--------
>>> import numpy as np
>>> clip = AudioClip.from_samples(np.zeros(8000, dtype=np.float32), 16000)
>>> track = prosody_track(clip)
>>> float(track.support.max()), bool(np.isfinite(track.pitch_level_st).all())
(0.0, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from generators.audio import AudioClip
from generators.rig.acoustic_lipsync import analyse_acoustics
from generators.rig.energy import EnergyEnvelope, energy_envelope
from generators.rig.pitch import PitchTrack, track_pitch
from generators.rig.voice_activity import detect_voice_activity
from generators.take import PhonemeSegment

__all__ = [
    "TRACK_HOP_S",
    "VOWEL_PHONES",
    "WINDOW_S",
    "ProsodySummary",
    "ProsodyTrack",
    "alpha_ratio",
    "attack_slopes",
    "prosody_track",
    "syllable_nuclei",
]

WINDOW_S: float = 2.0
"""Length of the sliding window the cues are measured over, seconds."""

TRACK_HOP_S: float = 0.05
"""Seconds between windows."""

VOICED_RANGE_DB: float = 25.0
"""Voiced frames quieter than this below the clip's speaking level are left out of F0 and
effort (breaths, hum, trailing creak)."""

ATTACK_RANGE_DB: float = 20.0
"""Attack is measured where the level is within this of the speaking level."""

VOWEL_PHONES: frozenset[str] = frozenset(
    {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"}
)
"""ARPAbet vowels: one syllable nucleus each."""

NEUTRAL_F0_ST: float = 7.0
"""Pitch level put in a track without voice: 150 Hz, between typical male and female voices."""

NEUTRAL_RANGE_ST: float = 6.5
"""Pitch range put in a track without voice, semitones."""

NEUTRAL_RATE: float = 4.5
"""Speech rate put in a track without voice, syllables per second."""

NEUTRAL_ALPHA_DB: float = -13.0
"""Alpha ratio put in a track without voice, dB (about modal read speech)."""

NEUTRAL_ATTACK: float = 450.0
"""Attack put in a track without voice, dB per second."""

_MIN_VOICED_S = 0.25  # a window needs this much voice for its own F0 and effort...
_MIN_SPEECH_S = 0.6  # ...and this much speech for its own rate and loudness
_MIN_RISING = 10  # rising frames a window needs for its own attack
_FULL_SUPPORT_S = 0.8  # voiced seconds in a window for full support
_LOW_BAND = (50.0, 1000.0)
_HIGH_BAND = (1000.0, 5000.0)


@dataclass(frozen=True)
class ProsodySummary:
    """Whole-clip prosody.

    Parameters
    ----------
    duration
        Clip length, seconds.
    speech_seconds, voiced_seconds
        Seconds of speech, and of voiced speech used for F0 and effort.
    speech_level_dbfs
        The clip's speaking level (depends on the recording gain).
    effort_db
        Median alpha ratio of the voiced frames, dB.
    f0_median_hz, f0_low_hz
        Median and 10th percentile F0 of the voiced frames (the low percentile moves less with
        arousal than the median and marks the speaker's register).
    pitch_range_st
        Median over the windows of the 10-90 % F0 spread, semitones.
    rate
        Syllable nuclei per second of speech.
    attack_db_s
        90th percentile of the rise of the level at syllable onsets, dB per second.
    """

    duration: float
    speech_seconds: float
    voiced_seconds: float
    speech_level_dbfs: float
    effort_db: float
    f0_median_hz: float
    f0_low_hz: float
    pitch_range_st: float
    rate: float
    attack_db_s: float

    @property
    def has_voice(self) -> bool:
        """Whether any voiced speech was found."""
        return self.voiced_seconds > 0.0


@dataclass(frozen=True)
class ProsodyTrack:
    """Prosodic cues over sliding windows (see the module docstring for each cue).

    Parameters
    ----------
    times
        ``(T,)`` window centres, seconds.
    loudness_db
        ``(T,)`` speaking level of the window re the clip's speaking level, dB.
    effort_db
        ``(T,)`` median alpha ratio of the window's voiced frames, dB (higher: more effort).
    pitch_level_st
        ``(T,)`` median F0 of the window's voiced frames, semitones re 100 Hz.
    pitch_range_st
        ``(T,)`` 10th-90th percentile spread of the window's F0, semitones.
    rate
        ``(T,)`` syllable nuclei per second of speech in the window.
    attack_db_s
        ``(T,)`` 90th percentile of the rise of the level at the window's syllable onsets,
        dB per second (steeper: more forceful onsets).
    speech_fraction
        ``(T,)`` share of the window that is speech, 0..1 (low: pauses).
    support
        ``(T,)`` 0..1, how much voice the window had (1: at least 0.8 s voiced); where it is
        low the cues lean on the clip's values.
    summary
        Whole-clip values.
    nuclei
        ``(K,)`` syllable nucleus times, seconds.
    """

    times: np.ndarray
    loudness_db: np.ndarray
    effort_db: np.ndarray
    pitch_level_st: np.ndarray
    pitch_range_st: np.ndarray
    rate: np.ndarray
    attack_db_s: np.ndarray
    speech_fraction: np.ndarray
    support: np.ndarray
    summary: ProsodySummary
    nuclei: np.ndarray


def alpha_ratio(clip: AudioClip, n_frames: int, hop: float = 0.01) -> np.ndarray:
    """Alpha ratio (1-5 kHz over 50 Hz-1 kHz energy, dB) of 32 ms frames centred on ``i * hop``.

    Parameters
    ----------
    clip
        The audio (any rate; the high band stops below the Nyquist frequency).
    n_frames
        Frames wanted.
    hop
        Seconds between frame centres.

    Returns
    -------
    numpy.ndarray
        ``(n_frames,)`` dB; -60 for frames without energy.
    """
    x = np.asarray(clip.samples, dtype=np.float64)
    rate = clip.sample_rate
    if n_frames == 0 or x.size == 0:
        return np.full(n_frames, -60.0)
    n_fft = int(2 ** np.ceil(np.log2(0.032 * rate)))
    step = max(1, int(round(hop * rate)))
    padded = np.concatenate([np.zeros(n_fft // 2), x, np.zeros(n_fft + step * n_frames)])
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[: n_frames * step : step]
    power = np.abs(np.fft.rfft(frames * np.hanning(n_fft), axis=1)) ** 2
    freqs = np.fft.rfftfreq(n_fft, 1.0 / rate)
    top = min(_HIGH_BAND[1], 0.95 * rate / 2)
    low = power[:, (freqs >= _LOW_BAND[0]) & (freqs < _LOW_BAND[1])].sum(axis=1)
    high = power[:, (freqs >= _HIGH_BAND[0]) & (freqs < top)].sum(axis=1)
    ok = (low > 1e-12) & (high > 1e-14)
    out = np.full(n_frames, -60.0)
    out[ok] = 10.0 * np.log10(high[ok] / low[ok])
    return out


def syllable_nuclei(
    clip: AudioClip, phonemes: Sequence[PhonemeSegment] | None = None
) -> np.ndarray:
    """Times of syllable nuclei: vowel centres when phones are given, else loudness peaks.

    Parameters
    ----------
    clip
        The audio.
    phonemes
        Its phones, when known: each vowel of at least 30 ms is a nucleus. Without them the
        nuclei are the peaks of the 300-3000 Hz band loudness that the language-independent
        lip sync finds (:func:`~generators.rig.acoustic_lipsync.analyse_acoustics`).

    Returns
    -------
    numpy.ndarray
        ``(K,)`` seconds, in time order.
    """
    if phonemes:
        times = [
            0.5 * (p.start + p.end)
            for p in phonemes
            if p.phone in VOWEL_PHONES and p.end - p.start >= 0.03
        ]
    else:
        times = [n.time for n in analyse_acoustics(clip).nuclei]
    return np.array(sorted(times), dtype=np.float64)


def attack_slopes(envelope: EnergyEnvelope, speech: np.ndarray) -> np.ndarray:
    """Rise of the level at each frame where a syllable's loudness builds up, dB per second.

    Parameters
    ----------
    envelope
        The clip's loudness envelope.
    speech
        ``(M,)`` voice activity per envelope frame.

    Returns
    -------
    numpy.ndarray
        ``(M,)`` dB/s where the level rises within :data:`ATTACK_RANGE_DB` of the speaking level
        in speech (the top of the rise, so the noise floor does not matter); NaN elsewhere.
    """
    db = envelope.db
    out = np.full(db.size, np.nan)
    if db.size < 3:
        return out
    rise = np.zeros(db.size)
    rise[1:] = np.diff(db) / envelope.hop
    top = db > envelope.speech_level() - ATTACK_RANGE_DB
    ok = speech[: db.size] & top & (rise > 0.0)
    out[ok] = rise[ok]
    return out


def _window_index(n_frames: int, hop: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Window centre times, their frame indices and the half width in frames."""
    duration = n_frames * hop
    n_win = max(1, int(np.floor(duration / TRACK_HOP_S)) + 1)
    times = np.arange(n_win) * TRACK_HOP_S
    centre = np.clip(np.round(times / hop).astype(int), 0, max(n_frames - 1, 0))
    return times, centre, int(round(WINDOW_S / 2 / hop))


def _windows(values: np.ndarray, valid: np.ndarray, centre: np.ndarray, half: int) -> np.ndarray:
    """``(T, 2 * half + 1)`` values around each centre, sorted, invalid ones as +inf at the end."""
    filled = np.pad(np.where(valid, values, np.inf), half, constant_values=np.inf)
    view = np.lib.stride_tricks.sliding_window_view(filled, 2 * half + 1)
    return np.sort(view[centre], axis=1)


def _quantile(sorted_rows: np.ndarray, count: np.ndarray, q: float) -> np.ndarray:
    """Quantile ``q`` of the first ``count`` values of each sorted row (NaN where none)."""
    pos = q * np.maximum(count - 1, 0)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, np.maximum(count - 1, 0))
    rows = np.arange(sorted_rows.shape[0])
    a, b = sorted_rows[rows, lo], sorted_rows[rows, hi]
    with np.errstate(invalid="ignore"):
        step = np.where(np.isfinite(a) & np.isfinite(b), b - a, 0.0)
    return np.where(count > 0, a + (pos - lo) * step, np.nan)


def _moving_sum(mask: np.ndarray, centre: np.ndarray, half: int) -> np.ndarray:
    csum = np.concatenate([[0.0], np.cumsum(mask.astype(np.float64))])
    lo = np.clip(centre - half, 0, mask.size)
    hi = np.clip(centre + half + 1, 0, mask.size)
    return csum[hi] - csum[lo]


def prosody_track(
    clip: AudioClip,
    envelope: EnergyEnvelope | None = None,
    phonemes: Sequence[PhonemeSegment] | None = None,
    *,
    pitch: PitchTrack | None = None,
) -> ProsodyTrack:
    """Measure the prosodic cues of ``clip`` over sliding windows.

    Parameters
    ----------
    clip
        The audio.
    envelope
        Its loudness envelope (computed when not given).
    phonemes
        Its timed phones, when known: vowels give the syllable nuclei.
    pitch
        Its F0 track (computed when not given).

    Returns
    -------
    ProsodyTrack
        Finite everywhere; a clip without voice gives typical values with zero support.
    """
    env = envelope if envelope is not None else energy_envelope(clip)
    if env.db.size == 0:
        env = EnergyEnvelope(np.full(1, -120.0), env.hop)  # an empty clip: one silent frame
    n = env.db.size
    hop = env.hop
    times, centre, half = _window_index(n, hop)
    f0_track = pitch if pitch is not None else track_pitch(clip)
    speech = detect_voice_activity(env).speech if n else np.zeros(0, dtype=bool)
    level_ref = env.speech_level()
    m = min(n, f0_track.f0.size)
    voiced = np.zeros(n, dtype=bool)
    voiced[:m] = f0_track.voiced[:m] & speech[:m] & (env.db[:m] > level_ref - VOICED_RANGE_DB)
    f0_st = np.zeros(n)
    f0_st[voiced] = 12.0 * np.log2(f0_track.f0[:m][voiced[:m]] / 100.0)
    alpha = alpha_ratio(clip, n, hop)
    nuclei = syllable_nuclei(clip, phonemes)
    attack = attack_slopes(env, speech)
    rising = np.isfinite(attack)
    nucleus_frames = np.zeros(n, dtype=bool)
    idx = np.round(nuclei / hop).astype(int)
    nucleus_frames[idx[(idx >= 0) & (idx < n)]] = True
    nucleus_frames &= speech

    # Whole-clip values (typical ones where the clip has no voice).
    has_voice = bool(voiced.any())
    speech_s = float(np.count_nonzero(speech)) * hop
    voiced_s = float(np.count_nonzero(voiced)) * hop
    clip_f0 = np.percentile(f0_st[voiced], [10, 50, 90]) if has_voice else None
    clip_alpha = float(np.median(alpha[voiced])) if has_voice else NEUTRAL_ALPHA_DB
    clip_attack = float(np.percentile(attack[rising], 90)) if rising.any() else NEUTRAL_ATTACK
    clip_rate = (
        float(np.count_nonzero(nucleus_frames)) / speech_s
        if speech_s >= _MIN_SPEECH_S
        else NEUTRAL_RATE
    )

    # Sliding windows.
    n_voiced = _moving_sum(voiced, centre, half)
    n_speech = _moving_sum(speech, centre, half)
    f0_rows = _windows(f0_st, voiced, centre, half)
    level_rows = _windows(env.db, speech, centre, half)
    alpha_rows = _windows(alpha, voiced, centre, half)
    attack_rows = _windows(np.nan_to_num(attack), rising, centre, half)
    n_rising = _moving_sum(rising, centre, half).astype(int)
    p10, p50, p90 = (_quantile(f0_rows, n_voiced.astype(int), q) for q in (0.1, 0.5, 0.9))
    own_pitch = n_voiced * hop >= _MIN_VOICED_S
    own_speech = n_speech * hop >= _MIN_SPEECH_S
    n_nuclei = _moving_sum(nucleus_frames, centre, half)

    ranges = p90 - p10
    clip_range = float(np.median(ranges[own_pitch])) if own_pitch.any() else NEUTRAL_RANGE_ST
    level = _quantile(level_rows, n_speech.astype(int), 0.8) - level_ref
    summary = ProsodySummary(
        duration=float(clip.duration),
        speech_seconds=speech_s,
        voiced_seconds=voiced_s,
        speech_level_dbfs=float(level_ref) if speech_s > 0 else -120.0,
        effort_db=clip_alpha,
        f0_median_hz=float(100.0 * 2 ** (clip_f0[1] / 12.0)) if clip_f0 is not None else 0.0,
        f0_low_hz=float(100.0 * 2 ** (clip_f0[0] / 12.0)) if clip_f0 is not None else 0.0,
        pitch_range_st=clip_range,
        rate=clip_rate,
        attack_db_s=clip_attack,
    )
    clip_level = clip_f0[1] if clip_f0 is not None else NEUTRAL_F0_ST
    win_s = (2 * half + 1) * hop
    return ProsodyTrack(
        times=times,
        loudness_db=np.where(own_speech, np.nan_to_num(level), 0.0),
        effort_db=np.where(own_pitch, _quantile(alpha_rows, n_voiced.astype(int), 0.5), clip_alpha),
        pitch_level_st=np.where(own_pitch, p50, clip_level),
        pitch_range_st=np.where(own_pitch, ranges, clip_range),
        rate=np.where(own_speech, n_nuclei / np.maximum(n_speech * hop, 1e-9), clip_rate),
        attack_db_s=np.where(
            n_rising >= _MIN_RISING, _quantile(attack_rows, n_rising, 0.9), clip_attack
        ),
        speech_fraction=np.clip(n_speech * hop / win_s, 0.0, 1.0),
        support=np.clip(n_voiced * hop / _FULL_SUPPORT_S, 0.0, 1.0),
        summary=summary,
        nuclei=nuclei,
    )
