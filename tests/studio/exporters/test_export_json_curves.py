"""Curves JSON: the Audio2Face layout, our ``affectStudio`` block, and the reader round trip."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from generators.take import ARKIT_NAMES, CurveSet
from studio.errors import ExportError
from studio.exporters import json_curves_reader
from studio.exporters.base import exporter_for
from studio.exporters.json_curves import CurvesJsonExporter
from studio.exporters.json_curves_reader import CurvesFileError, read_curves_json

A2F_KEYS = {"exportFps", "numPoses", "numFrames", "facsNames", "weightMat"}


@pytest.fixture
def exported(take, out_dir, recorder):
    path = CurvesJsonExporter().export(take, None, out_dir / "take.json", progress=recorder)
    return path, json.loads(path.read_text(encoding="utf-8"))


def test_audio2face_layout(exported, take):
    path, doc = exported
    n = take.curves.num_frames
    assert set(doc) == A2F_KEYS | {"affectStudio"}
    assert doc["exportFps"] == 30 and isinstance(doc["exportFps"], int)
    assert doc["numPoses"] == 52 and doc["numFrames"] == n == 84
    assert doc["facsNames"] == list(ARKIT_NAMES)
    mat = np.array(doc["weightMat"])
    assert mat.shape == (n, 52)
    assert mat.min() >= 0.0 and mat.max() <= 1.0
    np.testing.assert_allclose(mat, take.curves.weights, atol=6e-6)


def test_floats_are_rounded_to_keep_files_small(exported):
    path, _ = exported
    text = path.read_text()
    decimals = [len(m) for m in re.findall(r"\d\.(\d+)", text)]
    assert max(decimals) <= 5
    assert "\n" not in text.rstrip("\n")  # compact: one line


def test_affect_studio_block(exported, take):
    _, doc = exported
    extra = doc["affectStudio"]
    n, fps = take.curves.num_frames, take.fps
    assert extra["version"] == 1
    np.testing.assert_allclose(extra["headRotation"], take.curves.head_rotation, atol=6e-6)
    np.testing.assert_allclose(extra["eyeRotation"], take.curves.eye_rotation, atol=6e-6)
    assert np.array(extra["headRotation"]).shape == (n, 3)
    assert np.array(extra["eyeRotation"]).shape == (n, 4)
    for axis in ("valence", "arousal", "dominance"):
        values = extra["emotion"][axis]
        assert len(values) == n and all(-1 <= v <= 1 for v in values)
        expected = [getattr(take.emotion.at(i / fps), axis) for i in range(n)]
        np.testing.assert_allclose(values, expected, atol=1e-4)
    assert extra["emotion"]["valence"][0] == 0.0  # calm first...
    assert extra["emotion"]["valence"][-1] == pytest.approx(0.7)  # ...happy at the end
    assert len(extra["mixture"]) == n
    assert extra["mixture"][0] == {"neutral": 1.0}
    assert extra["mixture"][-1] == {"happiness": 0.8, "surprise": 0.2}
    prov = extra["provenance"]
    assert prov == {
        "generator": "rig",
        "version": "0.1.0",
        "seed": 7,
        "settings": {"fps": 30.0, "prompt": "happy", "size": [320, 240]},
        "audioSha256": "ab" * 32,
    }


def test_progress_reaches_one(exported, recorder):
    assert recorder.events[-1][0] == 1.0


def test_registry_picks_curves_json(out_dir):
    assert isinstance(exporter_for(out_dir / "a.json"), CurvesJsonExporter)
    assert isinstance(exporter_for(out_dir / "A.JSON"), CurvesJsonExporter)


def test_round_trip_through_the_reader(exported, take):
    path, _ = exported
    curves = read_curves_json(path)
    assert isinstance(curves, CurveSet)
    assert curves.fps == 30 and curves.num_frames == take.curves.num_frames
    np.testing.assert_allclose(curves.weights, take.curves.weights, atol=6e-6)
    np.testing.assert_allclose(curves.head_rotation, take.curves.head_rotation, atol=6e-6)
    np.testing.assert_allclose(curves.eye_rotation, take.curves.eye_rotation, atol=6e-6)


def test_non_finite_values_still_give_valid_json(take, out_dir):
    take.curves.weights[3, 5] = np.nan
    take.curves.head_rotation[2, 0] = np.inf
    path = CurvesJsonExporter().export(take, None, out_dir / "nan.json")
    doc = json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(f"wrote {c}"))
    assert doc["weightMat"][3][5] == 0.0
    assert doc["affectStudio"]["headRotation"][2][0] == 0.0


# -- the reader on foreign and hostile input --------------------------------------------------


def _write(tmp_path, doc, name="in.json"):
    p = tmp_path / name
    p.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return p


def _a2f(n=3, names=("jawOpen", "eyeBlinkLeft")):
    return {
        "exportFps": 60,
        "trackPath": "/World/audio2face",
        "numPoses": len(names),
        "numFrames": n,
        "facsNames": list(names),
        "weightMat": [[0.1 * (i + 1), 0.5] for i in range(n)],
    }


def test_reader_maps_columns_by_name_not_position(tmp_path):
    curves = read_curves_json(_write(tmp_path, _a2f()))
    assert curves.fps == 60 and curves.num_frames == 3
    np.testing.assert_allclose(curves.curve("jawOpen"), [0.1, 0.2, 0.3], atol=1e-7)
    np.testing.assert_allclose(curves.curve("eyeBlinkLeft"), [0.5] * 3)
    assert curves.curve("mouthSmileLeft").max() == 0.0
    assert not curves.head_rotation.any() and not curves.eye_rotation.any()


def test_reader_ignores_unknown_names_and_keys(tmp_path):
    doc = _a2f(names=("JawOpen", "someCustomShape"))
    doc["joints"] = ["neck"]
    doc["affectStudio"] = {"version": 99, "futureKey": [1, 2]}
    curves = read_curves_json(_write(tmp_path, doc))
    np.testing.assert_allclose(curves.curve("jawOpen"), [0.1, 0.2, 0.3], atol=1e-7)


def test_reader_clips_weights(tmp_path):
    doc = _a2f(n=1)
    doc["weightMat"] = [[1.7, -0.2]]
    curves = read_curves_json(_write(tmp_path, doc))
    assert curves.curve("jawOpen")[0] == 1.0 and curves.curve("eyeBlinkLeft")[0] == 0.0


BAD_DOCS = {
    "not json": ("{nope", "not valid JSON"),
    "a list": ("[1, 2]", "top level must be a JSON object"),
    "NaN literal": ('{"exportFps": NaN}', "not valid JSON"),
    "missing fps": ({"numFrames": 0}, "missing 'exportFps'"),
    "zero fps": ({**_a2f(), "exportFps": 0}, "'exportFps' is 0"),
    "string fps": ({**_a2f(), "exportFps": "30"}, "'exportFps' must be a number"),
    "huge fps": ({**_a2f(), "exportFps": 1e9}, "outside"),
    "negative frames": ({**_a2f(), "numFrames": -1}, "'numFrames' is -1"),
    "too many frames": ({**_a2f(), "numFrames": 10**9}, "outside"),
    "bool frames": ({**_a2f(), "numFrames": True}, "whole number"),
    "names not list": ({**_a2f(), "facsNames": "jawOpen"}, "'facsNames' must be a list"),
    "poses mismatch": ({**_a2f(), "numPoses": 52}, "'numPoses' is 52"),
    "row count": ({**_a2f(), "numFrames": 4}, "has 3 rows but numFrames is 4"),
    "short row": (
        {**_a2f(n=1), "weightMat": [[0.1]]},
        "row 0 has 1 values (expected 2)",
    ),
    "string value": ({**_a2f(n=1), "weightMat": [[0.1, "0.5"]]}, "not a number"),
    "bool value": ({**_a2f(n=1), "weightMat": [[0.1, True]]}, "not a number"),
    "null row": ({**_a2f(n=1), "weightMat": [None]}, "row 0 has NoneType"),
    "overflow": (
        '{"exportFps": 30, "numFrames": 1, "facsNames": ["jawOpen"], "weightMat": [[1e400]]}',
        "too large",
    ),  # fmt: skip
    "bad head": (
        {**_a2f(n=1), "affectStudio": {"headRotation": [[0, 0]]}},
        "headRotation' row 0 has 2 values (expected 3)",
    ),
    "wild angle": (
        {**_a2f(n=1), "affectStudio": {"eyeRotation": [[0, 0, 9000, 0]]}},
        "beyond 360 degrees",
    ),
    "deep nesting": ("[" * 100000 + "]" * 100000, "not valid JSON"),
}


@pytest.mark.parametrize("case", list(BAD_DOCS))
def test_reader_rejects_bad_input_with_a_clear_message(tmp_path, case):
    doc, expected = BAD_DOCS[case]
    path = _write(tmp_path, doc, "bad take.json")
    with pytest.raises(CurvesFileError) as info:
        read_curves_json(path)
    message = str(info.value)
    assert expected in message
    assert "bad take.json" in message
    assert isinstance(info.value, ExportError)


def test_reader_rejects_missing_and_oversized_files(tmp_path, monkeypatch):
    with pytest.raises(CurvesFileError, match="not found"):
        read_curves_json(tmp_path / "nope.json")
    with pytest.raises(CurvesFileError, match="not a file"):
        read_curves_json(tmp_path)
    path = _write(tmp_path, _a2f())
    monkeypatch.setattr(json_curves_reader, "MAX_FILE_BYTES", 10)
    with pytest.raises(CurvesFileError, match="larger than"):
        read_curves_json(path)


def test_reader_rejects_binary(tmp_path):
    p = tmp_path / "bin.json"
    p.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CurvesFileError, match="not UTF-8"):
        read_curves_json(p)
