"""Checking a source's fragment against facts.schema.json before anything stores it.

A fragment is a partial facts document, so it is checked against a *fragment schema*
derived from the facts schema: the document's own required keys are waived (a source
brings only its keys), and a pupil or guardian needs only its identity number (the pupil
record and the hukou register each bring part of that person, merged by identity number).
Everything else — types, formats, enums, nested required fields — is the facts schema's.

Both validators run on every source's answer, so their schema has its local `$ref`s written
out in place (`inline_local_refs`): jsonschema resolves a `$ref` on every visit, which was
four tenths of the time of validating a family's fragments. A fragment is first given a quick
yes-or-no compiled from the same schema (quickcheck.py); only one it refuses is walked by
jsonschema, for the error's path and message.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from core.connectors.quickcheck import Check, compile_check
from core.connectors.sources import Source
from core.paths import schema_path

__all__ = ["FragmentError", "validate_fragment", "facts_validator", "fragment_schema", "fragment_validator",
           "fragment_quick_check", "inline_local_refs"]

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


def inline_local_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of `schema` in which every `{"$ref": "#/$defs/NAME"}` is replaced by that definition.

    It accepts and refuses the same documents with the same messages at the same instance
    paths; only the errors' schema paths lose their `$ref` steps. A `$ref` that sits beside
    other keywords becomes an `allOf` beside them (2020-12 applies both). A definition that
    refers to itself, directly or not, keeps its `$ref`, and `$defs` stays, so it still resolves.
    """
    definitions = schema.get("$defs", {})

    def inline(node: Any, expanding: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [inline(item, expanding) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        name = ref[len("#/$defs/"):] if isinstance(ref, str) and ref.startswith("#/$defs/") else None
        written_out = name in definitions and "/" not in name and name not in expanding
        rest = {key: value if key == "$defs" else inline(value, expanding)
                for key, value in node.items() if not (written_out and key == "$ref")}
        if not written_out:
            return rest
        target = inline(definitions[name], (*expanding, name))
        return {**rest, "allOf": [*rest.get("allOf", []), target]} if rest else target

    return inline(schema, ())


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    """A validator of `schema` (checked first), its formats checked, its local refs inlined."""
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(inline_local_refs(schema), format_checker=Draft202012Validator.FORMAT_CHECKER)


@lru_cache(maxsize=1)
def facts_validator() -> Draft202012Validator:
    """The validator of a whole facts document, built once (formats checked)."""
    return _validator(_load_facts_schema())


def fragment_schema() -> dict[str, Any]:
    """The facts schema as a fragment must meet it (see the module docstring)."""
    schema = _load_facts_schema()
    schema.pop("required", None)
    for name, required in IDENTITY_REQUIRED.items():
        schema["$defs"][name]["required"] = required
    return schema


@lru_cache(maxsize=1)
def fragment_validator() -> Draft202012Validator:
    """The validator of one source's fragment, built once."""
    return _validator(fragment_schema())


@lru_cache(maxsize=1)
def fragment_quick_check() -> Check | None:
    """The fragment validator's schema as a quick yes-or-no (quickcheck.py): a valid answer is
    let through without jsonschema's walk; any other is validated by jsonschema for its error."""
    validator = fragment_validator()
    return compile_check(validator.schema, validator.format_checker)


def validate_fragment(source: Source, fragment: Any, asked: Mapping[str, Any] | None = None) -> None:
    """Raise FragmentError unless `fragment` holds `source`'s keys and no other, each valid, and
    of the pupil and the guardians only the fields the source is the authority for; with the
    hook's arguments (`asked`), only about the people it was asked about."""
    if not isinstance(fragment, dict):
        raise FragmentError(source.name, "$", f"expected an object, got {type(fragment).__name__}")
    foreign = sorted(set(fragment) - set(source.keys))
    if foreign:
        raise FragmentError(source.name, "$",
                            f"keys {foreign} are not served by this source (allowed: {list(source.keys)})")
    missing = [key for key in source.required or source.keys if key not in fragment]
    if missing:
        raise FragmentError(source.name, "$", f"the answer lacks {missing}: a source that knows nothing answers "
                                              "with an empty list, or None when the question is not its to answer")
    quick = fragment_quick_check()
    if quick is None or not quick(fragment):
        error = best_match(fragment_validator().iter_errors(fragment))
        if error is not None:
            raise FragmentError(source.name, error.json_path, error.message)
    for path, person, fields in _people(source, fragment):
        outside = sorted(set(person) - fields)
        if outside:
            raise FragmentError(source.name, path, f"{outside} are not this source's to say (it says {sorted(fields)})")
    if asked is not None:
        _check_people_asked(source, fragment, asked)


def _people(source: Source, fragment: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], frozenset[str]]]:
    """(JSON path, person, the fields the source may say of them) of the pupil and each guardian."""
    if "pupil" in source.people and "pupil" in fragment:
        yield "$.pupil", fragment["pupil"], source.people["pupil"]
    if "guardians" in source.people:
        for i, guardian in enumerate(fragment.get("guardians", ())):
            yield f"$.guardians[{i}]", guardian, source.people["guardians"]


def _check_people_asked(source: Source, fragment: dict[str, Any], asked: Mapping[str, Any]) -> None:
    """The pupil is the one asked about; a guardian (from the hukou register) is a person asked
    about, in the relation asked, and so is each record's holder: an answer about someone else
    would join a stranger's facts to the family (asked: `pupil_id_number`, or `id_numbers`
    keyed by relation to the pupil)."""
    ids = asked.get("id_numbers") or {}
    pupil = asked.get("pupil_id_number") or ids.get("pupil")
    if "pupil" in fragment and pupil is not None and fragment["pupil"].get("id_number") != pupil:
        raise FragmentError(source.name, "$.pupil.id_number", "the answer is about another pupil than the one asked")
    if "id_numbers" not in asked:
        return
    _check_records_asked(source, fragment, ids)
    for i, guardian in enumerate(fragment.get("guardians", ())):
        if ids.get(guardian.get("relation")) != guardian.get("id_number"):
            raise FragmentError(source.name, f"$.guardians[{i}]",
                                "the answer names a guardian who was not asked about (relation and id number)")


def _check_records_asked(source: Source, fragment: dict[str, Any], ids: Mapping[str, str]) -> None:
    """Each record is of a person asked about (a lease's tenant, a permit's holder), and a
    property's owner who is one of the family has that person's id number: a record filed under
    the wrong relation would count for someone it is not."""
    if source.holder is None and source.name != "properties":
        return
    key = source.keys[0]
    for i, record in enumerate(fragment.get(key) or ()):
        holder = record.get(source.holder) if source.holder is not None else None
        if holder is not None and holder not in ids:
            raise FragmentError(source.name, f"$.{key}[{i}].{source.holder}",
                                f"{holder!r} was not asked about (asked: {sorted(ids)})")
        for j, owner in enumerate(record.get("owners", ())):
            if owner["relation"] in ids and owner["id_number"] != ids[owner["relation"]]:
                raise FragmentError(source.name, f"$.properties[{i}].owners[{j}].id_number",
                                    f"not the id number of the {owner['relation']} asked about")
