"""The 52 ARKit morph targets as smooth deformation fields.

Every ``...Left`` shape is built for the avatar's left (+X) side; its ``...Right`` twin is the
exact mirror image. Skin, brows and the mouth bag share the same fields, so they move together;
the inner lips copy the motion of the lip skin in front of them; teeth and tongue are rigid and
follow only the jaw (and tongueOut); eyelids move by sliding their edge over the eyeball (see
:mod:`.lids`); eyeballs get rotation deltas for the eyeLook shapes.

Fields that differ above and below the lips (jaw, lip shapes) are discontinuous only across
the lip slit: every side-dependent term is multiplied by :func:`slit_factor`, which is zero at
and beyond the mouth corners, so the mesh never tears.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from renderers.arkit import ARKIT_NAMES

from . import eyeframe as ef
from . import lids, socket, spec
from .assemble import Part
from .features import surface_point_z
from .meshkit import MIRROR, bump, mirror_map, plateau, smoothstep
from .skin import MM_PER_DEG, lower_lip_height, upper_lip_height

UC_MM = spec.MOUTH_HALF_WIDTH_DEG * MM_PER_DEG
"""Distance of the mouth corners from the midline in mouth coordinates (mm)."""


@dataclass
class Frame:
    """Per-vertex quantities of one part that the fields read.

    Attributes
    ----------
    p
        ``(V, 3)`` rest positions in the build frame (eye meshes: node-local + centre).
    u, v
        Mouth coordinates in mm: ``u`` across (+X), ``v`` up from the lip slit.
    side
        +1 above the slit, -1 below (copies of the slit row are told apart by it).
    kind
        What each vertex belongs to.
    jaw
        0..1 how much each vertex follows the jaw.
    guard
        0..1, 0 for skin tucked under the eyelids (kept still so it never shows).
    """

    p: np.ndarray
    u: np.ndarray
    v: np.ndarray
    side: np.ndarray
    kind: np.ndarray
    jaw: np.ndarray
    guard: np.ndarray


def _lon_lat(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon = np.degrees(np.arctan2(p[:, 0], p[:, 2]))
    lat = np.degrees(np.arcsin(np.clip(p[:, 1] / np.linalg.norm(p, axis=1), -1, 1)))
    return lon, lat


def slit_factor(u: np.ndarray) -> np.ndarray:
    """1 across the middle of the mouth, easing to 0 at and beyond the corners."""
    t = np.clip(np.abs(u) / UC_MM, 0.0, 1.0)
    return np.clip(1.0 - t**2.2, 0.0, 1.0) ** 0.55


def jaw_weight(u: np.ndarray, v: np.ndarray, side: np.ndarray, lon: np.ndarray,
               lat: np.ndarray) -> np.ndarray:
    """How much each skin vertex follows the jaw (1 on the chin, 0 above the upper lip)."""
    g = smoothstep(UC_MM - 4.0, UC_MM + 30.0, np.abs(u))
    s = smoothstep(2.0 + 12.0 * g, -4.0 - 18.0 * g, v)
    h = slit_factor(u)
    w = np.where(side > 0, s * (1 - h), s + (1 - s) * h)
    w *= 1.0 - smoothstep(52.0, 78.0, np.abs(lon))  # toward the ears
    w *= smoothstep(-80.0, -63.0, lat)  # the neck stays
    return w


def make_frame(part: Part) -> Frame:
    """Compute the field inputs of a part."""
    p = part.positions + part.translation
    lon, lat = _lon_lat(p)
    kind = part.kind if part.kind is not None else np.full(part.count, "other", dtype=object)
    if "lon" in part.attrs:
        has = ~np.isnan(part.attrs["lon"])
        lon = np.where(has, part.attrs["lon"], lon)
        lat = np.where(has, part.attrs["lat"], lat)
    u = lon * MM_PER_DEG
    v = (lat - spec.MOUTH_LAT_DEG) * MM_PER_DEG
    side = np.where(v >= 0, 1.0, -1.0)
    if "side" in part.attrs:
        s_attr = part.attrs["side"]
        skinlike = np.isin(kind, ["skin", "strip"])
        side = np.where(skinlike & ~np.isnan(s_attr) & (s_attr != 0), s_attr, side)
    if part.name == "TeethUpper":
        jaw = np.zeros(part.count)
        side = np.ones(part.count)
    elif part.name in ("TeethLower", "Tongue"):
        jaw = np.ones(part.count)
        side = -np.ones(part.count)
    elif part.name == "MouthInterior":
        jaw = smoothstep(6.0, -6.0, v)
    elif part.name in ("EyeLeft", "EyeRight", "Hair"):
        jaw = np.zeros(part.count)
    else:
        jaw = jaw_weight(u, v, side, lon, lat)
        jaw = np.where(np.isin(kind, ["lid", "lining", "ear", "brow"]), 0.0, jaw)
    guard = np.ones(part.count)
    if part.name == "Head":
        for sign in (1, -1):
            _, _, r = ef.to_angles(p, sign)
            guard *= smoothstep(spec.LID_RADIUS + 0.0005, spec.LID_RADIUS + 0.004, r)
        guard = np.where(kind == "skin", guard, 1.0)
    return Frame(p, u, v, side, kind, jaw, guard)


# -- jaw -----------------------------------------------------------------------------------


def rotate_x(p: np.ndarray, centre: np.ndarray, deg: float) -> np.ndarray:
    """Rotate points about the X-parallel axis through ``centre`` (positive opens the jaw)."""
    t = np.radians(deg)
    q = p - centre
    y = np.cos(t) * q[:, 1] - np.sin(t) * q[:, 2]
    z = np.sin(t) * q[:, 1] + np.cos(t) * q[:, 2]
    return np.stack([q[:, 0], y, z], axis=1) + centre


def jaw_motion(p: np.ndarray) -> np.ndarray:
    """Full rigid jaw-open displacement at each point."""
    rot = rotate_x(p, spec.JAW_HINGE, spec.JAW_OPEN_DEG) - p
    return rot + np.array([0.0, -0.0015, 0.0055])


def jaw_open(f: Frame) -> np.ndarray:
    """jawOpen: the chin drops and the lips part; the lower teeth and tongue ride along."""
    return f.jaw[:, None] * jaw_motion(f.p)


def jaw_forward(f: Frame) -> np.ndarray:
    """jawForward: the jaw slides toward +Z."""
    return f.jaw[:, None] * np.array([0.0, 0.0, 0.0065])


def jaw_left(f: Frame) -> np.ndarray:
    """jawLeft: the jaw slides toward the avatar's left (+X)."""
    return f.jaw[:, None] * np.array([0.0075, 0.0, -0.0008])


