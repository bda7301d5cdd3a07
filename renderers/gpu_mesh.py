"""One avatar mesh on the GPU: rest data, packed morph targets, deformation and drawing."""

from __future__ import annotations

import moderngl
import numpy as np

from renderers.avatar import AvatarMesh, Texture
from renderers.deform import DrivenTargets
from renderers.errors import RendererError
from renderers.morph_pack import MAX_TARGETS, TEXTURE_WIDTH, pack_morph_targets
from renderers.object_cache import ObjectCache
from renderers.textures import TextureUploads, mirror_flags

_DRIVEN_TARGETS: ObjectCache[DrivenTargets] = ObjectCache()
"""Morph targets prepared once per mesh object."""

_TANGENTS: ObjectCache[np.ndarray] = ObjectCache()
"""Tangents generated once per normal-mapped mesh that came without them."""

EYE_MAX_ROUGHNESS = 0.12
"""Eyes are always drawn at least this glossy so they catch the key light."""

VERTEX_LIT_MIN_VERTICES = 3000
"""Meshes with at least this many vertices may be lit per vertex (see below)."""

_GLOSSY_PARTS = ("eye_left", "eye_right", "teeth")


def prefers_vertex_lighting(mesh: AvatarMesh) -> bool:
    """Whether lighting ``mesh`` per vertex looks the same as per pixel, and is much cheaper.

    Dense, non-glossy meshes (a face's skin) have triangles only a few pixels wide at
    typical sizes, so interpolating per-vertex lighting is indistinguishable from per-pixel
    lighting, while a software rasteriser shades several pixels per tiny triangle. Eyes,
    teeth, glossy materials, coarse meshes and normal-mapped meshes (the map's detail is
    finer than the triangles) keep per-pixel lighting.
    """
    return (
        mesh.vertex_count >= VERTEX_LIT_MIN_VERTICES
        and mesh.part not in _GLOSSY_PARTS
        and mesh.material.roughness >= 0.3
        and _map(mesh, mesh.material.normal_texture) is None
    )


def _map(mesh: AvatarMesh, texture: Texture | None) -> Texture | None:
    """``texture`` when ``mesh`` can sample it (it has a UV per vertex)."""
    uvs = mesh.uvs
    if texture is None or uvs is None or len(uvs) != mesh.vertex_count:
        return None
    return texture


def surface_defines(mesh: AvatarMesh, vertex_lit: bool) -> tuple[str, ...]:
    """Preprocessor names of the surface program that draws ``mesh``.

    ``VERTEX_LIT`` (see :func:`prefers_vertex_lighting`), ``BASE_COLOR_MAP`` and
    ``NORMAL_MAP`` for the textures the mesh can sample (a normal map needs per-pixel
    lighting), ``ALPHA_MASK``/``ALPHA_BLEND`` for the material's alpha mode. A mesh without
    textures and opaque gets exactly the program it always had.

    Examples
    --------
    >>> import numpy as np
    >>> from renderers.avatar import AvatarMesh
    >>> m = AvatarMesh("m", "skin", np.zeros((3, 3), np.float32), np.zeros((3, 3), np.float32),
    ...                np.zeros((1, 3), np.uint32))
    >>> surface_defines(m, True)
    ('VERTEX_LIT',)
    """
    mat = mesh.material
    defines = ["VERTEX_LIT"] if vertex_lit else []
    if _map(mesh, mat.base_color_texture) is not None:
        defines.append("BASE_COLOR_MAP")
    if not vertex_lit and _map(mesh, mat.normal_texture) is not None:
        defines.append("NORMAL_MAP")
    if mat.alpha_mode == "mask":
        defines.append("ALPHA_MASK")
    elif mat.alpha_mode == "blend":
        defines.append("ALPHA_BLEND")
    return tuple(defines)


