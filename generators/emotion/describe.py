"""What an emotion state means, as plain JSON-ready data (``affect-studio emotion --json``)."""

from __future__ import annotations

from typing import Any

from generators.emotion.facs import action_units, emotion_weights, get_facs_model
from generators.emotion.regions import region_breakdown
from generators.take import EmotionState

__all__ = ["describe"]


def _r(x: float) -> float:
    return round(float(x), 3)


def describe(state: EmotionState, prompt: str | None = None) -> dict[str, Any]:
    """Summarise an emotion state for people and tools.

    Parameters
    ----------
    state
        The state (usually from :func:`~generators.emotion.parse.parse_prompt`).
    prompt
        The prompt it came from, echoed under ``"prompt"`` when given.

    Returns
    -------
    dict
        JSON-serialisable: ``mixture`` (emotion -> weight, largest first), ``dominant`` (largest
        non-neutral emotion, or ``"neutral"``), ``intensity``, ``valence``, ``arousal``,
        ``dominance``, ``action_units`` (list of ``{"au", "name", "activation"}``), and
        ``regions`` (brows, eyes, cheeks, nose, mouth, jaw -> ``{"amount", "shapes"}``).
        Numbers are rounded to 3 decimals.

    Examples
    --------
    >>> from generators.emotion.parse import parse_prompt
    >>> d = describe(parse_prompt("furious"), "furious")
    >>> d["dominant"], d["regions"]["brows"]["amount"] > 0.5
    ('anger', True)
    >>> d["action_units"][0]["name"]
    'brow lowerer'
    """
    model = get_facs_model()
    mixture = {k: _r(v) for k, v in sorted(state.mixture.items(), key=lambda kv: -kv[1])}
    emotional = {k: v for k, v in state.mixture.items() if k != "neutral" and v > 1e-6}
    dominant = max(emotional, key=emotional.__getitem__) if emotional else "neutral"
    aus = [
        {"au": f"AU{k}", "name": model.au_names[k], "activation": _r(a)}
        for k, a in action_units(state).items()
    ]
    regions = {
        name: {
            "amount": _r(info["amount"]),
            "shapes": {s: _r(v) for s, v in info["shapes"].items()},
        }
        for name, info in region_breakdown(emotion_weights(state)).items()
    }
    out: dict[str, Any] = {} if prompt is None else {"prompt": prompt}
    out.update(
        {
            "mixture": mixture,
            "dominant": dominant,
            "intensity": _r(state.intensity),
            "valence": _r(state.valence),
            "arousal": _r(state.arousal),
            "dominance": _r(state.dominance),
            "action_units": aus,
            "regions": regions,
        }
    )
    return out