# -- lips ----------------------------------------------------------------------------------


def _lip_band(f: Frame, extra_mm: float) -> np.ndarray:
    """1 on the red of the lip on each vertex's side, fading ``extra_mm`` beyond it."""
    hu = upper_lip_height(f.u)
    hl = lower_lip_height(f.u)
    up = 1.0 - smoothstep(hu, hu + extra_mm, f.v)
    lo = 1.0 - smoothstep(hl, hl + extra_mm, -f.v)
    return np.where(f.side > 0, up, lo) * slit_factor(f.u)


def _mouth_area(f: Frame, pad_u: float, pad_up: float, pad_down: float) -> np.ndarray:
    """Smooth (side-independent) mask over the lips and some skin around them."""
    ru = UC_MM + pad_u
    rv = np.where(f.v >= 0, 6.0 + pad_up, 7.0 + pad_down)
    d = np.sqrt((f.u / ru) ** 2 + (f.v / rv) ** 2)
    return (1.0 - smoothstep(0.55, 1.0, d)) * smoothstep(-4.0, 8.0, f.p[:, 2] * 1000.0 - 40.0)


def _left(f: Frame, soft_mm: float = 6.0) -> np.ndarray:
    """0 on the right half, 1 on the left, with a smooth band across the midline."""
    return smoothstep(-0.25 * soft_mm, soft_mm, f.u)


def mouth_close(f: Frame) -> np.ndarray:
    """mouthClose: lips meet while the jaw is open (upper lip 30 %, lower lip 70 % of the way)."""
    band_up = (1.0 - smoothstep(0.0, 12.0, f.v)) * (f.side > 0)
    band_lo = (1.0 - smoothstep(0.0, 16.0, -f.v)) * (f.side < 0)
    h = slit_factor(f.u)[:, None]
    j = jaw_motion(f.p)
    d = h * (0.3 * band_up[:, None] * j - 0.7 * band_lo[:, None] * j)
    return d


