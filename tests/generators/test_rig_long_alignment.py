"""Long clips: voice activity, cutting at pauses, giving words to stretches, and the alignment
of a real minute-long clip in stretches, with a stretch whose words are wrong falling back to
phone recognition.

The real clip joins evaluation clips (bench/long_clip.py): the MFA test corpus parts have
reference word timings. Measured with the settings in this repository
(``bench/bench_long_alignment.py --short``): word boundaries of the referenced parts mean 31 ms,
85 % within 50 ms (in one utterance: 28 ms, 86 %); with one part's words wrong, 37 ms and 83 %
for the other parts. The tolerances below leave a margin for other machines.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.long_clip import SHORT_ORDER, LongClip, build_long_clip, part_errors
from generators.audio import AudioClip
from generators.base import GenerationRequest
from generators.errors import Cancelled, TranscriptError
from generators.progress import CancelToken
from generators.rig import lipsync
from generators.rig.energy import energy_envelope
from generators.rig.forced_alignment import WordSegment, flexible_align, rough_align
from generators.rig.generator import RigAnalysis, RigGenerator
from generators.rig.lipsync import FORCED_ALIGNMENT, analyse_speech
from generators.rig.long_alignment import (
    CHUNK_ALIGNED,
    CHUNK_RECOGNISED,
    LongAlignment,
    place_segments,
    split_by_times,
)
from generators.rig.pronunciation import ARPABET
from generators.rig.sphinx import pcm16
from generators.rig.text_normalise import normalise_transcript
from generators.rig.transcript_alignment import align_with_check
from generators.rig.voice_activity import (
    HANGOVER_S,
    MAX_CHUNK_S,
    MIN_PAUSE_S,
    Pause,
    VoiceActivity,
    detect_voice_activity,
    plan_chunks,
)
from generators.take import PhonemeSegment
from tests.conftest import Recorder

RATE = 16000
WORD_MEAN_MS = 50.0
WORD_WITHIN_50 = 0.75


# --- voice activity on synthetic signals ----------------------------------------------------


def _voice(seconds: float, level_db: float, rng: np.random.Generator) -> np.ndarray:
    """A voiced-speech stand-in: harmonics of 140 Hz, syllable-rate amplitude modulation."""
    t = np.arange(int(seconds * RATE)) / RATE
    x = sum(np.sin(2 * np.pi * 140 * k * t + rng.uniform(0, 6)) / k for k in range(1, 8))
    x = x * (0.55 + 0.45 * np.sin(2 * np.pi * 4 * t)) / np.sqrt(np.mean(x**2))
    return (10 ** (level_db / 20) * x).astype(np.float32)


def _signal(layout: list[tuple[float, float | None]], noise_db: float, seed: int = 0):
    """Speech (level dB) and pauses (None) over a noise floor; returns the clip."""
    rng = np.random.default_rng(seed)
    parts = [
        np.zeros(int(d * RATE), np.float32) if lvl is None else _voice(d, lvl, rng)
        for d, lvl in layout
    ]
    x = np.concatenate(parts)
    x += (10 ** (noise_db / 20) * rng.standard_normal(x.size)).astype(np.float32)
    return AudioClip.from_samples(x, RATE)


def _vad(clip: AudioClip) -> VoiceActivity:
    return detect_voice_activity(energy_envelope(clip))


def test_pauses_are_found_between_speech() -> None:
    clip = _signal([(1.0, -20), (0.6, None), (2.0, -22), (0.4, None), (1.5, -18)], -65)
    vad = _vad(clip)
    inner = [p for p in vad.pauses if p.start > 0 and p.end < clip.duration - 0.01]
    assert len(inner) == 2
    # Each pause starts after the hangover and ends just before the next speech.
    for p, (s, e) in zip(inner, [(1.0, 1.6), (3.6, 4.0)], strict=True):
        assert s + HANGOVER_S - 0.03 <= p.start <= s + HANGOVER_S + 0.05
        assert e - 0.08 <= p.end <= e + 0.01
        assert s < p.middle < e
    assert vad.speech_seconds() == pytest.approx(4.5 + 2 * HANGOVER_S + 0.1, abs=0.2)


def test_hangover_keeps_short_gaps_and_quiet_endings_inside_speech() -> None:
    # A 0.2 s gap (a stop closure, a breath between words) is not a pause to cut at...
    clip = _signal([(1.0, -20), (0.2, None), (1.0, -20), (0.5, None)], -65)
    vad = _vad(clip)
    assert all(p.start > 2.0 for p in vad.pauses)
    # ...and speech 25 dB quieter than the rest (a trailing fricative) is still speech.
    clip = _signal([(1.0, -15), (0.3, -40), (0.8, None), (1.0, -15)], -70)
    vad = _vad(clip)
    (pause,) = [p for p in vad.pauses if 0 < p.start < 2.5]
    assert pause.start >= 1.3


def test_clicks_in_a_pause_do_not_split_it() -> None:
    clip = _signal([(1.0, -20), (0.35, None), (0.02, -15), (0.35, None), (1.0, -20)], -65)
    (pause,) = [p for p in _vad(clip).pauses if 0 < p.start < 2.0]
    assert pause.duration >= 0.5


def test_the_noise_floor_adapts_along_the_clip() -> None:
    # A quiet room, then a room 30 dB noisier: within a few seconds of the change the pauses
    # are found again (one noise floor for the whole clip would call the noisy half speech).
    quiet = [(1.5, -25), (0.5, None)] * 3
    noisy = [(1.5, -10), (0.5, None)] * 4
    a, b = _signal(quiet, -75, 1), _signal(noisy, -45, 2)
    clip = AudioClip.from_samples(np.concatenate([a.samples, b.samples]), RATE)
    pauses = _vad(clip).pauses
    starts = [p.start for p in pauses]
    for t in (1.5, 3.5, 5.5, 9.5, 11.5, 13.5):
        assert any(t < s < t + 0.15 for s in starts), (t, starts)
    # No cut inside the speech of the noisy half.
    for p in pauses:
        assert not any(6 + 2 * k < p.middle < 7.5 + 2 * k for k in range(4)), p


def test_min_pause_is_a_parameter() -> None:
    clip = _signal([(1.0, -20), (0.45, None), (1.0, -20)], -65)
    assert len([p for p in _vad(clip).pauses if 0 < p.start < 2]) == 1
    vad = detect_voice_activity(energy_envelope(clip), min_pause=0.5)
    assert not [p for p in vad.pauses if 0 < p.start < 2]
    assert MIN_PAUSE_S <= 0.3


# --- cutting into stretches ------------------------------------------------------------------


def _activity(duration: float, pauses: list[tuple[float, float]]) -> VoiceActivity:
    speech = np.ones(int(round(duration * 100)), dtype=bool)
    for a, b in pauses:
        speech[int(a * 100) : int(b * 100)] = False
    return VoiceActivity(speech, 0.01, tuple(Pause(a, b) for a, b in pauses))


def _check_plan(plan: list[tuple[float, float]], duration: float) -> None:
    assert plan[0][0] == 0.0 and plan[-1][1] == duration
    for (a, b), (c, _) in zip(plan, plan[1:], strict=False):
        assert b == c and b > a


def test_stretches_are_bounded_and_cut_in_pauses() -> None:
    rng = np.random.default_rng(3)
    t, pauses = 0.0, []
    while t < 170:
        t += rng.uniform(1.5, 7.0)
        d = rng.uniform(0.25, 0.9)
        pauses.append((round(t, 2), round(t + d, 2)))
        t += d
    vad = _activity(180.0, pauses)
    plan = plan_chunks(vad, 180.0)
    _check_plan(plan, 180.0)
    assert all(b - a <= MAX_CHUNK_S for a, b in plan)
    assert len(plan) <= 180.0 / 7.5  # as few as the bound allows, not a cut at every pause
    for _, cut in plan[:-1]:
        assert any(a < cut < b for a, b in pauses), cut


def test_short_clips_and_clips_without_pauses_are_not_split() -> None:
    assert plan_chunks(_activity(29.0, [(10.0, 11.0), (20.0, 21.0)]), 29.0) == [(0.0, 29.0)]
    assert plan_chunks(_activity(90.0, []), 90.0) == [(0.0, 90.0)]
    # Silence at the very start or end is no place to cut.
    assert plan_chunks(_activity(60.0, [(0.0, 3.0), (57.0, 60.0)]), 60.0) == [(0.0, 60.0)]


def test_speech_without_pauses_makes_longer_stretches_only_where_needed() -> None:
    vad = _activity(60.0, [(10.0, 10.5), (40.0, 40.5), (50.0, 50.5)])
    plan = plan_chunks(vad, 60.0)
    _check_plan(plan, 60.0)
    assert [round(b, 2) for _, b in plan] == [10.25, 40.25, 50.25, 60.0]


def test_cuts_avoid_words_and_use_gaps_between_words() -> None:
    vad = _activity(40.0, [(12.0, 13.0), (25.0, 25.4)])
    # A word found inside the first pause moves the cut to the pause's free part.
    plan = plan_chunks(vad, 40.0, avoid=[(12.0, 12.7)])
    assert plan[0][1] == pytest.approx(12.85)
    # A pause covered by words is no cut at all; a gap between words is one.
    plan = plan_chunks(vad, 40.0, avoid=[(11.9, 13.1)], gaps=[Pause(19.0, 19.6)])
    assert [b for _, b in plan][:2] == [pytest.approx(19.3), pytest.approx(25.2)]


# --- giving words to stretches and stitching ---------------------------------------------------


def test_words_go_to_the_stretch_of_their_middle() -> None:
    words = [WordSegment(w, s, e) for w, s, e in [("a", 0.2, 0.5), ("b", 9.8, 10.4),
             ("c", 10.5, 11.0), ("d", 25.0, 25.5)]]  # fmt: skip
    assert split_by_times(words, [(0.0, 10.0), (10.0, 20.0), (20.0, 30.0)]) == [1, 2, 1]
    assert split_by_times(words, [(0.0, 5.0), (5.0, 9.0), (9.0, 30.0)]) == [1, 0, 3]


def test_segments_are_placed_contiguously() -> None:
    a = place_segments([PhonemeSegment("SIL", 0.0, 0.3), PhonemeSegment("AA", 0.3, 5.03)], 0, 5)
    b = place_segments([PhonemeSegment("M", 0.01, 2.0), PhonemeSegment("SIL", 2.0, 2.4)], 5, 7.5)
    segs = a + b
    assert segs[0].start == 0.0 and segs[-1].end == 7.5
    assert all(x.end == y.start and x.end > x.start for x, y in zip(segs, segs[1:], strict=False))
    assert segs[2].phone == "M" and segs[2].start == 5.0


@pytest.fixture(scope="module")
def acoustic(evaldata: Path) -> tuple[AudioClip, list[str]]:
    clip = build_long_clip(("acoustic_corpus",))
    return clip.audio, normalise_transcript(clip.transcript)


def test_a_grammar_finds_which_words_a_stretch_holds(acoustic) -> None:
    audio, words = acoustic
    pcm = pcm16(audio)
    rough = rough_align(pcm, words)
    assert rough is not None and [w.word for w in rough] == words
    # The stretch between the pauses at 13.9-14.9 s and 17.2-18.4 s, its ends guessed wrong.
    a, b = 14.4, 17.77
    first = next(i for i, w in enumerate(rough) if w.start > a)
    end = next(i for i, w in enumerate(rough) if w.start > b)
    assert end - first >= 6
    stretch = pcm[2 * int(a * RATE) : 2 * int(b * RATE)]
    for lo, hi in [(first - 3, end + 2), (first + 2, end - 3), (first, end)]:
        found = flexible_align(stretch, words, range(lo - 4, lo + 5), range(hi - 4, hi + 5))
        assert found is not None
        assert found[:2] == (first, end)
        assert [w.word for w in found[2]] == words[first:end]
        assert all(0.0 <= w.start < w.end <= b - a + 0.01 for w in found[2])
    # Entry and exit points that leave no run of words yield none.
    assert flexible_align(stretch, words, range(first, first + 1), range(first, first + 1)) is None


# --- a real long clip ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def right(evaldata: Path) -> tuple[LongClip, lipsync.SpeechAnalysis, Recorder]:
    clip = build_long_clip(SHORT_ORDER)
    rec = Recorder()
    return clip, analyse_speech(clip.audio, clip.transcript, progress=rec), rec


@pytest.fixture(scope="module")
def corrupted(evaldata: Path) -> tuple[LongClip, lipsync.SpeechAnalysis]:
    clip = build_long_clip(SHORT_ORDER, corrupt="Claire_anger")
    return clip, analyse_speech(clip.audio, clip.transcript)


def _hyp(result: lipsync.SpeechAnalysis) -> list[tuple[str, float, float]]:
    return [(w.word, w.start, w.end) for w in result.words]


def test_long_clip_is_aligned_in_stretches(right) -> None:
    clip, result, _ = right
    assert clip.audio.duration > 50
    d = result.diagnostics
    chunks = d["chunks"]
    assert isinstance(chunks, list) and len(chunks) >= 3
    assert all(c["method"] == CHUNK_ALIGNED and c["reason"] == "" for c in chunks)
    assert all(c["end"] - c["start"] <= MAX_CHUNK_S + 0.01 for c in chunks)
    assert d["chunks_recognised"] == 0 and d["recognised_speech_share"] == 0.0
    adapted = [c for c in chunks if c["speaker_adapted"]]
    assert d["chunks_speaker_adapted"] == len(adapted) >= 1
    assert (
        sum(c["words"] for c in chunks) == d["words"] == len(normalise_transcript(clip.transcript))
    )
    assert result.method == FORCED_ALIGNMENT
    # Every word of the transcript, in order, once.
    spoken = [w.word for w in result.words if w.word != "<sil>" and not w.word.startswith("[")]
    assert spoken == normalise_transcript(clip.transcript)


def test_long_clip_phones_are_contiguous_over_the_clip(right) -> None:
    clip, result, _ = right
    phones = result.phonemes
    assert phones[0].start == 0.0
    assert phones[-1].end == pytest.approx(clip.audio.duration, abs=1e-9)
    for a, b in zip(phones, phones[1:], strict=False):
        assert abs(a.end - b.start) < 1e-9 and a.end > a.start
    assert {p.phone for p in phones} <= ARPABET | {"SIL"}


def test_long_clip_words_match_the_reference(right) -> None:
    clip, result, _ = right
    s = part_errors(_hyp(result), clip).summary()
    assert s["matched"] >= 0.95, s
    assert s["mean_ms"] <= WORD_MEAN_MS, s
    assert s["within_50ms"] >= WORD_WITHIN_50, s


def test_long_clip_progress_moves_stretch_by_stretch(right) -> None:
    _, result, rec = right
    fractions = [f for f, _ in rec.events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    n = len(result.diagnostics["chunks"])
    parts = {m.split(":")[0] for _, m in rec.events if m.startswith("part ")}
    assert parts == {f"part {k} of {n}" for k in range(1, n + 1)}


def test_a_stretch_with_wrong_words_falls_back_alone(corrupted) -> None:
    clip, result = corrupted
    assert result.method == FORCED_ALIGNMENT
    d = result.diagnostics
    chunks = d["chunks"]
    assert isinstance(chunks, list)
    bad = clip.part("Claire_anger")
    fell = [c for c in chunks if c["method"] == CHUNK_RECOGNISED]
    assert fell and d["chunks_recognised"] == len(fell)
    for c in fell:  # only where the wrong words are...
        assert c["start"] < bad.end and c["end"] > bad.start, c
        assert c["reason"]
    for c in chunks:  # ...and every stretch that does not touch them is aligned
        if c["end"] <= bad.start or c["start"] >= bad.end:
            assert c["method"] == CHUNK_ALIGNED, c
    assert 0 < d["recognised_speech_share"] < 0.35
    assert d["unaligned_words"] > 0
    # The recognised stretch has phones, not a closed mouth.
    speech = [p for p in result.phonemes if bad.start < p.start < bad.end and p.phone != "SIL"]
    assert len(speech) >= 20
    # The other parts are still timed against their reference.
    s = part_errors(_hyp(result), clip).summary()
    assert s["matched"] >= 0.85, s
    assert s["mean_ms"] <= WORD_MEAN_MS, s


def test_fallbacks_are_reported_in_the_takes_provenance(corrupted) -> None:
    clip, result = corrupted
    request = GenerationRequest(clip.audio, transcript=clip.transcript)
    analysis = RigAnalysis(
        clip.audio.sha256, clip.transcript, clip.audio.duration, "", result,
        energy_envelope(clip.audio),
    )  # fmt: skip
    take = RigGenerator().map(analysis, request)
    s = take.provenance.settings
    assert s["lip_sync"] == FORCED_ALIGNMENT
    diag = s["lip_sync_diagnostics"]
    assert diag["chunks_recognised"] >= 1
    assert {c["method"] for c in diag["chunks"]} == {CHUNK_ALIGNED, CHUNK_RECOGNISED}


def test_a_wrong_transcript_for_a_long_clip_still_raises(evaldata: Path) -> None:
    clip = build_long_clip(SHORT_ORDER)
    wrong = " ".join(p.transcript for p in clip.parts[::-1])
    with pytest.raises(TranscriptError) as info:
        analyse_speech(clip.audio, wrong)
    msg = str(info.value)
    assert msg.startswith("transcript does not match the audio (")
    assert msg.endswith("check the transcript or omit it") and "\n" not in msg


def test_cancel_stops_between_stretches(evaldata: Path) -> None:
    clip = build_long_clip(SHORT_ORDER)
    token = CancelToken()
    seen: list[str] = []

    class CancelInPartTwo:
        def report(self, fraction: float, message: str) -> None:
            seen.append(message)
            if message.startswith("part 2 "):
                token.cancel()

    with pytest.raises(Cancelled):
        analyse_speech(clip.audio, clip.transcript, progress=CancelInPartTwo(), cancel=token)
    assert not any(m.startswith("part 3 ") for m in seen)


# --- short clips are unchanged -----------------------------------------------------------------


def test_short_clips_keep_the_single_utterance_path(evaldata: Path, monkeypatch) -> None:
    clip = build_long_clip(("Mark_neutral",))
    words = normalise_transcript(clip.transcript)

    def never(*args: object, **kwargs: object) -> LongAlignment:
        raise AssertionError("a short clip must not be split")

    monkeypatch.setattr(lipsync, "align_long_clip", never)
    result = analyse_speech(clip.audio, clip.transcript)
    checked = align_with_check(pcm16(clip.audio), words, energy_envelope(clip.audio))
    expected = checked.raise_if_mismatched()
    assert checked.adapted
    # The same phones, each boundary moved onto the frame centre.
    assert [p.phone for p in result.phonemes] == [p.phone for p in expected.phones]
    assert [w.word for w in result.words] == [w.word for w in expected.words]
    pairs = zip(result.phonemes, expected.phones, strict=True)
    inner = [(r.start, e.start) for r, e in pairs if e.start > 0]
    assert all(r == pytest.approx(e + lipsync.FRAME_CENTRE_S) for r, e in inner)
    assert "chunks" not in result.diagnostics
    assert set(result.diagnostics) >= {"alignment_score", "score_ratio", "words"}
