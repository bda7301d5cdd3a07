"""Drive the real studio window with its ``QOpenGLWidget`` viewport and report what it drew.

Run under an X server with window OpenGL (``test_gl_viewport_xvfb.py`` runs it under Xvfb
through :func:`xvfb.run_under_xvfb`)::

    QT_QPA_PLATFORM=xcb DISPLAY=:N python tests/studio/qt/gl_window_probe.py OUT/report.json

The probe opens :class:`~studio.qt.main_window.MainWindow`, loads the demo voice line and its
transcript, waits for the take, seeks to 1.3 s and grabs the viewport's framebuffer
(``frame_a.png``); then types a strong emotion prompt into the emotion panel and moves the
"Upper face" slider to its maximum through the real widgets, and grabs again
(``frame_b.png``). The whole window goes to ``screenshot.png``. Everything measured goes to
the JSON report named on the command line, written even when a step fails; the exit status
is 0 only when every step worked (otherwise the reason is on stderr).

This file is a script, not a test module (pytest imports it only to look for doctests).
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[3]
DEMO_AUDIO = REPO_ROOT / "assets" / "demo" / "greeting.flac"
DEMO_TRANSCRIPT = REPO_ROOT / "assets" / "demo" / "greeting.txt"
WINDOW_SIZE = (1280, 800)
SEEK_S = 1.3
PROMPT = "furious"
UPPER_FACE = 2.0
"""The "Upper face" slider's maximum (``generators.controls.CONTROL_RANGE``)."""
TAKE_TIMEOUT_S = 60.0
STEP_TIMEOUT_S = 15.0
CHANGE_THRESHOLD = 8
"""A pixel counts as changed between two frames when a channel differs by more than this."""
BACKGROUND_THRESHOLD = 12
"""A pixel counts as drawn (not backdrop) when it differs from its row's backdrop by more."""


class ProbeError(RuntimeError):
    """A step of the probe did not work (the message says which)."""


def skin_mask(rgb: np.ndarray) -> np.ndarray:
    """Pixels of a warm skin tone (the backdrop is neutral grey, so it never matches).

    Parameters
    ----------
    rgb
        ``(H, W, 3)`` 8-bit image.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` booleans.

    Examples
    --------
    >>> skin_mask(np.array([[[200, 150, 120], [100, 102, 106]]], np.uint8)).tolist()
    [[True, False]]
    """
    r, g, b = (rgb[..., i].astype(np.int16) for i in range(3))
    return (r > 70) & (r >= g) & (g >= b - 5) & (r - b > 25)


