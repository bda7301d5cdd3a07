"""Textures: PNG/JPEG decoding, glTF texture reading, and textured rendering on real GL.

The avatars are real ``.glb`` files written into ``tmp_path``: a flat, camera-facing square
(u left to right, v top to bottom, as an image lies) with generated textures, and the
evaluation ``facecap_plain.glb`` with a texture added to its material.
"""

from __future__ import annotations

import base64
import io
import json
import math
import struct
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pygltflib as gl
import pytest
from PIL import Image

from renderers.avatar import Avatar, AvatarMesh, Material, Texture
from renderers.errors import AvatarError
from renderers.loaders.gltf import SKIN_FALLBACK, load_gltf
from renderers.loaders.gltf_textures import UvTransform, vertex_tangents
from renderers.loaders.image_decode import (
    MAX_TEXTURE_SIDE,
    decode_texture,
)
from renderers.pose import Pose
from tests.renderers.helpers import changed, foreground, project, renderer

SIZE = (240, 240)
HALF = 0.1
"""Half the side of the test square, metres."""

RED, BLUE = (255, 0, 0, 255), (0, 0, 255, 255)
FLAT_NORMAL = (128, 128, 255, 255)


# -- building test files -------------------------------------------------------------------


def png(pixels: np.ndarray) -> bytes:
    """PNG bytes of ``(H, W, C)`` uint8 pixels."""
    out = io.BytesIO()
    Image.fromarray(np.asarray(pixels, dtype=np.uint8)).save(out, format="PNG")
    return out.getvalue()


