"""Playback: audio through QtMultimedia and a clock the viewport follows.

The clock runs on a monotonic timer anchored to the audio player's position, so the picture
keeps the audio's pace: each tick shows the frame for *now* (frames are dropped when drawing
is slow, never delayed), and the clock is pulled back onto the audio whenever the player's
reported position drifts from it. Without an audio device the clock runs alone and the
clip plays silently.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, QUrl, Signal
from PySide6.QtMultimedia import QAudioOutput, QMediaDevices, QMediaPlayer

TICK_MS = 15
RESYNC_S = 0.12
"""Re-anchor the clock when it and the audio differ by more than this."""


class PlaybackClock:
    """Media time from a monotonic clock, re-anchorable to an external position."""

    def __init__(self) -> None:
        self._anchor_media = 0.0
        self._anchor_wall = time.perf_counter()
        self.running = False

    def now(self) -> float:
        """Current media time in seconds."""
        if not self.running:
            return self._anchor_media
        return self._anchor_media + (time.perf_counter() - self._anchor_wall)

    def anchor(self, media_time: float) -> None:
        """Make ``media_time`` the time now."""
        self._anchor_media = float(media_time)
        self._anchor_wall = time.perf_counter()

    def start(self) -> None:
        """Run from the current media time."""
        self.anchor(self.now())
        self.running = True

    def stop(self) -> None:
        """Freeze at the current media time."""
        self.anchor(self.now())
        self.running = False


class PlaybackController(QObject):
    """Play/pause/stop/seek/step over a clip of known duration and frame rate.

    Signals
    -------
    time_changed(float)
        The playhead moved (seconds).
    state_changed(str)
        ``"playing"``, ``"paused"`` or ``"stopped"``.
    audio_message(str)
        A problem with audio output (playback goes on silently).
    """

    time_changed = Signal(float)
    state_changed = Signal(str)
    audio_message = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._clock = PlaybackClock()
        self._duration = 0.0
        self._fps = 30.0
        self._state = "stopped"
        self._time = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._player = QMediaPlayer(self)
        self._output = QAudioOutput(self)
        self._player.setAudioOutput(self._output)
        self._player.positionChanged.connect(self._on_audio_position)
        self._player.errorOccurred.connect(self._on_audio_error)
        self._has_device = not QMediaDevices.defaultAudioOutput().isNull()
        self.frames_shown = 0
        self.frames_dropped = 0

    # -- properties ------------------------------------------------------------------------

    @property
    def time(self) -> float:
        """The playhead in seconds."""
        return self._time

    @property
    def duration(self) -> float:
        """Clip length in seconds."""
        return self._duration

    @property
    def state(self) -> str:
        """``"playing"``, ``"paused"`` or ``"stopped"``."""
        return self._state

    @property
    def has_audio_device(self) -> bool:
        """Whether an audio output device was found."""
        return self._has_device

    # -- set-up ----------------------------------------------------------------------------

    def set_media(self, path: str | Path | None, duration: float, fps: float) -> None:
        """Use a new clip (stops playback and rewinds)."""
        self.stop()
        self._duration = max(0.0, float(duration))
        self._fps = float(fps) if fps > 0 else 30.0
        self._player.setSource(QUrl.fromLocalFile(str(path)) if path else QUrl())
        self.seek(0.0)

    def set_fps(self, fps: float) -> None:
        """Frame rate used by frame steps."""
        if fps > 0:
            self._fps = float(fps)

    def set_volume(self, volume: float) -> None:
        """Audio volume 0..1."""
        self._output.setVolume(max(0.0, min(1.0, float(volume))))

    # -- transport -------------------------------------------------------------------------

    def play(self) -> None:
        """Start or resume (from the start when at the end)."""
        if self._duration <= 0:
            return
        if self._time >= self._duration - 1e-3:
            self.seek(0.0)
        self._clock.anchor(self._time)
        self._clock.start()
        self._player.setPosition(int(round(self._time * 1000)))
        self._player.play()
        self._timer.start()
        self._set_state("playing")

    def pause(self) -> None:
        """Pause at the current time."""
        if self._state != "playing":
            return
        self._clock.stop()
        self._timer.stop()
        self._player.pause()
        self._time = min(self._clock.now(), self._duration)
        self._set_state("paused")
        self.time_changed.emit(self._time)

    def toggle(self) -> None:
        """Play when paused or stopped, pause when playing."""
        if self._state == "playing":
            self.pause()
        else:
            self.play()

    def stop(self) -> None:
        """Stop and rewind to the start."""
        self._timer.stop()
        self._clock.stop()
        self._player.stop()
        self._set_state("stopped")
        self.seek(0.0)

    def seek(self, t: float) -> None:
        """Move the playhead to ``t`` seconds (clamped to the clip)."""
        t = max(0.0, min(float(t), self._duration))
        self._time = t
        self._clock.anchor(t)
        if self._player.source().isValid():
            self._player.setPosition(int(round(t * 1000)))
        self.time_changed.emit(t)

    def step(self, frames: int) -> None:
        """Pause and move by whole frames (negative: back)."""
        if self._state == "playing":
            self.pause()
        frame = round(self._time * self._fps) + int(frames)
        self.seek(frame / self._fps)

    def go_start(self) -> None:
        """Jump to the start."""
        self.seek(0.0)

    def go_end(self) -> None:
        """Jump to the end (pausing playback)."""
        if self._state == "playing":
            self.pause()
        self.seek(self._duration)

    # -- internals -------------------------------------------------------------------------

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.state_changed.emit(state)

    def _tick(self) -> None:
        t = self._clock.now()
        if t >= self._duration:
            self._time = self._duration
            self._timer.stop()
            self._clock.stop()
            self._player.pause()
            self.time_changed.emit(self._time)
            self._set_state("paused")
            return
        previous_frame = round(self._time * self._fps)
        frame = round(t * self._fps)
        if frame - previous_frame > 1:
            self.frames_dropped += frame - previous_frame - 1
        self._time = t
        self.frames_shown += 1
        self.time_changed.emit(t)

    def _on_audio_position(self, position_ms: int) -> None:
        if self._state != "playing" or not self._has_device:
            return
        audio_t = position_ms / 1000.0
        if abs(audio_t - self._clock.now()) > RESYNC_S:
            self._clock.anchor(audio_t)

    def _on_audio_error(self, error: object, message: str) -> None:
        self.audio_message.emit(f"audio playback: {message or error} (playing silently)")
