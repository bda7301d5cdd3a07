"""The studio timeline: waveform, playhead, viseme lane and emotion lane (pyqtgraph).

:class:`TimelineWidget` sits under the viewport. Three plots share one x axis in seconds:

* the **waveform** of the voice line, drawn as a min/max envelope of at most
  :data:`ENVELOPE_BINS` bins (numpy only, so a 600 s clip at 48 kHz draws in tens of
  milliseconds); when the view is zoomed in, a second envelope of the visible stretch is
  computed after the zoom settles, so the waveform stays sharp at every scale;
* the **viseme lane**: one coloured rectangle per viseme segment, all in a single batched item,
  with labels only on segments that are visible and wide enough (at most
  :data:`MAX_VISEME_LABELS` text items); segments corrected by hand are outlined. The lane is
  editable: dragging a boundary between two visemes nudges it (the cursor changes near one),
  and a right click opens :meth:`TimelineWidget.viseme_menu` (change, delete or insert a
  viseme, or reset the lip sync to the analysis). The widget only *requests* edits, by time,
  through its ``viseme_*`` signals; whoever owns the take applies them;
* the **emotion lane**: one bar per prompt segment, coloured from the state's valence and
  arousal, with the prompt elided to the bar's width.

A movable playhead spans the three plots. Dragging it, or clicking anywhere in a plot, emits
:attr:`TimelineWidget.seek_requested` with the time clamped to ``0..duration``;
:meth:`TimelineWidget.set_time` moves it without emitting, so a player can drive it from its
own position signal without a feedback loop. The mouse wheel zooms the time axis only and a
drag on the background pans it; the vertical ranges are fixed.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QActionGroup, QBrush, QColor, QFontMetrics
from PySide6.QtWidgets import QMenu, QVBoxLayout, QWidget

from generators.rig.visemes import VISEMES
from generators.take import EmotionState, EmotionTrack, VisemeSegment, VisemeTrack
from generators.viseme_edit import (
    VISEME_DESCRIPTIONS,
    VisemeEditError,
    edited_mask,
    move_boundary,
    nearest_boundary,
    segment_index_at,
)

__all__ = [
    "BOUNDARY_GRAB_PX",
    "EDITED_OUTLINE_COLOUR",
    "ENVELOPE_BINS",
    "MAX_EMOTION_LABELS",
    "MAX_VISEME_LABELS",
    "TimelineWidget",
    "emotion_colour",
    "minmax_envelope",
]

ENVELOPE_BINS = 4000
"""Bins of each drawn waveform envelope (two points per bin)."""

MAX_VISEME_LABELS = 400
"""Most viseme label text items the timeline ever creates."""

MAX_EMOTION_LABELS = 100
"""Most emotion prompt text items the timeline ever creates."""

BACKGROUND = "#1e1f22"
WAVEFORM_COLOUR = "#6aa6d8"
PLAYHEAD_COLOUR = "#ff8a3d"
AXIS_COLOUR = "#8b8e94"
LABEL_COLOUR = "#e4e6eb"
EDITED_OUTLINE_COLOUR = "#fff4c2"
"""Outline of viseme segments corrected by hand."""

BOUNDARY_GRAB_PX = 5.0
"""How close (in pixels) the mouse must be to a viseme boundary to drag it."""

_AXIS_WIDTH = 60
_LANE_HEIGHT = 26
_AXIS_HEIGHT = 28
_REFRESH_MS = 30
_VISEME_LABEL_MIN_PX = 20.0
_EMOTION_LABEL_MIN_PX = 24.0

_VISEME_COLOURS: dict[str, str] = {
    "sil": "#4a4d55",
    "PP": "#d9534f",
    "FF": "#e8883a",
    "TH": "#e3b341",
    "DD": "#b5c740",
    "kk": "#6cc24a",
    "CH": "#3fb68b",
    "SS": "#36b5b0",
    "nn": "#3d9ad1",
    "RR": "#5874d8",
    "aa": "#8a63d2",
    "E": "#b55fc9",
    "ih": "#d45ca6",
    "oh": "#cf6f7d",
    "ou": "#a58a6a",
}
_FALLBACK_PALETTE = (
    "#5b8def", "#e0a03a", "#4fb477", "#d45c5c", "#a36ad8", "#3fb6c4", "#c9a23f", "#d86aa6",
)  # fmt: skip


def minmax_envelope(
    samples: np.ndarray, bins: int = ENVELOPE_BINS, start: int = 0, stop: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Min/max envelope of ``samples[start:stop]`` as one connected zig-zag line.

    The slice is cut into ``bins`` nearly equal bins (integer edges, no per-sample Python
    loop); each bin contributes its minimum then its maximum, both at the bin's centre. A
    slice no longer than ``2 * bins`` samples is returned as is, one point per sample.

    Parameters
    ----------
    samples
        Mono samples, shape ``(N,)``.
    bins
        Number of bins (at least 1).
    start, stop
        Sample range; ``stop=None`` is the end. Both are clamped to ``0..N``.

    Returns
    -------
    positions : np.ndarray
        ``float64`` sample positions (divide by the sample rate for seconds).
    values : np.ndarray
        ``float32`` values, same length as ``positions`` (at most ``2 * bins``).

    Examples
    --------
    >>> pos, val = minmax_envelope(np.array([0, 3, -1, 2, 5, -4], np.float32), bins=2)
    >>> val.tolist(), pos.tolist()
    ([-1.0, 3.0, -4.0, 5.0], [1.0, 1.0, 4.0, 4.0])
    """
    n = int(samples.shape[0])
    stop = n if stop is None else min(max(int(stop), 0), n)
    start = min(max(int(start), 0), stop)
    bins = max(1, int(bins))
    length = stop - start
    if length <= 2 * bins:
        values = np.asarray(samples[start:stop], dtype=np.float32)
        return np.arange(start, stop, dtype=np.float64), values
    chunk = samples[start:stop]
    edges = (np.arange(bins, dtype=np.int64) * length) // bins  # strictly increasing
    lows = np.minimum.reduceat(chunk, edges)
    highs = np.maximum.reduceat(chunk, edges)
    ends = np.append(edges[1:], length)
    centres = start + (edges + ends - 1) * 0.5
    values = np.empty(2 * bins, dtype=np.float32)
    values[0::2] = lows
    values[1::2] = highs
    return np.repeat(centres, 2), values


