"""Driven channels: every morph-target name a :class:`~renderers.pose.Pose` can drive.

The first 52 are ARKit's (**contract**, :mod:`renderers.arkit`). After them come the 15 Oculus /
Ready Player Me visemes, which drive an avatar's own viseme shapes for the lips when it has
them, and five expression presets (VRM's), which drive an avatar's sculpted emotion shapes when
it has no ARKit shapes for them. Loaders store such targets under these exact names.

Examples
--------
>>> CHANNEL_INDEX["jawOpen"], CHANNEL_INDEX["viseme_sil"], CHANNEL_INDEX["expression_happy"]
(17, 52, 67)
>>> NUM_CHANNELS
72
"""

from __future__ import annotations

from renderers.arkit import ARKIT_NAMES

VISEME_CHANNELS: tuple[str, ...] = (
    "viseme_sil", "viseme_PP", "viseme_FF", "viseme_TH", "viseme_DD", "viseme_kk", "viseme_CH",
    "viseme_SS", "viseme_nn", "viseme_RR", "viseme_aa", "viseme_E", "viseme_I", "viseme_O",
    "viseme_U",
)  # fmt: skip
"""The 15 Oculus visemes under Ready Player Me's target names, in Oculus order."""

EXPRESSION_CHANNELS: tuple[str, ...] = (
    "expression_happy", "expression_angry", "expression_sad", "expression_relaxed",
    "expression_surprised",
)  # fmt: skip
"""Whole-face emotion presets (VRM 1.0's names; VRM 0.x joy/angry/sorrow/fun map onto them)."""

CHANNEL_NAMES: tuple[str, ...] = ARKIT_NAMES + VISEME_CHANNELS + EXPRESSION_CHANNELS
"""ARKit-52, then visemes, then expressions."""

NUM_CHANNELS: int = len(CHANNEL_NAMES)
CHANNEL_INDEX: dict[str, int] = {name: i for i, name in enumerate(CHANNEL_NAMES)}
VISEME_OFFSET: int = len(ARKIT_NAMES)
EXPRESSION_OFFSET: int = VISEME_OFFSET + len(VISEME_CHANNELS)
