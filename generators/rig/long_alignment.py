"""Aligning a transcript to a long clip, one pause-separated stretch at a time.

One utterance of minutes costs the aligner memory and time, and one bad stretch in it (a cough,
an ad-lib, a word missing from the transcript) can make the whole clip fail its check or shift
every word after it. A clip longer than
:data:`~generators.rig.voice_activity.SINGLE_UTTERANCE_MAX_S` is therefore split:

1. **Where to cut.** Voice activity detection on the loudness envelope finds the pauses
   (:func:`~generators.rig.voice_activity.detect_voice_activity`). A cheap word-level pass over
   the whole clip (:func:`~generators.rig.forced_alignment.rough_align`, about 0.01 s per
   second of audio) says roughly where each word is: no cut may fall on a word it found, and
   the pauses it found between words are further places to cut where the loudness shows none
   (speech in a noisy room). The clip is cut in the middle of pauses into stretches of at most
   :data:`~generators.rig.voice_activity.MAX_CHUNK_S`
   (:func:`~generators.rig.voice_activity.plan_chunks`).
2. **Which words go where.** Each word goes to the stretch its rough time falls in
   (:func:`split_by_times`). When the rough pass finds no path (a stretch of the transcript
   does not fit its audio at all, so the search dies there), or when a stretch's words fail
   their check, the words are found stretch by stretch instead: from where the previous
   stretch's words ended, the stretch's speech is expected to hold as many phones as the
   clip's speaking rate gives it, and a grammar whose first and last word may lie anywhere
   within a margin of those estimates lets the decoder pick the run of words actually spoken
   (:func:`~generators.rig.forced_alignment.flexible_align`). After a stretch that failed, the
   estimates start again from the last stretch that aligned, so one bad stretch does not put
   the following ones out of step.
3. **Each stretch** goes through the check and alignment of a short clip
   (:func:`~generators.rig.transcript_alignment.align_with_check`, with the thresholds
   :data:`CHUNK_MAX_RATIO` and :data:`CHUNK_PARTIAL_RATIO`). A stretch the check rejects, or
   one that received no words, gets the lip sync of a clip without a transcript instead
   (:func:`~generators.rig.phone_recognition.recognise_lip_phones`), so one bad stretch costs
   only its own precision. The times are put back on the clip's timeline, contiguous from 0 to
   the clip's end, with a silence wherever the stretches meet.
4. **The verdict.** When the stretches that failed hold at least :data:`MAX_RECOGNISED_SHARE`
   of the speech, the transcript is not the one for this clip and the whole analysis fails
   with :class:`~generators.errors.TranscriptError`, as for a short clip (the work stops as soon
   as that is certain). Otherwise the clip counts as force-aligned, and the diagnostics list
   each stretch with its method and, for a fallback, the reason, and count the words, the
   share of the speech that fell back and the stretches aligned on the model adapted to the
   voice (``chunks_speaker_adapted``; each stretch says ``speaker_adapted`` too).

A stretch that mixes correct words with a wrong sentence can still pass its check (the check
sees the stretch as a whole, as it sees a whole short clip); its wrong words are then timed as
well as the aligner can force them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from generators.progress import CancelToken, NullProgress, ProgressSink, SubProgress
from generators.rig.energy import EnergyEnvelope
from generators.rig.forced_alignment import (
    ALIGN_CONFIG,
    WordSegment,
    flexible_align,
    rough_align,
)
from generators.rig.phone_recognition import recognise_lip_phones
from generators.rig.pronunciation import Pronouncer
from generators.rig.sphinx import SAMPLE_RATE, decoder
from generators.rig.transcript_alignment import (
    CheckedAlignment,
    align_with_check,
    mismatch_error,
)
from generators.rig.voice_activity import (
    SINGLE_UTTERANCE_MAX_S,
    Pause,
    detect_voice_activity,
    plan_chunks,
)
from generators.take import PhonemeSegment

__all__ = [
    "CHUNK_ALIGNED",
    "CHUNK_MAX_RATIO",
    "CHUNK_PARTIAL_RATIO",
    "CHUNK_RECOGNISED",
    "MAX_RECOGNISED_SHARE",
    "NOT_FOUND",
    "NO_WORDS",
    "ChunkReport",
    "LongAlignment",
    "align_long_clip",
    "place_segments",
    "split_by_times",
]

CHUNK_ALIGNED = "forced-alignment"
"""Method of a stretch whose words were force-aligned."""

CHUNK_RECOGNISED = "phone-recognition"
"""Method of a stretch that fell back to free phone recognition."""

MAX_RECOGNISED_SHARE: float = 0.5
"""Share of the clip's speech whose stretches may fall back before the transcript as a whole
is rejected."""

CHUNK_MAX_RATIO: float = 1.95
"""Score ratio at or above which a stretch's words do not fit its sounds (as for a whole clip:
on the long clips of bench/bench_long_alignment.py the correct stretches scored 1.21-1.58 and
the stretch given wrong words 3.03; see :mod:`~generators.rig.transcript_check`)."""

CHUNK_PARTIAL_RATIO: float = 1.75
"""Score ratio from which a stretch that leaves much of its speech as silence is rejected.

