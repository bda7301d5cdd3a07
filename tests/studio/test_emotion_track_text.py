"""Emotion-track files: the text cue format (and the JSON format it sits beside)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generators.emotion.speed_words import FAST_SPEED, SLOW_SPEED
from generators.take import EmotionTrack
from studio.emotion_track_file import (
    MAX_SEGMENTS,
    load_emotion_track,
    parse_emotion_track_text,
    parse_time,
)
from studio.errors import StudioError


def write(tmp_path: Path, text: str, name: str = "track.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """\
# the take's emotion
transition 0.6

0.0     calm            # settles in
3.2     suddenly furious
1:05.5  slowly sad @0.5
"""


def test_good_text_file(tmp_path: Path) -> None:
    track = load_emotion_track(write(tmp_path, GOOD))
    assert track.transition == 0.6
    segs = track.segments
    assert [(s.start, s.end, s.prompt) for s in segs] == [
        (0.0, 3.2, "calm"),
        (3.2, 65.5, "suddenly furious"),
        (65.5, None, "slowly sad"),
    ]
    assert [s.speed for s in segs] == [1.0, FAST_SPEED, SLOW_SPEED]
    assert segs[1].state.mixture and segs[1].state.valence < 0
    assert segs[2].state.intensity <= 0.5 + 1e-9
    assert track.at(60.0).valence < 0


def test_defaults_tabs_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes("\ufeff0\thappy\n\n  2.5\t\tsad  \n".encode())
    track = load_emotion_track(path)
    assert track.transition == EmotionTrack().transition
    assert [(s.start, s.end, s.prompt, s.speed) for s in track.segments] == [
        (0.0, 2.5, "happy", 1.0),
        (2.5, None, "sad", 1.0),
    ]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("3.2", 3.2), ("0", 0.0), (".5", 0.5), ("7.", 7.0), ("1:05.5", 65.5), ("0:07", 7.0),
     ("12:00", 720.0), ("1:5", 65.0)],
)
def test_times(text: str, seconds: float) -> None:
    assert parse_time(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "-1", "1:60", "1:2:3", "abc", "3,2", "1e3", ":30", "1:"])
def test_bad_times(text: str) -> None:
    assert parse_time(text) is None


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("0 calm\nsoon happy\n", 2, ["bad time 'soon'", "m:ss"]),
        ("0 calm\n-1 happy\n", 2, ["bad time"]),
        ("0 calm\n1:75 happy\n", 2, ["bad time"]),
        ("0 calm\n2 happy\n2 sad\n", 3, ["not after", "line 2", "increasing time order"]),
        ("0 calm\n2 happy\n1 sad\n", 3, ["not after"]),
        ("0 calm\n# note\n\n2.0\n", 4, ["no prompt"]),
        ("0 calm\n2.0 @0.5\n", 2, ["no prompt"]),
        ("0 calm\n2 happy @1.5\n", 2, ["intensity", "between 0 and 1"]),
        ("0 calm\n2 happy @much\n", 2, ["intensity"]),
        ("0 calm\n2 " + "very " * 120 + "sad\n", 2, ["prompt", "characters long"]),
        ("transition fast\n0 calm\n", 1, ["transition", "seconds"]),
        ("transition -1\n0 calm\n", 1, ["transition"]),
        ("transition 99\n0 calm\n", 1, ["transition"]),
        ("transition 0.5\ntransition 0.6\n0 calm\n", 2, ["twice"]),
        ("0 calm\ntransition 0.5\n", 2, ["before the first cue"]),
    ],
)
def test_bad_lines_name_the_file_and_line(
    tmp_path: Path, text: str, line: int, words: list[str]
) -> None:
    path = write(tmp_path, text, "cues.txt")
    with pytest.raises(StudioError) as info:
        load_emotion_track(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"emotion track cues.txt: line {line}: ")
    for word in words:
        assert word in message


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "transition 0.3\n"])
def test_no_cues(tmp_path: Path, text: str) -> None:
    with pytest.raises(StudioError, match="no cues"):
        load_emotion_track(write(tmp_path, text))


def test_bounds(tmp_path: Path) -> None:
    many = "".join(f"{i} calm\n" for i in range(MAX_SEGMENTS + 1))
    with pytest.raises(StudioError, match=f"line {MAX_SEGMENTS + 1}: more than"):
        load_emotion_track(write(tmp_path, many))
    big = tmp_path / "big.txt"
    big.write_text("0 calm # " + "x" * (1024 * 1024) + "\n", encoding="utf-8")
    with pytest.raises(StudioError, match="larger than 1 MiB"):
        load_emotion_track(big)
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("0 f\xe2ch\xe9\n".encode("latin-1"))
    with pytest.raises(StudioError, match="not UTF-8"):
        load_emotion_track(bad)
    with pytest.raises(StudioError, match="not found"):
        load_emotion_track(tmp_path / "missing.txt")


def test_parse_text_directly() -> None:
    track = parse_emotion_track_text("transition 0\n0 happy\n1 abruptly angry", "x")
    assert track.transition == 0.0 and track.segments[1].speed == FAST_SPEED
    assert track.at(1.0).valence < 0  # transition 0: an instant step


# --- JSON still works -------------------------------------------------------------------------


def test_json_list(tmp_path: Path) -> None:
    data = [{"start": 0.0, "end": 2.0, "prompt": "calm"},
            {"start": 2.0, "prompt": "quietly furious", "intensity": 0.8}]
    track = load_emotion_track(write(tmp_path, json.dumps(data), "t.json"))
    assert [(s.start, s.end, s.prompt) for s in track.segments] == [
        (0.0, 2.0, "calm"),
        (2.0, None, "quietly furious"),
    ]
    assert track.transition == EmotionTrack().transition


def test_json_object_with_transition_and_speed(tmp_path: Path) -> None:
    data = {"transition": 0.8, "segments": [
        {"start": 1.0, "prompt": "suddenly sad", "speed": 0.5},
        {"start": 0.0, "end": 1.0, "prompt": "suddenly happy"},
    ]}
    track = load_emotion_track(write(tmp_path, "  \n" + json.dumps(data), "t.txt"))
    assert track.transition == 0.8
    assert [(s.prompt, s.speed) for s in track.segments] == [
        ("suddenly happy", FAST_SPEED),
        ("suddenly sad", 0.5),
    ]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ('[{"start": 2, "end": 1, "prompt": "happy"}]', ["segment 0", "start < end"]),
        ('[{"start": 0, "prompt": "happy", "speed": 0}]', ["segment 0", "speed"]),
        ('[{"start": 0, "prompt": "happy", "speed": "x"}]', ["segment 0", "numbers"]),
        ('{"transition": -1, "segments": [{"prompt": "happy"}]}', ["transition"]),
        ('{"transition": "slow", "segments": [{"prompt": "happy"}]}', ["transition"]),
        ('[{"start": 0, "prompt": "' + "sad " * 200 + '"}]', ["segment 0", "characters long"]),
        ("[]", ["non-empty"]),
        ("[{", ["not valid JSON"]),
    ],
)
def test_json_errors(tmp_path: Path, data: str, words: list[str]) -> None:
    with pytest.raises(StudioError) as info:
        load_emotion_track(write(tmp_path, data, "t.json"))
    message = str(info.value)
    assert message.startswith("emotion track t.json: ") and "\n" not in message
    for word in words:
        assert word in message


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("transition 5\n0 calm\n", "between 0 and 3"),
        ("0 calm\n1" + "0" * 400 + " furious\n", "line 2: bad time"),
        ("0 calm\n99999999 furious\n", "line 2: bad time"),
    ],
)
def test_text_limits(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises(StudioError, match=needle) as info:
        load_emotion_track(write(tmp_path, text))
    assert "track.txt" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("doc", "needle"),
    [
        ([{"start": 0, "prompt": None}], "needs a text"),
        ([{"start": True, "prompt": "calm"}], "must be numbers"),
        ([{"start": "0", "prompt": "calm"}], "must be numbers"),
        ([{"start": 0, "intensity": False, "prompt": "calm"}], "must be numbers"),
        ({"transition": "0.5", "segments": [{"prompt": "calm"}]}, '"transition"'),
        ([{"start": 0, "end": 4, "prompt": "calm"}, {"start": 2, "prompt": "sad"}], "overlap"),
        ([{"start": 1, "prompt": "calm"}, {"start": 1, "prompt": "sad"}], "overlap"),
        ([{"start": 1e12, "prompt": "calm"}], "start < end"),
    ],
)
def test_json_is_checked_strictly(tmp_path: Path, doc: object, needle: str) -> None:
    with pytest.raises(StudioError, match=needle):
        load_emotion_track(write(tmp_path, json.dumps(doc), "t.json"))


def test_intensity_override_is_kept_on_the_segment(tmp_path: Path) -> None:
    track = load_emotion_track(write(tmp_path, "0 very happy @0.5\n2 sad\n"))
    assert [s.intensity for s in track.segments] == [0.5, None]
    doc = [{"start": 0, "prompt": "slightly sad", "intensity": 0.9}]
    again = load_emotion_track(write(tmp_path, json.dumps(doc), "t.json"))
    assert again.segments[0].intensity == 0.9
