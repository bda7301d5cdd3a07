"""Textures of glTF materials: images, samplers, texture transforms, UVs and tangents.

:func:`read_surface` gives one primitive what its material's base colour and normal maps need:
the decoded :class:`~renderers.avatar.Texture` objects (decoded once per file by
:class:`GltfTextures`, see :mod:`renderers.loaders.image_decode`), the UV set the material
samples (``KHR_texture_transform`` applied at load time) and per-vertex tangents (``TANGENT``
when the file has it, else :func:`vertex_tangents`).

Images come from a bufferView (GLB), a ``data:`` URI or a file next to the ``.gltf`` (which must
stay inside the avatar's folder). A texture that cannot be used (corrupt, unsupported format,
missing file, a path escaping the folder) does not lose the avatar: the mesh loads without that
texture and :attr:`GltfTextures.notes` says why, one line each (the loader copies them to
:attr:`~renderers.avatar.Avatar.notes`). Morph targets' ``TEXCOORD``/``TANGENT`` deltas are
ignored: UVs stay fixed and tangents follow the deformed normal in the shader.

One UV set per mesh: the base colour map's ``texCoord`` (and transform) decides it; a normal map
sampling another set, or the same set with another transform, is left out with a note.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import numpy as np
import pygltflib as gl

from renderers.avatar import AlphaMode, Texture, WrapMode
from renderers.errors import AvatarError
from renderers.loaders.gltf_io import MAX_VERTICES, AccessorReader, BufferStore, fail
from renderers.loaders.image_decode import MAX_ENCODED_BYTES, decode_texture
from renderers.object_cache import ObjectCache

__all__ = [
    "MAX_TOTAL_TEXTURE_BYTES",
    "GltfTextures",
    "SurfaceMaps",
    "UvTransform",
    "read_surface",
    "textures_of",
    "vertex_tangents",
]

MAX_TOTAL_TEXTURE_BYTES = 1024 * 1024 * 1024
"""Most decoded texture bytes one avatar may hold; textures past it are left out."""

_WRAP: dict[int, WrapMode] = {33071: "clamp", 33648: "mirror", 10497: "repeat"}
_MIME = {"image/png": "PNG", "image/jpeg": "JPEG"}
_OTHER_SOURCES = {"KHR_texture_basisu": "KTX2", "EXT_texture_webp": "WebP",
                  "MSFT_texture_dds": "DDS", "EXT_texture_avif": "AVIF"}
_ALPHA_MODES: dict[str, AlphaMode] = {"OPAQUE": "opaque", "MASK": "mask", "BLEND": "blend"}
_DRAWN_WITHOUT = "the avatar is drawn without it"


@dataclass(frozen=True)
class UvTransform:
    """``KHR_texture_transform``: ``uv' = offset + R(rotation) @ (scale * uv)``.

    ``rotation`` turns the UVs counter-clockwise (in glTF's UV space, whose v axis points
    down the image), i.e. the image appears turned clockwise.

    Examples
    --------
    >>> t = UvTransform(offset=(0.5, 0.0), scale=(0.5, 1.0))
    >>> t.apply(np.array([[0.0, 0.0], [1.0, 1.0]])).tolist()
    [[0.5, 0.0], [1.0, 1.0]]
    """

    offset: tuple[float, float] = (0.0, 0.0)
    rotation: float = 0.0
    scale: tuple[float, float] = (1.0, 1.0)

    @property
    def is_identity(self) -> bool:
        """Whether the transform leaves UVs unchanged."""
        return self == UvTransform()

    def apply(self, uv: np.ndarray) -> np.ndarray:
        """Transform ``(V, 2)`` UVs (float64 in, float64 out)."""
        if self.is_identity:
            return uv
        c, s = math.cos(self.rotation), math.sin(self.rotation)
        u = uv[:, 0] * self.scale[0]
        v = uv[:, 1] * self.scale[1]
        return np.stack([c * u + s * v + self.offset[0], -s * u + c * v + self.offset[1]], 1)


@dataclass
class SurfaceMaps:
    """What one primitive's material samples, ready for :class:`~renderers.avatar.AvatarMesh`.

    Parameters
    ----------
    base_color, normal
        Decoded textures (``None`` when absent or left out).
    normal_scale
        ``normalTexture.scale``.
    uvs
        ``(V, 2)`` float32 UVs with the texture transform applied (``None`` without textures).
    tangents
        ``(V, 4)`` float32 avatar-space tangents (only with a normal map).
    alpha_mode, alpha_cutoff
        The material's alpha handling.
    """

    base_color: Texture | None = None
    normal: Texture | None = None
    normal_scale: float = 1.0
    uvs: np.ndarray | None = None
    tangents: np.ndarray | None = None
    alpha_mode: AlphaMode = "opaque"
    alpha_cutoff: float = 0.5


class GltfTextures:
    """Decodes a glTF file's textures once each and records why any were left out.

    Parameters
    ----------
    path
        The avatar file (external image paths are resolved next to it).
    doc
        Its document.
    buffers
        Its buffers (for images stored in bufferViews).
    """

    def __init__(self, path: Path, doc: gl.GLTF2, buffers: BufferStore) -> None:
        self.path = path
        self.doc = doc
        self.buffers = buffers
        self.notes: list[str] = []
        """One line per texture problem, in the order met."""
        self._cache: dict[tuple[int, bool], Texture | None] = {}
        self._decoded_bytes = 0

    def note(self, line: str) -> None:
        """Record ``line`` once."""
        if line not in self.notes:
            self.notes.append(line)

    def texture(self, index: Any, *, srgb: bool) -> Texture | None:
        """Texture ``index`` decoded (``None``, with a note, when it cannot be used)."""
        key = (index if isinstance(index, int) else -1, srgb)
        if key not in self._cache:
            try:
                self._cache[key] = self._load(index, srgb)
            except AvatarError as exc:
                message = str(exc)
                if not message.startswith(f"{self.path.name}: "):
                    message = f"{self.path.name}: {message}"
                self.note(f"{message} ({_DRAWN_WITHOUT})")
                self._cache[key] = None
        return self._cache[key]

    def _load(self, index: Any, srgb: bool) -> Texture:
        textures = self.doc.textures or []
        if not isinstance(index, int) or not 0 <= index < len(textures):
            raise fail(self.path, f"a material refers to missing texture {index}",
                       "re-export the avatar")
        tex = textures[index]
        if tex.source is None:
            exts = tex.extensions if isinstance(tex.extensions, dict) else {}
            kinds = sorted({v for k, v in _OTHER_SOURCES.items() if k in exts})
            found = f"stored only as {' / '.join(kinds)}" if kinds else "has no image"
            raise fail(self.path, f"texture {index} {found}",
                       "convert the textures to PNG or JPEG and re-export the avatar")
        data, name = self._image_bytes(tex.source)
        texture = decode_texture(data, name=name, srgb=srgb)
        texture = Texture(texture.pixels, texture.name, srgb, self._wrap(tex.sampler))
        self._decoded_bytes += texture.pixels.nbytes
        if self._decoded_bytes > MAX_TOTAL_TEXTURE_BYTES:
            raise fail(self.path, f"textures take more than {MAX_TOTAL_TEXTURE_BYTES // 2**20} "
                       f"MiB decoded; {name!r} is left out", "resize the textures")
        return texture

    def _wrap(self, sampler_index: Any) -> tuple[WrapMode, WrapMode]:
        samplers = self.doc.samplers or []
        if not isinstance(sampler_index, int) or not 0 <= sampler_index < len(samplers):
            return ("repeat", "repeat")
        s = samplers[sampler_index]
        return (_WRAP.get(s.wrapS, "repeat"), _WRAP.get(s.wrapT, "repeat"))  # type: ignore[arg-type]

    def _image_bytes(self, index: Any) -> tuple[bytes, str]:
        images = self.doc.images or []
        if not isinstance(index, int) or not 0 <= index < len(images):
            raise fail(self.path, f"a texture refers to missing image {index}",
                       "re-export the avatar")
        image = images[index]
        label = image.name or (unquote(image.uri) if image.uri and not
                               image.uri.startswith("data:") else f"image {index}")
        if image.mimeType is not None and image.mimeType not in _MIME:
            raise fail(self.path, f"texture {label!r} is {image.mimeType!r}, not PNG or JPEG",
                       "convert the texture to PNG or JPEG and re-export the avatar")
        if image.bufferView is not None:
            return self._from_view(image.bufferView, label), label
        if image.uri is None:
            raise fail(self.path, f"image {index} has neither data nor a file",
                       "re-export the avatar with its textures")
        if image.uri.startswith("data:"):
            return self._from_data_uri(image.uri, label), label
        return self._from_file(image.uri, label), label

    def _from_view(self, view_index: Any, label: str) -> bytes:
        views = self.doc.bufferViews or []
        if not isinstance(view_index, int) or not 0 <= view_index < len(views):
            raise fail(self.path, f"texture {label!r} refers to missing bufferView {view_index}",
                       "re-export the avatar")
        view = views[view_index]
        data = self.buffers.buffer(int(view.buffer))
        start, length = int(view.byteOffset or 0), int(view.byteLength or 0)
        if start < 0 or length <= 0 or start + length > len(data):
            raise fail(self.path, f"texture {label!r} lies outside its buffer",
                       "re-export or re-download the avatar")
        if length > MAX_ENCODED_BYTES:
            raise fail(self.path, f"texture {label!r} is larger than "
                       f"{MAX_ENCODED_BYTES // 2**20} MB", "resize the texture")
        return bytes(data[start : start + length])

    def _from_data_uri(self, uri: str, label: str) -> bytes:
        head, _, payload = uri.partition(",")
        mime = head[5:].split(";")[0]
        if mime and mime not in _MIME:
            raise fail(self.path, f"texture {label!r} is {mime!r}, not PNG or JPEG",
                       "convert the texture to PNG or JPEG and re-export the avatar")
        if ";base64" not in head:
            raise fail(self.path, f"texture {label!r} uses a non-base64 data URI",
                       "re-export the avatar as .glb")
        if len(payload) > MAX_ENCODED_BYTES * 4 // 3 + 4:
            raise fail(self.path, f"texture {label!r} is larger than "
                       f"{MAX_ENCODED_BYTES // 2**20} MB", "resize the texture")
        try:
            return base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise fail(self.path, f"texture {label!r} data URI is not valid base64",
                       "re-export the avatar") from None

    def _from_file(self, uri: str, label: str) -> bytes:
        rel = unquote(uri)
        folder = self.path.resolve().parent
        outside = fail(self.path, f"texture {uri!r} points outside the avatar's folder",
                       "keep textures next to the .gltf with relative paths, or export .glb")
        if "://" in rel or rel.startswith(("/", "\\")) or (len(rel) > 1 and rel[1] == ":"):
            raise outside
        target = (folder / rel).resolve()
        if folder not in target.parents:
            raise outside
        if not target.is_file():
            raise fail(self.path, f"texture file {uri!r} is missing",
                       "copy it next to the .gltf file, or export a single .glb")
        if target.stat().st_size > MAX_ENCODED_BYTES:
            raise fail(self.path, f"texture file {uri!r} is larger than "
                       f"{MAX_ENCODED_BYTES // 2**20} MB", "resize the texture")
        return target.read_bytes()


_PER_READER: ObjectCache[GltfTextures] = ObjectCache()


def textures_of(reader: AccessorReader) -> GltfTextures:
    """The :class:`GltfTextures` of the file ``reader`` reads (one per reader)."""
    return _PER_READER.get(reader, lambda: GltfTextures(reader.path, reader.doc, reader.buffers))


# -- one primitive -------------------------------------------------------------------------


def _transform(info: Any) -> tuple[UvTransform, int | None]:
    """The texture info's ``KHR_texture_transform`` and its ``texCoord`` override."""
    exts = getattr(info, "extensions", None)
    ext = exts.get("KHR_texture_transform") if isinstance(exts, dict) else None
    if not isinstance(ext, dict):
        return UvTransform(), None

    def pair(key: str, default: tuple[float, float]) -> tuple[float, float]:
        value = ext.get(key)
        if (isinstance(value, list) and len(value) == 2
                and all(isinstance(v, int | float) and math.isfinite(v) for v in value)):
            return float(value[0]), float(value[1])
        return default

    rotation = ext.get("rotation", 0.0)
    rotation = float(rotation) if isinstance(rotation, int | float) and \
        math.isfinite(rotation) else 0.0
    override = ext.get("texCoord")
    return (UvTransform(pair("offset", (0.0, 0.0)), rotation, pair("scale", (1.0, 1.0))),
            override if isinstance(override, int) else None)