Higher than a whole clip's (1.5): correct transcripts of noisy recordings score ratios up to
1.58 on 5-15 s stretches while leaving up to 40 % of the "speech" by loudness as silence
(background noise within 15 dB of a quiet speaker counts as speech), and a stretch wrongly
rejected loses all its word timing."""

NO_WORDS = "no words of the transcript fall in this stretch"
"""Reason for the fallback of a stretch that holds speech but received no words."""

NOT_FOUND = "none of the words expected here fit it"
"""Reason for the fallback of a stretch where no run of the expected words fits."""

_SLACK = 0.35  # how far a stretch's first and last word may be from the estimate (share)...
_MIN_SLACK = 4  # ...and at least this many words
_ROUGH_SHARE = 0.08  # share of the progress bar taken by the rough pass


@dataclass(frozen=True)
class ChunkReport:
    """How one stretch of a long clip was analysed.

    Parameters
    ----------
    start, end
        The stretch on the clip's timeline, seconds.
    words
        Transcript words given to it.
    method
        :data:`CHUNK_ALIGNED` or :data:`CHUNK_RECOGNISED`.
    reason
        Why it fell back (empty when aligned).
    speech
        Seconds of speech in it (voice activity).
    evidence
        The transcript check's numbers for it (score, ratio, untranscribed speech).
    """

    start: float
    end: float
    words: int
    method: str
    reason: str = ""
    speech: float = 0.0
    evidence: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for the take's provenance."""
        out: dict[str, object] = {
            "start": round(self.start, 2),
            "end": round(self.end, 2),
            "words": self.words,
            "method": self.method,
            "reason": self.reason,
        }
        out.update(self.evidence)
        return out


@dataclass
class LongAlignment:
    """A long clip's phones and words, stitched from its stretches.

    Parameters
    ----------
    phones
        Contiguous phone segments from 0 to the clip's end.
    words
        Aligned words (pauses included), from the stretches that were force-aligned.
    chunks
        One report per stretch, in time order.
    word_distribution
        How words were given to stretches: ``"rough-alignment"`` (by the rough pass over the
        whole clip) or ``"flexible-boundaries"`` (stretch by stretch, that pass having failed).
    guessed
        Words whose pronunciation was guessed.
    """

    phones: list[PhonemeSegment]
    words: list[WordSegment]
    chunks: list[ChunkReport]
    word_distribution: str
    guessed: list[str] = field(default_factory=list)

    def recognised_share(self) -> float:
        """Share of the speech in stretches that fell back to phone recognition."""
        total = sum(c.speech for c in self.chunks)
        failed = sum(c.speech for c in self.chunks if c.method == CHUNK_RECOGNISED)
        return failed / total if total > 0 else 0.0

    def diagnostics(self, n_words: int) -> dict[str, object]:
        """Numbers for the take's provenance (see the module docstring)."""
        n_rec = sum(c.method == CHUNK_RECOGNISED for c in self.chunks)
        out: dict[str, object] = {
            "words": n_words,
            "unaligned_words": sum(c.words for c in self.chunks if c.method == CHUNK_RECOGNISED),
            "word_distribution": self.word_distribution,
            "chunks_aligned": len(self.chunks) - n_rec,
            "chunks_speaker_adapted": sum(
                c.method != CHUNK_RECOGNISED and c.evidence.get("speaker_adapted") is True
                for c in self.chunks
            ),
            "chunks_recognised": n_rec,
            "recognised_speech_share": round(self.recognised_share(), 3),
            "chunks": [c.as_dict() for c in self.chunks],
        }
        if self.guessed:
            out["guessed_pronunciations"] = list(self.guessed)
        return out


