"""The ``.glb`` exporter keeps an avatar's look: UVs, tangents, colour and normal maps.

The avatar is the textured test square of ``tests/renderers/test_textures.py`` (a real file
loaded by the project's loader), so what is checked is the whole trip: file -> avatar ->
exported file -> avatar again.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pygltflib as gl

from renderers.avatar import Avatar, AvatarMesh, Material, Texture
from renderers.loaders.gltf import load_gltf
from studio.exporters.gltf_export import GlbExporter
from tests.renderers.test_gltf_validator import validate
from tests.renderers.test_textures import (
    BLUE,
    FLAT_NORMAL,
    RED,
    halves,
    png,
    solid,
    square,
    square_file,
)


def _textured_avatar(folder: Path) -> Avatar:
    ext = {"KHR_texture_transform": {"offset": [0.25, 0.0], "rotation": math.pi / 6,
                                     "scale": [0.5, 1.0]}}
    normal = solid((90, 150, 220, 255))
    path = square_file(
        folder / "source.glb", base=png(halves(RED, (0, 0, 255, 128))), normal=png(normal),
        material={"normalTexture": {"index": 1, "scale": 0.7, "extensions": ext},
                  "alphaMode": "MASK", "alphaCutoff": 0.3,
                  "pbrMetallicRoughness": {"baseColorTexture": {"index": 0, "extensions": ext}}},
        sampler={"wrapS": 33648, "wrapT": 33071}, n=9,
    )
    avatar = load_gltf(path)
    assert avatar.notes == []
    return avatar


def test_textured_avatar_round_trips_through_the_glb(take, out_dir):
    avatar = _textured_avatar(out_dir.parent)
    out = GlbExporter().export(take, avatar, out_dir / "textured.glb")
    report = validate(out)
    assert report["errors"] == 0, report["messages"]
    assert report["warnings"] == 0, report["messages"]

    doc = gl.GLTF2().load(str(out))
    (prim,) = doc.meshes[0].primitives
    assert prim.attributes.TEXCOORD_0 is not None and prim.attributes.TANGENT is not None
    mat = doc.materials[prim.material]
    assert mat.pbrMetallicRoughness.baseColorTexture is not None
    assert mat.normalTexture.scale == 0.7 and mat.alphaMode == "MASK"
    assert {img.mimeType for img in doc.images} == {"image/png"}
    assert len(doc.images) == 2

    back = load_gltf(out)
    (a,), (b,) = avatar.meshes, back.meshes
    np.testing.assert_allclose(b.uvs, a.uvs, atol=1e-6)  # transformed UVs, written as sampled
    np.testing.assert_allclose(b.tangents, a.tangents, atol=1e-6)
    for name in ("base_color_texture", "normal_texture"):
        ta, tb = getattr(a.material, name), getattr(b.material, name)
        assert np.array_equal(tb.pixels, ta.pixels)
        assert (tb.srgb, tb.wrap) == (ta.srgb, ta.wrap)
    assert b.material.normal_scale == a.material.normal_scale
    assert (b.material.alpha_mode, b.material.alpha_cutoff) == ("mask", 0.3)


def test_shared_texture_is_written_once_and_normal_maps_get_tangents(take, out_dir):
    tex = Texture(halves(RED, BLUE), "shared.png")
    normal = Texture(solid(FLAT_NORMAL), "flat.png", srgb=False)
    geo = square(5)
    meshes = [
        AvatarMesh(name, "skin", geo["POSITION"] + np.float32([dx, 0, 0]), geo["NORMAL"],
                   geo["indices"].reshape(-1, 3), {"jawOpen": np.zeros_like(geo["POSITION"])},
                   Material(roughness=rough, base_color_texture=tex, normal_texture=normal),
                   uvs=geo["TEXCOORD_0"])
        for name, dx, rough in (("left", -0.11, 0.5), ("right", 0.11, 0.7))
    ]
    out = GlbExporter().export(take, Avatar("pair", meshes), out_dir / "pair.glb")
    assert validate(out)["errors"] == 0
    doc = gl.GLTF2().load(str(out))
    assert len(doc.materials) == 2  # two materials, the same two textures
    assert len(doc.images) == 2 and len(doc.textures) == 2
    assert [img.name for img in doc.images] == ["shared.png", "flat.png"]
    back = load_gltf(out)
    for mesh in back.meshes:  # tangents generated for the export: +u along +x, w = +1
        np.testing.assert_allclose(mesh.tangents, np.tile([1, 0, 0, 1], (25, 1)), atol=1e-6)


def test_untextured_avatars_write_no_texture_arrays(take, out_dir):
    from renderers.loaders import default_avatar

    out = GlbExporter().export(take, default_avatar(), out_dir / "plain.glb")
    doc = gl.GLTF2().load(str(out))
    assert not doc.images and not doc.textures and not doc.samplers
    assert all(p.attributes.TEXCOORD_0 is None for m in doc.meshes for p in m.primitives)
