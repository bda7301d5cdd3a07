"""Render an :class:`~renderers.avatar.Avatar` in a :class:`~renderers.pose.Pose` with OpenGL."""

from __future__ import annotations

from types import TracebackType
from typing import Literal

import moderngl
import numpy as np

from renderers.avatar import Avatar
from renderers.backdrop import DEFAULT_BACKGROUND, Backdrop, Color, parse_background
from renderers.camera import Camera
from renderers.channel_drive import ChannelDrive
from renderers.context import create_headless_context
from renderers.errors import RendererError
from renderers.gpu_mesh import GpuMesh, prefers_vertex_lighting, surface_defines
from renderers.lighting import Lighting
from renderers.morph_pack import MAX_TARGETS
from renderers.object_cache import ObjectCache
from renderers.occlusion import bake_occlusion
from renderers.pose import Pose
from renderers.render_target import RenderTarget
from renderers.rigid import mesh_matrix
from renderers.shader_source import load_shader
from renderers.textures import TextureUploads

_OCCLUSION: ObjectCache[list[np.ndarray]] = ObjectCache()
"""Ambient occlusion baked once per avatar object (it depends only on the rest geometry)."""

__all__ = ["DEFAULT_BACKGROUND", "AvatarRenderer"]

Shading = Literal["auto", "pixel", "vertex"]
"""Where lighting is computed: per mesh by density ("auto"), per pixel, or per vertex."""

_DRAW_RANK = {"skin": 0, "hair": 1, "eye_left": 2, "eye_right": 2, "teeth": 3, "tongue": 4,
              "mouth_interior": 5}  # fmt: skip

_FLIP_Y = np.diag([1.0, -1.0, 1.0, 1.0]).astype(np.float32)


