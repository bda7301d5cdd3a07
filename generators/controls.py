"""Animation controls: the studio's live sliders, applied by a generator's cheap stage.

Most controls are multipliers in ``0..2`` with 1.0 meaning "as generated"; ``lip_offset`` is a
time shift in seconds (0: as generated), ``follow_voice`` a share in ``0..1`` and
``emotion_transition`` a time in seconds (the defaults reproduce a take made without controls
exactly). Moving one only re-runs the rig generator's cheap
:meth:`~generators.rig.generator.RigGenerator.map` stage.

Examples
--------
>>> c = AnimationControls(blink_rate=0.0)
>>> c.blink_rate, c.head_motion
(0.0, 1.0)
>>> c.replace(head_motion=0.5).as_dict()["head_motion"]
0.5
>>> AnimationControls.from_dict(c.as_dict()) == c
True
>>> AnimationControls(upper_face=3)
Traceback (most recent call last):
...
generators.errors.PromptError: upper_face must be a number between 0 and 2, got 3
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace

from generators.errors import PromptError

__all__ = ["CONTROL_RANGE", "AnimationControls", "control_default", "control_range"]

CONTROL_RANGE: tuple[float, float] = (0.0, 2.0)
"""Lowest and highest value of the multiplier controls (all but ``lip_offset``)."""

LIP_OFFSET_RANGE: tuple[float, float] = (-0.25, 0.25)
"""Lowest and highest ``lip_offset`` in seconds."""

_RANGES: dict[str, tuple[float, float]] = {
    "lip_offset": LIP_OFFSET_RANGE,
    "follow_voice": (0.0, 1.0),
    "emotion_transition": (0.0, 3.0),
}
_DEFAULTS: dict[str, float] = {"lip_offset": 0.0, "follow_voice": 0.3, "emotion_transition": 0.4}


def control_range(name: str) -> tuple[float, float]:
    """``(lowest, highest)`` value of one control.

    Examples
    --------
    >>> control_range("head_motion"), control_range("lip_offset")
    ((0.0, 2.0), (-0.25, 0.25))
    """
    return _RANGES.get(name, CONTROL_RANGE)


def control_default(name: str) -> float:
    """The default value of one control (1 for the multipliers).

    Examples
    --------
    >>> control_default("blink_rate"), control_default("follow_voice")
    (1.0, 0.3)
    """
    return _DEFAULTS.get(name, 1.0)


@dataclass(frozen=True)
class AnimationControls:
    """The values the studio's sliders drive: multipliers (``0..2``, default 1) and a time offset.

    Parameters
    ----------
    upper_face
        Scales the emotion's upper-face shapes (brows, eyes, cheeks, nose).
    lower_face
        Scales the emotion's mouth and jaw shapes.
    lip_articulation
        Scales the lip-sync mouth shapes around the rest pose; bilabial closures (p, b, m) still
        close when it is below 1, and weights clip at 1 above it.
    blink_rate
        Multiplies the frequency of automatic blinks (0: no automatic blinks).
    gaze_activity
        Scales the amplitude and frequency of gaze saccades (0: steady gaze on the listener).
    head_motion
        Scales the head's sway and nods (0: still head).
    lip_anticipation
        Scales how early the mouth moves toward each sound (the visemes' attack times; 0: no
        earlier than the frame grid needs, 2: twice as early).
    lip_offset
        Seconds (-0.25..0.25, default 0) by which the whole mouth track moves: negative is
        earlier, for an engine's audio latency or an animator's taste.
    follow_voice
        0..1 (default 0.3): how much the voice's own emotion (arousal from its prosody, valence
        from the transcript's sentiment) replaces the prompt's; 0 is the prompt alone. Without a
        prompt the voice alone decides.
    emotion_transition
        Seconds (0..3, default 0.4) an emotion change takes to settle (90 % of the way; rising
        emotions settle faster, fading ones slower: :mod:`generators.emotion.dynamics`).

    Raises
    ------
    PromptError
        If a value is not a finite number in :data:`CONTROL_RANGE`.
    """

    upper_face: float = 1.0
    lower_face: float = 1.0
    lip_articulation: float = 1.0
    blink_rate: float = 1.0
    gaze_activity: float = 1.0
    head_motion: float = 1.0
    lip_anticipation: float = 1.0
    lip_offset: float = 0.0
    follow_voice: float = 0.3
    emotion_transition: float = 0.4

    def __post_init__(self) -> None:
        for f in fields(self):
            lo, hi = control_range(f.name)
            value = getattr(self, f.name)
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = math.nan
            if isinstance(value, bool) or not (math.isfinite(number) and lo <= number <= hi):
                raise PromptError(
                    f"{f.name} must be a number between {lo:g} and {hi:g}, got {value!r}"
                )
            object.__setattr__(self, f.name, number)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The control names, in slider order."""
        return tuple(f.name for f in fields(cls))

    def as_dict(self) -> dict[str, float]:
        """``{name: value}`` of every control (for provenance and project files)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> AnimationControls:
        """Controls from :meth:`as_dict` output; missing names keep their default.

        Raises
        ------
        PromptError
            If a name is unknown or a value is out of range.
        """
        unknown = sorted(set(data) - set(cls.names()))
        if unknown:
            raise PromptError(f"unknown animation control(s) {unknown}; use {list(cls.names())}")
        return cls(**data)  # type: ignore[arg-type]

    def replace(self, **changes: float) -> AnimationControls:
        """A copy with some controls changed (validated)."""
        return replace(self, **changes)

    @property
    def is_default(self) -> bool:
        """Whether every control is at its default (the take is exactly as generated)."""
        return self == AnimationControls()
