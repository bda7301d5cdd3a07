"""The spoken-language setting in the product: CLI flag, session, project file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from generators.errors import GeneratorError
from studio.cli import main
from studio.errors import ProjectError
from studio.project import (
    FORMAT_NAME,
    Project,
    apply_project,
    load_project,
    save_project,
    session_to_project,
)
from studio.session import Session

SR = 16000


def syllable_line(seconds: float = 2.0) -> np.ndarray:
    """A voiced buzz rising and falling four times a second, then silence."""
    t = np.arange(int(seconds * SR)) / SR
    voice = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 20))
    env = np.clip(np.sin(2 * np.pi * 4 * t), 0, None) ** 2 * (t < seconds - 0.5)
    return (0.04 * env * voice).astype(np.float32)


@pytest.fixture()
def line(tmp_path: Path) -> Path:
    path = tmp_path / "line.wav"
    sf.write(path, syllable_line(), SR)
    return path


# --------------------------------------------------------------------------- CLI


def test_render_with_language_other_uses_the_sound(capsys, tmp_path: Path, line: Path) -> None:  # noqa: ANN001
    out = tmp_path / "line.json"
    cues = tmp_path / "line.rhubarb.json"
    args = ["--language", "other", "--transcript", "hallo welt", "-o", str(out), "-o", str(cues)]
    code = main(["render", str(line), *args])
    assert code == 0, capsys.readouterr().err
    shapes = [c["value"] for c in json.loads(cues.read_text())["mouthCues"]]
    assert shapes[-1] == "X" and len(set(shapes) - {"X"}) >= 2  # mouth shapes, then rest
    data = json.loads(out.read_text())
    settings = data["affectStudio"]["provenance"]["settings"]
    assert settings["language"] == "other"
    assert settings["lip_sync"] == "acoustic"
    assert settings["lip_sync_diagnostics"]["transcript_ignored"] is True
    jaw = np.array(data["weightMat"])[:, data["facsNames"].index("jawOpen")]
    assert jaw.max() > 0.2 and jaw[-10:].max() < 0.02  # opens on syllables, rests at the end


def test_render_defaults_to_auto(tmp_path: Path, line: Path) -> None:
    out = tmp_path / "line.json"
    assert main(["render", str(line), "-o", str(out)]) == 0
    settings = json.loads(out.read_text())["affectStudio"]["provenance"]["settings"]
    assert settings["language"] == "auto"
    assert settings["lip_sync_diagnostics"]["language_mode"] in {"en", "acoustic"}


def test_render_refuses_an_unknown_language(capsys, tmp_path: Path, line: Path) -> None:  # noqa: ANN001
    out = tmp_path / "line.json"
    with pytest.raises(SystemExit) as info:
        main(["render", str(line), "--language", "german", "-o", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert info.value.code == 2
    assert len(err) == 1 and err[0].startswith("error: ")
    assert "--language" in err[0] and "'other'" in err[0]
    assert not out.exists()


def test_help_lists_the_languages(capsys) -> None:  # noqa: ANN001
    with pytest.raises(SystemExit):
        main(["render", "--help"])
    assert "{auto,en,other}" in capsys.readouterr().out


# --------------------------------------------------------------------------- session


def test_session_validates_and_announces_the_language() -> None:
    session = Session()
    heard: list[str] = []
    session.subscribe(heard.append)
    session.set_language("other")
    assert session.language == "other" and heard == ["language"]
    with pytest.raises(GeneratorError, match="unknown language"):
        session.set_language("fr")
    assert session.language == "other"


def test_each_language_has_its_own_cached_analysis(line: Path) -> None:
    session = Session()
    session.load_audio(line)
    session.generate()
    assert session.take.provenance.settings["language"] == "auto"
    english = session.cached_analysis()
    session.set_language("other")
    assert session.needs_analysis(), "a new language needs a new analysis"
    assert session.request().language == "other"
    session.generate()
    assert session.take.visemes.method == "acoustic"
    session.set_language("auto")
    assert not session.needs_analysis() and session.cached_analysis() is english


# --------------------------------------------------------------------------- project file


def test_project_round_trips_the_language(tmp_path: Path, line: Path) -> None:
    project = Project(audio_path=line, language="other")
    path = save_project(project, tmp_path / "scene.affect.json")
    assert json.loads(path.read_text())["language"] == "other"
    assert load_project(path) == project


def test_projects_without_a_language_open_as_auto(tmp_path: Path) -> None:
    path = tmp_path / "old.affect.json"
    path.write_text(json.dumps({"format": FORMAT_NAME, "version": 1, "transcript": "hi"}))
    assert load_project(path).language == "auto"


@pytest.mark.parametrize("bad", ["de", 3, None, ""])
def test_a_bad_language_in_a_project_is_refused(tmp_path: Path, bad) -> None:  # noqa: ANN001
    path = tmp_path / "bad.affect.json"
    path.write_text(json.dumps({"format": FORMAT_NAME, "version": 1, "language": bad}))
    with pytest.raises(ProjectError) as err:
        load_project(path)
    assert "language must be one of auto, en, other" in str(err.value)
    assert "\n" not in str(err.value)


def test_session_and_project_carry_the_language(line: Path) -> None:
    session = Session()
    session.load_audio(line)
    session.set_language("en")
    project = session_to_project(session)
    assert project.language == "en"
    other = Session()
    heard: list[str] = []
    other.subscribe(heard.append)
    apply_project(project, other)
    assert other.language == "en" and "language" in heard
    with pytest.raises(ProjectError, match="language"):
        apply_project(Project(language="klingon"), Session())
