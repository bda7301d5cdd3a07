"""Forced alignment of a known word sequence with PocketSphinx (two passes).

Pass 1 (``Decoder.set_align_text``) finds where each word is, choosing among the dictionary's
alternative pronunciations and optional silences; pass 2 (``Decoder.set_alignment``) re-runs
the audio through the chosen phone sequence and returns phone and state boundaries with their
acoustic scores.

With a speaker adaptation (:mod:`~generators.rig.speaker_adaptation`) both passes run on a
decoder of the clip's own whose Gaussian means the adaptation moves; :func:`word_path` is the
cheap word-level pass the adaptation starts from.

For long clips two cheaper word-level passes help cut the clip into stretches:
:func:`rough_align` places the words over the whole clip (Gaussians on every third frame), and
:func:`flexible_align` finds which run of words a stretch holds when its first and last word
are known only approximately (a grammar with several entry and exit points).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from generators.errors import TranscriptError
from generators.rig.pronunciation import Pronouncer
from generators.rig.speaker_adaptation import MeanTransform, write_transform
from generators.rig.sphinx import FRAME_RATE, DecoderConfig, adapted_decoder, decoder
from generators.take import PhonemeSegment

__all__ = [
    "ALIGN_CONFIG",
    "AlignmentResult",
    "WordSegment",
    "flexible_align",
    "force_align",
    "rough_align",
    "word_path",
]

ALIGN_CONFIG = DecoderConfig(mode="align", beam=1e-200, pbeam=1e-200, wbeam=1e-150)
"""Decoder settings of the aligner that times the phones.

Beams far wider than PocketSphinx's defaults keep disfluent speech, long pauses and speech that
runs to the very end of the clip inside the search (the defaults made correct transcripts fail).
Full frame rate (``ds=1``): frame downsampling was twice as fast but now and then misplaced a
word by hundreds of milliseconds (bench/bench_rig.py measures both)."""

ROUGH_CONFIG = DecoderConfig(mode="align", ds=3, beam=1e-200, pbeam=1e-200, wbeam=1e-150)
"""Decoder settings of the rough word pass over a whole long clip (:func:`rough_align`).

Every third frame's Gaussians (``ds=3``) and one pass only: about 0.008 s per second of audio,
a fifth of the timing pass, with word boundaries within ~50 ms of the reference for three words
in four; enough to tell which pause-separated stretch each word belongs to."""

_MAX_VARIANTS = 32  # alternative pronunciations looked up per word
_SILENCES = {"SIL", "<sil>", "<s>", "</s>", "(NULL)"}
_GUESSED: set[str] = set()  # words this process added to the shared decoder dictionary


@dataclass(frozen=True)
class WordSegment:
    """One aligned word (``"<sil>"`` for pauses, ``"[NOISE]"``-style names for fillers)."""

    word: str
    start: float
    end: float


@dataclass
class AlignmentResult:
    """What the aligner found.

    Parameters
    ----------
    phones
        Contiguous phone segments (``"SIL"`` for pauses) covering the clip.
    words
        Word segments, pauses included.
    frame_scores
        Per-phone ``(start_frame, n_frames, score)`` in PocketSphinx log units (normalised per
        frame by the best senone), for the transcript check.
    n_frames
        Frames in the utterance.
    derived_words
        Words whose pronunciation was guessed (not in the dictionary).
    states
        The path's HMM states: ``(phone, state, start_frame, n_frames)`` with the decoder's
        phone name (``"SIL"`` or a filler such as ``"+NSN+"`` for pauses and noise) and the
        state's position in its phone (0 first).
    """

    phones: list[PhonemeSegment]
    words: list[WordSegment]
    frame_scores: list[tuple[int, int, float]] = field(default_factory=list)
    n_frames: int = 0
    derived_words: list[str] = field(default_factory=list)
    states: list[tuple[str, int, int, int]] = field(default_factory=list)

    @property
    def score_per_frame(self) -> float:
        """Mean acoustic score per frame of the alignment path."""
        total = sum(s for _, _, s in self.frame_scores)
        return total / max(self.n_frames, 1)


def _base_word(name: str) -> str:
    return name.split("(", 1)[0]


def _register_words(dec: object, words: list[str]) -> tuple[list[str], list[str]]:
    """Make sure every word is in the decoder dictionary; return (words, guessed)."""
    pron = Pronouncer(dec.lookup_word)  # type: ignore[attr-defined]
    guessed: list[str] = []
    for w in dict.fromkeys(words):
        if dec.lookup_word(w) is None:  # type: ignore[attr-defined]
            p = pron.pronounce(w)
            dec.add_word(w, " ".join(p.phones), True)  # type: ignore[attr-defined]
            _GUESSED.add(w)
        if w in _GUESSED:
            guessed.append(w)
    return words, guessed


def _is_filler(name: str) -> bool:
    """Whether a decoder word is a pause or a filler (``<sil>``, ``[NOISE]``, ``+BREATH+``)."""
    return name in _SILENCES or name.startswith(("[", "+"))


def _spoken_words(dec: object) -> list[WordSegment] | None:
    """The words of the decoder's last hypothesis, pauses and fillers left out, or ``None``."""
    if dec.hyp() is None:  # type: ignore[attr-defined]
        return None
    return [
        WordSegment(_base_word(s.word), s.start_frame / FRAME_RATE, (s.end_frame + 1) / FRAME_RATE)
        for s in (dec.seg() or [])  # type: ignore[attr-defined]
        if not _is_filler(s.word)
    ]


