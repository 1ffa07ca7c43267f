"""The allocation against the database: seeds, stored runs, `allocated` applications, the guardian's view.

Everything that decides lives in the pure core (`allocate`); inputs come from `inputs.py`.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.applications import fire_on_season
from core.db import by_id, read_session, write_session
from core.models import Application, Season
from core.models import School as SchoolRow
from core.plugins import hooks
from core.workflow import Actor

from .allocate import Allocation, allocate
from .export import export_document, to_json
from .inputs import SeasonInputs, load_inputs, season_by_year
from .lottery import LotteryError, commitment_of, new_seed, reveal
from .models import AllocationRun, AllocationSeat, PropertyLedgerEntry
from .publication import is_published, tell_family
from .reasons import Explainer

__all__ = [
    "ALLOCATE",
    "SeasonRun",
    "allocate_season",
    "announce_published",
    "commit_seed",
    "latest_run",
    "reveal_seed",
    "run_season_allocation",
    "seat_of_application",
]

ALLOCATE = "allocate"  # the workflow transition approved -> allocated
BATCH = 500


def commit_seed(engine: Engine, year: int) -> tuple[str, str]:
    """Draw a seed and store only its commitment; the operator keeps the seed until the draw."""
    seed = new_seed()
    with write_session(engine) as session:
        season = season_by_year(session, year)
        if season.lottery_commitment:
            raise LotteryError(f"season {year} already committed to {season.lottery_commitment}")
        season.lottery_commitment = commitment_of(seed)
        session.add(season)
    return seed, commitment_of(seed)


def reveal_seed(engine: Engine, year: int, seed: str) -> None:
    """Store the revealed seed after checking it against the published commitment."""
    seed = seed.strip().lower()
    with write_session(engine) as session:
        season = season_by_year(session, year)
        if not season.lottery_commitment:
            raise LotteryError(f"season {year} has no published commitment")
        reveal(seed, season.lottery_commitment)
        season.lottery_seed = seed
        session.add(season)


# Built once: guardians' status pages run these on every draw.
_LATEST_RUN = (select(AllocationRun).where(AllocationRun.season_id == bindparam("season_id"))
               .order_by(AllocationRun.id.desc()).limit(1))
_SEAT = select(AllocationSeat).where(AllocationSeat.run_id == bindparam("run_id"),
                                     AllocationSeat.application_id == bindparam("application_id"))


def latest_run(session: Session, season_id: int) -> AllocationRun | None:
    """The run guardians see: the newest of the season."""
    return session.scalar(_LATEST_RUN, {"season_id": season_id})


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
    Families are told their seat only from publication on (`publication.py`): a run before it,
    first or again, tells nobody; the publication boundary does (`announce_published`).
    """
    with read_session(engine) as session:
        season = session.get(Season, season_id)
        if not season.lottery_seed or not season.lottery_commitment:
            raise LotteryError(f"season {season.year}: reveal the committed seed first (xuewei lottery reveal)")
        inputs = load_inputs(session, season.year)
        seed, commitment = season.lottery_seed, season.lottery_commitment
        published = is_published(session, season, now)
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
    moved = fire_on_season(engine, season_id, ALLOCATE, actor=Actor.system(actor), now=now, batch_size=BATCH)
    if not unchanged:
        _announce(result, inputs, families=published)
    return SeasonRun(run_id, unchanged, moved, digest, result, document)


def _announce(result: Allocation, inputs: SeasonInputs, *, families: bool) -> None:
    """Tell plugins each school's pre-allocation (`seats_allocated`) and, once seats are
    published, each guardian theirs (`notify_guardian`)."""
    facade = hooks()
    explain = Explainer(result)
    by_school: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for seat in result.seats:
        application_id = inputs.applications[seat.serial]
        if seat.school is not None:
            by_school[seat.school].append(
                {"application_id": application_id, "serial": seat.serial, "basis": seat.how,
                 "tier": seat.tier, "lottery_number": seat.lottery_number}
            )  # fmt: skip
        if families:
            tell_family(inputs.guardians[seat.serial], application_id, explain.why(seat))
    for school_code in sorted(by_school):
        facade.seats_allocated(season_year=result.season, school_code=school_code, allocations=by_school[school_code])


def announce_published(engine: Engine, season_id: int, now: datetime) -> dict[str, Any]:
    """The phase action opening publication (`publish_seats`): tell every family of the newest
    run its seat, as stored. Nobody when no run was stored yet (a run after publication tells them)."""
    with read_session(engine) as session:
        run = latest_run(session, season_id)
        if run is None:
            return {"run": None, "notified": 0}
        rows = session.exec(select(AllocationSeat.application_id, AllocationSeat.why_zh, AllocationSeat.why_en,
                                   Application.guardian_id)
                            .join(Application, Application.id == AllocationSeat.application_id)
                            .where(AllocationSeat.run_id == run.id).order_by(AllocationSeat.serial)).all()
    for application_id, why_zh, why_en, guardian_id in rows:
        tell_family(guardian_id, application_id, {"zh": why_zh, "en": why_en})
    return {"run": run.id, "notified": len(rows)}


def seat_of_application(session: Session, application_id: int) -> dict[str, Any] | None:
    """What a guardian sees: the newest run's seat of an application, with the reason in zh and en.

    An application without a serial number was never submitted, so no run has a seat for it:
    the page of a draft, drawn after every step of filling it in, asks no more.
    """
    application = by_id(session, Application, application_id)
    if application is None or application.serial is None:
        return None
    run = latest_run(session, application.season_id)
    if run is None:
        return None
    seat = session.scalar(_SEAT, {"run_id": run.id, "application_id": application_id})
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