def halves(left: tuple[int, ...], right: tuple[int, ...], size: int = 32) -> np.ndarray:
    """``(size, size, 4)`` RGBA: ``left`` on the left half of the image, ``right`` on the other."""
    px = np.zeros((size, size, 4), dtype=np.uint8)
    px[:, : size // 2] = left
    px[:, size // 2 :] = right
    return px


def solid(color: tuple[int, ...], size: int = 8) -> np.ndarray:
    return np.tile(np.asarray(color, dtype=np.uint8), (size, size, 1))


def square(n: int = 9) -> dict[str, np.ndarray]:
    """An ``n`` x ``n`` grid square at z = 0 facing +Z; UV (0, 0) at its top-left corner."""
    t = np.linspace(0.0, 1.0, n)
    u, v = np.meshgrid(t, t)
    pos = np.stack([(u.ravel() - 0.5) * 2 * HALF, (0.5 - v.ravel()) * 2 * HALF,
                    np.zeros(n * n)], 1)
    tris = []
    for r in range(n - 1):
        for c in range(n - 1):
            a = r * n + c
            tris += [(a, a + n, a + 1), (a + 1, a + n, a + n + 1)]  # counter-clockwise from +Z
    return {
        "POSITION": pos.astype(np.float32),
        "NORMAL": np.tile(np.float32([0, 0, 1]), (n * n, 1)),
        "TEXCOORD_0": np.stack([u.ravel(), v.ravel()], 1).astype(np.float32),
        "indices": np.asarray(tris, dtype=np.uint32).ravel(),
    }


class GlbWriter:
    """A minimal glTF writer for test files: accessors, raw bufferViews, the JSON."""

    def __init__(self) -> None:
        self.blob = bytearray()
        self.doc: dict[str, Any] = {"asset": {"version": "2.0"}, "accessors": [],
                                    "bufferViews": []}

    def view(self, data: bytes) -> int:
        self.blob += b"\0" * ((-len(self.blob)) % 4)
        self.doc["bufferViews"].append({"buffer": 0, "byteOffset": len(self.blob),
                                        "byteLength": len(data)})
        self.blob += data
        return len(self.doc["bufferViews"]) - 1

    def accessor(self, arr: np.ndarray) -> int:
        arr = np.ascontiguousarray(arr)
        ctype = {np.dtype(np.float32): 5126, np.dtype(np.uint32): 5125}[arr.dtype]
        width = 1 if arr.ndim == 1 else arr.shape[1]
        acc = {"bufferView": self.view(arr.tobytes()), "componentType": ctype,
               "count": int(arr.shape[0]), "type": {1: "SCALAR", 2: "VEC2", 3: "VEC3",
                                                    4: "VEC4"}[width]}
        if width == 3:
            acc["min"] = arr.min(axis=0).tolist()
            acc["max"] = arr.max(axis=0).tolist()
        self.doc["accessors"].append(acc)
        return len(self.doc["accessors"]) - 1

    def save(self, path: Path) -> Path:
        self.doc["buffers"] = [{"byteLength": len(self.blob)}]
        if path.suffix == ".gltf":
            self.doc["buffers"][0]["uri"] = "data:application/octet-stream;base64," + \
                base64.b64encode(bytes(self.blob)).decode("ascii")
            path.write_text(json.dumps(self.doc))
            return path
        text = json.dumps(self.doc).encode()
        text += b" " * ((-len(text)) % 4)
        blob = bytes(self.blob) + b"\0" * ((-len(self.blob)) % 4)
        total = 12 + 8 + len(text) + 8 + len(blob)
        path.write_bytes(struct.pack("<4sII", b"glTF", 2, total)
                         + struct.pack("<I4s", len(text), b"JSON") + text
                         + struct.pack("<I4s", len(blob), b"BIN\0") + blob)
        return path


def square_file(
    path: Path,
    *,
    base: bytes | None = None,
    normal: bytes | None = None,
    images: list[dict[str, Any]] | None = None,
    material: dict[str, Any] | None = None,
    sampler: dict[str, Any] | None = None,
    extra_attributes: dict[str, np.ndarray] | None = None,
    n: int = 9,
    name: str = "Face",
) -> Path:
    """The textured square as ``.glb``/``.gltf``.

    ``base``/``normal`` are image bytes stored in bufferViews as textures 0 and 1 (``images``
    replaces them with raw image objects, e.g. ``{"uri": "skin.png"}``); ``material`` is
    merged into the material (default: base colour texture 0, normal texture 1 when given).
    """
    w = GlbWriter()
    geo = square(n)
    attrs = {k: w.accessor(v) for k, v in geo.items() if k != "indices"}
    for key, value in (extra_attributes or {}).items():
        attrs[key] = w.accessor(value)
    jaw = np.zeros_like(geo["POSITION"])
    jaw[geo["POSITION"][:, 1] < 0, 1] = -0.01  # a jawOpen shape: the lower half drops
    prim = {"attributes": attrs, "indices": w.accessor(geo["indices"]), "material": 0,
            "targets": [{"POSITION": w.accessor(jaw)}]}
    if images is None:
        images = []
        for data in (base, normal):
            if data is not None:
                images.append({"bufferView": w.view(data), "mimeType": "image/png"})
    w.doc["images"] = images
    w.doc["samplers"] = [sampler or {}]
    w.doc["textures"] = [{"source": i, "sampler": 0} for i in range(len(images))]
    mat: dict[str, Any] = {"name": "Skin", "pbrMetallicRoughness": {"metallicFactor": 0.0}}
    if images:
        mat["pbrMetallicRoughness"]["baseColorTexture"] = {"index": 0}
    if normal is not None:
        mat["normalTexture"] = {"index": 1}
    for key, value in (material or {}).items():
        if isinstance(value, dict) and isinstance(mat.get(key), dict):
            mat[key] = {**mat[key], **value}
        else:
            mat[key] = value
    gmesh = {"name": name, "primitives": [prim], "extras": {"targetNames": ["jawOpen"]}}
    w.doc.update({"materials": [mat], "meshes": [gmesh],
                  "nodes": [{"name": name, "mesh": 0}], "scenes": [{"nodes": [0]}], "scene": 0})
    if not w.doc["images"]:
        for key in ("images", "samplers", "textures"):
            del w.doc[key]
    return w.save(path)


def square_camera_points(r, u: float, v: float) -> tuple[int, int]:
    """Pixel ``(x, y)`` where the square's UV point ``(u, v)`` is drawn."""
    point = [(u - 0.5) * 2 * HALF, (0.5 - v) * 2 * HALF, 0.0]
    x, y = project(r.camera, r.size, np.asarray([point]))[0]
    return int(round(x)), int(round(y))


def render(avatar: Avatar, **kwargs: Any) -> tuple[np.ndarray, Any]:
    with renderer(avatar, *SIZE, **kwargs) as r:
        image = r.render(Pose())
        return image, (r.camera, r.size, foreground(r))


def pixel(image: np.ndarray, view: tuple, u: float, v: float) -> np.ndarray:
    camera, size, _ = view
    point = [(u - 0.5) * 2 * HALF, (0.5 - v) * 2 * HALF, 0.0]
    x, y = project(camera, size, np.asarray([point]))[0]
    return image[int(round(y)), int(round(x))].astype(int)


# -- image decoding ------------------------------------------------------------------------


def test_decode_png_modes_to_rgba():
    rgba = halves(RED, (0, 0, 255, 128))
    assert np.array_equal(decode_texture(png(rgba), name="a.png").pixels, rgba)
    rgb = decode_texture(png(rgba[..., :3]), name="b.png", srgb=False)
    assert rgb.srgb is False and rgb.size == (32, 32)
    assert rgb.pixels[0, 0].tolist() == [255, 0, 0, 255]
    grey = decode_texture(png(np.full((4, 6), 77, np.uint8)), name="g.png")
    assert grey.size == (6, 4) and grey.pixels[2, 3].tolist() == [77, 77, 77, 255]
    wide = io.BytesIO()
    Image.fromarray(np.full((3, 3), 65535 // 3, np.uint16)).save(wide, format="PNG")
    assert decode_texture(wide.getvalue(), name="16.png").pixels[0, 0, 0] == 85
    palette = Image.fromarray(rgba[..., :3]).convert("P", palette=Image.Palette.ADAPTIVE)
    out = io.BytesIO()
    palette.save(out, format="PNG")
    assert decode_texture(out.getvalue(), name="p.png").pixels[0, 0].tolist() == [255, 0, 0, 255]


def test_decode_jpeg():
    out = io.BytesIO()
    Image.fromarray(halves(RED, BLUE)[..., :3]).save(out, format="JPEG", quality=95)
    tex = decode_texture(out.getvalue(), name="skin.jpg")
    assert tex.size == (32, 32)
    assert np.abs(tex.pixels[16, 4, :3].astype(int) - [255, 0, 0]).max() < 20
    assert np.abs(tex.pixels[16, 28, :3].astype(int) - [0, 0, 255]).max() < 20


def _png_declaring(width: int, height: int) -> bytes:
    """A 1x1 PNG whose header is patched to declare ``width`` x ``height`` (valid CRC)."""
    data = bytearray(png(np.zeros((1, 1, 3), np.uint8)))
    ihdr = 8 + 8  # signature, chunk length + type
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr - 4 : ihdr + 13]))
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", crc)
    return bytes(data)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (png(solid(RED))[:40], "corrupt or truncated"),
        (b"", "empty"),
        (b"not an image at all", "not PNG or JPEG"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 \x00\x00", "a WebP image, not PNG or JPEG"),
        (_png_declaring(100_000, 100_000), f"limit {MAX_TEXTURE_SIDE} on a side"),
        (_png_declaring(8192, 4097), "over 64 MiB decoded"),
    ],
    ids=["truncated", "empty", "garbage", "webp", "huge-side", "huge-area"],
)
def test_decode_rejects_bad_images_with_one_line_messages(data, words):
    start = time.perf_counter()
    with pytest.raises(AvatarError) as info:
        decode_texture(data, name="skin.png")
    message = str(info.value)
    assert words in message and "'skin.png'" in message and "\n" not in message
    assert time.perf_counter() - start < 1.0  # refused from the header, nothing decoded


