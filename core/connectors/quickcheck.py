"""A quick yes-or-no of JSON Schema validity, asked before jsonschema itself.

Every source's answer is validated (validation.py), and jsonschema spent about half of a
sandbox fetch's CPU on it: for every node it makes a validator and walks every keyword,
gathering errors, although nearly every answer is valid. `compile_check` turns a schema into
nested functions that only answer "valid?", with Draft 2020-12's meaning and the same format
checker. It knows the keywords listed in `_KEYWORDS`; a schema with any other keyword gets
None, and is left to jsonschema alone.

An answer the quick check refuses is validated again by jsonschema, whose error (JSON path,
message) is the one reported: the quick check decides nothing jsonschema would decide
otherwise, and never words an error.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jsonschema import FormatChecker

__all__ = ["compile_check", "Check"]

Check = Callable[[Any], bool]

#: Keywords that say nothing about validity.
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "$defs", "title", "description", "default", "examples",
                          "deprecated", "readOnly", "writeOnly"})


class _Unsupported(Exception):
    """The schema uses a keyword (or a form of one) the quick check does not implement."""


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


#: JSON Schema's types as Draft 2020-12's type checker defines them (a bool is not a number;
#: a float without a fractional part is an integer).
_TYPES: dict[str, Check] = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "number": _is_number,
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
}


def compile_check(schema: Any, format_checker: FormatChecker | None = None) -> Check | None:
    """A function answering whether a document is valid against `schema`, or None when the
    schema uses a keyword this module does not implement. Local `$ref`s ("#/$defs/NAME") are
    followed, recursive ones included; formats are asserted with `format_checker` if given."""
    definitions = schema.get("$defs", {}) if isinstance(schema, dict) else {}
    compiled: dict[str, Check] = {}

    def ref(target: Any) -> Check:
        name = target[len("#/$defs/"):] if isinstance(target, str) and target.startswith("#/$defs/") else None
        if name is None or name not in definitions or "/" in name:
            raise _Unsupported(f"$ref {target!r}")
        if name not in compiled:
            compiled[name] = lambda v: compiled[name](v)  # a recursive reference sees the real one once built
            compiled[name] = build(definitions[name])
        return compiled[name]

    def build(node: Any) -> Check:
        if node is True:
            return lambda v: True
        if node is False:
            return lambda v: False
        if not isinstance(node, dict):
            raise _Unsupported(f"schema {node!r}")
        checks: list[Check] = []
        for keyword, value in node.items():
            if keyword in _ANNOTATIONS:
                continue
            make = _KEYWORDS.get(keyword)
            if make is None:
                raise _Unsupported(keyword)
            checks.append(make(value, node, build, ref, format_checker))
        if not checks:
            return lambda v: True
        if len(checks) == 1:
            return checks[0]
        return lambda v: all(check(v) for check in checks)

    try:
        return build(schema)
    except _Unsupported:
        return None


# -- one maker per keyword: (keyword's value, the schema holding it, build, ref, format checker) -> check

def _type(value, node, build, ref, formats) -> Check:
    names = [value] if isinstance(value, str) else value
    if not all(name in _TYPES for name in names):
        raise _Unsupported(f"type {value!r}")
    if len(names) == 1:
        return _TYPES[names[0]]
    tests = [_TYPES[name] for name in names]
    return lambda v: any(test(v) for test in tests)


def _enum(value, node, build, ref, formats) -> Check:
    if not all(item is None or isinstance(item, str) for item in value):
        raise _Unsupported("enum of other than strings and null")  # jsonschema's equality of numbers and lists
    strings, null = frozenset(item for item in value if item is not None), None in value
    return lambda v: (v is None and null) or (isinstance(v, str) and v in strings)


def _format(value, node, build, ref, formats) -> Check:
    if formats is None:
        return lambda v: True  # an annotation unless formats are asserted
    return lambda v: formats.conforms(v, value)


def _pattern(value, node, build, ref, formats) -> Check:
    pattern = re.compile(value)
    return lambda v: not isinstance(v, str) or pattern.search(v) is not None


def _minimum(value, node, build, ref, formats) -> Check:
    return lambda v: not _is_number(v) or v >= value


def _maximum(value, node, build, ref, formats) -> Check:
    return lambda v: not _is_number(v) or v <= value


def _min_length(value, node, build, ref, formats) -> Check:
    return lambda v: not isinstance(v, str) or len(v) >= value


def _max_length(value, node, build, ref, formats) -> Check:
    return lambda v: not isinstance(v, str) or len(v) <= value


def _min_items(value, node, build, ref, formats) -> Check:
    return lambda v: not isinstance(v, list) or len(v) >= value


def _max_items(value, node, build, ref, formats) -> Check:
    return lambda v: not isinstance(v, list) or len(v) <= value


def _required(value, node, build, ref, formats) -> Check:
    names = tuple(value)
    return lambda v: not isinstance(v, dict) or all(name in v for name in names)


def _properties(value, node, build, ref, formats) -> Check:
    checks = [(name, build(sub)) for name, sub in value.items()]
    return lambda v: not isinstance(v, dict) or all(check(v[name]) for name, check in checks if name in v)


def _additional_properties(value, node, build, ref, formats) -> Check:
    if "patternProperties" in node:
        raise _Unsupported("additionalProperties beside patternProperties")
    declared = frozenset(node.get("properties", ()))
    if value is False:
        return lambda v: not isinstance(v, dict) or declared.issuperset(v)
    check = build(value)
    return lambda v: not isinstance(v, dict) or all(check(item) for name, item in v.items() if name not in declared)


def _items(value, node, build, ref, formats) -> Check:
    if "prefixItems" in node:
        raise _Unsupported("items beside prefixItems")
    check = build(value)
    return lambda v: not isinstance(v, list) or all(check(item) for item in v)


def _property_names(value, node, build, ref, formats) -> Check:
    check = build(value)
    return lambda v: not isinstance(v, dict) or all(check(name) for name in v)


def _all_of(value, node, build, ref, formats) -> Check:
    checks = [build(sub) for sub in value]
    return lambda v: all(check(v) for check in checks)


def _any_of(value, node, build, ref, formats) -> Check:
    checks = [build(sub) for sub in value]
    return lambda v: any(check(v) for check in checks)


def _one_of(value, node, build, ref, formats) -> Check:
    checks = [build(sub) for sub in value]
    return lambda v: sum(1 for check in checks if check(v)) == 1


def _not(value, node, build, ref, formats) -> Check:
    check = build(value)
    return lambda v: not check(v)


def _ref(value, node, build, ref, formats) -> Check:
    return ref(value)


_KEYWORDS: dict[str, Callable[..., Check]] = {
    "type": _type, "enum": _enum, "format": _format, "pattern": _pattern, "minimum": _minimum,
    "maximum": _maximum, "minLength": _min_length, "maxLength": _max_length, "minItems": _min_items,
    "maxItems": _max_items, "required": _required, "properties": _properties,
    "additionalProperties": _additional_properties, "items": _items, "propertyNames": _property_names,
    "allOf": _all_of, "anyOf": _any_of, "oneOf": _one_of, "not": _not, "$ref": _ref,
}