def _tex_coord(info: Any) -> tuple[int, UvTransform]:
    transform, override = _transform(info)
    base = getattr(info, "texCoord", None)
    index = override if override is not None else (base if isinstance(base, int) else 0)
    return index, transform


def _read_uvs(reader: AccessorReader, prim: gl.Primitive, index: int,
              n_vert: int) -> np.ndarray | None:
    attrs = prim.attributes
    acc = getattr(attrs, f"TEXCOORD_{index}", None) if 0 <= index < 8 else None
    if acc is None or reader.count(acc) != n_vert:
        return None
    uv = reader.read(acc, max_count=MAX_VERTICES)
    if uv.ndim != 2 or uv.shape[1] != 2:
        return None
    return np.nan_to_num(uv, nan=0.0, posinf=0.0, neginf=0.0)


def read_surface(
    reader: AccessorReader,
    prim: gl.Primitive,
    material: gl.Material | None,
    positions: np.ndarray,
    normals: np.ndarray,
    triangles: np.ndarray,
    label: str,
    *,
    vectors: Callable[[np.ndarray], np.ndarray],
    mirrored: bool = False,
) -> SurfaceMaps:
    """Textures, UVs and tangents of one primitive.

    Parameters
    ----------
    reader
        The file's accessor reader.
    prim
        The primitive.
    material
        Its material (``None``: no textures).
    positions, normals
        ``(V, 3)`` avatar-space vertex data (after the node transform).
    triangles
        ``(T, 3)`` vertex indices (winding already fixed for mirroring transforms).
    label
        The mesh's name, for notes.
    vectors
        Maps ``(V, 3)`` directions of the file into avatar space (the node's linear transform,
        or the skinning), for ``TANGENT``.
    mirrored
        Whether that transform mirrors (flips the tangents' handedness).
    """
    out = SurfaceMaps()
    if material is None:
        return out
    out.alpha_mode = _ALPHA_MODES.get(str(material.alphaMode or "OPAQUE").upper(), "opaque")
    cutoff = material.alphaCutoff
    out.alpha_cutoff = float(cutoff) if isinstance(cutoff, int | float) and \
        math.isfinite(cutoff) else 0.5
    pbr = material.pbrMetallicRoughness
    base_info = pbr.baseColorTexture if pbr is not None else None
    normal_info = material.normalTexture
    if base_info is None and normal_info is None:
        return out
    textures = textures_of(reader)
    n_vert = positions.shape[0]
    where = f"{reader.path.name}: mesh {label!r}"
    chosen: tuple[int, UvTransform] | None = None
    uvs = None
    if base_info is not None:
        chosen = _tex_coord(base_info)
        uvs = _read_uvs(reader, prim, chosen[0], n_vert)
        if uvs is None:
            textures.note(f"{where} has no TEXCOORD_{chosen[0]} for its base colour texture "
                          f"({_DRAWN_WITHOUT})")
        else:
            out.base_color = textures.texture(base_info.index, srgb=True)
    if normal_info is not None:
        wanted = _tex_coord(normal_info)
        if chosen is not None and uvs is not None and wanted != chosen:
            textures.note(f"{where}: the normal map samples another UV set or transform than "
                          f"the base colour; only one set per mesh is supported, so "
                          f"{_DRAWN_WITHOUT}")
        elif uvs is None and chosen is not None:
            pass  # no UVs for the base colour either: already noted
        else:
            if uvs is None:
                chosen = wanted
                uvs = _read_uvs(reader, prim, wanted[0], n_vert)
            if uvs is None:
                textures.note(f"{where} has no TEXCOORD_{wanted[0]} for its normal map "
                              f"({_DRAWN_WITHOUT})")
            else:
                out.normal = textures.texture(normal_info.index, srgb=False)
                scale = getattr(normal_info, "scale", 1.0)
                out.normal_scale = float(scale) if isinstance(scale, int | float) and \
                    math.isfinite(scale) else 1.0
    if uvs is None or chosen is None or (out.base_color is None and out.normal is None):
        return out
    out.uvs = chosen[1].apply(uvs).astype(np.float32)
    if out.normal is not None:
        out.tangents = _tangents(reader, prim, n_vert, vectors, mirrored, normals) if \
            prim.attributes.TANGENT is not None else None
        if out.tangents is None:
            out.tangents = vertex_tangents(positions, normals, out.uvs, triangles)
    return out