def split_by_times(rough: list[WordSegment], bounds: list[tuple[float, float]]) -> list[int]:
    """Words per stretch, each word going to the stretch its middle falls in.

    Examples
    --------
    >>> ws = [WordSegment("a", 0.5, 0.9), WordSegment("b", 1.0, 1.4), WordSegment("c", 2.6, 3.0)]
    >>> split_by_times(ws, [(0.0, 2.0), (2.0, 4.0), (4.0, 5.0)])
    [2, 1, 0]
    """
    inner = np.array([b for _, b in bounds[:-1]])
    mids = np.array([0.5 * (w.start + w.end) for w in rough])
    idx = np.searchsorted(inner, mids, side="right")
    return [int(n) for n in np.bincount(idx, minlength=len(bounds))[: len(bounds)]]


def place_segments(
    segments: list[PhonemeSegment], start: float, end: float
) -> list[PhonemeSegment]:
    """Move a stretch's segments (times from its own 0) onto the clip's timeline.

    Times are shifted by ``start`` and clipped to ``end``; the first segment is made to start
    at ``start`` and the last to end at ``end``, so consecutive stretches join without gap.

    Examples
    --------
    >>> segs = [PhonemeSegment("SIL", 0.0, 0.2), PhonemeSegment("AA", 0.2, 0.51)]
    >>> [(p.phone, p.start, p.end) for p in place_segments(segs, 10.0, 10.5)]
    [('SIL', 10.0, 10.2), ('AA', 10.2, 10.5)]
    """
    out: list[PhonemeSegment] = []
    for p in segments:
        s, e = min(start + p.start, end), min(start + p.end, end)
        if e - s > 1e-9:
            out.append(PhonemeSegment(p.phone, s, e, p.word))
    if not out:
        return [PhonemeSegment("SIL", start, end)]
    first = out[0]
    out[0] = PhonemeSegment(first.phone, start, first.end, first.word)
    last = out[-1]
    out[-1] = PhonemeSegment(last.phone, last.start, end, last.word)
    return out


def _join(phones: list[PhonemeSegment], more: list[PhonemeSegment]) -> None:
    """Append ``more``, merging the silences that meet at the seam."""
    if phones and more and phones[-1].phone == "SIL" and more[0].phone == "SIL":
        more = [PhonemeSegment("SIL", phones.pop().start, more[0].end), *more[1:]]
    phones.extend(more)


@dataclass(frozen=True)
class _Guess:
    """Where one stretch's words are expected to start and end (word indices).

    ``starts`` holds one index when the start is known for sure (``exact``: the previous
    stretch aligned), else every estimate of it; ``ends`` every estimate of the end;
    ``expected`` the number of words the stretch's speech can hold at the clip's rate.
    """

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    exact: bool
    expected: int


@dataclass
class _Found:
    """The words tried on one stretch, ``words[lo:hi]``, and their check (``None``: none)."""

    checked: CheckedAlignment | None
    lo: int
    hi: int
    reason: str = ""

    @property
    def aligned(self) -> bool:
        """Whether the words passed the check."""
        return self.checked is not None and self.checked.matches


def _flexible_run(
    pcm: bytes, words: list[str], guess: _Guess, exact: bool, last: bool
) -> tuple[int, int] | None:
    """Which run of words one stretch holds, when its ends are known only approximately.

    Each end may lie :data:`_SLACK` of the expected run (at least :data:`_MIN_SLACK` words)
    beyond its estimates; the grammar of
    :func:`~generators.rig.forced_alignment.flexible_align` finds where it really is. With
    ``exact`` the run starts at the one known start; the last stretch ends with the transcript.
    """
    n = len(words)
    slack = max(_MIN_SLACK, int(np.ceil(_SLACK * guess.expected)))
    lo, hi = min(guess.starts), max(guess.starts)
    wide = range(max(0, lo - slack), min(n - 1, hi + slack) + 1)
    starts = range(lo, lo + 1) if exact else wide
    if last:
        ends = range(n, n + 1)
    else:
        ends = range(max(1, min(guess.ends) - slack), min(n, max(guess.ends) + slack) + 1)
    found = flexible_align(pcm, words, starts, ends)
    return None if found is None else (found[0], found[1])


def _attempt(
    pcm: bytes,
    words: list[str],
    envelope: EnergyEnvelope,
    progress: ProgressSink,
    cancel: CancelToken,
    lo: int,
    hi: int,
) -> _Found:
    checked = align_with_check(
        pcm,
        words[lo:hi],
        envelope,
        max_ratio=CHUNK_MAX_RATIO,
        partial_ratio=CHUNK_PARTIAL_RATIO,
        progress=progress,
        cancel=cancel,
    )
    return _Found(checked, lo, hi)


