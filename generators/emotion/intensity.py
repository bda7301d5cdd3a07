"""Validation of intensity values coming from users (CLI flags, sliders, project files)."""

from __future__ import annotations

import math
from numbers import Real

from generators.errors import PromptError

__all__ = ["check_intensity"]


def check_intensity(value: object, what: str = "intensity") -> float:
    """Return ``value`` as a float if it is a number in 0..1, else raise :class:`PromptError`.

    Parameters
    ----------
    value
        The value to check.
    what
        How to name the value in the error message.

    Examples
    --------
    >>> check_intensity(0.5)
    0.5
    >>> check_intensity(1.5)
    Traceback (most recent call last):
    ...
    generators.errors.PromptError: intensity 1.5 is out of range; use a value from 0 to 1
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        raise PromptError(f"{what} must be a number from 0 to 1, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or not 0.0 <= v <= 1.0:
        raise PromptError(f"{what} {value!r} is out of range; use a value from 0 to 1")
    return v
