"""Reading batch manifests (CSV, JSON, TOML), folder mode, defaults files and presets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf

from studio.batch import manifest_fields, manifest_files
from studio.batch.job import BatchJob
from studio.batch.manifest import BatchPlan, ManifestError, read_batch
from studio.batch.presets import save_preset
from studio.errors import StudioError
from tests.conftest import tone


def clip(folder: Path, name: str, seconds: float = 0.2) -> Path:
    """A short real WAV file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    sf.write(path, tone(seconds, 16000), 16000, format="WAV")
    return path


@pytest.fixture(autouse=True)
def presets_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own (empty) presets folder."""
    folder = tmp_path / "presets"
    monkeypatch.setenv("AFFECT_STUDIO_PRESETS", str(folder))
    return folder


@pytest.fixture
def clips(tmp_path: Path) -> Path:
    folder = tmp_path / "clips"
    clip(folder, "a.wav")
    clip(folder, "b.wav")
    return folder


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def only_job(plan: BatchPlan) -> BatchJob:
    assert plan.problems == []
    assert len(plan.jobs) == 1
    return plan.jobs[0]


def problem_for(tmp_path: Path, header: str, row: str) -> str:
    """The reason given for the one bad line of a CSV manifest beside a real clip."""
    clip(tmp_path, "a.wav")
    plan = read_batch(write(tmp_path / "lines.csv", f"{header}\n{row}\n"))
    assert plan.jobs == [], plan.jobs
    assert len(plan.problems) == 1
    return plan.problems[0].reason


# -- the three formats ---------------------------------------------------------------------


def test_csv_line_with_every_kind_of_field(clips: Path) -> None:
    write(clips / "track.txt", "0.0 calm\n1.0 angry\n")
    manifest = write(clips / "lines.csv", (
        "audio,name,transcript,language,emotion_track,intensity,head_motion,Follow-Voice,"
        "formats,fps,size,seed\n"
        'a.wav,intro,"Hello, there.",en,track.txt,0.5,0,0.8,json csv rhubarb.json,25,'
        "640x360,7\n"))
    job = only_job(read_batch(manifest))
    assert job.name == "intro" and job.source == "lines.csv line 2"
    assert job.formats == (".json", ".csv", ".rhubarb.json")
    spec = job.spec
    assert spec.audio == clips / "a.wav"
    assert spec.transcript == "Hello, there."
    assert (spec.language, spec.intensity, spec.fps, spec.size, spec.seed) == \
        ("en", 0.5, 25.0, (640, 360), 7)
    assert spec.emotion_track == clips / "track.txt" and spec.prompt == ""
    assert dict(spec.controls) == {"head_motion": 0.0, "follow_voice": 0.8}


def test_same_lines_in_csv_json_and_toml_give_the_same_jobs(clips: Path) -> None:
    csv_path = write(clips / "m.csv", "audio,prompt,formats\na.wav,calm,.json;.csv\n"
                                      "b.wav,,json\n")
    json_path = write(clips / "m.json", json.dumps([
        {"audio": "a.wav", "prompt": "calm", "formats": [".json", ".csv"]},
        {"audio": "b.wav", "formats": "json", "prompt": None}]))
    toml_path = write(clips / "m.toml", (
        '[[job]]\naudio = "a.wav"\nprompt = "calm"\nformats = ["json", "csv"]\n\n'
        '[[job]]\naudio = "b.wav"\nformats = ".json"\n'))
    plans = [read_batch(p) for p in (csv_path, json_path, toml_path)]
    for plan in plans:
        assert plan.problems == []
    shapes = [[(j.name, j.spec, j.formats) for j in plan.jobs] for plan in plans]
    assert shapes[0] == shapes[1] == shapes[2]
    assert shapes[0][0][0] == "a" and shapes[0][0][1].prompt == "calm"
    assert [j.source for j in plans[1].jobs] == ["m.json job 1", "m.json job 2"]
    assert [j.source for j in plans[2].jobs] == ["m.toml job 1", "m.toml job 2"]


def test_json_and_toml_defaults_sections_apply_to_lines(clips: Path) -> None:
    json_path = write(clips / "m.json", json.dumps({
        "defaults": {"intensity": 0.25, "size": [320, 240], "formats": ["csv"]},
        "jobs": [{"audio": "a.wav"}, {"audio": "b.wav", "intensity": 0.75}]}))
    toml_path = write(clips / "m.toml", (
        "[defaults]\nintensity = 0.25\nsize = [320, 240]\nformats = 'csv'\n\n"
        "[[job]]\naudio = 'a.wav'\n\n[[job]]\naudio = 'b.wav'\nintensity = 0.75\n"))
    for path in (json_path, toml_path):
        plan = read_batch(path)
        assert [(j.spec.intensity, j.spec.size, j.formats) for j in plan.jobs] == [
            (0.25, (320, 240), (".csv",)), (0.75, (320, 240), (".csv",))]


def test_csv_with_semicolons_a_bom_and_blank_lines(clips: Path) -> None:
    path = clips / "excel.csv"
    path.write_bytes("\ufeffAudio;Intensity\r\n\r\na.wav;0.5\r\n".encode())
    job = only_job(read_batch(path))
    assert job.spec.intensity == 0.5 and job.source == "excel.csv line 3"


def test_built_in_defaults_when_a_line_gives_only_audio(clips: Path) -> None:
    job = only_job(read_batch(write(clips / "m.csv", "audio\na.wav\n")))
    assert job.name == "a" and job.formats == (".json", ".rhubarb.json")
    assert job.spec.transcript is None and dict(job.spec.controls) == {}
    assert (job.spec.fps, job.spec.size, job.spec.intensity) == (30.0, (1280, 720), 1.0)


# -- paths and transcripts -------------------------------------------------------------------


def test_absolute_and_parent_paths_are_allowed(tmp_path: Path) -> None:
    shared = clip(tmp_path / "shared", "far.wav")
    clip(tmp_path / "near", "up.wav")
    manifest = write(tmp_path / "project" / "m.csv",
                     f"audio,name\n{shared},far\n../near/up.wav,up\n")
    plan = read_batch(manifest)
    assert plan.problems == []
    assert [j.spec.audio.resolve() for j in plan.jobs] == \
        [shared.resolve(), (tmp_path / "near" / "up.wav").resolve()]


def test_manifest_lines_pick_up_a_same_named_txt_beside_the_audio(clips: Path) -> None:
    write(clips / "a.txt", "  the words of a  \n")
    write(clips / "other.txt", "other words")
    plan = read_batch(write(clips / "m.csv", (
        "audio,name,transcript,transcript_file\n"
        "a.wav,sidecar,,\n"
        "a.wav,inline,typed words,\n"
        "a.wav,named,,other.txt\n"
        "a.wav,no_transcript,,none\n"
        "b.wav,without,,\n")))
    assert plan.problems == []
    assert {j.name: j.spec.transcript for j in plan.jobs} == {
        "sidecar": "the words of a", "inline": "typed words", "named": "other words",
        "no_transcript": None, "without": None}


@pytest.mark.parametrize(("content", "expected"), [
    (b"", "transcript file is empty"),
    (b"\xff\xfe bad", "not UTF-8"),
    (b"x" * 300, "larger than"),
])
def test_bad_transcript_sidecar_is_a_line_problem(clips: Path, monkeypatch: pytest.MonkeyPatch,
                                                  content: bytes, expected: str) -> None:
    from studio.batch import manifest

    monkeypatch.setattr(manifest, "MAX_TRANSCRIPT_BYTES", 256)
    (clips / "a.txt").write_bytes(content)
    plan = read_batch(write(clips / "m.csv", "audio\na.wav\nb.wav\n"))
    assert [j.name for j in plan.jobs] == ["b"]
    assert plan.problems[0].name == "a" and expected in plan.problems[0].reason


def test_missing_transcript_file_is_a_line_problem(tmp_path: Path) -> None:
    reason = problem_for(tmp_path, "audio,transcript_file", "a.wav,missing.txt")
    assert "transcript file not found" in reason and "missing.txt" in reason


# -- folder mode -------------------------------------------------------------------------------


def test_folder_mode_takes_every_audio_file_sorted_with_its_transcript(tmp_path: Path) -> None:
    folder = tmp_path / "voice"
    for name in ("b.FLAC", "a.wav", "C.ogg"):
        clip(folder, name)
    (folder / "d.mp3").write_bytes(b"not checked here")
    (folder / ".hidden.wav").write_bytes(b"skipped")
    (folder / "notes.md").write_text("not audio", encoding="utf-8")
    (folder / "sub").mkdir()
    clip(folder / "sub", "deep.wav")  # not recursive
    write(folder / "a.txt", "words of a")
    plan = read_batch(folder)
    assert plan.problems == [] and plan.defaults_file is None
    assert [j.name for j in plan.jobs] == ["a", "b", "C", "d"]
    assert [j.spec.transcript for j in plan.jobs] == ["words of a", None, None, None]
    assert {j.formats for j in plan.jobs} == {(".json", ".rhubarb.json")}
    assert plan.jobs[0].source == "voice/a.wav"


def test_folder_defaults_file_is_used(tmp_path: Path) -> None:
    folder = tmp_path / "voice"
    clip(folder, "a.wav")
    write(folder / "batch.toml", 'formats = ["json", "csv", "rhubarb.json"]\nprompt = "calm"\n')
    plan = read_batch(folder)
    job = only_job(plan)
    assert plan.defaults_file == folder / "batch.toml"
    assert job.formats == (".json", ".csv", ".rhubarb.json") and job.spec.prompt == "calm"


def test_explicit_defaults_replace_the_folders_own(tmp_path: Path) -> None:
    folder = tmp_path / "voice"
    clip(folder, "a.wav")
    write(folder / "defaults.json", '{"prompt": "calm", "fps": 24}')
    mine = write(tmp_path / "mine.toml", "fps = 60\n")
    job = only_job(read_batch(folder, defaults=mine))
    assert (job.spec.fps, job.spec.prompt) == (60.0, "")


def test_two_folder_defaults_files_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "voice"
    clip(folder, "a.wav")
    write(folder / "batch.toml", "fps = 24\n")
    write(folder / "defaults.json", "{}")
    with pytest.raises(ManifestError, match="several defaults files.*keep one"):
        read_batch(folder)


def test_same_stem_in_two_formats_clashes_in_folder_mode(tmp_path: Path) -> None:
    folder = tmp_path / "voice"
    clip(folder, "x.wav")
    clip(folder, "x.flac")
    plan = read_batch(folder)
    assert [j.spec.audio.name for j in plan.jobs] == ["x.flac"]
    assert plan.problems[0].source == "voice/x.wav"
    assert "voice/x.flac" in plan.problems[0].reason


def test_empty_folder_gives_an_empty_plan(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    plan = read_batch(tmp_path / "empty")
    assert plan.jobs == [] and plan.problems == []


# -- precedence and presets ----------------------------------------------------------------


def test_precedence_defaults_file_manifest_defaults_preset_line(clips: Path) -> None:
    save_preset("loud", {"intensity": 0.9, "fps": 50, "head_motion": 1.5})
    defaults = write(clips / "studio.json", json.dumps(
        {"intensity": 0.1, "fps": 10, "seed": 3, "size": "320x240", "blink_rate": 0.5}))
    manifest = write(clips / "m.toml", (
        "[defaults]\nfps = 20\nseed = 4\n\n"
        "[[job]]\naudio = 'a.wav'\n\n"
        "[[job]]\naudio = 'b.wav'\npreset = 'loud'\nfps = 60\n"))
    plain, preset = read_batch(manifest, defaults=defaults).jobs
    assert (plain.spec.intensity, plain.spec.fps, plain.spec.seed, plain.spec.size) == \
        (0.1, 20.0, 4, (320, 240))
    assert dict(plain.spec.controls) == {"blink_rate": 0.5}
    assert (preset.spec.intensity, preset.spec.fps, preset.spec.seed) == (0.9, 60.0, 4)
    assert dict(preset.spec.controls) == {"blink_rate": 0.5, "head_motion": 1.5}


def test_preset_named_in_defaults_sits_beneath_the_defaults_own_values(clips: Path) -> None:
    save_preset("warm", {"prompt": "warm", "intensity": 0.4})
    manifest = write(clips / "m.json", json.dumps(
        {"defaults": {"preset": "warm", "intensity": 0.6}, "jobs": [{"audio": "a.wav"}]}))
    job = only_job(read_batch(manifest))
    assert (job.spec.prompt, job.spec.intensity) == ("warm", 0.6)


def test_a_saved_preset_file_works_as_the_defaults_file(clips: Path) -> None:
    path = save_preset("narrator", {"prompt": "calm", "formats": ["csv"]})
    job = only_job(read_batch(write(clips / "m.csv", "audio\na.wav\n"), defaults=path))
    assert (job.spec.prompt, job.formats) == ("calm", (".csv",))


def test_line_emotion_track_replaces_an_inherited_prompt(clips: Path) -> None:
    write(clips / "track.txt", "0 calm\n")
    manifest = write(clips / "m.json", json.dumps(
        {"defaults": {"prompt": "happy"}, "jobs": [{"audio": "a.wav",
                                                   "emotion_track": "track.txt"}]}))
    job = only_job(read_batch(manifest))
    assert job.spec.prompt == "" and job.spec.emotion_track == clips / "track.txt"


def test_unknown_preset_is_a_line_problem_listing_the_saved_ones(tmp_path: Path) -> None:
    save_preset("calm", {"prompt": "calm"})
    save_preset("angry", {"prompt": "angry"})
    reason = problem_for(tmp_path, "audio,preset", "a.wav,clam")
    assert "unknown preset 'clam'" in reason and "angry, calm" in reason


def test_unknown_preset_in_the_defaults_stops_the_batch(clips: Path) -> None:
    manifest = write(clips / "m.json", json.dumps(
        {"defaults": {"preset": "nope"}, "jobs": [{"audio": "a.wav"}]}))
    with pytest.raises(ManifestError, match="m.json defaults: unknown preset 'nope'.*no presets"):
        read_batch(manifest)


def test_defaults_file_may_not_give_line_fields(clips: Path) -> None:
    defaults = write(clips / "d.toml", "audio = 'a.wav'\n")
    with pytest.raises(ManifestError, match="'audio' \\(not allowed here\\)"):
        read_batch(write(clips / "m.csv", "audio\na.wav\n"), defaults=defaults)


def test_bad_value_in_defaults_file_stops_the_batch(clips: Path) -> None:
    defaults = write(clips / "d.json", '{"intensity": 5}')
    with pytest.raises(StudioError, match="defaults file d.json: intensity must be a number "
                                          "between 0 and 1, got 5"):
        read_batch(write(clips / "m.csv", "audio\na.wav\n"), defaults=defaults)


# -- bad values: the line fails alone, with its reason ----------------------------------------


@pytest.mark.parametrize(("column", "value", "expected"), [
    ("intensity", "loud", "intensity must be a number between 0 and 1, got 'loud'"),
    ("intensity", "1.5", "intensity must be a number between 0 and 1, got '1.5'"),
    ("intensity", "nan", "intensity must be a number"),
    ("head_motion", "3", "head_motion must be a number between 0 and 2"),
    ("lip_offset", "0.5", "lip_offset must be a number between -0.25 and 0.25"),
    ("follow_voice", "1.5", "follow_voice must be a number between 0 and 1"),
    ("emotion_transition", "-1", "emotion_transition must be a number between 0 and 3"),
    ("fps", "0", "fps must be a number between 1 and 240"),
    ("size", "1280", "size must be WIDTHxHEIGHT"),
    ("size", "1281x720", "size must be even on both sides"),
    ("size", "8x8", "size must be a whole number between 16 and 4096"),
    ("seed", "-1", "seed must be a whole number between 0 and"),
    ("seed", "1.5", "seed must be a whole number"),
    ("language", "de", "language must be auto, en, other, got 'de'"),
    ("formats", "json xyz", "unknown output format 'xyz' (use one of:"),
    ("formats", ";", "formats is empty"),
    ("name", "../up", "must not contain / \\"),
    ("name", ".hidden", "must not start with a dot"),
    ("name", "trailing.", "must not start or end with a space or end with a dot"),
    ("prompt", "x" * 501, "prompt is 501 characters long; keep it under 500"),
    ("avatar", "x" * 5000, "avatar is 5000 characters long"),
])
def test_bad_values_fail_their_line(tmp_path: Path, column: str, value: str,
                                    expected: str) -> None:
    reason = problem_for(tmp_path, f"audio,{column}", f'a.wav,"{value}"')
    assert expected in reason


def test_bad_typed_values_in_json(clips: Path) -> None:
    manifest = write(clips / "m.json", json.dumps([
        {"audio": "a.wav", "intensity": True},
        {"audio": "a.wav", "name": "n2", "formats": 3},
        {"audio": "a.wav", "name": "n3", "prompt": ["calm"]},
        {"audio": "b.wav", "size": [640, 360, 2]},
    ]))
    plan = read_batch(manifest)
    assert plan.jobs == []
    reasons = [p.reason for p in plan.problems]
    assert "intensity must be a number between 0 and 1, got bool" in reasons[0]
    assert "formats must be a list of suffixes" in reasons[1]
    assert "prompt must be text, got list" in reasons[2]
    assert "size must be WIDTHxHEIGHT" in reasons[3]
    assert [p.source for p in plan.problems] == [f"m.json job {i}" for i in range(1, 5)]
    assert [p.name for p in plan.problems] == ["a", "n2", "n3", "b"]


def test_prompt_and_emotion_track_on_one_line_is_a_problem(tmp_path: Path) -> None:
    reason = problem_for(tmp_path, "audio,prompt,emotion_track", "a.wav,calm,t.txt")
    assert reason == "give prompt or emotion_track, not both"


def test_missing_audio_fails_its_line_and_the_batch_goes_on(clips: Path) -> None:
    plan = read_batch(write(clips / "m.csv", "audio,name\nnope.wav,x\n,empty\na.wav,ok\n"))
    assert [j.name for j in plan.jobs] == ["ok"]
    (missing, empty) = plan.problems
    assert (missing.name, missing.source) == ("x", "m.csv line 2")
    assert "audio file not found" in missing.reason and "nope.wav" in missing.reason
    assert empty.reason.startswith("no audio;")


@pytest.mark.parametrize(("column", "what"), [("emotion_track", "emotion track"),
                                               ("visemes", "viseme file"),
                                               ("avatar", "avatar")])
def test_missing_referenced_files_fail_their_line(tmp_path: Path, column: str,
                                                 what: str) -> None:
    reason = problem_for(tmp_path, f"audio,{column}", "a.wav,gone.file")
    assert reason.startswith(f"{what} not found:") and "gone.file" in reason


def test_duplicate_names_fail_the_later_line_naming_both(clips: Path) -> None:
    plan = read_batch(write(clips / "m.csv", "audio,name\na.wav,take\nb.wav,other\n"
                                             "b.wav,Take\n"))
    assert [j.name for j in plan.jobs] == ["take", "other"]
    (problem,) = plan.problems
    assert problem.source == "m.csv line 4"
    assert "'Take' is also used by m.csv line 2" in problem.reason


def test_unsafe_audio_stem_asks_for_a_name(tmp_path: Path) -> None:
    clip(tmp_path, "trailing .wav")
    plan = read_batch(write(tmp_path / "m.csv", "audio\ntrailing .wav\n"))
    assert "give the line a name" in plan.problems[0].reason


def test_extra_csv_cell_fails_its_line(clips: Path) -> None:
    plan = read_batch(write(clips / "m.csv", "audio,prompt\na.wav,calm,oops\nb.wav,calm\n"))
    assert [j.name for j in plan.jobs] == ["b"]
    assert "value in column 3, which the header does not name" in plan.problems[0].reason


# -- manifests that cannot be used at all ---------------------------------------------------


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("m.csv", "audio,intesity,promt\na.wav,1,x\n",
     "m.csv header: unknown field(s) 'intesity' (did you mean 'intensity'?), 'promt' "
     "(did you mean 'prompt'?)"),
    ("m.csv", "name,prompt\nx,calm\n", "m.csv has no 'audio' column"),
    ("m.csv", "\n\n", "m.csv is empty"),
    ("m.csv", "audio,Audio\na.wav,a.wav\n", "field 'audio' is given twice"),
    ("m.json", '[{"audio": "a.wav", "colour": "red"}]', "m.json job 1: unknown field(s) "
     "'colour'"),
    ("m.json", '{"jobs": [], "extra": 1}', "unknown top-level key(s) 'extra'"),
    ("m.json", '{"defaults": {}}', 'has no "jobs" list'),
    ("m.json", "42", "must hold a list of jobs"),
    ("m.json", '["a.wav"]', "m.json job 1 must be a table of fields, got str"),
    ("m.json", '[{"audio": "a.wav", "audio": "b.wav"}]', "key 'audio' appears twice"),
    ("m.json", '[{"audio": "a.wav",}]', "m.json is not valid JSON (line 1"),
    ("m.json", "[" * 100_000, "nested too deeply"),
    ("m.json", '{"defaults": {"name": "x"}, "jobs": []}', "'name' (not allowed here)"),
    ("m.toml", "[[jobs]]\naudio = 'a.wav'\n", "unknown top-level key(s) 'jobs'"),
    ("m.toml", "[[job]\n", "m.toml is not valid TOML"),
    ("m.toml", "[defaults]\nfps = 30\n", "has no [[job]] tables"),
    ("m.txt", "audio\n", "use a .csv, .json or .toml file"),
])
def test_unusable_manifests_raise_one_line(tmp_path: Path, name: str, content: str,
                                           expected: str) -> None:
    clip(tmp_path, "a.wav")
    with pytest.raises(ManifestError) as info:
        read_batch(write(tmp_path / name, content))
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_not_utf8_manifest_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_bytes("audio\nné.wav\n".encode("latin-1"))
    with pytest.raises(ManifestError, match="not UTF-8 text; save it as UTF-8"):
        read_batch(path)


def test_missing_source_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="manifest or folder not found"):
        read_batch(tmp_path / "nothing.csv")


# -- bounds ----------------------------------------------------------------------------------


def test_manifest_size_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(manifest_files, "MAX_MANIFEST_BYTES", 64)
    write(tmp_path / "ok.csv", "audio\n" + "a.wav\n" * 9)
    read_batch(tmp_path / "ok.csv")
    with pytest.raises(ManifestError, match="larger than 64 bytes; split it"):
        read_batch(write(tmp_path / "big.csv", "audio\n" + "a.wav\n" * 20))


@pytest.mark.parametrize(("name", "content"), [
    ("m.csv", "audio\n" + "a.wav\n" * 4),
    ("m.json", json.dumps([{"audio": "a.wav"}] * 4)),
    ("m.toml", "[[job]]\naudio = 'a.wav'\n" * 4),
])
def test_line_count_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str,
                               content: str) -> None:
    from studio.batch import manifest

    monkeypatch.setattr(manifest_files, "MAX_LINES", 3)
    monkeypatch.setattr(manifest, "MAX_LINES", 3)
    with pytest.raises(ManifestError, match="more than 3 lines; split it"):
        read_batch(write(tmp_path / name, content))


def test_folder_file_count_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from studio.batch import manifest

    monkeypatch.setattr(manifest, "MAX_LINES", 2)
    for i in range(3):
        (tmp_path / f"{i}.wav").write_bytes(b"")
    with pytest.raises(ManifestError, match="more than 2 audio files"):
        read_batch(tmp_path)


def test_csv_cell_over_the_csv_limit_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="m.csv line 2: field larger than field limit"):
        read_batch(write(tmp_path / "m.csv", f'audio,transcript\na.wav,"{"x" * 200_000}"\n'))


def test_inline_transcript_length_is_bounded(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(manifest_fields, "MAX_INLINE_TRANSCRIPT_CHARS", 10)
    reason = problem_for(tmp_path, "audio,transcript", "a.wav,eleven char")
    assert reason == "transcript is 11 characters long; keep it under 10"
