"""FACS action units: emotion prototypes (EMFACS), the AU -> ARKit table, and emotion expressions.

The data lives in ``assets/presets/facs.json``. An :class:`~generators.take.EmotionState` becomes
ARKit-52 weights in three steps:

1. each base emotion of the mixture contributes its AU prototype, weighted by
   ``mixture_weight ** mixture_exponent`` (so a 50/50 mix shows both emotions legibly), times the
   state's intensity;
2. the AU activations are mapped to ARKit shapes through the AU -> ARKit table (one-sided AUs such
   as contempt's ``R12``/``R14`` drive only that side), plus a small valence/arousal/dominance
   modulation (low arousal droops the lids, positive valence warms the smile...);
3. a soft saturation (identity below the knee, ``tanh`` above it) keeps every weight below 1 however
   many AUs pile onto one shape.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from generators.emotion.data import load_preset
from generators.emotion.table import EmotionTable, get_emotion_table
from generators.errors import PromptError
from generators.take import EmotionState
from renderers.arkit import ARKIT_INDEX, NUM_SHAPES

__all__ = [
    "FacsModel",
    "action_units",
    "au_to_arkit",
    "emotion_weights",
    "expression_weights",
    "get_facs_model",
    "mixture_matrix",
    "parse_facs_code",
    "prototype",
    "saturate",
]

_CODE = re.compile(r"^([LR]?)(\d+)([A-E]?)$")
_VAD_KEYS = ("valence+", "valence-", "arousal+", "arousal-", "dominance+", "dominance-")


def parse_facs_code(
    code: str, levels: Mapping[str, float] | None = None, default_level: str | None = None
) -> dict[str, float]:
    """Parse FACS notation such as ``"1+2+5B+26"`` or ``"R12A+R14A"`` into AU activations.

    Parameters
    ----------
    code
        AUs joined by ``+``; each an optional side ``L``/``R``, the AU number and an optional
        intensity letter A (trace) .. E (maximum). Empty means no AU.
    levels
        Letter -> activation (default: the table in ``facs.json``: A 0.2 .. E 1.0).
    default_level
        Letter used when a code has none (default: ``facs.json``'s, "C").

    Returns
    -------
    dict
        AU key (``"5"``, ``"R12"``) -> activation 0..1.

    Examples
    --------
    >>> parse_facs_code("1+2+5B+26")
    {'1': 0.6, '2': 0.6, '5': 0.4, '26': 0.6}
    >>> parse_facs_code("R12A+R14A")
    {'R12': 0.2, 'R14': 0.2}
    """
    if levels is None or default_level is None:
        data = load_preset("facs.json")
        levels = data["levels"] if levels is None else levels
        default_level = data["default_level"] if default_level is None else default_level
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in code.split("+"))):
        m = _CODE.match(part.upper())
        if m is None:
            raise ValueError(f"bad FACS code {part!r} in {code!r}")
        side, number, letter = m.groups()
        key = f"{side}{int(number)}"
        out[key] = max(out.get(key, 0.0), float(levels[letter or default_level]))
    return out


def saturate(x: np.ndarray, knee: float = 0.7) -> np.ndarray:
    """Soft-clip non-negative values into 0..1: identity up to ``knee``, ``tanh`` above it.

    The curve is continuous with slope 1 at the knee and only approaches 1, so summed activations
    of a mix stay ordered but cannot overflow.

    Examples
    --------
    >>> saturate(np.array([0.0, 0.5, 0.7, 1.0, 5.0])).round(3).tolist()
    [0.0, 0.5, 0.7, 0.928, 1.0]
    """
    x = np.maximum(np.asarray(x, dtype=np.float64), 0.0)
    span = 1.0 - knee
    over = knee + span * np.tanh((x - knee) / span)
    return np.where(x <= knee, x, over)


@dataclass(frozen=True)
class FacsModel:
    """The FACS tables as matrices (built once from ``facs.json`` by :func:`get_facs_model`).

    Parameters
    ----------
    au_keys
        AU keys of the columns (``"1"``, ``"4"``, ``"R12"``...).
    au_names
        Human-readable name per AU key.
    prototypes
        ``(E, A)`` AU activation of each emotion-table entry (rows in the table's ``names``
        order).
    au_arkit
        ``(A, 52)`` ARKit weight of each AU at full activation.
    vad_modulation
        ``(6, 52)`` ARKit weight per unit of valence+/-, arousal+/-, dominance+/-.
    mixture_exponent
        Exponent applied to mixture weights.
    knee
        Saturation knee.
    aliases
        Extra mixture names accepted (``"joy"`` -> ``"happiness"``).
    """

    au_keys: tuple[str, ...]
    au_names: Mapping[str, str]
    prototypes: np.ndarray
    au_arkit: np.ndarray
    vad_modulation: np.ndarray
    mixture_exponent: float
    knee: float
    aliases: Mapping[str, str]


def _arkit_row(table: Mapping[str, float], side: str, where: str) -> np.ndarray:
    row = np.zeros(NUM_SHAPES, dtype=np.float64)
    for name, w in table.items():
        if name not in ARKIT_INDEX:
            raise ValueError(f"facs.json: {where} drives unknown ARKit shape {name!r}")
        if side == "L":
            gain = 0.0 if name.endswith("Right") else (1.0 if name.endswith("Left") else 0.5)
        elif side == "R":
            gain = 0.0 if name.endswith("Left") else (1.0 if name.endswith("Right") else 0.5)
        else:
            gain = 1.0
        row[ARKIT_INDEX[name]] = float(w) * gain
    return row


def build_facs_model(data: Mapping[str, Any], table: EmotionTable) -> FacsModel:
    """Build and validate a :class:`FacsModel` from the decoded ``facs.json`` object and the
    emotion table (whose entries' recipes become the prototypes)."""
    levels, default = data["levels"], data["default_level"]
    units: Mapping[str, Any] = data["action_units"]
    protos = {name: parse_facs_code(table.recipes[name], levels, default) for name in table.names}
    keys = {str(int(k)) for k in units}
    for name, proto in protos.items():
        for key in proto:
            if key.lstrip("LR") not in units:
                raise ValueError(f"facs.json: prototype {name!r} uses unmapped AU {key!r}")
        keys |= set(proto)
    au_keys = tuple(sorted(keys, key=lambda k: (int(k.lstrip("LR")), k)))
    col = {k: j for j, k in enumerate(au_keys)}

    prototypes = np.zeros((len(table.names), len(au_keys)))
    row = table.index
    for name, proto in protos.items():
        for key, act in proto.items():
            prototypes[row[name], col[key]] = act
    au_arkit = np.stack(
        [
            _arkit_row(units[k.lstrip("LR")]["arkit"], k[0] if k[0] in "LR" else "", f"AU {k}")
            for k in au_keys
        ]
    )
    au_names = {
        k: ({"L": "left ", "R": "right "}.get(k[0], "")) + units[k.lstrip("LR")]["name"]
        for k in au_keys
    }
    vad_mod = np.stack([_arkit_row(data["vad_modulation"].get(k, {}), "", k) for k in _VAD_KEYS])
    aliases = dict(table.aliases)
    return FacsModel(
        au_keys=au_keys,
        au_names=au_names,
        prototypes=prototypes,
        au_arkit=au_arkit,
        vad_modulation=vad_mod,
        mixture_exponent=float(data["mixture_exponent"]),
        knee=float(data["saturation_knee"]),
        aliases=aliases,
    )


@lru_cache(maxsize=1)
def get_facs_model() -> FacsModel:
    """The FACS model shipped in ``assets/presets/facs.json`` (built once, cached).

    Examples
    --------
    >>> model = get_facs_model()
    >>> model.au_arkit.shape[1], "R12" in model.au_keys
    (52, True)
    """
    return build_facs_model(load_preset("facs.json"), get_emotion_table())


def prototype(emotion: str) -> dict[str, float]:
    """The AU activations (at full intensity) the rig uses for one base emotion.

    Examples
    --------
    >>> prototype("happiness")
    {'6': 0.6, '12': 1.0}
    """
    model = get_facs_model()
    row = model.prototypes[get_emotion_table().index[_canonical(emotion, model)]]
    return {k: float(row[j]) for j, k in enumerate(model.au_keys) if row[j] > 0}


def au_to_arkit(au: str) -> np.ndarray:
    """The ``(52,)`` ARKit weights one AU key (``"12"``, ``"R12"``) drives at full activation.

    Examples
    --------
    >>> from renderers.arkit import ARKIT_INDEX
    >>> w = au_to_arkit("R12")
    >>> float(w[ARKIT_INDEX["mouthSmileRight"]]), float(w[ARKIT_INDEX["mouthSmileLeft"]])
    (1.0, 0.0)
    """
    model = get_facs_model()
    m = _CODE.match(au.upper())
    if m is None:
        raise ValueError(f"bad AU key {au!r}")
    side, number, _ = m.groups()
    key = f"{side}{int(number)}"
    if key in model.au_keys:
        return model.au_arkit[model.au_keys.index(key)].astype(np.float32)
    units = load_preset("facs.json")["action_units"]
    if str(int(number)) not in units:
        raise ValueError(f"AU {au!r} has no ARKit mapping")
    return _arkit_row(units[str(int(number))]["arkit"], side, f"AU {au}").astype(np.float32)


def _canonical(name: str, model: FacsModel) -> str:
    canon = model.aliases.get(name.lower())
    if canon is None:
        known = ", ".join(get_emotion_table().emotions)
        raise PromptError(f"unknown emotion {name!r} in a mixture; use one of {known}")
    return canon


def mixture_matrix(mixtures: Sequence[Mapping[str, float]]) -> np.ndarray:
    """Stack emotion mixtures into an ``(N, E)`` array, columns in the emotion table's order.

    Names may be aliases (``"joy"``); negative weights count as 0; each row is normalised to sum
    to 1 (an empty or all-zero mixture becomes neutral).

    Raises
    ------
    PromptError
        If a mixture names an unknown emotion.

    Examples
    --------
    >>> m = mixture_matrix([{"joy": 2.0, "fear": 2.0}])
    >>> names = get_emotion_table().names
    >>> {names[j]: float(w) for j, w in enumerate(m[0]) if w}
    {'happiness': 0.5, 'fear': 0.5}
    """
    model = get_facs_model()
    index = get_emotion_table().index
    out = np.zeros((len(mixtures), len(index)))
    for i, mix in enumerate(mixtures):
        for name, w in mix.items():
            out[i, index[_canonical(name, model)]] += max(0.0, float(w))
    sums = out.sum(axis=1, keepdims=True)
    empty = sums[:, 0] <= 0
    out[empty, index["neutral"]] = 1.0
    sums[empty] = 1.0
    return out / sums


def _au_activations(mix: np.ndarray, intensity: np.ndarray, model: FacsModel) -> np.ndarray:
    used = np.flatnonzero(mix.any(axis=0))  # a take uses a few of the table's emotions
    gains = np.power(np.clip(mix[:, used], 0.0, 1.0), model.mixture_exponent)
    return (gains @ model.prototypes[used]) * np.clip(intensity, 0.0, 1.0)[:, None]


def expression_weights(mix: np.ndarray, intensity: np.ndarray, vad: np.ndarray) -> np.ndarray:
    """Vectorised emotion expression: ARKit-52 weights for ``N`` emotion states at once.

    Parameters
    ----------
    mix
        ``(N, E)`` mixture weights in the emotion table's order, rows summing to 1
        (see :func:`mixture_matrix`).
    intensity
        ``(N,)`` intensity 0..1.
    vad
        ``(N, 3)`` valence, arousal, dominance in -1..1.

    Returns
    -------
    numpy.ndarray
        ``(N, 52)`` float32 weights in 0..1.

    Examples
    --------
    >>> mix = mixture_matrix([{"happiness": 1.0}, {"neutral": 1.0}])
    >>> w = expression_weights(mix, np.array([1.0, 0.0]), np.zeros((2, 3)))
    >>> w.shape, bool(w[0].max() > 0.5), float(w[1].max())
    ((2, 52), True, 0.0)
    """
    model = get_facs_model()
    mix = np.asarray(mix, dtype=np.float64).reshape(-1, model.prototypes.shape[0])
    intensity = np.asarray(intensity, dtype=np.float64).reshape(-1)
    vad = np.clip(np.asarray(vad, dtype=np.float64).reshape(-1, 3), -1.0, 1.0)
    raw = _au_activations(mix, intensity, model) @ model.au_arkit
    signed = np.concatenate([np.maximum(vad, 0.0), np.maximum(-vad, 0.0)], axis=1)
    # columns: v+, a+, d+, v-, a-, d-  -> reorder to _VAD_KEYS order (v+, v-, a+, a-, d+, d-)
    signed = signed[:, [0, 3, 1, 4, 2, 5]]
    raw = raw + signed @ model.vad_modulation
    return saturate(raw, model.knee).astype(np.float32)


def emotion_weights(state: EmotionState) -> np.ndarray:
    """The ARKit-52 expression of one emotion state.

    Parameters
    ----------
    state
        Mixture, intensity and VAD (e.g. from :func:`~generators.emotion.parse.parse_prompt`).

    Returns
    -------
    numpy.ndarray
        ``(52,)`` float32 weights in 0..1, in ``ARKIT_NAMES`` order; all zero for neutral.

    Raises
    ------
    PromptError
        If the mixture names an unknown emotion.

    Examples
    --------
    >>> from generators.take import EmotionState
    >>> from renderers.arkit import ARKIT_INDEX
    >>> w = emotion_weights(EmotionState({"happiness": 1.0}, intensity=0.8))
    >>> bool(w[ARKIT_INDEX["mouthSmileLeft"]] > 0.5), bool(w[ARKIT_INDEX["browDownLeft"]] == 0)
    (True, True)
    """
    return expression_weights(
        mixture_matrix([state.mixture]),
        np.array([state.intensity]),
        np.array([[state.valence, state.arousal, state.dominance]]),
    )[0]


def action_units(state: EmotionState, threshold: float = 1e-3) -> dict[str, float]:
    """The FACS action units an emotion state activates, strongest first.

    Parameters
    ----------
    state
        The emotion state.
    threshold
        Activations below it are left out.

    Returns
    -------
    dict
        AU key (``"4"``, ``"R12"``) -> activation 0..1 (saturated like the ARKit weights).

    Examples
    --------
    >>> from generators.take import EmotionState
    >>> sorted(action_units(EmotionState({"anger": 1.0}, intensity=1.0)), key=int)
    ['4', '5', '7', '23', '24']
    """
    model = get_facs_model()
    act = saturate(
        _au_activations(mixture_matrix([state.mixture]), np.array([state.intensity]), model)[0],
        model.knee,
    )
    pairs = [(k, float(a)) for k, a in zip(model.au_keys, act, strict=True) if a >= threshold]
    return dict(sorted(pairs, key=lambda kv: -kv[1]))