def mouth_funnel(f: Frame) -> np.ndarray:
    """mouthFunnel: lips push forward and part into a rounded opening."""
    area = _mouth_area(f, 6.0, 5.0, 6.0)
    d = np.zeros_like(f.p)
    d[:, 2] += 0.0045 * area
    d[:, 0] += -0.30 * f.p[:, 0] * area
    lip = _lip_band(f, 10.0) * (1 - (f.u / UC_MM) ** 2).clip(0, 1) ** 0.5
    d[:, 1] += 0.0028 * lip * f.side
    d[:, 2] += 0.0012 * lip
    return d


def mouth_pucker(f: Frame) -> np.ndarray:
    """mouthPucker: lips pushed forward and gathered toward the middle, closed."""
    area = _mouth_area(f, 6.0, 6.0, 7.0)
    d = np.zeros_like(f.p)
    d[:, 2] += 0.0072 * area
    d[:, 0] += -0.42 * f.p[:, 0] * area
    d[:, 1] += -0.0008 * area * np.tanh(f.v / 3.0)
    return d


def mouth_left(f: Frame) -> np.ndarray:
    """mouthLeft: the whole mouth slides toward the avatar's left (+X)."""
    area = _mouth_area(f, 16.0, 8.0, 10.0)
    return area[:, None] * np.array([0.0065, 0.0, -0.0008])


def _corner(f: Frame, radius: float) -> np.ndarray:
    """Mask around the left mouth corner."""
    c = CORNER_LEFT
    d = (f.p - c) / np.array([radius, radius * 1.15, radius * 1.4])
    return bump(np.linalg.norm(d, axis=1))


CORNER_LEFT = np.zeros(3)
"""Rest position of the left mouth corner; set by :func:`build_targets`."""



def mouth_smile_left(f: Frame) -> np.ndarray:
    """mouthSmileLeft: the left corner lifts, widens and pulls back; the cheek bunches up."""
    m = _corner(f, 0.026) ** 1.1
    d = m[:, None] * np.array([0.0045, 0.0068, -0.0034])
    cheek = plateau(np.linalg.norm((f.p - CHEEK_UPPER_LEFT - np.array([0.0, -0.01, 0.0]))
                                   / np.array([0.02, 0.018, 0.03]), axis=1), 0.25)
    d += cheek[:, None] * np.array([0.0008, 0.0028, 0.0016])
    return d


def mouth_frown_left(f: Frame) -> np.ndarray:
    """mouthFrownLeft: the left corner is pulled down."""
    m = _corner(f, 0.022) ** 1.2
    return m[:, None] * np.array([0.0012, -0.0058, -0.0005])


def mouth_dimple_left(f: Frame) -> np.ndarray:
    """mouthDimpleLeft: the left corner is pulled back (and a little out)."""
    m = _corner(f, 0.02) ** 1.2
    return m[:, None] * np.array([0.0028, 0.0006, -0.0045])


def mouth_stretch_left(f: Frame) -> np.ndarray:
    """mouthStretchLeft: the left corner is pulled outward and down."""
    m = _corner(f, 0.024) ** 1.1
    d = m[:, None] * np.array([0.0055, -0.0032, -0.0018])
    lip = _lip_band(f, 8.0) * (f.side < 0) * _left(f)
    d[:, 1] += -0.0016 * lip
    return d


def mouth_press_left(f: Frame) -> np.ndarray:
    """mouthPressLeft: the left half of the lips presses together and thins."""
    lip = _lip_band(f, 4.0) * _left(f, 4.0)
    squeeze = np.clip(np.abs(f.v) / 3.0, 0.0, 1.0)
    d = np.zeros_like(f.p)
    d[:, 1] = -f.side * 0.0016 * squeeze * lip
    d[:, 2] = -0.0016 * lip
    return d


def mouth_lower_down_left(f: Frame) -> np.ndarray:
    """mouthLowerDownLeft: the left half of the lower lip drops, showing the lower teeth."""
    hl = lower_lip_height(f.u)
    band = (1.0 - smoothstep(hl, hl + 9.0, -f.v)) * (f.side < 0) * slit_factor(f.u)
    m = band * _left(f, 5.0)
    return m[:, None] * np.array([0.0002, -0.0056, 0.0007])


