"""Conditioning images of a posed avatar for the SD-1.5 ControlNets: depth and normal maps.

The talking-head generator turns the rig's animation into portrait video with a ControlNet; per
frame it needs the posed avatar drawn as the ControlNet's own annotator would have seen it.
This module draws them with the renderer's own pieces: the morph stage and the rigid head and
gaze transforms of :class:`~renderers.gpu_mesh.GpuMesh`, the channel drive, and the camera
framing of :class:`~renderers.avatar_renderer.AvatarRenderer` (same view-projection, so the
silhouette matches the normal render pixel for pixel). Both images are ``(H, W, 3)`` uint8,
row 0 at the top.

**Depth** (``lllyasviel/sd-controlnet-depth``, ``control_v11f1p_sd15_depth``, trained on MiDaS
estimates): a grey image, near = bright, far = dark, background black. MiDaS gives relative
*inverse* depth normalised to 0..255, so each surface pixel is the inverse depth ``1 / d``
(``d``: metres along the camera's axis) mapped linearly from a :class:`DepthRange` to 255
(nearest) .. 1 (farthest), clamped; 0 is only the background. The range is fixed for a whole
take (by default the avatar's rest bounding box as the camera sees it, padded), never per
frame, so the video does not flicker.

**Normals** (``control_v11p_sd15_normalbae``, trained on NormalBAE estimates): the camera-space
surface normal in NormalBAE's axes, ``x`` toward the viewer's **left**, ``y`` up, ``z`` toward
the camera, encoded as ``round((n * 0.5 + 0.5) * 255)``. So a surface facing the camera is
``(128, 128, 255)``, one turned toward the right of the image (the avatar's left cheek) has
``R < 128``, one facing up ``G > 128``. This is OpenGL's camera space with the red axis flipped,
as threestudio issue #189 (NormalBAE's x axis is flipped against camera-space normals) and the
ComfyUI ``ConvertNormals`` node's documentation (BAE: red channel inverted) describe; the
annotator itself writes the network's output as ``(n + 1) * 0.5 * 255`` (ControlNet-v1-1-nightly
``annotator/normalbae``). The background is :data:`NORMAL_BACKGROUND`, "facing the camera"
(a flat backdrop, what NormalBAE reports for a wall behind a portrait), not black.

Geometry only: normal maps and alpha textures are not applied (an alpha-masked card draws as
its whole quad).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Literal

import moderngl
import numpy as np

from renderers.avatar import Avatar, AvatarMesh
from renderers.camera import Camera
from renderers.channel_drive import ChannelDrive
from renderers.context import create_headless_context
from renderers.errors import RendererError
from renderers.gpu_mesh import GpuMesh
from renderers.morph_pack import MAX_TARGETS
from renderers.pose import Pose
from renderers.render_target import RenderTarget
from renderers.rigid import mesh_matrix
from renderers.shader_source import load_shader

__all__ = [
    "DEPTH_BACKGROUND",
    "KINDS",
    "NORMAL_BACKGROUND",
    "ConditioningKind",
    "ConditioningRenderer",
    "DepthRange",
    "check_kinds",
]

ConditioningKind = Literal["depth", "normal"]
"""Which conditioning image: ``"depth"`` or ``"normal"``."""

KINDS: tuple[ConditioningKind, ...] = ("depth", "normal")
"""Every conditioning kind, in a stable order."""

DEPTH_BACKGROUND = (0, 0, 0)
"""Depth-map pixels with no surface: black (farther than anything)."""

NORMAL_BACKGROUND = (128, 128, 255)
"""Normal-map pixels with no surface: the normal facing the camera, ``(0, 0, 1)``."""

_DEFINES: dict[str, str] = {"depth": "DEPTH_MAP", "normal": "NORMAL_MAP_BAE"}
_BACKGROUND: dict[str, tuple[int, int, int]] = {
    "depth": DEPTH_BACKGROUND, "normal": NORMAL_BACKGROUND,
}
_LAYOUTS: dict[str, tuple[str, ...]] = {
    "depth": ("3f 12x", "in_position"),  # the deformed normal is not read
    "normal": ("3f 3f", "in_position", "in_normal"),
}
_FLIP_Y = np.diag([1.0, -1.0, 1.0, 1.0]).astype(np.float32)


@dataclass(frozen=True)
class DepthRange:
    """Distances from the camera (metres along its axis) that span the depth map's grey levels.

    Parameters
    ----------
    near
        Distance drawn white (255); nearer surfaces clamp to it.
    far
        Distance drawn at grey level 1; farther surfaces clamp to it.

    Examples
    --------
    >>> DepthRange(1.0, 2.0).levels(np.array([1.0, 2.0, 4 / 3])).tolist()
    [255, 1, 128]
    """

    near: float
    far: float

    def __post_init__(self) -> None:
        if not 0 < self.near < self.far:
            raise RendererError(
                f"a depth range needs 0 < near < far, got near={self.near}, far={self.far}"
            )

    @classmethod
    def for_avatar(cls, avatar: Avatar, camera: Camera, *, margin: float = 0.1) -> DepthRange:
        """The range of ``avatar``'s rest bounding box as ``camera`` sees it, padded.

        Fixed for a take: the head turning, the jaw opening or the eyes moving do not change
        it, so the same surface keeps its grey level from frame to frame.

        Parameters
        ----------
        avatar
            The avatar (rest positions of every mesh).
        camera
            The camera the maps are drawn with.
        margin
            Padding on both ends, as a share of the box's depth extent (room for the head to
            turn toward the camera).
        """
        points = [m.positions for m in avatar.meshes if m.vertex_count]
        if not points:
            raise RendererError(f"avatar {avatar.name!r} has no vertices to measure")
        stacked = np.concatenate(points).astype(np.float64)
        lo, hi = stacked.min(axis=0), stacked.max(axis=0)
        corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1])
                            for z in (lo[2], hi[2])])
        distances = (corners - camera.eye.astype(np.float64)) @ camera.forward.astype(np.float64)
        near, far = float(distances.min()), float(distances.max())
        pad = margin * max(far - near, 1e-6)
        return cls(max(near - pad, camera.near), far + pad)

    def levels(self, distances: np.ndarray) -> np.ndarray:
        """Grey levels (uint8, 1..255) of surfaces at ``distances``: the shader's mapping."""
        inverse = 1.0 / np.asarray(distances, dtype=np.float64)
        s = np.clip((inverse - 1.0 / self.far) / (1.0 / self.near - 1.0 / self.far), 0.0, 1.0)
        return np.rint(1.0 + 254.0 * s).astype(np.uint8)