def _tangents(reader: AccessorReader, prim: gl.Primitive, n_vert: int,
              vectors: Callable[[np.ndarray], np.ndarray], mirrored: bool,
              normals: np.ndarray) -> np.ndarray | None:
    acc = prim.attributes.TANGENT
    if reader.count(acc) != n_vert:
        return None
    t = reader.read(acc, max_count=MAX_VERTICES)
    if t.ndim != 2 or t.shape[1] != 4 or not np.all(np.isfinite(t)):
        return None
    xyz = np.asarray(vectors(t[:, :3]), dtype=np.float64)
    sign = np.where(t[:, 3] < 0, -1.0, 1.0) * (-1.0 if mirrored else 1.0)
    return _finish(xyz, sign, np.asarray(normals, dtype=np.float64))


def vertex_tangents(positions: np.ndarray, normals: np.ndarray, uvs: np.ndarray,
                    triangles: np.ndarray) -> np.ndarray:
    """Per-vertex tangents from UVs, glTF convention (``(V, 4)`` float32, handedness in w).

    Per-triangle tangents (the direction of increasing u) and bitangents (of decreasing v:
    glTF's v axis points down the image, a normal map's +Y up) are summed per vertex, the
    tangent is made orthogonal to the normal (Gram-Schmidt) and ``w`` is the sign that makes
    ``cross(normal, tangent) * w`` the bitangent. Vertices whose triangles have degenerate
    UVs get some tangent perpendicular to the normal.

    Examples
    --------
    >>> p = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], float)
    >>> n = np.tile([0.0, 0.0, 1.0], (3, 1))
    >>> uv = np.array([[0, 1], [1, 1], [0, 0]], float)  # image up = +y
    >>> vertex_tangents(p, n, uv, np.array([[0, 1, 2]]))[0].tolist()
    [1.0, 0.0, 0.0, 1.0]
    """
    p = np.asarray(positions, dtype=np.float64)
    n = np.asarray(normals, dtype=np.float64)
    uv = np.asarray(uvs, dtype=np.float64)
    tri = np.asarray(triangles, dtype=np.int64).reshape(-1, 3)
    e1 = p[tri[:, 1]] - p[tri[:, 0]]
    e2 = p[tri[:, 2]] - p[tri[:, 0]]
    du1 = uv[tri[:, 1], 0] - uv[tri[:, 0], 0]
    du2 = uv[tri[:, 2], 0] - uv[tri[:, 0], 0]
    dv1 = uv[tri[:, 0], 1] - uv[tri[:, 1], 1]  # flipped: +v up the image
    dv2 = uv[tri[:, 0], 1] - uv[tri[:, 2], 1]
    det = du1 * dv2 - du2 * dv1
    ok = np.abs(det) > 1e-20
    r = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)[:, None]
    sdir = (e1 * dv2[:, None] - e2 * dv1[:, None]) * r
    tdir = (e2 * du1[:, None] - e1 * du2[:, None]) * r
    tan = np.zeros_like(p)
    bit = np.zeros_like(p)
    for k in range(3):
        np.add.at(tan, tri[:, k], sdir)
        np.add.at(bit, tri[:, k], tdir)
    t = tan - n * np.sum(n * tan, axis=1, keepdims=True)
    sign = np.where(np.sum(np.cross(n, t) * bit, axis=1) < 0.0, -1.0, 1.0)
    return _finish(tan, sign, n)


def _finish(xyz: np.ndarray, sign: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """Unit tangents orthogonal to the normals; degenerate ones replaced by any perpendicular."""
    n = normals / np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-20)
    t = xyz - n * np.sum(n * xyz, axis=1, keepdims=True)
    length = np.linalg.norm(t, axis=1)
    bad = ~(length > 1e-12)
    if bad.any():
        helper = np.where(np.abs(n[bad, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
        t[bad] = np.cross(n[bad], np.cross(helper, n[bad]))
        length[bad] = np.linalg.norm(t[bad], axis=1)
    t = t / np.maximum(length, 1e-20)[:, None]
    return np.concatenate([t, sign[:, None]], axis=1).astype(np.float32)
