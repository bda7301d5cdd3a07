"""Near-silent stretches made digitally silent before alignment: which stretches, and the line
with a long very quiet tail that could not be aligned with its correct transcript."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from generators.audio import AudioClip
from generators.rig.energy import energy_envelope
from generators.rig.quiet_stretches import MIN_QUIET_S, QUIET_DBFS, silence_quiet_stretches
from generators.rig.sphinx import pcm16
from generators.rig.text_normalise import normalise_transcript
from generators.rig.transcript_alignment import align_with_check

RATE = 16000


def _noise(seconds: float, dbfs: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(int(seconds * RATE)) * 10 ** (dbfs / 20)).astype(np.float32)


def test_only_long_and_very_quiet_stretches_are_zeroed() -> None:
    speech = _noise(1.0, -20.0, 1)
    x = np.r_[
        speech,
        _noise(2.0, QUIET_DBFS - 7),
        speech,
        _noise(0.6, -95.0),
        speech,
        _noise(2.0, QUIET_DBFS + 5),
        speech,
    ]
    out = silence_quiet_stretches(x, RATE)
    a, b = RATE, 3 * RATE
    assert np.all(out[a + 640 : b - 640] == 0)  # all of it but the edge windows
    assert np.array_equal(out[:a], x[:a]) and np.array_equal(out[b:], x[b:])  # the rest as was
    assert out.dtype == x.dtype


def test_nothing_quiet_enough_returns_the_samples_untouched() -> None:
    x = np.r_[_noise(1.0, -20.0), _noise(MIN_QUIET_S * 0.9, -100.0), _noise(1.0, -20.0)]
    assert silence_quiet_stretches(x, RATE) is x
    short = x[:100]
    assert silence_quiet_stretches(short, RATE) is short
    assert len(silence_quiet_stretches(np.zeros(0, np.float32), RATE)) == 0


@pytest.mark.parametrize(("dbfs", "where"), [(-85.0, "after"), (-95.0, "before")])
def test_a_line_with_a_long_very_quiet_tail_keeps_its_transcript(
    dbfs: float, where: str, demo_audio: Path, demo_transcript: str
) -> None:
    demo = AudioClip.load(demo_audio).resampled(RATE)
    words = normalise_transcript(demo_transcript)
    tail = _noise(15.0, dbfs)
    x = np.r_[demo.samples, tail] if where == "after" else np.r_[tail, demo.samples]
    clip = AudioClip.from_samples(x, RATE)
    checked = align_with_check(pcm16(clip), words, energy_envelope(clip))
    assert checked.matches, checked.reason
    speech = [p for p in checked.alignment.phones if p.phone != "SIL"]
    if where == "after":
        assert speech[-1].end <= demo.duration + 0.3
    else:
        assert speech[0].start >= 15.0 - 0.3
