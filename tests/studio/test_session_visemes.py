"""Hand-corrected lip sync in the session, the project file and the command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from generators.audio import AudioClip
from generators.base import GenerationRequest
from generators.controls import AnimationControls
from generators.rig.generator import RigAnalysis, RigGenerator
from generators.rig.visemes import viseme_table
from generators.take import VisemeSegment
from generators.viseme_edit import VisemeEditError, delete_segment, set_viseme
from renderers.arkit import ARKIT_INDEX
from studio.cli import main
from studio.errors import ProjectError, StudioError
from studio.project import (
    apply_project,
    load_project,
    prepare_project,
    save_project,
    session_to_project,
)
from studio.project_io import MAX_VISEMES
from studio.session import Session
from tests.conftest import tone

CLOSE = ARKIT_INDEX["mouthClose"]
PP_CLOSE = viseme_table()["PP"].weight("mouthClose")


@pytest.fixture(scope="module")
def clip(demo_audio: Path) -> AudioClip:
    return AudioClip.load(demo_audio)


@pytest.fixture(scope="module")
def analysis(clip: AudioClip, demo_transcript: str) -> RigAnalysis:
    return RigGenerator().analyse(GenerationRequest(clip, transcript=demo_transcript))


def vowel(timeline: tuple[VisemeSegment, ...]) -> int:
    return max(
        (i for i, s in enumerate(timeline) if s.viseme in ("aa", "E", "oh")),
        key=lambda i: timeline[i].end - timeline[i].start,
    )


def centre(seg: VisemeSegment) -> float:
    return 0.5 * (seg.start + seg.end)


@pytest.fixture
def session(clip: AudioClip, demo_transcript: str, analysis: RigAnalysis) -> Session:
    s = Session()
    s.set_audio(clip)
    s.set_transcript(demo_transcript)
    s.install_analysis(analysis)
    s.remap()
    return s


@pytest.fixture
def corrected(session: Session) -> tuple[VisemeSegment, ...]:
    base = session.viseme_timeline()
    assert base is not None
    timeline = set_viseme(base, vowel(base), "PP")
    session.set_visemes(timeline)
    return timeline


# ---------------------------------------------------------------------------- session


def test_the_analysed_timeline_is_where_corrections_start(session: Session, analysis) -> None:
    assert session.visemes is None
    assert session.viseme_timeline() == analysis.viseme_timeline()
    assert Session().viseme_timeline() is None
    assert not session.take.visemes.edited


def test_corrections_survive_prompt_intensity_and_slider_changes(session: Session,
                                                                 corrected) -> None:  # fmt: skip
    seg = corrected[vowel(session.cached_analysis().viseme_timeline())]
    assert seg.viseme == "PP"
    events: list[str] = []
    session.subscribe(events.append)
    for change in (
        lambda: session.set_prompt("quietly furious"),
        lambda: session.set_intensity(0.4),
        lambda: session.set_controls(AnimationControls(lip_articulation=1.4, head_motion=0.3)),
    ):
        change()
        assert not session.needs_analysis()  # only the cheap stage runs
        take = session.remap()
        assert take.visemes.edited and tuple(take.visemes.visemes) == corrected
        assert session.request().visemes == corrected
    assert take.curves.sample(centre(seg))[CLOSE] > 0.8 * PP_CLOSE
    assert "visemes_set_aside" not in events


def test_corrections_are_set_aside_when_the_transcript_changes(session: Session,
                                                               corrected) -> None:  # fmt: skip
    events: list[str] = []
    session.subscribe(events.append)
    original = session.transcript
    session.set_transcript("something else entirely")
    assert session.visemes is None and session.request().visemes is None
    assert events == ["transcript", "visemes_set_aside"]
    session.set_transcript(original)  # undo: they belong to this analysis again
    assert session.visemes == corrected
    assert session.remap().visemes.edited
    events.clear()
    language = session.language
    session.set_language("other" if language != "other" else "en")
    assert session.visemes is None and events[-1] == "visemes_set_aside"
    session.set_language(language)
    assert session.visemes == corrected


def test_corrections_are_set_aside_for_other_audio(session: Session, corrected) -> None:
    first = session.audio
    events: list[str] = []
    session.subscribe(events.append)
    other = AudioClip.from_samples(tone(2.0, 16000), 16000)
    session.set_audio(other)
    assert session.visemes is None and "visemes_set_aside" in events
    session.set_audio(first)
    assert session.visemes == corrected


def test_set_visemes_checks_the_timeline(session: Session, corrected) -> None:
    with pytest.raises(VisemeEditError, match="clip is"):
        session.set_visemes((VisemeSegment("sil", 0.0, 1.0),))
    assert session.visemes == corrected  # unchanged after a refused edit
    with pytest.raises(StudioError, match="choose a voice line"):
        Session().set_visemes((VisemeSegment("sil", 0.0, 1.0),))


def test_a_timeline_equal_to_the_analysis_is_no_correction(session: Session, corrected) -> None:
    session.set_visemes(session.cached_analysis().viseme_timeline())
    assert session.visemes is None
    assert not session.remap().visemes.edited
    session.set_visemes(corrected)
    session.set_visemes(None)
    assert session.visemes is None


def test_the_rhubarb_export_follows_the_corrections(session: Session, corrected,
                                                    tmp_path: Path) -> None:  # fmt: skip
    seg = corrected[vowel(session.cached_analysis().viseme_timeline())]
    session.remap()
    doc = json.loads(session.export(tmp_path / "cues.rhubarb.json").read_text())
    value = next(c["value"] for c in doc["mouthCues"] if c["start"] <= centre(seg) < c["end"])
    assert value == "A"
    session.set_visemes(None)
    session.remap()
    doc = json.loads(session.export(tmp_path / "plain.rhubarb.json").read_text())
    value = next(c["value"] for c in doc["mouthCues"] if c["start"] <= centre(seg) < c["end"])
    assert value != "A"


# ---------------------------------------------------------------------------- project file


@pytest.fixture
def project_folder(tmp_path: Path, demo_audio: Path) -> Path:
    folder = tmp_path / "scene"
    folder.mkdir()
    shutil.copy(demo_audio, folder / "line.flac")
    return folder


def corrected_session(folder: Path, transcript: str, analysis) -> Session:
    s = Session()
    s.load_audio(folder / "line.flac")
    s.set_transcript(transcript)
    s.install_analysis(analysis)
    base = s.viseme_timeline()
    assert base is not None
    j = next(k for k, seg in enumerate(base) if seg.viseme == "PP")
    s.set_visemes(delete_segment(set_viseme(base, vowel(base), "PP"), j))
    return s


def test_corrections_survive_save_and_load(project_folder: Path, demo_transcript: str,
                                           analysis) -> None:  # fmt: skip
    original = corrected_session(project_folder, demo_transcript, analysis)
    path = save_project(session_to_project(original), project_folder / "scene.affect.json")
    data = json.loads(path.read_text())
    assert data["lipSync"]["audioSha256"] == original.audio.sha256
    assert data["lipSync"]["visemes"][0] == {"viseme": "sil", "start": 0.0,
                                             "end": original.visemes[0].end}  # fmt: skip

    restored = Session()
    events: list[str] = []
    restored.subscribe(events.append)
    assert apply_project(load_project(path), restored) == []
    assert restored.visemes == original.visemes and "visemes" in events
    restored.install_analysis(analysis)
    take = restored.remap()
    assert take.visemes.edited
    np.testing.assert_array_equal(take.curves.weights, original.remap().curves.weights)
    assert session_to_project(restored) == session_to_project(original)


def test_a_project_without_corrections_clears_the_previous_ones(project_folder: Path,
                                                                demo_transcript: str,
                                                                analysis) -> None:  # fmt: skip
    session = corrected_session(project_folder, demo_transcript, analysis)
    plain = session_to_project(session)
    plain.lip_sync = None
    apply_project(plain, session)
    assert session.visemes is None
    saved = json.loads(save_project(plain, project_folder / "p.affect.json").read_text())
    assert saved["lipSync"] is None


def test_corrections_for_replaced_audio_are_dropped_with_a_notice(project_folder: Path,
                                                                  demo_transcript: str,
                                                                  analysis) -> None:  # fmt: skip
    original = corrected_session(project_folder, demo_transcript, analysis)
    path = save_project(session_to_project(original), project_folder / "scene.affect.json")
    sf.write(project_folder / "line.flac", tone(6.0, 16000), 16000)  # re-recorded line
    prepared = prepare_project(load_project(path))
    assert prepared.visemes is None
    assert len(prepared.notices) == 1 and "dropped" in prepared.notices[0]
    restored = Session()
    prepared.apply_to(restored)
    assert restored.visemes is None


def test_corrections_wait_for_a_missing_voice_line(project_folder: Path, demo_transcript: str,
                                                   analysis, tmp_path: Path) -> None:  # fmt: skip
    original = corrected_session(project_folder, demo_transcript, analysis)
    path = save_project(session_to_project(original), project_folder / "scene.affect.json")
    moved = shutil.move(project_folder / "line.flac", tmp_path / "elsewhere.flac")
    restored = Session()
    assert apply_project(load_project(path), restored) == ["audio"]
    assert restored.visemes is None
    restored.set_audio(AudioClip.from_samples(tone(2.0, 16000), 16000))  # not that one
    assert restored.visemes is None
    restored.load_audio(moved)  # relinked: the same recording
    assert restored.visemes == original.visemes


def _doc_with(lip_sync: object) -> dict:
    return {"format": "affect-studio-project", "version": 1, "lipSync": lip_sync}


SHA = "ab" * 32
GOOD = [{"viseme": "sil", "start": 0.0, "end": 0.5}, {"viseme": "PP", "start": 0.5, "end": 1.0}]


@pytest.mark.parametrize(
    ("lip_sync", "needle"),
    [
        ([], "lipSync must be a JSON object"),
        ({"visemes": GOOD}, "audioSha256"),
        ({"audioSha256": "xyz", "visemes": GOOD}, "audioSha256"),
        ({"audioSha256": SHA, "visemes": []}, "non-empty list"),
        ({"audioSha256": SHA, "visemes": "sil"}, "non-empty list"),
        ({"audioSha256": SHA, "visemes": [{"viseme": "zz", "start": 0, "end": 1}]},
         "lipSync viseme 0 is 'zz', not a viseme"),
        ({"audioSha256": SHA, "visemes": [{"viseme": "PP", "start": 0, "end": "1"}]},
         "lipSync viseme 0 end must be a number"),
        ({"audioSha256": SHA, "visemes": [GOOD[0], {"viseme": "PP", "start": 0.6, "end": 1}]},
         "contiguous"),
        ({"audioSha256": SHA, "visemes": [{"viseme": "PP", "start": 0.2, "end": 1}]},
         "the clip start"),
        ({"audioSha256": SHA, "visemes": ["sil"]}, "lipSync viseme 0 must be a JSON object"),
        ({"audioSha256": SHA,
          "visemes": [{"viseme": "sil", "start": i, "end": i + 1}
                      for i in range(MAX_VISEMES + 1)]}, "more than"),
    ],
)  # fmt: skip
def test_bad_lip_sync_in_a_project_is_refused_in_one_line(tmp_path: Path, lip_sync,
                                                          needle: str) -> None:  # fmt: skip
    path = tmp_path / "bad.affect.json"
    path.write_text(json.dumps(_doc_with(lip_sync)), encoding="utf-8")
    with pytest.raises(ProjectError) as info:
        load_project(path)
    message = str(info.value)
    assert needle in message and "\n" not in message, message


def test_good_lip_sync_loads(tmp_path: Path) -> None:
    path = tmp_path / "ok.affect.json"
    path.write_text(json.dumps(_doc_with({"audioSha256": SHA, "visemes": GOOD})))
    lip_sync = load_project(path).lip_sync
    assert lip_sync is not None and lip_sync.audio_sha256 == SHA
    assert [s.viseme for s in lip_sync.visemes] == ["sil", "PP"]
    path.write_text(json.dumps(_doc_with(None)))
    assert load_project(path).lip_sync is None


# ---------------------------------------------------------------------------- command line


def test_render_with_a_corrected_viseme_track(tmp_path: Path, demo_audio: Path,
                                              demo_transcript: str, analysis) -> None:  # fmt: skip
    timeline = analysis.viseme_timeline()
    i = vowel(timeline)
    fixed = set_viseme(timeline, i, "PP")
    track = tmp_path / "visemes.json"
    # the layout of a curves JSON's lipSync block, rounded as that file rounds
    track.write_text(json.dumps({"affectStudio": {"lipSync": {"visemes": [
        {"viseme": s.viseme, "start": round(s.start, 4), "end": round(s.end, 4)}
        for s in fixed]}}}))  # fmt: skip
    out = tmp_path / "out"
    out.mkdir()
    code = main(["render", str(demo_audio), "--transcript", demo_transcript,
                 "--visemes", str(track), "-o", str(out / "c.json"),
                 "-o", str(out / "c.rhubarb.json")])  # fmt: skip
    assert code == 0
    curves = json.loads((out / "c.json").read_text())
    assert curves["affectStudio"]["provenance"]["settings"]["lip_sync_edited"] is True
    lip_sync = curves["affectStudio"]["lipSync"]
    assert lip_sync["edited"] is True and lip_sync["visemes"][i]["viseme"] == "PP"
    mid = centre(timeline[i])
    frame = round(mid * curves["exportFps"])
    assert curves["weightMat"][frame][CLOSE] > 0.8 * PP_CLOSE
    cues = json.loads((out / "c.rhubarb.json").read_text())["mouthCues"]
    assert next(c["value"] for c in cues if c["start"] <= mid < c["end"]) == "A"


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("not json", "not valid JSON"),
        ('{"something": 1}', "non-empty list"),
        ('[{"viseme": "qq", "start": 0, "end": 1}]', "not a viseme"),
        ('[{"viseme": "PP", "start": 0, "end": 99}]', "voice line is"),
        ('[{"viseme": "PP", "start": 0, "end": 1}, {"viseme": "aa", "start": 0.5, "end": 2}]',
         "overlap"),
        ('[{"viseme": "PP", "start": 1, "end": 0.5}]', "must end after"),
    ],
)  # fmt: skip
def test_render_refuses_a_bad_viseme_track_in_one_line(tmp_path: Path, demo_audio: Path,
                                                       capsys, content: str,
                                                       needle: str) -> None:  # fmt: skip
    track = tmp_path / "v.json"
    track.write_text(content)
    code = main(["render", str(demo_audio), "--visemes", str(track),
                 "-o", str(tmp_path / "c.json")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error: ") and needle in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "c.json").exists()