def _stretch_words(
    pcm: bytes,
    words: list[str],
    guess: _Guess,
    fixed: tuple[int, int] | None,
    last: bool,
    attempt: Callable[[int, int], _Found],
    progress: ProgressSink,
) -> _Found:
    """Align the words of one stretch, finding them first when they are uncertain.

    The rough pass's words for the stretch (``fixed``), when there are some, are tried first.
    When they fail the check, or when there are none, a grammar finds which run of words is
    spoken here (:func:`_flexible_run`), from the known start if there is one, then from an
    uncertain start (the previous stretch may have passed its check with a word too many or
    too few). The first run that passes is returned, else the first one tried.
    """
    n = len(words)
    if guess.exact and guess.starts[0] >= n:
        return _Found(None, n, n, NO_WORDS)
    tries: list[_Found] = []
    if fixed is not None:
        if fixed[1] <= fixed[0]:  # the rough pass put no words here
            return _Found(None, fixed[0], fixed[0], NO_WORDS)
        tries.append(attempt(*fixed))
        if tries[-1].aligned:
            return tries[-1]
    progress.report(0.0, "finding which words are spoken here")
    for exact in (True, False) if guess.exact else (False,):
        run = _flexible_run(pcm, words, guess, exact, last)
        if run is None or any((t.lo, t.hi) == run for t in tries):
            continue
        tries.append(attempt(*run))
        if tries[-1].aligned:
            return tries[-1]
    if tries:
        return tries[0]
    lo = min(guess.starts[0], n)
    hi = min(max(int(np.median(guess.ends)), lo), n)
    return _Found(None, lo, hi, NOT_FOUND)


def _word_phones(words: list[str]) -> list[int]:
    with decoder(ALIGN_CONFIG) as dec:
        pron = Pronouncer(dec.lookup_word)  # type: ignore[attr-defined]
        return [len(pron.pronounce(w).phones) for w in words]


class _PartProgress:
    """Progress of one stretch: prefixed messages, never moving backwards (a stretch may try
    several runs of words, each reporting from 0 again)."""

    def __init__(self, parent: ProgressSink, prefix: str) -> None:
        self._parent = parent
        self._prefix = prefix
        self._done = 0.0

    def report(self, fraction: float, message: str) -> None:
        self._done = max(self._done, fraction)
        self._parent.report(self._done, self._prefix + message)


