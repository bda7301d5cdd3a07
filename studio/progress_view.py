"""Progress sinks for the terminal: a redrawn bar, JSON lines, or nothing."""

from __future__ import annotations

import json
import sys
import time
from typing import TextIO


class TerminalProgressBar:
    """Draws ``[#####.....]  42%  message`` on one line of a terminal (stderr by default)."""

    def __init__(self, stream: TextIO | None = None, width: int = 30) -> None:
        self._stream = stream or sys.stderr
        self._width = width
        self._last_draw = 0.0
        self._last_fraction = -1.0

    def report(self, fraction: float, message: str) -> None:
        """Redraw the bar (at most ~20 times a second, always at 0 and 1)."""
        f = min(max(fraction, 0.0), 1.0)
        now = time.monotonic()
        if f not in (0.0, 1.0) and now - self._last_draw < 0.05 and f - self._last_fraction < 0.1:
            return
        self._last_draw, self._last_fraction = now, f
        filled = int(round(f * self._width))
        bar = "#" * filled + "." * (self._width - filled)
        self._stream.write(f"\r[{bar}] {f * 100:5.1f}%  {message[:60]:<60}")
        self._stream.flush()

    def close(self) -> None:
        """End the bar's line."""
        if self._last_fraction >= 0:
            self._stream.write("\n")
            self._stream.flush()


class JsonLinesProgress:
    """Writes one JSON object per progress event: ``{"event": "progress", ...}``."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr

    def report(self, fraction: float, message: str) -> None:
        """Write one event line."""
        event = {"event": "progress", "fraction": round(min(max(fraction, 0.0), 1.0), 4),
                 "message": message}
        self._stream.write(json.dumps(event) + "\n")
        self._stream.flush()

    def close(self) -> None:
        """Nothing to finish."""
