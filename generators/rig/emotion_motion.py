"""How the emotion drives the rest of the performance: blinks, gaze, head motion, articulation.

:func:`motion_style` turns the emotion at each frame (valence/arousal/dominance and the weights
of the base emotions) into a :class:`MotionStyle`: per-frame multipliers and offsets that the
blink, gaze and head-motion passes and the lip-sync scaling read. Every quantity is a smooth
function of the inputs (a bounded exponential of a weighted sum for a factor, a soft-clipped
weighted sum for an offset), so smooth emotion curves give smooth motion, and a neutral state
(VAD 0, no emotion but neutral) gives factors of exactly 1 and offsets of exactly 0: neutral
takes are unchanged.

Directions and the literature behind them:

* **Blink rate** rises with arousal and anxiety (Harrigan & O'Connell 1996, "How do you look
  when feeling anxious? Facial displays of social anxiety"); base rates are ~17/min at rest,
  ~26/min in conversation and ~4.5/min reading (Bentivoglio et al. 1997, "Analysis of blink
  rate patterns in normal subjects"). Fear adds to arousal; the fixed stare of anger takes a
  little away.
* **Gaze**: approach emotions (anger, joy) go with direct gaze, avoidance emotions (fear,
  sadness) with averted gaze (Adams & Kleck 2005, "Effects of direct and averted gaze on the
  perception of facially communicated emotion"), so anger holds the listener longer (a stare)
  and fear and sadness shorter. Fear scans: frequent, wider saccades with short holds (darts).
  Sadness and shame look down (Keltner 1995, "Signs of appeasement: evidence for the distinct
  displays of embarrassment, amusement, and shame": gaze down; Wallbott 1998); low dominance
  without arousal adds a little to it.
* **Head**: joy lifts the head, sadness (and shame) droops it, anger pushes it forward
  (Wallbott 1998, "Bodily expression of emotion"); emotional speech moves the head more with
  arousal and less in sadness (Livingstone & Palmer 2016, "Head movements encode emotions
  during speech and song"). The head pose here is a rotation only (yaw, pitch, roll; no
  translation), so anger's forward push is a chin-down tilt with a steadier head (less sway)
  and firmer nods.
* **Articulation**: anger and happiness are spoken with larger articulatory movements and
  sadness with smaller ones (Lee et al. 2005, "An articulatory study of emotional speech
  production"); arousal drives most of it. The gain stays within 0.75..1.3 so speech remains
  readable either way.

No directional yaw or roll offsets are modelled: reported turns and tilts are not consistent in
direction across studies.

Examples
--------
>>> import numpy as np
>>> vad = np.array([[0.0, 0.0, 0.0], [0.7, 0.4, 0.4], [-0.5, -0.3, -0.3]])
>>> fam = np.zeros((3, 8))
>>> fam[1, 1], fam[2, 2] = 0.7, 0.7  # happiness, sadness
>>> style = motion_style(vad, fam)
>>> float(style.blink_rate_factor[0]), float(style.head_pitch_offset_deg[0])
(1.0, 0.0)
>>> bool(style.head_pitch_offset_deg[1] < 0 < style.head_pitch_offset_deg[2])  # joy up, sad down
True
>>> gain = articulation_gain(style)
>>> bool(gain[1] > gain[0] > gain[2])
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np

from generators.emotion.base_emotions import BASE_EMOTIONS

__all__ = ["FACTOR_BOUNDS", "MotionStyle", "articulation_gain", "motion_style"]

_FEATURES: tuple[str, ...] = (
    "valence",
    "arousal",
    "dominance",
    *BASE_EMOTIONS[1:],
    "submission",
)
"""Inputs the weights below refer to; ``submission`` is low dominance without arousal."""

_WEIGHTS: dict[str, Mapping[str, float]] = {
    # Factors: natural log of the multiplier per unit of each feature.
    "blink_rate_factor": {"arousal": 0.45, "fear": 0.3, "anger": -0.15},
    "saccade_rate_factor": {"arousal": 0.3, "fear": 0.7, "anger": -0.35, "sadness": -0.35},
    "saccade_amplitude_factor": {"arousal": 0.15, "fear": 0.5, "anger": -0.2, "sadness": -0.3},
    "gaze_hold_factor": {"anger": 0.6, "happiness": 0.15, "fear": -0.5, "sadness": -0.4},
    "head_sway_factor": {"arousal": 0.4, "happiness": 0.15, "sadness": -0.5, "anger": -0.45},
    "nod_factor": {"arousal": 0.45, "happiness": 0.15, "anger": 0.15, "sadness": -0.45},
    "lip_articulation_factor": {"arousal": 0.3, "happiness": 0.1, "anger": 0.12, "sadness": -0.35},
    # Offsets: degrees per unit of each feature.
    "gaze_pitch_offset_deg": {"sadness": 10.0, "submission": 3.0},
    "head_pitch_offset_deg": {"sadness": 7.0, "happiness": -5.0, "anger": 3.5},
}

FACTOR_BOUNDS: dict[str, tuple[float, float]] = {
    "blink_rate_factor": (0.4, 2.5),
    "saccade_rate_factor": (0.4, 2.5),
    "saccade_amplitude_factor": (0.5, 2.0),
    "gaze_hold_factor": (0.4, 2.5),
    "head_sway_factor": (0.4, 2.0),
    "nod_factor": (0.3, 2.0),
    "lip_articulation_factor": (0.75, 1.3),
    "gaze_pitch_offset_deg": (-5.0, 12.0),
    "head_pitch_offset_deg": (-8.0, 10.0),
}
"""Range each quantity approaches smoothly (never reaches) however strong the emotion."""


def _neutral_value(name: str) -> float:
    """0 for an offset (``*_deg``), 1 for a factor."""
    return 0.0 if name.endswith("_deg") else 1.0


@dataclass(frozen=True, eq=False)
class MotionStyle:
    """Per-frame modulation of the performance by the emotion; every field is ``(N,)`` float64.

    Parameters
    ----------
    blink_rate_factor
        Multiplier of the blink frequency.
    saccade_rate_factor
        Multiplier of the saccade frequency (every gaze hold is divided by it).
    saccade_amplitude_factor
        Multiplier of the saccades' size.
    gaze_hold_factor
        Multiplier of how long the gaze rests on the listener between glances away (anger
        stares: > 1; fear and sadness look away sooner: < 1).
    gaze_pitch_offset_deg
        Added eye pitch in degrees, positive looking down (sadness, shame).
    head_pitch_offset_deg
        Added head pitch in degrees, positive chin down (sadness droops, anger pushes forward;
        joy lifts: negative).
    head_sway_factor
        Multiplier of the head's idle and speech sway.
    nod_factor
        Multiplier of the nods on emphasised syllables.
    lip_articulation_factor
        Multiplier of the mouth's movement around its rest pose (see :func:`articulation_gain`).
    """

    blink_rate_factor: np.ndarray
    saccade_rate_factor: np.ndarray
    saccade_amplitude_factor: np.ndarray
    gaze_hold_factor: np.ndarray
    gaze_pitch_offset_deg: np.ndarray
    head_pitch_offset_deg: np.ndarray
    head_sway_factor: np.ndarray
    nod_factor: np.ndarray
    lip_articulation_factor: np.ndarray

    def __len__(self) -> int:
        return int(self.blink_rate_factor.shape[0])

    @classmethod
    def neutral(cls, n: int) -> MotionStyle:
        """The style of ``n`` neutral frames: factors 1, offsets 0."""
        values = {f.name: np.full(n, _neutral_value(f.name)) for f in fields(cls)}
        return cls(**values)

    @property
    def is_neutral(self) -> bool:
        """Whether every factor is exactly 1 and every offset exactly 0."""
        return all(np.all(getattr(self, f.name) == _neutral_value(f.name)) for f in fields(self))


def _soft_clip(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Identity near 0 (slope 1), approaching ``lo`` / ``hi`` smoothly; ``lo < 0 < hi``."""
    return np.where(x >= 0.0, hi * np.tanh(x / hi), lo * np.tanh(x / lo))


