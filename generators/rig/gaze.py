"""Eye gaze: small occasional saccades, and the eyeLook* blendshapes that match the eye rotation.

The gaze rests mostly on the listener (straight ahead) and now and then jumps a few degrees
aside (a saccade: ~50 ms), holds 0.6-3 s, and comes back. The eyes also counter-rotate part of
the head's motion (vestibulo-ocular reflex), so the gaze stays put while the head sways.

The emotion may restyle the gaze frame by frame
(:class:`~generators.rig.emotion_motion.MotionStyle`): saccade frequency and size, how long the
gaze rests on the listener, and a smooth downward offset (sadness and shame look down). Fear
darts: frequent, wider saccades with short holds.

The eyeLook* shapes are derived from the same rotation with :data:`EYE_LOOK_RANGE_DEG`, so a
renderer that rotates eye bones and one that uses the blendshapes show the same gaze.

Examples
--------
>>> import numpy as np
>>> times = np.arange(300) / 30.0
>>> eyes = gaze_motion(times, seed=2)
>>> eyes.shape
(300, 4)
>>> look = eye_look_weights(eyes)
>>> look.shape, bool(look.min() >= 0 and look.max() <= 1)
((300, 52), True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from renderers.arkit import ARKIT_INDEX, NUM_SHAPES

if TYPE_CHECKING:
    from generators.rig.emotion_motion import MotionStyle

__all__ = [
    "EYE_LOOK_COLUMNS",
    "EYE_LOOK_RANGE_DEG",
    "VOR_GAIN",
    "eye_look_weights",
    "gaze_from_eye_look",
    "gaze_motion",
]

EYE_LOOK_RANGE_DEG: tuple[float, float] = (30.0, 25.0)
"""Eye yaw / pitch (degrees) at which an eyeLook* shape reaches weight 1."""

VOR_GAIN: float = 0.6
"""Share of the head's yaw and pitch that the eyes counter-rotate."""

SACCADE_S: float = 0.05
"""Duration of one saccade."""

_SALT = 0x6A2E

EYE_LOOK_COLUMNS: tuple[int, ...] = tuple(
    i for name, i in ARKIT_INDEX.items() if name.startswith("eyeLook")
)
"""Columns of the eight eyeLook* shapes."""


