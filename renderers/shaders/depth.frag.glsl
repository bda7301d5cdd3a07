#version 330 core
// Depth-only pass: no colour output.

void main() {
}
