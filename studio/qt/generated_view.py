"""The generated-frames view: the talking-head frames beside the rig viewport.

The view keeps the frames of one generation run (RGB ``uint8`` arrays, indexed by video
frame ``i`` at time ``i / fps``) and follows the playhead: it shows the frame for the current
time when that frame exists, otherwise the last frame received (captioned "not generated
yet"), or a placeholder text before any frame arrived. Frames made for an older take are
kept but marked stale with a banner across the picture. A long run's frames live in a
memory-mapped file (:class:`~studio.frame_store.FrameStore`), not in memory.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from studio.frame_store import FrameStore

__all__ = ["PLACEHOLDER", "GeneratedFramesView", "frame_image"]

PLACEHOLDER = "Not generated yet: press Generate frames in the Generator panel"
"""What the view says before the first frame arrives."""

_BACKGROUND = QColor(24, 24, 28)
_TEXT = QColor(200, 200, 205)
_STALE = QColor(176, 96, 0, 220)


def frame_image(frame: np.ndarray) -> QImage:
    """A deep-copied :class:`QImage` of an RGB ``uint8`` frame of shape ``(H, W, 3)``.

    Examples
    --------
    >>> image = frame_image(np.zeros((4, 6, 3), np.uint8))
    >>> (image.width(), image.height())
    (6, 4)
    """
    pixels = np.ascontiguousarray(frame[..., :3], dtype=np.uint8)
    h, w = pixels.shape[:2]
    return QImage(pixels.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class GeneratedFramesView(QWidget):
    """Shows the generated frame at the playhead.

    Signals
    -------
    frame_added(int)
        The index of a frame that has just arrived.
    """

    frame_added = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._frames = FrameStore(0)
        self._fps = 30.0
        self._time = 0.0
        self._last: int | None = None
        self._shown: int | None = None
        self._image: QImage | None = None
        self._shown_key: tuple[int, int | None] | None = None  # (run, index) on show
        self._stale = False
        self._stale_reason = ""
        self.setMinimumSize(160, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.setToolTip("The talking-head frames; they follow the playhead")

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """As wide as tall: the frames are square."""
        return QSize(420, 420)

    # -- state -----------------------------------------------------------------------------

    @property
    def frames(self) -> FrameStore:
        """The frames received, by video frame index (a read-only mapping)."""
        return self._frames

    @property
    def frame_count(self) -> int:
        """How many frames have arrived."""
        return len(self._frames)

    @property
    def expected(self) -> int:
        """How many frames the run makes (0 before any run)."""
        return self._frames.expected

    @property
    def complete(self) -> bool:
        """Whether every frame of the run has arrived."""
        return self.expected > 0 and len(self._frames) == self.expected

    @property
    def fps(self) -> float:
        """Frames per second of the frames."""
        return self._fps

    @property
    def shown_index(self) -> int | None:
        """The index of the frame on show (``None``: the placeholder)."""
        return self._shown

    @property
    def stale(self) -> bool:
        """Whether the frames belong to an older take or other settings."""
        return self._stale

    def caption(self) -> str:
        """The line drawn under the picture (which frame, how many, whether it is missing)."""
        if self._shown is None:
            return ""
        want = self._index_at(self._time)
        count = f"{len(self._frames)}/{self.expected} generated"
        if want != self._shown:
            return f"frame {want} not generated yet (showing {self._shown}) · {count}"
        return f"frame {self._shown} · {count}"

    # -- changes ---------------------------------------------------------------------------

    def reset(self, expected: int, fps: float) -> None:
        """Drop every frame and wait for ``expected`` new ones at ``fps``."""
        self._frames.close()
        self._frames = FrameStore(expected)
        self._fps = float(fps) if fps > 0 else 30.0
        self._last = None
        self._stale = False
        self._stale_reason = ""
        self._show()

    def add_frame(self, index: int, frame: np.ndarray) -> None:
        """Keep ``frame`` as video frame ``index`` and show it if the playhead is there (or
        nothing better is on show)."""
        self._frames.add(int(index), frame)
        if self._shown_key is not None and self._shown_key[1] == int(index):
            self._shown_key = None  # the frame on show was drawn again
        self._last = int(index)
        self._show()
        self.frame_added.emit(int(index))

    def set_time(self, t: float) -> None:
        """Follow the playhead to time ``t`` (seconds)."""
        self._time = max(0.0, float(t))
        self._show()

    def set_stale(self, stale: bool, reason: str = "") -> None:
        """Mark the frames as made for an older take (a banner says ``reason``)."""
        stale = bool(stale) and bool(self._frames)
        if stale == self._stale and reason == self._stale_reason:
            return
        self._stale = stale
        self._stale_reason = reason if stale else ""
        self.setToolTip(f"Out of date: {reason}; generate the frames again" if stale
                        else "The talking-head frames; they follow the playhead")
        self.update()

    # -- drawing ---------------------------------------------------------------------------

    def _index_at(self, t: float) -> int:
        return round(t * self._fps)

    def _show(self) -> None:
        want = self._index_at(self._time)
        index = want if want in self._frames else self._last
        key = (id(self._frames), index)
        if key != self._shown_key:  # (a frame read back from disk is a new view each time)
            frame = self._frames.get(index) if index is not None else None
            self._shown_key = key
            self._image = frame_image(frame) if frame is not None else None
        self._shown = index
        self.update()  # the caption follows the playhead too

    def _elided(self, text: str, width: int) -> str:
        return self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, max(0, width))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), _BACKGROUND)
        area = self.rect().adjusted(4, 4, -4, -24)
        if self._image is None:
            painter.setPen(_TEXT)
            painter.drawText(self.rect().adjusted(16, 16, -16, -16),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, PLACEHOLDER)
        else:
            side = max(1, min(area.width(), area.height()))
            w = max(1, round(side * self._image.width() / max(self._image.height(),
                                                                 self._image.width())))
            h = max(1, round(side * self._image.height() / max(self._image.height(),
                                                                  self._image.width())))
            target = QRect(area.x() + (area.width() - w) // 2,
                           area.y() + (area.height() - h) // 2, w, h)
            painter.drawImage(target, self._image)
            painter.setPen(_TEXT)
            line = self.rect().adjusted(8, 0, -8, -4)
            painter.drawText(line, Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignHCenter,
                             self._elided(self.caption(), line.width()))
        if self._stale:
            banner = QRect(0, 0, self.width(), 28)
            painter.fillRect(banner, _STALE)
            painter.setPen(Qt.GlobalColor.white)
            text = f"Out of date: {self._stale_reason or 'the take changed'}"
            painter.drawText(banner.adjusted(8, 0, -8, 0), Qt.AlignmentFlag.AlignCenter,
                             self._elided(text, banner.width() - 16))
        painter.end()
