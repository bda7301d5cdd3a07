"""The main job end to end: the demo line rendered to every format by the real CLI."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

from generators.take import ARKIT_NAMES, frame_count
from studio.cli import main
from tests.conftest import REPO_ROOT


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, demo_audio, demo_transcript):
    out = tmp_path_factory.mktemp("render")
    names = ["demo.json", "demo.csv", "demo.rhubarb.json", "demo.tsv", "demo.mp4"]
    code = main(["render", str(demo_audio), "--transcript", demo_transcript,
                 "--prompt", "cheerful", "--size", "320x240", "--fps", "24",
                 *sum((["-o", str(out / n)] for n in names), [])])
    assert code == 0
    return out


def test_every_output_is_written_and_nothing_else(rendered):
    assert sorted(p.name for p in rendered.iterdir()) == sorted(
        ["demo.json", "demo.csv", "demo.rhubarb.json", "demo.tsv", "demo.mp4"])


def test_curves_json_matches_audio_duration(rendered, demo_audio):
    from generators.audio import AudioClip

    data = json.loads((rendered / "demo.json").read_text())
    duration = AudioClip.load(demo_audio).duration
    assert data["exportFps"] == 24 and data["numPoses"] == 52
    assert data["facsNames"] == list(ARKIT_NAMES)
    assert data["numFrames"] == frame_count(duration, 24) == len(data["weightMat"])
    jaw = [row[ARKIT_NAMES.index("jawOpen")] for row in data["weightMat"]]
    assert max(jaw) > 0.2, "the mouth opens while speaking"
    smile = [row[ARKIT_NAMES.index("mouthSmileLeft")] for row in data["weightMat"]]
    assert max(smile) > 0.1, "a cheerful prompt smiles"
    extra = data["affectStudio"]
    assert len(extra["headRotation"]) == data["numFrames"]
    assert min(extra["emotion"]["valence"]) > 0


def test_livelink_csv_rows(rendered):
    with open(rendered / "demo.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:3] == ["Timecode", "BlendShapeCount", "EyeBlinkLeft"]
    assert len(rows[0]) == 2 + 52 + 9
    assert all(len(r) == len(rows[0]) for r in rows)


def test_mouth_cues_cover_the_clip(rendered):
    cues = json.loads((rendered / "demo.rhubarb.json").read_text())["mouthCues"]
    assert cues[0]["start"] == 0.0
    assert {c["value"] for c in cues} <= set("ABCDEFGHX")
    assert "A" in {c["value"] for c in cues}  # "happy", "meet", "make" close the lips
    tsv = (rendered / "demo.tsv").read_text().strip().splitlines()
    assert tsv[-1].endswith("\tX")


def test_json_progress_lines(tmp_path, demo_audio):
    proc = subprocess.run(
        [sys.executable, "-m", "studio", "render", str(demo_audio), "--json-progress",
         "-o", str(tmp_path / "p.json")],
        capture_output=True, text=True, cwd=REPO_ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stderr.strip().splitlines()]
    fractions = [e["fraction"] for e in events if e["event"] == "progress"]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) >= 4
    assert events[-1] == {"event": "done", "outputs": [str(tmp_path / "p.json")]}


def test_outputs_get_normal_file_permissions(rendered):
    import os

    mask = os.umask(0)
    os.umask(mask)
    for path in rendered.iterdir():
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask, path.name


def test_emotion_track_text_file_with_transition_and_follow_voice(tmp_path, demo_audio):
    track = tmp_path / "scene.track"
    track.write_text("transition 0.8\n0.0 calm\n2.0 suddenly furious\n", encoding="utf-8")
    out = tmp_path / "o.json"
    args = [str(demo_audio), "--emotion-track", str(track), "--follow-voice", "0", "-o", str(out)]
    assert main(["render", *args]) == 0
    doc = json.loads(out.read_text())
    settings = doc["affectStudio"]["provenance"]["settings"]
    assert settings["emotion_transition"] == 0.8
    assert settings["controls"]["follow_voice"] == 0.0
    assert [p["prompt"] for p in settings["prompts"]] == ["calm", "suddenly furious"]
    fps = doc["exportFps"]
    mixture = doc["affectStudio"]["mixture"]
    assert "anger" not in mixture[round(1.5 * fps)] and mixture[-1].get("anger", 0) > 0.9
    valence = doc["affectStudio"]["emotion"]["valence"]
    assert valence[-1] < 0 < valence[round(1.5 * fps)]

    overridden = tmp_path / "p.json"
    assert main(["render", *args[:-2], "--transition", "2.5", "-o", str(overridden)]) == 0
    again = json.loads(overridden.read_text())["affectStudio"]["provenance"]["settings"]
    assert again["emotion_transition"] == 2.5
