"""One avatar mesh on the GPU: rest data, packed morph targets, deformation and drawing."""

from __future__ import annotations

import moderngl
import numpy as np

from renderers.avatar import AvatarMesh
from renderers.deform import DrivenTargets
from renderers.errors import RendererError
from renderers.morph_pack import MAX_TARGETS, TEXTURE_WIDTH, pack_morph_targets
from renderers.object_cache import ObjectCache

_DRIVEN_TARGETS: ObjectCache[DrivenTargets] = ObjectCache()
"""Morph targets prepared once per mesh object."""

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
    teeth, glossy materials and coarse meshes keep per-pixel lighting for crisp highlights.
    """
    return (
        mesh.vertex_count >= VERTEX_LIT_MIN_VERTICES
        and mesh.part not in _GLOSSY_PARTS
        and mesh.material.roughness >= 0.3
    )


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
        Program built from ``surface.vert.glsl`` + ``surface.frag.glsl`` (per-pixel or
        per-vertex lighting: see :func:`prefers_vertex_lighting`).
    occlusion
        Optional ``(V,)`` baked ambient visibility (1 = open), see :mod:`renderers.occlusion`.
    """

    def __init__(
        self,
        ctx: moderngl.Context,
        mesh: AvatarMesh,
        morph_program: moderngl.Program,
        surface_program: moderngl.Program,
        occlusion: np.ndarray | None = None,
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
            ],
        )
        self._draw_vao = ctx.vertex_array(
            surface_program,
            [
                (self.deformed, "3f 3f", "in_position", "in_normal"),
                (self._colors, "4f", "in_color"),
            ],
            index_buffer=self._indices,
            index_element_size=4,
        )
        self._weights = np.zeros(MAX_TARGETS, dtype=np.float32)
        self._last_key: bytes | None = None
        self._is_eye = mesh.part in ("eye_left", "eye_right")
        self._material = self._material_uniforms()

    def _material_uniforms(self) -> dict[str, object]:
        mat = self.mesh.material
        roughness = float(mat.roughness)
        if self._is_eye:
            roughness = min(roughness, EYE_MAX_ROUGHNESS)
        return {
            "u_base_color": tuple(float(c) for c in mat.base_color),
            "u_roughness": roughness,
            "u_metallic": float(mat.metallic),
            "u_subsurface": float(mat.subsurface),
            "u_specular": 0.028 if mat.subsurface > 0 else 0.04,
        }

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
        self._draw_vao.render(moderngl.TRIANGLES)

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
                    self._indices, self._colors, self._entries, self._rest):
            obj.release()
