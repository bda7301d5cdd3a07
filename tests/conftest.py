"""Shared test fixtures: where the evaluation data lives, small synthetic audio files."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("AFFECT_SHARED_DIR", REPO_ROOT.parent / "shared"))
EVALDATA = SHARED / "evaldata"


@pytest.fixture(scope="session")
def evaldata() -> Path:
    """The evaluation data folder (speech clips, alignments, meshes)."""
    if not EVALDATA.is_dir():
        pytest.fail(f"evaluation data not found at {EVALDATA}; set AFFECT_SHARED_DIR")
    return EVALDATA


@pytest.fixture
def facecap(evaldata: Path, tmp_path: Path) -> Path:
    """A copy of the plain facecap head (52 ARKit targets) alone in a fresh folder."""
    folder = tmp_path / "avatars"
    folder.mkdir()
    return Path(shutil.copy(evaldata / "meshes" / "facecap" / "facecap_plain.glb",
                            folder / "facecap_plain.glb"))


@pytest.fixture(scope="session")
def demo_audio() -> Path:
    """The bundled demo voice line."""
    return REPO_ROOT / "assets" / "demo" / "greeting.flac"


@pytest.fixture(scope="session")
def demo_transcript() -> str:
    """Transcript of the bundled demo voice line."""
    return (REPO_ROOT / "assets" / "demo" / "greeting.txt").read_text(encoding="utf-8").strip()


def tone(seconds: float, rate: int, channels: int = 1, freq: float = 220.0) -> np.ndarray:
    """A test tone with a little amplitude modulation, shape ``(N,)`` or ``(N, C)``."""
    t = np.arange(int(seconds * rate)) / rate
    x = 0.4 * np.sin(2 * np.pi * freq * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    x = x.astype(np.float32)
    return x if channels == 1 else np.repeat(x[:, None], channels, axis=1)


class Recorder:
    """A progress sink that remembers every event."""

    def __init__(self) -> None:
        self.events: list[tuple[float, str]] = []

    def report(self, fraction: float, message: str) -> None:
        self.events.append((fraction, message))


@contextmanager
def unwritable(folder: Path) -> Iterator[bool]:
    """``folder`` made unwritable (``chattr +i`` too, where root ignores the mode bits);
    yields whether that worked."""
    folder.chmod(0o555)
    immutable = False
    if os.access(folder, os.W_OK) and shutil.which("chattr"):
        immutable = subprocess.run(["chattr", "+i", str(folder)], capture_output=True,
                                   check=False).returncode == 0
    try:
        probe = folder / ".probe"
        try:
            probe.write_text("x")
        except OSError:
            yield True
        else:
            probe.unlink()
            yield False
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=False)
        folder.chmod(0o755)