def mouth_upper_up_left(f: Frame) -> np.ndarray:
    """mouthUpperUpLeft: the left half of the upper lip rises, showing the upper teeth."""
    hu = upper_lip_height(f.u)
    band = (1.0 - smoothstep(hu, hu + 8.0, f.v)) * (f.side > 0) * slit_factor(f.u)
    m = band * _left(f, 5.0)
    d = m[:, None] * np.array([0.0002, 0.0052, 0.0009])
    ala = bump(np.linalg.norm((f.p - np.array([0.0095, -0.0215, 0.088])) / 0.009, axis=1))
    d += (ala * _left(f, 3.0))[:, None] * np.array([0.0, 0.0012, 0.0])
    return d


def mouth_roll(f: Frame, side: int) -> np.ndarray:
    """mouthRollLower/Upper: one lip rolls in behind the other."""
    band = _lip_band(f, 3.0) * (f.side * side > 0)
    strip = (f.kind == "strip") & (f.side * side > 0)
    d = np.zeros_like(f.p)
    d[:, 2] = -0.0042 * band
    d[:, 1] = -side * 0.0013 * band
    below = (1.0 - smoothstep(0.0, 8.0, np.abs(f.v) - np.where(side > 0, upper_lip_height(f.u),
                                                                  lower_lip_height(f.u))))
    rim = below * (f.side * side > 0) * slit_factor(f.u) * (1 - band)
    d[:, 1] += -side * 0.0025 * rim
    d[strip, 1] += side * 0.0015 * slit_factor(f.u[strip])
    return d


def mouth_shrug(f: Frame, side: int) -> np.ndarray:
    """mouthShrugLower/Upper: the lower lip and chin (or the upper lip) push up."""
    if side < 0:
        area = _mouth_area(f, 10.0, 0.0, 22.0)
        fade_up = 1.0 - 0.35 * smoothstep(0.0, 6.0, f.v)
        d = (area * fade_up)[:, None] * np.array([0.0, 0.0036, 0.0016])
        chin = plateau(np.linalg.norm((f.p - CHIN) / np.array([0.022, 0.02, 0.03]), axis=1), 0.3)
        return d + chin[:, None] * np.array([0.0, 0.0024, 0.0014])
    area = _mouth_area(f, 8.0, 10.0, 0.0)
    fade_down = 1.0 - 0.3 * smoothstep(0.0, 6.0, -f.v)
    return (area * fade_down)[:, None] * np.array([0.0, 0.0034, 0.0010])


# -- cheeks, nose, brows -------------------------------------------------------------------


def _on_skin(x: float, y: float) -> np.ndarray:
    """The skin point seen straight from the front at ``(x, y)``."""
    return surface_point_z(np.array([x]), np.array([y]))[0]


PUFF_LEFT = _on_skin(0.044, -0.038)
"""Middle of the left cheek's puff."""

CHEEK_UPPER_LEFT = _on_skin(0.036, -0.012)
"""Where the left cheek rises toward the eye."""

NOSE_WING_LEFT = _on_skin(0.0095, -0.019)
"""Left wing of the nose."""

CHIN = _on_skin(0.0, -0.082)
"""Front of the chin."""


def cheek_puff(f: Frame) -> np.ndarray:
    """cheekPuff: both cheeks balloon outward; the lips push forward a little."""
    d = np.zeros_like(f.p)
    for sign in (1, -1):
        c = PUFF_LEFT * np.array([sign, 1.0, 1.0])
        m = plateau(np.linalg.norm((f.p - c) / np.array([0.026, 0.026, 0.03]), axis=1), 0.2)
        out = f.p - np.array([0.0, f.p[:, 1].mean(), 0.028])
        out[:, 1] = 0.0
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
        d += 0.0085 * m[:, None] * out
    d[:, 2] += 0.0012 * _mouth_area(f, 4.0, 4.0, 4.0)
    return d


def cheek_squint_left(f: Frame) -> np.ndarray:
    """cheekSquintLeft: the left cheek rises toward the eye."""
    m = plateau(np.linalg.norm((f.p - CHEEK_UPPER_LEFT) / np.array([0.02, 0.016, 0.025]),
                               axis=1), 0.25)
    return m[:, None] * np.array([0.0006, 0.0036, 0.0012])


