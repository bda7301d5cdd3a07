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


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type name when it has none), for the
    one-line errors that quote what a library said.

    Examples
    --------
    >>> first_line(ValueError("bad header\\nat byte 12"))
    'bad header'
    >>> first_line(OSError())
    'OSError'
    """
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
