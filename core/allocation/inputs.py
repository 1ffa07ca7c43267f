"""A season's allocation inputs from the database: middle schools, classified applications, locked lists, ledger.

The rows are translated into the pure core's dataclasses; nothing here decides a seat.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from core.models import Application, Season
from core.models import School as SchoolRow
from core.rulesets import ruleset_document

from .allocate import AllocationError
from .ledger import PropertyUse
from .model import Pupil, School
from .models import PropertyLedgerEntry
from .policy import COORDINATED, UNDETERMINED, AllocationPolicy

__all__ = ["ALLOCATED_STATES", "SeasonInputs", "load_inputs", "season_by_year"]

ALLOCATED_STATES = ("approved", "allocated")
# Locked-list kinds of core.season and the allocation's list each feeds.
LOCKED_KINDS = {
    "direct_promotion": "direct_promotion",
    "special_policy": "special_policy",
    "province_staff": "special_policy",
}


@dataclass(frozen=True)
class SeasonInputs:
    """A season's allocation inputs, and how serials map back to applications."""

    season: int
    ruleset_sha256: str
    policy: AllocationPolicy
    schools: list[School]
    pupils: list[Pupil]
    ledger: list[PropertyUse]
    applications: dict[str, int]
    guardians: dict[str, int]



def season_by_year(session: Session, year: int) -> Season:
    season = session.exec(select(Season).where(Season.year == year)).first()
    if season is None:
        raise AllocationError(f"no season {year}")
    return season



def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _family_key(facts: Mapping[str, Any]) -> str:
    """§6.1 counts families: the parents' ID numbers (hashed, so the ledger holds no ID number)."""
    parents = sorted(
        guardian["id_number"]
        for guardian in facts.get("guardians", [])
        if guardian.get("relation") in ("father", "mother") and guardian.get("id_number")
    )
    return _digest(*(parents or [facts.get("pupil", {}).get("id_number", "")]))


def _property_key(facts: Mapping[str, Any]) -> str | None:
    """The certificate named as residence basis, or None when the basis is no property."""
    basis = facts.get("basis") or {}
    if basis.get("kind") != "property":
        return None
    for item in facts.get("properties", []):
        if item.get("id") == basis.get("id"):
            return (item.get("cert_number") or item["address"]["text"]).strip()
    return None


