"""The allocation against the database: read a season's inputs, store a run, move applications to `allocated`.

Everything that decides lives in the pure core (`allocate`); this module only translates rows
to its inputs and its results back to rows.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.db import read_session, write_session
from core.models import Application, Season
from core.models import School as SchoolRow
from core.rulesets import ruleset_document, workflow_for
from core.workflow import Actor, FireContext, fire

from .allocate import Allocation, AllocationError, allocate
from .export import export_document, to_json
from .ledger import PropertyUse
from .lottery import LotteryError, commitment_of, new_seed, reveal
from .model import Pupil, School
from .models import AllocationRun, AllocationSeat, PropertyLedgerEntry
from .policy import COORDINATED, UNDETERMINED, AllocationPolicy
from .reasons import Explainer

__all__ = [
    "ALLOCATE",
    "SeasonInputs",
    "SeasonRun",
    "allocate_season",
    "commit_seed",
    "latest_run",
    "load_inputs",
    "reveal_seed",
    "run_season_allocation",
    "seat_of_application",
]

ALLOCATE = "allocate"  # the workflow transition approved -> allocated
ALLOCATED_STATES = ("approved", "allocated")
# Locked-list kinds of core.season and the allocation's list each feeds.
LOCKED_KINDS = {
    "direct_promotion": "direct_promotion",
    "special_policy": "special_policy",
    "province_staff": "special_policy",
}
BATCH = 500


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


def _season(session: Session, year: int) -> Season:
    season = session.exec(select(Season).where(Season.year == year)).first()
    if season is None:
        raise AllocationError(f"no season {year}")
    return season


def commit_seed(engine: Engine, year: int) -> tuple[str, str]:
    """Draw a seed and store only its commitment; the operator keeps the seed until the draw."""
    seed = new_seed()
    with write_session(engine) as session:
        season = _season(session, year)
        if season.lottery_commitment:
            raise LotteryError(f"season {year} already committed to {season.lottery_commitment}")
        season.lottery_commitment = commitment_of(seed)
        session.add(season)
    return seed, commitment_of(seed)


def reveal_seed(engine: Engine, year: int, seed: str) -> None:
    """Store the revealed seed after checking it against the published commitment."""
    seed = seed.strip().lower()
    with write_session(engine) as session:
        season = _season(session, year)
        if not season.lottery_commitment:
            raise LotteryError(f"season {year} has no published commitment")
        reveal(seed, season.lottery_commitment)
        season.lottery_seed = seed
        session.add(season)


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


def _locked_lists(session: Session, season_id: int) -> dict[str, dict[str, str]]:
    """pupil ID number -> school code per locked-list kind, from each list's current submitted version."""
    from core.season.models import LockedList, LockedListVersion

    listed: dict[str, dict[str, str]] = defaultdict(dict)
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
            listed[LOCKED_KINDS[locked.kind]][entry["pupil_id_number"]] = entry.get("school_id") or locked.owner
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

    Residences are not geocoded in the facts, so a pupil's residence is taken as the location of
    the school whose catchment holds it, or else the centre of the district's middle schools.
    """
    season = _season(session, year)
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
    pupils, ids = [], {}
    for application in applications:
        facts = application.frozen_facts or {}
        classification = application.classification or {}
        catchment = classification.get("catchment")
        direct = (facts.get("pupil") or {}).get("direct_promotion") or {}
        x, y = location.get(catchment) or centroids.get(application.district) or centroids[None]
        pupils.append(
            Pupil(
                serial=application.serial,
                tier=_tier(classification, policy),
                x=x,
                y=y,
                catchment_school=catchment,
                direct_school=locked["direct_promotion"].get(application.pupil_id_number, direct.get("school_id")),
                direct_confirmed=bool(direct.get("reported")),
                special_school=locked["special_policy"].get(application.pupil_id_number),
                property_key=_property_key(facts),
                family_key=_family_key(facts),
                submitted_at=application.submitted_at.isoformat() if application.submitted_at else "",
            )
        )
        ids[application.serial] = application.id
    ledger = [
        PropertyUse(entry.property_key, entry.year, entry.serial, entry.family_key)
        for entry in session.exec(select(PropertyLedgerEntry).where(PropertyLedgerEntry.season_id != season.id))
    ]
    return SeasonInputs(year, season.active_ruleset_sha256, policy, schools, pupils, ledger, ids)


def latest_run(session: Session, season_id: int) -> AllocationRun | None:
    """The run guardians see: the newest of the season."""
    return session.exec(
        select(AllocationRun).where(AllocationRun.season_id == season_id).order_by(AllocationRun.id.desc())
    ).first()


def _store(
    session: Session, season: Season, inputs: SeasonInputs, result: Allocation, digest: str, actor: str, now: datetime
) -> AllocationRun:
    run = AllocationRun(
        season_id=season.id,
        ruleset_sha256=inputs.ruleset_sha256,
        seed=result.seed,
        commitment=result.commitment,
        export_sha256=digest,
        pupils=len(result.seats),
        schools=len(result.schools),
        run_by=actor,
        created_at=now,
    )
    session.add(run)
    session.flush()
    explain = Explainer(result)
    rows = []
    for seat in result.seats:
        why = explain.why(seat)
        rows.append(
            {
                "run_id": run.id,
                "application_id": inputs.applications[seat.serial],
                "serial": seat.serial,
                "school_code": seat.school,
                "how": seat.how,
                "tier": seat.tier,
                "catchment_school": seat.catchment_school,
                "lottery_number": seat.lottery_number,
                "lottery_rank": seat.lottery_rank,
                "distance_m": seat.distance_m,
                "note": seat.note,
                "why_zh": why["zh"],
                "why_en": why["en"],
            }
        )
    for start in range(0, len(rows), BATCH):
        session.execute(insert(AllocationSeat), rows[start : start + BATCH])
    for entry in session.exec(select(PropertyLedgerEntry).where(PropertyLedgerEntry.season_id == season.id)):
        session.delete(entry)  # the ledger of this season follows its newest run
    session.flush()
    session.add_all(
        PropertyLedgerEntry(
            season_id=season.id, run_id=run.id, property_key=use.property_key, year=use.year,
            serial=use.serial, family_key=use.family_key,
        )
        for use in result.new_uses
    )
    return run


def _mark_allocated(engine: Engine, season_id: int, now: datetime, actor: Actor) -> int:
    """Fire `allocate` on every application still approved, in batches (a killed run resumes)."""
    moved = 0
    while True:
        with write_session(engine) as session:
            season = session.get(Season, season_id)
            batch = session.exec(
                select(Application)
                .where(Application.season_id == season_id, Application.state == "approved")
                .order_by(Application.id)
                .limit(BATCH)
            ).all()
            for application in batch:
                sha = application.ruleset_sha256 or season.active_ruleset_sha256
                context = FireContext(actor=actor, now=now, season_year=season.year, ruleset_sha256=sha)
                fire(session, application, ALLOCATE, workflow=workflow_for(session, sha), context=context)
        moved += len(batch)
        if len(batch) < BATCH:
            return moved


@dataclass(frozen=True)
class SeasonRun:
    """What one allocation of a season did: the stored run, the result and its export."""

    run_id: int
    unchanged: bool
    allocated: int
    export_sha256: str
    allocation: Allocation
    document: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        """Plain figures for the scheduler's job log."""
        return {"run": self.run_id, "unchanged": self.unchanged, "pupils": len(self.allocation.seats),
                "allocated": self.allocated, "export_sha256": self.export_sha256}


