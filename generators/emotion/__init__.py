"""Emotion: free-text prompts -> emotion states -> FACS action units -> ARKit-52 expressions.

Examples
--------
>>> from generators.emotion import emotion_weights, parse_prompt
>>> state = parse_prompt("nervous but hopeful")
>>> emotion_weights(state).shape
(52,)
"""

from __future__ import annotations

from generators.emotion.base_emotions import BASE_EMOTIONS, EKMAN_EMOTIONS
from generators.emotion.describe import describe
from generators.emotion.facs import action_units, emotion_weights, expression_weights
from generators.emotion.intensity import check_intensity
from generators.emotion.parse import known_emotions, parse_prompt
from generators.emotion.regions import REGIONS, region_breakdown, region_mask

__all__ = [
    "BASE_EMOTIONS",
    "EKMAN_EMOTIONS",
    "REGIONS",
    "action_units",
    "check_intensity",
    "describe",
    "emotion_weights",
    "expression_weights",
    "known_emotions",
    "parse_prompt",
    "region_breakdown",
    "region_mask",
]
