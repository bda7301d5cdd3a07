"""Settings chosen in the studio for every clip of a folder, and the batch they give.

Folder mode takes its settings from a defaults file (:func:`~studio.batch.manifest.read_batch`).
The studio's Batch dialog instead offers the open session's settings, a saved preset or the
built-in defaults, plus the output formats; :func:`read_plan` writes that choice as a defaults
file in a private temporary folder (never in the user's folder), reads the batch with it and
removes it, so the manifest module stays the only parser of settings.

Examples
--------
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "hello.wav").write_bytes(b"RIFF")
>>> plan = read_plan(folder, FolderSettings(settings={"intensity": 0.5},
...                                         formats=(".json", ".csv")))
>>> [(job.name, job.spec.intensity, job.formats) for job in plan.jobs]
[('hello', 0.5, ('.json', '.csv'))]
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.batch.manifest import DEFAULT_FORMATS, DEFAULTS_FILE_NAMES, BatchPlan, read_batch
from studio.batch.manifest_fields import ManifestError

__all__ = ["FolderSettings", "folder_defaults_file", "read_plan"]

_FILE_NAME = "settings.json"


@dataclass(frozen=True)
class FolderSettings:
    """What every clip of a folder gets.

    Parameters
    ----------
    preset
        A saved preset's name (its settings sit beneath ``settings`` and ``formats``).
    settings
        Field values as a preset holds them (e.g. from
        :func:`~studio.batch.presets.settings_from_session`); paths in them must be absolute.
    formats
        The output suffixes of every clip.
    folder_defaults
        Use the folder's own defaults file instead (``preset``, ``settings`` and ``formats``
        are then ignored).
    """

    preset: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    formats: tuple[str, ...] = DEFAULT_FORMATS
    folder_defaults: bool = False

    def document(self) -> dict[str, Any]:
        """The defaults file's content (animation controls as fields of their own).

        Examples
        --------
        >>> FolderSettings("Calm", {"controls": {"head_motion": 0.5}}, (".json",)).document()
        {'head_motion': 0.5, 'preset': 'Calm', 'formats': ['.json']}
        """
        doc: dict[str, Any] = {k: v for k, v in self.settings.items() if k != "controls"}
        doc.update(self.settings.get("controls") or {})
        if self.preset is not None:
            doc["preset"] = self.preset
        doc["formats"] = list(self.formats)
        return doc


def folder_defaults_file(folder: Path) -> Path | None:
    """The first defaults file of :data:`~studio.batch.manifest.DEFAULTS_FILE_NAMES` that
    ``folder`` holds, if any (``None`` also when ``folder`` is not a folder)."""
    for name in DEFAULTS_FILE_NAMES:
        path = Path(folder) / name
        if path.is_file():
            return path
    return None


def read_plan(source: Path, folder_settings: FolderSettings | None = None) -> BatchPlan:
    """Read a manifest, or a folder with ``folder_settings`` applied to each of its clips.

    Parameters
    ----------
    source
        A manifest file (read as it is: its lines carry their own settings) or a folder.
    folder_settings
        For a folder: what every clip gets (``None``, or ``folder_defaults``: the folder's
        own defaults file, else the built-in defaults).

    Raises
    ------
    ManifestError
        The manifest, folder, preset or settings cannot be used at all.
    """
    source = Path(source)
    if not source.is_dir() or folder_settings is None or folder_settings.folder_defaults:
        return read_batch(source)
    try:
        text = json.dumps(folder_settings.document(), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise ManifestError(f"the batch settings cannot be written as JSON ({exc}); use plain "
                            "numbers, text and lists") from None
    with tempfile.TemporaryDirectory(prefix="affect-batch-settings-") as private:
        defaults = Path(private) / _FILE_NAME
        defaults.write_text(text, encoding="utf-8")
        try:
            plan = read_batch(source, defaults=defaults)
        except ManifestError as exc:
            message = str(exc).replace(f"defaults file {_FILE_NAME}", "the batch settings", 1)
            raise ManifestError(message) from None
    plan.defaults_file = None
    return plan
