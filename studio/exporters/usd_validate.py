"""Check a USD file with OpenUSD's own validators (``pxr.UsdValidation``).

Runs every validator the installed OpenUSD registers (core, UsdGeom, UsdSkel, UsdShade...),
and, on OpenUSD builds that still ship it, ``UsdUtils.ComplianceChecker``. Needs the ``usd``
extra (see :mod:`studio.exporters.usd_export`).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["validate_usd"]


def validate_usd(path: str | Path) -> list[str]:
    """Errors OpenUSD's validators find in the file at ``path`` (empty when it is valid).

    Warnings and notes are not reported. Each entry reads ``"<validator>: <message>"``.

    Raises
    ------
    ImportError
        OpenUSD (``usd-core``) is not installed.
    """
    from pxr import Usd, UsdValidation

    stage = Usd.Stage.Open(str(path))
    registry = UsdValidation.ValidationRegistry()
    context = UsdValidation.ValidationContext(registry.GetOrLoadAllValidators())
    errors = [
        f"{e.GetValidator().GetMetadata().name if e.GetValidator() else e.GetName()}: "
        f"{e.GetMessage()}"
        for e in context.Validate(stage)
        if e.GetType() == UsdValidation.ValidationErrorType.Error
    ]
    return errors + _compliance_errors(path)


def _compliance_errors(path: str | Path) -> list[str]:
    """``UsdUtils.ComplianceChecker`` errors, where this OpenUSD build still has it."""
    try:
        from pxr.UsdUtils.complianceChecker import ComplianceChecker
    except ImportError:
        return []
    checker = ComplianceChecker(skipARKitRootLayerCheck=True)
    checker.CheckCompliance(str(path))
    return [f"ComplianceChecker: {e}" for e in checker.GetErrors() + checker.GetFailedChecks()]