def foreground_mask(rgb: np.ndarray) -> np.ndarray:
    """Pixels that differ from the backdrop, a vertical gradient estimated per row.

    The backdrop colour of each row is the median of the leftmost and rightmost 16 columns,
    which the framed head never reaches.

    Parameters
    ----------
    rgb
        ``(H, W, 3)`` 8-bit image.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` booleans.
    """
    edge = min(16, rgb.shape[1] // 4)
    border = np.concatenate([rgb[:, :edge], rgb[:, -edge:]], axis=1).astype(np.int16)
    backdrop = np.median(border, axis=1)[:, None, :]
    return np.abs(rgb.astype(np.int16) - backdrop).max(axis=2) > BACKGROUND_THRESHOLD


def centre_box(shape: tuple[int, ...]) -> tuple[slice, slice]:
    """The middle half of an image in each direction (where the framed face is).

    Examples
    --------
    >>> centre_box((100, 200, 3))
    (slice(25, 75, None), slice(50, 150, None))
    """
    h, w = shape[:2]
    return slice(h // 4, h - h // 4), slice(w // 4, w - w // 4)


def image_to_rgb(image: Any) -> np.ndarray:
    """A ``QImage`` as an ``(H, W, 3)`` 8-bit RGB array (a copy)."""
    from PySide6.QtGui import QImage

    img = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = img.width(), img.height(), img.bytesPerLine()
    rows = np.frombuffer(img.constBits(), np.uint8, count=stride * h).reshape(h, stride)
    return rows[:, : 3 * w].reshape(h, w, 3).copy()


def frame_stats(rgb: np.ndarray) -> dict[str, Any]:
    """Size, drawn and skin-tone pixel counts of one viewport frame."""
    rows, cols = centre_box(rgb.shape)
    fg = foreground_mask(rgb)
    skin = skin_mask(rgb)
    return {
        "width": int(rgb.shape[1]),
        "height": int(rgb.shape[0]),
        "face_pixels": int(skin[rows, cols].sum()),
        "skin_pixels": int(skin.sum()),
        "foreground_pixels": int(fg.sum()),
        "centre_pixels": int(fg[rows, cols].size),
    }


def diff_stats(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """How much two frames of the same size differ, and where."""
    if a.shape != b.shape:
        raise ProbeError(f"frames A {a.shape} and B {b.shape} differ in size")
    delta = np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2)
    changed = delta > CHANGE_THRESHOLD
    ys, xs = np.nonzero(changed)
    fg = foreground_mask(a) | foreground_mask(b)
    return {
        "changed_pixels": int(changed.sum()),
        "changed_in_foreground": int((changed & fg).sum()),
        "changed_box": ([int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]
                        if xs.size else None),
        "mean_abs_diff": float(np.abs(a.astype(np.float64) - b.astype(np.float64)).mean()),
    }


def wait_until(condition: Callable[[], bool], timeout: float, what: str,
               failure: Callable[[], str | None] = lambda: None) -> float:
    """Process events until ``condition()`` holds; return the seconds it took.

    Raises
    ------
    ProbeError
        When ``timeout`` passes first, or ``failure()`` returns a reason to stop.
    """
    from PySide6.QtTest import QTest

    started = time.monotonic()
    while not condition():
        reason = failure()
        if reason:
            raise ProbeError(f"{what}: {reason}")
        if time.monotonic() - started > timeout:
            raise ProbeError(f"{what}: not done after {timeout:g} s")
        QTest.qWait(20)
    return time.monotonic() - started


def run_probe(out_dir: Path, report: dict[str, Any]) -> None:
    """Every step of the probe; fills ``report`` as it goes (see the module docstring)."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from studio.qt.app import create_application
    from studio.qt.main_window import MainWindow

    started = time.monotonic()
    app = create_application()
    report["platform"] = app.platformName()
    window = MainWindow(check_recovery=False)
    frames: list[float] = []
    first_viewport = window.viewport  # replaced by the image viewport when GL fails
    try:
        window.viewport.frame_drawn.connect(frames.append)
        window.resize(*WINDOW_SIZE)
        window.show()
        if not QTest.qWaitForWindowExposed(window, 10_000):
            raise ProbeError("the window was not exposed within 10 s")
        # The window swaps in the image viewport one event-loop turn after showing when the
        # GL context fails, so wait for a drawn frame before looking at the viewport.
        report["kind"] = window.viewport.kind
        wait_until(lambda: bool(frames), STEP_TIMEOUT_S,
                   f"first frame of the {window.viewport.kind!r} viewport (a GL context that "
                   "Qt cannot create leaves it blank)")
        QTest.qWait(50)
        report["kind"] = window.viewport.kind
        try:
            report["error"] = getattr(first_viewport, "error", None)
        except RuntimeError as exc:  # the replaced viewport's C++ side is gone
            report["error"] = f"(unreadable: {exc})"
        report["status_message"] = window.statusBar().currentMessage()
        report["first_frame_s"] = round(time.monotonic() - started, 3)
        if report["kind"] != "gl" or report["error"]:
            raise ProbeError(f"expected the GL viewport, got {report['kind']!r} "
                             f"(error: {report['error']})")

        def failed() -> str | None:
            return window.last_error

        window.load_audio(DEMO_AUDIO)
        window.edit_transcript(DEMO_TRANSCRIPT.read_text(encoding="utf-8"))
        report["take_s"] = round(wait_until(lambda: window.session.take is not None,
                                            TAKE_TIMEOUT_S, "analysis of the demo clip",
                                            failed), 3)
        take = window.session.take
        report["take_frames"] = int(take.curves.num_frames)
        report["viseme_method"] = str(take.visemes.method)

        window.playback.seek(SEEK_S)
        QTest.qWait(50)
        report["time_s"] = window.playback.time
        frame_a = window.viewport.grab_frame()
        if frame_a.isNull():
            raise ProbeError("grab_frame() returned a null image")
        frame_a.save(str(out_dir / "frame_a.png"))
        rgb_a = image_to_rgb(frame_a)
        report.update(frame_stats(rgb_a))
        QTest.qWait(50)  # the same pose drawn again: the noise floor of the comparison
        report["repeat_changed_pixels"] = diff_stats(
            rgb_a, image_to_rgb(window.viewport.grab_frame()))["changed_pixels"]

        # Through the real widgets: type the prompt and press Return, move the slider.
        before = window.session.take
        prompt = window.emotion_panel.prompt
        prompt.clear()
        QTest.keyClicks(prompt, PROMPT)
        QTest.keyClick(prompt, Qt.Key.Key_Return)
        slider = window.controls_panel.slider("upper_face")
        slider.setValue(slider.maximum())
        wait_until(lambda: window.session.take is not before
                   and window.session.controls.upper_face == UPPER_FACE
                   and any(s.prompt == PROMPT for s in window.session.emotion.segments),
                   STEP_TIMEOUT_S, "re-mapping after the prompt and slider edits", failed)
        QTest.qWait(50)
        report["prompts"] = [s.prompt for s in window.session.emotion.segments]
        report["upper_face"] = window.session.controls.upper_face
        report["undo_steps"] = window.undo_stack.count()
        if abs(window.playback.time - SEEK_S) > 1e-6:
            raise ProbeError(f"the playhead moved to {window.playback.time} during the edits")

        frame_b = window.viewport.grab_frame()
        frame_b.save(str(out_dir / "frame_b.png"))
        rgb_b = image_to_rgb(frame_b)
        report["b"] = frame_stats(rgb_b)
        report.update(diff_stats(rgb_a, rgb_b))

        shot = window.grab()
        shot.save(str(out_dir / "screenshot.png"))
        report["screenshot_size"] = [shot.width(), shot.height()]
        report["frames_drawn"] = len(frames)
        report["last_frame_ms"] = round(window.last_frame_ms, 3)
    finally:
        window.shutdown()
        window.hide()
        window.deleteLater()
        QTest.qWait(50)
        app.quit()


def main(argv: list[str]) -> int:
    """Run the probe; write the report to ``argv[1]``; return the exit status."""
    if len(argv) != 2:
        print(f"usage: {argv[0]} REPORT.json", file=sys.stderr)
        return 2
    report_path = Path(argv[1]).resolve()
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"kind": None, "error": None, "failure": None}
    code = 0
    try:
        run_probe(report_path.parent, report)
    except Exception as exc:  # noqa: BLE001 - every failure goes to the report and stderr
        report["failure"] = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
        print(f"gl_window_probe: FAILED: {report['failure']}", file=sys.stderr)
        code = 1
    report_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
