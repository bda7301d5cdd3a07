"""The talking-head generator's conditioning images: the rig's take drawn frame by frame.

Frame ``i`` is the avatar at ``take.pose_at(i / fps)`` (the pose the preview and every exporter
draw; nothing accumulates ``dt``), drawn by :class:`renderers.conditioning_render.
ConditioningRenderer` as a depth map, a normal map or both, in the conventions of the SD-1.5
ControlNets (see :mod:`renderers.conditioning_render`). One renderer serves the whole take, so
the depth range, and with it every grey level, stays fixed from frame to frame.

No torch here: the images are numpy arrays, and this module stays importable without the
``diffusion`` extra.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import moderngl
import numpy as np

from generators.errors import GeneratorError
from generators.progress import CancelToken, NullProgress, ProgressSink
from generators.take import Take, frame_count
from renderers.avatar import Avatar
from renderers.camera import Camera
from renderers.conditioning_render import ConditioningKind, ConditioningRenderer, check_kinds
from renderers.errors import RendererError

__all__ = ["MAX_SIDE", "conditioning_frame_count", "conditioning_frames"]

MAX_SIDE = 8192
"""Largest image side accepted, in pixels."""


def conditioning_frame_count(take: Take, fps: float | None = None) -> int:
    """How many frames :func:`conditioning_frames` yields for ``take`` at ``fps``.

    The take covers every frame with ``i / fps < duration`` (the audio's duration, or the
    curves' when the take has none), as the exporters count them.

    Parameters
    ----------
    take
        The take.
    fps
        Frames per second; ``None`` uses the take's.

    Raises
    ------
    GeneratorError
        When ``fps`` is not positive.
    """
    rate = _rate(take, fps)
    duration = take.duration if take.duration > 0 else take.curves.duration
    return frame_count(duration, rate)


def conditioning_frames(
    take: Take,
    avatar: Avatar,
    *,
    size: tuple[int, int] = (512, 512),
    kinds: Sequence[ConditioningKind] = ("depth",),
    fps: float | None = None,
    camera: Camera | None = None,
    progress: ProgressSink | None = None,
    cancel: CancelToken | None = None,
    ctx: moderngl.Context | None = None,
) -> Iterator[dict[str, np.ndarray]]:
    """Yield the conditioning images of every frame of ``take``, in order.

    The arguments are checked at once; the GL context and the renderer are opened on the
    first ``next()`` and released when the iterator ends or is closed.

    Parameters
    ----------
    take
        The rig's take.
    avatar
        The avatar to draw.
    size
        ``(width, height)`` of the images.
    kinds
        Which images each frame gets: ``"depth"``, ``"normal"``, or both (one name alone
        also works).
    fps
        Frames per second; ``None`` uses the take's. Frame ``i`` is at ``t = i / fps``.
    camera
        The camera; ``None`` frames the face as the avatar renderer does.
    progress
        Receives ``(frames done) / (frames)`` after every frame.
    cancel
        Checked before every frame.
    ctx
        A moderngl context to draw with; ``None`` opens a headless EGL context for the take.

    Yields
    ------
    dict of str to numpy.ndarray
        One ``(height, width, 3)`` uint8 image per requested kind, keyed by kind; new arrays
        every frame (safe to keep, e.g. to batch them).

    Raises
    ------
    GeneratorError
        Bad size, frame rate or kind, or an empty take (at once).
    Cancelled
        ``cancel`` was set (on the next frame).

    Examples
    --------
    >>> from generators.take import CurveSet, EmotionTrack, Provenance, VisemeTrack
    >>> from renderers.loaders import default_avatar
    >>> take = Take(CurveSet.zeros(30, 3), VisemeTrack(), EmotionTrack(), Provenance("rig", "1"))
    >>> frames = conditioning_frames(take, default_avatar(), size=(64, 48),
    ...                              kinds=("depth", "normal"))
    >>> [sorted(f) for f in frames]
    [['depth', 'normal'], ['depth', 'normal'], ['depth', 'normal']]
    >>> next(conditioning_frames(take, default_avatar(), size=(64, 48)))["depth"].shape
    (48, 64, 3)
    """
    wanted = _kinds(kinds)
    width, height = _size(size)
    rate = _rate(take, fps)
    count = conditioning_frame_count(take, rate)
    if count == 0:
        raise GeneratorError("the take is empty (0 s); generate it again first")
    return _frames(take, avatar, (width, height), wanted, rate, count, camera,
                   progress or NullProgress(), cancel, ctx)


def _frames(
    take: Take,
    avatar: Avatar,
    size: tuple[int, int],
    kinds: tuple[ConditioningKind, ...],
    fps: float,
    count: int,
    camera: Camera | None,
    progress: ProgressSink,
    cancel: CancelToken | None,
    ctx: moderngl.Context | None,
) -> Iterator[dict[str, np.ndarray]]:
    width, height = size
    what = " and ".join(kinds)
    progress.report(0.0, f"rendering {count} {what} frames at {width}x{height}")
    with ConditioningRenderer(avatar, width, height, ctx=ctx, camera=camera) as renderer:
        for i in range(count):
            if cancel is not None:
                cancel.raise_if_cancelled()
            images = renderer.render_kinds(take.pose_at(i / fps), kinds)
            progress.report((i + 1) / count, f"conditioning frame {i + 1}/{count}")
            yield images


def _kinds(kinds: Sequence[str]) -> tuple[ConditioningKind, ...]:
    try:
        return check_kinds((kinds,) if isinstance(kinds, str) else kinds)
    except RendererError as exc:
        raise GeneratorError(str(exc)) from None


def _size(size: tuple[int, int]) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in size)
    except (TypeError, ValueError):
        raise GeneratorError(f"size must be (width, height) in pixels, got {size!r}") from None
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise GeneratorError(
            f"conditioning size {width}x{height} is outside 1..{MAX_SIDE} pixels a side"
        )
    return width, height


def _rate(take: Take, fps: float | None) -> float:
    rate = float(take.fps if fps is None else fps)
    if not rate > 0:
        raise GeneratorError(f"the frame rate must be above 0 fps, got {rate}")
    return rate