def test_unknown_formats_say_to_use_png_or_jpeg():
    with pytest.raises(AvatarError, match="convert the texture to PNG or JPEG"):
        decode_texture(b"GIF89a" + b"\0" * 20, name="anim.gif")


# -- loading glTF textures -----------------------------------------------------------------


def test_glb_texture_pixels_uvs_and_default_sampler(tmp_path):
    base = halves(RED, BLUE)
    avatar = load_gltf(square_file(tmp_path / "sq.glb", base=png(base)))
    (mesh,) = avatar.meshes
    tex = mesh.material.base_color_texture
    assert tex is not None and tex.srgb and tex.wrap == ("repeat", "repeat")
    assert np.array_equal(tex.pixels, base)
    np.testing.assert_array_equal(mesh.uvs, square()["TEXCOORD_0"])
    assert mesh.material.base_color == (1.0, 1.0, 1.0, 1.0)  # no fallback colour
    assert mesh.tangents is None and mesh.material.normal_texture is None
    assert avatar.notes == []


def test_texture_transform_is_applied_to_the_uvs(tmp_path):
    # The extension's own example: the lower-left quadrant of the image, turned 90 degrees.
    ext = {"KHR_texture_transform": {"offset": [0, 1], "rotation": math.pi / 2,
                                     "scale": [0.5, 0.5]}}
    path = square_file(tmp_path / "sq.glb", base=png(halves(RED, BLUE)),
                       material={"pbrMetallicRoughness": {
                           "baseColorTexture": {"index": 0, "extensions": ext}}})
    (mesh,) = load_gltf(path).meshes
    corners = {(0.0, 0.0): (0.0, 1.0), (1.0, 0.0): (0.0, 0.5), (0.0, 1.0): (0.5, 1.0),
               (1.0, 1.0): (0.5, 0.5)}
    raw = square()["TEXCOORD_0"]
    for before, after in corners.items():
        k = int(np.flatnonzero(np.all(raw == before, axis=1))[0])
        np.testing.assert_allclose(mesh.uvs[k], after, atol=1e-6)
    assert UvTransform(offset=(0.5, 0.25)).apply(np.array([[0.0, 0.0]])).tolist() == \
        [[0.5, 0.25]]


