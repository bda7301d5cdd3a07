"""The built-in exporters, registered by file extension.

:mod:`studio.exporters.base` imports this module lazily the first time an extension is looked
up, so importing the package stays cheap; each exporter module imports its heavy dependencies
(the renderer, ffmpeg) only when it exports.
"""

from __future__ import annotations

from studio.exporters.base import register_exporter
from studio.exporters.gltf_export import GlbExporter
from studio.exporters.json_curves import CurvesJsonExporter
from studio.exporters.livelink_csv import LiveLinkCsvExporter
from studio.exporters.png_sequence import PngSequenceExporter
from studio.exporters.prores import ProresExporter
from studio.exporters.rhubarb import RhubarbJsonExporter, RhubarbTsvExporter
from studio.exporters.usd_export import UsdExporter
from studio.exporters.video import VideoExporter

BUILTIN_EXPORTERS = (
    CurvesJsonExporter,
    GlbExporter,
    LiveLinkCsvExporter,
    PngSequenceExporter,
    ProresExporter,
    RhubarbJsonExporter,
    RhubarbTsvExporter,
    UsdExporter,
    VideoExporter,
)
"""Exporter classes shipped with the studio (each constructible without arguments)."""

for _factory in BUILTIN_EXPORTERS:
    register_exporter(_factory)

__all__ = ["BUILTIN_EXPORTERS"]
