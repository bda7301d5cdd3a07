"""Skinned avatars: loaded in the bind pose, and only the head turns with the head motion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pygltflib as gl
import pytest

from renderers.errors import AvatarError
from renderers.loaders.gltf import load_gltf
from renderers.pose import Pose
from renderers.rigid import rotation_matrix
from tests.renderers.helpers import renderer
from tests.renderers.synthetic import uv_sphere

CM = 0.01


def _box(centre: tuple[float, float, float], size: float) -> tuple[np.ndarray, np.ndarray]:
    pts = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], np.float64)
    faces = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                      [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])
    return np.asarray(centre) + 0.5 * size * pts, faces


def _accessor(doc: gl.GLTF2, blob: bytearray, data: np.ndarray, kind: str, ctype: int,
              target: int | None = None) -> int:
    raw = np.ascontiguousarray(data).tobytes()
    while len(blob) % 4:
        blob.append(0)
    doc.bufferViews.append(gl.BufferView(buffer=0, byteOffset=len(blob), byteLength=len(raw),
                                         target=target))
    blob.extend(raw)
    acc = gl.Accessor(bufferView=len(doc.bufferViews) - 1, componentType=ctype,
                      count=int(data.shape[0]), type=kind)
    if kind == gl.VEC3 and ctype == gl.FLOAT:
        acc.min = data.min(axis=0).tolist()
        acc.max = data.max(axis=0).tolist()
    doc.accessors.append(acc)
    return len(doc.accessors) - 1


def skinned_glb(path: Path, *, bad_joint: bool = False) -> dict[str, np.ndarray]:
    """A body box, a neck and a head sphere in centimetres under a 0.01-scaled armature.

    The skinned mesh's node carries a stray translation that a loader must ignore. Returns
    the raw (centimetre) positions of each part for checking.
    """
    body, body_f = _box((0, 100, 0), 60)
    neck, neck_f = _box((0, 145, 0), 12)
    sphere_p, sphere_f = uv_sphere(10, 14)
    head = sphere_p.astype(np.float64) * 12 + np.array([0, 165, 0])
    parts = [(body, body_f, 1), (neck, neck_f, 2), (head, sphere_f, 3)]
    pos, tris, joints, offset = [], [], [], 0
    for p, f, joint in parts:
        pos.append(p)
        tris.append(f + offset)
        joints.append(np.full(len(p), joint))
        offset += len(p)
    positions = np.concatenate(pos).astype(np.float32)
    indices = np.concatenate(tris).astype(np.uint32).reshape(-1)
    joint_ids = np.zeros((len(positions), 4), np.uint16)
    joint_ids[:, 0] = np.concatenate(joints)
    if bad_joint:
        joint_ids[0, 0] = 9
    weights = np.zeros((len(positions), 4), np.float32)
    weights[:, 0] = 1.0
    jaw = np.zeros_like(positions)
    lower = (positions[:, 1] < 165) & (np.concatenate(joints) == 3)
    jaw[lower, 1] = -3.0  # "jawOpen": the lower half of the head drops 3 cm

    doc = gl.GLTF2(asset=gl.Asset(version="2.0"), scene=0, scenes=[gl.Scene(nodes=[0, 5])],
                   buffers=[], bufferViews=[], accessors=[])
    blob = bytearray()
    a_pos = _accessor(doc, blob, positions, gl.VEC3, gl.FLOAT, gl.ARRAY_BUFFER)
    a_jaw = _accessor(doc, blob, jaw.astype(np.float32), gl.VEC3, gl.FLOAT, gl.ARRAY_BUFFER)
    a_joint = _accessor(doc, blob, joint_ids, gl.VEC4, gl.UNSIGNED_SHORT, gl.ARRAY_BUFFER)
    a_weight = _accessor(doc, blob, weights, gl.VEC4, gl.FLOAT, gl.ARRAY_BUFFER)
    a_idx = _accessor(doc, blob, indices, gl.SCALAR, gl.UNSIGNED_INT, gl.ELEMENT_ARRAY_BUFFER)
    # Joints in armature space (cm): Hips at 100, Neck at 140, Head at 155. The inverse bind
    # matrices are armature-space ones, so the armature's 0.01 scale turns cm into metres.
    heights = {1: 100.0, 2: 140.0, 3: 155.0}
    ibm = np.stack([np.eye(4) for _ in range(4)])
    for j, y in heights.items():
        ibm[j][1, 3] = -y
    a_ibm = _accessor(doc, blob, ibm.transpose(0, 2, 1).reshape(4, 16).astype(np.float32),
                      gl.MAT4, gl.FLOAT)
    doc.buffers.append(gl.Buffer(byteLength=len(blob)))
    doc.nodes = [
        gl.Node(name="Armature", scale=[CM, CM, CM], children=[1]),
        gl.Node(name="mixamorig:Hips", translation=[0, 100, 0], children=[2]),
        gl.Node(name="mixamorig:Neck", translation=[0, 40, 0], children=[3]),
        gl.Node(name="mixamorig:Head", translation=[0, 15, 0], children=[4]),
        gl.Node(name="mixamorig:HeadTop_End", translation=[0, 20, 0]),
        gl.Node(name="Body", mesh=0, skin=0, translation=[5.0, 0, 0]),
    ]
    doc.skins = [gl.Skin(joints=[0, 1, 2, 3], inverseBindMatrices=a_ibm)]
    doc.meshes = [gl.Mesh(name="Body", extras={"targetNames": ["jawOpen"]}, primitives=[
        gl.Primitive(attributes=gl.Attributes(POSITION=a_pos, JOINTS_0=a_joint,
                                              WEIGHTS_0=a_weight),
                     indices=a_idx, targets=[{"POSITION": a_jaw}])])]
    doc.set_binary_blob(bytes(blob))
    doc.save_binary(str(path))
    return {"body": body, "neck": neck, "head": head}


def test_skinned_mesh_loads_in_the_bind_pose_in_metres(tmp_path: Path) -> None:
    raw = skinned_glb(tmp_path / "body.glb")
    avatar = load_gltf(tmp_path / "body.glb")
    (mesh,) = avatar.meshes
    want = np.concatenate([raw["body"], raw["neck"], raw["head"]]) * CM
    np.testing.assert_allclose(mesh.positions, want, atol=1e-5)  # the node's +5 m is ignored
    jaw = mesh.morph_targets["jawOpen"]
    assert jaw[:, 1].min() == pytest.approx(-0.03, abs=1e-6)  # deltas scaled to metres too
    np.testing.assert_allclose(avatar.head_pivot, [0, 1.40, 0], atol=1e-5)  # the neck bone


def test_only_the_head_share_of_each_vertex_turns(tmp_path: Path) -> None:
    raw = skinned_glb(tmp_path / "body.glb")
    avatar = load_gltf(tmp_path / "body.glb")
    (mesh,) = avatar.meshes
    nb, nn = len(raw["body"]), len(raw["neck"])
    h = mesh.head_weights
    assert h is not None
    np.testing.assert_array_equal(h[:nb], 0.0)
    np.testing.assert_array_equal(h[nb:nb + nn], 0.5)
    np.testing.assert_array_equal(h[nb + nn:], 1.0)

    pose = Pose(head_rotation=np.array([40.0, 0.0, 0.0]))
    with renderer(avatar, 96, 96) as r:
        (moved, _normals), = r.deformed_meshes(pose)
    np.testing.assert_allclose(moved[:nb], mesh.positions[:nb], atol=1e-6)  # the body is still
    turn = rotation_matrix(40.0, 0.0, 0.0)[:3, :3]
    pivot = avatar.head_pivot
    head = mesh.positions[nb + nn:]
    np.testing.assert_allclose(moved[nb + nn:], (head - pivot) @ turn.T + pivot, atol=1e-5)
    neck = mesh.positions[nb:nb + nn]
    half = 0.5 * (neck + (neck - pivot) @ turn.T + pivot)
    np.testing.assert_allclose(moved[nb:nb + nn], half, atol=1e-5)


def test_the_camera_frames_the_head_of_a_body(tmp_path: Path) -> None:
    skinned_glb(tmp_path / "body.glb")
    avatar = load_gltf(tmp_path / "body.glb")
    with renderer(avatar, 128, 128) as r:
        image = r.render(Pose())
    lit = np.argwhere(image.sum(axis=2) != image[0, 0].sum())
    assert lit.size  # something drawn, and the head fills a good part of the frame
    rows = lit[:, 0].max() - lit[:, 0].min()
    assert rows > 0.5 * image.shape[0]


def test_a_joint_index_out_of_range_is_a_clear_error(tmp_path: Path) -> None:
    skinned_glb(tmp_path / "bad.glb", bad_joint=True)
    with pytest.raises(AvatarError, match="joint indices or weights out of range"):
        load_gltf(tmp_path / "bad.glb")
