#version 330 core
// Morph + rigid deformation, run once per vertex with transform feedback (rasteriser off).
// Texture layout: see renderers/morph_pack.py. Mirrors renderers/deform.py.

// MAX_TARGETS is defined by the loader (renderers.morph_pack.MAX_TARGETS).
#define TEXTURE_SHIFT 12            // log2(TEXTURE_WIDTH)
#define TEXTURE_MASK 4095

in vec3 in_position;
in vec3 in_normal;
in ivec2 in_entries;                // (first entry, entry count) of this vertex
in float in_head;                   // share of the vertex that turns with the head (1: all)

uniform sampler2D u_morph;          // RGBA32F: (position delta, slot), (normal delta, 0)
uniform float u_weights[MAX_TARGETS];
uniform mat4 u_model;               // eye gaze then head rotation (rigid)

out vec3 out_position;
out vec3 out_normal;

ivec2 texel(int t) {
    return ivec2(t & TEXTURE_MASK, t >> TEXTURE_SHIFT);
}

void main() {
    vec3 p = in_position;
    vec3 n = in_normal;
    int end = in_entries.x + in_entries.y;
    for (int e = in_entries.x; e < end; ++e) {
        vec4 delta = texelFetch(u_morph, texel(2 * e), 0);
        float w = u_weights[int(delta.w)];
        if (w != 0.0) {
            p += w * delta.xyz;
            n += w * texelFetch(u_morph, texel(2 * e + 1), 0).xyz;
        }
    }
    out_position = mix(p, (u_model * vec4(p, 1.0)).xyz, in_head);
    float len = length(n);
    n = len > 0.0 ? n / len : n;
    vec3 turned = mat3(u_model) * n;
    len = length(turned);
    turned = len > 0.0 ? turned / len : turned;
    n = mix(n, turned, in_head);
    len = length(n);
    out_normal = len > 0.0 ? n / len : n;
}
