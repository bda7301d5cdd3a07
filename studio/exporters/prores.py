"""QuickTime ProRes 4444 with alpha (``.mov``): the take on a transparent background.

Frames are rendered as by the ``.mp4`` exporter (frame ``i`` is ``take.pose_at(i / fps)``) but
with no backdrop, and stream as raw RGBA to the bundled ffmpeg, which encodes ProRes 4444
(``prores_ks``, ``yuva444p10le``: 10-bit 4:4:4 colour plus an alpha plane; BT.709). The
take's audio, when it has some, is muxed as 16-bit PCM at 48 kHz, padded or trimmed to the
video's ``frame_count(duration, fps) / fps`` seconds, so it matches the source within one
frame. A take without audio gives a file without a sound track.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from generators.progress import CancelToken
from renderers.avatar import Avatar
from studio.errors import ExportError
from studio.exporters.alpha_frames import straight_rgba, transparent_renderer
from studio.exporters.ffmpeg_pipe import FfmpegVideoWriter, ffmpeg_exe
from studio.exporters.frame_encoding import check_size
from studio.exporters.video import EncodedVideoExporter, RendererFactory

__all__ = ["FfmpegProresWriter", "ProresExporter"]

PROFILES = {"4444": "4444", "4444xq": "4444xq"}
"""ProRes profiles that carry alpha: option value -> ``prores_ks`` profile name."""


class FfmpegProresWriter(FfmpegVideoWriter):
    """Encode RGBA frames to a ProRes 4444 ``.mov`` with alpha (and PCM sound when given).

    Parameters are those of :class:`~studio.exporters.ffmpeg_pipe.FfmpegVideoWriter` (``crf``,
    ``preset`` and ``audio_bitrate`` are unused) plus ``profile`` (a key of :data:`PROFILES`).
    :meth:`write` takes ``(height, width, 4)`` uint8 RGBA with straight alpha. ``audio=None``
    writes no sound track.
    """

    channels = 4

    def __init__(self, dest: Path, *, profile: str = "4444", **kwargs: object) -> None:
        if profile not in PROFILES:
            raise ValueError(f"profile must be one of {sorted(PROFILES)}, got {profile!r}")
        super().__init__(dest, **kwargs)  # type: ignore[arg-type]
        self.profile = profile

    def command(self) -> list[str]:
        """The ffmpeg command line."""
        if self.audio is not None:
            audio_in = ["-i", str(self.audio)]
            audio_out = ["-map", "1:a:0", "-c:a", "pcm_s16le", "-ar", "48000", "-af", "apad"]
        else:
            audio_in, audio_out = [], []
        return [
            ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgba", "-s", f"{self.width}x{self.height}",
            "-framerate", f"{self.fps:g}", "-i", "pipe:0",
            *audio_in,
            "-map", "0:v:0",
            "-vf", "scale=out_color_matrix=bt709:out_range=tv",
            "-c:v", "prores_ks", "-profile:v", PROFILES[self.profile],
            "-pix_fmt", "yuva444p10le", "-alpha_bits", "16",
            "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
            *audio_out,
            "-t", f"{self.duration:.6f}",
            "-f", "mov", str(self.dest),
        ]  # fmt: skip



class ProresExporter(EncodedVideoExporter):
    """Render a take to a QuickTime ProRes 4444 with alpha (see the module).

    Parameters
    ----------
    width, height
        Frame size in pixels; odd values are rounded down to even.
    fps
        Frame rate; ``None`` uses the take's.
    profile
        ``"4444"`` (default) or ``"4444xq"`` (higher data rate).
    cancel
        Checked before every frame; a cancelled export leaves no file behind.
    renderer_factory
        Opens the renderer; defaults to a transparent
        :class:`renderers.avatar_renderer.AvatarRenderer`.

    Examples
    --------
    >>> ProresExporter(width=641, height=360).size
    (640, 360)
    """

    name = "prores-4444"
    extensions: tuple[str, ...] = (".mov",)

    def __init__(
        self,
        *,
        width: int = 1280,
        height: int = 720,
        fps: float | None = None,
        profile: str = "4444",
        cancel: CancelToken | None = None,
        renderer_factory: RendererFactory | None = None,
    ) -> None:
        check_size(width, height, fps, "ProRes")
        if profile not in PROFILES:
            raise ExportError(f"ProRes profile {profile!r} is not one of {sorted(PROFILES)}")
        self.width, self.height = int(width) // 2 * 2, int(height) // 2 * 2
        self.fps = fps
        self.profile = profile
        self.cancel = cancel
        self.renderer_factory = renderer_factory

    writer = FfmpegProresWriter
    what = "ProRes 4444"

    def convert(self, frame: np.ndarray) -> np.ndarray:
        """Straight-alpha RGBA for the ProRes encoder."""
        return straight_rgba(frame)

    def default_renderer(self, avatar: Avatar | None, width: int, height: int) -> Any:
        """The renderer without a backdrop."""
        return transparent_renderer(avatar, width, height)

    def encoder_options(self) -> dict[str, object]:
        """The ProRes profile."""
        return {"profile": self.profile}
