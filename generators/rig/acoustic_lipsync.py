"""Lip sync from the sound alone, for any language: syllables, pauses and coarse mouth shapes.

The English speech model cannot label phones of other languages, but the mouth of every
language opens on the vowel of each syllable, closes between syllables where the sound really
falls, and rests in pauses. This pass finds exactly that from acoustic features (numpy and
scipy only, about 0.003 s of compute per second of audio):

1. **Frame features** every 10 ms (25 ms Hann window, 16 kHz): the loudness of the
   300-3000 Hz band (where vowels are loud and most consonants are not), the 4-8 kHz band
   (frication), zero-crossing rate, a voicing score (normalised autocorrelation peak) and two
   spectral balances of the low band: 550-1200 Hz over 150-550 Hz (high first formant: an open
   vowel) and 1500-3500 Hz over 150-1500 Hz (bright: a front, spread vowel; dark: a rounded one).
2. **Voice activity**: band loudness above a threshold set between the clip's noise floor and
   its speaking level, with hysteresis, frication counting as speech, a hangover after each
   stretch and short gaps bridged, so that pauses of :data:`MIN_PAUSE_S` or more close the mouth.
3. **Syllable nuclei**: peaks of the smoothed band loudness at least :data:`MIN_SYLLABLE_S`
   apart whose prominence is large relative to the local loudness range.
4. **Segments**: around each nucleus a vowel stretch, between nuclei the dip. Each stretch gets a
   representative ARPAbet label so the rest of the pipeline (visemes, coarticulation, mouth
   cues, exporters) works unchanged: the vowel's label follows its openness, from its loudness
   against the clip's other syllables (so the jaw follows the syllables' loudness) and from the
   first-formant balance (which tracks the real openness of a vowel better: Spearman 0.69
   against reference vowels, loudness 0.34), and its rounding (``AA`` open, ``EH``/``AO`` half
   open, ``IH``/``UW`` close); a dip becomes ``M`` (the lips meet) where the sound really falls
   (12 dB below its neighbours, or down to the voice-activity threshold), ``N`` where it falls
   4-12 dB, ``S``/``F`` where it hisses, and nothing where the two vowels glide into each other;
   pauses are ``SIL``.

Examples
--------
>>> import numpy as np
>>> from generators.audio import AudioClip
>>> sr = 16000
>>> t = np.arange(2 * sr) / sr
>>> syllables = np.clip(np.sin(2 * np.pi * 2.5 * t), 0, None) ** 2 * (t > 0.4) * (t < 1.6)
>>> voice = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 20))
>>> clip = AudioClip.from_samples((0.2 * syllables * voice).astype("f4"), sr)
>>> result = analyse_acoustics(clip)
>>> len(result.nuclei), result.phonemes[0].phone, result.phonemes[-1].phone
(3, 'SIL', 'SIL')
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import maximum_filter1d, minimum_filter1d
from scipy.signal import find_peaks

from generators.audio import AudioClip
from generators.take import PhonemeSegment

__all__ = [
    "ACOUSTIC",
    "HOP_S",
    "MIN_PAUSE_S",
    "MIN_SYLLABLE_S",
    "AcousticAnalysis",
    "AcousticFeatures",
    "Nucleus",
    "acoustic_features",
    "analyse_acoustics",
    "voice_activity",
]

ACOUSTIC = "acoustic"
"""Method name of this pass (in a take's provenance ``lip_sync``)."""

HOP_S: float = 0.01
"""Seconds between analysis frames."""

MIN_SYLLABLE_S: float = 0.08
"""Shortest distance between two syllable nuclei (fast speech reaches ~8 syllables/s)."""

MIN_PAUSE_S: float = 0.12
"""Shortest gap in the voice that counts as a pause (the mouth rests); shorter gaps are
bridged and left to the dip between syllables."""

HANGOVER_S: float = 0.04
"""Speech is held this long after the voice falls under the threshold (trailing consonants)."""

_RATE = 16000
_HOP = 160
_WIN = 400
_NFFT = 512
_EPS = 1e-12
_DIGITAL_SILENCE_DB = -100.0
_SMOOTH_TAPS = 5
_MIN_PROMINENCE_DB = 2.0  # a nucleus stands at least this far above its dips...
_PROMINENCE_SHARE = 0.06  # ...and this share of the local loudness range
_LOCAL_RANGE_S = 0.8  # window of the local loudness range
_DEEP_DIP_DB = 12.0  # a dip this far below both neighbouring nuclei: the mouth closes (M)
_SHALLOW_DIP_DB = 4.0  # a dip shallower than this: the vowels glide, no consonant
_OPEN_PER_DB = 0.025  # vowel openness score per dB of loudness above the clip's median syllable
_OPEN_PER_F1 = 0.06  # ...and per robust z-score of the first-formant balance
_OPEN_AT = 0.6  # score from which a vowel is open (AA)...
_HALF_OPEN_AT = 0.3  # ...half open (EH, or AO when dark); below, close (IH, or UW when dark)
_DARK_Z = -0.7  # brightness z-score below which a vowel counts as rounded
_MIN_CONSONANT_S = 0.03
_MIN_FRICATIVE_FRAMES = 4  # 40 ms of hiss make a fricative (a stop's burst is shorter)
_MIN_EDGE_S = 0.04  # onset/coda stretches shorter than this join the vowel


@dataclass
class AcousticFeatures:
    """Per-frame acoustic features of a clip, one row every :data:`HOP_S` seconds.

    Parameters
    ----------
    loudness
        ``(M,)`` level of the 300-3000 Hz band in dB (full scale), lightly smoothed.
    high
        ``(M,)`` level of the 4-8 kHz band in dB.
    zcr
        ``(M,)`` zero crossings per sample, 0..1.
    voicing
        ``(M,)`` normalised autocorrelation peak at 80-500 Hz, 0..1 (near 1: voiced).
    openness
        ``(M,)`` dB of 550-1200 Hz over 150-550 Hz (higher: a more open vowel).
    brightness
        ``(M,)`` dB of 1500-3500 Hz over 150-1500 Hz (higher: front and spread; lower: rounded).
    """

    loudness: np.ndarray
    high: np.ndarray
    zcr: np.ndarray
    voicing: np.ndarray
    openness: np.ndarray
    brightness: np.ndarray

    @property
    def times(self) -> np.ndarray:
        """``(M,)`` frame centre times in seconds."""
        return np.arange(self.loudness.size) * HOP_S

    def floor_and_level(self) -> tuple[float, float]:
        """The clip's noise floor and speaking level of :attr:`loudness`, in dB.

        The 5th and 97th percentiles, ignoring digital silence (below -100 dB), which would
        otherwise pull the floor far below the room noise of the pauses.
        """
        live = self.loudness[self.loudness > _DIGITAL_SILENCE_DB]
        if live.size == 0:
            return -120.0, -120.0
        return float(np.percentile(live, 5)), float(np.percentile(live, 97))

    def thresholds(self) -> tuple[float, float]:
        """Voice-activity levels in dB: where speech starts, and down to where it holds."""
        floor, level = self.floor_and_level()
        span = level - floor
        return floor + max(10.0, 0.32 * span), floor + max(6.0, 0.2 * span)


@dataclass(frozen=True)
class Nucleus:
    """One syllable nucleus.

    Parameters
    ----------
    time
        Seconds of the loudness peak.
    level
        Band loudness at the peak (dB).
    phone
        The representative vowel label given to it.
    start, end
        The vowel stretch around the peak (seconds).
    """

    time: float
    level: float
    phone: str
    start: float
    end: float


@dataclass
class AcousticAnalysis:
    """What the acoustic pass found.

    Parameters
    ----------
    phonemes
        Contiguous segments from 0 to the clip's duration with representative ARPAbet labels.
    nuclei
        The syllable nuclei in time order.
    speech
        ``(M,)`` voice activity per frame.
    features
        The frame features the decisions were made from.
    diagnostics
        Numbers worth keeping in a take's provenance.
    """

    phonemes: list[PhonemeSegment]
    nuclei: list[Nucleus]
    speech: np.ndarray
    features: AcousticFeatures
    diagnostics: dict[str, object] = field(default_factory=dict)

    @property
    def syllable_rate(self) -> float:
        """Syllable nuclei per second of speech (0 without speech)."""
        seconds = float(np.count_nonzero(self.speech)) * HOP_S
        return len(self.nuclei) / seconds if seconds > 0 else 0.0


# --------------------------------------------------------------------------- features


def _frames(x: np.ndarray) -> np.ndarray:
    """``(M, _WIN)`` centred frames, one every :data:`_HOP` samples."""
    n = int(np.ceil(x.size / _HOP)) if x.size else 0
    padded = np.concatenate([np.zeros(_WIN // 2), x, np.zeros(_WIN)])
    view = np.lib.stride_tricks.sliding_window_view(padded, _WIN)[::_HOP]
    return view[:n]


def _band(power: np.ndarray, lo: float, hi: float) -> np.ndarray:
    k0 = int(np.ceil(lo * _NFFT / _RATE))
    k1 = int(np.floor(hi * _NFFT / _RATE)) + 1
    return power[:, k0:k1].sum(axis=1)


def _db(energy: np.ndarray) -> np.ndarray:
    return 10.0 * np.log10(np.maximum(energy, _EPS))


def acoustic_features(clip: AudioClip) -> AcousticFeatures:
    """Compute the frame features of ``clip`` (any sample rate; analysed at 16 kHz).

    Parameters
    ----------
    clip
        The voice line.

    Returns
    -------
    AcousticFeatures
    """
    x = np.asarray(clip.resampled(_RATE).samples, dtype=np.float64)
    frames = _frames(x)
    if frames.shape[0] == 0:
        empty = np.zeros(0)
        return AcousticFeatures(empty, empty, empty, empty, empty, empty)
    frames = frames - frames.mean(axis=1, keepdims=True)
    window = np.hanning(_WIN)
    spec = np.fft.rfft(frames * window, _NFFT, axis=1)
    # Scaled so that a band's sum is the mean square of the signal in that band (dB full scale).
    power = (spec.real**2 + spec.imag**2) * (2.0 / (_NFFT * float(np.sum(window**2))))
    low = _band(power, 150, 550)
    mid = _band(power, 550, 1200)
    band = _band(power, 300, 3000)
    upper = _band(power, 1500, 3500)
    base = _band(power, 150, 1500)
    high = _band(power, 4000, 7900)
    # Voicing: autocorrelation (inverse FFT of the power) normalised by its zero lag and by
    # the window's own autocorrelation, peak over 2-12.5 ms lags (80-500 Hz).
    acf = np.fft.irfft(power, _NFFT, axis=1)
    win_acf = np.correlate(window, window, mode="full")[_WIN - 1 :]
    lags = np.arange(_RATE // 500, _RATE // 80)
    norm = acf[:, lags] / np.maximum(acf[:, :1], _EPS) * (win_acf[0] / win_acf[lags])
    voicing = np.clip(norm.max(axis=1), 0.0, 1.0)
    signs = np.signbit(frames)
    zcr = np.count_nonzero(signs[:, 1:] != signs[:, :-1], axis=1) / (_WIN - 1)
    loud = _db(band)
    kernel = np.hanning(_SMOOTH_TAPS + 2)[1:-1]
    smooth = np.convolve(
        np.pad(loud, _SMOOTH_TAPS // 2, mode="edge"), kernel / kernel.sum(), mode="valid"
    )
    return AcousticFeatures(
        loudness=smooth,
        high=_db(high),
        zcr=zcr.astype(np.float64),
        voicing=voicing,
        openness=_db(mid) - _db(low),
        brightness=_db(upper) - _db(base),
    )


# --------------------------------------------------------------------------- voice activity


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``[start, end)`` index pairs of the True runs of ``mask``."""
    if mask.size == 0:
        return []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _frication(feat: AcousticFeatures) -> np.ndarray:
    """Frames whose 4-8 kHz band stands well above its own floor and dominates the voice band."""
    if feat.high.size == 0:
        return np.zeros(0, dtype=bool)
    live = feat.high[feat.high > _DIGITAL_SILENCE_DB]
    if live.size == 0:
        return np.zeros(feat.high.size, dtype=bool)
    floor = float(np.percentile(live, 5))
    top = float(np.percentile(live, 99))
    strong = feat.high > floor + max(10.0, 0.35 * (top - floor))
    return strong & (feat.zcr > 0.2) & (feat.high > feat.loudness - 6.0)


def voice_activity(feat: AcousticFeatures) -> np.ndarray:
    """Which frames are speech: loudness with hysteresis, frication, hangover, bridged gaps.

    Parameters
    ----------
    feat
        From :func:`acoustic_features`.

    Returns
    -------
    numpy.ndarray
        ``(M,)`` booleans.
    """
    loud = feat.loudness
    m = loud.size
    if m == 0:
        return np.zeros(0, dtype=bool)
    floor, level = feat.floor_and_level()
    span = level - floor
    if span < 10.0:  # no dynamics: all voice or all silence
        voiced = float(np.median(feat.voicing)) > 0.5 and level > -60.0
        return np.full(m, voiced)
    on_db, hold_db = feat.thresholds()
    on = loud > on_db
    hold = loud > hold_db
    fric = _frication(feat)
    speech = np.zeros(m, dtype=bool)
    for a, b in _runs(hold | fric):
        # A stretch is speech if it reaches the "on" level, or hisses for 40 ms or more.
        if on[a:b].any() or np.count_nonzero(fric[a:b]) >= 4:
            speech[a:b] = True
    # Hangover, then bridge gaps shorter than a pause.
    hang = int(round(HANGOVER_S / HOP_S))
    ends = [b for _, b in _runs(speech)]
    for b in ends:
        speech[b : min(m, b + hang)] = True
    min_gap = int(round(MIN_PAUSE_S / HOP_S))
    runs = _runs(speech)
    for (_, b), (a2, _) in zip(runs, runs[1:], strict=False):
        if a2 - b < min_gap:
            speech[b:a2] = True
    # Drop clicks: stretches under 50 ms that never get loud.
    for a, b in _runs(speech):
        if b - a < 5 and loud[a:b].max() < floor + 0.5 * span:
            speech[a:b] = False
    return speech


# --------------------------------------------------------------------------- syllables


def _nuclei_in_run(
    loud: np.ndarray, a: int, b: int, local_range: np.ndarray, min_level: float
) -> list[int]:
    seg = loud[a:b]
    if seg.size < 3 or seg.max() < min_level:
        return []
    distance = max(1, int(round(MIN_SYLLABLE_S / HOP_S)))
    padded = np.concatenate([[seg.min() - 1.0], seg, [seg.min() - 1.0]])
    peaks, props = find_peaks(padded, distance=distance, prominence=_MIN_PROMINENCE_DB)
    keep = []
    for p, prom in zip(peaks - 1, props["prominences"], strict=True):
        loud_enough = padded[p + 1] >= min_level
        if loud_enough and prom >= max(_MIN_PROMINENCE_DB, _PROMINENCE_SHARE * local_range[a + p]):
            keep.append(a + int(p))
    if not keep and b - a >= 6:
        keep = [a + int(np.argmax(seg))]
    return keep


def _vowel_bounds(loud: np.ndarray, peak: int, lo: int, hi: int) -> tuple[int, int]:
    """The stretch around ``peak`` (within ``[lo, hi)``) above half-way to each side's dip."""
    left_dip = lo + int(np.argmin(loud[lo : peak + 1]))
    right_dip = peak + int(np.argmin(loud[peak:hi]))
    left_cut = 0.5 * (loud[peak] + loud[left_dip])
    right_cut = 0.5 * (loud[peak] + loud[right_dip])
    s = peak
    while s > left_dip and loud[s - 1] >= left_cut:
        s -= 1
    e = peak + 1
    while e < right_dip + 1 and e < hi and loud[e] >= right_cut:
        e += 1
    return s, e


def _dips(loud: np.ndarray, a: int, b: int, nuclei: list[int]) -> list[int]:
    """``[a, dip between nuclei 0 and 1, ..., b]``."""
    inner = [int(p + np.argmin(loud[p:q])) for p, q in zip(nuclei, nuclei[1:], strict=False)]
    return [a, *inner, b]


def _bounds(
    loud: np.ndarray, b: int, nuclei: list[int], limits: list[int]
) -> list[tuple[int, int]]:
    """Vowel stretch of every nucleus of a run ending at ``b`` (``limits`` from :func:`_dips`)."""
    out = []
    for i, p in enumerate(nuclei):
        hi = limits[i + 1] + 1 if i + 1 < len(nuclei) else b
        out.append(_vowel_bounds(loud, p, limits[i], hi))
    return out


@dataclass
class _Stretch:
    start: int
    end: int
    phone: str


def _vowel_labels(
    feat: AcousticFeatures, nuclei: list[int], bounds: list[tuple[int, int]]
) -> list[str]:
    """Representative vowels: openness from loudness and first-formant balance, plus rounding."""
    if not nuclei:
        return []
    level = np.array([feat.loudness[p] for p in nuclei])
    opn = np.array([np.mean(feat.openness[s:e]) for s, e in bounds])
    brt = np.array([np.mean(feat.brightness[s:e]) for s, e in bounds])

    def z(v: np.ndarray) -> np.ndarray:
        if v.size < 4:
            return np.zeros_like(v)
        mad = float(np.median(np.abs(v - np.median(v)))) * 1.4826
        return np.clip((v - np.median(v)) / max(mad, 1.0), -3.0, 3.0)

    loud_rel = level - float(np.median(level))
    score = 0.5 + _OPEN_PER_DB * loud_rel + _OPEN_PER_F1 * z(opn)
    dark = z(brt) < _DARK_Z
    labels = []
    for s_, d in zip(score, dark, strict=True):
        if s_ >= _OPEN_AT:
            labels.append("AA")
        elif s_ >= _HALF_OPEN_AT:
            labels.append("AO" if d else "EH")
        else:
            labels.append("UW" if d else "IH")
    return labels


def _dip_label(loud: np.ndarray, s: int, e: int, peak_level: float, floor_db: float) -> str:
    """``M`` where the sound really falls, ``N`` where it falls moderately, else ``""``."""
    dip = float(loud[s:e].min())
    if peak_level - dip >= _DEEP_DIP_DB or dip <= floor_db:
        return "M"
    if peak_level - dip >= _SHALLOW_DIP_DB:
        return "N"
    return ""


def _consonant(
    feat: AcousticFeatures,
    fric: np.ndarray,
    s: int,
    e: int,
    peak_level: float,
    floor_db: float,
    default: str = "",
) -> list[_Stretch]:
    """Label the consonant stretch ``[s, e)`` between vowels peaking at ``peak_level``.

    Its hissing part becomes ``S`` (strong, high-pitched) or ``F``; the rest a closure or a
    lighter dip (:func:`_dip_label`). Nothing at all (a glide between vowels) gives ``default``
    or, if that is empty, no stretch.
    """
    if e <= s:
        return []
    hiss = np.flatnonzero(fric[s:e])
    if hiss.size >= min(_MIN_FRICATIVE_FRAMES, max(2, (e - s) // 2)):
        fs, fe = s + int(hiss[0]), s + int(hiss[-1]) + 1
        strong = float(np.median(feat.high[fs:fe] - feat.loudness[fs:fe])) > 0.0
        out = []
        left = _dip_label(feat.loudness, s, fs, peak_level, floor_db) if fs - s >= 3 else ""
        if left:
            out.append(_Stretch(s, fs, left))
        else:
            fs = s
        right = _dip_label(feat.loudness, fe, e, peak_level, floor_db) if e - fe >= 3 else ""
        out.append(_Stretch(fs, fe if right else e, "S" if strong else "F"))
        if right:
            out.append(_Stretch(fe, e, right))
        return out
    label = _dip_label(feat.loudness, s, e, peak_level, floor_db) or default
    return [_Stretch(s, e, label)] if label else []


def _widen_consonant(s: int, e: int, centre: int, lo: int, hi: int) -> tuple[int, int]:
    """``[s, e)`` widened to :data:`_MIN_CONSONANT_S` around ``centre``, within ``[lo, hi)``."""
    min_n = int(round(_MIN_CONSONANT_S / HOP_S))
    if e - s < min_n:
        s = max(lo, centre - min_n // 2)
        e = min(hi, s + min_n)
    return s, e


def _run_stretches(
    feat: AcousticFeatures,
    fric: np.ndarray,
    a: int,
    b: int,
    nuclei: list[int],
    labels: list[str],
    floor_db: float,
) -> list[_Stretch]:
    """Vowel and consonant stretches covering one speech run ``[a, b)``."""
    loud = feat.loudness
    if not nuclei:
        return _consonant(feat, fric, a, b, float(loud[a:b].min()), floor_db, default="N")
    out: list[_Stretch] = []
    limits = _dips(loud, a, b, nuclei)
    bounds = _bounds(loud, b, nuclei, limits)
    # Onset before the first vowel.
    s0 = bounds[0][0]
    cursor = a
    if s0 - a >= int(round(_MIN_EDGE_S / HOP_S)):
        out += _consonant(feat, fric, a, s0, float(loud[nuclei[0]]), floor_db, default="N")
        cursor = s0
    for i, p in enumerate(nuclei):
        v_end = bounds[i][1]
        if i + 1 < len(nuclei):
            dip = limits[i + 1]
            next_start = bounds[i + 1][0]
            peak_level = float(min(loud[p], loud[nuclei[i + 1]]))
            cs, ce = _widen_consonant(
                min(v_end, dip), max(next_start, dip + 1), dip, p + 1, nuclei[i + 1]
            )
            consonant = _consonant(feat, fric, cs, ce, peak_level, floor_db)
            if consonant:
                out.append(_Stretch(cursor, cs, labels[i]))
                out += consonant
                cursor = ce
            else:  # the vowels glide into each other at the dip
                out.append(_Stretch(cursor, dip, labels[i]))
                cursor = dip
        else:
            tail = b - v_end
            if tail >= int(round(_MIN_EDGE_S / HOP_S)):
                out.append(_Stretch(cursor, v_end, labels[i]))
                out += _consonant(feat, fric, v_end, b, float(loud[p]), floor_db, default="N")
            else:
                out.append(_Stretch(cursor, b, labels[i]))
            cursor = b
    return [s for s in out if s.end > s.start]


def _local_range(loud: np.ndarray, speech: np.ndarray, floor_db: float) -> np.ndarray:
    clipped = np.where(speech, loud, floor_db)
    size = max(1, int(round(_LOCAL_RANGE_S / HOP_S)))
    return maximum_filter1d(clipped, size) - minimum_filter1d(clipped, size)


def analyse_acoustics(clip: AudioClip) -> AcousticAnalysis:
    """Find pauses, syllables and coarse mouth shapes of ``clip`` from the sound alone.

    Parameters
    ----------
    clip
        The voice line, in any language.

    Returns
    -------
    AcousticAnalysis
        Segments cover ``0 .. clip.duration`` without gaps.
    """
    feat = acoustic_features(clip)
    duration = clip.duration
    speech = voice_activity(feat)
    m = feat.loudness.size
    on_db, hold_db = feat.thresholds()
    fric = _frication(feat)
    local = _local_range(feat.loudness, speech, hold_db)
    stretches: list[_Stretch] = []
    nuclei_out: list[Nucleus] = []
    runs = _runs(speech)
    per_run = [_nuclei_in_run(feat.loudness, a, b, local, on_db) for a, b in runs]
    all_nuclei = [p for peaks in per_run for p in peaks]
    all_bounds = []
    for (a, b), peaks in zip(runs, per_run, strict=True):
        all_bounds += _bounds(feat.loudness, b, peaks, _dips(feat.loudness, a, b, peaks))
    labels = _vowel_labels(feat, all_nuclei, all_bounds)
    k = 0
    cursor = 0
    for (a, b), peaks in zip(runs, per_run, strict=True):
        if a > cursor:
            stretches.append(_Stretch(cursor, a, "SIL"))
        run_labels = labels[k : k + len(peaks)]
        stretches += _run_stretches(feat, fric, a, b, peaks, run_labels, hold_db)
        for p, lab, (s, e) in zip(peaks, run_labels, all_bounds[k : k + len(peaks)], strict=True):
            nuclei_out.append(
                Nucleus(p * HOP_S, float(feat.loudness[p]), lab, s * HOP_S, e * HOP_S)
            )
        k += len(peaks)
        cursor = b
    if cursor < m or not stretches:
        stretches.append(_Stretch(cursor, max(m, cursor + 1), "SIL"))
    phonemes = _to_segments(stretches, duration)
    result = AcousticAnalysis(phonemes, nuclei_out, speech, feat)
    result.diagnostics = {
        "syllables": len(nuclei_out),
        "syllable_rate": round(result.syllable_rate, 2),
        "speech_share": round(float(np.mean(speech)) if m else 0.0, 3),
    }
    return result


def _to_segments(stretches: list[_Stretch], duration: float) -> list[PhonemeSegment]:
    """Frame stretches -> contiguous segments ending exactly at ``duration``; equal labels
    merge (bilabial closures stay separate)."""
    out: list[PhonemeSegment] = []
    for st in stretches:
        start = min(st.start * HOP_S, duration)
        end = min(st.end * HOP_S, duration)
        if out:
            start = out[-1].end
        if end <= start + 1e-9:
            continue
        if out and out[-1].phone == st.phone and st.phone != "M":
            prev = out.pop()
            out.append(PhonemeSegment(st.phone, prev.start, end))
        else:
            out.append(PhonemeSegment(st.phone, start, end))
    if not out:
        return [PhonemeSegment("SIL", 0.0, duration)]
    last = out[-1]
    if last.end < duration:
        out[-1] = PhonemeSegment(last.phone, last.start, duration)
    return out
