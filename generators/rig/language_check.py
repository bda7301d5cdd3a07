"""Can the English phone recogniser explain this voice? The evidence behind ``language="auto"``.

Two figures compare the English phone recognition of a clip (no transcript) with the acoustic
analysis of the same clip (:mod:`generators.rig.acoustic_lipsync`):

* **coverage**: the share of the voice-active frames (acoustic voice activity) that the
  recogniser labels as phones rather than silence or noise. A voice the English model cannot
  parse at all (humming, a buzz shaped like syllables) is mostly left as "noise": 0.43 on such a
  signal, 0.80-1.0 on every real English clip of the shared evaluation set (the lowest is a
  breathy "out of breath" reading) and 0.74-1.0 on eSpeak English (88 clips).
* **fit**: the mean acoustic score per frame of the phones on the loop's best path (senone
  score units, every frame normalised by its best senone, so 0 is a perfect fit; see
  :mod:`generators.rig.phone_loop_path`). The real English clips of the shared evaluation set
  score -26.2 to -35.0 (the worst a 1.4 s noisy clip), eSpeak English -29.5 to -42.7, the
  buzz -35.4.

The auto mode switches to the acoustic lip sync only when coverage is below
:data:`MIN_PHONE_COVERAGE` or fit below :data:`MIN_ENGLISH_FIT`, i.e. well outside everything
English. It is deliberately conservative, because neither figure (nor anything else measured
with the bundled en-US model: acoustic scores per frame, per vowel or per consonant, the phone
LM score of the recognised phones, the cost of English phonotactics against a flat phone loop,
phone-frequency divergence, word-decoding score ratios and word posteriors) separates English
from German, French, Japanese or Mandarin speech: the real non-English clips of the evaluation
set score coverage 0.82-0.99 and fit -30.2 to -32.9, inside the English ranges. The English
phone loop fits any human speech about equally well, so for a voice line in another language
choose ``language="other"``.

Examples
--------
>>> EnglishConfidence(fit=-46.0, coverage=0.93).low
False
>>> EnglishConfidence(fit=-46.0, coverage=0.3).reason
'the English recogniser labels only 30% of the voice as phones (below 50%)'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generators.rig.phone_recognition import RecognitionResult
from generators.rig.sphinx import FRAME_RATE

__all__ = ["MIN_ENGLISH_FIT", "MIN_PHONE_COVERAGE", "EnglishConfidence", "english_confidence"]

MIN_PHONE_COVERAGE: float = 0.5
"""Share of the voice-active frames recognised as phones below which English is not trusted."""

MIN_ENGLISH_FIT: float = -55.0
"""Acoustic score per phone frame below which English is not trusted (12 units below the worst
English clip of the evaluation sets, eSpeak's)."""


@dataclass(frozen=True)
class EnglishConfidence:
    """How well the English phone recogniser explains a clip.

    Parameters
    ----------
    fit
        Mean acoustic score per frame of the recognised phones (0: perfect; English speech
        about -26 to -43).
    coverage
        Share of the voice-active frames labelled as phones (1: all of them).
    """

    fit: float
    coverage: float

    @property
    def reason(self) -> str:
        """Why English is not trusted (empty when it is)."""
        if self.coverage < MIN_PHONE_COVERAGE:
            return (
                f"the English recogniser labels only {self.coverage:.0%} of the voice as "
                f"phones (below {MIN_PHONE_COVERAGE:.0%})"
            )
        if self.fit < MIN_ENGLISH_FIT:
            return (
                f"the English phones fit the sound poorly (score {self.fit:.1f} per frame, "
                f"below {MIN_ENGLISH_FIT:.0f})"
            )
        return ""

    @property
    def low(self) -> bool:
        """Whether the recogniser's confidence is too low to use its phones."""
        return bool(self.reason)

    def diagnostics(self) -> dict[str, object]:
        """The figures, rounded, for a take's provenance."""
        return {"english_fit": round(self.fit, 1), "english_coverage": round(self.coverage, 3)}


def english_confidence(recognition: RecognitionResult, speech: np.ndarray) -> EnglishConfidence:
    """Measure how well ``recognition`` explains the voice-active frames ``speech``.

    Parameters
    ----------
    recognition
        English phone recognition of the clip.
    speech
        ``(M,)`` voice activity at :data:`~generators.rig.sphinx.FRAME_RATE` frames per second
        (from :func:`~generators.rig.acoustic_lipsync.voice_activity`).

    Returns
    -------
    EnglishConfidence
        Coverage is 1 and fit 0 when there is no voice at all (nothing to distrust).
    """
    n = max(recognition.n_frames, int(np.size(speech)))
    phone = np.zeros(n, dtype=bool)
    if recognition.pauses is not None and np.size(recognition.pauses):
        heard = ~np.asarray(recognition.pauses, dtype=bool)[:n]
        phone[:] = heard[-1]  # the timeline's last segment reaches the end
        phone[: len(heard)] = heard
    else:
        for seg in recognition.phones:
            if seg.phone != "SIL":
                start = int(round(seg.start * FRAME_RATE))
                phone[start : int(round(seg.end * FRAME_RATE))] = True
    total = 0.0
    frames = 0
    for start, count, score in recognition.frame_scores:
        if count > 0 and phone[start : start + count].mean() > 0.5:
            total += score
            frames += count
    fit = total / frames if frames else 0.0
    voice = np.zeros(n, dtype=bool)
    voice[: np.size(speech)] = np.asarray(speech, dtype=bool)
    n_voice = int(np.count_nonzero(voice))
    coverage = float(np.count_nonzero(phone & voice) / n_voice) if n_voice else 1.0
    return EnglishConfidence(fit=float(fit), coverage=coverage)
