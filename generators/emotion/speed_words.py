"""How fast a prompt says the emotion arrives: "suddenly furious", "slowly calming down".

The words only set the speed of the transition into the prompt's emotion (see
:mod:`generators.emotion.dynamics`); whatever else they mean to the parser (the "suddenly"
modifier also raises intensity and arousal, "gently" lowers them) still applies there.

Examples
--------
>>> prompt_speed("suddenly furious"), prompt_speed("slowly turning sad"), prompt_speed("happy")
(3.0, 0.4, 1.0)
"""

from __future__ import annotations

from generators.emotion.parse import tokenize

__all__ = ["FAST_PHRASES", "FAST_SPEED", "SLOW_PHRASES", "SLOW_SPEED", "prompt_speed"]

FAST_SPEED: float = 3.0
"""Speed of a transition the prompt calls sudden (three times the normal rate)."""

SLOW_SPEED: float = 0.4
"""Speed of a transition the prompt calls slow or gradual."""

FAST_PHRASES: tuple[tuple[str, ...], ...] = (
    ("suddenly",),
    ("sudden",),
    ("all", "of", "a", "sudden"),
    ("abruptly",),
    ("abrupt",),
    ("instantly",),
    ("immediately",),
    ("snaps", "into"),
    ("snap", "into"),
    ("snapping", "into"),
    ("snapped", "into"),
    ("bursts", "into"),
    ("bursting", "into"),
    ("burst", "into"),
)
"""Token sequences that make a transition fast."""

SLOW_PHRASES: tuple[tuple[str, ...], ...] = (
    ("slowly",),
    ("gradually",),
    ("gently", "turning"),
    ("gently", "becoming"),
    ("little", "by", "little"),
    ("bit", "by", "bit"),
    ("over", "time"),
)
"""Token sequences that make a transition slow."""


def _starts_with(tokens: list[str], i: int, phrase: tuple[str, ...]) -> bool:
    return tuple(tokens[i : i + len(phrase)]) == phrase


def prompt_speed(prompt: str) -> float:
    """The transition speed a prompt asks for: fast, slow or normal.

    Parameters
    ----------
    prompt
        Free-text emotion prompt.

    Returns
    -------
    float
        :data:`FAST_SPEED` for "suddenly", "abruptly", "instantly", "snaps into"...;
        :data:`SLOW_SPEED` for "slowly", "gradually", "gently turning"...; 1.0 otherwise.
        When a prompt has both kinds, the first one in the text counts.

    Examples
    --------
    >>> prompt_speed("Snaps into rage"), prompt_speed("gradually calm, then suddenly sad")
    (3.0, 0.4)
    """
    tokens = tokenize(prompt or "")
    for i in range(len(tokens)):
        if any(_starts_with(tokens, i, p) for p in FAST_PHRASES):
            return FAST_SPEED
        if any(_starts_with(tokens, i, p) for p in SLOW_PHRASES):
            return SLOW_SPEED
    return 1.0