def emotion_colour(state: EmotionState | None, index: int = 0) -> QColor:
    """The lane colour of an emotion state, from its valence and arousal.

    The hue follows the circumplex (pleasant and aroused: amber; unpleasant and aroused: red;
    unpleasant and calm: blue; pleasant and calm: green) and the saturation grows with the
    distance from neutral, so a neutral prompt is a quiet grey-blue. A state without
    valence/arousal gets colour ``index`` of a fixed palette.

    Parameters
    ----------
    state
        The segment's emotion state.
    index
        Position of the segment, for the palette fallback.

    Returns
    -------
    QColor
        An opaque colour readable on the dark background.
    """
    valence = getattr(state, "valence", None)
    arousal = getattr(state, "arousal", None)
    if not isinstance(valence, (int, float)) or not isinstance(arousal, (int, float)):
        return QColor(_FALLBACK_PALETTE[index % len(_FALLBACK_PALETTE)])
    v = float(np.clip(valence, -1.0, 1.0))
    a = float(np.clip(arousal, -1.0, 1.0))
    angle = math.degrees(math.atan2(a, v))
    hue = (
        float(np.interp(angle, [-180, -135, -45, 45, 135, 180], [260, 220, 140, 45, 0, -100]))
        % 360.0
    )
    strength = min(1.0, math.hypot(v, a))
    colour = QColor()
    colour.setHsvF(hue / 360.0, 0.15 + 0.6 * strength, 0.62 + 0.2 * strength)
    return colour


def _viseme_menu_text(label: str) -> str:
    """A viseme menu entry: the label and the sounds it shows (``"PP  p b m"``)."""
    return f"{label}\t{VISEME_DESCRIPTIONS.get(label, '')}"


def _viseme_colour(label: str) -> QColor:
    """A fixed colour per viseme; unknown labels hash into the fallback palette."""
    name = _VISEME_COLOURS.get(label)
    if name is None:
        name = _FALLBACK_PALETTE[zlib.crc32(label.encode("utf-8")) % len(_FALLBACK_PALETTE)]
    return QColor(name)


class _SeekViewBox(pg.ViewBox):
    """A view box whose left click reports the clicked time instead of doing nothing."""

    def __init__(self, on_click: Callable[[float], None]) -> None:
        super().__init__(enableMenu=False)
        self._on_click = on_click

    def mouseClickEvent(self, ev: object) -> None:  # noqa: N802 (pyqtgraph API)
        """Seek on a left click; anything else goes to :class:`pyqtgraph.ViewBox`."""
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self._on_click(self.mapSceneToView(ev.scenePos()).x())
        else:
            super().mouseClickEvent(ev)


