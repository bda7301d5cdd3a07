"""Bake per-vertex ambient occlusion of an avatar's rest pose on the GPU.

Renders orthographic depth maps of the whole avatar from directions spread over the sphere
(one tile each in a depth atlas), then one transform-feedback pass measures, for every vertex,
the cosine-weighted share of those directions it is visible from. Done once per renderer; the
surface shaders use it to darken ambient (and some direct) light in creases, nostrils, the
mouth and the eye sockets.
"""

from __future__ import annotations

import math

import moderngl
import numpy as np

from renderers.avatar import Avatar
from renderers.render_target import release_framebuffer
from renderers.shader_source import load_shader

DIRECTIONS = 32
"""Directions sampled over the sphere (about half of them face any one vertex)."""

TILE = 256
"""Depth-map size per direction, in texels."""

MAX_DIRECTIONS = 64
"""Size of the direction uniform in ``occlusion.vert.glsl``."""


def sphere_directions(count: int) -> np.ndarray:
    """``(count, 3)`` float32 unit vectors spread evenly over the sphere (Fibonacci lattice)."""
    i = np.arange(count) + 0.5
    y = 1.0 - 2.0 * i / count
    r = np.sqrt(1.0 - y * y)
    phi = i * math.pi * (3.0 - math.sqrt(5.0))
    return np.stack([r * np.cos(phi), y, r * np.sin(phi)], axis=1).astype(np.float32)


def bake_occlusion(
    ctx: moderngl.Context, avatar: Avatar, directions: int = DIRECTIONS, tile: int = TILE
) -> list[np.ndarray]:
    """Return, per mesh of ``avatar``, a ``(V,)`` float32 visibility: 0 hidden .. 1 open.

    Parameters
    ----------
    ctx
        The GL context.
    avatar
        The avatar, in its rest pose.
    directions
        How many directions to sample (1 .. :data:`MAX_DIRECTIONS`).
    tile
        Depth-map resolution per direction.
    """
    if not 0 < directions <= MAX_DIRECTIONS:
        raise ValueError(f"directions must be in 1..{MAX_DIRECTIONS}, got {directions}")
    points = np.concatenate([m.positions for m in avatar.meshes]).astype(np.float32)
    lo, hi = points.min(axis=0), points.max(axis=0)
    centre = tuple(float(c) for c in 0.5 * (lo + hi))
    radius = float(np.linalg.norm(hi - lo)) * 0.5 * 1.01 + 1e-6
    dirs = sphere_directions(directions)
    columns = math.ceil(math.sqrt(directions))
    rows = math.ceil(directions / columns)

    fbo = ctx.framebuffer(depth_attachment=ctx.depth_texture((columns * tile, rows * tile)))
    owned: list[moderngl.Buffer | moderngl.Program | moderngl.VertexArray] = []
    try:
        _render_depth_atlas(ctx, fbo, avatar, points, dirs, columns, tile, centre, radius, owned)
        bake = ctx.program(
            vertex_shader=load_shader("occlusion.vert.glsl"), varyings=["out_occlusion"]
        )
        owned.append(bake)
        padded = np.zeros((MAX_DIRECTIONS, 3), dtype=np.float32)
        padded[:directions] = dirs
        bake["u_directions"].write(padded)
        bake["u_count"].value = directions
        bake["u_columns"].value = columns
        bake["u_tile"].value = tile
        bake["u_centre"].value = centre
        bake["u_radius"].value = radius
        bake["u_offset"].value = 1.5 * 2.0 * radius / tile  # 1.5 depth texels off the surface
        bake["u_depth"].value = 0
        fbo.depth_attachment.compare_func = ""
        fbo.depth_attachment.use(0)
        return [_visibility(ctx, bake, mesh.positions, mesh.normals) for mesh in avatar.meshes]
    finally:
        for obj in reversed(owned):
            obj.release()
        release_framebuffer(fbo)


def _render_depth_atlas(
    ctx: moderngl.Context,
    fbo: moderngl.Framebuffer,
    avatar: Avatar,
    points: np.ndarray,
    dirs: np.ndarray,
    columns: int,
    tile: int,
    centre: tuple[float, ...],
    radius: float,
    owned: list,
) -> None:
    program = ctx.program(
        vertex_shader=load_shader("depth.vert.glsl"),
        fragment_shader=load_shader("depth.frag.glsl"),
    )
    owned.append(program)
    starts = np.cumsum([0] + [m.vertex_count for m in avatar.meshes[:-1]])
    meshes = avatar.meshes
    pieces = [np.asarray(m.indices, np.int64) + s for m, s in zip(meshes, starts, strict=True)]
    triangles = np.concatenate(pieces).astype(np.uint32)
    vbo = ctx.buffer(points.tobytes())
    ibo = ctx.buffer(triangles.tobytes())
    vao = ctx.vertex_array(program, [(vbo, "3f", "in_position")], ibo, 4)
    owned.extend([vbo, ibo, vao])
    fbo.use()
    fbo.clear(depth=1.0)
    ctx.enable(moderngl.DEPTH_TEST)
    ctx.disable(moderngl.CULL_FACE)
    ctx.depth_func = "<"
    program["u_centre"].value = centre
    program["u_radius"].value = radius
    for k, d in enumerate(dirs):
        fbo.viewport = ((k % columns) * tile, (k // columns) * tile, tile, tile)
        program["u_direction"].value = tuple(float(c) for c in d)
        vao.render(moderngl.TRIANGLES)


def _visibility(
    ctx: moderngl.Context, bake: moderngl.Program, positions: np.ndarray, normals: np.ndarray
) -> np.ndarray:
    count = len(positions)
    if count == 0:
        return np.zeros(0, dtype=np.float32)
    data = np.hstack([positions, normals]).astype(np.float32)
    src = ctx.buffer(data.tobytes())
    out = ctx.buffer(reserve=count * 4)
    vao = ctx.vertex_array(bake, [(src, "3f 3f", "in_position", "in_normal")])
    try:
        vao.transform(out, moderngl.POINTS, vertices=count)
        return np.frombuffer(out.read(), dtype=np.float32).copy()
    finally:
        for obj in (vao, out, src):
            obj.release()
