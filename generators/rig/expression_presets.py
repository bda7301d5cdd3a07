"""Whole-face expression presets (VRM's happy, angry, sad, relaxed, surprised) from the emotion.

Avatars made for VTubing (VRoid, most VRM models) carry five sculpted emotion presets instead of
ARKit's 52 shapes. The renderer drives them only for such avatars
(:mod:`renderers.channel_drive`); this pass says how strongly each shows at every frame, from
what the face *shows* (the mean of the upper and lower regions, so a masked emotion stays
masked), each region scaled by its own control:

* happy and relaxed share happiness: low arousal leans to relaxed (content, calm), high to happy;
* angry takes anger and half of disgust and contempt; sad takes sadness and a little fear;
  surprised takes surprise and half of fear;
* while speaking the presets ease to :data:`SPEECH_SHARE` of their weight, since a preset's
  mouth would fight the visemes.

Examples
--------
>>> import numpy as np
>>> families = np.zeros((1, 8)); families[0, 1] = 0.8   # happiness 0.8
>>> w = preset_weights(families, arousal=np.array([0.6]), activity=np.array([0.0]))
>>> [round(float(x), 2) for x in w[0]]
[0.8, 0.0, 0.0, 0.0, 0.0]
"""

from __future__ import annotations

import numpy as np

from generators.emotion.base_emotions import BASE_INDEX
from generators.emotion.table import get_emotion_table
from generators.rig.emotion_frames import EmotionFrames
from renderers.channels import EXPRESSION_CHANNELS

__all__ = ["PRESET_RECIPES", "SPEECH_SHARE", "expression_presets", "preset_weights"]

PRESET_RECIPES: dict[str, dict[str, float]] = {
    "expression_happy": {"happiness": 1.0},
    "expression_angry": {"anger": 1.0, "disgust": 0.5, "contempt": 0.5},
    "expression_sad": {"sadness": 1.0, "fear": 0.3},
    "expression_relaxed": {},  # the calm share of happiness, see preset_weights
    "expression_surprised": {"surprise": 1.0, "fear": 0.5},
}
"""Each preset's share of every basic emotion."""

SPEECH_SHARE: float = 0.6
"""Weight kept by the presets while speaking (1 in silence)."""


def _recipe_matrix() -> np.ndarray:
    m = np.zeros((len(BASE_INDEX), len(EXPRESSION_CHANNELS)))
    for j, name in enumerate(EXPRESSION_CHANNELS):
        for family, share in PRESET_RECIPES[name].items():
            m[BASE_INDEX[family], j] = share
    return m


def preset_weights(
    families: np.ndarray, *, arousal: np.ndarray, activity: np.ndarray
) -> np.ndarray:
    """Preset weights from per-frame basic-emotion strengths.

    Parameters
    ----------
    families
        ``(N, 8)`` share of each basic emotion times its intensity.
    arousal
        ``(N,)`` -1..1; splits happiness into happy (aroused) and relaxed (calm).
    activity
        ``(N,)`` speech activity 0..1.

    Returns
    -------
    numpy.ndarray
        ``(N, 5)`` float32 in 0..1, :data:`~renderers.channels.EXPRESSION_CHANNELS` order.
    """
    f = np.asarray(families, dtype=np.float64)
    out = f @ _recipe_matrix()
    calm = np.clip(0.5 - np.asarray(arousal, dtype=np.float64), 0.0, 1.0)
    happiness = f[:, BASE_INDEX["happiness"]]
    out[:, EXPRESSION_CHANNELS.index("expression_happy")] = happiness * (1.0 - calm)
    out[:, EXPRESSION_CHANNELS.index("expression_relaxed")] = happiness * calm
    speaking = np.clip(np.asarray(activity, dtype=np.float64), 0.0, 1.0)
    out *= (1.0 - (1.0 - SPEECH_SHARE) * speaking)[:, None]
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def expression_presets(
    frames: EmotionFrames, activity: np.ndarray, *, upper: float = 1.0, lower: float = 1.0
) -> np.ndarray:
    """``(N, 5)`` preset weights for a take's emotion frames.

    Parameters
    ----------
    frames
        The take's per-frame emotion (:func:`~generators.rig.emotion_frames.emotion_frames`).
    activity
        ``(N,)`` speech activity.
    upper, lower
        The upper- and lower-face emotion controls (0..2), each scaling its region.
    """
    table = get_emotion_table()
    shown = []
    for (mixture, intensity, vad), gain in ((frames.upper, upper), (frames.lower, lower)):
        shown.append(((mixture @ table.families) * intensity[:, None] * gain, vad[:, 1]))
    families = 0.5 * (shown[0][0] + shown[1][0])
    arousal = 0.5 * (shown[0][1] + shown[1][1])
    return preset_weights(families, arousal=arousal, activity=activity)
