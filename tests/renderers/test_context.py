"""Headless EGL context creation and shader loading."""

from __future__ import annotations

import pytest

from renderers.context import REQUIRED_GL, create_headless_context
from renderers.errors import GLContextError
from renderers.shader_source import load_shader


def test_headless_context_offers_gl_33_core():
    ctx = create_headless_context()
    try:
        assert ctx.version_code >= REQUIRED_GL
        assert ctx.info["GL_RENDERER"]
    finally:
        ctx.release()


def test_impossible_version_raises_gl_context_error_naming_packages():
    with pytest.raises(GLContextError) as info:
        create_headless_context(require=990)
    message = str(info.value)
    assert "\n" not in message
    assert "libegl1 libegl-mesa0 libgl1 libgl1-mesa-dri libgbm1" in message


def test_shader_includes_and_defines_are_resolved():
    source = load_shader("surface.vert.glsl", ("VERTEX_LIT",))
    assert source.startswith("#version 330 core\n#define VERTEX_LIT\n")
    assert "#include" not in source
    assert "vec3 shade(" in source