def _ease(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _frame_at(times: np.ndarray, when: float) -> int:
    """Index of the last frame at or before ``when`` (the first frame before the clip)."""
    return int(np.clip(np.searchsorted(times, when, side="right") - 1, 0, times.size - 1))


def gaze_motion(
    times: np.ndarray,
    *,
    seed: int = 0,
    head_rotation: np.ndarray | None = None,
    activity: float = 1.0,
    style: MotionStyle | None = None,
) -> np.ndarray:
    """Eye rotation over time.

    Parameters
    ----------
    times
        ``(N,)`` frame times in seconds.
    seed
        Random seed (same seed, same saccades).
    head_rotation
        ``(N, 3)`` head yaw/pitch/roll in degrees, to counter-rotate; ``None`` for a still head.
    activity
        Multiplier of the saccades' amplitude and frequency (0: no saccades, the gaze stays
        on the listener; the counter-rotation of the head still applies).
    style
        Per-frame emotion styling (``len(style) == N``): each saccade's size is multiplied by
        ``saccade_amplitude_factor`` and the hold after it divided by ``saccade_rate_factor``
        (and, on the listener, multiplied by ``gaze_hold_factor``), all read at the saccade's
        frame; ``gaze_pitch_offset_deg`` is added to the pitch. ``None``, or a neutral style:
        the same rotation as without it.

    Returns
    -------
    numpy.ndarray
        ``(N, 4)`` float32 left yaw, left pitch, right yaw, right pitch in degrees (positive yaw
        looks to the avatar's left, positive pitch looks down).
    """
    t = np.asarray(times, dtype=np.float64)
    if style is not None and len(style) != t.size:
        raise ValueError(f"style has {len(style)} frames, times {t.size}")
    rng = np.random.default_rng([_SALT, int(seed) & 0xFFFFFFFF])
    end = float(t[-1]) if t.size else 0.0
    yaw = np.zeros(t.size)
    pitch = np.zeros(t.size)
    cur = np.zeros(2)
    rate = float(activity)
    when = float(rng.uniform(0.4, 1.5)) / rate if rate > 0 else np.inf
    away = False
    while when < end:
        if away:  # come back to the listener, near the centre
            target = rng.normal(0.0, 0.6, size=2)
        else:
            target = np.array(
                [np.clip(rng.normal(0.0, 3.5), -8.0, 8.0), np.clip(rng.normal(0.5, 1.5), -4, 5)]
            )
        if rate != 1.0:
            target = target * rate
        k = _frame_at(t, when) if style is not None else 0
        if style is not None:
            target = target * float(style.saccade_amplitude_factor[k])
        away = not away
        step = _ease((t - when) / SACCADE_S)
        yaw += (target[0] - cur[0]) * step
        pitch += (target[1] - cur[1]) * step
        cur = target
        hold = rng.gamma(2.0, 0.45) + 0.6 if away else rng.gamma(2.0, 0.8) + 0.8
        if style is not None:
            if not away:  # back on the listener: anger stares, fear and sadness glance off
                hold = hold * float(style.gaze_hold_factor[k])
            hold = hold / float(style.saccade_rate_factor[k])
        when += float(hold) / rate
    if style is not None and t.size:
        pitch += np.asarray(style.gaze_pitch_offset_deg, dtype=np.float64).reshape(t.size)
    if head_rotation is not None and t.size:
        head = np.asarray(head_rotation, dtype=np.float64).reshape(t.size, 3)
        yaw -= VOR_GAIN * head[:, 0]
        pitch -= VOR_GAIN * head[:, 1]
    return np.stack([yaw, pitch, yaw, pitch], axis=1).astype(np.float32)


def eye_look_weights(eye_rotation: np.ndarray) -> np.ndarray:
    """The ARKit eyeLook* weights that show ``eye_rotation``.

    Parameters
    ----------
    eye_rotation
        ``(N, 4)`` left yaw, left pitch, right yaw, right pitch in degrees.

    Returns
    -------
    numpy.ndarray
        ``(N, 52)`` float32 weights, zero except the eight eyeLook* columns.
    """
    rot = np.asarray(eye_rotation, dtype=np.float64).reshape(-1, 4)
    yr, pr = EYE_LOOK_RANGE_DEG
    out = np.zeros((rot.shape[0], NUM_SHAPES))
    ly, lp, ry, rp = (rot[:, i] for i in range(4))
    cols = {
        "eyeLookOutLeft": ly / yr,  # left eye toward the avatar's left: outward
        "eyeLookInLeft": -ly / yr,
        "eyeLookInRight": ry / yr,  # right eye toward the avatar's left: toward the nose
        "eyeLookOutRight": -ry / yr,
        "eyeLookDownLeft": lp / pr,
        "eyeLookUpLeft": -lp / pr,
        "eyeLookDownRight": rp / pr,
        "eyeLookUpRight": -rp / pr,
    }
    for name, values in cols.items():
        out[:, ARKIT_INDEX[name]] = np.clip(values, 0.0, 1.0)
    return out.astype(np.float32)


def gaze_from_eye_look(weights: np.ndarray) -> np.ndarray:
    """The eye rotation that eyeLook* weights express (inverse of :func:`eye_look_weights`).

    Used to turn an expression's gaze (FACS AU 61-64, e.g. eyes down in shame) into eye
    rotation, so rotation and blendshapes keep showing the same gaze.

    Parameters
    ----------
    weights
        ``(N, 52)`` ARKit weights.

    Returns
    -------
    numpy.ndarray
        ``(N, 4)`` float32 left yaw, left pitch, right yaw, right pitch in degrees.

    Examples
    --------
    >>> rot = np.array([[6.0, -5.0, 6.0, -5.0]])
    >>> np.allclose(gaze_from_eye_look(eye_look_weights(rot)), rot)
    True
    """
    w = np.asarray(weights, dtype=np.float64).reshape(-1, NUM_SHAPES)
    yr, pr = EYE_LOOK_RANGE_DEG

    def c(name: str) -> np.ndarray:
        return w[:, ARKIT_INDEX[name]]

    left_yaw = (c("eyeLookOutLeft") - c("eyeLookInLeft")) * yr
    left_pitch = (c("eyeLookDownLeft") - c("eyeLookUpLeft")) * pr
    right_yaw = (c("eyeLookInRight") - c("eyeLookOutRight")) * yr
    right_pitch = (c("eyeLookDownRight") - c("eyeLookUpRight")) * pr
    return np.stack([left_yaw, left_pitch, right_yaw, right_pitch], axis=1).astype(np.float32)