def align_long_clip(
    pcm: bytes,
    words: list[str],
    envelope: EnergyEnvelope,
    duration: float,
    *,
    progress: ProgressSink | None = None,
    cancel: CancelToken | None = None,
) -> LongAlignment | None:
    """Align ``words`` to a long clip in pause-separated stretches (see the module docstring).

    Parameters
    ----------
    pcm
        16 kHz mono 16-bit PCM of the whole clip.
    words
        Normalised words of the whole transcript (at least one).
    envelope
        Loudness envelope of the clip.
    duration
        Clip length in seconds.
    progress
        Receives 0..1 progress, stretch by stretch.
    cancel
        Checked before each stretch and between its passes.

    Returns
    -------
    LongAlignment or None
        ``None`` when the clip is not worth splitting (short, or no pause to cut at): align it
        in one utterance.

    Raises
    ------
    TranscriptError
        When stretches holding at least :data:`MAX_RECOGNISED_SHARE` of the speech do not fit
        their words.
    Cancelled
        If ``cancel`` was triggered.
    """
    if duration <= SINGLE_UTTERANCE_MAX_S:
        return None
    sink = progress or NullProgress()
    token = cancel or CancelToken()
    activity = detect_voice_activity(envelope)
    sink.report(0.0, f"finding the {len(words)} words in the whole clip")
    rough = rough_align(pcm, words)
    token.raise_if_cancelled()
    avoid = [(w.start, w.end) for w in rough] if rough else []
    gaps = [Pause(x.end, y.start) for x, y in zip(rough, rough[1:], strict=False)] if rough else []
    bounds = plan_chunks(activity, duration, avoid=avoid, gaps=gaps)
    if len(bounds) < 2:
        return None
    speech = [activity.speech_seconds(a, b) for a, b in bounds]
    total_speech = sum(speech) or duration
    n_words = len(words)
    how = "flexible-boundaries" if rough is None else "rough-alignment"
    edges: list[int] = []  # the rough pass's first word of each stretch, and the end
    if rough is not None:
        edges = [int(e) for e in np.concatenate([[0], np.cumsum(split_by_times(rough, bounds))])]
    cum = np.concatenate([[0.0], np.cumsum(_word_phones(words), dtype=np.float64)])
    rate = cum[-1] / total_speech  # phones per second of speech

    def words_until(first: int, seconds: float) -> int:
        """The word index reached from ``first`` after ``seconds`` of speech at the clip's rate."""
        return int(np.searchsorted(cum, cum[min(first, n_words)] + rate * seconds))

    phones: list[PhonemeSegment] = []
    words_out: list[WordSegment] = []
    reports: list[ChunkReport] = []
    guessed: dict[str, None] = {}
    failed_speech = 0.0
    cursor, exact = 0, True  # where the next stretch's words start; known for sure?
    good_word, good_time = 0, 0.0  # the end of the last stretch that aligned
    for k, (a, b) in enumerate(bounds):
        token.raise_if_cancelled()
        s0 = int(round(a * SAMPLE_RATE))
        s1 = int(round(b * SAMPLE_RATE)) if k < len(bounds) - 1 else len(pcm) // 2
        chunk_pcm = pcm[2 * s0 : 2 * s1]
        i0, i1 = int(round(a / envelope.hop)), int(round(b / envelope.hop))
        chunk_env = EnergyEnvelope(envelope.db[i0:i1], envelope.hop)
        f0 = _ROUGH_SHARE + (1 - _ROUGH_SHARE) * a / duration
        f1 = _ROUGH_SHARE + (1 - _ROUGH_SHARE) * b / duration
        part = _PartProgress(SubProgress(sink, f0, f1), f"part {k + 1} of {len(bounds)}: ")
        last = k == len(bounds) - 1

        # Where this stretch's words should be: after the previous stretch's, or, after a
        # stretch that failed, where the speaking rate (and the rough pass) put them.
        starts = {cursor}
        if not exact:
            starts.add(words_until(good_word, activity.speech_seconds(good_time, a)))
            if rough is not None:
                starts.add(edges[k])
        ends = {words_until(i, speech[k]) for i in starts}
        if rough is not None:
            ends.add(edges[k + 1])
        first = min(starts)
        guess = _Guess(
            tuple(sorted(starts)), tuple(sorted(ends)), exact, words_until(first, speech[k]) - first
        )
        fixed = None
        if rough is not None and exact:
            fixed = (cursor, n_words if last else max(edges[k + 1], cursor))
        attempt = partial(_attempt, chunk_pcm, words, chunk_env, part, token)
        out = _stretch_words(chunk_pcm, words, guess, fixed, last, attempt, part)
        checked, sub = out.checked, words[out.lo : out.hi]
        if out.aligned:
            cursor, exact, good_word, good_time = out.hi, True, out.hi, b
        elif not (out.reason == NO_WORDS and exact):
            cursor, exact = out.hi, False

        if checked is not None and checked.alignment is not None and out.aligned:
            al = checked.alignment
            _join(phones, place_segments(al.phones, a, b))
            for w in al.words:
                ws, we = min(a + w.start, b), min(a + w.end, b)
                if we > ws:
                    words_out.append(WordSegment(w.word, ws, we))
            guessed.update(dict.fromkeys(al.derived_words))
            reports.append(
                ChunkReport(a, b, len(sub), CHUNK_ALIGNED, "", speech[k], checked.diagnostics())
            )
            continue
        reason = out.reason if checked is None else checked.reason
        failed_speech += speech[k]
        if failed_speech >= MAX_RECOGNISED_SHARE * total_speech:
            raise mismatch_error("the words do not fit the sounds in most of the clip")
        part.report(0.5, "recognising phones (the words do not fit here)")
        scored = None if checked is None else checked.scores  # scored already by the check
        rec = recognise_lip_phones(chunk_pcm, scores=scored)  # as a clip without transcript
        _join(phones, place_segments(rec.phones, a, b))
        evidence = checked.diagnostics() if checked is not None else {}
        reports.append(ChunkReport(a, b, len(sub), CHUNK_RECOGNISED, reason, speech[k], evidence))
    token.raise_if_cancelled()
    sink.report(1.0, f"transcript aligned in {len(bounds)} parts")
    return LongAlignment(phones, words_out, reports, how, list(guessed))
