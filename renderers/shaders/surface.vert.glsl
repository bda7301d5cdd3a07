#version 330 core
// Draw pass. Positions and normals were already deformed into avatar space by morph.vert.
// VERTEX_LIT (defined by the renderer for dense meshes): light each vertex here and let the
// rasteriser interpolate the display colour; otherwise pass the surface on for per-pixel light.

#include "lighting.glsl"

in vec3 in_position;
in vec3 in_normal;
in vec4 in_color;                   // rgb: vertex colour, a: baked ambient visibility

uniform mat4 u_view_projection;

#ifdef VERTEX_LIT
out vec3 v_display;
#else
out vec3 v_position;
out vec3 v_normal;
out vec4 v_color;
#endif

void main() {
#ifdef VERTEX_LIT
    v_display = to_display(shade(in_position, in_normal, in_color.rgb, in_color.a));
#else
    v_position = in_position;
    v_normal = in_normal;
    v_color = in_color;
#endif
    gl_Position = u_view_projection * vec4(in_position, 1.0);
}
