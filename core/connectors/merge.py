"""Merging valid fragments from several sources into one (partial) facts document."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.connectors.runtime import Fetched

__all__ = ["SHARED_KEYS", "merge_payload", "merge_fragments"]

#: The keys two sources each bring part of, merged field by field (see `merge_payload`).
SHARED_KEYS = ("pupil", "guardians")


def merge_payload(doc: dict[str, Any], payload: dict[str, Any]) -> list[str]:
    """Merge one fragment into `doc` in place; returns the keys it brought.

    The pupil record and the hukou register each bring part of the pupil and the guardians;
    they are merged field by field (a guardian by `id_number`, in the order first seen).
    Every other key belongs to one source only and is replaced whole.
    """
    for key, value in payload.items():
        value = _copied(value)
        if key == "pupil":
            doc.setdefault("pupil", {}).update(value)
        elif key == "guardians":
            _merge_people(doc.setdefault("guardians", []), value)
        else:
            doc[key] = value
    return list(payload)


def merge_fragments(fragments: Iterable[Fetched]) -> dict[str, Any]:
    """One facts document from fetched fragments; `sources[key]` names the first that brought it.

    The pupil and the guardians are merged from two sources (the school record, the hukou
    register), so the first source of such a key is not the source of each of its fields:
    `sources["pupil.hukou"]` names the source of a field another source brought than the key's
    first. A reviewer weighs the household head (户主) as the public security's word, not the
    school's.
    """
    doc: dict[str, Any] = {}
    provenance: dict[str, dict[str, str]] = {}
    fields: dict[str, dict[str, str]] = {}  # "pupil.hukou" -> the first source that brought it
    for fetched in fragments:
        brought = {
            "connector": f"{fetched.connector}:{fetched.source}",
            "fetched_at": fetched.fetched_at.isoformat(),
            "digest": f"sha256:{fetched.digest}",
        }
        for key in merge_payload(doc, fetched.payload):
            provenance.setdefault(key, brought)
            if key in SHARED_KEYS:
                for field in _field_names(fetched.payload[key]):
                    fields.setdefault(f"{key}.{field}", brought)
    provenance.update({path: brought for path, brought in fields.items()
                       if brought is not provenance[path.split(".")[0]]})
    if provenance:
        doc["sources"] = provenance
    return doc


def _field_names(value: Any) -> list[str]:
    """The fields of a person (the pupil) or of people (the guardians), in the order first seen."""
    people = value if isinstance(value, list) else [value]
    return list(dict.fromkeys(name for person in people if isinstance(person, dict) for name in person))


def _copied(value: Any) -> Any:
    """A copy of a JSON value that shares nothing mutable with it (what `copy.deepcopy` does,
    at a fraction of its cost: JSON has no cycles and no shared objects to remember)."""
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    return value


def _merge_people(people: list[dict[str, Any]], more: list[dict[str, Any]]) -> None:
    by_id = {person["id_number"]: person for person in people}
    for person in more:
        known = by_id.get(person["id_number"])
        if known is None:
            people.append(person)
            by_id[person["id_number"]] = person
        else:
            known.update(person)