def test_tex_coord_1_is_used_when_the_material_asks(tmp_path):
    uv1 = square()["TEXCOORD_0"][:, ::-1].copy()
    path = square_file(tmp_path / "sq.glb", base=png(halves(RED, BLUE)),
                       material={"pbrMetallicRoughness": {
                           "baseColorTexture": {"index": 0, "texCoord": 1}}},
                       extra_attributes={"TEXCOORD_1": uv1})
    (mesh,) = load_gltf(path).meshes
    np.testing.assert_array_equal(mesh.uvs, uv1)


def test_normal_map_scale_wrap_and_generated_tangents(tmp_path):
    path = square_file(tmp_path / "sq.glb", base=png(solid(RED)), normal=png(solid(FLAT_NORMAL)),
                       material={"normalTexture": {"index": 1, "scale": 0.5}},
                       sampler={"wrapS": 33071, "wrapT": 33648})
    (mesh,) = load_gltf(path).meshes
    mat = mesh.material
    assert mat.normal_texture is not None and mat.normal_texture.srgb is False
    assert mat.normal_scale == 0.5
    assert mat.base_color_texture.wrap == ("clamp", "mirror")
    # u runs along +x and the image's up (decreasing v) along +y: tangent +x, w = +1.
    np.testing.assert_allclose(mesh.tangents, np.tile([1, 0, 0, 1], (mesh.vertex_count, 1)),
                               atol=1e-6)


def test_tangent_attribute_is_read_when_present(tmp_path):
    n = square()["POSITION"].shape[0]
    given = np.tile(np.float32([0, 1, 0, -1]), (n, 1))
    path = square_file(tmp_path / "sq.glb", base=png(solid(RED)), normal=png(solid(FLAT_NORMAL)),
                       extra_attributes={"TANGENT": given})
    (mesh,) = load_gltf(path).meshes
    np.testing.assert_allclose(mesh.tangents, given, atol=1e-6)


def test_vertex_tangents_follow_mirrored_uvs():
    geo = square(3)
    uv = geo["TEXCOORD_0"].copy()
    uv[:, 1] = 1.0 - uv[:, 1]  # image upside down on the square: bitangent flips
    tan = vertex_tangents(geo["POSITION"], geo["NORMAL"], uv, geo["indices"].reshape(-1, 3))
    np.testing.assert_allclose(tan, np.tile([1, 0, 0, -1], (9, 1)), atol=1e-6)


