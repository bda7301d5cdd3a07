"""Build the OpenUSD stage of a take: SkelRoot, Skeleton, meshes with BlendShapes, SkelAnimation.

Layout (metres, +Y up, one time code per frame of the take)::

    /Avatar                 SkelRoot (default prim)
        Skeleton            Skeleton: root, root/head, root/head/<Eye> joints;
                            skel:animationSource -> Animation
        Animation           SkelAnimation: blendShapes + blendShapeWeights samples,
                            joints + rotations samples (+ constant translations, scales)
        <Mesh>...           Mesh, rigidly skinned to one joint, skel:skeleton -> Skeleton,
            <shape>...      BlendShape per morph target (sparse pointIndices when small)

Head (and eye) motion is a joint rotation in the SkelAnimation rather than an xform op: the
whole animation then lives in one UsdSkel prim, which Omniverse, Blender (armature + shape
keys) and Houdini (Solaris / SOP skeleton import) read natively.

``pxr`` is imported inside the functions, so this module imports without the ``usd`` extra.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from generators.take import Take
from renderers.avatar import AvatarMesh
from renderers.channel_drive import ChannelDrive, target_weights
from studio.exporters.usd_rig import (
    ANIMATION_PRIM,
    SKELETON_PRIM,
    MeshPlan,
    RigPlan,
    joint_rotations,
)

__all__ = ["build_stage"]

SKEL_ROOT = "/Avatar"


def build_stage(take: Take, rig: RigPlan, *, report: Callable[[float], None] | None = None) -> Any:
    """An in-memory ``Usd.Stage`` holding ``take`` animated on ``rig``.

    Parameters
    ----------
    take
        The take; frame ``i`` is time code ``i`` and ``timeCodesPerSecond`` is its fps.
    rig
        From :func:`studio.exporters.usd_rig.plan_rig`.
    report
        Called with the fraction done (0..1) as the stage fills.
    """
    from pxr import Sdf, Usd, UsdGeom, UsdSkel

    report = report or (lambda _fraction: None)
    curves = take.curves
    n = curves.num_frames
    fps = float(curves.fps)

    stage = Usd.Stage.CreateInMemory()
    UsdGeom.SetStageMetersPerUnit(stage, 1.0)
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.y)
    stage.SetTimeCodesPerSecond(fps)
    stage.SetFramesPerSecond(fps)
    stage.SetStartTimeCode(0)
    stage.SetEndTimeCode(max(n - 1, 0))

    root = UsdSkel.Root.Define(stage, SKEL_ROOT)
    stage.SetDefaultPrim(root.GetPrim())
    skel_path = Sdf.Path(SKEL_ROOT).AppendChild(SKELETON_PRIM)
    anim_path = Sdf.Path(SKEL_ROOT).AppendChild(ANIMATION_PRIM)

    _define_skeleton(stage, skel_path, anim_path, rig)
    for plan in rig.meshes:
        _define_mesh(stage, Sdf.Path(SKEL_ROOT).AppendChild(plan.prim_name), plan, skel_path)
    report(0.4)
    _define_animation(stage, anim_path, take, rig, report)
    report(1.0)
    return stage


def _define_skeleton(stage: Any, skel_path: Any, anim_path: Any, rig: RigPlan) -> None:
    from pxr import UsdSkel, Vt

    skel = UsdSkel.Skeleton.Define(stage, skel_path)
    skel.CreateJointsAttr(Vt.TokenArray([j.path for j in rig.joints]))
    skel.CreateJointNamesAttr(Vt.TokenArray([j.path.rsplit("/", 1)[-1] for j in rig.joints]))
    skel.CreateBindTransformsAttr(_translations(np.array([j.pivot for j in rig.joints])))
    skel.CreateRestTransformsAttr(_translations(_local_translations(rig)))
    binding = UsdSkel.BindingAPI.Apply(skel.GetPrim())
    binding.CreateAnimationSourceRel().SetTargets([anim_path])


def _translations(offsets: np.ndarray) -> Any:
    """A ``VtMatrix4dArray`` of pure translations by the rows of ``offsets``."""
    from pxr import Gf, Vt

    return Vt.Matrix4dArray(
        [Gf.Matrix4d().SetTranslate(Gf.Vec3d(*(float(v) for v in t))) for t in offsets]
    )


def _local_translations(rig: RigPlan) -> np.ndarray:
    """``(J, 3)`` each joint's rest position relative to its parent."""
    pivots = {j.path: j.pivot for j in rig.joints}
    out = np.zeros((len(rig.joints), 3))
    for i, joint in enumerate(rig.joints):
        parent = joint.path.rpartition("/")[0]
        out[i] = joint.pivot - (pivots[parent] if parent else 0.0)
    return out


