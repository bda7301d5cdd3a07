"""The real studio window with its ``QOpenGLWidget`` viewport, on a private Xvfb server.

The in-process Qt tests use the ``offscreen`` platform and so the image viewport; here
``gl_window_probe.py`` runs in a subprocess on the ``xcb`` platform of an Xvfb display, drives
the window (demo clip, transcript, seek, a typed emotion prompt, a slider) and saves what the
GL viewport drew. The PNGs are read back with Pillow and checked independently of the
probe's own numbers.

The window screenshot is always copied to ``.cache/screenshots/studio-window.png`` (git
ignored; CI keeps it for review) and, with ``AFFECT_SAVE_SCREENSHOTS=1``, to
``docs/screenshots/studio-window.png``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from . import xvfb
from .gl_window_probe import SEEK_S, WINDOW_SIZE, centre_box, foreground_mask, skin_mask
from .xvfb import REPO_ROOT, run_under_xvfb

PROBE = Path(__file__).with_name("gl_window_probe.py")
PROBE_TIMEOUT_S = 180
SCREENSHOT_NAME = "studio-window.png"
CACHE_SCREENSHOT = REPO_ROOT / ".cache" / "screenshots" / SCREENSHOT_NAME
DOCS_SCREENSHOT = REPO_ROOT / "docs" / "screenshots" / SCREENSHOT_NAME
SAVE_SCREENSHOTS_ENV = "AFFECT_SAVE_SCREENSHOTS"

# Thresholds, from frames measured on Mesa llvmpipe under Xvfb (668x476 viewport in a
# 1280x800 window): the skin covers ~73 % of the centre box and ~29 % of the frame; the
# prompt + slider edit changes ~1.9 % of the pixels, all inside the face; drawing the same
# pose twice changes none.
MIN_CENTRE_SKIN = 0.35
"""Least fraction of the frame's centre box (middle half each way) that is skin."""
MIN_FRAME_SKIN = 0.10
MIN_CHANGED = 0.005
"""Least fraction of the frame's pixels the prompt and slider edit must change."""
MIN_CHANGED_IN_FACE = 0.9
"""Least fraction of the changed pixels that must lie in the face's bounding box."""
MAX_REPEAT_CHANGED = 0.0005
"""Most pixels (fraction) that may differ between two draws of the same pose."""
CHANGE_THRESHOLD = 8
"""A pixel counts as changed when a channel differs by more than this."""


def _rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def _changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2) > CHANGE_THRESHOLD


def _box(mask: np.ndarray, margin: float = 0.0) -> tuple[int, int, int, int]:
    """Bounding box ``(x0, y0, x1, y1)`` of ``mask``, grown by ``margin`` of its size."""
    ys, xs = np.nonzero(mask)
    assert xs.size, "empty mask"
    x0, y0, x1, y1 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
    dx, dy = round((x1 - x0) * margin), round((y1 - y0) * margin)
    h, w = mask.shape
    return max(0, x0 - dx), max(0, y0 - dy), min(w, x1 + dx), min(h, y1 + dy)


def _keep_screenshot(source: Path) -> None:
    """Copy the window screenshot where CI (and, when asked, the docs) keep it."""
    targets = [CACHE_SCREENSHOT]
    if os.environ.get(SAVE_SCREENSHOTS_ENV) == "1":
        targets.append(DOCS_SCREENSHOT)
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


