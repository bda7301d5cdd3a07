"""Curves JSON (``.json``): NVIDIA Audio2Face's blendshape export layout plus our extras.

Audio2Face readers (Blender, Unreal and three.js importers) read the top-level keys
``exportFps``, ``numPoses``, ``numFrames``, ``facsNames`` and ``weightMat``; everything else this
studio knows about a take (head and eye rotation, per-frame emotion, the timed phones and
visemes of the lip sync, provenance) lives under one
extra key, ``affectStudio``, which such readers ignore. See "File formats (contract)" in the
design guide; :func:`studio.exporters.json_curves_reader.read_curves_json` reads it back.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from generators.take import ARKIT_NAMES, Take
from studio.exporters.text_output import TextExporter

__all__ = ["FORMAT_VERSION", "CurvesJsonExporter", "curves_document"]

FORMAT_VERSION: int = 1
"""Version of the ``affectStudio`` block."""

_EMOTION_DECIMALS = 4


class CurvesJsonExporter(TextExporter):
    """Write a take's ARKit-52 curves in the Audio2Face JSON layout.

    Parameters
    ----------
    decimals
        Decimals kept for weights and angles (5 keeps files small and is far below what a
        blendshape or a 0.001 degree rotation can show).

    Examples
    --------
    >>> CurvesJsonExporter().extensions
    ('.json',)
    """

    name = "curves-json"
    extensions: tuple[str, ...] = (".json",)
    label = "curves JSON"

    def __init__(self, *, decimals: int = 5) -> None:
        self.decimals = int(decimals)

    def text(self, take: Take) -> str:
        """The JSON document for ``take`` (compact, one line)."""
        doc = curves_document(take, decimals=self.decimals)
        return json.dumps(doc, separators=(",", ":"), allow_nan=False) + "\n"


def curves_document(take: Take, *, decimals: int = 5) -> dict[str, Any]:
    """The JSON document for ``take`` as plain Python data.

    Examples
    --------
    >>> from generators.take import CurveSet, EmotionTrack, Provenance, Take, VisemeTrack
    >>> take = Take(CurveSet.zeros(30, 3), VisemeTrack(), EmotionTrack(), Provenance("rig", "1"))
    >>> doc = curves_document(take)
    >>> doc["exportFps"], doc["numPoses"], doc["numFrames"], len(doc["weightMat"][0])
    (30, 52, 3, 52)
    """
    curves = take.curves
    n = curves.num_frames
    fps = float(curves.fps)
    weights = np.clip(_finite(curves.weights), 0.0, 1.0)
    head = _finite(curves.head_rotation)
    eyes = _finite(curves.eye_rotation)

    states = take.emotion_states()
    emotion = {
        axis: [_round(getattr(s, axis), _EMOTION_DECIMALS) for s in states]
        for axis in ("valence", "arousal", "dominance")
    }
    mixture = [
        {name: _round(w, _EMOTION_DECIMALS) for name, w in sorted(s.mixture.items())}
        for s in states
    ]
    prov = take.provenance
    return {
        "exportFps": int(fps) if fps.is_integer() else fps,
        "numPoses": len(ARKIT_NAMES),
        "numFrames": n,
        "facsNames": list(ARKIT_NAMES),
        "weightMat": np.round(weights, decimals).tolist(),
        "affectStudio": {
            "version": FORMAT_VERSION,
            "duration": _round(take.duration, 6),
            "headRotation": np.round(head, decimals).tolist(),
            "eyeRotation": np.round(eyes, decimals).tolist(),
            "emotion": emotion,
            "mixture": mixture,
            "lipSync": {
                "method": take.visemes.method,
                "edited": take.visemes.edited,
                "phonemes": [
                    {"phone": p.phone, "start": _round(p.start, 4), "end": _round(p.end, 4)}
                    for p in take.visemes.phonemes
                ],
                "visemes": [
                    {"viseme": v.viseme, "start": _round(v.start, 4), "end": _round(v.end, 4)}
                    for v in take.visemes.visemes
                ],
            },
            "provenance": {
                "generator": prov.generator,
                "version": prov.version,
                "seed": int(prov.seed),
                "settings": _jsonable(prov.settings),
                "audioSha256": prov.audio_sha256,
            },
        },
    }


def _finite(values: np.ndarray) -> np.ndarray:
    """float64 copy with NaN/inf replaced by 0 (JSON cannot hold them)."""
    return np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)


def _round(value: float, decimals: int) -> float:
    v = float(value)
    return round(v, decimals) if math.isfinite(v) else 0.0


def _jsonable(value: Any) -> Any:
    """Settings as JSON data: numpy scalars/arrays to Python, paths and unknowns to strings."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [_jsonable(v) for v in items]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return str(value)
