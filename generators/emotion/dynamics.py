"""Affective dynamics: a smoothed, inertial emotion state that follows prompts along the timeline.

Emotion prompts placed along a timeline set *targets*; the displayed state does not jump or
cross-fade linearly to them but moves like a critically damped mass on a spring pulled toward
the current target. This is the continuous-time form of the attractor models of affect
dynamics: in DynAffect (Kuppens, Oravecz & Tuerlinckx, 2010, "Feelings change: accounting for
individual differences in the temporal dynamics of affect", *Journal of Personality and Social
Psychology* 99(6)) a person's core affect is pulled toward an attractor (here: the prompt's
target) with an attractor strength (here: the natural rate ``omega``), plus moment-to-moment
variability (supplied separately, by the slow "life" modulation of held expressions). The
second-order (position and velocity) form adds inertia: a new target eases in, velocity never
jumps, and a step never overshoots.

Onsets are faster than offsets. Facial expressions are described in onset, apex and offset
phases, a spontaneous expression typically rising to its apex faster than it fades (Ekman &
Friesen's FACS timing; measured for smiles by Schmidt, Ambadar, Cohn & Reed, 2006, "Movement
differences between deliberate and spontaneous facial expressions: zygomaticus major action
in smiling", *Journal of Nonverbal Behavior* 30), and felt emotions rise quickly but take
time to fade (Verduyn, Van Mechelen & Tuerlinckx, 2011, "The relation between event
processing and the duration of emotional experience", *Emotion* 11(1); Verduyn & Lavrijsen,
2015, "Which emotions last longest and why", *Motivation and Emotion* 39). So a dimension
whose target lies farther from 0 (its neutral value) than its current value responds
:data:`ONSET_RATE` times faster, and one moving back toward 0 :data:`OFFSET_RATE` times as
fast; the choice is made per dimension at each key, from the state there.

The model, per dimension, between keys (target ``u`` constant)::

    x'' = omega**2 * (u - x) - 2 * omega * x'

with ``omega = SETTLE_TIME_FACTOR * speed * rate / transition`` (``rate`` is
:data:`ONSET_RATE`, :data:`OFFSET_RATE` or 1). It is solved in closed form: with
``e = x - u``, ``e(t) = (e0 + (v0 + omega * e0) * t) * exp(-omega * t)``. A step from rest
therefore covers ``1 - (1 + omega t) exp(-omega t)`` of the distance, which is 90 % at
``omega t = SETTLE_TIME_FACTOR`` (3.8897...): at ``speed = rate = 1`` the state covers 90 % of
a step in exactly ``transition`` seconds; an onset in ``transition / ONSET_RATE``, an offset in
``transition / OFFSET_RATE``, both divided by ``speed``. The result is a pure function of
absolute time: no integration grid, so any frame rate or chunking of ``times`` gives the same
value at the same instant.

Examples
--------
>>> import numpy as np
>>> keys = [(0.0, np.array([0.0]), 1.0), (1.0, np.array([1.0]), 1.0)]
>>> x = affect_trajectory(keys, [0.5, 1.0, 1.0 + 0.4 / ONSET_RATE, 5.0], transition=0.4)
>>> x[:, 0].round(3).tolist()
[0.0, 0.0, 0.9, 1.0]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "MAX_RATE",
    "SETTLED_TAU",
    "AffectPath",
    "OFFSET_RATE",
    "ONSET_RATE",
    "SETTLE_FRACTION",
    "SETTLE_TIME_FACTOR",
    "Key",
    "affect_trajectory",
]

Key = tuple[float, ArrayLike, float]
"""One key: ``(start_seconds, target_vector, speed)``."""

SETTLE_FRACTION: float = 0.9
"""Share of a step that the state covers in ``transition`` seconds (at speed and rate 1)."""

SETTLE_TIME_FACTOR: float = 3.889720169867429
"""``omega * t`` at which a critically damped step response reaches :data:`SETTLE_FRACTION`.

The root of ``(1 + x) * exp(-x) = 1 - SETTLE_FRACTION``, i.e. ``-1 - W_{-1}(-0.1 / e)``."""

ONSET_RATE: float = 1.5
"""Rate factor of a dimension moving away from 0 (an expression or arousal building up)."""

OFFSET_RATE: float = 0.75
"""Rate factor of a dimension moving back toward 0 (an expression fading)."""

MAX_RATE: float = 1e6
"""Natural rates (1/s) at or above this are taken as instantaneous steps (90 % in < 4 us)."""

SETTLED_TAU: float = 50.0
"""``omega * t`` after which the state is taken to be at its target, at rest.