def nose_sneer_left(f: Frame) -> np.ndarray:
    """noseSneerLeft: the left side of the nose wrinkles up."""
    m = plateau(np.linalg.norm((f.p - NOSE_WING_LEFT) / np.array([0.011, 0.012, 0.02]), axis=1),
                0.25)
    d = m[:, None] * np.array([0.0006, 0.0032, -0.0004])
    root = bump(np.linalg.norm((f.p - np.array([0.007, 0.018, 0.082])) / 0.012, axis=1))
    d += root[:, None] * np.array([-0.0004, -0.0012, 0.0])
    return d


def _brow_mask(f: Frame, centre: tuple[float, float, float], radii: tuple[float, float, float]
               ) -> np.ndarray:
    return plateau(np.linalg.norm((f.p - np.asarray(centre)) / np.asarray(radii), axis=1), 0.3)


def brow_down_left(f: Frame) -> np.ndarray:
    """browDownLeft: the left brow lowers and draws in."""
    m = _brow_mask(f, (0.028, 0.031, 0.074), (0.032, 0.017, 0.04))
    inner = 1.15 - 0.5 * smoothstep(0.012, 0.05, f.p[:, 0])
    return (m * inner)[:, None] * np.array([-0.0016, -0.0045, 0.0009])


def brow_inner_up(f: Frame) -> np.ndarray:
    """browInnerUp: both inner brows rise."""
    d = np.zeros_like(f.p)
    for sign in (1, -1):
        m = _brow_mask(f, (0.016 * sign, 0.031, 0.079), (0.025, 0.024, 0.04))
        d += m[:, None] * np.array([0.0006 * sign, 0.0062, -0.0004])
    mid = _brow_mask(f, (0.0, 0.05, 0.075), (0.03, 0.03, 0.05))
    d[:, 1] += 0.0015 * mid
    return d


def brow_outer_up_left(f: Frame) -> np.ndarray:
    """browOuterUpLeft: the outer end of the left brow rises."""
    m = _brow_mask(f, (0.047, 0.029, 0.066), (0.026, 0.024, 0.04))
    return m[:, None] * np.array([0.0004, 0.0062, -0.0004])


# -- eyes ----------------------------------------------------------------------------------

EdgeMove = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _lid_shape(part: Part, sign: int, move: EdgeMove, lift: float = 0.0) -> np.ndarray:
    """Deltas of one eye's lid vertices when its edges move.

    ``move(a, edges)`` returns new ``(upper, lower)`` edge elevations for columns ``a``.
    """
    at = part.attrs
    d = np.zeros((part.count, 3))
    mine = (part.kind == "lid") & (at.get("eye", np.zeros(part.count)) == sign)
    a, off, t, side = at["a"][mine], at["off"][mine], at["t"][mine], at["side"][mine]
    r = at["r"][mine]
    up0, lo0 = ef.upper_edge(a), ef.lower_edge(a)
    up1, lo1 = move(a, np.stack([up0, lo0]))
    corner = side == 0
    edge0 = np.where(side > 0, up0, np.where(side < 0, lo0, ef.corner_line(a)))
    edge1 = np.where(side > 0, up1, np.where(side < 0, lo1, ef.corner_line(a)))
    sgn = np.where(corner, 1.0, side)
    b0 = lids.row_elevation(edge0, off, t, sgn)
    b1 = lids.row_elevation(edge1, off, t, sgn)
    r1 = r + lift * (side < 0) * (1 - t) * ef.openness(a)
    d[mine] = lids.positions(sign, a, b1, r1) - lids.positions(sign, a, b0, r)
    return d


def _travel(a: np.ndarray) -> np.ndarray:
    return socket.travel_profile(a)


