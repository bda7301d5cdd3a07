"""Put the parts together: one record per glTF mesh, with what the morph targets need."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import eyeframe as ef
from . import eyes, features, hair, lids, mouth, skin, socket
from .meshkit import MIRROR, mirror_map, symmetrize, vertex_normals


@dataclass
class Part:
    """One glTF mesh under construction (build frame, node-local for the eyes).

    Parameters
    ----------
    name
        Node and mesh name.
    material
        Material key (see :mod:`.glb`).
    positions, triangles, colors
        Geometry; colours multiply the material's base colour.
    translation
        Node translation (build frame); the eyes' centres, zero otherwise.
    kind
        Per vertex, what it belongs to (``"skin"``, ``"lid"``, ...).
    attrs
        Per-vertex parameters for the morph targets (NaN where not applicable).
    tag
        Per-vertex tags that tell coincident vertices apart for mirror matching.
    targets
        ARKit name -> ``(V, 3)`` deltas, filled by :mod:`.shapes`.
    """

    name: str
    material: str
    positions: np.ndarray
    triangles: np.ndarray
    colors: np.ndarray
    translation: np.ndarray = field(default_factory=lambda: np.zeros(3))
    kind: np.ndarray | None = None
    attrs: dict[str, np.ndarray] = field(default_factory=dict)
    tag: np.ndarray | None = None
    targets: dict[str, np.ndarray] = field(default_factory=dict)
    landmarks: dict[str, list[int]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        """Number of vertices."""
        return int(self.positions.shape[0])

    def normals(self) -> np.ndarray:
        """Smooth vertex normals (mirror-symmetric when the part is)."""
        n = vertex_normals(self.positions, self.triangles)
        if "field_w" in self.attrs:
            w = np.nan_to_num(self.attrs["field_w"])[:, None]
            fn = np.stack([self.attrs[k] for k in ("field_nx", "field_ny", "field_nz")], axis=1)
            n = np.where(w > 0, n * (1 - w) + np.nan_to_num(fn) * w, n)
        if self.tag is not None and self.name != "Hair":
            m = mirror_map(self.positions, self.tag)
            n = symmetrize(n, m, vector=True)
            n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-20)
        return n


class _HeadBuilder:
    """Concatenates head pieces, tracking per-vertex kind, attributes and tags."""

    def __init__(self) -> None:
        self.pos: list[np.ndarray] = []
        self.col: list[np.ndarray] = []
        self.tris: list[np.ndarray] = []
        self.kind: list[np.ndarray] = []
        self.tag: list[np.ndarray] = []
        self.attrs: list[dict[str, np.ndarray]] = []
        self.count = 0

    def add(self, pos: np.ndarray, tris: np.ndarray, col: np.ndarray, kind: str,
            tag: int | np.ndarray, attrs: dict[str, np.ndarray] | None = None) -> int:
        start = self.count
        n = pos.shape[0]
        self.pos.append(pos)
        self.col.append(col)
        self.tris.append(tris + start)
        self.kind.append(np.full(n, kind, dtype=object))
        self.tag.append(np.broadcast_to(np.asarray(tag), (n,)).astype(np.int64))
        self.attrs.append(attrs or {})
        self.count += n
        return start

    def add_raw_triangles(self, tris: np.ndarray) -> None:
        self.tris.append(tris)

    def build(self) -> Part:
        keys = sorted({k for a in self.attrs for k in a})
        attrs = {}
        for k in keys:
            attrs[k] = np.concatenate([a.get(k, np.full(p.shape[0], np.nan))
                                       for a, p in zip(self.attrs, self.pos, strict=True)])
        return Part(
            name="Head", material="skin", positions=np.concatenate(self.pos),
            triangles=np.concatenate(self.tris), colors=np.concatenate(self.col),
            kind=np.concatenate(self.kind), attrs=attrs, tag=np.concatenate(self.tag),
        )


def build_head() -> Part:
    """The Head mesh: skin, inner lips, eyelids, ears and brows."""
    sk = skin.build_skin()
    cut, remap = socket.cut_openings(sk.piece)
    up_edge = remap[sk.slit_upper]
    lo_edge = remap[sk.slit_lower]
    if (up_edge < 0).any() or (lo_edge < 0).any():
        raise RuntimeError("the eye openings cut into the lips")
    hb = _HeadBuilder()
    skin_attrs = dict(cut.attrs)
    hb.add(cut.positions, cut.triangles, cut.colors, "skin", cut.tag, skin_attrs)
    for side, edge in ((1, up_edge), (-1, lo_edge)):
        strip = mouth.build_strip(cut.positions[edge], sk.slit_lon, side)
        n_edge = edge.size
        rows = strip.positions.shape[0] // n_edge
        lon = np.tile(sk.slit_lon, rows)
        start = hb.add(strip.positions, np.zeros((0, 3), dtype=np.int64), strip.colors,
                       "strip", 2 if side > 0 else 3,
                       {"lon": np.full(lon.shape, np.nan), "lat": np.full(lon.shape, np.nan),
                        "side": np.full(lon.shape, float(side)), "depth": strip.depth})
        t = strip.triangles
        neg = t < 0
        t = np.where(neg, edge[np.where(neg, -t - 1, 0)], t + start)
        hb.add_raw_triangles(t)
    for sign in (1, -1):
        lid = lids.build_lids(sign)
        hb.add(lid.positions, lid.triangles, lid.colors, "lid", 4, lid.attrs)
    for sign in (1, -1):
        lining = lids.build_lining(sign)
        col = np.clip(lining.colors, 0.0, 1.0)
        hb.add(lining.positions, lining.triangles, col, "lining", 7)
    for sign in (1, -1):
        ear = features.build_ear(sign)
        hb.add(ear.positions, ear.triangles, ear.colors, "ear", 5)
    for sign in (1, -1):
        brow = features.build_brow(sign)
        col = np.clip(brow.colors / skin.SKIN_TONE, 0.0, 1.0)
        hb.add(brow.positions, brow.triangles, col, "brow", 6, brow.attrs)
    head = hb.build()
    _symmetrize_positions(head)
    head.landmarks = _head_landmarks(head, up_edge, lo_edge)
    return head


def _symmetrize_positions(part: Part) -> None:
    """Make mirror pairs exact mirror images (removes round-off asymmetry)."""
    m = mirror_map(part.positions, part.tag, tol=2e-6)
    part.positions = symmetrize(part.positions, m, vector=True)
    mid = m == np.arange(part.count)
    part.positions[mid, 0] = 0.0


def _head_landmarks(head: Part, up_edge: np.ndarray, lo_edge: np.ndarray) -> dict[str, list[int]]:
    """Vertex groups other tools and tests can rely on."""
    marks: dict[str, list[int]] = {}
    lid = head.kind == "lid"
    rim = lid & (head.attrs["off"] == 0) & (head.attrs["t"] == 0)
    for sign, name in ((1, "Left"), (-1, "Right")):
        mine = rim & (head.attrs["eye"] == sign)
        up = mine & (head.attrs["side"] > 0)
        lo = mine & (head.attrs["side"] < 0)
        a = head.attrs["a"]
        order_up = np.flatnonzero(up)[np.argsort(a[up])]
        order_lo = np.flatnonzero(lo)[np.argsort(a[lo])]
        marks[f"upperLidEdge{name}"] = order_up.tolist()
        marks[f"lowerLidEdge{name}"] = order_lo.tolist()
    marks["upperLipEdge"] = up_edge.tolist()
    marks["lowerLipEdge"] = lo_edge.tolist()
    marks["mouthCornerLeft"] = [int(up_edge[-1])]
    marks["mouthCornerRight"] = [int(up_edge[0])]
    brow = head.kind == "brow"
    s = head.attrs["s"]
    x = head.positions[:, 0]
    for side, name in ((1, "Left"), (-1, "Right")):
        mine = brow & (np.sign(x) == side)
        marks[f"brow{name}"] = np.flatnonzero(mine).tolist()
        marks[f"browInner{name}"] = np.flatnonzero(mine & (s <= 0.25)).tolist()
        marks[f"browOuter{name}"] = np.flatnonzero(mine & (s >= 0.75)).tolist()
    skin_idx = np.flatnonzero(head.kind == "skin")

    def nearest(point: tuple[float, float, float]) -> list[int]:
        d = np.linalg.norm(head.positions[skin_idx] - np.asarray(point), axis=1)
        return [int(skin_idx[np.argmin(d)])]

    marks["chin"] = nearest((0.0, -0.088, 0.07))
    for side, name in ((1, "Left"), (-1, "Right")):
        marks[f"cheek{name}"] = nearest((0.046 * side, -0.038, 0.07))
        marks[f"cheekUpper{name}"] = nearest((0.036 * side, -0.012, 0.078))
        marks[f"noseWing{name}"] = nearest((0.0095 * side, -0.019, 0.088))
    return marks


def build_eye(sign: int) -> Part:
    """An eyeball mesh (node-local) with its node translation."""
    ball = eyes.build_eyeball()
    name = "EyeLeft" if sign > 0 else "EyeRight"
    return Part(name, "eye", ball.positions, ball.triangles, ball.colors,
                translation=ef.eye_centre(sign), kind=np.full(ball.count, "eye", dtype=object),
                tag=np.zeros(ball.count, dtype=np.int64))


def build_parts() -> list[Part]:
    """Every mesh of the default head, in drawing order."""
    head = build_head()
    parts = [head, build_eye(1), build_eye(-1)]
    for upper in (True, False):
        t = mouth.build_teeth(upper)
        parts.append(Part("TeethUpper" if upper else "TeethLower", "teeth", t.positions,
                          t.triangles, t.colors, kind=np.full(t.count, "teeth", dtype=object),
                          tag=np.zeros(t.count, dtype=np.int64)))
    tongue = mouth.build_tongue()
    parts.append(Part("Tongue", "tongue", tongue.positions, tongue.triangles, tongue.colors,
                      kind=np.full(tongue.count, "tongue", dtype=object),
                      tag=np.zeros(tongue.count, dtype=np.int64)))
    bag = mouth.build_mouth_bag()
    parts.append(Part("MouthInterior", "mouth", bag.positions, bag.triangles, bag.colors,
                      kind=np.full(bag.count, "bag", dtype=object),
                      tag=np.zeros(bag.count, dtype=np.int64)))
    h = hair.build_hair()
    parts.append(Part("Hair", "hair", h.positions, h.triangles, h.colors,
                      kind=np.full(h.count, "hair", dtype=object)))
    for p in parts:
        if p.tag is not None and p.name not in ("Head", "Hair"):
            _symmetrize_positions(p)
    return parts


__all__ = ["MIRROR", "Part", "build_parts"]
