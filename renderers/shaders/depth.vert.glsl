#version 330 core
// Depth-only orthographic view of the rest-pose avatar along -u_direction (occlusion bake).

in vec3 in_position;

uniform vec3 u_direction;
uniform vec3 u_centre;
uniform float u_radius;

void main() {
    vec3 up = abs(u_direction.y) < 0.99 ? vec3(0.0, 1.0, 0.0) : vec3(1.0, 0.0, 0.0);
    vec3 right = normalize(cross(up, u_direction));
    vec3 top = cross(u_direction, right);
    vec3 q = (in_position - u_centre) / u_radius;
    gl_Position = vec4(dot(q, right), dot(q, top), -dot(q, u_direction) * 0.5, 1.0);
}
