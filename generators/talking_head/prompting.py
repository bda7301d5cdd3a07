"""Text prompts for the talking-head generator, built from the take's emotion.

The user's free text is read by the rig's emotion engine (mixture, intensity); what the
diffusion model is told is the emotion table's own description of the strongest emotions
("a face tense with fear"), with an adverb for the intensity, inside a fixed portrait frame. The
user's words themselves are not passed on: "quietly furious" means a held-back anger that a
text-to-image model would draw as shouting. Prompts follow the emotion track along the timeline.

Examples
--------
>>> from generators.take import EmotionState
>>> expression_words(EmotionState({"happiness": 1.0}, intensity=0.9))
'a strongly happy, joyful, glad, cheerful expression'
>>> expression_words(EmotionState.neutral())
'a calm, neutral expression'
"""

from __future__ import annotations

from collections.abc import Sequence

from generators.emotion.table import get_emotion_table
from generators.take import EmotionState, EmotionTrack

__all__ = ["PORTRAIT_FRAME", "expression_words", "frame_prompts", "portrait_prompt"]

PORTRAIT_FRAME = ("a photo portrait of a person talking, {expression}, looking at the camera, "
                  "head and shoulders, soft light, detailed face")
"""The prompt around the expression; ``{expression}`` is replaced."""

SECOND_SHARE = 0.3
"""A second emotion is named when it holds at least this share of the mixture."""


def _adverb(intensity: float) -> str:
    if intensity < 0.25:
        return "faintly "
    if intensity < 0.5:
        return "slightly "
    if intensity < 0.8:
        return ""
    return "strongly "


def expression_words(state: EmotionState) -> str:
    """What the face shows, in words, from an emotion state."""
    table = get_emotion_table()
    ranked = sorted(((w, name) for name, w in state.mixture.items() if name != "neutral"),
                    reverse=True)
    if not ranked or state.intensity <= 0.05:
        return "a calm, neutral expression"
    total = sum(w for w, _ in ranked) or 1.0
    names = [ranked[0][1]] + [name for w, name in ranked[1:2] if w / total >= SECOND_SHARE]
    described = [table.descriptions.get(name, name) for name in names]
    return f"a {_adverb(state.intensity)}{' and '.join(described)} expression"


def portrait_prompt(state: EmotionState) -> str:
    """The whole prompt for one emotion state."""
    return PORTRAIT_FRAME.format(expression=expression_words(state))


def frame_prompts(track: EmotionTrack, times: Sequence[float]) -> list[str]:
    """One prompt per frame time, from the emotion track (neighbouring frames mostly share
    one, so the pipeline batches them)."""
    return [portrait_prompt(state) for state in track.states_at(list(times))]
