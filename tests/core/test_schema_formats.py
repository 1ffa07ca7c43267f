"""Every `format` our JSON Schemas use is checked, never passed silently.

jsonschema asserts a format only when the package that checks it is installed; otherwise any
string passes (PITFALLS.md). pyproject.toml names those packages one by one instead of the
`format-nongpl` extra, so a schema that starts using a new format must bring its checker too:
these tests say which one is missing.
"""
from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from core.paths import schemas_dir
from web.api.openapi import openapi_document

FORMATS = Draft202012Validator.FORMAT_CHECKER


def formats_in(node: Any) -> set[str]:
    """The formats a schema asks for (a property that is itself named "format" is not one)."""
    if isinstance(node, list):
        return set().union(*map(formats_in, node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found = {node["format"]} if isinstance(node.get("format"), str) else set()
    return found.union(*(formats_in(value) for value in node.values()))


def our_schemas() -> dict[str, Any]:
    schemas = {path.name: json.loads(path.read_text(encoding="utf-8")) for path in sorted(schemas_dir().glob("*.json"))}
    schemas["openapi.json"] = openapi_document()
    return schemas


def test_every_format_our_schemas_use_is_checked():
    used = {name: formats_in(schema) for name, schema in our_schemas().items()}
    assert set().union(*used.values()) >= {"date", "date-time"}  # the walk finds what is there
    unchecked = {name: sorted(formats - set(FORMATS.checkers)) for name, formats in used.items()}
    assert not any(unchecked.values()), f"formats that would pass unchecked (install their checker): {unchecked}"


@pytest.mark.parametrize("format_name, value", [
    ("date", "2021-02-30"),
    ("date", "2021/05/31"),
    ("date-time", "2021-06-01 25:00:00"),
    ("date-time", "2021-06-01T08:00:00"),  # no time zone
])
def test_a_malformed_value_is_refused(format_name, value):
    assert not FORMATS.conforms(value, format_name)


@pytest.mark.parametrize("format_name, value", [("date", "2021-05-31"), ("date-time", "2021-06-01T08:00:00+08:00")])
def test_a_wellformed_value_passes(format_name, value):
    assert FORMATS.conforms(value, format_name)