def run_season_allocation(engine: Engine, season_id: int, now: datetime) -> dict[str, Any]:
    """The season's allocation phase action (core.season.actions): allocate and report the figures."""
    return allocate_season(engine, season_id, now).summary()


def allocate_season(engine: Engine, season_id: int, now: datetime, *, actor: str = "scheduler") -> SeasonRun:
    """Allocate a season with its revealed seed, store the run, and pre-allocate every approved application.

    Idempotent: the same inputs give the same export, found by its digest, and nothing is stored twice.
    """
    with read_session(engine) as session:
        season = session.get(Season, season_id)
        if not season.lottery_seed or not season.lottery_commitment:
            raise LotteryError(f"season {season.year}: reveal the committed seed first (xuewei lottery reveal)")
        inputs = load_inputs(session, season.year)
        seed, commitment = season.lottery_seed, season.lottery_commitment
    result = allocate(
        inputs.schools, inputs.pupils, season=inputs.season, seed=seed, commitment=commitment,
        policy=inputs.policy, ledger=inputs.ledger,
    )
    document = export_document(result)
    digest = hashlib.sha256(to_json(document).encode("utf-8")).hexdigest()
    with write_session(engine) as session:
        season = session.get(Season, season_id)
        run = session.exec(
            select(AllocationRun).where(AllocationRun.season_id == season_id, AllocationRun.export_sha256 == digest)
        ).first()
        unchanged = run is not None
        if run is None:
            run = _store(session, season, inputs, result, digest, actor, now)
        run_id = run.id
    moved = _mark_allocated(engine, season_id, now, Actor.system(actor))
    if not unchanged:
        _announce(result, inputs)
    return SeasonRun(run_id, unchanged, moved, digest, result, document)


def _announce(result: Allocation, inputs: SeasonInputs) -> None:
    """Tell plugins, school by school, whom the school was given (hook `seats_allocated`)."""
    from core.plugins import hooks

    by_school: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for seat in result.seats:
        if seat.school is not None:
            by_school[seat.school].append(
                {"application_id": inputs.applications[seat.serial], "serial": seat.serial, "basis": seat.how,
                 "tier": seat.tier, "lottery_number": seat.lottery_number}
            )
    facade = hooks()
    for school_code in sorted(by_school):
        facade.seats_allocated(season_year=result.season, school_code=school_code, allocations=by_school[school_code])


def seat_of_application(session: Session, application_id: int) -> dict[str, Any] | None:
    """What a guardian sees: the newest run's seat of an application, with the reason in zh and en."""
    application = session.get(Application, application_id)
    run = latest_run(session, application.season_id) if application else None
    if run is None:
        return None
    seat = session.exec(
        select(AllocationSeat).where(AllocationSeat.run_id == run.id, AllocationSeat.application_id == application_id)
    ).first()
    if seat is None:
        return None
    school = None
    if seat.school_code is not None:
        row = session.exec(
            select(SchoolRow).where(SchoolRow.season_id == application.season_id, SchoolRow.code == seat.school_code)
        ).first()
        school = {"code": seat.school_code, "name": row.name if row else seat.school_code}
    return {
        "serial": seat.serial, "school": school, "how": seat.how, "tier": seat.tier,
        "lottery_rank": seat.lottery_rank, "why": {"zh": seat.why_zh, "en": seat.why_en},
        "run": run.id, "allocated_at": run.created_at.isoformat(),
    }
