"""Live Link Face CSV (``.csv``): the take in the layout Epic's Live Link Face app records.

Column order. The header is Epic's, byte for byte, as the Live Link Face iOS app writes it
("Export CSV" of a take). Verified against real recordings from the app kept in
github.com/alexdjulin/LiveLinkFace-CSV-Retarget-For-Motionbuilder (``anim/alex_rom_3.csv``,
``anim/S07-001.csv``) and the identical header constant in github.com/nmfisher/blender_livelinkface
(``bpylivelinkface.py``). Note that it is *not* Apple's order: ``JawRight`` precedes ``JawLeft`` and
``MouthRight`` precedes ``MouthLeft``. Values are therefore mapped by name (ARKit
``eyeBlinkLeft`` -> ``EyeBlinkLeft``), never by position.

Timecode. ``HH:MM:SS:FF.fff`` as the app writes it (e.g. ``13:13:04:31.652``): ``FF`` counts
frames at the timecode rate (60 in the recordings above, whose rows step by two frames at 30 fps
capture) and ``.fff`` is the sub-frame fraction in thousandths. Takes start at 00:00:00:00.000.

Rotation units. The app writes head and eye rotation as angles normalised to -1..1, i.e. degrees
divided by 180 (Epic's ARKit face support, ``AppleARKitConversion.h``: "Map the -180..180 range to
-1..1"; the recordings above hold eye pitch values of about +-0.18). Our curves are in degrees,
so each angle is written as ``degrees / 180``; signs follow :class:`~renderers.pose.Pose` (positive
yaw toward the avatar's left, positive pitch down). We track no eye roll, so the roll columns are 0.
"""

from __future__ import annotations

import math

import numpy as np

from generators.take import Take
from renderers.arkit import ARKIT_INDEX
from studio.exporters.text_output import TextExporter

__all__ = [
    "BLENDSHAPE_COUNT",
    "LIVE_LINK_FACE_HEADER",
    "LiveLinkCsvExporter",
    "format_timecode",
]

LIVE_LINK_FACE_HEADER: str = (
    "Timecode,BlendShapeCount,EyeBlinkLeft,EyeLookDownLeft,EyeLookInLeft,EyeLookOutLeft,"
    "EyeLookUpLeft,EyeSquintLeft,EyeWideLeft,EyeBlinkRight,EyeLookDownRight,EyeLookInRight,"
    "EyeLookOutRight,EyeLookUpRight,EyeSquintRight,EyeWideRight,JawForward,JawRight,JawLeft,"
    "JawOpen,MouthClose,MouthFunnel,MouthPucker,MouthRight,MouthLeft,MouthSmileLeft,"
    "MouthSmileRight,MouthFrownLeft,MouthFrownRight,MouthDimpleLeft,MouthDimpleRight,"
    "MouthStretchLeft,MouthStretchRight,MouthRollLower,MouthRollUpper,MouthShrugLower,"
    "MouthShrugUpper,MouthPressLeft,MouthPressRight,MouthLowerDownLeft,MouthLowerDownRight,"
    "MouthUpperUpLeft,MouthUpperUpRight,BrowDownLeft,BrowDownRight,BrowInnerUp,BrowOuterUpLeft,"
    "BrowOuterUpRight,CheekPuff,CheekSquintLeft,CheekSquintRight,NoseSneerLeft,NoseSneerRight,"
    "TongueOut,HeadYaw,HeadPitch,HeadRoll,LeftEyeYaw,LeftEyePitch,LeftEyeRoll,RightEyeYaw,"
    "RightEyePitch,RightEyeRoll"
)
"""Epic's Live Link Face CSV header (**contract**)."""

BLENDSHAPE_COUNT: int = 61
"""The ``BlendShapeCount`` column: 52 ARKit shapes + 9 head/eye angles."""

