#version 330 core
// Draw pass fragment stage: per-pixel lighting, or the interpolated per-vertex colour.
// Only per-pixel lighting is dithered: on dense vertex-lit skin it would cost a fifth of the
// frame on a software rasteriser for no visible gain (the backdrop is dithered).
// BASE_COLOR_MAP multiplies the albedo by an sRGB texture (decoded to linear by the GPU);
// NORMAL_MAP bends the normal by a tangent-space normal map (glTF: +X right, +Y up the image);
// ALPHA_MASK drops pixels below the cutoff, ALPHA_BLEND outputs alpha for blending.

#include "lighting.glsl"

#ifdef VERTEX_LIT
#ifdef BASE_COLOR_MAP
in vec3 v_radiance_black;
in vec3 v_radiance_plain;
#else
in vec3 v_display;
#endif
#else
in vec3 v_position;
in vec3 v_normal;
in vec4 v_color;
#endif
#if defined(BASE_COLOR_MAP) || defined(NORMAL_MAP)
in vec2 v_uv;

// Sample with mirrored repeat on the axes where `mirror` is 1 (folding the coordinates;
// the unfolded derivatives keep the mip level right across the folds).
vec4 sample_map(sampler2D map, vec2 uv, vec2 mirror) {
    if (mirror.x + mirror.y == 0.0) return texture(map, uv);
    vec2 folded = 1.0 - abs(mod(uv, 2.0) - 1.0);
    return textureGrad(map, mix(uv, folded, mirror), dFdx(uv), dFdy(uv));
}
#endif
#ifdef BASE_COLOR_MAP
uniform sampler2D u_base_color_map;
uniform vec2 u_base_color_mirror;
#endif
#ifdef NORMAL_MAP
in vec4 v_tangent;
uniform sampler2D u_normal_map;
uniform vec2 u_normal_mirror;
uniform float u_normal_scale;
#endif
#if defined(ALPHA_MASK) || defined(ALPHA_BLEND)
uniform float u_alpha_cutoff;
#endif

out vec4 f_color;

void main() {
#ifdef BASE_COLOR_MAP
    vec4 texel = sample_map(u_base_color_map, v_uv, u_base_color_mirror);
#else
    vec4 texel = vec4(1.0);
#endif
    float alpha = u_base_color.a * texel.a;
#ifdef ALPHA_MASK
    if (alpha < u_alpha_cutoff) discard;
    alpha = 1.0;
#elif !defined(ALPHA_BLEND)
    alpha = 1.0;
#endif

#ifdef VERTEX_LIT
#ifdef BASE_COLOR_MAP
    vec3 radiance = v_radiance_black + texel.rgb * (v_radiance_plain - v_radiance_black);
    f_color = vec4(to_display(radiance), alpha);
#else
    f_color = vec4(v_display, alpha);
#endif
#else
    vec3 n = normalize(v_normal);
#ifdef NORMAL_MAP
    // Gram-Schmidt: the rest tangent, rotated with the mesh, made orthogonal to the morphed
    // normal (morphs bend normals a little; the tangent follows).
    vec3 t = v_tangent.xyz - n * dot(n, v_tangent.xyz);
    float t_len = length(t);
    if (t_len > 1e-6) {
        t /= t_len;
        vec3 b = cross(n, t) * (v_tangent.w < 0.0 ? -1.0 : 1.0);
        vec3 m = sample_map(u_normal_map, v_uv, u_normal_mirror).xyz * 2.0 - 1.0;
        m.xy *= u_normal_scale;
        n = normalize(t * m.x + b * m.y + n * max(m.z, 1e-3));
    }
#endif
    if (!gl_FrontFacing) n = -n;
    vec3 display = to_display(shade(v_position, n, v_color.rgb * texel.rgb, v_color.a));
    f_color = vec4(display + dither(gl_FragCoord.xy) / 255.0, alpha);
#endif
}
