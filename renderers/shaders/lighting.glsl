// Shared lighting model, included by the surface shaders (renderers/shader_source.py resolves
// include lines). Three-point studio lights: wrap diffuse with a subsurface tint
// for skin, GGX specular, hemisphere ambient; Khronos PBR Neutral tone mapping; sRGB output.

#define NUM_LIGHTS 3
#define PI 3.14159265

uniform vec4 u_base_color;          // linear
uniform float u_roughness;
uniform float u_metallic;
uniform float u_subsurface;
uniform float u_specular;           // dielectric F0

uniform vec3 u_camera_position;
uniform vec3 u_light_direction[NUM_LIGHTS];   // toward the light, avatar space
uniform vec3 u_light_color[NUM_LIGHTS];       // linear radiance
uniform float u_light_wrap[NUM_LIGHTS];       // how far skin may wrap this light (0 = rim)
uniform float u_light_specular[NUM_LIGHTS];   // scale of each light's specular reflection
uniform vec3 u_sky;
uniform vec3 u_ground;
uniform vec3 u_scatter;             // subsurface tint (linear), reddish for skin
uniform float u_exposure;
uniform float u_occlusion_direct;   // how much baked occlusion also dims direct light
uniform vec3 u_catchlight_direction; // toward a small softbox near the camera (eyes only)
uniform float u_catchlight;         // its radiance for this material (0 for all but eyes)

float pow5(float x) {
    float x2 = x * x;
    return x2 * x2 * x;
}

// Linear radiance leaving a surface point toward the camera. `visibility` is the baked
// ambient occlusion (1 = fully open).
vec3 shade(vec3 position, vec3 n, vec3 vertex_color, float visibility) {
    vec3 v = normalize(u_camera_position - position);
    float n_v = max(dot(n, v), 1e-4);
    vec3 albedo = u_base_color.rgb * vertex_color;
    float rough = clamp(u_roughness, 0.04, 1.0);
    float a = rough * rough;
    float a2 = a * a;
    float k = 0.5 * a;
    vec3 f0 = mix(vec3(u_specular), albedo, u_metallic);
    vec3 diffuse_color = albedo * ((1.0 - u_metallic) / PI);
    // Red light scatters further in skin than green and blue: it wraps further.
    vec3 wrap_rgb = u_subsurface * vec3(1.0, 0.55, 0.4);
    float vis_v = n_v * (1.0 - k) + k;

    vec3 color = vec3(0.0);
    for (int i = 0; i < NUM_LIGHTS; ++i) {
        vec3 l = u_light_direction[i];
        float n_l = dot(n, l);
        vec3 w = wrap_rgb * u_light_wrap[i];
        vec3 wrapped = clamp((vec3(n_l) + w) / (1.0 + w), 0.0, 1.0);
        float lit = max(n_l, 0.0);
        vec3 scatter = u_scatter * u_subsurface * max(wrapped - vec3(lit), 0.0);
        vec3 h = normalize(l + v);
        float n_h = max(dot(n, h), 0.0);
        float d = n_h * n_h * (a2 - 1.0) + 1.0;
        float spec_d = a2 / (PI * d * d);
        float vis = 0.25 / (vis_v * (lit * (1.0 - k) + k));
        vec3 fresnel = f0 + (1.0 - f0) * pow5(1.0 - max(dot(v, h), 0.0));
        vec3 specular = spec_d * vis * fresnel * (lit * u_light_specular[i]);
        color += u_light_color[i] * (diffuse_color * (wrapped + scatter) + specular);
    }
    color *= mix(1.0, visibility, u_occlusion_direct);

    // Catchlight: a specular-only reflection of a softbox near the camera, for lively eyes.
    if (u_catchlight > 0.0) {
        vec3 h = normalize(u_catchlight_direction + v);
        float n_h = max(dot(n, h), 0.0);
        float d = n_h * n_h * (a2 - 1.0) + 1.0;
        float n_l = max(dot(n, u_catchlight_direction), 0.0);
        color += u_catchlight * a2 / (PI * d * d) * f0 * n_l * visibility;
    }

    // Hemisphere ambient (diffuse) and a rough environment reflection.
    vec3 ambient = mix(u_ground, u_sky, 0.5 + 0.5 * n.y);
    vec3 r = reflect(-v, n);
    vec3 env = mix(u_ground, u_sky, 0.5 + 0.5 * r.y);
    vec3 fr = f0 + (max(vec3(1.0 - rough), f0) - f0) * pow5(1.0 - n_v);
    color += (diffuse_color * PI * ambient + env * fr * (1.0 - 0.7 * rough)) * visibility;
    return color * u_exposure;
}

// Khronos PBR Neutral tone mapping, without branches (cheaper on SIMD rasterisers).
vec3 tone_map(vec3 c) {
    const float start = 0.76;
    const float desat = 0.15;
    const float d = 1.0 - start;
    float x = min(c.r, min(c.g, c.b));
    c -= x < 0.08 ? x - 6.25 * x * x : 0.04;
    float peak = max(c.r, max(c.g, c.b));
    float new_peak = peak < start ? peak : 1.0 - d * d / (peak + d - start);
    c *= new_peak / max(peak, 1e-6);
    float g = 1.0 - 1.0 / (desat * (peak - new_peak) + 1.0);
    return mix(c, vec3(new_peak), g);
}

// Linear -> sRGB with square roots instead of pow (error < 0.3 of an 8-bit step).
vec3 to_srgb(vec3 c) {
    c = clamp(c, 0.0, 1.0);
    vec3 s1 = sqrt(c);
    vec3 s2 = sqrt(s1);
    vec3 s3 = sqrt(s2);
    vec3 curve = 0.662002687 * s1 + 0.684122060 * s2 - 0.323583601 * s3 - 0.0225411470 * c;
    return mix(12.92 * c, curve, step(0.0031308, c));
}

// Display colour (sRGB, 0..1) of a linear radiance.
vec3 to_display(vec3 linear) {
    return to_srgb(tone_map(linear));
}

// Interleaved-gradient noise in -0.5..0.5, to dither 8-bit output against banding.
float dither(vec2 p) {
    return fract(52.9829189 * fract(dot(p, vec2(0.06711056, 0.00583715)))) - 0.5;
}
