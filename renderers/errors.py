"""Errors raised by the rendering floor."""

from __future__ import annotations


class RendererError(Exception):
    """Base of every error the rendering floor raises for bad input or a missing system piece.

    The message always says what is wrong and what to do about it.
    """


class AvatarError(RendererError):
    """An avatar file cannot be used (missing, unreadable, or without a usable face mesh)."""


class GLContextError(RendererError):
    """No OpenGL context could be created (missing EGL/Mesa libraries or no display)."""
