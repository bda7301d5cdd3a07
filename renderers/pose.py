"""Pose: one instant of facial animation, the vocabulary every floor speaks."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from renderers.arkit import ARKIT_INDEX, NUM_SHAPES
from renderers.channels import EXPRESSION_CHANNELS, VISEME_CHANNELS


def _zeros(n: int) -> np.ndarray:
    return np.zeros(n, dtype=np.float32)


@dataclass
class Pose:
    """ARKit-52 weights plus head and eye rotation at one instant.

    Parameters
    ----------
    weights
        52 blendshape weights in ``ARKIT_NAMES`` order, each in 0..1.
    head_rotation
        Head ``(yaw, pitch, roll)`` in degrees. Positive yaw turns the face to the avatar's
        left (+X), positive pitch tips the chin down, positive roll tilts the head toward the
        avatar's left shoulder.
    eye_rotation
        ``(left_yaw, left_pitch, right_yaw, right_pitch)`` in degrees, same sign convention as
        the head (positive yaw looks to the avatar's left, positive pitch looks down).
    visemes
        Optional 15 viseme weights in :data:`~renderers.channels.VISEME_CHANNELS` order, for
        avatars whose own viseme shapes drive the lips.
    speech
        Optional 52 weights: the part of ``weights`` that lip sync contributes (taken out of
        the ARKit shapes when the visemes drive the lips instead).
    expressions
        Optional 5 weights in :data:`~renderers.channels.EXPRESSION_CHANNELS` order, for
        avatars that have whole-face emotion presets but no ARKit shapes for emotions.

    Examples
    --------
    >>> pose = Pose.neutral()
    >>> pose.set("jawOpen", 0.5).weight("jawOpen")
    0.5
    """

    weights: np.ndarray = field(default_factory=lambda: _zeros(NUM_SHAPES))
    head_rotation: np.ndarray = field(default_factory=lambda: _zeros(3))
    eye_rotation: np.ndarray = field(default_factory=lambda: _zeros(4))
    visemes: np.ndarray | None = None
    speech: np.ndarray | None = None
    expressions: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.weights = np.asarray(self.weights, dtype=np.float32).reshape(NUM_SHAPES)
        self.head_rotation = np.asarray(self.head_rotation, dtype=np.float32).reshape(3)
        self.eye_rotation = np.asarray(self.eye_rotation, dtype=np.float32).reshape(4)
        if self.visemes is not None:
            self.visemes = np.asarray(self.visemes, dtype=np.float32).reshape(len(VISEME_CHANNELS))
        if self.speech is not None:
            self.speech = np.asarray(self.speech, dtype=np.float32).reshape(NUM_SHAPES)
        if self.expressions is not None:
            self.expressions = np.asarray(self.expressions, dtype=np.float32).reshape(
                len(EXPRESSION_CHANNELS)
            )

    @classmethod
    def neutral(cls) -> Pose:
        """Return the rest pose: all weights zero, head and eyes straight ahead."""
        return cls()

    @classmethod
    def from_dict(cls, weights: dict[str, float]) -> Pose:
        """Build a pose from ``{arkit_name: weight}``; unknown names raise ``KeyError``."""
        pose = cls()
        for name, value in weights.items():
            pose.set(name, value)
        return pose

    def weight(self, name: str) -> float:
        """Return the weight of one ARKit shape by name."""
        return float(self.weights[ARKIT_INDEX[name]])

    def set(self, name: str, value: float) -> Pose:
        """Set one ARKit weight (clamped to 0..1) and return ``self`` for chaining."""
        self.weights[ARKIT_INDEX[name]] = float(np.clip(value, 0.0, 1.0))
        return self
