"""Build pygltflib's document objects from parsed glTF JSON, quickly.

``pygltflib.GLTF2.from_json`` decodes through dataclasses-json, which takes a noticeable part
of a second for an avatar with a few hundred morph-target accessors. The document classes are
plain dataclasses, so this module builds them directly from their type hints: the same objects,
about twenty times faster.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from typing import Any

import pygltflib as gl

_KEPT_AS_JSON = {(gl.Primitive, "targets")}
"""Fields pygltflib itself leaves as plain JSON (morph targets stay ``{"POSITION": 3}`` dicts)."""


@functools.cache
def _field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def build(tp: Any, value: Any) -> Any:
    """Convert JSON ``value`` into an instance of the pygltflib type ``tp``.

    Unknown keys are dropped, as pygltflib does. Raises ``TypeError`` when the JSON's shape
    does not fit the type (an object where a list belongs...).

    Examples
    --------
    >>> doc = build(gl.GLTF2, {"asset": {"version": "2.0"}, "nodes": [{"name": "Head"}]})
    >>> doc.nodes[0].name, doc.asset.version
    ('Head', '2.0')
    """
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin is typing.Union:
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        return build(options[0], value) if len(options) == 1 else value
    if origin is list:
        (item,) = typing.get_args(tp)
        if not isinstance(value, list):
            raise TypeError(f"expected a list, got {type(value).__name__}")
        return [build(item, v) for v in value]
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise TypeError(f"expected an object for {tp.__name__}, got {type(value).__name__}")
        types = _field_types(tp)
        return tp(**{
            k: v if (tp, k) in _KEPT_AS_JSON else build(types[k], v)
            for k, v in value.items()
            if k in types
        })
    if tp is gl.Attributes:
        if not isinstance(value, dict):
            raise TypeError(f"expected an object for attributes, got {type(value).__name__}")
        return gl.Attributes(**{str(k): v for k, v in value.items()})
    return value


def document_from_json(raw: dict[str, Any]) -> gl.GLTF2:
    """The :class:`pygltflib.GLTF2` document for parsed glTF JSON."""
    return build(gl.GLTF2, raw)