What is left of a step then is below ``(1 + 50) * exp(-50)``, about 1e-20 of it."""

_SAME_MAGNITUDE = 1e-12


def _check_keys(keys: Sequence[Key]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate ``keys``; return starts ``(K,)``, targets ``(K, D)``, speeds ``(K,)`` sorted."""
    if len(keys) == 0:
        raise ValueError("affect_trajectory needs at least one key (start, target, speed)")
    starts, targets, speeds = [], [], []
    dim: int | None = None
    for i, key in enumerate(keys):
        try:
            start, target, speed = key
        except (TypeError, ValueError):
            raise ValueError(f"key {i} must be (start_seconds, target_vector, speed)") from None
        try:
            start_f, speed_f = float(start), float(speed)
            vec = np.asarray(target, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"key {i}: start, target and speed must be numbers") from None
        if vec.ndim != 1:
            raise ValueError(f"key {i}: target must be a 1-D vector, got shape {vec.shape}")
        if dim is None:
            dim = vec.shape[0]
        elif vec.shape[0] != dim:
            raise ValueError(f"key {i}: target has {vec.shape[0]} values, key 0 has {dim}")
        if not math.isfinite(start_f) or not np.all(np.isfinite(vec)):
            raise ValueError(f"key {i}: start and target must be finite")
        if not (math.isfinite(speed_f) and speed_f > 0.0):
            raise ValueError(f"key {i}: speed must be a finite number > 0, got {speed_f}")
        starts.append(start_f)
        targets.append(vec)
        speeds.append(speed_f)
    order = np.argsort(np.array(starts), kind="stable")
    return (
        np.array(starts)[order],
        np.array(targets).reshape(len(keys), -1)[order],
        np.array(speeds)[order],
    )


