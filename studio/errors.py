"""Errors raised by the application floor."""

from __future__ import annotations


class StudioError(Exception):
    """Base of every error the application floor raises for bad input.

    The message always says what is wrong and what to do about it.
    """


class ExportError(StudioError):
    """An output cannot be written (unknown format, unwritable folder...)."""


class ProjectError(StudioError):
    """A project file cannot be read or written (malformed, newer version, unsafe path...)."""
