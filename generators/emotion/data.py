"""Load the emotion presets shipped in ``assets/presets`` (JSON, found with importlib.resources)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["load_preset"]


@cache
def load_preset(name: str) -> dict[str, Any]:
    """Return the parsed JSON preset ``assets/presets/<name>``.

    The result is cached and shared: treat it as read-only.

    Parameters
    ----------
    name
        File name inside ``assets/presets`` (``"emotions.json"``, ``"facs.json"``).

    Returns
    -------
    dict
        The decoded JSON object.

    Raises
    ------
    FileNotFoundError
        If the preset is not installed (a broken installation: reinstall affect-studio).

    Examples
    --------
    >>> load_preset("facs.json")["version"]
    1
    """
    path = resources.files("assets") / "presets" / name
    if not path.is_file():
        raise FileNotFoundError(
            f"emotion preset assets/presets/{name} is missing; reinstall affect-studio"
        )
    with path.open("r", encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"assets/presets/{name} must hold a JSON object")
    return data
