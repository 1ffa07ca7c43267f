"""The JSON Schemas the rules need, loaded once and checked, with validators built once."""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, relevance

from core.paths import schema_path
from core.rules.errors import Problem, pointer_join

__all__ = ["schema_document", "validator", "schema_problems"]


@lru_cache(maxsize=None)
def schema_document(name: str) -> dict[str, Any]:
    """A schema from the schemas folder by short name ('facts', 'ruleset', 'catchments')."""
    with open(schema_path(name), encoding="utf-8") as fh:
        document = json.load(fh)
    Draft202012Validator.check_schema(document)
    return document


@lru_cache(maxsize=None)
def validator(name: str) -> Draft202012Validator:
    """One reusable validator per schema, checking formats (dates, date-times)."""
    return Draft202012Validator(schema_document(name), format_checker=Draft202012Validator.FORMAT_CHECKER)


def _pointer(error: ValidationError, base: str) -> str:
    pointer = pointer_join(base, *error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        if len(extra) == 1:
            return pointer_join(pointer, extra[0])
    return pointer


def _message(error: ValidationError) -> str:
    if error.validator == "additionalProperties":
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return f"{error.message} (allowed here: {allowed})"
    if error.validator == "format":
        return f"{error.message}: write dates as YYYY-MM-DD and date-times as ISO 8601 with an offset"
    return error.message


def schema_problems(name: str, instance: Any, base: str = "") -> list[Problem]:
    """Every schema error of `instance`, most relevant first, each with its JSON pointer."""
    errors = sorted(validator(name).iter_errors(instance), key=relevance, reverse=True)
    flat: list[ValidationError] = []
    for error in errors:
        while error.context:  # as jsonschema's best_match: descend into the deepest alternative
            error = min(error.context, key=relevance)
        flat.append(error)
    seen, out = set(), []
    for error in flat:
        problem = Problem(_pointer(error, base), _message(error))
        if problem not in seen:
            seen.add(problem)
            out.append(problem)
    return out