class _VisemeViewBox(_SeekViewBox):
    """The viseme lane's view box: boundary drags, the edit cursor and the context menu."""

    def __init__(self, on_click: Callable[[float], None], lane: TimelineWidget) -> None:
        super().__init__(on_click)
        self._lane = lane
        self._dragging: int | None = None

    def _x(self, scene_pos: object) -> float:
        return float(self.mapSceneToView(scene_pos).x())

    def hoverEvent(self, ev: object) -> None:  # noqa: N802 (pyqtgraph API)
        """Show a resize cursor near a boundary that can be dragged."""
        if ev.isExit():
            if self._dragging is None:
                self.unsetCursor()
            return
        near = self._lane._boundary_at(self._x(ev.scenePos())) is not None
        if near and ev.acceptDrags(Qt.MouseButton.LeftButton):
            self.setCursor(Qt.CursorShape.SizeHorCursor)
        elif self._dragging is None:
            self.unsetCursor()

    def mouseDragEvent(self, ev: object, axis: object = None) -> None:  # noqa: N802
        """A left drag that starts on a boundary moves it; any other drag pans."""
        if ev.button() == Qt.MouseButton.LeftButton:
            if ev.isStart():
                self._dragging = self._lane._boundary_at(self._x(ev.buttonDownScenePos()))
            if self._dragging is not None:
                ev.accept()
                x = self._x(ev.scenePos())
                if ev.isFinish():
                    boundary, self._dragging = self._dragging, None
                    self._lane._finish_boundary_drag(boundary, x)
                else:
                    self._lane._preview_boundary_drag(self._dragging, x)
                return
        super().mouseDragEvent(ev, axis)

    def mouseClickEvent(self, ev: object) -> None:  # noqa: N802 (pyqtgraph API)
        """A right click opens the viseme menu of the clicked time."""
        if ev.button() == Qt.MouseButton.RightButton:
            ev.accept()
            pos = ev.screenPos()
            self._lane._popup_viseme_menu(
                self._x(ev.scenePos()), QPoint(round(pos.x()), round(pos.y()))
            )
            return
        super().mouseClickEvent(ev)


class _LaneLabels:
    """A bounded pool of text items labelling the visible, wide-enough segments of a lane."""

    def __init__(self, viewbox: pg.ViewBox, cap: int, min_px: float, elide: bool) -> None:
        self._vb = viewbox
        self._cap = cap
        self._min_px = min_px
        self._elide = elide
        self._items: list[pg.TextItem] = []
        self._shown: list[str] = []
        self._starts = np.empty(0)
        self._ends = np.empty(0)
        self._texts: list[str] = []
        self._metrics: QFontMetrics | None = None

    def set_segments(self, starts: np.ndarray, ends: np.ndarray, texts: Sequence[str]) -> None:
        self._starts = np.asarray(starts, dtype=np.float64)
        self._ends = np.asarray(ends, dtype=np.float64)
        self._texts = list(texts)
        self.refresh()

    @property
    def visible_texts(self) -> list[str]:
        return [t for item, t in zip(self._items, self._shown, strict=True) if item.isVisible()]

    @property
    def item_count(self) -> int:
        return len(self._items)

    def refresh(self) -> None:
        (x0, x1), _ = self._vb.viewRange()
        span = x1 - x0
        px_per_s = self._vb.width() / span if span > 0 else 0.0
        chosen = np.empty(0, dtype=np.int64)
        if self._starts.size and px_per_s > 0:
            lo = np.maximum(self._starts, x0)
            hi = np.minimum(self._ends, x1)
            chosen = np.flatnonzero((hi - lo) * px_per_s >= self._min_px)[: self._cap]
        while len(self._items) < chosen.size:
            item = pg.TextItem("", color=LABEL_COLOUR, anchor=(0, 0.5))
            item.setZValue(5)
            self._vb.addItem(item, ignoreBounds=True)
            self._items.append(item)
            self._shown.append("")
        if self._metrics is None and self._items:
            self._metrics = QFontMetrics(self._items[0].textItem.font())
        for slot, i in enumerate(chosen.tolist()):
            left = max(self._starts[i], x0)
            text = self._texts[i]
            if self._elide and self._metrics is not None:
                room = int((min(self._ends[i], x1) - left) * px_per_s) - 8
                text = self._metrics.elidedText(text, Qt.TextElideMode.ElideRight, room)
            item = self._items[slot]
            if self._shown[slot] != text:
                item.setText(text)
                self._shown[slot] = text
            item.setPos(left, 0.5)
            item.setVisible(True)
        for item in self._items[chosen.size :]:
            item.setVisible(False)


