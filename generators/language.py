"""The spoken language setting of a voice line: English phones, or lip sync from the sound alone.

* ``"auto"`` (the default): English analysis (forced alignment with a transcript, phone
  recognition without); without a transcript, when the English phone recogniser cannot explain
  the voice (see :mod:`generators.rig.language_check`), the language-independent acoustic mode
  takes over and the provenance says why.
* ``"en"``: English analysis, always.
* ``"other"``: any language: lip sync from acoustic features alone (syllables, pauses, coarse
  mouth shapes); a transcript is ignored, and the provenance says so.

Examples
--------
>>> check_language("other")
'other'
>>> check_language("de")
Traceback (most recent call last):
...
generators.errors.GeneratorError: unknown language 'de' (use auto, en or other)
"""

from __future__ import annotations

from generators.errors import GeneratorError

__all__ = ["AUTO", "ENGLISH", "LANGUAGES", "LANGUAGE_NAMES", "OTHER", "check_language"]

AUTO = "auto"
"""English, switching to the acoustic mode when the English recogniser cannot explain the voice."""

ENGLISH = "en"
"""English phones, always."""

OTHER = "other"
"""Any language: lip sync from the sound alone."""

LANGUAGES: tuple[str, ...] = (AUTO, ENGLISH, OTHER)
"""The accepted values, default first."""

LANGUAGE_NAMES: dict[str, str] = {
    AUTO: "Automatic",
    ENGLISH: "English",
    OTHER: "Other language (from the sound)",
}
"""What a user interface calls each value."""


def check_language(value: object) -> str:
    """Return ``value`` if it is one of :data:`LANGUAGES`.

    Raises
    ------
    GeneratorError
        With a one-line message naming the accepted values.
    """
    if isinstance(value, str) and value in LANGUAGES:
        return value
    raise GeneratorError(f"unknown language {value!r:.40} (use auto, en or other)")
