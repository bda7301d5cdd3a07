"""OpenUSD (``.usda`` text, ``.usd`` binary crate): the avatar as a UsdSkel rig plus the take.

The stage holds a ``SkelRoot`` (``/Avatar``) with a ``Skeleton``, one ``Mesh`` per avatar mesh
with a ``BlendShape`` per morph target, and a ``SkelAnimation`` whose ``blendShapeWeights`` are
sampled at every frame (time code ``i`` = frame ``i``, ``timeCodesPerSecond`` = the take's fps).
Head and eye motion are joint rotations of the same ``SkelAnimation``; see
:mod:`studio.exporters.usd_stage` for the layout and :mod:`studio.exporters.usd_rig` for the
rig. Files pass :func:`studio.exporters.usd_validate.validate_usd` with no errors.

OpenUSD comes from the optional ``usd`` extra (``pip install "affect-studio[usd]"``, the
``usd-core`` wheel); it is imported only when a USD file is exported.
"""

from __future__ import annotations

import re
from pathlib import Path

from generators.progress import NullProgress, ProgressSink
from generators.take import Take
from renderers.avatar import Avatar
from studio.errors import ExportError
from studio.exporters.base import atomic_output

__all__ = ["INSTALL_HINT", "UsdExporter", "require_usd"]

INSTALL_HINT = 'pip install "affect-studio[usd]"'
"""How to install the optional OpenUSD support."""


def require_usd(dest: Path) -> None:
    """Import OpenUSD, or raise a one-line :class:`ExportError` saying how to install it."""
    try:
        import pxr.Usd  # noqa: F401
        import pxr.UsdSkel  # noqa: F401
    except ImportError as exc:
        raise ExportError(
            f"cannot write {dest.name}: USD export needs OpenUSD (the usd-core package), "
            f"which is not installed ({exc}); install it with: {INSTALL_HINT}"
        ) from None


class UsdExporter:
    """Write a take as an OpenUSD UsdSkel rig: ``.usda`` (text) or ``.usd`` (binary crate).

    Parameters
    ----------
    avatar
        Used when :meth:`export` gets no avatar (the default head when ``None``).

    Examples
    --------
    >>> UsdExporter().extensions
    ('.usda', '.usd')
    """

    name = "usd"
    extensions: tuple[str, ...] = (".usda", ".usd")
    label = "OpenUSD"

    def __init__(self, avatar: Avatar | None = None) -> None:
        self.avatar = avatar

    def export(
        self,
        take: Take,
        avatar: Avatar | None,
        dest: Path,
        *,
        progress: ProgressSink | None = None,
    ) -> Path:
        """Write ``take`` on ``avatar`` to ``dest`` (atomically) and return ``dest``.

        Raises
        ------
        ExportError
            OpenUSD is not installed, the folder cannot take the file, or USD fails to write
            it; nothing is left behind.
        """
        dest = Path(dest)
        progress = progress or NullProgress()
        require_usd(dest)
        from studio.exporters.usd_rig import plan_rig
        from studio.exporters.usd_stage import build_stage

        avatar = avatar or self.avatar or _default_avatar()
        progress.report(0.0, f"building {self.label} stage")
        stage = build_stage(
            take,
            plan_rig(avatar),
            report=lambda f: progress.report(0.8 * f, f"building {self.label} stage"),
        )
        progress.report(0.8, f"writing {dest.name}")
        with atomic_output(dest) as tmp:
            _write(stage, tmp, dest)
        progress.report(1.0, f"{self.label} written")
        return dest


def _default_avatar() -> Avatar:
    from renderers.loaders import default_avatar

    return default_avatar()


def _write(stage: object, tmp: Path, dest: Path) -> None:
    """Export the stage's root layer to ``tmp``: text for ``.usda``, crate for ``.usd``.

    The format is named explicitly, so ``USD_DEFAULT_FILE_FORMAT`` cannot turn a ``.usd``
    into text.
    """
    from pxr import Tf

    fmt = "usda" if dest.suffix.lower() == ".usda" else "usdc"
    try:
        ok = stage.GetRootLayer().Export(str(tmp), "", {"format": fmt})  # type: ignore[attr-defined]
    except Tf.ErrorException as exc:
        lines = str(exc).strip().splitlines() or ["OpenUSD error"]
        reason = re.sub(r"^Error in .*? : ", "", lines[-1].strip()).strip("'")
        raise ExportError(
            f"could not write {dest} ({reason}; free some space or choose another folder)"
        ) from None
    if not ok:
        raise ExportError(f"could not write {dest} (free some space or choose another folder)")