def test_external_image_file_and_data_uri(tmp_path):
    (tmp_path / "skin.png").write_bytes(png(halves(RED, BLUE)))
    path = square_file(tmp_path / "sq.gltf", images=[{"uri": "skin.png"}])
    tex = load_gltf(path).meshes[0].material.base_color_texture
    assert tex is not None and tex.name == "skin.png" and tex.pixels[0, 0].tolist() == list(RED)
    uri = "data:image/png;base64," + base64.b64encode(png(solid(BLUE))).decode()
    tex = load_gltf(square_file(tmp_path / "d.gltf", images=[{"uri": uri}])).meshes[0] \
        .material.base_color_texture
    assert tex is not None and tex.pixels[3, 3].tolist() == list(BLUE)


@pytest.mark.parametrize(
    ("image", "words"),
    [
        ({"uri": "../outside.png"}, "points outside the avatar's folder"),
        ({"uri": "/etc/passwd"}, "points outside the avatar's folder"),
        ({"uri": "missing.png"}, "texture file 'missing.png' is missing"),
        ({"uri": "data:image/webp;base64,UklGRg=="}, "'image/webp', not PNG or JPEG"),
        ({"uri": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA"}, "corrupt or truncated"),
        ({"uri": "data:image/png;base64,***"}, "not valid base64"),
        ({"uri": "data:image/png;base64,"
          + base64.b64encode(_png_declaring(100_000, 100_000)).decode()}, "limit 8192 on a side"),
    ],
    ids=["escape", "absolute", "missing", "webp-mime", "corrupt", "bad-base64", "huge"],
)
def test_unusable_textures_load_untextured_with_a_note(tmp_path, image, words):
    folder = tmp_path / "avatar"
    folder.mkdir()
    (tmp_path / "outside.png").write_bytes(png(solid(RED)))
    avatar = load_gltf(square_file(folder / "sq.gltf", images=[image]))
    (mesh,) = avatar.meshes
    assert mesh.material.base_color_texture is None and mesh.uvs is None
    assert mesh.part == "skin" and mesh.material.base_color == SKIN_FALLBACK
    (note,) = avatar.notes
    assert words in note and "drawn without it" in note and "\n" not in note


def test_corrupt_png_in_a_glb_is_noted_and_the_mesh_still_loads(tmp_path):
    bad = png(halves(RED, BLUE))[:60]
    avatar = load_gltf(square_file(tmp_path / "sq.glb", base=bad, normal=bad))
    (mesh,) = avatar.meshes
    assert mesh.vertex_count == 81 and mesh.material.base_color_texture is None
    assert len(avatar.notes) == 2  # one per image
    assert all("corrupt or truncated" in note for note in avatar.notes)


def test_texture_only_in_ktx2_is_noted(tmp_path):
    path = square_file(tmp_path / "sq.glb", base=png(solid(RED)))
    doc = gl.GLTF2().load(str(path))
    doc.textures[0].source = None
    doc.textures[0].extensions = {"KHR_texture_basisu": {"source": 0}}
    doc.extensionsUsed = ["KHR_texture_basisu"]
    doc.save(str(path))
    avatar = load_gltf(path)
    assert "stored only as KTX2" in avatar.notes[0]
    assert avatar.meshes[0].material.base_color_texture is None


def test_normal_map_on_another_uv_set_is_left_out_with_a_note(tmp_path):
    path = square_file(tmp_path / "sq.glb", base=png(solid(RED)), normal=png(solid(FLAT_NORMAL)),
                       material={"normalTexture": {"index": 1, "texCoord": 1}},
                       extra_attributes={"TEXCOORD_1": square()["TEXCOORD_0"]})
    avatar = load_gltf(path)
    mat = avatar.meshes[0].material
    assert mat.base_color_texture is not None and mat.normal_texture is None
    assert "another UV set" in avatar.notes[0]


def test_alpha_mode_and_cutoff_are_read(tmp_path):
    path = square_file(tmp_path / "sq.glb", base=png(solid(RED)),
                       material={"alphaMode": "MASK", "alphaCutoff": 0.25})
    mat = load_gltf(path).meshes[0].material
    assert (mat.alpha_mode, mat.alpha_cutoff) == ("mask", 0.25)


# -- rendering -----------------------------------------------------------------------------


@pytest.mark.parametrize("shading", ["pixel", "vertex"])
def test_rendered_square_shows_the_texture_halves(tmp_path, shading):
    avatar = load_gltf(square_file(tmp_path / "sq.glb", base=png(halves(RED, BLUE)), n=33))
    image, view = render(avatar, shading=shading)
    for v in (0.2, 0.5, 0.8):
        left, right = pixel(image, view, 0.25, v), pixel(image, view, 0.75, v)
        assert left[0] > 120 and left[0] > 4 * max(left[1], left[2], 10), left
        assert right[2] > 120 and right[2] > 4 * max(right[0], right[1], 10), right


@pytest.mark.parametrize(
    ("wrap", "expected"),
    [(10497, "RBRB"), (33648, "RBBR"), (33071, "RBBB")],
    ids=["repeat", "mirror", "clamp"],
)
def test_wrap_modes(tmp_path, wrap, expected):
    ext = {"KHR_texture_transform": {"scale": [2.0, 1.0]}}
    path = square_file(tmp_path / "sq.glb", base=png(halves(RED, BLUE)), sampler={"wrapS": wrap},
                       material={"pbrMetallicRoughness": {
                           "baseColorTexture": {"index": 0, "extensions": ext}}})
    image, view = render(load_gltf(path), shading="pixel")
    seen = ""
    for u in (0.125, 0.375, 0.625, 0.875):
        c = pixel(image, view, u, 0.5)
        seen += "R" if c[0] > c[2] else "B"
    assert seen == expected


def test_colour_texture_is_srgb_decoded_like_base_color(tmp_path):
    """A mid-grey sRGB texel lights like the same colour given as a (linear) base colour."""
    grey_srgb = 128
    linear = ((grey_srgb / 255 + 0.055) / 1.055) ** 2.4
    textured = load_gltf(square_file(tmp_path / "t.glb", base=png(solid((128, 128, 128, 255)))))
    plain = load_gltf(square_file(tmp_path / "p.glb", material={
        "pbrMetallicRoughness": {"baseColorFactor": [linear, linear, linear, 1.0]}}))
    a, view = render(textured, shading="pixel")
    b, _ = render(plain, shading="pixel")
    mask = view[2]
    assert mask.sum() > 1000
    diff = np.abs(a.astype(int) - b.astype(int))[mask]
    assert diff.mean() < 1.5 and diff.max() <= 6


def test_normal_map_changes_shading_and_flat_map_does_not(tmp_path):
    def avatar(normal_color):
        name = "none" if normal_color is None else "_".join(map(str, normal_color))
        return load_gltf(square_file(tmp_path / f"{name}.glb",
                                     base=png(solid((200, 200, 200, 255))),
                                     normal=png(solid(normal_color)) if normal_color else None))

    none, view = render(avatar(None), shading="pixel")
    flat, _ = render(avatar(FLAT_NORMAL), shading="pixel")
    mask = view[2]
    assert np.abs(flat.astype(int) - none.astype(int))[mask].mean() < 1.5
    # Key light from the upper left: normals tilted left or up get brighter.
    left, _ = render(avatar((40, 128, 200, 255)), shading="pixel")
    right, _ = render(avatar((216, 128, 200, 255)), shading="pixel")
    up, _ = render(avatar((128, 216, 200, 255)), shading="pixel")
    down, _ = render(avatar((128, 40, 200, 255)), shading="pixel")

    def brightness(img: np.ndarray) -> float:
        return float(img[mask].mean())

    assert changed(right, flat)[mask].mean() > 0.5
    assert brightness(left) > brightness(right) + 10
    assert brightness(up) > brightness(down) + 5


@pytest.mark.parametrize("yaw", [0.0, 30.0, -30.0])
def test_normal_map_lights_like_the_same_tilt_in_the_geometry(tmp_path, yaw):
    """A tilted normal map shades like normals tilted the same way, also with the head turned.

    The tangent frame must turn with the head: were it left behind, the mapped normal would
    point elsewhere once the head turns.
    """
    tilt = np.array([40, 128, 200], dtype=np.float64) / 255 * 2 - 1
    tilt /= np.linalg.norm(tilt)  # tangent +x, bitangent +y, normal +z on the square
    base = png(solid((200, 200, 200, 255)))
    mapped = load_gltf(square_file(tmp_path / "mapped.glb", base=base,
                                   normal=png(solid((40, 128, 200, 255)))))
    n = square()["POSITION"].shape[0]
    bent = load_gltf(square_file(tmp_path / "bent.glb", base=base, extra_attributes={
        "NORMAL": np.tile(tilt.astype(np.float32), (n, 1))}))
    pose = Pose()
    pose.head_rotation[:] = (yaw, 10.0, 0.0)
    images = []
    for avatar in (mapped, bent):
        # No baked occlusion: it depends on the vertex normals, which differ on purpose.
        with renderer(avatar, *SIZE, shading="pixel", ambient_occlusion=False) as r:
            images.append(r.render(pose).astype(int))
            mask = foreground(r)
    assert mask.sum() > 1000
    assert np.abs(images[0] - images[1])[mask].mean() < 1.5


def test_alpha_mask_cuts_away_pixels_below_the_cutoff(tmp_path):
    px = halves((255, 0, 0, 0), (255, 0, 0, 255))
    masked = load_gltf(square_file(tmp_path / "m.glb", base=png(px),
                                   material={"alphaMode": "MASK"}))
    with renderer(masked, *SIZE, shading="pixel") as r:
        r.render(Pose())
        mask = foreground(r)
        lx, ly = square_camera_points(r, 0.25, 0.5)
        rx, ry = square_camera_points(r, 0.75, 0.5)
    assert not mask[ly, lx] and mask[ry, rx]


@pytest.mark.parametrize("samples", [0, 4], ids=["backdrop-first", "msaa-backdrop-last"])
def test_alpha_blend_mixes_with_what_is_behind(tmp_path, samples):
    def draw(alpha: int, mode: str) -> tuple[np.ndarray, tuple]:
        avatar = load_gltf(square_file(tmp_path / f"{alpha}{mode}.glb",
                                       base=png(solid((255, 0, 0, alpha))),
                                       material={"alphaMode": mode}))
        return render(avatar, shading="pixel", samples=samples)

    opaque, view = draw(128, "OPAQUE")
    half, _ = draw(128, "BLEND")
    clear, _ = draw(0, "BLEND")
    for u, v in ((0.5, 0.5), (0.2, 0.8), (0.8, 0.3)):
        s, b, t = (pixel(img, view, u, v) for img in (opaque, half, clear))
        assert s[0] > s[1] + 120  # opaque ignores the alpha
        assert t.max() - t.min() < 10  # alpha 0: only the grey backdrop
        np.testing.assert_allclose(b, 0.502 * s + 0.498 * t, atol=4)
    with renderer(load_gltf(tmp_path / "128BLEND.glb"), *SIZE, shading="pixel",
                  transparent=True, samples=samples) as r:
        rgba = r.render(Pose())
        x, y = square_camera_points(r, 0.5, 0.5)
    assert abs(int(rgba[y, x, 3]) - 128) <= 2


def test_meshes_sharing_a_texture_upload_it_once():
    tex = Texture(halves(RED, BLUE), "shared")
    geo = square(5)

    def mesh(name: str, dx: float) -> AvatarMesh:
        return AvatarMesh(name, "skin", geo["POSITION"] + np.float32([dx, 0, 0]), geo["NORMAL"],
                          geo["indices"].reshape(-1, 3), material=Material(base_color_texture=tex),
                          uvs=geo["TEXCOORD_0"])

    avatar = Avatar("two", [mesh("a", -0.11), mesh("b", 0.11)])
    with renderer(avatar, 160, 120) as r:
        r.render(Pose())
        r.render(Pose())
        assert len(r._textures) == 1


def test_meshes_without_uvs_ignore_textures():
    geo = square(5)
    mesh = AvatarMesh("a", "skin", geo["POSITION"], geo["NORMAL"], geo["indices"].reshape(-1, 3),
                      material=Material(base_color_texture=Texture(solid(BLUE))))
    plain = AvatarMesh("a", "skin", geo["POSITION"], geo["NORMAL"], geo["indices"].reshape(-1, 3))
    a, _ = render(Avatar("t", [mesh]))
    b, _ = render(Avatar("p", [plain]))
    assert np.array_equal(a, b)


# -- a real face mesh ----------------------------------------------------------------------


FACECAP_TRANSFORM = {"offset": [0.00724834995, 0.0100790262],
                     "scale": [0.000238723238, 0.000239208952]}
"""The transform ``facecap.glb`` maps its quantized (0..4095) UVs into the texture with."""


def test_facecap_with_an_added_texture(evaldata, tmp_path):
    doc = gl.GLTF2().load(str(evaldata / "meshes" / "facecap" / "facecap_plain.glb"))
    blob = bytearray(doc.binary_blob())
    blob += b"\0" * ((-len(blob)) % 4)
    data = png(halves(RED, BLUE, 64))
    doc.bufferViews.append(gl.BufferView(buffer=0, byteOffset=len(blob), byteLength=len(data)))
    blob += data
    doc.buffers[0].byteLength = len(blob)
    doc.images = [gl.Image(bufferView=len(doc.bufferViews) - 1, mimeType="image/png")]
    doc.textures = [gl.Texture(source=0)]
    for mat in doc.materials:
        mat.pbrMetallicRoughness.baseColorTexture = gl.TextureInfo(
            index=0, extensions={"KHR_texture_transform": FACECAP_TRANSFORM})
    doc.extensionsUsed = ["KHR_texture_transform"]
    doc.set_binary_blob(bytes(blob))
    path = tmp_path / "facecap_textured.glb"
    doc.save_binary(str(path))

    avatar = load_gltf(path)
    assert avatar.notes == []
    skin = avatar.mesh("skin")
    assert np.array_equal(skin.material.base_color_texture.pixels, halves(RED, BLUE, 64))
    # The UVs are the file's TEXCOORD_0, read on their own here.
    (prim,) = [p for m in doc.meshes for p in m.primitives
               if doc.accessors[p.attributes.POSITION].count == skin.vertex_count]
    acc = doc.accessors[prim.attributes.TEXCOORD_0]
    view = doc.bufferViews[acc.bufferView]
    dtype = {gl.FLOAT: "<f4", gl.UNSIGNED_SHORT: "<u2", gl.UNSIGNED_BYTE: "<u1"}[acc.componentType]
    item = np.dtype(dtype).itemsize * 2
    stride = view.byteStride or item
    start = (view.byteOffset or 0) + (acc.byteOffset or 0)
    raw = np.frombuffer(bytes(blob), np.uint8, offset=start,
                        count=stride * (acc.count - 1) + item)
    rows = np.lib.stride_tricks.as_strided(raw, (acc.count, item), (stride, 1)).copy()
    uv = rows.view(dtype).reshape(acc.count, 2).astype(np.float64)
    if acc.normalized:
        uv /= np.iinfo(np.dtype(dtype)).max
    assert uv.max() > 4000  # quantized: the transform brings them into 0..1
    expected = uv * FACECAP_TRANSFORM["scale"] + FACECAP_TRANSFORM["offset"]
    np.testing.assert_allclose(skin.uvs, expected, atol=1e-5)

    image, (_, _, mask) = render(avatar)
    face = image[mask].astype(int)
    reddish = (face[:, 0] > face[:, 2] + 60).mean()
    bluish = (face[:, 2] > face[:, 0] + 60).mean()
    assert reddish > 0.05 and bluish > 0.05, (reddish, bluish)
    plain, (_, _, mask0) = render(load_gltf(evaldata / "meshes" / "facecap" / "facecap_plain.glb"))
    assert (plain[mask0][:, 2].astype(int) > plain[mask0][:, 0].astype(int) + 60).mean() < 0.01