_COLUMNS = LIVE_LINK_FACE_HEADER.split(",")[2:]
# Angle columns -> (curve, column of that curve); None: always 0 (we track no eye roll).
_ANGLES: dict[str, tuple[str, int] | None] = {
    "HeadYaw": ("head", 0), "HeadPitch": ("head", 1), "HeadRoll": ("head", 2),
    "LeftEyeYaw": ("eye", 0), "LeftEyePitch": ("eye", 1), "LeftEyeRoll": None,
    "RightEyeYaw": ("eye", 2), "RightEyePitch": ("eye", 3), "RightEyeRoll": None,
}  # fmt: skip


def _arkit_name(column: str) -> str:
    return column[0].lower() + column[1:]


assert len(_COLUMNS) == BLENDSHAPE_COUNT
assert {_arkit_name(c) for c in _COLUMNS if c not in _ANGLES} == set(ARKIT_INDEX)


def format_timecode(seconds: float, rate: int = 60) -> str:
    """Live Link Face's ``HH:MM:SS:FF.fff`` for a time in seconds at timecode ``rate``.

    Examples
    --------
    >>> format_timecode(0.0)
    '00:00:00:00.000'
    >>> format_timecode(1 / 30, rate=60)
    '00:00:00:02.000'
    >>> format_timecode(3661.5, rate=30)
    '01:01:01:15.000'
    """
    ticks = seconds * rate
    whole = math.floor(ticks + 1e-6)
    sub = min(999, max(0, round((ticks - whole) * 1000)))
    frames = whole % rate
    secs_total = whole // rate
    h, rem = divmod(secs_total, 3600)
    m, s = divmod(rem, 60)
    return f"{h:02d}:{m:02d}:{s:02d}:{frames:02d}.{sub:03d}"


class LiveLinkCsvExporter(TextExporter):
    """Write a take as a Live Link Face CSV (one row per frame of the take).

    Parameters
    ----------
    timecode_rate
        Frames per second of the ``Timecode`` column (Live Link Face's default is 60).
    decimals
        Decimals per value (the app writes 10).

    Examples
    --------
    >>> LiveLinkCsvExporter().extensions
    ('.csv',)
    """

    name = "livelink-csv"
    extensions: tuple[str, ...] = (".csv",)
    label = "Live Link Face CSV"

    def __init__(self, *, timecode_rate: int = 60, decimals: int = 10) -> None:
        if timecode_rate <= 0:
            raise ValueError("timecode_rate must be positive")
        self.timecode_rate = int(timecode_rate)
        self.decimals = int(decimals)

    def text(self, take: Take) -> str:
        """The CSV document for ``take``: Epic's header, then one row per frame."""
        table = self.table(take)
        fmt = f"%.{self.decimals}f"
        fps = float(take.curves.fps)
        lines = [LIVE_LINK_FACE_HEADER]
        for i, row in enumerate(table):
            values = ",".join(fmt % v for v in row)
            tc = format_timecode(i / fps, self.timecode_rate)
            lines.append(f"{tc},{BLENDSHAPE_COUNT},{values}")
        return "\n".join(lines) + "\n"

    @staticmethod
    def table(take: Take) -> np.ndarray:
        """The ``(N, 61)`` values in header order: weights 0..1, angles as degrees / 180."""
        curves = take.curves
        n = curves.num_frames
        sources = {
            "head": np.asarray(curves.head_rotation, dtype=np.float64) / 180.0,
            "eye": np.asarray(curves.eye_rotation, dtype=np.float64) / 180.0,
        }
        weights = np.clip(np.asarray(curves.weights, dtype=np.float64), 0.0, 1.0)
        out = np.zeros((n, len(_COLUMNS)), dtype=np.float64)
        for j, column in enumerate(_COLUMNS):
            if column in _ANGLES:
                ref = _ANGLES[column]
                if ref is not None:
                    out[:, j] = sources[ref[0]][:, ref[1]]
            else:
                out[:, j] = weights[:, ARKIT_INDEX[_arkit_name(column)]]
        return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)
