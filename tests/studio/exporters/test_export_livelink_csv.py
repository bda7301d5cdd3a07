"""Live Link Face CSV: Epic's header byte for byte, values found by column name."""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest

from generators.take import ARKIT_NAMES
from studio.exporters.base import exporter_for
from studio.exporters.livelink_csv import LiveLinkCsvExporter, format_timecode

# Copied from a Live Link Face recording (Epic's app, "Export CSV"), not from our module.
EPIC_HEADER = (
    "Timecode,BlendShapeCount,EyeBlinkLeft,EyeLookDownLeft,EyeLookInLeft,EyeLookOutLeft,"
    "EyeLookUpLeft,EyeSquintLeft,EyeWideLeft,EyeBlinkRight,EyeLookDownRight,EyeLookInRight,"
    "EyeLookOutRight,EyeLookUpRight,EyeSquintRight,EyeWideRight,JawForward,JawRight,JawLeft,"
    "JawOpen,MouthClose,MouthFunnel,MouthPucker,MouthRight,MouthLeft,MouthSmileLeft,"
    "MouthSmileRight,MouthFrownLeft,MouthFrownRight,MouthDimpleLeft,MouthDimpleRight,"
    "MouthStretchLeft,MouthStretchRight,MouthRollLower,MouthRollUpper,MouthShrugLower,"
    "MouthShrugUpper,MouthPressLeft,MouthPressRight,MouthLowerDownLeft,MouthLowerDownRight,"
    "MouthUpperUpLeft,MouthUpperUpRight,BrowDownLeft,BrowDownRight,BrowInnerUp,BrowOuterUpLeft,"
    "BrowOuterUpRight,CheekPuff,CheekSquintLeft,CheekSquintRight,NoseSneerLeft,NoseSneerRight,"
    "TongueOut,HeadYaw,HeadPitch,HeadRoll,LeftEyeYaw,LeftEyePitch,LeftEyeRoll,RightEyeYaw,"
    "RightEyePitch,RightEyeRoll"
)
TIMECODE = re.compile(r"^(\d\d):(\d\d):(\d\d):(\d\d)\.(\d{3})$")


@pytest.fixture
def exported(take, out_dir, recorder):
    path = LiveLinkCsvExporter().export(take, None, out_dir / "take.csv", progress=recorder)
    return path


def _rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_header_is_epics_byte_for_byte(exported):
    raw = exported.read_bytes()
    assert raw.split(b"\n", 1)[0] == EPIC_HEADER.encode("ascii")
    assert b"\r" not in raw


def test_one_row_per_frame_with_61_values(exported, take):
    lines = exported.read_text().splitlines()
    assert len(lines) == 1 + take.curves.num_frames
    for line in lines[1:]:
        cells = line.split(",")
        assert len(cells) == 63 and cells[1] == "61"


def test_weights_by_name(exported, take):
    rows = _rows(exported)
    for name in ARKIT_NAMES:
        column = name[0].upper() + name[1:]
        got = np.array([float(r[column]) for r in rows])
        np.testing.assert_allclose(got, take.curves.curve(name), atol=1e-7, err_msg=column)


def test_left_right_columns_are_not_swapped(exported):
    row = _rows(exported)[0]
    assert float(row["JawLeft"]) == pytest.approx(0.25)
    assert float(row["JawRight"]) == 0.0
    assert float(row["MouthLeft"]) == pytest.approx(0.75)
    assert float(row["MouthRight"]) == pytest.approx(0.125)


def test_angles_are_degrees_over_180(exported, take):
    rows = _rows(exported)
    head, eyes = take.curves.head_rotation, take.curves.eye_rotation
    cols = {
        "HeadYaw": head[:, 0], "HeadPitch": head[:, 1], "HeadRoll": head[:, 2],
        "LeftEyeYaw": eyes[:, 0], "LeftEyePitch": eyes[:, 1],
        "RightEyeYaw": eyes[:, 2], "RightEyePitch": eyes[:, 3],
    }  # fmt: skip
    for column, degrees in cols.items():
        got = np.array([float(r[column]) for r in rows])
        np.testing.assert_allclose(got, degrees / 180.0, atol=1e-7, err_msg=column)
    assert all(float(r["LeftEyeRoll"]) == 0 == float(r["RightEyeRoll"]) for r in rows)


def test_values_have_ten_decimals_like_the_app(exported):
    first = exported.read_text().splitlines()[1].split(",")
    assert all(re.fullmatch(r"-?\d\.\d{10}", v) for v in first[2:])


def test_timecodes_count_60_fps_frames_from_zero(exported, take):
    rows = _rows(exported)
    assert rows[0]["Timecode"] == "00:00:00:00.000"
    assert rows[1]["Timecode"] == "00:00:00:02.000"  # 30 fps take, 60 fps timecode
    for i, row in enumerate(rows):
        h, m, s, f, sub = map(int, TIMECODE.match(row["Timecode"]).groups())
        seconds = h * 3600 + m * 60 + s + (f + sub / 1000) / 60
        assert seconds == pytest.approx(i / take.fps, abs=1e-3)


def test_timecode_format():
    assert format_timecode(0.0) == "00:00:00:00.000"
    assert format_timecode(59.999 / 60) == "00:00:00:59.999"
    assert format_timecode(1.0) == "00:00:01:00.000"
    assert format_timecode(1 / 24, rate=60) == "00:00:00:02.500"
    assert format_timecode(3723.5, rate=30) == "01:02:03:15.000"


def test_registry_picks_csv(out_dir):
    assert isinstance(exporter_for(out_dir / "a.csv"), LiveLinkCsvExporter)
