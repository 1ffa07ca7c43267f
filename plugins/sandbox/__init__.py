"""Built-in sandbox: a synthetic Nanchang whose government sources answer from generated families.

It is a plugin exactly like a vendor's: the connector hooks look the family up in the active
sandbox city and return that source's part of its facts. A city becomes active through
`activate(city)` (tests, the demo, benchmarks) or, lazily, from the environment
(`XUEWEI_SANDBOX_SEED`, `XUEWEI_SANDBOX_POPULATION`, default 2000). With neither, the sandbox
answers nothing and other connectors are asked. Every hook is `trylast`: a real connector
for the same source steps in front of it.

`plugins.sandbox.city.generate_city(seed, population)` builds a city for any other use.
"""
from __future__ import annotations

import os
import threading
from typing import Any

from core.hookspecs import hookimpl
from plugins.sandbox.city import City, generate_city

__all__ = ["activate", "active_city", "SEED_ENV", "POPULATION_ENV"]

SEED_ENV, POPULATION_ENV = "XUEWEI_SANDBOX_SEED", "XUEWEI_SANDBOX_POPULATION"
DEFAULT_POPULATION = 2000

_lock = threading.Lock()
_active: dict[str, City | None] = {"city": None}


def activate(city: City | None) -> None:
    """Make `city` the one the hooks answer from (None: back to the environment's, if any)."""
    with _lock:
        _active["city"] = city


def active_city() -> City | None:
    """The city the hooks answer from, generating it from the environment on first use."""
    with _lock:
        if _active["city"] is None and os.environ.get(SEED_ENV):
            population = int(os.environ.get(POPULATION_ENV, DEFAULT_POPULATION))
            _active["city"] = generate_city(int(os.environ[SEED_ENV]), population)
        return _active["city"]


def _family_facts(id_numbers: dict[str, str]) -> dict[str, Any] | None:
    city = active_city()
    if city is None:
        return None
    family = city.family_of(id_numbers.get("pupil", "")) or next(
        (f for f in map(city.family_of, id_numbers.values()) if f is not None), None)
    return None if family is None else family.facts


@hookimpl(trylast=True)
def verify_identity(id_number, name, face_image):
    city = active_city()
    family = city.family_of(id_number) if city is not None else None
    if family is None:
        return None
    people = [family.facts["pupil"], *family.facts["guardians"]]
    person = next(p for p in people if p["id_number"] == id_number)
    if person["name"] == name:
        return {"verified": True, "method": "sandbox", "score": 1.0}
    return {"verified": False, "method": "sandbox", "score": 0.0, "reason": "姓名与身份证号码不符，请核对姓名",
            "field": "name"}


@hookimpl(trylast=True)
def fetch_pupil_record(pupil_id_number):
    facts = _family_facts({"pupil": pupil_id_number})
    if facts is None or facts["pupil"]["id_number"] != pupil_id_number:
        return None
    pupil = {key: value for key, value in facts["pupil"].items() if key != "hukou"}
    guardians = [{key: g[key] for key in ("relation", "id_number", "name")} for g in facts["guardians"]]
    return {"pupil": pupil, "guardians": guardians}


@hookimpl(trylast=True)
def fetch_hukou(id_numbers):
    facts = _family_facts(id_numbers)
    if facts is None:
        return None
    wanted = set(id_numbers.values())
    fragment: dict[str, Any] = {"guardians": [
        {"relation": g["relation"], "id_number": g["id_number"], "hukou": g["hukou"]}
        for g in facts["guardians"] if g["id_number"] in wanted and "hukou" in g]}
    if facts["pupil"]["id_number"] in wanted:
        fragment["pupil"] = {"id_number": facts["pupil"]["id_number"], "hukou": facts["pupil"]["hukou"]}
    return fragment


@hookimpl(trylast=True)
def fetch_properties(id_numbers):
    facts = _family_facts(id_numbers)
    if facts is None:
        return None
    wanted = set(id_numbers.values())
    return {"properties": [p for p in facts["properties"]
                           if any(owner["id_number"] in wanted for owner in p["owners"])]}


def _held_by(key: str, field: str):
    """A connector answering the family's `key` records whose `field` names a person asked about."""

    def fetch(id_numbers):
        facts = _family_facts(id_numbers)
        return None if facts is None else {key: [r for r in facts[key] if r.get(field) in id_numbers]}

    fetch.__name__ = fetch.__qualname__ = f"fetch_{key}"
    return hookimpl(trylast=True)(fetch)


fetch_leases = _held_by("leases", "tenant_relation")
fetch_residence_permits = _held_by("residence_permits", "holder")
fetch_social_insurance = _held_by("social_insurance", "holder")
fetch_business = _held_by("business", "holder")
fetch_employment = _held_by("employment", "holder")


@hookimpl(trylast=True)
def fetch_demolition(id_numbers):
    facts = _family_facts(id_numbers)
    return None if facts is None else {"demolition": facts["demolition"]}