def _features(vad: np.ndarray, families: np.ndarray) -> dict[str, np.ndarray]:
    v = np.clip(np.asarray(vad, dtype=np.float64), -1.0, 1.0)
    fam = np.clip(np.asarray(families, dtype=np.float64), 0.0, 1.0)
    if v.ndim != 2 or v.shape[1] != 3:
        raise ValueError(f"vad must be (N, 3), got shape {v.shape}")
    if fam.shape != (v.shape[0], len(BASE_EMOTIONS)):
        raise ValueError(
            f"families must be (N, {len(BASE_EMOTIONS)}) with N = {v.shape[0]}, got {fam.shape}"
        )
    out = {"valence": v[:, 0], "arousal": v[:, 1], "dominance": v[:, 2]}
    out.update({name: fam[:, i] for i, name in enumerate(BASE_EMOTIONS) if i > 0})
    out["submission"] = np.maximum(-v[:, 2], 0.0) * (1.0 - np.maximum(v[:, 1], 0.0))
    return out


def motion_style(vad: np.ndarray, families: np.ndarray) -> MotionStyle:
    """The motion style of each frame from its emotion.

    Parameters
    ----------
    vad
        ``(N, 3)`` valence, arousal, dominance in -1..1 (0 for neutral).
    families
        ``(N, 8)`` weights in 0..1 of the base emotions in
        :data:`~generators.emotion.base_emotions.BASE_EMOTIONS` order ("neutral", "happiness",
        "sadness", "anger", "fear", "surprise", "disgust", "contempt"), already multiplied by
        the intensity (0: not present). The neutral column is not used.

    Returns
    -------
    MotionStyle
        Factors ``exp(sum of weight * feature)`` bounded smoothly to :data:`FACTOR_BOUNDS`, and
        offsets ``sum of weight * feature`` bounded the same way.

    Raises
    ------
    ValueError
        If the shapes do not match.
    """
    feats = _features(vad, families)
    n = feats["valence"].shape[0]
    values: dict[str, np.ndarray] = {}
    for name, weights in _WEIGHTS.items():
        unknown = set(weights) - set(_FEATURES)
        if unknown:  # a typo in the table must not pass silently
            raise KeyError(f"unknown motion-style feature(s) {sorted(unknown)}")
        total = np.zeros(n)
        for feature, w in weights.items():
            total = total + w * feats[feature]
        lo, hi = FACTOR_BOUNDS[name]
        if name.endswith("_deg"):
            value = _soft_clip(total, lo, hi)
        else:
            value = np.exp(_soft_clip(total, float(np.log(lo)), float(np.log(hi))))
        value.setflags(write=False)
        values[name] = value
    return MotionStyle(**values)


def articulation_gain(style: MotionStyle, base: float = 1.0) -> np.ndarray:
    """Per-frame lip articulation amplitude: ``base`` (the control) times the emotion's factor.

    Pass it to :func:`~generators.rig.live_controls.scale_articulation`; closures still close
    (the seal keeps p, b, m shut where the gain is below 1), and the lip sync keeps priority on
    the mouth when the emotion is layered, so speech stays readable.

    Parameters
    ----------
    style
        From :func:`motion_style`.
    base
        The articulation control (a scalar multiplier).

    Returns
    -------
    numpy.ndarray
        ``(N,)`` float64 gains; exactly ``base`` on neutral frames.
    """
    return float(base) * np.asarray(style.lip_articulation_factor, dtype=np.float64)
