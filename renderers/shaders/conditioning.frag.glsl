#version 330 core
// Conditioning images for the SD-1.5 ControlNets, one of (defined by the renderer):
// DEPTH_MAP: inverse depth (disparity, as MiDaS gives it) mapped linearly from the take's
//   fixed range, near = 255 (white) .. far = 1; 0 is left for the background.
// NORMAL_MAP_BAE: camera-space normal in NormalBAE's axes (x to the viewer's LEFT, y up,
//   z toward the camera), encoded as n * 0.5 + 0.5.

in vec3 v_view_position;
in vec3 v_view_normal;

#ifdef DEPTH_MAP
uniform vec2 u_inverse_range;       // (1 / near, 1 / far), in 1 / metres
#endif

out vec4 f_color;

void main() {
#ifdef DEPTH_MAP
    float inverse_depth = 1.0 / max(-v_view_position.z, 1e-6);
    float s = clamp((inverse_depth - u_inverse_range.y) / (u_inverse_range.x - u_inverse_range.y),
                    0.0, 1.0);
    f_color = vec4(vec3((1.0 + 254.0 * s) / 255.0), 1.0);
#else
    float len = length(v_view_normal);
    vec3 n = len > 0.0 ? v_view_normal / len : vec3(0.0, 0.0, 1.0);
    f_color = vec4(0.5 - 0.5 * n.x, 0.5 + 0.5 * n.y, 0.5 + 0.5 * n.z, 1.0);
#endif
}
