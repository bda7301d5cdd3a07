"""Errors raised by the generator floor."""

from __future__ import annotations


class GeneratorError(Exception):
    """Base of every error the generator floor raises for bad input.

    The message always says what is wrong and what to do about it.
    """


class AudioError(GeneratorError):
    """An audio file is missing, unreadable, empty, silent or too long."""


class TranscriptError(GeneratorError):
    """A transcript is empty, unusable, or does not match the audio."""


class PromptError(GeneratorError):
    """An emotion prompt or intensity cannot be understood."""


class Cancelled(GeneratorError):  # noqa: N818 (a cancel is not an error to the user)
    """The user cancelled a long-running operation."""


class ModelError(GeneratorError):
    """A model's files are unreadable, broken or of an unsupported kind."""


class ModelMissingError(ModelError):
    """A model is not installed where it was looked for."""
