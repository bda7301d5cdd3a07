"""Phone recognition without a transcript: PocketSphinx's phone loop with its phone bigram LM."""

from __future__ import annotations

from dataclasses import dataclass, field

from generators.rig.sphinx import FRAME_RATE, DecoderConfig, decoder
from generators.take import PhonemeSegment

__all__ = ["PHONES_CONFIG", "RecognitionResult", "recognise_phones"]

PHONES_CONFIG = DecoderConfig(mode="phones", compallsen=True, ds=2, lw=1.0)
"""Decoder settings of the phone recogniser.

A low language weight (1 instead of 6.5) lets the acoustics decide more: viseme frame accuracy
against the reference timings rises from 0.43 to 0.45 on real speech and from 0.33 to 0.42 on
synthetic speech. ``compallsen`` makes its score comparable with the aligner's (transcript
check); ``ds=2`` keeps it near 0.04 s per second of audio."""


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
    """

    phones: list[PhonemeSegment]
    frame_scores: list[tuple[int, int, float]] = field(default_factory=list)
    n_frames: int = 0

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
        n_frames = int(dec.n_frames())  # type: ignore[attr-defined]
        logmath = dec.get_logmath()  # type: ignore[attr-defined]
        raw = [(s.word, s.start_frame, s.end_frame, s.ascore) for s in (dec.seg() or [])]
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
