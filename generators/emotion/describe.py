"""What an emotion state means, as plain JSON-ready data (``affect-studio emotion --json``)."""

from __future__ import annotations

from typing import Any

from generators.emotion.facs import action_units, emotion_weights, get_facs_model
from generators.emotion.regions import LOWER_FACE, UPPER_FACE, region_mask
from generators.emotion.table import get_emotion_table
from generators.take import EmotionState
from renderers.arkit import ARKIT_NAMES

__all__ = ["describe"]


def _r(x: float) -> float:
    return round(float(x), 3)


def _region_summary(state: EmotionState, region: str) -> dict[str, Any]:
    shown = state.shown_by(region)
    table = get_emotion_table()
    weights = emotion_weights(shown)
    mask = region_mask(UPPER_FACE if region == "upper" else LOWER_FACE)
    shapes = {
        name: _r(weights[j])
        for j, name in sorted(enumerate(ARKIT_NAMES), key=lambda jn: -weights[jn[0]])
        if mask[j] and weights[j] >= 1e-3
    }
    return {
        "mixture": {k: _r(v) for k, v in sorted(shown.mixture.items(), key=lambda kv: -kv[1])},
        "intensity": _r(shown.intensity),
        "dominant": table.dominant_family(shown.mixture),
        "shapes": shapes,
    }


def describe(state: EmotionState, prompt: str | None = None) -> dict[str, Any]:
    """Summarise an emotion state for people and tools (``affect-studio emotion --json``).

    Parameters
    ----------
    state
        The state (usually from :func:`~generators.emotion.parse.parse_prompt`).
    prompt
        The prompt it came from, echoed under ``"prompt"`` when given.

    Returns
    -------
    dict
        JSON-serialisable, numbers rounded to 3 decimals:

        * ``mixture``: emotion-table entry -> weight, largest first (what is felt);
        * ``dominant``: the strongest basic emotion of the mixture (``"neutral"`` if none), and
          ``families``: the mixture in basic emotions;
        * ``vad``: ``{"valence", "arousal", "dominance"}``, each -1..1;
        * ``intensity``: 0..1;
        * ``regions``: ``{"upper": {...}, "lower": {...}}``, what the upper face (brows, eyes,
          cheeks, nose) and the lower face (mouth, jaw) show: ``mixture``, ``intensity``,
          ``dominant`` and the ARKit ``shapes`` it drives;
        * ``notes``: how the prompt was understood (display rules, regions, words read by
          meaning);
        * ``action_units``: the FACS action units of the felt state,
          ``[{"au", "name", "activation"}]``, strongest first.

    Examples
    --------
    >>> from generators.emotion.parse import parse_prompt
    >>> d = describe(parse_prompt("smiling mouth, sad eyes"))
    >>> d["regions"]["upper"]["dominant"], d["regions"]["lower"]["dominant"]
    ('sadness', 'happiness')
    >>> d = describe(parse_prompt("furious"), "furious")
    >>> d["dominant"], d["vad"]["valence"] < 0, d["action_units"][0]["name"]
    ('anger', True, 'brow lowerer')
    """
    model = get_facs_model()
    table = get_emotion_table()
    mixture = {k: _r(v) for k, v in sorted(state.mixture.items(), key=lambda kv: -kv[1])}
    families = table.family_weights(state.mixture)
    aus = [
        {"au": f"AU{k}", "name": model.au_names[k], "activation": _r(a)}
        for k, a in action_units(state).items()
    ]
    out: dict[str, Any] = {} if prompt is None else {"prompt": prompt}
    out.update(
        {
            "mixture": mixture,
            "dominant": table.dominant_family(state.mixture),
            "families": {k: _r(v) for k, v in sorted(families.items(), key=lambda kv: -kv[1])},
            "vad": {
                "valence": _r(state.valence),
                "arousal": _r(state.arousal),
                "dominance": _r(state.dominance),
            },
            "intensity": _r(state.intensity),
            "regions": {r: _region_summary(state, r) for r in ("upper", "lower")},
            "notes": list(state.notes),
            "action_units": aus,
        }
    )
    return out
