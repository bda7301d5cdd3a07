"""``affect-studio --self-test``: the real run passes, and every validator catches a broken file.

The validators are shown to fail on real exports of the demo take that were then damaged
(truncated, a column removed, a gap between cues, an accessor out of bounds, NaN...), so a
passing self-test means something.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pygltflib
import pytest
from PIL import Image

from studio.cli import main
from studio.exporters.base import supported_extensions
from studio.exporters.livelink_csv import LIVE_LINK_FACE_HEADER
from studio.exporters.png_sequence import sequence_folder, sequence_name
from studio.selftest.outcome import FAIL, PASS, SKIP, CheckError, Expected
from studio.selftest.report import exit_code
from studio.selftest.runner import (
    GL_CHECK,
    TAKE_CHECK,
    SelfTestSettings,
    check_names,
    demo_line,
    prepare_take,
    run_self_test,
)
from studio.selftest.validators import VALIDATORS, builtin_extensions, missing_validators

LAUNCHER = Path(sys.executable).with_name("affect-studio")
SMALL = (96, 64)


def has_usd() -> bool:
    try:
        import pxr.Usd  # noqa: F401
    except ImportError:
        return False
    return True


# --- the real thing, end to end --------------------------------------------------------------


def table_rows(output: str) -> dict[str, tuple[str, str]]:
    """``check -> (result, detail)`` from the printed table."""
    rows = {}
    names = check_names()
    for line in output.splitlines():
        for name in names:
            if line.startswith(name + " "):
                cells = line[len(name):].split(maxsplit=2)
                rows[name] = (cells[0], cells[2] if len(cells) > 2 else "")
    return rows


def assert_passed_table(output: str) -> None:
    lines = output.strip().splitlines()
    assert lines[0].split() == ["check", "result", "seconds", "detail"]
    rows = table_rows(output)
    assert list(rows) == check_names()
    for name, (result, detail) in rows.items():
        if name.endswith((".usda", ".usd")) and not has_usd():
            assert result == SKIP and "affect-studio[usd]" in detail
        else:
            assert result == PASS, f"{name}: {detail}"
    assert rows[GL_CHECK][1].startswith("OpenGL ")
    assert lines[-1].startswith(f"self-test passed: {len(check_names())} checks")


def test_self_test_passes_in_process(capsys):
    assert main(["--self-test"]) == 0
    out = capsys.readouterr().out
    assert_passed_table(out)
    rows = table_rows(out)
    assert "197 frames" in rows["export .mp4"][1]
    assert "with alpha" in rows["export .mov"][1]
    assert "all 52 ARKit shapes" in rows["export .glb"][1]


def test_self_test_passes_as_the_installed_command(tmp_path):
    proc = subprocess.run([str(LAUNCHER), "--self-test"], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert_passed_table(proc.stdout)
    assert list(tmp_path.iterdir()) == [], "nothing is left in the working folder"


def test_without_egl_the_gl_row_says_what_to_install_and_the_exit_code_is_1(tmp_path):
    # glvnd's libEGL finds no vendor library: a real EGL failure, as on a machine without Mesa.
    env = {**os.environ, "__EGL_VENDOR_LIBRARY_FILENAMES": str(tmp_path / "none.json")}
    proc = subprocess.run([str(LAUNCHER), "--self-test", "--json"], capture_output=True,
                          text=True, timeout=300, env=env, check=False)  # fmt: skip
    report = json.loads(proc.stdout)
    rows = {row["check"]: row for row in report["checks"]}
    if rows[GL_CHECK]["result"] == PASS:
        pytest.skip("this EGL ignores __EGL_VENDOR_LIBRARY_FILENAMES")
    assert proc.returncode == 1 and not report["passed"]
    assert "Traceback" not in proc.stderr
    assert rows[GL_CHECK]["result"] == FAIL
    assert "apt-get install libegl1" in rows[GL_CHECK]["detail"]
    for ext in (".mp4", ".mov", ".png"):
        assert rows[f"export {ext}"]["result"] == FAIL
        assert rows[f"export {ext}"]["detail"].startswith("not run: rendering needs OpenGL")
    for ext in (".json", ".csv", ".rhubarb.json", ".tsv", ".glb"):
        assert rows[f"export {ext}"]["result"] == PASS, rows[f"export {ext}"]
    assert report["summary"].startswith(f"self-test FAILED: 4 of {len(rows)} checks")


def test_usage_errors(capsys):
    for argv in (["--json"], ["--self-test", "emotion", "calm"]):
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert stop.value.code == 2
        assert capsys.readouterr().err.startswith("error: ")


# --- every format has a validator -----------------------------------------------------------


def test_every_registered_extension_has_a_validator():
    assert check_names([".json"]) == [GL_CHECK, TAKE_CHECK, "export .json"]
    assert missing_validators() == []
    assert set(builtin_extensions()) == set(supported_extensions())
    assert set(VALIDATORS) == set(builtin_extensions()), "no validator for a format not exported"


def test_an_extension_without_validator_fails_loudly_and_usd_skips_without_the_extra(
    monkeypatch,
):
    for name in ("pxr", "pxr.Usd", "pxr.UsdSkel", "pxr.UsdValidation"):
        monkeypatch.setitem(sys.modules, name, None)  # as if usd-core were not installed
    results = run_self_test(extensions=[".xyz", ".usda", ".json"])
    rows = {r.check: r for r in results}
    assert [r.check for r in results] == check_names([".xyz", ".usda", ".json"])
    assert rows["export .xyz"].status == FAIL
    assert "no validator for .xyz" in rows["export .xyz"].detail
    assert rows["export .usda"].status == SKIP
    assert rows["export .usda"].detail == "needs the usd extra (pip install 'affect-studio[usd]')"
    assert rows["export .json"].status == PASS
    assert exit_code(results) == 1
    assert exit_code([r for r in results if r.check != "export .xyz"]) == 0


# --- each validator fails on a broken file -------------------------------------------------


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> tuple[Path, Expected]:
    """Every built-in format of the demo take, small, as the self-test writes them."""
    folder = tmp_path_factory.mktemp("exports")
    with demo_line() as (audio, transcript):
        session, expected = prepare_take(SelfTestSettings(size=SMALL), audio, transcript)
        for ext in builtin_extensions():
            if not ext.startswith(".usd") or has_usd():
                session.export(folder / f"take{ext}")
    return folder, expected


def damaged(exports, ext: str, tmp_path: Path) -> Path:
    """A copy of the export of ``ext`` to damage."""
    folder, _ = exports
    source = folder / f"take{ext}"
    if ext == ".png":
        shutil.copytree(sequence_folder(source), sequence_folder(tmp_path / "take.png"))
    else:
        shutil.copy(source, tmp_path / source.name)
    return tmp_path / source.name


def fails(exports, ext: str, dest: Path) -> str:
    with pytest.raises(CheckError) as error:
        VALIDATORS[ext].check(dest, exports[1])
    return str(error.value)


@pytest.mark.parametrize("ext", [".mp4", ".mov", ".png", ".json", ".csv", ".rhubarb.json",
                                 ".tsv", ".glb", ".usda", ".usd"])
def test_validator_passes_the_real_export(exports, ext):
    if ext.startswith(".usd") and not has_usd():
        pytest.skip("needs usd-core")
    folder, expected = exports
    assert VALIDATORS[ext].check(folder / f"take{ext}", expected)


@pytest.mark.parametrize("ext", [".mp4", ".mov"])
def test_truncated_video_fails(exports, ext, tmp_path):
    dest = damaged(exports, ext, tmp_path)
    data = dest.read_bytes()
    dest.write_bytes(data[: len(data) // 2])
    assert fails(exports, ext, dest)


def test_video_of_the_wrong_size_fails(exports):
    folder, expected = exports
    other = Expected(expected.take, 128, 64, expected.fps, expected.frames)
    assert "video size is 96x64 (expected 128x64)" in fails((folder, other), ".mp4",
                                                           folder / "take.mp4")


def test_mp4_passed_as_mov_has_no_alpha(exports, tmp_path):
    folder, _ = exports
    dest = tmp_path / "take.mov"
    shutil.copy(folder / "take.mp4", dest)
    assert "expected prores" in fails(exports, ".mov", dest)


def test_png_sequence_with_a_missing_frame_fails(exports, tmp_path):
    dest = damaged(exports, ".png", tmp_path)
    (sequence_folder(dest) / sequence_name(dest, 5)).unlink()
    assert "1 frames missing, first take_000005.png" in fails(exports, ".png", dest)


def test_png_frame_without_alpha_fails(exports, tmp_path):
    dest = damaged(exports, ".png", tmp_path)
    frame = sequence_folder(dest) / sequence_name(dest, 3)
    Image.open(frame).convert("RGB").save(frame)
    assert "take_000003.png is RGB (expected RGBA)" in fails(exports, ".png", dest)


def test_png_frame_with_an_opaque_background_fails(exports, tmp_path):
    dest = damaged(exports, ".png", tmp_path)
    frame = sequence_folder(dest) / sequence_name(dest, 7)
    rgba = np.asarray(Image.open(frame)).copy()
    rgba[:, :, 3] = 255
    Image.fromarray(rgba, "RGBA").save(frame)
    assert "PNG frame 7 has no alpha matte" in fails(exports, ".png", dest)


def test_truncated_png_fails(exports, tmp_path):
    dest = damaged(exports, ".png", tmp_path)
    frame = sequence_folder(dest) / sequence_name(dest, 0)
    frame.write_bytes(frame.read_bytes()[:200])
    assert "take_000000.png does not decode" in fails(exports, ".png", dest)


def curves_doc(exports, tmp_path) -> tuple[Path, dict]:
    dest = damaged(exports, ".json", tmp_path)
    return dest, json.loads(dest.read_text())


def test_curves_json_with_nan_fails(exports, tmp_path):
    dest, doc = curves_doc(exports, tmp_path)
    doc["weightMat"][4][17] = float("nan")
    dest.write_text(json.dumps(doc))  # json writes NaN, which JSON does not allow
    assert "NaN" in fails(exports, ".json", dest)


def test_curves_json_out_of_range_or_different_from_the_take_fails(exports, tmp_path):
    dest, doc = curves_doc(exports, tmp_path)
    doc["weightMat"][4][17] = 1.5
    dest.write_text(json.dumps(doc))
    assert "outside 0..1" in fails(exports, ".json", dest)
    doc["weightMat"][4][17] = 0.99 if doc["weightMat"][4][17] < 0.5 else 0.01
    dest.write_text(json.dumps(doc))
    assert "weights differ from the take's" in fails(exports, ".json", dest)


def test_curves_json_with_a_frame_or_a_name_missing_fails(exports, tmp_path):
    dest, doc = curves_doc(exports, tmp_path)
    short = {**doc, "weightMat": doc["weightMat"][:-1], "numFrames": doc["numFrames"] - 1}
    dest.write_text(json.dumps(short))
    assert "numFrames is" in fails(exports, ".json", dest)
    renamed = {**doc, "facsNames": [*doc["facsNames"][:-1], "tongueIn"]}
    dest.write_text(json.dumps(renamed))
    assert "not the 52 ARKit names" in fails(exports, ".json", dest)


def csv_lines(exports, tmp_path) -> tuple[Path, list[list[str]]]:
    dest = damaged(exports, ".csv", tmp_path)
    return dest, [line.split(",") for line in dest.read_text().splitlines()]


def write_csv(dest: Path, rows: list[list[str]]) -> None:
    dest.write_text("\n".join(",".join(r) for r in rows) + "\n")


def test_csv_with_a_missing_column_fails(exports, tmp_path):
    dest, rows = csv_lines(exports, tmp_path)
    col = LIVE_LINK_FACE_HEADER.split(",").index("MouthLeft")
    write_csv(dest, [r[:col] + r[col + 1:] for r in rows])
    assert "header lacks 1 columns, first ['MouthLeft']" in fails(exports, ".csv", dest)


def test_csv_with_a_missing_row_or_bad_cells_fails(exports, tmp_path):
    dest, rows = csv_lines(exports, tmp_path)
    write_csv(dest, rows[:-1])
    assert "rows (the take has" in fails(exports, ".csv", dest)
    write_csv(dest, [*rows[:5], rows[6], rows[5], *rows[7:]])
    assert "row 6: timecode" in fails(exports, ".csv", dest)
    bad = [list(r) for r in rows]
    bad[3][10] = "abc"
    write_csv(dest, bad)
    assert "row 3 holds a cell that is not a number" in fails(exports, ".csv", dest)
    bad[3][10] = "nan"
    write_csv(dest, bad)
    assert "not a finite number" in fails(exports, ".csv", dest)


def test_rhubarb_json_with_a_gap_or_an_unknown_shape_fails(exports, tmp_path):
    dest = damaged(exports, ".rhubarb.json", tmp_path)
    doc = json.loads(dest.read_text())
    cue = doc["mouthCues"][3]
    gapped = json.loads(json.dumps(doc))
    gapped["mouthCues"][3]["start"] = round(cue["start"] + 0.03, 2)
    dest.write_text(json.dumps(gapped))
    assert "cue 3 starts at" in fails(exports, ".rhubarb.json", dest)
    assert "(gap)" in fails(exports, ".rhubarb.json", dest)
    doc["mouthCues"][2]["value"] = "Q"
    dest.write_text(json.dumps(doc))
    assert "cue 2 has shape 'Q'" in fails(exports, ".rhubarb.json", dest)


def test_rhubarb_json_not_covering_the_clip_fails(exports, tmp_path):
    dest = damaged(exports, ".rhubarb.json", tmp_path)
    doc = json.loads(dest.read_text())
    doc["mouthCues"] = doc["mouthCues"][:-1]
    dest.write_text(json.dumps(doc))
    assert "not at the clip's end" in fails(exports, ".rhubarb.json", dest)


def test_tsv_out_of_order_or_with_an_unknown_shape_fails(exports, tmp_path):
    dest = damaged(exports, ".tsv", tmp_path)
    lines = dest.read_text().splitlines()
    dest.write_text("\n".join([*lines[:4], lines[5], lines[4], *lines[6:]]) + "\n")
    assert "it must end after it starts" in fails(exports, ".tsv", dest)
    lines[2] = lines[2].split("\t")[0] + "\tZ"
    dest.write_text("\n".join(lines) + "\n")
    assert "cue 2 has shape 'Z'" in fails(exports, ".tsv", dest)


def gltf_copy(exports, tmp_path) -> tuple[Path, pygltflib.GLTF2]:
    dest = damaged(exports, ".glb", tmp_path)
    return dest, pygltflib.GLTF2.load_binary(str(dest))


def test_glb_with_an_accessor_out_of_bounds_fails(exports, tmp_path):
    dest, gltf = gltf_copy(exports, tmp_path)
    gltf.accessors[2].count += 1000
    gltf.save_binary(str(dest))
    assert "accessor 2 needs" in fails(exports, ".glb", dest)


def test_glb_with_a_buffer_view_past_the_buffer_or_a_bad_type_fails(exports, tmp_path):
    dest, gltf = gltf_copy(exports, tmp_path)
    gltf.bufferViews[-1].byteLength += 4096
    gltf.save_binary(str(dest))
    assert "past the buffer's" in fails(exports, ".glb", dest)
    dest, gltf = gltf_copy(exports, tmp_path)
    gltf.accessors[0].componentType = 5124  # not a glTF component type
    gltf.save_binary(str(dest))
    assert "accessor 0 has componentType 5124" in fails(exports, ".glb", dest)


def test_glb_with_a_key_missing_fails(exports, tmp_path):
    dest, gltf = gltf_copy(exports, tmp_path)
    times = gltf.animations[0].samplers[0].input
    gltf.accessors[times].count -= 1
    gltf.save_binary(str(dest))
    assert "keys (the take has" in fails(exports, ".glb", dest)


def test_truncated_glb_fails(exports, tmp_path):
    dest = damaged(exports, ".glb", tmp_path)
    data = dest.read_bytes()
    dest.write_bytes(data[: len(data) - 1000])
    assert "header says" in fails(exports, ".glb", dest)


@pytest.mark.parametrize("ext", [".usda", ".usd"])
def test_truncated_usd_fails(exports, tmp_path, ext):
    if not has_usd():
        pytest.skip("needs usd-core")
    dest = damaged(exports, ext, tmp_path)
    data = dest.read_bytes()
    dest.write_bytes(data[: len(data) // 2])
    assert fails(exports, ext, dest)


def test_usda_with_the_wrong_rate_fails(exports, tmp_path):
    if not has_usd():
        pytest.skip("needs usd-core")
    dest = damaged(exports, ".usda", tmp_path)
    text = dest.read_text()
    assert "timeCodesPerSecond = 30" in text
    dest.write_text(text.replace("timeCodesPerSecond = 30", "timeCodesPerSecond = 24", 1))
    assert "timeCodesPerSecond is 24" in fails(exports, ".usda", dest)
