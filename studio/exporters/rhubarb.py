"""Mouth cues in Rhubarb Lip Sync's formats: ``.rhubarb.json`` and ``.tsv``.

Both files are written exactly as Rhubarb Lip Sync 1.x writes them (``JsonExporter.cpp``,
``TsvExporter.cpp`` and the "Output formats" section of its README,
https://github.com/DanielSWolf/rhubarb-lip-sync), so 2D pipelines that read Rhubarb's output
(After Effects, Moho, Spine, Godot plugins) take ours unchanged:

* times in seconds with two decimals (Rhubarb works in centiseconds), the duration truncated to a
  multiple of 0.01 s;
* JSON: ``metadata`` (absolute ``soundFile`` path, ``duration``) and ``mouthCues`` with contiguous
  ``start``/``end``/``value`` entries, one per line;
* TSV: one ``start<TAB>shape`` line per cue plus a final line at the end of the recording with
  the closed mouth ``X``.

The cues come from :func:`generators.mouth_cues.mouth_cues` (Rhubarb's shapes A-H and X).
"""

from __future__ import annotations

import json
from pathlib import Path

from generators.mouth_cues import MouthCue, mouth_cues
from generators.take import Take
from studio.exporters.text_output import TextExporter

__all__ = ["RhubarbJsonExporter", "RhubarbTsvExporter", "rhubarb_json", "rhubarb_tsv"]


def _take_cues(take: Take) -> tuple[list[MouthCue], float]:
    duration = take.duration if take.duration > 0 else take.curves.duration
    return mouth_cues(take.visemes, duration), int(duration * 100.0 + 1e-6) / 100.0


def _sound_file(take: Take) -> str:
    return str(Path(take.audio_path).absolute()) if take.audio_path else ""


def rhubarb_json(cues: list[MouthCue], duration: float, sound_file: str) -> str:
    """Rhubarb's JSON text for ``cues`` (formatted like Rhubarb: two decimals, a cue a line).

    Examples
    --------
    >>> print(rhubarb_json([MouthCue(0.0, 0.47, "X")], 0.47, "hi.wav"), end="")
    {
      "metadata": {
        "soundFile": "hi.wav",
        "duration": 0.47
      },
      "mouthCues": [
        { "start": 0.00, "end": 0.47, "value": "X" }
      ]
    }
    """
    if not cues:  # Rhubarb writes a zero-length rest shape for an empty animation
        cues = [MouthCue(0.0, 0.0, "X")]
    lines = [
        "{",
        '  "metadata": {',
        f'    "soundFile": {json.dumps(sound_file)},',
        f'    "duration": {duration:.2f}',
        "  },",
        '  "mouthCues": [',
        ",\n".join(
            f'    {{ "start": {c.start:.2f}, "end": {c.end:.2f}, "value": "{c.shape}" }}'
            for c in cues
        ),
        "  ]",
        "}",
    ]
    return "\n".join(lines) + "\n"


def rhubarb_tsv(cues: list[MouthCue], duration: float) -> str:
    """Rhubarb's TSV text: ``start<TAB>shape`` per cue, then ``end<TAB>X``.

    Examples
    --------
    >>> rhubarb_tsv([MouthCue(0.0, 0.05, "X"), MouthCue(0.05, 0.3, "D")], 0.3).splitlines()
    ['0.00\\tX', '0.05\\tD', '0.30\\tX']
    """
    lines = [f"{c.start:.2f}\t{c.shape}" for c in cues]
    lines.append(f"{duration:.2f}\tX")
    return "\n".join(lines) + "\n"


class RhubarbJsonExporter(TextExporter):
    """Write a take's mouth cues as Rhubarb Lip Sync JSON (``.rhubarb.json``)."""

    name = "rhubarb-json"
    extensions: tuple[str, ...] = (".rhubarb.json",)
    label = "Rhubarb mouth cues"

    def text(self, take: Take) -> str:
        """Rhubarb's JSON document for ``take``."""
        cues, duration = _take_cues(take)
        return rhubarb_json(cues, duration, _sound_file(take))


class RhubarbTsvExporter(TextExporter):
    """Write a take's mouth cues as Rhubarb Lip Sync TSV (``.tsv``)."""

    name = "rhubarb-tsv"
    extensions: tuple[str, ...] = (".tsv",)
    label = "Rhubarb mouth cues"

    def text(self, take: Take) -> str:
        """Rhubarb's TSV lines for ``take``."""
        cues, duration = _take_cues(take)
        return rhubarb_tsv(cues, duration)
