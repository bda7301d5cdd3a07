"""Playback keeps the audio's pace: slow frames are dropped, the clock never drifts."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from studio.qt.playback import PlaybackClock, PlaybackController


def test_clock_runs_from_its_anchor_and_freezes_when_stopped() -> None:
    clock = PlaybackClock()
    clock.anchor(2.0)
    assert clock.now() == 2.0  # not running: frozen
    clock.start()
    time.sleep(0.05)
    assert 2.04 <= clock.now() < 2.3
    clock.stop()
    frozen = clock.now()
    time.sleep(0.03)
    assert clock.now() == frozen


def test_slow_frames_are_dropped_not_delayed(qtbot, demo_audio: Path) -> None:  # noqa: ANN001
    player = PlaybackController()
    player.set_media(demo_audio, 6.5, 30.0)
    seen: list[float] = []

    def slow_frame(t: float) -> None:  # a viewport that needs 80 ms per frame
        seen.append(t)
        time.sleep(0.08)

    player.time_changed.connect(slow_frame)
    started = time.perf_counter()
    player.play()
    qtbot.wait(1000)
    player.pause()
    elapsed = time.perf_counter() - started
    # The playhead followed the wall clock (the audio's pace), not the number of frames drawn.
    assert player.time == pytest.approx(elapsed, abs=0.2)
    assert len(seen) < 20  # far fewer than 30 frames drawn in that second...
    assert player.frames_dropped > 10  # ...because the ones in between were skipped
    steps = [b - a for a, b in zip(seen, seen[1:], strict=False)]
    assert max(steps) < 0.3


def test_play_stops_at_the_end_and_restarts_from_the_start(qtbot, demo_audio: Path) -> None:  # noqa: ANN001
    player = PlaybackController()
    player.set_media(demo_audio, 0.3, 30.0)
    states: list[str] = []
    player.state_changed.connect(states.append)
    player.play()
    qtbot.waitUntil(lambda: player.state == "paused", timeout=3000)
    assert player.time == pytest.approx(0.3)
    assert states == ["playing", "paused"]
    player.play()  # at the end: from the start again
    assert player.time < 0.05
    player.stop()
    assert player.time == 0.0 and player.state == "stopped"


def test_frame_steps_and_seeks_are_clamped(qtbot) -> None:  # noqa: ANN001
    player = PlaybackController()
    player.set_media(None, 2.0, 25.0)
    player.step(3)
    assert player.time == pytest.approx(3 / 25)
    player.step(-10)
    assert player.time == 0.0
    player.seek(99)
    assert player.time == 2.0
    player.go_start()
    assert player.time == 0.0
