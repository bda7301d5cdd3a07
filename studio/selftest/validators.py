"""Which validator reads back each export extension.

Every extension a built-in exporter declares needs an entry here; :func:`missing_validators`
lists the ones without, and the self-test fails on them, so a new exporter cannot slip
through unchecked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from studio.selftest.check_cues import check_rhubarb_json, check_rhubarb_tsv
from studio.selftest.check_curves import check_curves_json, check_livelink_csv
from studio.selftest.check_gltf import check_glb
from studio.selftest.check_usd import check_usd, usd_missing
from studio.selftest.check_video import check_mov, check_mp4, check_png
from studio.selftest.outcome import Expected

__all__ = ["VALIDATORS", "Validator", "builtin_extensions", "missing_validators"]


def _always_available() -> str | None:
    return None


@dataclass(frozen=True)
class Validator:
    """How to check one export extension.

    Parameters
    ----------
    check
        ``check(dest, expected)`` reads the output written for ``dest`` and returns a one-line
        summary, or raises :class:`~studio.selftest.outcome.CheckError`.
    unavailable
        Returns why the format cannot be exported and checked here (an optional extra is
        missing), or ``None``; such a check is skipped, not failed.
    """

    check: Callable[[Path, Expected], str]
    unavailable: Callable[[], str | None] = _always_available


VALIDATORS: dict[str, Validator] = {
    ".mp4": Validator(check_mp4),
    ".mov": Validator(check_mov),
    ".png": Validator(check_png),
    ".json": Validator(check_curves_json),
    ".csv": Validator(check_livelink_csv),
    ".rhubarb.json": Validator(check_rhubarb_json),
    ".tsv": Validator(check_rhubarb_tsv),
    ".glb": Validator(check_glb),
    ".usda": Validator(check_usd, usd_missing),
    ".usd": Validator(check_usd, usd_missing),
}
"""Validator of each export extension (lower case, with the dot)."""


def builtin_extensions() -> list[str]:
    """Every extension of the exporters in
    :data:`studio.exporters.registry.BUILTIN_EXPORTERS`, in registry order."""
    from studio.exporters.registry import BUILTIN_EXPORTERS

    found: list[str] = []
    for factory in BUILTIN_EXPORTERS:
        for ext in factory().extensions:
            if ext.lower() not in found:
                found.append(ext.lower())
    return found


def missing_validators(extensions: Iterable[str] | None = None) -> list[str]:
    """The extensions (default: :func:`builtin_extensions`) that have no validator.

    Examples
    --------
    >>> missing_validators([".json", ".xyz"])
    ['.xyz']
    """
    exts = builtin_extensions() if extensions is None else list(extensions)
    return [ext for ext in exts if ext.lower() not in VALIDATORS]