def _run(dec: object, pcm: bytes) -> None:
    dec.start_utt()  # type: ignore[attr-defined]
    dec.process_raw(pcm, full_utt=True)  # type: ignore[attr-defined]
    dec.end_utt()  # type: ignore[attr-defined]


def force_align(
    pcm: bytes,
    words: list[str],
    *,
    config: DecoderConfig = ALIGN_CONFIG,
    adaptation: MeanTransform | None = None,
) -> AlignmentResult:
    """Align ``words`` to 16 kHz PCM audio.

    Parameters
    ----------
    pcm
        16 kHz mono 16-bit PCM (see :func:`~generators.rig.sphinx.pcm16`).
    words
        Normalised words (see :func:`~generators.rig.text_normalise.normalise_transcript`);
        words missing from the dictionary get a guessed pronunciation.
    config
        Decoder settings.
    adaptation
        The clip's speaker adaptation (:mod:`~generators.rig.speaker_adaptation`): the passes
        run on a decoder of their own whose model means it moves.

    Returns
    -------
    AlignmentResult

    Raises
    ------
    TranscriptError
        When the words cannot be aligned to the audio at all.
    """
    if not words:
        raise TranscriptError("the transcript has no words; type what is said or omit it")
    if adaptation is None:
        with decoder(config) as dec:
            words, guessed = _register_words(dec, words)
            return _align(dec, pcm, words, guessed)
    with decoder(config) as shared:
        words, guessed = _register_words(shared, words)
        entries = _dictionary_entries(shared, words)
    with tempfile.TemporaryDirectory(prefix="affect-align-") as tmp:
        transform, dictionary = Path(tmp) / "mllr", Path(tmp) / "words.dict"
        write_transform(adaptation, transform)
        dictionary.write_text("\n".join(entries) + "\n", encoding="utf-8")
        dec = adapted_decoder(config, transform, dictionary)
    return _align(dec, pcm, words, guessed)


def _dictionary_entries(dec: object, words: list[str]) -> list[str]:
    """Dictionary lines of ``words``, every alternative pronunciation included."""
    lines = []
    for w in dict.fromkeys(words):
        for k in range(1, _MAX_VARIANTS + 1):
            name = w if k == 1 else f"{w}({k})"
            phones = dec.lookup_word(name)  # type: ignore[attr-defined]
            if phones is None:
                break
            lines.append(f"{name} {phones}")
    return lines


def _align(dec: object, pcm: bytes, words: list[str], guessed: list[str]) -> AlignmentResult:
    """The two passes on ``dec`` (word level, then phone and state level)."""
    try:
        dec.set_align_text(" ".join(words))  # type: ignore[attr-defined]
        _run(dec, pcm)
        hyp = dec.hyp()  # type: ignore[attr-defined]
        if hyp is None:
            raise RuntimeError("no alignment path")
        dec.set_alignment()  # type: ignore[attr-defined]
        _run(dec, pcm)
        alignment = dec.get_alignment()  # type: ignore[attr-defined]
    except RuntimeError:
        raise TranscriptError(
            "transcript does not match the audio (it cannot be aligned); "
            "check the transcript or omit it"
        ) from None
    n_frames = int(dec.n_frames())  # type: ignore[attr-defined]
    phones: list[PhonemeSegment] = []
    words_out: list[WordSegment] = []
    scores: list[tuple[int, int, float]] = []
    states: list[tuple[str, int, int, int]] = []
    for w in alignment:
        name = _base_word(w.name)
        ws, wd = w.start, w.duration
        words_out.append(WordSegment(name, ws / FRAME_RATE, (ws + wd) / FRAME_RATE))
        is_sil = _is_filler(name)
        for ph in w:
            label = (
                "SIL" if is_sil or ph.name in _SILENCES or ph.name.startswith("+") else ph.name
            )
            start, dur = int(ph.start), int(ph.duration)
            scores.append((start, dur, float(ph.score)))
            states.extend((ph.name, k, int(st.start), int(st.duration)) for k, st in enumerate(ph))
            phones.append(
                PhonemeSegment(
                    label, start / FRAME_RATE, (start + dur) / FRAME_RATE, "" if is_sil else name
                )
            )
    return AlignmentResult(phones, words_out, scores, n_frames, guessed, states)


