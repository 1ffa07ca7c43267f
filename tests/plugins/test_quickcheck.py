"""The quick yes-or-no before jsonschema: it must answer exactly as jsonschema would, and a
valid answer from a source is let through without jsonschema's walk."""
from __future__ import annotations

import copy
import random

import pytest
from jsonschema import Draft202012Validator

import core.connectors.validation as validation
from core.connectors import FragmentError
from core.connectors.quickcheck import compile_check
from core.connectors.runtime import ConnectorRuntime
from core.connectors.sources import SOURCES, source_named
from core.connectors.validation import fragment_quick_check, fragment_validator, validate_fragment
from plugins.sandbox import activate
from plugins.sandbox.city import generate_city
from test_fragment_validation import BAD_FRAGMENTS, LEASE

FORMATS = Draft202012Validator.FORMAT_CHECKER

# (schema, documents): each document is checked by both, valid or not.
CASES = [
    ({"type": "integer"}, [1, 1.0, 1.5, True, "1", None]),
    ({"type": "number"}, [0, -2.5, False, "0"]),
    ({"type": ["string", "null"]}, ["a", None, 0, []]),
    ({"type": "boolean"}, [True, False, 0, 1, "true"]),
    ({"type": "array"}, [[], (), {}, "ab"]),
    ({"enum": ["a", None]}, ["a", None, "b", 0, False, ["a"]]),
    ({"enum": ["1"]}, [1, "1"]),
    ({"format": "date"}, ["2021-05-31", "2021-02-30", "31/05/2021", 20210531]),
    ({"pattern": "^[0-9]{17}[0-9X]$"}, ["36010220100101123X", "3601022010010112X", 12, "x36010220100101123X"]),
    ({"pattern": "[0-9]"}, ["a1b", "ab"]),  # pattern searches, it is not anchored
    ({"minimum": 0, "maximum": 10}, [0, -1, 10, 10.5, "11", True]),
    ({"minLength": 2, "maxLength": 3}, ["a", "ab", "abcd", "张三", 5]),
    ({"minItems": 1, "maxItems": 2}, [[], [1], [1, 2, 3], "a"]),
    ({"required": ["id"], "properties": {"id": {"type": "string"}}}, [{"id": "x"}, {"id": 1}, {}, [], "id"]),
    ({"properties": {"a": {"type": "integer"}}, "additionalProperties": False}, [{"a": 1}, {"a": 1, "b": 2}, {}]),
    ({"properties": {"a": {}}, "additionalProperties": {"type": "string"}}, [{"a": 1, "b": "x"}, {"b": 2}]),
    ({"items": {"type": "string"}}, [["a"], ["a", 1], [], {"0": 1}]),
    ({"propertyNames": {"enum": ["a", "b"]}}, [{"a": 1}, {"c": 1}, {}]),
    ({"oneOf": [{"type": "null"}, {"type": "object", "required": ["id"]}]}, [None, {"id": 1}, {}, 3]),
    ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, [1, 1.5, "x"]),  # 1 matches both: invalid
    ({"anyOf": [{"type": "integer"}, {"minLength": 3}]}, [1, "abc", "a", 1.5]),
    ({"allOf": [{"type": "string"}, {"minLength": 2}]}, ["ab", "a", 2]),
    ({"not": {"type": "null"}}, [None, 0]),
    ({"$defs": {"node": {"type": "object", "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
                         "additionalProperties": False}},
      "$ref": "#/$defs/node"},
     [{"kids": [{"kids": []}, {}]}, {"kids": [{"kids": [{"name": "x"}]}]}, {"kids": [3]}]),
    ({"title": "annotations only", "description": "anything goes"}, [1, None, {"a": []}]),
    (True, [1, None]),
    (False, [1, None]),
]


