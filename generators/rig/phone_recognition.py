"""Phone recognition without a transcript, on PocketSphinx's English phone loop.

Two uses:

* :func:`recognise_phones`: the phone loop's best path and its acoustic score, the yardstick
  the transcript check (:mod:`generators.rig.transcript_check`) compares an alignment with;
* :func:`recognise_lip_phones`: the phones that animate the mouth when there is no transcript.
  The same loop is decoded forward-backward over every frame's phone-state scores (computed in
  numpy from the model's Gaussians, :mod:`generators.rig.gaussian_scores`) and the timeline
  keeps, frame by frame, the viseme with the largest posterior probability, lip closures
  favoured (:mod:`generators.rig.phone_posteriors`); the loop's best path through the same
  scores (:mod:`generators.rig.phone_loop_path`) gives the fit the language check reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from generators.rig.acoustic_model import acoustic_model
from generators.rig.cepstra import cepstra
from generators.rig.gaussian_scores import state_scores
from generators.rig.phone_loop_path import best_path
from generators.rig.phone_posteriors import (
    PosteriorSettings,
    loop_state_scores,
    pause_frames,
    phone_posteriors,
    viseme_segments,
)
from generators.rig.sphinx import FRAME_RATE, DecoderConfig, decoder
from generators.take import PhonemeSegment

__all__ = [
    "PHONES_CONFIG",
    "RecognitionResult",
    "recognise_lip_phones",
    "recognise_phones",
]

PHONES_CONFIG = DecoderConfig(mode="phones", compallsen=True, ds=2, lw=1.0)
"""Decoder settings of the phone recogniser's best path (:func:`recognise_phones`).

A low language weight (1 instead of 6.5) lets the acoustics decide more. ``compallsen`` makes
its score comparable with the aligner's (transcript check); ``ds=2`` keeps it near 0.04 s of CPU
per second of audio. As the lip-sync timeline without a transcript this best path scored, at
phone level (bench/bench_phone_recognition.py): viseme frame accuracy 0.41 on real speech (4
clips with reference alignments) and 0.43 on eSpeak speech (88 clips), p/b/m closed for 20 % and
36 % of the true ones while 79 % and 47 % of its own p/b/m were wrong. No setting of the loop
helped much (language weight 2-6.5, phone insertion penalty, ``ds=1``, ``topn=2``, triphones
in the loop: far too slow), so :func:`recognise_lip_phones` decodes its scores differently:
0.50 and 0.50, p/b/m closed for 41 % and 53 %, 71 % and 42 % wrong; with spoken noise read as
speech and closures favoured (:data:`LIP_POSTERIORS`) 0.50 and 0.51, p/b/m closed for 93 % and
80 %, with 80 % and 55 % of the closures away from a true p/b/m."""

PATH_SETTINGS = PosteriorSettings(acoustic_scale=1.0, lm_weight=1.0)
"""Weights of the loop's best path behind the fit: the acoustics unscaled and the phone bigram
at weight 1, as the phone recogniser's (:data:`PHONES_CONFIG`)."""

LIP_POSTERIORS = PosteriorSettings()
"""Weights of the posterior decoding and of the lip closures in the timeline (see
:mod:`generators.rig.phone_posteriors`)."""


@dataclass
class RecognitionResult:
    """Recognised phones.

    Parameters
    ----------
    phones
        Contiguous phone segments (``"SIL"`` for silence and noise) covering the clip.
    frame_scores
        Per-segment ``(start_frame, n_frames, acoustic score)`` in PocketSphinx log units.
    n_frames
        Frames in the utterance.
    pauses
        ``(frames,)`` bool: frames the loop most probably explains as silence or noise, spoken
        noise included (the timeline of :func:`recognise_lip_phones` shows a speech viseme
        over spoken noise, so its ``"SIL"`` segments are fewer); ``None``: the ``"SIL"``
        segments of ``phones`` are the pauses.
    """

    phones: list[PhonemeSegment]
    frame_scores: list[tuple[int, int, float]] = field(default_factory=list)
    n_frames: int = 0
    pauses: np.ndarray | None = None

    @property
    def score_per_frame(self) -> float:
        """Mean acoustic score per frame of the recognised path."""
        total = sum(s for _, _, s in self.frame_scores)
        return total / max(self.n_frames, 1)


