"""Phone recognition without a transcript, on the English phone loop of PocketSphinx's model.

Both uses score every phone state of every frame in numpy from the model's Gaussians
(:mod:`generators.rig.gaussian_scores`, on the cepstra of PocketSphinx's front end):

* :func:`recognise_phones`: the phone loop's best path and its acoustic score
  (:mod:`generators.rig.phone_loop_path`), the yardstick the transcript check
  (:mod:`generators.rig.transcript_check`) compares an alignment with;
* :func:`recognise_lip_phones`: the phones that animate the mouth when there is no transcript.
  The same loop is decoded forward-backward and the timeline keeps, frame by frame, the viseme
  with the largest posterior probability, lip closures favoured
  (:mod:`generators.rig.phone_posteriors`); the best path through the same scores gives the fit
  the language check (:mod:`generators.rig.language_check`) reads.

Scoring in numpy takes about 0.035 s of CPU per second of audio; PocketSphinx scoring every
senone itself took 0.09-0.1 on the same machine (with ``ds=2``, half of that, the viseme
accuracy drops by 2-4 points).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from generators.rig.acoustic_model import acoustic_model
from generators.rig.cepstra import cepstra
from generators.rig.gaussian_scores import state_scores
from generators.rig.phone_loop_path import best_path
from generators.rig.phone_posteriors import (
    LOOP_PHONES,
    PosteriorSettings,
    loop_state_scores,
    pause_frames,
    phone_posteriors,
    viseme_segments,
)
from generators.rig.sphinx import FRAME_RATE
from generators.take import PhonemeSegment

__all__ = [
    "PATH_SETTINGS",
    "RecognitionResult",
    "loop_scores",
    "recognise_lip_phones",
    "recognise_phones",
]

PATH_SETTINGS = PosteriorSettings(acoustic_scale=1.0, lm_weight=1.0)
"""Weights of the loop's best path (:func:`recognise_phones`): the acoustics unscaled and the
phone bigram at weight 1, so the acoustics decide.

As the lip-sync timeline without a transcript, PocketSphinx's own best path through this loop
scored, at phone level (bench/bench_phone_recognition.py): viseme frame accuracy 0.41 on real
speech (4 clips with reference alignments) and 0.43 on eSpeak speech (88 clips), p/b/m closed
for 20 % and 36 % of the true ones while 79 % and 47 % of its own p/b/m were wrong. No setting
of the loop helped much (language weight 2-6.5, phone insertion penalty, ``ds=1``, ``topn=2``,
triphones in the loop: far too slow); this path through the numpy scores does a little better
(0.443 and 0.479, p/b/m closed for 29 % and 47 %), but :func:`recognise_lip_phones` decodes
the scores differently: 0.50 and 0.50, p/b/m closed for 41 % and 53 %, 71 % and 42 % wrong;
with spoken noise read as speech and closures favoured (:data:`LIP_POSTERIORS`) 0.495 and
0.508, p/b/m closed for 90 % and 80 %, with 81 % and 55 % of the closures away from a true
p/b/m."""

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


def recognise_phones(
    pcm: bytes, *, settings: PosteriorSettings = PATH_SETTINGS, scores: np.ndarray | None = None
) -> RecognitionResult:
    """Recognise the phones in 16 kHz PCM audio: the loop's best path.

    Parameters
    ----------
    pcm
        16 kHz mono 16-bit PCM (see :func:`~generators.rig.sphinx.pcm16`).
    settings
        Weights of the path (the acoustic scale and the bigram weight count).
    scores
        The audio's :func:`loop_scores`, when already computed.

    Returns
    -------
    RecognitionResult
        Consecutive identical labels are merged (noise becomes ``"SIL"``); ``frame_scores``
        per phone of the path, in senone score units.
    """
    scores = loop_scores(pcm) if scores is None else scores
    path = best_path(scores, settings)
    phones: list[PhonemeSegment] = []
    for phone, start, count, _ in path:
        label = _label(LOOP_PHONES[phone])
        t0, t1 = start / FRAME_RATE, (start + count) / FRAME_RATE
        if phones and phones[-1].phone == label:
            t0 = phones.pop().start
        phones.append(PhonemeSegment(label, t0, t1))
    return RecognitionResult(phones, _frame_scores(path), len(scores))


def loop_scores(pcm: bytes, *, cep: np.ndarray | None = None) -> np.ndarray:
    """Every loop phone state's scores in every frame of 16 kHz PCM audio.

    Parameters
    ----------
    pcm
        16 kHz mono 16-bit PCM.
    cep
        The audio's :func:`~generators.rig.cepstra.cepstra`, when already computed.

    Returns
    -------
    numpy.ndarray
        ``(frames, 2, len(LOOP_PHONES), n_states)`` (see
        :func:`~generators.rig.gaussian_scores.state_scores`).
    """
    return loop_state_scores(state_scores(cepstra(pcm) if cep is None else cep))


def recognise_lip_phones(
    pcm: bytes,
    *,
    settings: PosteriorSettings = LIP_POSTERIORS,
    scores: np.ndarray | None = None,
) -> RecognitionResult:
    """Phones for lip sync without a transcript: the most probable viseme in every frame.

    Parameters
    ----------
    pcm
        16 kHz mono 16-bit PCM (see :func:`~generators.rig.sphinx.pcm16`).
    settings
        Weights of the posterior decoding.
    scores
        The audio's :func:`loop_scores`, when already computed.

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
    scores = loop_scores(pcm) if scores is None else scores
    posteriors = phone_posteriors(scores, settings, model)
    n_frames = len(scores)
    phones = viseme_segments(posteriors, n_frames, closure_weight=settings.closure_weight)
    path = best_path(scores, PATH_SETTINGS, model)
    return RecognitionResult(phones, _frame_scores(path), n_frames, pause_frames(posteriors))


def _frame_scores(path: list[tuple[int, int, int, float]]) -> list[tuple[int, int, float]]:
    """``(start_frame, n_frames, score)`` of each phone of a :func:`best_path`."""
    return [(start, count, score) for _, start, count, score in path]