def word_path(
    pcm: bytes, words: list[str], *, config: DecoderConfig = ROUGH_CONFIG
) -> list[tuple[tuple[str, ...], int, int]] | None:
    """Where each word and pause is, from one word-level pass (for the speaker adaptation).

    Parameters
    ----------
    pcm
        16 kHz mono 16-bit PCM.
    words
        Normalised words (at least one).
    config
        Decoder settings (by default those of :func:`rough_align`: every third frame's
        Gaussians, about half the cost of the timing pass's first pass; the adaptation needs
        only roughly placed words).

    Returns
    -------
    list of (phones, start_frame, end_frame) or None
        Each word with the phones of the pronunciation the pass chose, each pause (``()``),
        in order (noise fillers are left out: what they cover is neither); ``None`` when no
        path fits.
    """
    if not words:
        return None
    with decoder(config) as dec:
        if not _word_pass(dec, pcm, words) or dec.hyp() is None:  # type: ignore[attr-defined]
            return None
        out: list[tuple[tuple[str, ...], int, int]] = []
        for s in dec.seg() or []:  # type: ignore[attr-defined]
            start, end = int(s.start_frame), int(s.end_frame) + 1
            if s.word in _SILENCES:
                out.append(((), start, end))
            elif not _is_filler(s.word):
                phones = dec.lookup_word(s.word)  # type: ignore[attr-defined]
                if phones:
                    out.append((tuple(phones.split()), start, end))
    return out


def _word_pass(dec: object, pcm: bytes, words: list[str]) -> bool:
    """Run one word-level alignment pass of ``words`` over ``pcm``; ``False`` when no path
    through the words fits the audio."""
    _register_words(dec, words)
    try:
        dec.set_align_text(" ".join(words))  # type: ignore[attr-defined]
        _run(dec, pcm)
    except RuntimeError:
        return False
    return True


def rough_align(
    pcm: bytes, words: list[str], *, config: DecoderConfig = ROUGH_CONFIG
) -> list[WordSegment] | None:
    """Approximate times of ``words`` in the audio (one cheap word-level pass).

    Parameters
    ----------
    pcm
        16 kHz mono 16-bit PCM.
    words
        Normalised words.
    config
        Decoder settings.

    Returns
    -------
    list of WordSegment or None
        One segment per word of ``words``, in order (pauses and fillers left out), or ``None``
        when no path through the words fits the audio.
    """
    if not words:
        return None
    with decoder(config) as dec:
        if not _word_pass(dec, pcm, words):
            return None
        found = _spoken_words(dec)
    if found is None or [w.word for w in found] != list(words):
        return None
    return found


def flexible_align(
    pcm: bytes,
    words: list[str],
    starts: range,
    ends: range,
    *,
    config: DecoderConfig = ROUGH_CONFIG,
) -> tuple[int, int, list[WordSegment]] | None:
    """Find which consecutive run of ``words`` is spoken in the audio, and roughly where.

    The run must begin at an index in ``starts`` and end (exclusive) at an index in ``ends``;
    a finite-state grammar with those entry and exit points lets the decoder choose, so a
    stretch of a long clip whose words are only known approximately finds its own first and
    last word.

    Parameters
    ----------
    pcm
        16 kHz mono 16-bit PCM.
    words
        All normalised words (indices refer to this list).
    starts, ends
        Allowed first index and allowed end index (steps of 1).
    config
        Decoder settings.

    Returns
    -------
    (start, end, segments) or None
        The run ``words[start:end]`` and one segment per word of it, or ``None`` when no run
        fits the audio.
    """
    lo, hi = max(0, starts.start), min(len(words), ends.stop - 1)
    begin = [j for j in starts if lo <= j < hi]
    finish = [j for j in ends if lo < j <= hi]
    if not begin or not finish or max(finish) <= min(begin):
        return None
    window = words[lo:hi]
    entry, final = len(window) + 1, len(window) + 2
    arcs: list[tuple[int, ...] | tuple[int, int, float, str]] = [
        (j, j + 1, 1.0, w) for j, w in enumerate(window)
    ]
    arcs += [(entry, j - lo, 1.0) for j in begin]
    arcs += [(j - lo, final, 1.0) for j in finish]
    with decoder(config) as dec:
        _register_words(dec, window)
        try:
            fsg = dec.create_fsg("flexible", entry, final, arcs)  # type: ignore[attr-defined]
            dec.add_fsg("flexible", fsg)  # type: ignore[attr-defined]
            dec.activate_search("flexible")  # type: ignore[attr-defined]
            _run(dec, pcm)
        except RuntimeError:
            return None
        found = _spoken_words(dec)
    if found is None:
        return None
    names = [w.word for w in found]
    n = len(names)
    fits = [j for j in begin if j + n in finish and words[j : j + n] == names]
    if not n or not fits:
        return None
    centre = 0.5 * (begin[0] + begin[-1])
    first = min(fits, key=lambda j: abs(j - centre))
    return first, first + n, found