def _label(name: str) -> str:
    if name in {"SIL", "<sil>", "<s>", "</s>", "(NULL)"} or name.startswith(("+", "[")):
        return "SIL"
    return name


def recognise_phones(pcm: bytes, *, config: DecoderConfig = PHONES_CONFIG) -> RecognitionResult:
    """Recognise the phones in 16 kHz PCM audio.

    Parameters
    ----------
    pcm
        16 kHz mono 16-bit PCM (see :func:`~generators.rig.sphinx.pcm16`).
    config
        Decoder settings (must be a ``"phones"`` mode config).

    Returns
    -------
    RecognitionResult
        Consecutive identical labels are merged; gaps become silence.
    """
    with decoder(config) as dec:
        dec.start_utt()  # type: ignore[attr-defined]
        dec.process_raw(pcm, full_utt=True)  # type: ignore[attr-defined]
        dec.end_utt()  # type: ignore[attr-defined]
        return _best_path(dec)


def recognise_lip_phones(
    pcm: bytes,
    *,
    settings: PosteriorSettings = LIP_POSTERIORS,
) -> RecognitionResult:
    """Phones for lip sync without a transcript: the most probable viseme in every frame.

    Parameters
    ----------
    pcm
        16 kHz mono 16-bit PCM (see :func:`~generators.rig.sphinx.pcm16`).
    settings
        Weights of the posterior decoding.

    Returns
    -------
    RecognitionResult
        ``phones`` from the posterior decoding (contiguous, covering the clip, ``"SIL"`` for
        pauses) and its ``pauses``; ``frame_scores`` from the loop's best path through the same
        scores (score units, see :func:`~generators.rig.phone_loop_path.best_path`).

    Notes
    -----
    About 0.03-0.04 s of CPU per second of audio for the scores (PocketSphinx's front end and
    the Gaussians in numpy) and 0.01 for the two decodings; PocketSphinx scoring every senone
    itself took 0.09-0.1 on the same machine (``ds=2``, half that, costs 2-4 points of viseme
    accuracy).
    """
    model = acoustic_model()
    scores = loop_state_scores(state_scores(cepstra(pcm)), model)
    posteriors = phone_posteriors(scores, settings, model)
    n_frames = len(scores)
    phones = viseme_segments(posteriors, n_frames, closure_weight=settings.closure_weight)
    path = best_path(scores, PATH_SETTINGS, model)
    frame_scores = [(start, count, score) for _, start, count, score in path]
    return RecognitionResult(phones, frame_scores, n_frames, pause_frames(posteriors))


def _best_path(dec: object) -> RecognitionResult:
    """The phone loop's best path of the utterance just decoded."""
    n_frames = int(dec.n_frames())  # type: ignore[attr-defined]
    logmath = dec.get_logmath()  # type: ignore[attr-defined]
    raw = [(s.word, s.start_frame, s.end_frame, s.ascore) for s in (dec.seg() or [])]  # type: ignore[attr-defined]
    phones: list[PhonemeSegment] = []
    scores: list[tuple[int, int, float]] = []
    cursor = 0
    for word, sf, ef, ascore in raw:
        if ef < sf:
            continue
        n = ef - sf + 1
        scores.append((sf, n, float(logmath.log(ascore)) if ascore > 0 else -1e9))
        start = max(sf, cursor)
        if start > cursor:
            phones.append(PhonemeSegment("SIL", cursor / FRAME_RATE, start / FRAME_RATE))
        label = _label(word)
        end = ef + 1
        if phones and phones[-1].phone == label and abs(phones[-1].end - start / FRAME_RATE) < 1e-9:
            prev = phones.pop()
            phones.append(PhonemeSegment(label, prev.start, end / FRAME_RATE))
        else:
            phones.append(PhonemeSegment(label, start / FRAME_RATE, end / FRAME_RATE))
        cursor = end
    if cursor < n_frames:
        phones.append(PhonemeSegment("SIL", cursor / FRAME_RATE, n_frames / FRAME_RATE))
    return RecognitionResult(phones, scores, n_frames)