class GpuMesh:
    """GPU resources of one :class:`~renderers.avatar.AvatarMesh`.

    Each frame :meth:`deform` runs the morph program once per vertex with transform
    feedback (blending the targets that move that vertex, then the rigid transform) into a
    vertex buffer that :meth:`draw` renders with one indexed draw call.

    Parameters
    ----------
    ctx
        The GL context.
    mesh
        The mesh (avatar space).
    morph_program
        Program built from ``morph.vert.glsl`` with varyings ``out_position, out_normal``.
    surface_program
        Program built from ``surface.vert.glsl`` + ``surface.frag.glsl`` with the mesh's
        :func:`surface_defines` (per-pixel or per-vertex lighting, textures, alpha).
    occlusion
        Optional ``(V,)`` baked ambient visibility (1 = open), see :mod:`renderers.occlusion`.
    textures
        Where the material's textures are uploaded (shared by the renderer's meshes); needed
        when the program samples textures.
    """

    def __init__(
        self,
        ctx: moderngl.Context,
        mesh: AvatarMesh,
        morph_program: moderngl.Program,
        surface_program: moderngl.Program,
        occlusion: np.ndarray | None = None,
        textures: TextureUploads | None = None,
    ) -> None:
        self.mesh = mesh
        self.vertex_count = mesh.vertex_count
        self._morph_program = morph_program
        self._surface_program = surface_program
        self.targets = _DRIVEN_TARGETS.get(mesh, lambda: DrivenTargets.from_mesh(mesh))
        self.pack = pack_morph_targets(self.targets)

        v = self.vertex_count
        rest = np.empty((v, 6), dtype=np.float32)
        rest[:, :3] = mesh.positions
        rest[:, 3:] = mesh.normals
        colors = np.ones((v, 4), dtype=np.float32)  # rgb: vertex colour, a: ambient visibility
        if mesh.colors is not None:
            colors[:, :3] = np.asarray(mesh.colors, dtype=np.float32)[:, :3]
        if occlusion is not None:
            colors[:, 3] = occlusion
        self._rest = ctx.buffer(rest.tobytes())
        self._entries = ctx.buffer(self.pack.entries.tobytes())
        head = np.ones(v, dtype=np.float32) if mesh.head_weights is None else mesh.head_weights
        self._head = ctx.buffer(np.ascontiguousarray(head, dtype=np.float32).tobytes())
        self._colors = ctx.buffer(colors.tobytes())
        self._indices = ctx.buffer(np.ascontiguousarray(mesh.indices, dtype=np.uint32).tobytes())
        self.deformed = ctx.buffer(reserve=max(1, v) * 24)
        rows = self.pack.texels.shape[0]
        max_size = int(ctx.info.get("GL_MAX_TEXTURE_SIZE", 16384))
        if rows > max_size:
            raise RendererError(
                f"mesh {mesh.name!r} has too many morph-target deltas for this GL driver "
                f"({rows} texture rows, at most {max_size}); decimate the mesh or drop targets"
            )
        self._morph = ctx.texture((TEXTURE_WIDTH, rows), 4, self.pack.texels.tobytes(), dtype="f4")
        self._morph.filter = (moderngl.NEAREST, moderngl.NEAREST)
        self._morph.repeat_x = self._morph.repeat_y = False

        self._deform_vao = ctx.vertex_array(
            morph_program,
            [
                (self._rest, "3f 3f", "in_position", "in_normal"),
                (self._entries, "2i", "in_entries"),
                (self._head, "1f", "in_head"),
            ],
        )
        self._maps = self._texture_maps(surface_program, textures)
        content = [
            (self.deformed, "3f 3f", "in_position", "in_normal"),
            (self._colors, "4f", "in_color"),
        ]
        self._surface: moderngl.Buffer | None = None
        if self._maps:
            self._surface, layout = self._surface_buffer(ctx, "u_normal_map" in self._maps)
            content.append((self._surface, *layout))
        self._draw_vao = ctx.vertex_array(
            surface_program, content, index_buffer=self._indices, index_element_size=4,
        )
        self._tangent_model = np.eye(3, dtype=np.float32)
        self._weights = np.zeros(MAX_TARGETS, dtype=np.float32)
        self._last_key: bytes | None = None
        self._is_eye = mesh.part in ("eye_left", "eye_right")
        self._material = self._material_uniforms()

    def _texture_maps(self, program: moderngl.Program,
                      textures: TextureUploads | None) -> dict[str, tuple[int, Texture]]:
        """Sampler uniform -> (texture unit, texture) for the maps ``program`` samples."""
        mat = self.mesh.material
        wanted = {"u_base_color_map": (1, mat.base_color_texture),
                  "u_normal_map": (2, mat.normal_texture)}
        maps = {}
        for name, (unit, texture) in wanted.items():
            if program.get(name, None) is not None and texture is not None:
                maps[name] = (unit, texture)
        if maps and textures is None:
            raise RendererError(f"mesh {self.mesh.name!r} has textures but no texture uploads")
        self._uploads = textures
        return maps

    def _surface_buffer(self, ctx: moderngl.Context,
                        tangents: bool) -> tuple[moderngl.Buffer, tuple[str, ...]]:
        """The static UV (and tangent) buffer with its vertex-array layout."""
        mesh = self.mesh
        uv = np.asarray(mesh.uvs, dtype=np.float32).reshape(-1, 2)
        if not tangents:
            return ctx.buffer(np.ascontiguousarray(uv).tobytes()), ("2f", "in_uv")
        tan = mesh.tangents
        if tan is None or len(tan) != mesh.vertex_count:
            from renderers.loaders.gltf_textures import vertex_tangents

            tan = _TANGENTS.get(mesh, lambda: vertex_tangents(
                mesh.positions, mesh.normals, uv, mesh.indices))
        data = np.concatenate([uv, np.asarray(tan, dtype=np.float32).reshape(-1, 4)], axis=1)
        return ctx.buffer(np.ascontiguousarray(data).tobytes()), ("2f 4f", "in_uv", "in_tangent")

    def _material_uniforms(self) -> dict[str, object]:
        mat = self.mesh.material
        roughness = float(mat.roughness)
        if self._is_eye:
            roughness = min(roughness, EYE_MAX_ROUGHNESS)
        uniforms: dict[str, object] = {
            "u_base_color": tuple(float(c) for c in mat.base_color),
            "u_roughness": roughness,
            "u_metallic": float(mat.metallic),
            "u_subsurface": float(mat.subsurface),
            "u_specular": 0.028 if mat.subsurface > 0 else 0.04,
        }
        optional = {
            "u_base_color_mirror": (mirror_flags(mat.base_color_texture)
                                    if mat.base_color_texture is not None else (0.0, 0.0)),
            "u_normal_mirror": (mirror_flags(mat.normal_texture)
                                if mat.normal_texture is not None else (0.0, 0.0)),
            "u_normal_scale": float(mat.normal_scale),
            "u_alpha_cutoff": float(mat.alpha_cutoff),
        }
        prog = self._surface_program
        uniforms.update({k: v for k, v in optional.items() if prog.get(k, None) is not None})
        return uniforms

    def deform(self, channels: np.ndarray, model: np.ndarray) -> None:
        """Deform the vertices with the ``(4, 4)`` rigid ``model`` transform.

        ``channels`` are all driven-channel weights of the pose
        (:meth:`renderers.channel_drive.ChannelDrive.weights`). Skipped when the weights of
        this mesh's targets and the transform equal the last call's.
        """
        weights = self.targets.select(channels)
        model_gl = np.ascontiguousarray(model.T, dtype=np.float32)
        key = weights.tobytes() + model_gl.tobytes()
        if key == self._last_key:
            return
        self._weights[: len(weights)] = weights
        prog = self._morph_program
        prog["u_weights"].write(self._weights)
        prog["u_model"].write(model_gl)
        self._morph.use(0)
        self._deform_vao.transform(self.deformed, moderngl.POINTS, vertices=self.vertex_count)
        self._last_key = key
        self._tangent_model = np.ascontiguousarray(model[:3, :3].T, dtype=np.float32)

    def draw(self, catchlight: float = 0.0) -> None:
        """Draw the deformed mesh with its material (the program's view uniforms already set).

        Parameters
        ----------
        catchlight
            Radiance of the eyes' catchlight; used only if this mesh is an eye.
        """
        prog = self._surface_program
        for name, value in self._material.items():
            prog[name].value = value
        prog["u_catchlight"].value = catchlight if self._is_eye else 0.0
        if self._maps:
            for name, (unit, texture) in self._maps.items():
                self._uploads.get(texture).use(unit)  # type: ignore[union-attr]
                prog[name].value = unit
            if "u_normal_map" in self._maps:
                prog["u_tangent_model"].write(self._tangent_model)
        self._draw_vao.render(moderngl.TRIANGLES)

    @property
    def blends(self) -> bool:
        """Whether the mesh is drawn with alpha blending (after the opaque meshes)."""
        return self.mesh.material.alpha_mode == "blend"

    def read_deformed(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the last deformed ``(positions, normals)``, each ``(V, 3)`` float32."""
        data = np.frombuffer(self.deformed.read(), dtype=np.float32).reshape(-1, 6)
        return data[:, :3].copy(), data[:, 3:].copy()

    def invalidate(self) -> None:
        """Force the next :meth:`deform` to run (e.g. after the context ran other work)."""
        self._last_key = None

    def release(self) -> None:
        """Free the GL objects."""
        for obj in (self._deform_vao, self._draw_vao, self._morph, self.deformed,
                    self._indices, self._colors, self._entries, self._head, self._rest,
                    self._surface):
            if obj is not None:
                obj.release()