def blink(a: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both edges meet on the closing line."""
    c = ef.closed_edge(a)
    return c, c


def squint(a: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The lower lid rises a third of the way, the upper lid drops a little."""
    h = e[0] - e[1]
    return e[0] - 0.07 * h, e[1] + 0.36 * h


def wide(a: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The upper lid retracts, showing white above the iris."""
    k = _travel(a)
    return e[0] + 9.0 * k, e[1] - 2.5 * k


def look_up(a: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lids follow an upward gaze."""
    k = _travel(a)
    return e[0] + 4.0 * k, e[1] + 3.0 * k


def look_down(a: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lids follow a downward gaze (the upper lid drops a lot)."""
    k = _travel(a)
    return e[0] - 13.0 * k, e[1] - 4.0 * k


def _look_side(shift: float) -> EdgeMove:
    def move(a: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = _travel(a)
        a2 = a - shift * k
        return (ef.upper_edge(a2) * k + e[0] * (1 - k), ef.lower_edge(a2) * k + e[1] * (1 - k))

    return move


EYE_LOOK_DEG = {"Up": (-22.0, 0.0), "Down": (26.0, 0.0), "In": (0.0, -28.0), "Out": (0.0, 28.0)}
"""Eyeball rotation of each eyeLook shape of the left eye: (pitch about X, yaw about Y)."""


def eyeball_rotation(positions: np.ndarray, pitch: float, yaw: float) -> np.ndarray:
    """Deltas that rotate node-local eyeball vertices (positive yaw turns the front to +X)."""
    p, y = np.radians(pitch), np.radians(yaw)
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    return positions @ (ry @ rx).T - positions


# -- assembly ------------------------------------------------------------------------------

SkinField = Callable[[Frame], np.ndarray]

LEFT_FIELDS: dict[str, SkinField] = {
    "mouthSmileLeft": mouth_smile_left,
    "mouthFrownLeft": mouth_frown_left,
    "mouthDimpleLeft": mouth_dimple_left,
    "mouthStretchLeft": mouth_stretch_left,
    "mouthPressLeft": mouth_press_left,
    "mouthLowerDownLeft": mouth_lower_down_left,
    "mouthUpperUpLeft": mouth_upper_up_left,
    "browDownLeft": brow_down_left,
    "browOuterUpLeft": brow_outer_up_left,
    "cheekSquintLeft": cheek_squint_left,
    "noseSneerLeft": nose_sneer_left,
    "jawLeft": jaw_left,
    "mouthLeft": mouth_left,
}

CENTRE_FIELDS: dict[str, SkinField] = {
    "jawOpen": jaw_open,
    "jawForward": jaw_forward,
    "mouthClose": mouth_close,
    "mouthFunnel": mouth_funnel,
    "mouthPucker": mouth_pucker,
    "mouthRollLower": lambda f: mouth_roll(f, -1),
    "mouthRollUpper": lambda f: mouth_roll(f, 1),
    "mouthShrugLower": lambda f: mouth_shrug(f, -1),
    "mouthShrugUpper": lambda f: mouth_shrug(f, 1),
    "cheekPuff": cheek_puff,
    "browInnerUp": brow_inner_up,
}

LID_MOVES: dict[str, EdgeMove] = {
    "eyeBlink": blink,
    "eyeSquint": squint,
    "eyeWide": wide,
    "eyeLookUp": look_up,
    "eyeLookDown": look_down,
    "eyeLookIn": _look_side(-5.0),
    "eyeLookOut": _look_side(5.0),
}

MIRROR_NAMES = {"jawLeft": "jawRight", "mouthLeft": "mouthRight"}


def _right_name(name: str) -> str:
    return MIRROR_NAMES.get(name, name.replace("Left", "Right"))


def _skin_targets(part: Part, frame: Frame) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    skinlike = ~np.isin(frame.kind, ["lid", "lining", "eye", "hair"])
    g = (frame.guard * skinlike)[:, None]
    for name, field in {**CENTRE_FIELDS, **LEFT_FIELDS}.items():
        out[name] = field(frame) * g
    if part.name in ("TeethUpper", "TeethLower", "Tongue"):  # rigid: only the jaw moves them
        out = {n: (d if n.startswith("jaw") else np.zeros_like(d)) for n, d in out.items()}
    if part.name == "Tongue":
        z = frame.p[:, 2]
        f = smoothstep(z.min(), z.max(), z) ** 1.3
        out["tongueOut"] = f[:, None] * np.array([0.0, -0.0045, 0.029])
        out["tongueOut"][:, 0] = -0.25 * frame.p[:, 0] * f
    else:
        out["tongueOut"] = np.zeros_like(frame.p)
    return out


def _eye_targets(part: Part, frame: Frame, out: dict[str, np.ndarray]) -> None:
    if part.name == "Head":
        for base, move in LID_MOVES.items():
            lift = 0.00035 if base == "eyeSquint" else 0.0
            out[base + "Left"] = out.get(base + "Left", 0) + _lid_shape(part, 1, move, lift)
        # squinting also lifts the cheek just under the left eye a little
        c = ef.eye_centre(1) + np.array([0.0, -0.017, 0.008])
        m = bump(np.linalg.norm((frame.p - c) / np.array([0.016, 0.01, 0.02]), axis=1))
        m = m * frame.guard * (frame.kind == "skin")
        out["eyeSquintLeft"] = out["eyeSquintLeft"] + m[:, None] * np.array([0.0, 0.0016, 0.0006])
    if part.name == "EyeLeft":
        for look, (pitch, yaw) in EYE_LOOK_DEG.items():
            out[f"eyeLook{look}Left"] = eyeball_rotation(part.positions, pitch, yaw)


def _strip_weights(part: Part, k: int = 6) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each inner-lip vertex, its nearest lip-skin vertices on the same side, and weights.

    The inner lips then move exactly like the lip skin that covers them, so no shape pushes
    the skin through them.
    """
    strip = np.flatnonzero(part.kind == "strip")
    side = part.attrs["side"]
    pos = part.positions
    near_mouth = (part.kind == "skin") & (np.abs(pos[:, 0]) < 0.045) & (
        np.abs(pos[:, 1] - pos[strip, 1].mean()) < 0.03) & (pos[:, 2] > 0.05)
    nbrs = np.zeros((strip.size, k), dtype=np.int64)
    wts = np.zeros((strip.size, k))
    for n, i in enumerate(strip):
        cand = np.flatnonzero(near_mouth & (side == side[i]))
        dist = np.linalg.norm(pos[cand] - pos[i], axis=1)
        order = np.argsort(dist, kind="stable")[:k]
        w = 1.0 / np.maximum(dist[order], 1e-5) ** 2
        nbrs[n], wts[n] = cand[order], w / w.sum()
    return strip, nbrs, wts


def _follow_lips(part: Part, out: dict[str, np.ndarray]) -> None:
    """Give the inner-lip vertices the motion of the lip skin in front of them."""
    strip, nbrs, wts = _strip_weights(part)
    for d in out.values():
        d[strip] = (d[nbrs] * wts[..., None]).sum(axis=1)


def _mirror_targets(part: Part, out: dict[str, np.ndarray]) -> None:
    """Add every Right shape as the mirror image of its Left twin (within this part)."""
    tag = part.tag if part.tag is not None else np.zeros(part.count, dtype=np.int64)
    m = mirror_map(part.positions, tag, tol=2e-6)
    for name in list(out):
        if name.endswith("Left") or name in MIRROR_NAMES:
            out[_right_name(name)] = out[name][m] * MIRROR
        else:
            out[name] = 0.5 * (out[name] + out[name][m] * MIRROR)  # exactly symmetric


def build_targets(parts: list[Part]) -> None:
    """Fill ``part.targets`` (all 52 ARKit names, Apple's order) for every part."""
    global CORNER_LEFT
    head = next(p for p in parts if p.name == "Head")
    corner = head.landmarks["upperLipEdge"][-1]
    CORNER_LEFT = head.positions[corner].copy()
    by_name = {p.name: p for p in parts}
    for part in parts:
        if part.name == "Hair":
            continue
        frame = make_frame(part)
        if part.name in ("EyeLeft", "EyeRight"):
            out = {n: np.zeros_like(part.positions) for n in ARKIT_NAMES}
            if part.name == "EyeLeft":
                _eye_targets(part, frame, out)
            part.targets = out
            continue
        out = _skin_targets(part, frame)
        if part.name == "Head":
            _follow_lips(part, out)
        for base in LID_MOVES:
            out.setdefault(base + "Left", np.zeros_like(part.positions))
        _eye_targets(part, frame, out)
        _mirror_targets(part, out)
        part.targets = {n: out.get(n, np.zeros_like(part.positions)) for n in ARKIT_NAMES}
    # the right eyeball mirrors the left one
    left, right = by_name["EyeLeft"], by_name["EyeRight"]
    m = mirror_map(left.positions, np.zeros(left.count, dtype=np.int64))
    for name in ARKIT_NAMES:
        if name.endswith("Left"):
            right.targets[_right_name(name)] = left.targets[name][m] * MIRROR
