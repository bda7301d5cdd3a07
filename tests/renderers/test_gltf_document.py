"""The fast document builder gives the same glTF document as pygltflib's own decoder."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pygltflib as gl
import pytest

from renderers.loaders.gltf_document import build, document_from_json
from tests.conftest import EVALDATA, REPO_ROOT


def glb_json(path: Path) -> str:
    data = path.read_bytes()
    (length,) = struct.unpack_from("<I", data, 12)
    return data[20 : 20 + length].decode("utf-8")


@pytest.mark.parametrize(
    "path",
    [
        REPO_ROOT / "assets" / "avatar" / "default_head.glb",
        EVALDATA / "meshes" / "facecap" / "facecap_plain.glb",
        EVALDATA / "meshes" / "ict_facekit" / "ict_face_57shapes.glb",
    ],
    ids=lambda p: p.name,
)
def test_same_document_as_pygltflib(path):
    text = glb_json(path)
    fast = document_from_json(json.loads(text))
    slow = gl.GLTF2.from_json(text)
    assert json.loads(fast.to_json()) == json.loads(slow.to_json())
    assert fast.meshes[0].primitives[0].targets == slow.meshes[0].primitives[0].targets


def test_wrong_shapes_are_type_errors():
    with pytest.raises(TypeError, match="expected a list"):
        build(gl.GLTF2, {"asset": {"version": "2.0"}, "nodes": {"name": "x"}})
    with pytest.raises(TypeError, match="expected an object"):
        build(gl.GLTF2, {"asset": {"version": "2.0"}, "accessors": [3]})