@pytest.fixture(scope="module")
def probe(xvfb_display: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run the probe once; its report, plus ``out`` (the folder with its PNGs)."""
    out = tmp_path_factory.mktemp("gl-window-probe")
    report_path = out / "report.json"
    try:
        result = run_under_xvfb(xvfb_display, PROBE, str(report_path), timeout=PROBE_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the GL window probe did not finish in {PROBE_TIMEOUT_S} s; "
                    f"stderr:\n{exc.stderr}", pytrace=False)
    if (out / "screenshot.png").is_file():
        _keep_screenshot(out / "screenshot.png")
    report = json.loads(report_path.read_text()) if report_path.is_file() else {}
    if result.returncode != 0 or report.get("failure"):
        pytest.fail(f"the GL window probe failed (exit status {result.returncode}): "
                    f"{report.get('failure')}\nstderr:\n{result.stderr[-4000:]}",
                    pytrace=False)
    return {**report, "out": out}


# ---------------------------------------------------------------------- the Xvfb helper


def test_missing_xvfb_fails_and_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xvfb.shutil, "which", lambda _name: None)
    monkeypatch.setattr(xvfb.os, "access", lambda _path, _mode: False)
    with pytest.raises(pytest.fail.Exception, match=r"apt package `xvfb`"):
        xvfb.xvfb_binary()


def test_run_under_xvfb_uses_xcb_on_the_display(xvfb_display: str) -> None:
    code = ("import os, json; print(json.dumps({k: os.environ.get(k) for k in "
            "('QT_QPA_PLATFORM', 'DISPLAY', 'XDG_CONFIG_HOME', 'QT_LOGGING_RULES')}), "
            "os.getcwd())")
    result = run_under_xvfb(xvfb_display, code)
    assert result.returncode == 0, result.stderr
    env_json, cwd = result.stdout.strip().rsplit(" ", 1)
    env = json.loads(env_json)
    assert env["QT_QPA_PLATFORM"] == "xcb"
    assert env["DISPLAY"] == xvfb_display
    assert env["QT_LOGGING_RULES"] == "qt.multimedia*=false"
    assert env["XDG_CONFIG_HOME"] != os.environ.get("XDG_CONFIG_HOME")
    assert Path(cwd) == REPO_ROOT


# ---------------------------------------------------------------------- the GL window


def test_window_uses_the_gl_viewport(probe: dict[str, Any]) -> None:
    assert probe["platform"] == "xcb"
    assert probe["kind"] == "gl"
    assert probe["error"] is None
    assert probe["take_frames"] > 0
    assert probe["time_s"] == pytest.approx(SEEK_S)


def test_viewport_draws_the_face(probe: dict[str, Any]) -> None:
    a = _rgb(probe["out"] / "frame_a.png")
    h, w = a.shape[:2]
    assert (w, h) == (probe["width"], probe["height"])
    assert w >= 400 and h >= 300, "the viewport should take most of a 1280x800 window"
    skin = skin_mask(a)
    rows, cols = centre_box(a.shape)
    centre_skin = skin[rows, cols].mean()
    assert centre_skin >= MIN_CENTRE_SKIN, f"skin covers {centre_skin:.1%} of the centre"
    assert skin.mean() >= MIN_FRAME_SKIN, f"skin covers {skin.mean():.1%} of the frame"
    # The face is framed in the middle, and the backdrop (a neutral grey gradient, lighter at
    # the top) shows round it: not a black or garbage buffer.
    x0, y0, x1, y1 = _box(skin)
    assert x0 > 0.1 * w and x1 < 0.9 * w
    assert abs((x0 + x1) / 2 - w / 2) < 0.1 * w
    corners = np.stack([a[2, 2], a[2, -3], a[-3, 2], a[-3, -3]]).astype(int)
    assert (corners.max(axis=1) - corners.min(axis=1) < 16).all(), corners
    assert corners[:2].mean() > corners[2:].mean() + 20, corners
    assert 30 < corners.mean() < 160, corners
    assert not foreground_mask(a)[:, :4].any(), "something drawn over the left edge"


def test_prompt_and_slider_change_the_face(probe: dict[str, Any]) -> None:
    assert probe["prompts"] == ["furious"]
    assert probe["upper_face"] == 2.0
    a = _rgb(probe["out"] / "frame_a.png")
    b = _rgb(probe["out"] / "frame_b.png")
    assert a.shape == b.shape
    changed = _changed(a, b)
    fraction = changed.mean()
    assert fraction > MIN_CHANGED, f"only {fraction:.2%} of the pixels changed"
    x0, y0, x1, y1 = _box(skin_mask(a) | skin_mask(b), margin=0.05)
    in_face = changed[y0:y1, x0:x1].sum() / changed.sum()
    assert in_face >= MIN_CHANGED_IN_FACE, f"{in_face:.1%} of the changes are in the face"
    # The upper face (brows, eyes) must change, not only the mouth: the slider is upper face.
    ys, _xs = np.nonzero(changed)
    face_mid = y0 + (y1 - y0) // 2
    assert (ys < face_mid).mean() > 0.2, "no change above the middle of the face"
    repeat = probe["repeat_changed_pixels"] / a[..., 0].size
    assert repeat <= MAX_REPEAT_CHANGED, f"{repeat:.3%} differ between two draws of one pose"


def test_window_screenshot_shows_the_gl_viewport(probe: dict[str, Any]) -> None:
    shot = _rgb(probe["out"] / "screenshot.png")
    assert shot.shape[1::-1] == WINDOW_SIZE
    # QWidget.grab() must include the QOpenGLWidget's content: the face is in the screenshot.
    assert skin_mask(shot).sum() >= 0.8 * skin_mask(_rgb(probe["out"] / "frame_b.png")).sum()
    assert CACHE_SCREENSHOT.is_file()
    assert np.array_equal(_rgb(CACHE_SCREENSHOT), shot)
