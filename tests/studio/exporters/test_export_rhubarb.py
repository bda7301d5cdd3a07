"""Mouth cues: Rhubarb Lip Sync's JSON and TSV formats and its shape rules."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from generators.mouth_cues import MIN_CUE_S, SHAPES, MouthCue, mouth_cues
from generators.take import PhonemeSegment, VisemeSegment, VisemeTrack
from studio.exporters.base import exporter_for
from studio.exporters.rhubarb import RhubarbJsonExporter, RhubarbTsvExporter

CUE_LINE = re.compile(r'^    \{ "start": \d+\.\d\d, "end": \d+\.\d\d, "value": "[A-HX]" \},?$')


@pytest.fixture
def json_file(take, out_dir, recorder):
    return RhubarbJsonExporter().export(take, None, out_dir / "take.rhubarb.json",
                                        progress=recorder)  # fmt: skip


@pytest.fixture
def tsv_file(take, out_dir):
    return RhubarbTsvExporter().export(take, None, out_dir / "take.tsv")


def _cues_at(cues, t):
    return next(c["value"] for c in cues if c["start"] <= t < c["end"])


def test_json_structure_matches_rhubarb(json_file, take):
    doc = json.loads(json_file.read_text())
    assert list(doc) == ["metadata", "mouthCues"]
    assert doc["metadata"] == {
        "soundFile": str(Path(take.audio_path).absolute()),
        "duration": 2.8,
    }
    cues = doc["mouthCues"]
    assert all(list(c) == ["start", "end", "value"] for c in cues)
    assert cues[0]["start"] == 0.0 and cues[-1]["end"] == 2.8
    for a, b in zip(cues, cues[1:], strict=False):
        assert a["end"] == b["start"], "cues are contiguous"
        assert a["value"] != b["value"], "identical neighbours are merged"
    assert {c["value"] for c in cues} <= set(SHAPES)


def test_json_is_formatted_like_rhubarb(json_file):
    lines = json_file.read_text().splitlines()
    assert lines[:3] == ["{", '  "metadata": {', lines[2]]
    assert lines[2].startswith('    "soundFile": "')
    assert lines[3] == '    "duration": 2.80'
    assert lines[4:6] == ["  },", '  "mouthCues": [']
    assert lines[-2:] == ["  ]", "}"]
    cue_lines = lines[6:-2]
    assert cue_lines and all(CUE_LINE.match(line) for line in cue_lines)
    assert not cue_lines[-1].endswith(",")


def test_tsv_matches_json_and_ends_with_x(json_file, tsv_file):
    cues = json.loads(json_file.read_text())["mouthCues"]
    lines = tsv_file.read_text().splitlines()
    assert all(re.fullmatch(r"\d+\.\d\d\t[A-HX]", line) for line in lines)
    assert lines[:-1] == [f"{c['start']:.2f}\t{c['value']}" for c in cues]
    assert lines[-1] == "2.80\tX"
    assert lines[0].startswith("0.00\t")


def test_registry_picks_rhubarb_by_compound_extension(out_dir):
    assert isinstance(exporter_for(out_dir / "a.rhubarb.json"), RhubarbJsonExporter)
    assert isinstance(exporter_for(out_dir / "a.RHUBARB.JSON"), RhubarbJsonExporter)
    assert isinstance(exporter_for(out_dir / "a.tsv"), RhubarbTsvExporter)


def test_shape_rules_on_the_synthetic_line(json_file):
    cues = json.loads(json_file.read_text())["mouthCues"]
    assert _cues_at(cues, 0.1) == "X"  # leading silence
    assert _cues_at(cues, 0.23) == "A"  # M
    assert _cues_at(cues, 0.35) == "D"  # AA
    assert _cues_at(cues, 0.48) == "A"  # M
    assert _cues_at(cues, 0.9) == "X"  # 0.4 s pause
    assert _cues_at(cues, 1.15) == "G"  # F
    assert _cues_at(cues, 1.47) == "G"  # V
    assert _cues_at(cues, 1.7) == "F"  # UW
    assert _cues_at(cues, 1.95) == "H"  # long L
    assert _cues_at(cues, 2.2) == "F"  # W
    assert _cues_at(cues, 2.6) == "X"  # trailing silence


def _track(*phones):
    return VisemeTrack([PhonemeSegment(p, s, e) for p, s, e in phones])


@pytest.mark.parametrize(
    ("phone", "shape"),
    [("P", "A"), ("B", "A"), ("M", "A"), ("F", "G"), ("V", "G"), ("UW", "F"), ("W", "F"),
     ("AA", "D"), ("AE", "C"), ("EH", "C"), ("AO", "E"), ("IY", "B"), ("S", "B"),
     ("SIL", "X")],
)  # fmt: skip
def test_single_phone_shapes(phone, shape):
    cues = mouth_cues(_track(("SIL", 0, 0.5), (phone, 0.5, 0.7), ("SIL", 0.7, 1.2)), 1.2)
    assert any(c.shape == shape and c.start <= 0.55 and c.end >= 0.65 for c in cues), cues


def test_cues_are_contiguous_quantised_and_long_enough():
    phones = [("SIL", 0, 0.13)]
    t = 0.13
    for i, p in enumerate(["HH", "AH", "L", "OW", "W", "ER", "L", "D", "P", "IY", "P", "L"] * 3):
        d = 0.03 + 0.02 * (i % 4)
        phones.append((p, t, t + d))
        t += d
    phones.append(("SIL", t, t + 0.5))
    cues = mouth_cues(_track(*phones), t + 0.5)
    assert cues[0].start == 0.0 and cues[-1].end == int((t + 0.5) * 100) / 100
    for a, b in zip(cues, cues[1:], strict=False):
        assert a.end == b.start and a.shape != b.shape
    for c in cues:
        assert round(c.start * 100) == pytest.approx(c.start * 100, abs=1e-9)
        assert c.duration >= 0.05 - 1e-9, c  # no flicker: at least a 24 fps frame
    regular = [c for c in cues[1:-1] if c.shape not in "CE"]  # C/E may be short tweens
    assert all(c.duration >= MIN_CUE_S - 1e-9 for c in regular)


def test_short_closure_is_kept_by_borrowing_time():
    # A 3 cs M between two vowels must still close the lips for a whole cue.
    cues = mouth_cues(_track(("AA", 0.0, 0.3), ("M", 0.3, 0.33), ("AA", 0.33, 0.6)), 0.6)
    closed = [c for c in cues if c.shape == "A"]
    assert len(closed) == 1 and closed[0].duration >= MIN_CUE_S - 1e-9


def test_short_pause_holds_or_relaxes_long_pause_rests():
    short = mouth_cues(_track(("AA", 0, 0.3), ("SIL", 0.3, 0.38), ("AA", 0.38, 0.7)), 0.7)
    assert "X" not in {c.shape for c in short}
    medium = mouth_cues(_track(("AA", 0, 0.3), ("SIL", 0.3, 0.55), ("AA", 0.55, 0.9)), 0.9)
    assert "X" not in {c.shape for c in medium} and "C" in {c.shape for c in medium}
    long = mouth_cues(_track(("AA", 0, 0.3), ("SIL", 0.3, 0.9), ("AA", 0.9, 1.2)), 1.2)
    assert any(c.shape == "X" and c.duration > 0.4 for c in long)


def test_gaps_without_phones_are_silence_and_cues_cover_the_duration():
    cues = mouth_cues(_track(("AA", 0.5, 0.8)), 2.0)
    assert cues[0] == MouthCue(0.0, 0.5, "X")
    assert cues[-1].shape == "X" and cues[-1].end == 2.0


def test_phones_past_the_end_are_clipped_and_duration_truncated():
    cues = mouth_cues(_track(("AA", 0.0, 5.0)), 1.239)
    assert cues == [MouthCue(0.0, 1.23, "D")]


def test_visemes_are_used_when_there_are_no_phones():
    track = VisemeTrack(
        [],
        [
            VisemeSegment("PP", 0.2, 0.3),
            VisemeSegment("aa", 0.3, 0.6),
            VisemeSegment("FF", 0.6, 0.75),
            VisemeSegment("ou", 0.75, 0.9),
        ],
    )
    shapes = [c.shape for c in mouth_cues(track, 1.5)]
    assert shapes[:2] == ["X", "A"] and "D" in shapes and "G" in shapes and "F" in shapes


def test_empty_and_zero_length_takes(take_factory, tmp_path, out_dir):
    assert mouth_cues(VisemeTrack(), 0.0) == []
    assert mouth_cues(VisemeTrack(), 1.0) == [MouthCue(0.0, 1.0, "X")]
    take = take_factory(tmp_path / "a", duration=0.004)
    doc = json.loads(RhubarbJsonExporter().export(take, None, out_dir / "z.rhubarb.json")
                     .read_text())  # fmt: skip
    assert doc["metadata"]["duration"] == 0.0
    assert doc["mouthCues"] == [{"start": 0.0, "end": 0.0, "value": "X"}]


def test_stress_digits_and_case_are_ignored():
    a = mouth_cues(_track(("aa1", 0.1, 0.4)), 0.6)
    b = mouth_cues(_track(("AA", 0.1, 0.4)), 0.6)
    assert a == b
