#version 330 core
// Conditioning images (renderers/conditioning_render.py): the avatar as morph.vert deformed it,
// seen by the render camera. gl_Position is computed exactly as surface.vert computes it, so
// the silhouette matches the normal render pixel for pixel.

in vec3 in_position;                // avatar space, deformed
in vec3 in_normal;

uniform mat4 u_view_projection;     // as the surface pass's (with the read-back Y flip)
uniform mat4 u_view;                // avatar space -> camera space (rigid)

out vec3 v_view_position;           // camera space: +x right, +y up, the camera looks down -z
out vec3 v_view_normal;

void main() {
    v_view_position = (u_view * vec4(in_position, 1.0)).xyz;
    v_view_normal = mat3(u_view) * in_normal;
    gl_Position = u_view_projection * vec4(in_position, 1.0);
}