class TimelineWidget(QWidget):
    """Waveform, playhead, viseme lane and emotion lane on one time axis (seconds).

    Parameters
    ----------
    parent
        Optional parent widget.

    Attributes
    ----------
    seek_requested : Signal(float)
        The user dragged the playhead or clicked a plot; the time in seconds, clamped to
        ``0..duration``. Not emitted by :meth:`set_time`.
    viseme_boundary_moved : Signal(float, float)
        The user dragged the viseme boundary at the first time (seconds) to the second.
    viseme_change_requested : Signal(float, str)
        Give the viseme segment holding the time another viseme.
    viseme_delete_requested : Signal(float)
        Delete the viseme segment holding the time.
    viseme_insert_requested : Signal(float, str)
        Insert a viseme centred on the time.
    viseme_reset_requested : Signal()
        Discard every hand correction of the lip sync.
    """

    seek_requested = Signal(float)
    viseme_boundary_moved = Signal(float, float)
    viseme_change_requested = Signal(float, str)
    viseme_delete_requested = Signal(float)
    viseme_insert_requested = Signal(float, str)
    viseme_reset_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._duration = 0.0
        self._time = 0.0
        self._guard = False
        self._mono: np.ndarray | None = None
        self._sample_rate = 0
        self._detail_span: tuple[int, int] | None = None
        self._emotion_track: EmotionTrack | None = None
        self._emotion_end: float | None = None
        self._viseme_segments: tuple[VisemeSegment, ...] = ()
        self._viseme_edited: list[bool] = []
        self._visemes_are_edited = False
        self._viseme_drag: tuple[float, float] | None = None
        self._viseme_menu: QMenu | None = None

        self._graphics = pg.GraphicsLayoutWidget()
        self._graphics.setBackground(BACKGROUND)
        self._graphics.ci.layout.setSpacing(0)
        self._graphics.ci.setContentsMargins(2, 2, 8, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._graphics)

        self._wave_plot = self._make_plot(0, "audio", 0.0, (-1.0, 1.0))
        self._viseme_plot = self._make_plot(
            1, "visemes", 0.5, (0.0, 1.0), _VisemeViewBox(self._seek_from_click, self)
        )
        self._emotion_plot = self._make_plot(2, "emotion", 0.5, (0.0, 1.0))
        for lane in (self._viseme_plot, self._emotion_plot):
            lane.setXLink(self._wave_plot)
            lane.setMaximumHeight(_LANE_HEIGHT)
            lane.setMinimumHeight(_LANE_HEIGHT)
        self._emotion_plot.setMaximumHeight(_LANE_HEIGHT + _AXIS_HEIGHT)
        self._emotion_plot.setMinimumHeight(_LANE_HEIGHT + _AXIS_HEIGHT)
        self._wave_plot.setMinimumHeight(50)
        bottom = self._emotion_plot.getAxis("bottom")
        bottom.show()
        bottom.enableAutoSIPrefix(False)

        wave_pen = pg.mkPen(WAVEFORM_COLOUR, width=1)
        self._wave_curve = pg.PlotDataItem(pen=wave_pen, clipToView=True)
        self._detail_curve = pg.PlotDataItem(pen=wave_pen, clipToView=True)
        self._detail_curve.setVisible(False)
        zero = pg.InfiniteLine(0.0, angle=0, pen=pg.mkPen("#34363c", width=1))
        self._wave_plot.addItem(zero, ignoreBounds=True)
        self._wave_plot.addItem(self._wave_curve)
        self._wave_plot.addItem(self._detail_curve)

        self._viseme_bars = pg.BarGraphItem(x0=[], x1=[], y0=0.12, y1=0.88, pen=None)
        self._viseme_marks = pg.BarGraphItem(
            x0=[], x1=[], y0=0.12, y1=0.88, brush=None,
            pen=pg.mkPen(EDITED_OUTLINE_COLOUR, width=2),
        )  # fmt: skip
        self._viseme_marks.setZValue(2)
        self._emotion_bars = pg.BarGraphItem(x0=[], x1=[], y0=0.08, y1=0.92, pen=None)
        self._viseme_plot.addItem(self._viseme_bars)
        self._viseme_plot.addItem(self._viseme_marks)
        self._emotion_plot.addItem(self._emotion_bars)
        self._viseme_labels = _LaneLabels(
            self._viseme_plot.getViewBox(), MAX_VISEME_LABELS, _VISEME_LABEL_MIN_PX, False
        )
        self._emotion_labels = _LaneLabels(
            self._emotion_plot.getViewBox(), MAX_EMOTION_LABELS, _EMOTION_LABEL_MIN_PX, True
        )

        head_pen = pg.mkPen(PLAYHEAD_COLOUR, width=2)
        hover_pen = pg.mkPen("#ffb27f", width=3)
        self._lines: list[pg.InfiniteLine] = []
        for plot in (self._wave_plot, self._viseme_plot, self._emotion_plot):
            line = pg.InfiniteLine(
                0.0, angle=90, pen=head_pen, hoverPen=hover_pen, movable=True, bounds=(0, 0)
            )
            line.setZValue(10)
            line.sigPositionChanged.connect(self._on_line_moved)
            plot.addItem(line, ignoreBounds=True)
            self._lines.append(line)

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(_REFRESH_MS)
        self._refresh_timer.timeout.connect(self._refresh_view)
        wave_vb = self._wave_plot.getViewBox()
        wave_vb.sigXRangeChanged.connect(self._schedule_refresh)
        wave_vb.sigResized.connect(self._schedule_refresh)
        self._apply_duration(reset_view=True)

    # ------------------------------------------------------------------ public API

    @property
    def duration(self) -> float:
        """Length of the timeline in seconds (0 when nothing is loaded)."""
        return self._duration

    @property
    def time(self) -> float:
        """Playhead position in seconds."""
        return self._time

    @property
    def playhead(self) -> pg.InfiniteLine:
        """The movable playhead line of the waveform plot (the lanes carry synced copies)."""
        return self._lines[0]

    @property
    def graphics(self) -> pg.GraphicsLayoutWidget:
        """The pyqtgraph view holding the three plots (for mapping mouse positions)."""
        return self._graphics

    @property
    def plots(self) -> tuple[pg.PlotItem, pg.PlotItem, pg.PlotItem]:
        """The waveform, viseme and emotion plots, top to bottom."""
        return self._wave_plot, self._viseme_plot, self._emotion_plot

    def waveform_data(self) -> tuple[np.ndarray, np.ndarray]:
        """The drawn overview envelope as ``(seconds, values)`` (empty when cleared).

        Returns
        -------
        tuple of np.ndarray
            The x (seconds) and y arrays of the whole-clip envelope line.
        """
        x, y = self._wave_curve.getData()
        if x is None or y is None:
            return np.empty(0), np.empty(0, dtype=np.float32)
        return np.asarray(x), np.asarray(y)

    def waveform_detail_data(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The zoomed-in envelope of the visible stretch, or ``None`` when not shown.

        Returns
        -------
        tuple of np.ndarray or None
            The x (seconds) and y arrays, or ``None`` if the view shows most of the clip.
        """
        if not self._detail_curve.isVisible():
            return None
        x, y = self._detail_curve.getData()
        return np.asarray(x), np.asarray(y)

    def viseme_rects(self) -> np.ndarray:
        """The drawn viseme rectangles as an ``(K, 2)`` array of start, end seconds.

        Returns
        -------
        np.ndarray
            One row per drawn rectangle, in track order.
        """
        return self._bar_spans(self._viseme_bars)

    def emotion_bars(self) -> np.ndarray:
        """The drawn emotion bars as an ``(K, 2)`` array of start, end seconds.

        Returns
        -------
        np.ndarray
            One row per drawn bar, sorted by start.
        """
        return self._bar_spans(self._emotion_bars)

    def viseme_edited_rects(self) -> np.ndarray:
        """The outlined (hand-corrected) viseme segments as an ``(K, 2)`` array of seconds.

        Returns
        -------
        np.ndarray
            One row per outlined segment, in track order.
        """
        return self._bar_spans(self._viseme_marks)

    @property
    def viseme_segments(self) -> tuple[VisemeSegment, ...]:
        """The viseme segments the lane shows (during a boundary drag: the previewed ones)."""
        return self._viseme_segments

    def viseme_menu(self, t: float) -> QMenu | None:
        """Build the viseme context menu for time ``t`` (the caller shows or runs it).

        The menu names the segment under ``t`` and offers *Change viseme* (the 15 visemes,
        each with the sounds it shows; the current one checked), *Delete viseme*, *Insert
        viseme here* and *Reset lip sync to the analysis* (enabled when the track was
        corrected). Its actions emit the ``viseme_*`` signals.

        Parameters
        ----------
        t
            Time in seconds.

        Returns
        -------
        QMenu or None
            ``None`` when the lane shows no visemes.
        """
        segs = self._viseme_segments
        if not segs or not math.isfinite(t):
            return None
        t = min(max(float(t), segs[0].start), segs[-1].end)
        seg = segs[segment_index_at(segs, t)]
        centre = 0.5 * (seg.start + seg.end)
        menu = QMenu(self)
        title = menu.addAction(
            f"{seg.viseme}  {seg.start:.2f}–{seg.end:.2f} s"
            + ("  (corrected)" if self._segment_is_edited(seg) else "")
        )
        title.setEnabled(False)
        menu.addSeparator()
        change = menu.addMenu("&Change viseme")
        group = QActionGroup(change)
        for label in VISEMES:
            action = change.addAction(_viseme_menu_text(label))
            action.setCheckable(True)
            action.setChecked(label == seg.viseme)
            action.setData(label)
            group.addAction(action)
            action.triggered.connect(
                lambda _c=False, v=label: self.viseme_change_requested.emit(centre, v)
            )
        delete = menu.addAction("&Delete viseme")
        delete.triggered.connect(lambda _c=False: self.viseme_delete_requested.emit(centre))
        insert = menu.addMenu("&Insert viseme here")
        for label in VISEMES:
            action = insert.addAction(_viseme_menu_text(label))
            action.setData(label)
            action.triggered.connect(
                lambda _c=False, v=label: self.viseme_insert_requested.emit(t, v)
            )
        menu.addSeparator()
        reset = menu.addAction("&Reset lip sync to the analysis")
        reset.setEnabled(self._visemes_are_edited)
        reset.triggered.connect(lambda _c=False: self.viseme_reset_requested.emit())
        return menu

    def show_viseme_menu(self, t: float) -> QMenu | None:
        """Pop the viseme menu of time ``t`` up in the lane, at ``t`` (for the keyboard).

        Parameters
        ----------
        t
            Time in seconds.

        Returns
        -------
        QMenu or None
            The menu shown, or ``None`` when the lane shows no visemes.
        """
        vb = self._viseme_plot.getViewBox()
        (x0, x1), _ = vb.viewRange()
        scene = vb.mapViewToScene(pg.Point(min(max(t, x0), x1), 0.5))
        view_pos = self._graphics.mapFromScene(scene)
        return self._popup_viseme_menu(t, self._graphics.viewport().mapToGlobal(view_pos))

    def viseme_labels(self) -> list[str]:
        """The viseme label texts currently shown (visible, wide-enough segments).

        Returns
        -------
        list of str
            At most :data:`MAX_VISEME_LABELS` labels.
        """
        return self._viseme_labels.visible_texts

    def emotion_labels(self) -> list[str]:
        """The emotion prompt texts currently shown (possibly elided with "…").

        Returns
        -------
        list of str
            At most :data:`MAX_EMOTION_LABELS` labels.
        """
        return self._emotion_labels.visible_texts

    def label_item_count(self) -> int:
        """Text items created so far in both lanes (bounded by the label caps).

        Returns
        -------
        int
            Pooled text items, shown or hidden.
        """
        return self._viseme_labels.item_count + self._emotion_labels.item_count

    def set_audio(self, samples: np.ndarray | None, sample_rate: int) -> None:
        """Show the waveform of a clip and make its length the timeline duration.

        Parameters
        ----------
        samples
            ``float32`` samples of shape ``(N,)`` or ``(N, C)`` (channels are mixed to mono),
            values in -1..1; ``None`` or empty clears the waveform and sets the duration to 0.
            A mono ``float32`` array is kept by reference for zoomed redraws: do not modify
            it afterwards.
        sample_rate
            Samples per second; must be positive when ``samples`` is given.

        Raises
        ------
        ValueError
            On a non-positive sample rate or samples with more than two dimensions.
        """
        if samples is None or np.size(samples) == 0:
            self._mono = None
            self._sample_rate = 0
            self._wave_curve.setData([], [])
            self._hide_detail()
            self.set_duration(0.0)
            return
        if sample_rate <= 0:
            raise ValueError("sample_rate must be positive")
        arr = np.asarray(samples)
        if arr.ndim == 2:
            mono = np.array(arr[:, 0], dtype=np.float32)
            for c in range(1, arr.shape[1]):
                mono += arr[:, c]
            if arr.shape[1] > 1:
                mono *= np.float32(1.0 / arr.shape[1])
        elif arr.ndim == 1:
            mono = np.ascontiguousarray(arr, dtype=np.float32)
        else:
            raise ValueError(f"samples must have shape (N,) or (N, C), got {arr.shape}")
        self._mono = mono
        self._sample_rate = int(sample_rate)
        pos, values = minmax_envelope(mono, ENVELOPE_BINS)
        self._wave_curve.setData(pos / self._sample_rate, values)
        self._hide_detail()
        self._duration = mono.shape[0] / float(sample_rate)
        self._apply_duration(reset_view=True)

    def set_duration(self, seconds: float) -> None:
        """Set the timeline length and show the whole clip.

        Parameters
        ----------
        seconds
            Length in seconds (``>= 0``).

        Raises
        ------
        ValueError
            If ``seconds`` is negative or not finite.
        """
        seconds = float(seconds)
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("duration must be a finite number >= 0")
        changed = seconds != self._duration
        self._duration = seconds
        self._apply_duration(reset_view=changed)
        if changed and self._emotion_track is not None and self._emotion_end is None:
            self._draw_emotion()

    def set_time(self, t: float) -> None:
        """Move the playhead to ``t`` seconds (clamped) without emitting ``seek_requested``.

        While the user is dragging the playhead the call is ignored, so a player reporting
        its position cannot fight the drag.

        Parameters
        ----------
        t
            Time in seconds.
        """
        if any(line.moving for line in self._lines):
            return
        self._time = self._clamp(t)
        self._sync_lines(self._time)

    def set_visemes(self, track: VisemeTrack | None) -> None:
        """Draw the viseme lane: one rectangle per segment, labels where there is room.

        Parameters
        ----------
        track
            The take's viseme track; ``None`` clears the lane.
        """
        segs = [] if track is None else [s for s in track.visemes if s.end > s.start]
        self._visemes_are_edited = bool(track is not None and track.edited and segs)
        edited = [False] * len(segs)
        if self._visemes_are_edited and track is not None:
            try:
                edited = edited_mask(VisemeTrack(track.phonemes, segs, edited=True), segs[-1].end)
            except VisemeEditError:
                edited = [True] * len(segs)
        self._viseme_drag = None
        self._show_visemes(tuple(segs), edited)

    def _show_visemes(self, segs: tuple[VisemeSegment, ...], edited: list[bool]) -> None:
        self._viseme_segments = segs
        self._viseme_edited = edited
        starts = np.fromiter((s.start for s in segs), dtype=np.float64, count=len(segs))
        ends = np.fromiter((s.end for s in segs), dtype=np.float64, count=len(segs))
        labels = [s.viseme for s in segs]
        brush_of: dict[str, QBrush] = {}
        brushes = [brush_of.setdefault(v, QBrush(_viseme_colour(v))) for v in labels]
        self._set_bars(self._viseme_bars, starts, ends, brushes)
        marked = np.flatnonzero(np.asarray(edited, dtype=bool))
        self._set_bars(self._viseme_marks, starts[marked], ends[marked], None)
        self._viseme_labels.set_segments(starts, ends, labels)

    def set_emotion(self, track: EmotionTrack | None, duration: float | None = None) -> None:
        """Draw the emotion lane: one bar per prompt segment with its prompt text.

        Parameters
        ----------
        track
            The emotion track; ``None`` clears the lane.
        duration
            Where open-ended segments (``end=None``) stop, in seconds; ``None`` or ``<= 0``
            follows :attr:`duration`. When the timeline has no duration yet, a positive value
            becomes it.
        """
        self._emotion_track = track
        end = None if duration is None else float(duration)
        self._emotion_end = end if end is not None and end > 0 else None
        if self._emotion_end is not None and self._duration <= 0:
            self.set_duration(self._emotion_end)
        self._draw_emotion()

    # ------------------------------------------------------------------ internals

    def _make_plot(
        self,
        row: int,
        name: str,
        name_y: float,
        y_range: tuple[float, float],
        vb: _SeekViewBox | None = None,
    ) -> pg.PlotItem:
        vb = vb if vb is not None else _SeekViewBox(self._seek_from_click)
        plot = pg.PlotItem(viewBox=vb, enableMenu=False)
        self._graphics.addItem(plot, row=row, col=0)
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.hideAxis("bottom")
        left = plot.getAxis("left")
        left.setWidth(_AXIS_WIDTH)
        left.setTicks([[(name_y, name)], []])
        for axis_name in ("left", "bottom"):
            axis = plot.getAxis(axis_name)
            axis.setPen(pg.mkPen(AXIS_COLOUR))
            axis.setTextPen(pg.mkPen(AXIS_COLOUR))
        vb.disableAutoRange()
        vb.setMouseEnabled(x=True, y=False)
        vb.setYRange(*y_range, padding=0.02 if row == 0 else 0.0)
        vb.setLimits(yMin=y_range[0] - 0.05, yMax=y_range[1] + 0.05)
        return plot

    def _apply_duration(self, reset_view: bool) -> None:
        d = self._duration
        for line in self._lines:
            line.setBounds((0.0, d))
        vb = self._wave_plot.getViewBox()
        for plot in self.plots:
            if d > 0:
                pad = 0.01 * d
                plot.getViewBox().setLimits(
                    xMin=-pad, xMax=d + pad, minXRange=min(0.02, d), maxXRange=d + 2 * pad
                )
            else:
                plot.getViewBox().setLimits(xMin=None, xMax=None, minXRange=None, maxXRange=None)
        if reset_view:
            vb.setXRange(0.0, d if d > 0 else 1.0, padding=0.01)
        self.set_time(self._time)
        self._refresh_view()

    def _clamp(self, t: float) -> float:
        t = float(t)
        if not math.isfinite(t):
            return 0.0
        return min(max(t, 0.0), self._duration)

    def _sync_lines(self, t: float) -> None:
        self._guard = True
        try:
            for line in self._lines:
                if line.value() != t:
                    line.setValue(t)
        finally:
            self._guard = False

    def _on_line_moved(self, line: pg.InfiniteLine) -> None:
        if self._guard:
            return
        self._time = self._clamp(line.value())
        self._sync_lines(self._time)
        self.seek_requested.emit(self._time)

    def _seek_from_click(self, x: float) -> None:
        if self._duration <= 0:
            return
        self._time = self._clamp(x)
        self._sync_lines(self._time)
        self.seek_requested.emit(self._time)

    @staticmethod
    def _set_bars(
        bars: pg.BarGraphItem,
        starts: np.ndarray,
        ends: np.ndarray,
        brushes: list[QBrush] | None,
    ) -> None:
        if starts.size == 0:
            bars.setOpts(x0=np.empty(0), x1=np.empty(0), brushes=None, brush=QBrush())
            bars.setVisible(False)
            return
        if brushes is None:
            bars.setOpts(x0=starts, x1=ends)
        else:
            bars.setOpts(x0=starts, x1=ends, brushes=brushes)
        bars.setVisible(True)

    # ------------------------------------------------------------------ viseme editing

    def _segment_is_edited(self, seg: VisemeSegment) -> bool:
        for s, edited in zip(self._viseme_segments, self._viseme_edited, strict=True):
            if s is seg:
                return edited
        return False

    def _boundary_at(self, x: float) -> int | None:
        """The boundary within :data:`BOUNDARY_GRAB_PX` of ``x``, if any."""
        segs = self._viseme_segments
        if len(segs) < 2 or not math.isfinite(x):
            return None
        per_px = self._viseme_plot.getViewBox().viewPixelSize()[0]
        return nearest_boundary(segs, x, BOUNDARY_GRAB_PX * per_px)

    def _preview_boundary_drag(self, boundary: int, x: float) -> None:
        if self._viseme_drag is None:
            self._viseme_drag = (self._viseme_segments, self._viseme_edited)
        original, edited = self._viseme_drag
        if not 1 <= boundary < len(original):
            return
        moved = move_boundary(original, boundary, x)
        marks = list(edited)
        changed = moved[boundary].start != original[boundary].start
        marks[boundary - 1] = marks[boundary - 1] or changed
        marks[boundary] = marks[boundary] or changed
        self._show_visemes(moved, marks)

    def _finish_boundary_drag(self, boundary: int, x: float) -> None:
        self._preview_boundary_drag(boundary, x)
        assert self._viseme_drag is not None
        original, _ = self._viseme_drag
        moved = self._viseme_segments
        if 1 <= boundary < len(original) and moved[boundary].start != original[boundary].start:
            self.viseme_boundary_moved.emit(original[boundary].start, moved[boundary].start)
        else:
            self._show_visemes(*self._viseme_drag)
            self._viseme_drag = None

    def _popup_viseme_menu(self, t: float, screen_pos: QPoint) -> QMenu | None:
        menu = self.viseme_menu(t)
        if menu is None:
            return None
        if self._viseme_menu is not None:
            self._viseme_menu.deleteLater()
        self._viseme_menu = menu
        menu.popup(screen_pos)
        return menu

    @staticmethod
    def _bar_spans(bars: pg.BarGraphItem) -> np.ndarray:
        if not bars.isVisible():
            return np.empty((0, 2))
        x0 = np.atleast_1d(np.asarray(bars.opts["x0"], dtype=np.float64))
        x1 = np.atleast_1d(np.asarray(bars.opts["x1"], dtype=np.float64))
        return np.column_stack([x0, x1])

    def _draw_emotion(self) -> None:
        track = self._emotion_track
        end = self._duration if self._emotion_end is None else self._emotion_end
        segs = [] if track is None else sorted(track.segments, key=lambda s: s.start)
        starts, ends, texts, brushes = [], [], [], []
        for i, seg in enumerate(segs):
            stop = end if seg.end is None else float(seg.end)
            if stop <= seg.start:
                continue
            starts.append(float(seg.start))
            ends.append(stop)
            texts.append(seg.prompt or "(neutral)")
            brushes.append(QBrush(emotion_colour(seg.state, i)))
        s = np.asarray(starts, dtype=np.float64)
        e = np.asarray(ends, dtype=np.float64)
        self._set_bars(self._emotion_bars, s, e, brushes)
        self._emotion_labels.set_segments(s, e, texts)

    def _schedule_refresh(self, *_: object) -> None:
        self._refresh_timer.start()

    def _hide_detail(self) -> None:
        self._detail_curve.setData([], [])
        self._detail_curve.setVisible(False)
        self._detail_span = None

    def _refresh_view(self) -> None:
        self._refresh_timer.stop()
        self._refresh_detail()
        self._viseme_labels.refresh()
        self._emotion_labels.refresh()

    def _refresh_detail(self) -> None:
        mono = self._mono
        if mono is None:
            return
        n = mono.shape[0]
        sr = self._sample_rate
        (x0, x1), _ = self._wave_plot.getViewBox().viewRange()
        i0 = max(0, int(math.floor(x0 * sr)))
        i1 = min(n, int(math.ceil(x1 * sr)))
        visible = i1 - i0
        if visible <= 0 or visible * 2 > n:
            self._hide_detail()
            return
        span = self._detail_span
        covered = span is not None and span[0] <= i0 and i1 <= span[1]
        if covered and span[1] - span[0] <= 2 * visible:
            return
        margin = visible // 4
        lo, hi = max(0, i0 - margin), min(n, i1 + margin)
        pos, values = minmax_envelope(mono, ENVELOPE_BINS, lo, hi)
        self._detail_curve.setData(pos / sr, values)
        self._detail_curve.setVisible(True)
        self._detail_span = (lo, hi)
