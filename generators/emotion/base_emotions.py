"""The base emotions every mixture is made of: neutral plus Ekman's seven."""

from __future__ import annotations

__all__ = ["BASE_EMOTIONS", "BASE_INDEX", "EKMAN_EMOTIONS"]

EKMAN_EMOTIONS: tuple[str, ...] = (
    "happiness",
    "sadness",
    "anger",
    "fear",
    "surprise",
    "disgust",
    "contempt",
)
"""Ekman's seven basic emotions (with contempt), by the names mixtures use."""

BASE_EMOTIONS: tuple[str, ...] = ("neutral", *EKMAN_EMOTIONS)
"""Every name an :class:`~generators.take.EmotionState` mixture may hold, in a fixed order."""

BASE_INDEX: dict[str, int] = {name: i for i, name in enumerate(BASE_EMOTIONS)}
"""Position of each base emotion in :data:`BASE_EMOTIONS` (columns of mixture arrays)."""