class AvatarRenderer:
    """Draw an avatar with GPU blendshapes, head/eye rotation and studio lighting.

    Each frame runs the morph stage once per vertex (transform feedback, looping only over the
    targets that move that vertex), draws every mesh with one indexed draw call over a cached
    gradient backdrop, and optionally reads the image back into a numpy array. Base colour and
    normal maps are uploaded once per renderer (:mod:`renderers.textures`); alpha-blended
    materials are drawn last, over the backdrop.

    Parameters
    ----------
    avatar
        The avatar to draw.
    width, height
        Offscreen image size in pixels.
    ctx
        A moderngl context to use (e.g. the viewport's); ``None`` creates a headless EGL
        context that the renderer owns and releases.
    camera
        The camera; ``None`` uses :meth:`Camera.framing` for the image aspect (and re-frames
        on :meth:`resize`).
    background
        Display-sRGB colour ``(r, g, b)`` in 0..1 for a flat backdrop, or ``(top, bottom)``
        colours for a vertical gradient.
    lighting
        The light rig (default :class:`~renderers.lighting.Lighting`).
    samples
        MSAA samples of the offscreen image (0 = off: the fastest on software GL).
    cull_back_faces
        Skip triangles facing away from the camera (glTF's default for single-sided
        materials; halves the work). Turn off for avatars with inconsistent winding.
    shading
        ``"auto"`` lights dense matte meshes (skin) per vertex and eyes, teeth, glossy or
        coarse meshes per pixel (see :func:`~renderers.gpu_mesh.prefers_vertex_lighting`);
        ``"pixel"`` and ``"vertex"`` force one mode for every mesh.
    ambient_occlusion
        Bake per-vertex ambient occlusion of the rest pose at start-up (a fraction of a
        second; darkens creases, nostrils, the mouth and eye sockets).
    transparent
        Skip the backdrop and clear to ``(0, 0, 0, 0)``: the avatar's pixels get alpha 255,
        the rest alpha 0, and :meth:`render` returns ``(H, W, 4)`` RGBA (with MSAA the edge
        pixels are premultiplied by their coverage).

    Examples
    --------
    >>> from renderers.loaders import default_avatar
    >>> with AvatarRenderer(default_avatar(), 640, 360) as r:
    ...     frame = r.render(Pose.neutral().set("jawOpen", 0.4))
    ...     frame.shape
    (360, 640, 3)
    """

    def __init__(
        self,
        avatar: Avatar,
        width: int = 1280,
        height: int = 720,
        ctx: moderngl.Context | None = None,
        camera: Camera | None = None,
        background: Color | tuple[Color, Color] = DEFAULT_BACKGROUND,
        *,
        lighting: Lighting | None = None,
        samples: int = 0,
        cull_back_faces: bool = True,
        shading: Shading = "auto",
        ambient_occlusion: bool = True,
        transparent: bool = False,
    ) -> None:
        if shading not in ("auto", "pixel", "vertex"):
            raise RendererError(f"shading must be 'auto', 'pixel' or 'vertex', got {shading!r}")
        drawable = [m for m in avatar.meshes if m.vertex_count and m.triangle_count]
        if not drawable:
            raise RendererError(f"avatar {avatar.name!r} has no triangles to draw")
        self._owns_ctx = ctx is None
        self.ctx = create_headless_context() if ctx is None else ctx
        self.avatar = avatar
        self.lighting = lighting or Lighting()
        self.cull_back_faces = cull_back_faces
        self.wireframe = False
        """Draw the surfaces as wireframe (the backdrop stays solid)."""
        self.transparent = bool(transparent)
        """No backdrop: a transparent background and RGBA read-back."""
        self._samples = samples
        self._released = False
        try:
            self._backdrop = Backdrop(self.ctx)
            self.background = background
            self._target = RenderTarget(self.ctx, width, height, samples)
            self._morph_program = self.ctx.program(
                vertex_shader=load_shader("morph.vert.glsl", (f"MAX_TARGETS {MAX_TARGETS}",)),
                varyings=["out_position", "out_normal"],
            )
            self._morph_program["u_morph"].value = 0
            lit = {
                id(m): shading == "vertex" or (shading == "auto" and prefers_vertex_lighting(m))
                for m in drawable
            }
            defines = {id(m): surface_defines(m, lit[id(m)]) for m in drawable}
            self._surface_programs = {
                d: self._surface_program(d) for d in sorted(set(defines.values()))
            }
            self._textures = TextureUploads(self.ctx)
            occlusion = (
                _OCCLUSION.get(avatar, lambda: bake_occlusion(self.ctx, avatar))
                if ambient_occlusion
                else None
            )
            self._gpu: dict[int, GpuMesh] = {}
            for i, mesh in enumerate(avatar.meshes):
                if id(mesh) in lit:
                    self._gpu[id(mesh)] = GpuMesh(
                        self.ctx, mesh, self._morph_program,
                        self._surface_programs[defines[id(mesh)]],
                        None if occlusion is None else occlusion[i], self._textures,
                    )  # fmt: skip
        except BaseException:
            self.release()
            raise
        self._meshes = list(self._gpu.values())
        self.drive = ChannelDrive.for_avatar(avatar)
        """Which of the avatar's shapes the pose drives (visemes, expression presets)."""
        # Big occluders first, so early depth testing rejects the hidden mouth interior;
        # alpha-blended meshes after everything else (see render_to_fbo).
        ranked = sorted(self._meshes, key=lambda g: _DRAW_RANK.get(g.mesh.part, 2))
        self._draw_order = [g for g in ranked if not g.blends]
        self._blended = [g for g in ranked if g.blends]
        self._auto_camera = camera is None
        self._camera = camera if camera is not None else Camera.framing(avatar, width / height)

    def _surface_program(self, defines: tuple[str, ...]) -> moderngl.Program:
        return self.ctx.program(
            vertex_shader=load_shader("surface.vert.glsl", defines),
            fragment_shader=load_shader("surface.frag.glsl", defines),
        )

    # -- properties ------------------------------------------------------------------------

    @property
    def camera(self) -> Camera:
        """The camera (settable)."""
        return self._camera

    @camera.setter
    def camera(self, camera: Camera) -> None:
        self._camera = camera
        self._auto_camera = False

    @property
    def background(self) -> tuple[Color, Color]:
        """``(top, bottom)`` display-sRGB backdrop colours (settable; one colour is flat)."""
        return self._backdrop.colors

    @background.setter
    def background(self, value: Color | tuple[Color, Color]) -> None:
        self._backdrop.colors = parse_background(value)

    @property
    def size(self) -> tuple[int, int]:
        """Offscreen image ``(width, height)``."""
        return self._target.size

    @property
    def framebuffer(self) -> moderngl.Framebuffer:
        """The offscreen framebuffer :meth:`render_to_fbo` draws into (stored upside down)."""
        return self._target.framebuffer

    # -- drawing ---------------------------------------------------------------------------

    def render(self, pose: Pose, out: np.ndarray | None = None) -> np.ndarray:
        """Draw ``pose`` offscreen and return the image.

        Parameters
        ----------
        pose
            The pose.
        out
            Optional C-contiguous ``(H, W, 3)`` (or ``(H, W, 4)``) uint8 array to read into
            (saves an allocation per frame); by default a new array is returned.

        Returns
        -------
        numpy.ndarray
            ``(H, W, 3)`` uint8 sRGB image, row 0 at the top; ``(H, W, 4)`` RGBA when the
            renderer is :attr:`transparent`.
        """
        self.render_to_fbo(pose)
        return self.read_pixels(out)

    def render_to_fbo(self, pose: Pose, framebuffer: moderngl.Framebuffer | None = None) -> None:
        """Draw ``pose`` without reading it back.

        Parameters
        ----------
        pose
            The pose.
        framebuffer
            Where to draw. ``None`` draws into the renderer's offscreen image (stored upside
            down so that :meth:`read_pixels` needs no flip); a viewport passes its own
            framebuffer, which gets an upright image over its current viewport.
        """
        ctx = self.ctx
        offscreen = framebuffer is None
        fbo = self._target.framebuffer if offscreen else framebuffer
        width, height = fbo.viewport[2:] if not offscreen else self._target.size
        backdrop = not self.transparent
        copy_backdrop = backdrop and offscreen and self._samples == 0
        fbo.use()
        if offscreen:
            fbo.viewport = (0, 0, width, height)
        fbo.depth_mask = True
        fbo.clear(0.0, 0.0, 0.0, 1.0 if backdrop else 0.0, depth=1.0)
        if copy_backdrop:
            self._backdrop.copy_into(fbo, flip=True)
            fbo.use()

        ctx.enable(moderngl.DEPTH_TEST)
        ctx.disable(moderngl.BLEND)
        if self.cull_back_faces:
            ctx.enable(moderngl.CULL_FACE)
            ctx.cull_face = "back"
        else:
            ctx.disable(moderngl.CULL_FACE)
        ctx.front_face = "cw" if offscreen else "ccw"  # the Y flip reverses the winding
        ctx.depth_func = "<"

        channels = self.drive.weights(pose)
        for gpu_mesh in self._meshes:
            gpu_mesh.deform(channels, mesh_matrix(gpu_mesh.mesh, pose, self.avatar.head_pivot))
        self._set_view_uniforms(width / max(1, height), flip=offscreen)
        catchlight = float(np.mean(self.lighting.catchlight.color))
        ctx.wireframe = self.wireframe
        for gpu_mesh in self._draw_order:
            gpu_mesh.draw(catchlight)
        ctx.wireframe = False

        ctx.disable(moderngl.CULL_FACE)
        if backdrop and not copy_backdrop:
            ctx.depth_func = "<="
            fbo.depth_mask = False
            self._backdrop.draw(flip=offscreen)
            fbo.depth_mask = True
            ctx.depth_func = "<"
        if self._blended:
            self._draw_blended(fbo, catchlight)
        ctx.front_face = "ccw"

    def _draw_blended(self, fbo: moderngl.Framebuffer, catchlight: float) -> None:
        """Alpha-blended meshes over the finished image, depth-tested but not writing depth."""
        ctx = self.ctx
        ctx.enable(moderngl.BLEND)
        ctx.blend_func = (moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA,
                          moderngl.ONE, moderngl.ONE_MINUS_SRC_ALPHA)
        if self.cull_back_faces:
            ctx.enable(moderngl.CULL_FACE)
        fbo.depth_mask = False
        ctx.wireframe = self.wireframe
        for gpu_mesh in self._blended:
            gpu_mesh.draw(catchlight)
        ctx.wireframe = False
        fbo.depth_mask = True
        ctx.disable(moderngl.CULL_FACE)
        ctx.disable(moderngl.BLEND)
        ctx.blend_func = moderngl.DEFAULT_BLENDING

    def read_pixels(self, out: np.ndarray | None = None) -> np.ndarray:
        """Read the offscreen image drawn by :meth:`render_to_fbo` (as :meth:`render` returns it).

        Parameters
        ----------
        out
            Optional C-contiguous ``(H, W, 3)`` uint8 array to fill, or ``(H, W, 4)`` for RGBA.
        """
        if out is None:
            w, h = self._target.size
            out = np.empty((h, w, 4 if self.transparent else 3), dtype=np.uint8)
        return self._target.read_into(out)

    def deformed_meshes(self, pose: Pose) -> list[tuple[np.ndarray, np.ndarray]]:
        """Run the GPU deformation for ``pose`` and read it back (a debug and test path).

        Returns
        -------
        list of tuple
            Per mesh of ``avatar.meshes``, ``(positions, normals)`` as ``(V, 3)`` float32 in
            avatar space: what the draw pass rasterises.
        """
        self._target.framebuffer.use()
        channels = self.drive.weights(pose)
        out = []
        for mesh in self.avatar.meshes:
            gpu_mesh = self._gpu.get(id(mesh))
            if gpu_mesh is None:
                empty = np.zeros((mesh.vertex_count, 3), dtype=np.float32)
                out.append((empty, empty.copy()))
                continue
            gpu_mesh.deform(channels, mesh_matrix(mesh, pose, self.avatar.head_pivot))
            out.append(gpu_mesh.read_deformed())
        return out

    def _set_view_uniforms(self, aspect: float, flip: bool) -> None:
        cam = self._camera
        proj = cam.projection_matrix(aspect)
        if flip:
            proj = _FLIP_Y @ proj
        view_projection = np.ascontiguousarray((proj @ cam.view_matrix()).T, dtype=np.float32)
        rig = self.lighting
        eye = tuple(float(c) for c in cam.eye)
        directions = rig.world_directions(cam)
        colors = np.array([x.color for x in rig.lights], dtype=np.float32)
        wraps = np.array([x.wrap for x in rig.lights], dtype=np.float32)
        speculars = np.array([x.specular for x in rig.lights], dtype=np.float32)
        catchlight = tuple(float(c) for c in rig.catchlight_direction(cam))
        for prog in self._surface_programs.values():
            prog["u_view_projection"].write(view_projection)
            prog["u_camera_position"].value = eye
            prog["u_light_direction"].write(directions)
            prog["u_light_color"].write(colors)
            prog["u_light_wrap"].write(wraps)
            prog["u_light_specular"].write(speculars)
            prog["u_sky"].value = rig.sky
            prog["u_ground"].value = rig.ground
            prog["u_scatter"].value = rig.scatter
            prog["u_exposure"].value = float(rig.exposure)
            prog["u_occlusion_direct"].value = float(rig.occlusion_direct)
            prog["u_catchlight_direction"].value = catchlight

    # -- lifetime --------------------------------------------------------------------------

    def resize(self, width: int, height: int) -> None:
        """Change the offscreen image size (an automatic camera is re-framed for the aspect)."""
        if (width, height) == self._target.size:
            return
        target = RenderTarget(self.ctx, width, height, self._samples)
        self._target.release()
        self._target = target
        if self._auto_camera:
            self._camera = Camera.framing(self.avatar, width / height, fov_deg=self._camera.fov_deg)

    def release(self) -> None:
        """Free all GL objects (and the context, when the renderer created it)."""
        if self._released:
            return
        self._released = True
        for gpu_mesh in getattr(self, "_gpu", {}).values():
            gpu_mesh.release()
        if hasattr(self, "_textures"):
            self._textures.release()
        for name in ("_target", "_backdrop", "_morph_program"):
            if hasattr(self, name):
                getattr(self, name).release()
        for prog in getattr(self, "_surface_programs", {}).values():
            prog.release()
        if self._owns_ctx:
            self.ctx.release()

    def __enter__(self) -> AvatarRenderer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
