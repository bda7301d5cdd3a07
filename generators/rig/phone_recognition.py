"""Phone recognition without a transcript, on PocketSphinx's English phone loop.

Two uses:

* :func:`recognise_phones`: the phone loop's best path and its acoustic score, the yardstick
  the transcript check (:mod:`generators.rig.transcript_check`) compares an alignment with;
* :func:`recognise_lip_phones`: the phones that animate the mouth when there is no transcript.
  The same loop is decoded forward-backward over every frame's senone scores and the timeline
  keeps, frame by frame, the viseme with the largest posterior probability, lip closures
  favoured (:mod:`generators.rig.phone_posteriors`); the loop's best path still supplies the
  scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from generators.rig.acoustic_model import acoustic_model
from generators.rig.phone_posteriors import (
    PosteriorSettings,
    pause_frames,
    phone_posteriors,
    phone_state_scores,
    viseme_segments,
)
from generators.rig.senone_scores import senone_decoder
from generators.rig.sphinx import FRAME_RATE, DecoderConfig, decoder
from generators.take import PhonemeSegment

__all__ = [
    "LIP_PHONES_CONFIG",
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

LIP_PHONES_CONFIG = DecoderConfig(mode="phones", compallsen=True, ds=1, lw=1.0)
"""Decoder settings of the pass behind :func:`recognise_lip_phones`.

Every senone in every frame (``compallsen``, ``ds=1``: with ``ds=2`` every other frame's scores
are approximations and the viseme accuracy drops by 2-4 points); the phone loop's search on top
costs little and gives the scores :func:`~generators.rig.language_check.english_confidence`
reads. With the posterior decoding (about 0.005) the whole pass takes 0.05-0.06 s of CPU per
second of audio, against 0.037 for :func:`recognise_phones`."""

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
    config: DecoderConfig = LIP_PHONES_CONFIG,
    settings: PosteriorSettings = LIP_POSTERIORS,
) -> RecognitionResult:
    """Phones for lip sync without a transcript: the most probable viseme in every frame.

    Parameters
    ----------
    pcm
        16 kHz mono 16-bit PCM (see :func:`~generators.rig.sphinx.pcm16`).
    config
        Decoder settings of the scoring pass (a ``"phones"`` mode config with ``compallsen``).
    settings
        Weights of the posterior decoding.

    Returns
    -------
    RecognitionResult
        ``phones`` from the posterior decoding (contiguous, covering the clip, ``"SIL"`` for
        pauses) and its ``pauses``; ``frame_scores`` and ``n_frames`` from the phone loop's
        best path.
    """
    model = acoustic_model()
    with senone_decoder(config, model.n_senones) as logged:
        state_scores = logged.run(pcm, lambda block: phone_state_scores(block, model))
        loop = _best_path(logged.decoder)
    posteriors = phone_posteriors(state_scores, settings, model)
    phones = viseme_segments(posteriors, loop.n_frames, closure_weight=settings.closure_weight)
    return RecognitionResult(phones, loop.frame_scores, loop.n_frames, pause_frames(posteriors))


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
