"""Validator of OpenUSD (``.usda`` text, ``.usd`` crate): OpenUSD's own validators plus the
animation's keys.

Needs the optional ``usd`` extra; without it the check is skipped, not failed.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from studio.selftest.outcome import CheckError, Expected, expect

__all__ = ["USD_MISSING", "check_usd", "usd_missing"]

USD_MISSING = "needs the usd extra (pip install 'affect-studio[usd]')"
"""The skip detail when OpenUSD is not installed."""


def usd_missing() -> str | None:
    """Why USD cannot be checked here (:data:`USD_MISSING`), or ``None`` when it can."""
    try:
        import pxr.Usd  # noqa: F401
        import pxr.UsdSkel  # noqa: F401
        import pxr.UsdValidation  # noqa: F401
    except ImportError:
        return USD_MISSING
    return None


def check_usd(dest: Path, expected: Expected) -> str:
    """Validate a USD file: no ``UsdValidation`` errors, one ``SkelAnimation`` with a
    ``blendShapeWeights`` sample per frame at the take's rate, all finite."""
    from pxr import Usd, UsdSkel

    from studio.exporters.usd_validate import validate_usd

    try:  # OpenUSD raises its own error types for a file it cannot read
        errors = validate_usd(dest)
        stage = Usd.Stage.Open(str(dest))
    except Exception as exc:
        raise CheckError(f"OpenUSD cannot open it ({' '.join(str(exc).split())})") from None
    if errors:
        first = " ".join(errors[0].split())
        raise CheckError(f"{len(errors)} OpenUSD validation errors, first: {first}")
    expect(stage is not None, "OpenUSD cannot open the file")
    frames = expected.take.curves.num_frames
    rate = stage.GetTimeCodesPerSecond()
    expect(math.isclose(rate, expected.take.fps),
           f"timeCodesPerSecond is {rate:g} (the take's rate is {expected.take.fps:g})")
    animations = [UsdSkel.Animation(p) for p in stage.Traverse() if p.IsA(UsdSkel.Animation)]
    expect(len(animations) == 1, f"{len(animations)} SkelAnimations (expected 1)")
    anim = animations[0]
    shapes = list(anim.GetBlendShapesAttr().Get() or [])
    expect(bool(shapes), "the SkelAnimation names no blend shapes")
    weights = anim.GetBlendShapeWeightsAttr()
    times = list(weights.GetTimeSamples())
    expect(times == [float(i) for i in range(frames)],
           f"blendShapeWeights has {len(times)} time samples, not one per frame 0..{frames - 1}")
    for t in times:
        row = np.asarray(weights.Get(t), dtype=np.float64)
        if row.shape != (len(shapes),) or not np.all(np.isfinite(row)):
            raise CheckError(f"blendShapeWeights at frame {t:g} is not {len(shapes)} finite "
                              "numbers")
    blend_shapes = sum(1 for p in stage.Traverse() if p.IsA(UsdSkel.BlendShape))
    return (f"valid (UsdValidation), {blend_shapes} BlendShapes, {len(shapes)} animated "
            f"weights x {frames} time samples at {rate:g} fps")
