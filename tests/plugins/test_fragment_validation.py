"""Source answers are checked against the facts schema with its local `$ref`s written out."""
from __future__ import annotations

import copy

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from core.connectors.validation import fragment_schema, fragment_validator, inline_local_refs
from plugin_test_data import ADDRESS, FATHER, PUPIL

PROPERTY = {"id": "P1", "cert_type": "real_estate_certificate", "address": ADDRESS, "usage": "residential",
            "owners": [{"relation": "father", "id_number": FATHER}], "co_owned_with_non_direct_relatives": False,
            "issued_on": "2018-03-01", "enrolment_uses": []}
HUKOU = {"address": ADDRESS, "collective": False, "since": "2015-01-01"}
LEASE = {"id": "L1", "address": ADDRESS, "registered": True, "registered_on": "2019-08-01",
         "start": "2019-08-01", "end": "2022-07-31"}

# Answers a source might give, each wrong in one place, deep inside a definition reached by $ref.
BAD_FRAGMENTS = [
    {"leases": [{**LEASE, "start": "31/05/2019"}]},  # a date's format
    {"leases": [{**LEASE, "tenant_relation": "cousin"}]},  # the relation enum
    {"properties": [{**PROPERTY, "owners": [{"relation": "father", "id_number": 12}]}]},  # an id number's type
    {"properties": [{**PROPERTY, "address": {**ADDRESS, "floor": 3}}]},  # an address's unknown key
    {"pupil": {"name": "张三"}, "guardians": []},  # a pupil without the identity number fragments need
    {"pupil": {"id_number": PUPIL, "hukou": {**HUKOU, "since": "2020-02-30"}}, "guardians": []},  # no such day
    {"demolition": {"id": "D1"}},  # neither null nor a demolition record
]


def _plain_fragment_validator() -> Draft202012Validator:
    """The fragment validator as the schema reads, `$ref`s resolved by jsonschema on each visit."""
    return Draft202012Validator(fragment_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def _refs_outside_defs(node, inside_defs: bool = False) -> list:
    if isinstance(node, list):
        return [ref for item in node for ref in _refs_outside_defs(item, inside_defs)]
    if not isinstance(node, dict):
        return []
    found = [node["$ref"]] if "$ref" in node and not inside_defs else []
    return found + [ref for key, value in node.items()
                    for ref in _refs_outside_defs(value, inside_defs or key == "$defs")]


def test_fragment_validator_reads_no_ref_while_validating():
    assert _refs_outside_defs(fragment_validator().schema) == []


@pytest.mark.parametrize("fragment", BAD_FRAGMENTS, ids=lambda f: next(iter(f)))
def test_inlined_schema_refuses_an_answer_where_and_as_the_schema_does(fragment):
    expected = best_match(_plain_fragment_validator().iter_errors(fragment))
    got = best_match(fragment_validator().iter_errors(fragment))
    assert expected is not None and got is not None
    assert (got.json_path, got.message) == (expected.json_path, expected.message)


def test_inlined_schema_accepts_a_whole_family():
    fragment = {"pupil": {"id_number": PUPIL, "hukou": HUKOU},
                "properties": [PROPERTY], "leases": [LEASE], "demolition": None}
    assert list(_plain_fragment_validator().iter_errors(fragment)) == []
    assert list(fragment_validator().iter_errors(fragment)) == []


def test_a_definition_that_refers_to_itself_keeps_its_ref():
    schema = {"$defs": {"node": {"type": "object", "additionalProperties": False,
                                 "properties": {"name": {"type": "string"},
                                                "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
              "properties": {"tree": {"$ref": "#/$defs/node"}}}
    inlined = inline_local_refs(schema)
    assert inlined["properties"]["tree"]["properties"]["children"]["items"] == {"$ref": "#/$defs/node"}
    validator = Draft202012Validator(inlined)
    assert validator.is_valid({"tree": {"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]}})
    error = best_match(validator.iter_errors({"tree": {"children": [{"children": [{"name": 3}]}]}}))
    assert error.json_path == "$.tree.children[0].children[0].name"


def test_a_ref_beside_other_keywords_applies_both():
    schema = {"$defs": {"day": {"type": "string", "format": "date"}},
              "properties": {"start": {"$ref": "#/$defs/day", "maxLength": 10}}}
    original = copy.deepcopy(schema)
    validator = Draft202012Validator(inline_local_refs(schema), format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert schema == original  # the schema given is left as it was
    assert validator.is_valid({"start": "2021-05-31"})
    assert not validator.is_valid({"start": "2021-02-30"})  # the definition's format
    assert not validator.is_valid({"start": "2021-05-31 "})  # the sibling's maxLength
