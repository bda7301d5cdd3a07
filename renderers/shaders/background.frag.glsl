#version 330 core
// Neutral studio backdrop: a soft vertical gradient (no vignette), dithered against banding.

in vec2 v_uv;

uniform vec3 u_top;      // display (sRGB) colours
uniform vec3 u_bottom;
uniform float u_flip;    // 1 when the image is rendered upside down for top-first readback

out vec4 f_color;

float dither(vec2 p) {
    return fract(52.9829189 * fract(dot(p, vec2(0.06711056, 0.00583715)))) - 0.5;
}

void main() {
    float y = mix(v_uv.y, 1.0 - v_uv.y, u_flip);
    vec3 c = mix(u_bottom, u_top, smoothstep(0.0, 1.0, y));
    f_color = vec4(c + dither(gl_FragCoord.xy) / 255.0, 1.0);
}