def _evolve(
    x0: np.ndarray, v0: np.ndarray, u: np.ndarray, omega: np.ndarray, dt: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form state after ``dt >= 0`` seconds of a critically damped pull toward ``u``.

    All arguments broadcast; ``omega`` at or above :data:`MAX_RATE` means an instant step, and
    after :data:`SETTLED_TAU` natural time units the state is at ``u``.
    """
    w = np.where(omega >= MAX_RATE, 0.0, omega)
    tau = w * dt
    done = (omega >= MAX_RATE) | (tau > SETTLED_TAU)
    tau = np.where(done, 0.0, tau)
    e0 = x0 - u
    decay = np.exp(-tau)
    e = (e0 * (1.0 + tau) + v0 * dt) * decay
    v = (v0 * (1.0 - tau) - w * e0 * tau) * decay
    return np.where(done, u, u + e), np.where(done, 0.0, v)


def _rates(current: np.ndarray, target: np.ndarray, onset: float, offset: float) -> np.ndarray:
    """Per-dimension rate factor: onset when ``|target|`` exceeds ``|current|``, else offset."""
    grow = np.abs(target) - np.abs(current)
    return np.where(grow > _SAME_MAGNITUDE, onset, np.where(grow < -_SAME_MAGNITUDE, offset, 1.0))


class AffectPath:
    """A prepared trajectory: keys validated and their states propagated once.

    Calling it samples :func:`affect_trajectory` at any times; use it to sample the same keys
    many times (one instant at a time, during playback).

    Parameters
    ----------
    keys, transition, onset_rate, offset_rate
        As for :func:`affect_trajectory`.

    Examples
    --------
    >>> path = AffectPath([(0.0, [0.0], 1.0), (1.0, [1.0], 1.0)], transition=0.5)
    >>> bool(path([1.2])[0, 0] == affect_trajectory(path.keys, [1.2], transition=0.5)[0, 0])
    True
    """

    def __init__(
        self,
        keys: Sequence[Key],
        *,
        transition: float,
        onset_rate: float = ONSET_RATE,
        offset_rate: float = OFFSET_RATE,
    ) -> None:
        transition = float(transition)
        if not (math.isfinite(transition) and transition >= 0.0):
            raise ValueError(
                f"transition must be a finite number of seconds >= 0, got {transition}"
            )
        for name, value in (("onset_rate", onset_rate), ("offset_rate", offset_rate)):
            if not (math.isfinite(float(value)) and float(value) > 0.0):
                raise ValueError(f"{name} must be a finite number > 0, got {value}")
        self.keys = list(keys)
        starts, targets, speeds = _check_keys(self.keys)
        k_count, dim = targets.shape
        base = SETTLE_TIME_FACTOR / transition if transition > 0.0 else math.inf
        # state (position, velocity) and natural rate of each key, at the key's start
        x = np.empty((k_count, dim))
        v = np.zeros((k_count, dim))
        omega = np.full((k_count, dim), math.inf)
        x[0] = targets[0]
        for k in range(1, k_count):
            x[k], v[k] = _evolve(
                x[k - 1], v[k - 1], targets[k - 1], omega[k - 1], starts[k] - starts[k - 1]
            )
            rate = _rates(x[k], targets[k], float(onset_rate), float(offset_rate))
            with np.errstate(over="ignore"):
                omega[k] = base * speeds[k] * rate
        self._starts, self._targets, self._x, self._v, self._omega = starts, targets, x, v, omega
        settled = np.all((v == 0.0) & (x == targets), axis=1)
        slowest = np.where(omega >= MAX_RATE, math.inf, omega).min(axis=1)
        self._slowest = np.where(settled, math.inf, slowest)  # inf: at its target from the start

    @property
    def dim(self) -> int:
        """Length ``D`` of the state vector."""
        return int(self._targets.shape[1])

    def __call__(self, times: ArrayLike) -> np.ndarray:
        """The ``(N, D)`` states at ``times`` (1-D, finite seconds)."""
        t = np.asarray(times, dtype=np.float64)
        if t.ndim > 1:
            raise ValueError(f"times must be a 1-D sequence of seconds, got shape {t.shape}")
        t = t.reshape(-1)
        if not np.all(np.isfinite(t)):
            raise ValueError("times must be finite seconds")
        starts = self._starts
        idx = np.clip(np.searchsorted(starts, t, side="right") - 1, 0, starts.shape[0] - 1)
        dt = np.maximum(t - starts[idx], 0.0)
        out = self._targets[idx]
        # only instants still moving need the closed form; settled ones are at their target
        with np.errstate(invalid="ignore"):
            moving = np.flatnonzero(dt * self._slowest[idx] <= SETTLED_TAU)
        if moving.size:
            k = idx[moving]
            out[moving], _ = _evolve(
                self._x[k], self._v[k], self._targets[k], self._omega[k], dt[moving, None]
            )
        return out


def affect_trajectory(
    keys: Sequence[Key],
    times: ArrayLike,
    *,
    transition: float,
    onset_rate: float = ONSET_RATE,
    offset_rate: float = OFFSET_RATE,
) -> np.ndarray:
    """The smoothed, inertial state at ``times`` of targets that change at keys.

    Parameters
    ----------
    keys
        ``(start_seconds, target_vector (D,), speed)`` each; a target holds from its start until
        the next key's start (keys are sorted by start; of keys with equal starts the last one
        given wins). ``speed`` multiplies the response rate of the transition the key starts:
        1 normal, above 1 faster ("suddenly"), below 1 slower ("slowly").
    times
        Seconds at which to sample, any order and any spacing. Before the first key the state
        is the first key's target (it starts there, at rest: no ramp-in).
    transition
        Seconds in which a step covers 90 % of the distance at speed 1 and rate factor 1
        (see the module notes); 0 makes every change an instantaneous step.
    onset_rate, offset_rate
        Rate factors of dimensions moving away from 0 and back toward 0 (the onset/offset
        asymmetry), chosen per dimension at each key from the state there; both 1 gives a
        symmetric response.

    Returns
    -------
    numpy.ndarray
        ``(N, D)`` float64 states at ``times``. A pure function of absolute time: the same
        instant gives the same value whatever else is sampled.

    Raises
    ------
    ValueError
        If there are no keys, a key is malformed (not finite, speed <= 0, targets of different
        lengths), ``times`` is not finite, or ``transition`` or a rate factor is invalid.

    Examples
    --------
    >>> import numpy as np
    >>> keys = [(0.0, [1.0, 0.0], 1.0), (2.0, [0.0, 1.0], 3.0)]
    >>> affect_trajectory(keys, [0.0, 2.0, 10.0], transition=0.0).tolist()
    [[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]
    """
    path = AffectPath(keys, transition=transition, onset_rate=onset_rate, offset_rate=offset_rate)
    return path(times)