def _basis_address(facts: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The address the family named as residence basis (the ruleset's `basis_address`): the
    property's or the lease's address, or the demolition's original address."""
    basis = facts.get("basis") or {}
    kind = basis.get("kind")
    if kind == "demolition":
        return (facts.get("demolition") or {}).get("original_address")
    records = {"property": facts.get("properties"), "lease": facts.get("leases")}.get(kind) or []
    return next((item.get("address") for item in records if item.get("id") == basis.get("id")), None)


def _residence(facts: Mapping[str, Any]) -> tuple[float, float] | None:
    """Where the family lives (§6: placement by actual residence): the location the housing
    source gave for the basis address in the frozen facts, when it gave one. (The stored
    explanation keeps that address as text only, without its location.)"""
    address = _basis_address(facts)
    location = address.get("location") if isinstance(address, Mapping) else None
    return (float(location["x"]), float(location["y"])) if location else None


def _grounds(classification: Mapping[str, Any], tier: str) -> tuple[tuple[str, str, str], ...]:
    """Why the classification left the pupil to the authority: its reasons as (clause, zh, en)."""
    if tier not in (COORDINATED, UNDETERMINED):
        return ()
    return tuple((str(reason.get("clause", "")), str(reason["zh"]), str(reason["en"]))
                 for reason in classification.get("reasons") or () if reason.get("zh") and reason.get("en"))


def _tier(classification: Mapping[str, Any] | None, policy: AllocationPolicy) -> str:
    """The allocation tier of a classification: the row's sub-tier (T4a -> 4a) when the order names it."""
    if not classification or classification.get("tier") is None:
        return UNDETERMINED
    tier = str(classification["tier"])
    if tier in (COORDINATED, UNDETERMINED):
        return tier
    row = str(classification.get("row") or "").removeprefix("T")
    if row in policy.tier_order:
        return row
    if tier in policy.tier_order:
        return tier
    raise AllocationError(f"classification tier {tier} (row {row}) is not in the allocation's tier order")


def _locked_lists(session: Session, season_id: int) -> dict[str, dict[str, str | None]]:
    """pupil ID number -> school code per locked-list kind, from each list's current version (core.season.lists).

    A special-policy entry may name no school (only its category); the pupil is then seated at
    the catchment school.
    """
    from core.season.models import LockedList, LockedListVersion

    listed: dict[str, dict[str, str | None]] = defaultdict(dict)
    lists = session.exec(select(LockedList).where(LockedList.season_id == season_id).order_by(LockedList.id)).all()
    for locked in lists:
        if locked.current_version is None or locked.kind not in LOCKED_KINDS:
            continue
        version = session.exec(
            select(LockedListVersion).where(
                LockedListVersion.list_id == locked.id, LockedListVersion.version == locked.current_version
            )
        ).first()
        if version is None or version.state not in ("submitted", "approved"):
            continue
        for entry in version.entries:
            listed[LOCKED_KINDS[locked.kind]][entry["pupil_id_number"]] = entry.get("school_id") or None
    return listed


def _centroids(schools: Iterable[SchoolRow]) -> dict[str | None, tuple[float, float]]:
    """Mean location of the middle schools per district (and of the city under None)."""
    points: dict[str | None, list[tuple[float, float]]] = defaultdict(list)
    for school in schools:
        points[school.district].append((school.x, school.y))
        points[None].append((school.x, school.y))
    return {key: (sum(x for x, _ in xy) / len(xy), sum(y for _, y in xy) / len(xy)) for key, xy in points.items()}


def load_inputs(session: Session, year: int) -> SeasonInputs:
    """Read a season's middle schools, approved and classified applications, locked lists and the ledger.

    A pupil's residence is the location the housing source gave for the basis address; where it
    gave none, the location of the school whose catchment holds the address, or else the centre
    of the district's middle schools, which rank schools for placement but give no distance.
    """
    season = season_by_year(session, year)
    if not season.active_ruleset_sha256:
        raise AllocationError(f"season {year} has no active ruleset")
    policy = AllocationPolicy.from_ruleset(ruleset_document(session, season.active_ruleset_sha256), year)
    rows = session.exec(
        select(SchoolRow).where(SchoolRow.season_id == season.id, SchoolRow.stage == "middle").order_by(SchoolRow.code)
    ).all()
    missing = [row.code for row in rows if row.x is None or row.y is None]
    if missing:
        raise AllocationError(f"middle schools without a location: {missing}")
    schools = [
        School(row.code, row.name, row.capacity, row.x, row.y, row.district, row.kind) for row in rows
    ]
    location = {row.code: (row.x, row.y) for row in rows}
    centroids = _centroids(rows)
    locked = _locked_lists(session, season.id)
    applications = session.exec(
        select(Application).where(Application.season_id == season.id, Application.state.in_(ALLOCATED_STATES))
    ).all()
    pupils, ids, guardians = [], {}, {}
    for application in applications:
        facts = application.frozen_facts or {}
        classification = application.classification or {}
        catchment = classification.get("catchment")
        direct = (facts.get("pupil") or {}).get("direct_promotion") or {}
        residence = _residence(facts)
        x, y = residence or location.get(catchment) or centroids.get(application.district) or centroids[None]
        tier = _tier(classification, policy)
        pupils.append(
            Pupil(
                serial=application.serial,
                tier=tier,
                x=x,
                y=y,
                located=residence is not None,
                grounds=_grounds(classification, tier),
                catchment_school=catchment,
                direct_school=locked["direct_promotion"].get(application.pupil_id_number, direct.get("school_id")),
                direct_confirmed=bool(direct.get("reported")),
                special_school=(
                    locked["special_policy"][application.pupil_id_number] or catchment
                    if application.pupil_id_number in locked["special_policy"]
                    else None
                ),
                property_key=_property_key(facts),
                family_key=_family_key(facts),
                submitted_at=application.submitted_at.isoformat() if application.submitted_at else "",
            )
        )
        ids[application.serial] = application.id
        guardians[application.serial] = application.guardian_id
    ledger = [
        PropertyUse(entry.property_key, entry.year, entry.serial, entry.family_key)
        for entry in session.exec(select(PropertyLedgerEntry).where(PropertyLedgerEntry.season_id != season.id))
    ]
    return SeasonInputs(year, season.active_ruleset_sha256, policy, schools, pupils, ledger, ids, guardians)

