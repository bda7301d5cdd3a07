"""Which of an avatar's shapes a pose drives, and with what weight.

An avatar with the 52 ARKit shapes is driven by ``Pose.weights`` alone. Two kinds of avatar
get more:

* **Sculpted visemes** (Ready Player Me / Oculus ``viseme_*`` shapes, VRM's ``aa ih ou ee oh``):
  when an avatar has the open vowels, its own viseme shapes form the lips and the lip-sync part
  of the ARKit weights (``Pose.speech``) is taken out of the ARKit shapes, so speech is not
  applied twice; the emotion's share of the mouth stays on the ARKit shapes. Visemes the avatar
  lacks borrow the closest shape it has (a VRM face has only five vowels: ``SS`` borrows part of
  ``I``, ``CH`` part of ``U``; ``PP`` is the closed rest mouth).
* **Expression presets** (VRM's happy, angry, sad, relaxed, surprised): driven from
  ``Pose.expressions`` only when the avatar lacks most ARKit emotion shapes, so a face with both
  does not show an emotion twice.

The renderer, its numpy reference and the exporters all take their weights from
:meth:`ChannelDrive.weights`, so preview and export agree.

Examples
--------
>>> drive = ChannelDrive.for_targets({"jawOpen", "viseme_aa", "viseme_E", "viseme_I",
...                                   "viseme_O", "viseme_U"})
>>> drive.lips_from_visemes, drive.expressions
(True, False)
>>> from renderers.pose import Pose
>>> visemes = np.zeros(15); visemes[VISEME_CHANNELS.index("viseme_SS")] = 1.0
>>> pose = Pose(visemes=visemes, speech=np.full(52, 0.2), weights=np.full(52, 0.5))
>>> w = drive.weights(pose)
>>> round(float(w[CHANNEL_INDEX["viseme_I"]]), 2), round(float(w[CHANNEL_INDEX["jawOpen"]]), 2)
(0.6, 0.3)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from renderers.arkit import NUM_SHAPES
from renderers.avatar import Avatar
from renderers.channels import (
    CHANNEL_INDEX,
    EXPRESSION_CHANNELS,
    EXPRESSION_OFFSET,
    NUM_CHANNELS,
    VISEME_CHANNELS,
    VISEME_OFFSET,
)
from renderers.pose import Pose

__all__ = ["EMOTION_SHAPES", "VISEME_STAND_INS", "ChannelDrive", "target_weights"]

VOWELS: tuple[str, ...] = ("viseme_aa", "viseme_E", "viseme_I", "viseme_O", "viseme_U")
MIN_VOWELS: int = 3
"""Sculpted vowels an avatar needs (``aa`` among them) before its visemes form the lips."""

VISEME_STAND_INS: dict[str, tuple[tuple[str, float], ...]] = {
    "viseme_sil": (),
    "viseme_PP": (),
    "viseme_FF": (("viseme_I", 0.3),),
    "viseme_TH": (("viseme_E", 0.4),),
    "viseme_DD": (("viseme_E", 0.4),),
    "viseme_kk": (("viseme_E", 0.5),),
    "viseme_CH": (("viseme_U", 0.6),),
    "viseme_SS": (("viseme_I", 0.6),),
    "viseme_nn": (("viseme_E", 0.3),),
    "viseme_RR": (("viseme_U", 0.5),),
    "viseme_aa": (("viseme_O", 0.8), ("viseme_E", 0.8)),
    "viseme_E": (("viseme_I", 1.0), ("viseme_aa", 0.6)),
    "viseme_I": (("viseme_E", 1.0), ("viseme_aa", 0.4)),
    "viseme_O": (("viseme_U", 1.0), ("viseme_aa", 0.7)),
    "viseme_U": (("viseme_O", 1.0),),
}
"""For a viseme the avatar lacks: the shapes to use instead, in order of preference, with the
share of their weight (consonants lean on the vowel their lips resemble; the closed mouth of
``PP`` and the rest of ``sil`` are the avatar's rest pose)."""

EMOTION_SHAPES: tuple[str, ...] = (
    "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "eyeWideLeft", "eyeWideRight", "cheekSquintLeft", "cheekSquintRight",
    "noseSneerLeft", "noseSneerRight",
)  # fmt: skip
"""ARKit shapes emotions lean on; with fewer than half of them, expression presets take over."""


def _viseme_matrix(present: set[str]) -> np.ndarray:
    """``(15, 15)`` matrix: column ``j`` spreads the pose's viseme ``j`` over present shapes."""
    m = np.zeros((len(VISEME_CHANNELS), len(VISEME_CHANNELS)), dtype=np.float32)
    for j, name in enumerate(VISEME_CHANNELS):
        for stand_in, share in _resolve(name, present, depth=0):
            m[VISEME_CHANNELS.index(stand_in), j] += share
    return m


def _resolve(name: str, present: set[str], depth: int) -> list[tuple[str, float]]:
    if name in present:
        return [(name, 1.0)]
    if depth > 2:
        return []
    for stand_in, share in VISEME_STAND_INS[name]:
        found = _resolve(stand_in, present, depth + 1)
        if found:
            return [(n, share * s) for n, s in found]
    return []


@dataclass(frozen=True)
class ChannelDrive:
    """How one avatar's channels are driven.

    Attributes
    ----------
    lips_from_visemes
        The avatar's own viseme shapes form the lips (and the ARKit shapes lose the speech).
    expressions
        The avatar's expression presets show the emotion.
    viseme_matrix
        ``(15, 15)`` map from the pose's visemes to the avatar's viseme shapes (stand-ins for
        missing ones included).
    """

    lips_from_visemes: bool
    expressions: bool
    viseme_matrix: np.ndarray

    @classmethod
    def for_targets(cls, names: Iterable[str], lips: str = "auto") -> ChannelDrive:
        """The drive for an avatar whose meshes have targets named ``names``.

        ``lips`` is the avatar's choice (:attr:`renderers.avatar.Avatar.lips`): ``"auto"``
        uses its visemes when it has ``viseme_aa`` and :data:`MIN_VOWELS` vowels, ``"arkit"``
        never, ``"visemes"`` whenever it has any viseme shape.
        """
        present = set(names)
        vowels = [v for v in VOWELS if v in present]
        if lips == "arkit":
            lips_from_visemes = False
        elif lips == "visemes":
            lips_from_visemes = any(v in present for v in VISEME_CHANNELS)
        else:
            lips_from_visemes = "viseme_aa" in present and len(vowels) >= MIN_VOWELS
        has_presets = any(e in present for e in EXPRESSION_CHANNELS)
        emotion_shapes = sum(s in present for s in EMOTION_SHAPES)
        expressions = has_presets and emotion_shapes < len(EMOTION_SHAPES) / 2
        return cls(lips_from_visemes, expressions, _viseme_matrix(present))

    @classmethod
    def for_avatar(cls, avatar: Avatar) -> ChannelDrive:
        """The drive for ``avatar`` (see :meth:`for_targets`)."""
        return cls.for_targets((n for m in avatar.meshes for n in m.morph_targets), avatar.lips)

    def weights(self, pose: Pose) -> np.ndarray:
        """All :data:`~renderers.channels.CHANNEL_NAMES` weights for ``pose``, 0..1, float32."""

        def row(values: np.ndarray | None) -> np.ndarray | None:
            return None if values is None else values[None, :]

        return self.rows(
            pose.weights[None, :],
            visemes=row(pose.visemes),
            speech=row(pose.speech),
            expressions=row(pose.expressions),
        )[0]

    def rows(
        self,
        weights: np.ndarray,
        *,
        visemes: np.ndarray | None = None,
        speech: np.ndarray | None = None,
        expressions: np.ndarray | None = None,
    ) -> np.ndarray:
        """``(N, 72)`` channel weights of ``N`` frames (what exporters animate).

        Parameters
        ----------
        weights
            ``(N, 52)`` ARKit weights.
        visemes, speech, expressions
            ``(N, 15)``, ``(N, 52)`` and ``(N, 5)`` rows as in :class:`~renderers.pose.Pose`,
            or ``None``.

        Returns
        -------
        numpy.ndarray
            float32 in 0..1 (NaN read as 0).
        """
        w = np.asarray(weights, dtype=np.float32).reshape(-1, NUM_SHAPES)
        out = np.zeros((w.shape[0], NUM_CHANNELS), dtype=np.float32)
        if self.lips_from_visemes and visemes is not None:
            if speech is not None:
                w = w - np.asarray(speech, dtype=np.float32).reshape(w.shape)
            v = np.asarray(visemes, dtype=np.float32).reshape(w.shape[0], -1)
            out[:, VISEME_OFFSET:EXPRESSION_OFFSET] = v @ self.viseme_matrix.T
        out[:, :NUM_SHAPES] = w
        if self.expressions and expressions is not None:
            out[:, EXPRESSION_OFFSET:] = np.asarray(expressions, dtype=np.float32).reshape(
                w.shape[0], len(EXPRESSION_CHANNELS)
            )
        return np.clip(np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0), 0.0, 1.0)


def target_weights(channels: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """``(N, T)`` float32 weights for morph targets ``names`` from ``(N, 72)`` channel rows.

    Names that are no driven channel get zeros (they are never animated).

    Examples
    --------
    >>> w = np.zeros((2, 72), np.float32); w[:, CHANNEL_INDEX["jawOpen"]] = 0.5
    >>> target_weights(w, ("jawOpen", "custom")).tolist()
    [[0.5, 0.0], [0.5, 0.0]]
    """
    w = np.asarray(channels, dtype=np.float32)
    out = np.zeros((w.shape[0], len(names)), dtype=np.float32)
    for j, name in enumerate(names):
        column = CHANNEL_INDEX.get(name)
        if column is not None:
            out[:, j] = w[:, column]
    return out
