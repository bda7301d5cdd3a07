#version 330 core
// Draw pass fragment stage: per-pixel lighting, or the interpolated per-vertex colour.
// Only per-pixel lighting is dithered: on dense vertex-lit skin it would cost a fifth of the
// frame on a software rasteriser for no visible gain (the backdrop is dithered).

#include "lighting.glsl"

#ifdef VERTEX_LIT
in vec3 v_display;
#else
in vec3 v_position;
in vec3 v_normal;
in vec4 v_color;
#endif

out vec4 f_color;

void main() {
#ifdef VERTEX_LIT
    f_color = vec4(v_display, 1.0);
#else
    vec3 n = normalize(v_normal);
    if (!gl_FrontFacing) n = -n;
    vec3 display = to_display(shade(v_position, n, v_color.rgb, v_color.a));
    f_color = vec4(display + dither(gl_FragCoord.xy) / 255.0, 1.0);
#endif
}
