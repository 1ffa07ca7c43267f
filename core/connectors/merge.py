"""Merging valid fragments from several sources into one (partial) facts document."""
from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.connectors.runtime import Fetched

__all__ = ["merge_fragments"]


def merge_fragments(fragments: Iterable[Fetched]) -> dict[str, Any]:
    """One facts document: persons merged by identity number, lists taken whole, provenance kept.

    The pupil record and the hukou register each bring part of the pupil and the guardians;
    they are merged field by field (a guardian by `id_number`, in the order first seen).
    Every other key belongs to one source only. `sources[key]` names the first fragment that
    brought each key.
    """
    doc: dict[str, Any] = {}
    provenance: dict[str, dict[str, str]] = {}
    for fetched in fragments:
        for key, value in fetched.payload.items():
            value = copy.deepcopy(value)
            if key == "pupil":
                doc.setdefault("pupil", {}).update(value)
            elif key == "guardians":
                _merge_people(doc.setdefault("guardians", []), value)
            else:
                doc[key] = value
            provenance.setdefault(key, {
                "connector": f"{fetched.connector}:{fetched.source}",
                "fetched_at": fetched.fetched_at.isoformat(),
                "digest": f"sha256:{fetched.digest}",
            })
    if provenance:
        doc["sources"] = provenance
    return doc


def _merge_people(people: list[dict[str, Any]], more: list[dict[str, Any]]) -> None:
    by_id = {person["id_number"]: person for person in people}
    for person in more:
        known = by_id.get(person["id_number"])
        if known is None:
            people.append(person)
            by_id[person["id_number"]] = person
        else:
            known.update(person)
