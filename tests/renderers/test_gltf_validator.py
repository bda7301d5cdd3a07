"""The default avatar passes the Khronos glTF validator with no errors and no warnings.

``installer/test.sh`` installs the validator (npm package ``gltf-validator``) into
``.cache/gltf-validator`` and points ``AFFECT_GLTF_VALIDATOR_DIR`` at it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

SCRIPT = REPO_ROOT / "tests" / "tools" / "validate_gltf.js"


def validator_dir() -> Path:
    default = REPO_ROOT / ".cache" / "gltf-validator"
    folder = Path(os.environ.get("AFFECT_GLTF_VALIDATOR_DIR", default))
    if shutil.which("node") is None or not (folder / "node_modules" / "gltf-validator").is_dir():
        pytest.fail("the Khronos glTF validator is not installed: run installer/test.sh, which "
                    "installs Node.js and the npm package gltf-validator")
    return folder


def validate(path: Path) -> dict:
    env = {**os.environ, "NODE_PATH": str(validator_dir() / "node_modules")}
    out = subprocess.run(["node", str(SCRIPT), str(path)], capture_output=True, text=True,
                         env=env, check=True, timeout=120)
    return json.loads(out.stdout)


def test_default_avatar_is_valid_gltf():
    report = validate(REPO_ROOT / "assets" / "avatar" / "default_head.glb")
    assert report["errors"] == 0, report["messages"]
    assert report["warnings"] == 0, report["messages"]


def test_validator_catches_a_broken_file(tmp_path):
    data = bytearray((REPO_ROOT / "assets" / "avatar" / "default_head.glb").read_bytes())
    broken = tmp_path / "broken.glb"
    broken.write_bytes(bytes(data[: len(data) // 2]))  # truncated binary chunk
    assert validate(broken)["errors"] > 0