@pytest.mark.parametrize("schema,documents", CASES, ids=[str(i) for i in range(len(CASES))])
def test_quick_check_answers_as_jsonschema_does(schema, documents):
    quick = compile_check(schema, FORMATS)
    validator = Draft202012Validator(schema, format_checker=FORMATS)
    assert quick is not None
    assert [quick(d) for d in documents] == [validator.is_valid(d) for d in documents]


@pytest.mark.parametrize("schema", [
    {"const": 1},
    {"patternProperties": {"^a": {}}, "additionalProperties": False},
    {"prefixItems": [{}], "items": False},
    {"enum": [1, 2]},
    {"$ref": "https://example.com/other.json"},
    {"properties": {"a": {"dependentRequired": {"a": ["b"]}}}},
])
def test_a_keyword_it_does_not_know_leaves_the_schema_to_jsonschema(schema):
    assert compile_check(schema, FORMATS) is None


def _sandbox_fragments(count: int) -> list[tuple[str, dict]]:
    """Every source's answer about `count` families of the sandbox city."""
    city = generate_city(7, count)
    activate(city)
    try:
        runtime = ConnectorRuntime()
        return [(name, fetched.payload) for family in city.families[:count]
                for name, fetched in runtime.fetch_facts(family.pupil_id).fragments.items()]
    finally:
        activate(None)


def _mutated(document, rng: random.Random):
    """`document` with one value somewhere replaced, one key dropped or one key added."""
    document = copy.deepcopy(document)
    node, steps = document, rng.randint(1, 6)
    for _ in range(steps):
        children = list(node.values()) if isinstance(node, dict) else node if isinstance(node, list) else []
        containers = [child for child in children if isinstance(child, (dict, list)) and child]
        if not containers:
            break
        node = rng.choice(containers)
    if isinstance(node, list):
        node[rng.randrange(len(node))] = rng.choice([None, 0, 1.5, "x", True, {}, []])
    elif rng.random() < 0.3:
        node.pop(rng.choice(list(node)))
    elif rng.random() < 0.5:
        node[rng.choice(["extra", "id", "since", "relation"])] = rng.choice(["x", 2, None])
    else:
        node[rng.choice(list(node))] = rng.choice([None, 0, -1, 1.0, "2021-02-30", "31/05/2021", "cousin", "", [], {},
                                                   "36010220100101123X", False])
    return document


def test_every_sandbox_answer_and_thousands_of_mutations_are_judged_as_jsonschema_judges_them():
    quick, validator = fragment_quick_check(), fragment_validator()
    fragments = _sandbox_fragments(40)
    assert quick is not None and len({name for name, _ in fragments}) == len(SOURCES)
    assert all(quick(fragment) for _, fragment in fragments)
    rng = random.Random(2021)
    mutations = [_mutated(fragment, rng) for _ in range(12) for _, fragment in fragments]
    verdicts = [(quick(m), validator.is_valid(m)) for m in mutations]
    assert all(q == v for q, v in verdicts), [m for m, (q, v) in zip(mutations, verdicts) if q != v][:3]
    assert sum(not v for _, v in verdicts) > len(verdicts) // 4, "the mutations should break many answers"


def test_a_valid_answer_is_not_walked_by_jsonschema(monkeypatch):
    def walked(_errors):
        raise AssertionError("jsonschema walked a valid answer")

    monkeypatch.setattr(validation, "best_match", walked)
    validate_fragment(source_named("leases"), {"leases": [LEASE]})


def _serving(key: str):
    return next(source for source in SOURCES if key in source.keys)


@pytest.mark.parametrize("fragment", BAD_FRAGMENTS, ids=lambda f: next(iter(f)))
def test_a_refused_answer_gets_jsonschemas_error(fragment):
    expected = validation.best_match(fragment_validator().iter_errors(fragment))
    with pytest.raises(FragmentError) as refused:
        validate_fragment(_serving(next(iter(fragment))), fragment)
    assert (refused.value.path, refused.value.message) == (expected.json_path, expected.message)
