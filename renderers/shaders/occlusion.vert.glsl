#version 330 core
// Ambient-occlusion bake: for every vertex, the cosine-weighted fraction of MAX_DIRECTIONS
// directions from which it is visible, looked up in an atlas of orthographic depth maps
// (one tile per direction, rendered by depth.vert.glsl). Run once with transform feedback.

#define MAX_DIRECTIONS 64

in vec3 in_position;
in vec3 in_normal;

uniform sampler2D u_depth;              // depth atlas, tiles of u_tile texels
uniform vec3 u_directions[MAX_DIRECTIONS];  // unit, toward the viewer of each tile
uniform int u_count;
uniform int u_columns;                  // tiles per atlas row
uniform int u_tile;                     // tile size in texels
uniform vec3 u_centre;                  // bounding sphere of the avatar
uniform float u_radius;
uniform float u_offset;                 // push the sample point off the surface (metres)

out float out_occlusion;

// Orthographic view along -direction: tile-local (x, y) in 0..1 and depth in 0..1.
vec3 project(vec3 p, vec3 direction) {
    vec3 up = abs(direction.y) < 0.99 ? vec3(0.0, 1.0, 0.0) : vec3(1.0, 0.0, 0.0);
    vec3 right = normalize(cross(up, direction));
    vec3 top = cross(direction, right);
    vec3 q = p - u_centre;
    return vec3(dot(q, right), dot(q, top), -dot(q, direction)) / (2.0 * u_radius) + 0.5;
}

void main() {
    vec3 n = normalize(in_normal);
    vec3 p = in_position + u_offset * n;
    float seen = 0.0;
    float total = 0.0;
    for (int k = 0; k < u_count; ++k) {
        vec3 d = u_directions[k];
        float w = dot(n, d);
        if (w <= 0.0) continue;
        vec3 q = project(p, d);
        ivec2 tile = ivec2(k % u_columns, k / u_columns);
        ivec2 texel = tile * u_tile + clamp(ivec2(q.xy * float(u_tile)), ivec2(0), ivec2(u_tile - 1));
        float nearest = texelFetch(u_depth, texel, 0).r;
        // Slope-scaled bias: at grazing angles the surface's depth changes fast within a texel.
        float slope = min(sqrt(max(1.0 - w * w, 0.0)) / w, 8.0);
        float bias = (1.0 + 1.5 * slope) / float(u_tile);
        seen += q.z <= nearest + bias ? w : 0.0;
        total += w;
    }
    out_occlusion = total > 0.0 ? seen / total : 1.0;
}
