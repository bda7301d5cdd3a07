"""Every bad input gives one ``error: ...`` line, exit code 2, and no output file."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from studio.cli import main
from tests.conftest import tone


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_error_line(err: str, *needles: str) -> None:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    for needle in needles:
        assert needle in lines[0], lines[0]


def produced(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.suffix not in {".wav", ".txt", ".flac"})


@pytest.fixture()
def speech_like(tmp_path):
    path = tmp_path / "line.wav"
    sf.write(path, tone(1.0, 16000), 16000)
    return path


def test_missing_audio_file(capsys, tmp_path):
    code, _, err = run_cli(capsys, "render", tmp_path / "missing.wav", "-o", tmp_path / "o.json")
    assert code == 2
    assert_one_error_line(err, "not found")
    assert produced(tmp_path) == []


def test_file_that_is_not_audio(capsys, tmp_path):
    bogus = tmp_path / "voice.wav"
    bogus.write_bytes(b"GIF89a" + bytes(range(256)) * 8)
    code, _, err = run_cli(capsys, "render", bogus, "-o", tmp_path / "o.json")
    assert code == 2
    assert_one_error_line(err, "cannot decode", "WAV")
    assert produced(tmp_path) == []


def test_empty_clip(capsys, tmp_path):
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0, dtype=np.float32), 16000)
    code, _, err = run_cli(capsys, "render", empty, "-o", tmp_path / "o.json")
    assert code == 2
    assert_one_error_line(err, "no samples")
    assert produced(tmp_path) == []


def test_all_silent_clip(capsys, tmp_path):
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(32000, dtype=np.float32), 16000)
    code, _, err = run_cli(capsys, "render", silent, "-o", tmp_path / "o.mp4")
    assert code == 2
    assert_one_error_line(err, "silent")
    assert produced(tmp_path) == []


def test_clip_longer_than_the_maximum(capsys, tmp_path):
    long = tmp_path / "long.wav"
    rate = 4000
    with sf.SoundFile(long, "w", rate, 1, subtype="PCM_16") as f:  # 601 s, written in blocks
        block = tone(10.0, rate)
        for _ in range(60):
            f.write(block)
        f.write(tone(1.0, rate))
    code, _, err = run_cli(capsys, "render", long, "-o", tmp_path / "o.json")
    assert code == 2
    assert_one_error_line(err, "601.0 s long", "600 s maximum", "split")
    assert produced(tmp_path) == []


def test_unwritable_output_folder(capsys, speech_like, tmp_path):
    code, _, err = run_cli(capsys, "render", speech_like, "-o", "/sys/affect-out.json")
    assert code == 2
    assert_one_error_line(err, "not writable", "choose another folder")


def test_missing_output_folder(capsys, speech_like, tmp_path):
    code, _, err = run_cli(capsys, "render", speech_like, "-o", tmp_path / "no" / "o.json")
    assert code == 2
    assert_one_error_line(err, "does not exist")


def test_unknown_output_extension_rejected_before_any_work(capsys, speech_like, tmp_path):
    code, _, err = run_cli(capsys, "render", speech_like,
                           "-o", tmp_path / "ok.json", "-o", tmp_path / "clip.xyz")
    assert code == 2
    assert_one_error_line(err, "unknown output format", ".xyz", ".mp4", ".rhubarb.json")
    assert produced(tmp_path) == []


def test_same_output_twice(capsys, speech_like, tmp_path):
    out = tmp_path / "o.json"
    code, _, err = run_cli(capsys, "render", speech_like, "-o", out, "-o", out)
    assert code == 2
    assert_one_error_line(err, "twice")


@pytest.mark.parametrize(
    ("flag", "value", "needle"),
    [("--intensity", "1.5", "between 0 and 1"), ("--fps", "0", "between 1 and 240"),
     ("--size", "1281x720", "even"), ("--size", "big", "WIDTHxHEIGHT")],
)
def test_bad_numbers(capsys, speech_like, tmp_path, flag, value, needle):
    with pytest.raises(SystemExit) as info:
        main(["render", str(speech_like), flag, value, "-o", str(tmp_path / "o.json")])
    assert info.value.code == 2
    _, err = capsys.readouterr()
    assert_one_error_line(err, needle)


def test_empty_transcript_file(capsys, speech_like, tmp_path):
    text = tmp_path / "words.txt"
    text.write_text("   \n")
    code, _, err = run_cli(capsys, "render", speech_like, "--transcript", f"@{text}",
                           "-o", tmp_path / "o.json")
    assert code == 2
    assert_one_error_line(err, "transcript is empty")
    assert produced(tmp_path) == []


def test_missing_transcript_file(capsys, speech_like, tmp_path):
    code, _, err = run_cli(capsys, "render", speech_like, "--transcript", "@nope.txt",
                           "-o", tmp_path / "o.json")
    assert code == 2
    assert_one_error_line(err, "transcript file not found")


def test_unknown_emotion_prompt(capsys, speech_like, tmp_path):
    code, _, err = run_cli(capsys, "render", speech_like, "--prompt", "xyzzy",
                           "-o", tmp_path / "o.json")
    assert code == 2
    assert_one_error_line(err, "xyzzy")
    assert produced(tmp_path) == []


def test_transcript_that_does_not_match_the_audio(capsys, demo_audio, tmp_path):
    wrong = ("Quantum chromodynamics describes strong interactions between quarks and gluons "
             "inside protons, neutrons and many other hadrons in extraordinary detail.")
    code, _, err = run_cli(capsys, "render", demo_audio, "--transcript", wrong,
                           "-o", tmp_path / "o.json", "-o", tmp_path / "o.mp4")
    assert code == 2
    assert_one_error_line(err, "transcript", "does not match")
    assert produced(tmp_path) == []


def test_bad_avatar_file(capsys, speech_like, tmp_path):
    avatar = tmp_path / "face.glb"
    avatar.write_bytes(b"not a glb at all")
    code, _, err = run_cli(capsys, "render", speech_like, "--avatar", avatar,
                           "-o", tmp_path / "o.json")
    assert code == 2
    assert_one_error_line(err)
    assert produced(tmp_path) == ["face.glb"]


def test_bad_emotion_track_file(capsys, speech_like, tmp_path):
    track = tmp_path / "track.json"
    track.write_text('[{"start": 2, "end": 1, "prompt": "happy"}]')
    code, _, err = run_cli(capsys, "render", speech_like, "--emotion-track", track,
                           "-o", tmp_path / "o.csv")
    assert code == 2
    assert_one_error_line(err, "segment 0", "start < end")


def test_emotion_command_json(capsys):
    import json

    code, out, _ = run_cli(capsys, "emotion", "quietly furious", "--json")
    assert code == 0
    info = json.loads(out)
    assert info["dominant"] == "anger" and info["vad"]["valence"] < 0
    assert set(info["regions"]) == {"upper", "lower"}
    assert 0 <= info["intensity"] <= 1 and info["notes"]
    assert set(info["mixture"]) == {"anger"}


def test_emotion_command_unknown_prompt(capsys):
    code, _, err = run_cli(capsys, "emotion", "xyzzy")
    assert code == 2
    assert_one_error_line(err, "unknown emotion")


def test_internal_error_is_exit_code_1_with_one_line(capsys, speech_like, tmp_path, monkeypatch):
    from studio.session import Session

    def broken(self, **_kwargs):
        raise RuntimeError("simulated defect")

    monkeypatch.setattr(Session, "generate", broken)
    code, _, err = run_cli(capsys, "render", speech_like, "-o", tmp_path / "o.json")
    assert code == 1
    assert_one_error_line(err, "internal error", "simulated defect", "AFFECT_STUDIO_DEBUG")
    assert produced(tmp_path) == []
