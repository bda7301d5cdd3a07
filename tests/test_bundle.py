"""The standalone bundle (``installer/build-bundle.sh``), run as a user would: a clean
environment with no virtual environment on PATH.

CI builds the bundle before the test suite and sets ``AFFECT_REQUIRE_BUNDLE=1``, so these
tests fail there rather than skip when the bundle is missing. ``AFFECT_BUNDLE_DIR`` points at
another bundle folder (default: ``dist/affect-studio``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from generators.audio import AudioClip
from generators.base import GenerationRequest
from generators.progress import CancelToken, NullProgress
from studio.child_command import RUN_MODULE_FLAG, module_command, run_module_if_asked
from tests.conftest import REPO_ROOT

DEMO = REPO_ROOT / "assets" / "demo" / "greeting.flac"
TRANSCRIPT = (REPO_ROOT / "assets" / "demo" / "greeting.txt").read_text().strip()


# ------------------------------------------------------------- helper processes, unfrozen


def test_module_command_runs_python_m_when_installed():
    assert module_command("studio.analysis_process", "5") == [
        sys.executable, "-m", "studio.analysis_process", "5"]


def test_module_command_uses_the_executable_when_frozen(monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/affect-studio/affect-studio")
    assert module_command("studio.analysis_process", "5") == [
        "/opt/affect-studio/affect-studio", RUN_MODULE_FLAG, "studio.analysis_process", "5"]


def test_only_studio_helpers_can_be_started():
    with pytest.raises(ValueError, match="not a studio helper"):
        module_command("os")
    with pytest.raises(SystemExit) as stop:
        run_module_if_asked(["affect-studio", RUN_MODULE_FLAG, "http.server"])
    assert "http.server is not a studio helper module" in str(stop.value.code)
    run_module_if_asked(["affect-studio", "render"])  # anything else: returns, nothing run


# ------------------------------------------------------------------------- the bundle


@pytest.fixture(scope="module")
def bundle() -> Path:
    folder = Path(os.environ.get("AFFECT_BUNDLE_DIR", REPO_ROOT / "dist" / "affect-studio"))
    exe = folder / "affect-studio"
    if not exe.is_file():
        message = f"no bundle at {folder}: build it with bash installer/build-bundle.sh"
        if os.environ.get("AFFECT_REQUIRE_BUNDLE") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return exe


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """What a user's shell would give: no virtual environment, no Python variables."""
    home.mkdir(parents=True, exist_ok=True)
    return {"HOME": str(home), "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
            **extra}


def run_bundle(exe: Path, args: list[str], tmp_path: Path,
               timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=timeout,
                          env=clean_env(tmp_path / "home"), cwd=tmp_path, check=False)


def test_bundle_reports_the_package_version(bundle, tmp_path):
    result = run_bundle(bundle, ["--version"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"affect-studio {version('affect-studio')}"


def test_bundle_holds_no_optional_stack(bundle):
    internal = bundle.parent / "_internal"
    for heavy in ("torch", "diffusers", "ray", "pxr", "pytest"):
        assert not (internal / heavy).exists(), heavy


def test_bundle_self_test_passes_in_a_clean_environment(bundle, tmp_path):
    result = run_bundle(bundle, ["--self-test"], tmp_path, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "self-test passed" in result.stdout


def test_bundle_renders_without_a_transcript(bundle, tmp_path):
    """Phone recognition (the bundle leaves out the word language model) and audio decoding."""
    result = run_bundle(bundle, ["render", str(DEMO), "--prompt", "nervous but hopeful",
                                 "-o", "line.json", "-o", "line.rhubarb.json"], tmp_path)
    assert result.returncode == 0, result.stderr
    import json

    cues = json.loads((tmp_path / "line.rhubarb.json").read_text())["mouthCues"]
    assert len({cue["value"] for cue in cues}) >= 5  # the mouth really moves


def test_bundle_says_which_extra_a_usd_export_needs(bundle, tmp_path):
    result = run_bundle(bundle, ["render", str(DEMO), "-o", "line.usda"], tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "usd" in lines[0].lower()
    assert not (tmp_path / "line.usda").exists()


def test_bundle_batch_runs_its_process_pool(bundle, tmp_path):
    """The pool's children re-enter the frozen executable."""
    folder = tmp_path / "lines"
    folder.mkdir()
    for name in ("one", "two", "three"):
        shutil.copy(DEMO, folder / f"{name}.flac")
    (folder / "one.txt").write_text(TRANSCRIPT)
    result = run_bundle(bundle, ["batch", str(folder), "--out", "out", "--jobs", "2"], tmp_path,
                        timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("one", "two", "three"):
        assert (tmp_path / "out" / f"{name}.json").stat().st_size > 1000
        assert (tmp_path / "out" / f"{name}.rhubarb.json").is_file()


def test_bundle_runs_the_studio_analysis_helper(bundle, monkeypatch):
    """The studio's analysis helper process, started as the frozen studio starts it."""
    from studio.analysis_process import AnalysisProcess

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(bundle))
    request = GenerationRequest(audio=AudioClip.load(DEMO), transcript=TRANSCRIPT)
    helper = AnalysisProcess()
    try:
        analysis = helper.analyse("rig", request, NullProgress(), CancelToken())
    finally:
        helper.close()
    from generators.base import create_generator

    local = create_generator("rig").analyse(request, progress=NullProgress())
    phones = [(p.phone, round(p.start, 3)) for p in analysis.speech.phonemes]
    assert len(phones) > 40
    assert phones == [(p.phone, round(p.start, 3)) for p in local.speech.phonemes]
