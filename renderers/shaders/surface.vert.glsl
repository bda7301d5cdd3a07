#version 330 core
// Draw pass. Positions and normals were already deformed into avatar space by morph.vert.
// VERTEX_LIT (defined by the renderer for dense meshes): light each vertex here and let the
// rasteriser interpolate the display colour; otherwise pass the surface on for per-pixel light.
// BASE_COLOR_MAP / NORMAL_MAP (textured meshes) add the UVs, and the tangent for normal maps.

#include "lighting.glsl"

in vec3 in_position;
in vec3 in_normal;
in vec4 in_color;                   // rgb: vertex colour, a: baked ambient visibility
#if defined(BASE_COLOR_MAP) || defined(NORMAL_MAP)
in vec2 in_uv;
out vec2 v_uv;
#endif
#ifdef NORMAL_MAP
in vec4 in_tangent;                 // rest pose, xyz: tangent, w: bitangent sign
uniform mat3 u_tangent_model;       // the mesh's rigid rotation (head, gaze)
out vec4 v_tangent;
#endif

uniform mat4 u_view_projection;

#ifdef VERTEX_LIT
#ifdef BASE_COLOR_MAP
// Radiance is affine in the albedo: the fragment stage blends these two by the texture.
out vec3 v_radiance_black;          // with a black albedo
out vec3 v_radiance_plain;          // with the untextured albedo
#else
out vec3 v_display;
#endif
#else
out vec3 v_position;
out vec3 v_normal;
out vec4 v_color;
#endif

void main() {
#ifdef VERTEX_LIT
#ifdef BASE_COLOR_MAP
    v_radiance_black = shade(in_position, in_normal, vec3(0.0), in_color.a);
    v_radiance_plain = shade(in_position, in_normal, in_color.rgb, in_color.a);
#else
    v_display = to_display(shade(in_position, in_normal, in_color.rgb, in_color.a));
#endif
#else
    v_position = in_position;
    v_normal = in_normal;
    v_color = in_color;
#endif
#if defined(BASE_COLOR_MAP) || defined(NORMAL_MAP)
    v_uv = in_uv;
#endif
#ifdef NORMAL_MAP
    v_tangent = vec4(u_tangent_model * in_tangent.xyz, in_tangent.w);
#endif
    gl_Position = u_view_projection * vec4(in_position, 1.0);
}
