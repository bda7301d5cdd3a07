"""``affect-studio avatar inspect``: the matching report on real avatars, JSON, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio.cli import main
from tests.renderers.test_gltf_loader import FACECAP_PACKED, FACECAP_PLAIN, require, triangle_doc
from tests.studio.test_cli_bad_input import assert_one_error_line, run_cli

REPO = Path(__file__).resolve().parents[2]
DEFAULT_HEAD = REPO / "assets" / "avatar" / "default_head.glb"


def test_default_head_is_complete(capsys) -> None:
    code, out, err = run_cli(capsys, "avatar", "inspect", DEFAULT_HEAD)
    assert code == 0, err
    assert "ARKit coverage: 52/52 (100%)" in out
    assert "meshes:   8" in out and "Head" in out
    assert "missing: none" in out and "important missing (!): none" in out


def test_facecap_text(capsys) -> None:
    code, out, _ = run_cli(capsys, "avatar", "inspect", require(FACECAP_PLAIN))
    assert code == 0
    assert "ARKit coverage: 52/52" in out
    line = next(x for x in out.splitlines() if x.strip().startswith("eyeBlinkLeft"))
    assert "side" in line and "eyeBlink_L" in line


def test_facecap_json(capsys) -> None:
    code, out, _ = run_cli(capsys, "avatar", "inspect", require(FACECAP_PLAIN), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["arkit"]["matched_count"] == 52 and data["arkit"]["coverage"] == 1.0
    assert [m["targets"] for m in data["meshes"]] == [0, 0, 52, 0]
    assert data["vertex_count"] == sum(m["vertices"] for m in data["meshes"])
    assert data["arkit"]["matched"]["mouthSmileRight"]["sources"] == ["mouthSmile_R"]


def test_profile_option_and_sibling(capsys, tmp_path: Path) -> None:
    doc, _ = triangle_doc(targets=3, names=["smile", "ARKit_jawOpen", "viseme_aa"])
    avatar = tmp_path / "face.gltf"
    avatar.write_text(json.dumps(doc))
    code, out, _ = run_cli(capsys, "avatar", "inspect", avatar, "--json")
    assert code == 0
    report = json.loads(out)["arkit"]
    assert report["matched_count"] == 1 and report["profile"] is None
    assert report["visemes"] == {"viseme_aa": "viseme_aa"} and report["ignored"] == ["smile"]
    profile = tmp_path / "mine.json"
    profile.write_text(json.dumps({"format": "affect-studio-mapping", "version": 1,
                                   "map": {"smile": "mouthSmileLeft"}}))
    code, out, _ = run_cli(capsys, "avatar", "inspect", avatar, "--profile", profile)
    assert code == 0
    assert "ARKit coverage: 2/52" in out and "mapping profile: " in out
    (tmp_path / "face.mapping.json").write_text(profile.read_text())
    code, out, _ = run_cli(capsys, "avatar", "inspect", avatar, "--json")
    assert json.loads(out)["arkit"]["matched"]["mouthSmileLeft"]["how"] == "profile"


@pytest.mark.parametrize(("make", "needle"), [
    (lambda d: d / "missing.glb", "not found"),
    (lambda d: d / "folder", "not found"),
    (lambda d: _write(d / "face.fbx", "v 0 0 0\n"), "unsupported avatar format"),
    (lambda d: _write(d / "face.glb", "not a glb"), "GLB"),
    (lambda d: _write(d / "face.gltf", "{"), "JSON"),
    (lambda d: _write(d / "face.gltf", '{"asset": {"version": "2.0"}}'), "no triangle meshes"),
])
def test_bad_files_exit_2_with_one_line(capsys, tmp_path: Path, make, needle: str) -> None:
    (tmp_path / "folder").mkdir()
    code, out, err = run_cli(capsys, "avatar", "inspect", make(tmp_path))
    assert code == 2 and out == ""
    assert_one_error_line(err, needle)


def test_compressed_file_exits_2(capsys) -> None:
    code, _, err = run_cli(capsys, "avatar", "inspect", require(FACECAP_PACKED))
    assert code == 2
    assert_one_error_line(err, "EXT_meshopt_compression")


def test_bad_profile_exits_2(capsys, tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.json", '{"format": "affect-studio-mapping", "version": 1, '
                 '"map": {"a": "notAShape"}}')
    code, _, err = run_cli(capsys, "avatar", "inspect", DEFAULT_HEAD, "--profile", bad)
    assert code == 2
    assert_one_error_line(err, "notAShape", "ARKit-52")
    code, _, err = run_cli(capsys, "avatar", "inspect", DEFAULT_HEAD, "--profile",
                           tmp_path / "none.json")
    assert code == 2
    assert_one_error_line(err, "mapping profile not found")


def test_action_is_required(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["avatar"])
    assert info.value.code == 2
    assert_one_error_line(capsys.readouterr().err, "ACTION")


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
