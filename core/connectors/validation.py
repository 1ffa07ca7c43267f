"""Checking a source's fragment against facts.schema.json before anything stores it.

A fragment is a partial facts document, so it is checked against a *fragment schema*
derived from the facts schema: the document's own required keys are waived (a source
brings only its keys), and a pupil or guardian needs only its identity number (the pupil
record and the hukou register each bring part of that person, merged by identity number).
Everything else — types, formats, enums, nested required fields — is the facts schema's.
"""
from __future__ import annotations

import copy
import json
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from core.connectors.sources import Source
from core.paths import schema_path

__all__ = ["FragmentError", "validate_fragment", "facts_validator", "fragment_validator"]

#: Fields a partial pupil or guardian must still carry, so fragments can be merged.
IDENTITY_REQUIRED = {"pupil": ["id_number"], "guardian": ["id_number"]}


class FragmentError(ValueError):
    """A fragment that does not fit the fact schema: where (JSON path) and what is wrong."""

    def __init__(self, source: str, path: str, message: str) -> None:
        super().__init__(f"{source}: {path}: {message}")
        self.source = source
        self.path = path
        self.message = message


def _load_facts_schema() -> dict[str, Any]:
    return json.loads(schema_path("facts").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def facts_validator() -> Draft202012Validator:
    """The validator of a whole facts document, built once (formats checked)."""
    schema = _load_facts_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@lru_cache(maxsize=1)
def fragment_validator() -> Draft202012Validator:
    """The validator of one source's fragment (see the module docstring), built once."""
    schema = copy.deepcopy(_load_facts_schema())
    schema.pop("required", None)
    for name, required in IDENTITY_REQUIRED.items():
        schema["$defs"][name]["required"] = required
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def validate_fragment(source: Source, fragment: Any) -> None:
    """Raise FragmentError unless `fragment` holds only `source`'s keys, each valid."""
    if not isinstance(fragment, dict):
        raise FragmentError(source.name, "$", f"expected an object, got {type(fragment).__name__}")
    foreign = sorted(set(fragment) - set(source.keys))
    if foreign:
        raise FragmentError(source.name, "$",
                            f"keys {foreign} are not served by this source (allowed: {list(source.keys)})")
    error = best_match(fragment_validator().iter_errors(fragment))
    if error is not None:
        raise FragmentError(source.name, error.json_path, error.message)
