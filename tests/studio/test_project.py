"""The ``.affect.json`` project file: round trips, relative paths, atomic saves, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import soundfile as sf

from generators.controls import AnimationControls
from generators.take import EmotionSegment, EmotionState, EmotionTrack
from studio.errors import ProjectError, StudioError
from studio.exporters import text_output
from studio.project import (
    CURRENT_VERSION,
    FORMAT_NAME,
    MAX_SEGMENTS,
    Project,
    ProjectSegment,
    apply_project,
    load_project,
    save_project,
    session_to_project,
)
from studio.project_io import MAX_FILE_BYTES, MAX_TRANSCRIPT_BYTES
from studio.session import Session
from tests.conftest import tone


@pytest.fixture()
def folder(tmp_path) -> Path:
    """A project folder holding a voice line in a subfolder."""
    root = tmp_path / "scene"
    (root / "audio").mkdir(parents=True)
    sf.write(root / "audio" / "line.wav", tone(1.0, 16000), 16000)
    return root


def full_project(folder: Path) -> Project:
    return Project(
        audio_path=folder / "audio" / "line.wav",
        transcript="hello there",
        segments=[
            ProjectSegment(0.0, 0.5, "calm"),
            ProjectSegment(0.5, None, "quietly furious", 0.8),
        ],
        intensity=0.7,
        seed=42,
        generator="rig",
        fps=24.0,
        width=640,
        height=360,
        avatar_path=folder / "avatar.glb",
        controls={"blink_rate": 0.5},
    )


def minimal_doc(**extra) -> dict:
    doc = {"format": FORMAT_NAME, "version": 1}
    doc.update(extra)
    return doc


def write_doc(path: Path, doc) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def assert_one_line(exc: pytest.ExceptionInfo, *needles: str) -> None:
    msg = str(exc.value)
    assert "\n" not in msg, msg
    for needle in needles:
        assert needle in msg, msg


# --------------------------------------------------------------------------- save / load


def test_round_trip(folder):
    project = full_project(folder)
    path = save_project(project, folder / "scene.affect.json")
    assert load_project(path) == project


def test_file_layout_is_readable_and_relative(folder):
    path = save_project(full_project(folder), folder / "scene.affect.json")
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["format"] == FORMAT_NAME and data["version"] == CURRENT_VERSION
    assert data["audio"] == "audio/line.wav"
    assert data["avatar"] == "avatar.glb"
    assert data["render"] == {"fps": 24.0, "width": 640, "height": 360}
    assert data["emotion"][1] == {"start": 0.5, "end": None, "prompt": "quietly furious",
                                  "intensity": 0.8}
    assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert str(folder) not in text


def test_empty_project_round_trip(tmp_path):
    project = Project()
    assert load_project(save_project(project, tmp_path / "p.affect.json")) == project


def test_moved_folder_still_loads(folder, tmp_path):
    save_project(full_project(folder), folder / "scene.affect.json")
    moved = tmp_path / "elsewhere" / "copy"
    shutil.copytree(folder, moved)
    shutil.rmtree(folder)
    project = load_project(moved / "scene.affect.json")
    assert project.audio_path == moved / "audio" / "line.wav"
    assert project.missing_files() == {"avatar": moved / "avatar.glb"}


def test_save_refuses_media_outside_the_project_folder(folder, tmp_path):
    project = Project(audio_path=tmp_path / "outside.wav")
    with pytest.raises(ProjectError) as exc:
        save_project(project, folder / "scene.affect.json")
    assert_one_line(exc, "outside the project folder", "copy it into that folder")
    assert not (folder / "scene.affect.json").exists()


def test_failed_save_keeps_old_file_and_leaves_no_temp(folder, monkeypatch):
    path = save_project(full_project(folder), folder / "scene.affect.json")
    before = path.read_bytes()

    real_open = open

    class FullDisk:  # writes half the document, then the disk is full
        def __init__(self, target, *args, **kwargs):
            self._f = real_open(target, *args, **kwargs)

        def write(self, text):
            self._f.write(text[: len(text) // 2])
            self._f.flush()
            raise OSError(28, "No space left on device")

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._f.close()

    monkeypatch.setattr(text_output, "open", FullDisk, raising=False)
    with pytest.raises(ProjectError) as exc:
        save_project(Project(seed=1), path)
    assert_one_line(exc, "cannot save project", "No space left on device")
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["audio", "scene.affect.json"]


def test_save_into_missing_folder(tmp_path):
    with pytest.raises(ProjectError) as exc:
        save_project(Project(), tmp_path / "nope" / "p.affect.json")
    assert_one_line(exc, "does not exist")


def test_project_error_is_a_studio_error():
    assert issubclass(ProjectError, StudioError)


# --------------------------------------------------------------------------- bad input


def test_missing_project_file(tmp_path):
    with pytest.raises(ProjectError) as exc:
        load_project(tmp_path / "missing.affect.json")
    assert_one_line(exc, "not found")


def test_not_json(tmp_path):
    path = tmp_path / "p.affect.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ProjectError) as exc:
        load_project(path)
    assert_one_line(exc, "not valid JSON", "line 1")


def test_not_utf8(tmp_path):
    path = tmp_path / "p.affect.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ProjectError) as exc:
        load_project(path)
    assert_one_line(exc, "not UTF-8")


@pytest.mark.parametrize("doc", [[1, 2], {"format": "something-else", "version": 1},
                                 {"version": 1}])
def test_wrong_format(tmp_path, doc):
    with pytest.raises(ProjectError) as exc:
        load_project(write_doc(tmp_path / "p.affect.json", doc))
    assert_one_line(exc, "not an Affect Studio project", ".affect.json")


def test_newer_version(tmp_path):
    path = write_doc(tmp_path / "p.affect.json", minimal_doc(version=CURRENT_VERSION + 1))
    with pytest.raises(ProjectError) as exc:
        load_project(path)
    assert_one_line(exc, "newer Affect Studio", f"version {CURRENT_VERSION + 1}", "update")


@pytest.mark.parametrize("version", [0, -3, "1", 1.5, None, True])
def test_bad_version(tmp_path, version):
    with pytest.raises(ProjectError) as exc:
        load_project(write_doc(tmp_path / "p.affect.json", minimal_doc(version=version)))
    assert_one_line(exc, "version")


def test_too_big(tmp_path):
    path = tmp_path / "p.affect.json"
    doc = minimal_doc(transcript="x" * 10)
    path.write_text(json.dumps(doc) + " " * MAX_FILE_BYTES, encoding="utf-8")
    with pytest.raises(ProjectError) as exc:
        load_project(path)
    assert_one_line(exc, "larger than 4 MiB")


def test_too_many_segments(tmp_path):
    segs = [{"start": 0, "prompt": ""}] * (MAX_SEGMENTS + 1)
    path = write_doc(tmp_path / "p.affect.json", minimal_doc(emotion=segs))
    with pytest.raises(ProjectError) as exc:
        load_project(path)
    assert_one_line(exc, f"more than the {MAX_SEGMENTS}")


def test_transcript_too_long(tmp_path):
    doc = minimal_doc(transcript="a" * (MAX_TRANSCRIPT_BYTES + 1))
    with pytest.raises(ProjectError) as exc:
        load_project(write_doc(tmp_path / "p.affect.json", doc))
    assert_one_line(exc, "transcript is longer than 256 KiB")


def test_deep_nesting(tmp_path):
    path = tmp_path / "p.affect.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(ProjectError) as exc:
        load_project(path)
    assert_one_line(exc, "not a valid project")


@pytest.mark.parametrize("value", ["/etc/passwd", "C:/voice/line.wav", "//server/share/a.wav"])
def test_absolute_path(tmp_path, value):
    with pytest.raises(ProjectError) as exc:
        load_project(write_doc(tmp_path / "p.affect.json", minimal_doc(audio=value)))
    assert_one_line(exc, "absolute", "relink the audio file")


@pytest.mark.parametrize("value", ["../line.wav", "audio/../../line.wav", ".."])
def test_dotdot_escape(tmp_path, value):
    with pytest.raises(ProjectError) as exc:
        load_project(write_doc(tmp_path / "p.affect.json", minimal_doc(avatar=value)))
    assert_one_line(exc, "leaves the project folder", "avatar")


def test_backslash_path(tmp_path):
    doc = minimal_doc(audio="..\\line.wav")
    with pytest.raises(ProjectError) as exc:
        load_project(write_doc(tmp_path / "p.affect.json", doc))
    assert_one_line(exc, "'/'")


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("audio", 3, "audio path"),
        ("audio", "", "audio path"),
        ("transcript", ["hi"], "transcript must be text"),
        ("emotion", {"start": 0}, "emotion must be a list"),
        ("emotion", [{"start": 0}], "needs a text \"prompt\""),
        ("emotion", ["calm"], "emotion segment 0 must be a JSON object"),
        ("emotion", [{"start": "0", "prompt": "calm"}], "start must be a number"),
        ("emotion", [{"start": -1, "prompt": "calm"}], "start must be between"),
        ("emotion", [{"start": 2, "end": 1, "prompt": "calm"}], "must end after it starts"),
        ("emotion", [{"start": 0, "prompt": "calm", "intensity": 2}], "intensity must be"),
        ("emotion", [{"start": 0, "prompt": "x" * 501}], "longer than 500"),
        ("intensity", "high", "intensity must be a number"),
        ("intensity", 1.5, "intensity must be between 0 and 1"),
        ("seed", 1.5, "seed must be a whole number"),
        ("seed", True, "seed must be a whole number"),
        ("render", [30], "render must be a JSON object"),
        ("render", {"fps": 0}, "render fps must be between 1 and 240"),
        ("render", {"width": 641}, "even"),
        ("render", {"height": 100000}, "render height must be between"),
        ("generator", "../evil", "generator must be a generator name"),
        ("controls", [1.0], "controls must be a JSON object"),
        ("controls", {"blink_rate": "fast"}, "control blink_rate must be a number"),
        ("controls", {"Bad Name": 1.0}, "unknown animation control"),
        ("controls", {"blink_rate": 3}, "control blink_rate must be between 0 and 2"),
        ("controls", {"follow_voice": 1.5}, "control follow_voice must be between 0 and 1"),
        ("emotion", [{"prompt": "calm", "speed": 0}], "speed must be between 0.01 and 100"),
        ("controls", {"emotion_transition": -1}, "control emotion_transition must be between"),
    ],
)
def test_wrong_types(tmp_path, field, value, needle):
    path = write_doc(tmp_path / "p.affect.json", minimal_doc(**{field: value}))
    with pytest.raises(ProjectError) as exc:
        load_project(path)
    assert_one_line(exc, needle, "p.affect.json")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers(tmp_path, constant):
    path = tmp_path / "p.affect.json"
    path.write_text(f'{{"format": "{FORMAT_NAME}", "version": 1, "intensity": {constant}}}',
                    encoding="utf-8")
    with pytest.raises(ProjectError) as exc:
        load_project(path)
    assert_one_line(exc, constant, "finite")


def test_absent_optional_fields_take_defaults(tmp_path):
    project = load_project(write_doc(tmp_path / "p.affect.json", minimal_doc()))
    assert project == Project()
    assert project.controls == {}


def test_missing_audio_is_reported_not_raised(tmp_path):
    path = write_doc(tmp_path / "p.affect.json", minimal_doc(audio="media/gone.wav"))
    project = load_project(path)
    assert project.missing_files() == {"audio": tmp_path / "media" / "gone.wav"}
    session = Session()
    assert apply_project(project, session) == ["audio"]
    assert session.audio is None


# --------------------------------------------------------------------------- session bridge


def _edited_session(demo_audio, demo_transcript) -> Session:
    session = Session()
    session.load_audio(demo_audio)
    session.set_transcript(demo_transcript)
    session.set_emotion_track(EmotionTrack([
        EmotionSegment(0.0, 1.0, "calm", _parse("calm")),
        EmotionSegment(1.0, 2.0, "happy", _parse("happy", 0.5), 2.5, 0.5),
        EmotionSegment(2.0, 2.5, "very happy", _parse("very happy", 0.4), 1.0, 0.4),
        EmotionSegment(2.5, None, "suddenly furious", _parse("suddenly furious"), 3.0),
    ]))
    session.set_intensity(0.6)
    session.seed = 9
    session.settings.fps = 25.0
    session.settings.width, session.settings.height = 800, 600
    session.set_controls(
        AnimationControls(blink_rate=0.5, head_motion=1.5, follow_voice=0.8, emotion_transition=1.5)
    )
    return session


def _parse(prompt: str, intensity: float | None = None) -> EmotionState:
    from generators.emotion import parse_prompt

    return parse_prompt(prompt, intensity)


def test_session_round_trip_with_demo_audio(demo_audio, demo_transcript, tmp_path):
    folder = tmp_path / "proj"
    folder.mkdir()
    shutil.copy(demo_audio, folder / demo_audio.name)
    original = _edited_session(folder / demo_audio.name, demo_transcript)

    project = session_to_project(original)
    assert project.segments[1].intensity == 0.5
    assert project.segments[2].intensity == 0.4  # kept even with a modifier ("very")
    path = save_project(project, folder / "greeting.affect.json")

    restored = Session()
    events: list[str] = []
    restored.subscribe(events.append)
    assert apply_project(load_project(path), restored) == []
    assert restored.audio is not None
    assert restored.audio.sha256 == original.audio.sha256
    assert restored.transcript == original.transcript
    assert restored.emotion == original.emotion
    assert (restored.intensity, restored.seed) == (0.6, 9)
    assert restored.settings == original.settings
    assert restored.avatar_path is None
    assert restored.controls == original.controls
    assert {"audio", "emotion", "settings", "controls"} <= set(events)
    assert session_to_project(restored) == project


def test_apply_project_leaves_session_unchanged_on_failure(demo_audio, demo_transcript,
                                                           tmp_path):
    session = _edited_session(demo_audio, demo_transcript)
    before = session_to_project(session)
    audio_before, emotion_before = session.audio, session.emotion
    bad_prompt = Project(audio_path=demo_audio,
                         segments=[ProjectSegment(0.0, None, "calm"),
                                   ProjectSegment(1.0, None, "zzqx blorp")],
                         seed=1, fps=60.0)
    with pytest.raises(ProjectError) as exc:
        apply_project(bad_prompt, session)
    assert_one_line(exc, "emotion segment 1")

    bad_audio = tmp_path / "bad.wav"
    bad_audio.write_bytes(b"RIFF not really audio")
    with pytest.raises(ProjectError) as exc:
        apply_project(Project(audio_path=bad_audio, seed=2), session)
    assert_one_line(exc, "project audio")

    with pytest.raises(ProjectError) as exc:
        apply_project(Project(controls={"blink_rate": 5.0}, seed=3), session)
    assert_one_line(exc, "animation controls", "blink_rate")

    assert session.audio is audio_before and session.emotion is emotion_before
    assert session_to_project(session) == before