def _define_mesh(stage: Any, path: Any, plan: MeshPlan, skel_path: Any) -> None:
    from pxr import Gf, UsdGeom, UsdSkel, Vt

    mesh: AvatarMesh = plan.mesh
    positions = np.ascontiguousarray(mesh.positions, dtype=np.float32).reshape(-1, 3)
    indices = np.ascontiguousarray(mesh.indices, dtype=np.int32).reshape(-1)
    geom = UsdGeom.Mesh.Define(stage, path)
    geom.CreateSubdivisionSchemeAttr(UsdGeom.Tokens.none)
    geom.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(positions))
    geom.CreateFaceVertexCountsAttr(Vt.IntArray.FromNumpy(np.full(len(indices) // 3, 3, np.int32)))
    geom.CreateFaceVertexIndicesAttr(Vt.IntArray.FromNumpy(indices))
    normals = np.ascontiguousarray(mesh.normals, dtype=np.float32).reshape(-1, 3)
    geom.CreateNormalsAttr(Vt.Vec3fArray.FromNumpy(normals))
    geom.SetNormalsInterpolation(UsdGeom.Tokens.vertex)
    if len(positions):
        geom.CreateExtentAttr(
            Vt.Vec3fArray.FromNumpy(np.stack([positions.min(axis=0), positions.max(axis=0)]))
        )
    _display_color(geom, mesh)

    binding = UsdSkel.BindingAPI.Apply(geom.GetPrim())
    binding.CreateSkeletonRel().SetTargets([skel_path])
    h = mesh.head_weights
    if h is not None and plan.joint != 0 and mesh.part not in ("eye_left", "eye_right"):
        # A skinned body: each point is 1 - h on the root joint and h on the head.
        h = np.clip(np.nan_to_num(np.asarray(h, dtype=np.float32)), 0.0, 1.0)
        joint_ids = np.zeros((len(h), 2), np.int32)
        joint_ids[:, 1] = plan.joint
        weights = np.stack([1.0 - h, h], axis=1).astype(np.float32)
        binding.CreateJointIndicesPrimvar(constant=False, elementSize=2).Set(
            Vt.IntArray.FromNumpy(joint_ids.reshape(-1)))
        binding.CreateJointWeightsPrimvar(constant=False, elementSize=2).Set(
            Vt.FloatArray.FromNumpy(weights.reshape(-1)))
    else:
        binding.CreateJointIndicesPrimvar(constant=True, elementSize=1).Set(
            Vt.IntArray([plan.joint]))
        binding.CreateJointWeightsPrimvar(constant=True, elementSize=1).Set(Vt.FloatArray([1.0]))
    binding.CreateGeomBindTransformAttr(Gf.Matrix4d(1.0))
    bound = plan.bound_shapes
    if bound:
        binding.CreateBlendShapesAttr(Vt.TokenArray([s.channel for s in bound]))
        binding.CreateBlendShapeTargetsRel().SetTargets(
            [path.AppendChild(s.prim_name) for s in bound]
        )
    for shape in plan.shapes:
        blend = UsdSkel.BlendShape.Define(stage, path.AppendChild(shape.prim_name))
        blend.CreateOffsetsAttr(Vt.Vec3fArray.FromNumpy(shape.offsets))
        if shape.point_indices is not None:
            blend.CreatePointIndicesAttr(Vt.IntArray.FromNumpy(shape.point_indices))


def _display_color(geom: Any, mesh: AvatarMesh) -> None:
    """``displayColor``: the base colour, times the vertex colours when the mesh has them."""
    from pxr import Gf, UsdGeom, Vt

    base = np.asarray(mesh.material.base_color, dtype=np.float32)[:3]
    colors = mesh.colors
    if colors is not None and len(colors) == mesh.vertex_count:
        rgb = np.ascontiguousarray(np.asarray(colors, dtype=np.float32)[:, :3] * base)
        primvar = geom.CreateDisplayColorPrimvar(UsdGeom.Tokens.vertex)
        primvar.Set(Vt.Vec3fArray.FromNumpy(rgb))
    else:
        primvar = geom.CreateDisplayColorPrimvar(UsdGeom.Tokens.constant)
        primvar.Set(Vt.Vec3fArray([Gf.Vec3f(*base.tolist())]))


def _define_animation(
    stage: Any, anim_path: Any, take: Take, rig: RigPlan, report: Callable[[float], None]
) -> None:
    from pxr import Gf, Sdf, UsdSkel, Vt

    curves = take.curves
    anim = UsdSkel.Animation.Define(stage, anim_path)
    drive = ChannelDrive.for_targets(n for m in rig.meshes for n in m.mesh.morph_targets)
    channels = drive.rows(curves.weights, visemes=curves.visemes, speech=curves.speech,
                          expressions=curves.expressions)
    weights = target_weights(channels, tuple(rig.channels))
    anim.CreateBlendShapesAttr(Vt.TokenArray(rig.channels))
    weights_attr = anim.CreateBlendShapeWeightsAttr()

    animated = [j for j in rig.joints if j.gaze is not None]
    anim.CreateJointsAttr(Vt.TokenArray([j.path for j in animated]))
    local = _local_translations(rig)
    keep = [i for i, j in enumerate(rig.joints) if j.gaze is not None]
    anim.CreateTranslationsAttr(Vt.Vec3fArray.FromNumpy(local[keep].astype(np.float32)))
    anim.CreateScalesAttr(Vt.Vec3hArray([Gf.Vec3h(1.0, 1.0, 1.0)] * len(animated)))
    rotations_attr = anim.CreateRotationsAttr()
    quats = joint_rotations(rig.joints, curves.head_rotation, curves.eye_rotation)[:, keep]

    layer = stage.GetEditTarget().GetLayer()
    weights_path = weights_attr.GetPath()
    rotations_path = rotations_attr.GetPath()
    n = curves.num_frames
    step = max(1, n // 10)
    with Sdf.ChangeBlock():
        for i in range(n):
            layer.SetTimeSample(weights_path, float(i), Vt.FloatArray.FromNumpy(weights[i]))
            layer.SetTimeSample(
                rotations_path,
                float(i),
                Vt.QuatfArray([Gf.Quatf(*map(float, q)) for q in quats[i]]),
            )
            if i % step == 0:
                report(0.4 + 0.6 * i / n)