class ConditioningRenderer:
    """Draw an avatar in a pose as ControlNet conditioning images (depth, normals).

    Parameters
    ----------
    avatar
        The avatar to draw.
    width, height
        Image size in pixels.
    ctx
        A moderngl context to use; ``None`` creates a headless EGL context that the renderer
        owns and releases.
    camera
        The camera; ``None`` uses :meth:`Camera.framing` for the image aspect, the framing of
        :class:`~renderers.avatar_renderer.AvatarRenderer`.
    depth_range
        The depth map's range; ``None`` uses :meth:`DepthRange.for_avatar` with the camera.
        Keep one renderer (or pass the same range) for a whole take.
    samples
        MSAA samples (0 = off: hard edges, exact background pixels).
    cull_back_faces
        Skip triangles facing away from the camera, as the avatar renderer does by default.

    Examples
    --------
    >>> from renderers.loaders import default_avatar
    >>> with ConditioningRenderer(default_avatar(), 256, 256) as r:
    ...     maps = r.render_kinds(Pose.neutral().set("jawOpen", 1.0), ("depth", "normal"))
    ...     maps["depth"].shape, maps["normal"].dtype
    ((256, 256, 3), dtype('uint8'))
    """

    def __init__(
        self,
        avatar: Avatar,
        width: int = 512,
        height: int = 512,
        ctx: moderngl.Context | None = None,
        camera: Camera | None = None,
        *,
        depth_range: DepthRange | None = None,
        samples: int = 0,
        cull_back_faces: bool = True,
    ) -> None:
        drawable = [m for m in avatar.meshes if m.vertex_count and m.triangle_count]
        if not drawable:
            raise RendererError(f"avatar {avatar.name!r} has no triangles to draw")
        self.avatar = avatar
        self.cull_back_faces = cull_back_faces
        aspect = width / max(1, height)
        self._camera = camera if camera is not None else Camera.framing(avatar, aspect)
        self._depth_range = depth_range or DepthRange.for_avatar(avatar, self._camera)
        self._owns_ctx = ctx is None
        self.ctx = create_headless_context() if ctx is None else ctx
        self._released = False
        self._gpu: list[GpuMesh] = []
        self._owned: list[moderngl.Buffer | moderngl.Program | moderngl.VertexArray] = []
        try:
            self._target = RenderTarget(self.ctx, width, height, samples)
            self._programs = {kind: self._program(kind) for kind in KINDS}
            self._build_meshes(drawable)
        except BaseException:
            self.release()
            raise
        self.drive = ChannelDrive.for_avatar(avatar)
        """Which of the avatar's shapes the pose drives (as in the avatar renderer)."""
        self._set_view_uniforms()

    def _program(self, kind: str) -> moderngl.Program:
        program = self.ctx.program(
            vertex_shader=load_shader("conditioning.vert.glsl"),
            fragment_shader=load_shader("conditioning.frag.glsl", (_DEFINES[kind],)),
        )
        self._owned.append(program)
        return program

    def _build_meshes(self, drawable: list[AvatarMesh]) -> None:
        """The renderer's GPU meshes (for the morph stage) and this module's draw arrays."""
        ctx = self.ctx
        morph = ctx.program(
            vertex_shader=load_shader("morph.vert.glsl", (f"MAX_TARGETS {MAX_TARGETS}",)),
            varyings=["out_position", "out_normal"],
        )
        morph["u_morph"].value = 0
        # GpuMesh also prepares a draw call of its own, which needs a surface program; the
        # plain vertex-lit one is compiled once and never drawn with.
        surface = ctx.program(
            vertex_shader=load_shader("surface.vert.glsl", ("VERTEX_LIT",)),
            fragment_shader=load_shader("surface.frag.glsl", ("VERTEX_LIT",)),
        )
        self._owned.extend([morph, surface])
        self._vaos: dict[str, list[moderngl.VertexArray]] = {kind: [] for kind in KINDS}
        for mesh in drawable:
            gpu = GpuMesh(ctx, mesh, morph, surface)
            self._gpu.append(gpu)
            indices = ctx.buffer(np.ascontiguousarray(mesh.indices, dtype=np.uint32).tobytes())
            self._owned.append(indices)
            for kind, program in self._programs.items():
                vao = ctx.vertex_array(
                    program, [(gpu.deformed, *_LAYOUTS[kind])],
                    index_buffer=indices, index_element_size=4,
                )
                self._owned.append(vao)
                self._vaos[kind].append(vao)

    def _set_view_uniforms(self) -> None:
        """The avatar renderer's view-projection (flipped for read-back) and the view."""
        width, height = self._target.size
        cam = self._camera
        view = cam.view_matrix()
        proj = _FLIP_Y @ cam.projection_matrix(width / max(1, height))
        view_projection = np.ascontiguousarray((proj @ view).T, dtype=np.float32)
        view_gl = np.ascontiguousarray(view.T, dtype=np.float32)
        rng = self._depth_range
        for kind, program in self._programs.items():
            program["u_view_projection"].write(view_projection)
            program["u_view"].write(view_gl)
            if kind == "depth":
                program["u_inverse_range"].value = (1.0 / rng.near, 1.0 / rng.far)

    # -- properties ------------------------------------------------------------------------

    @property
    def camera(self) -> Camera:
        """The camera (fixed for the renderer's life, like the depth range)."""
        return self._camera

    @property
    def depth_range(self) -> DepthRange:
        """The depth map's fixed range."""
        return self._depth_range

    @property
    def size(self) -> tuple[int, int]:
        """Image ``(width, height)``."""
        return self._target.size

    # -- drawing ---------------------------------------------------------------------------

    def render(self, pose: Pose, kind: ConditioningKind = "depth",
               out: np.ndarray | None = None) -> np.ndarray:
        """Draw ``pose`` as one conditioning image.

        Parameters
        ----------
        pose
            The pose.
        kind
            ``"depth"`` or ``"normal"`` (see the module's documentation for the conventions).
        out
            Optional C-contiguous ``(H, W, 3)`` uint8 array to read into; by default a new
            array is returned.

        Returns
        -------
        numpy.ndarray
            ``(H, W, 3)`` uint8, row 0 at the top.

        Raises
        ------
        RendererError
            For an unknown ``kind``.
        """
        check_kinds((kind,))
        self._deform(pose)
        return self._draw(kind, out)

    def render_kinds(self, pose: Pose, kinds: Iterable[ConditioningKind]) -> dict[str, np.ndarray]:
        """Draw ``pose`` once per kind (deforming once); a new array per kind."""
        wanted = check_kinds(kinds)
        self._deform(pose)
        return {kind: self._draw(kind, None) for kind in wanted}

    def _deform(self, pose: Pose) -> None:
        self._target.framebuffer.use()  # GL needs a complete framebuffer bound, even here
        channels = self.drive.weights(pose)
        for gpu in self._gpu:
            gpu.deform(channels, mesh_matrix(gpu.mesh, pose, self.avatar.head_pivot))

    def _draw(self, kind: str, out: np.ndarray | None) -> np.ndarray:
        ctx = self.ctx
        fbo = self._target.framebuffer
        width, height = self._target.size
        fbo.use()
        fbo.viewport = (0, 0, width, height)
        fbo.depth_mask = True
        r, g, b = _BACKGROUND[kind]
        fbo.clear(r / 255, g / 255, b / 255, 1.0, depth=1.0)
        ctx.enable(moderngl.DEPTH_TEST)
        ctx.disable(moderngl.BLEND)
        ctx.depth_func = "<"
        if self.cull_back_faces:
            ctx.enable(moderngl.CULL_FACE)
            ctx.cull_face = "back"
        else:
            ctx.disable(moderngl.CULL_FACE)
        ctx.front_face = "cw"  # the read-back Y flip reverses the winding
        for vao in self._vaos[kind]:
            vao.render(moderngl.TRIANGLES)
        ctx.disable(moderngl.CULL_FACE)
        ctx.front_face = "ccw"
        if out is None:
            out = np.empty((height, width, 3), dtype=np.uint8)
        return self._target.read_into(out)

    # -- lifetime --------------------------------------------------------------------------

    def release(self) -> None:
        """Free all GL objects (and the context, when the renderer created it)."""
        if self._released:
            return
        self._released = True
        for gpu in self._gpu:
            gpu.release()
        for obj in reversed(self._owned):
            obj.release()
        if hasattr(self, "_target"):
            self._target.release()
        if self._owns_ctx:
            self.ctx.release()

    def __enter__(self) -> ConditioningRenderer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def check_kinds(kinds: Iterable[str]) -> tuple[ConditioningKind, ...]:
    """Return ``kinds`` as a tuple without repeats, in the given order.

    Raises
    ------
    RendererError
        For an empty list or an unknown kind (the message lists the known ones).
    """
    wanted = tuple(dict.fromkeys(kinds))
    unknown = [k for k in wanted if k not in KINDS]
    if unknown or not wanted:
        what = f"unknown conditioning kind {unknown[0]!r}" if unknown else "no conditioning kind"
        raise RendererError(f"{what}; choose from {', '.join(KINDS)}")
    return wanted  # type: ignore[return-value]
