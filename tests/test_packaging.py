"""The wheel ships the assets, and the base path stays lean (no torch, diffusers or Qt)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import REPO_ROOT


def test_wheel_ships_assets(tmp_path):
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path),
           str(REPO_ROOT)]
    try:
        import setuptools  # noqa: F401
        import wheel  # noqa: F401

        cmd.insert(4, "--no-build-isolation")
    except ImportError:
        pass
    subprocess.run(cmd, check=True, capture_output=True, cwd=tmp_path)
    wheel = next(Path(tmp_path).glob("affect_studio-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("assets/avatar/default_head.glb", "assets/presets/visemes.json",
                   "assets/presets/emotions.json", "assets/demo/greeting.flac",
                   "assets/icons/app.svg", "assets/icons/play.svg", "studio/qt/main_window.py",
                   "studio/cli.py", "generators/take.py", "renderers/avatar.py"):
        assert needed in names, needed
    assert any(n.startswith("renderers/shaders/") and n.endswith(".glsl") for n in names)
    assert not any(n.startswith("tests/") for n in names)
    entry = [n for n in names if n.endswith("entry_points.txt")]
    text = zipfile.ZipFile(wheel).read(entry[0]).decode()
    assert "affect-studio = studio.cli:main" in text


HEAVY = ("torch", "diffusers", "transformers", "PySide6", "shiboken6")


def _modules_after(code: str) -> dict:
    probe = (
        "import json, sys\n"
        f"{code}\n"
        f"print(json.dumps({{m: m in sys.modules for m in {HEAVY + ('numpy',)!r}}}))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=REPO_ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_help_imports_nothing_heavy():
    loaded = _modules_after(
        "from studio.cli import build_parser\n"
        "try:\n    build_parser().parse_args(['--help'])\nexcept SystemExit:\n    pass"
    )
    assert not any(loaded.values()), loaded  # not even numpy: --help must be instant


def test_render_path_imports_no_torch_or_qt(tmp_path):
    demo = REPO_ROOT / "assets" / "demo" / "greeting.flac"
    out = tmp_path / "take.json"
    loaded = _modules_after(
        "from studio.cli import main\n"
        f"assert main(['render', {str(demo)!r}, '-o', {str(out)!r}]) == 0"
    )
    assert out.is_file()
    assert not any(loaded[m] for m in HEAVY), loaded


def test_gui_start_imports_no_torch():
    loaded = _modules_after(
        "import os, tempfile\nos.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "os.environ['XDG_CONFIG_HOME'] = os.environ['XDG_DATA_HOME'] = tempfile.mkdtemp()\n"
        "from studio.qt.app import create_application\n"
        "from studio.qt.main_window import MainWindow\n"
        "app = create_application()\nw = MainWindow(check_recovery=False)\nw.show()\n"
        "app.processEvents()\nw.shutdown()"
    )
    assert loaded["PySide6"]
    assert not any(loaded[m] for m in ("torch", "diffusers", "transformers")), loaded


def test_qt_contract_covers_every_module_outside_studio_qt():
    import tomllib

    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    qt_only = next(c for c in contracts if c["name"] == "Qt only inside studio.qt")
    listed = set(qt_only["source_modules"])
    studio = REPO_ROOT / "studio"
    modules = {f"studio.{p.stem}" for p in studio.glob("*.py") if not p.stem.startswith("__")}
    modules |= {f"studio.{p.name}" for p in studio.iterdir() if (p / "__init__.py").exists()}
    missing = sorted(modules - listed - {"studio.qt"})
    assert not missing, f"add {missing} to the 'Qt only inside studio.qt' contract"
