"""Replay a whole season on the sandbox city in accelerated time (`xuewei season replay`, `make demo`).

Season time is a `FixedClock` moved from one moment to the next — every boundary, every
guardian's registration, submission and review — so days pass in milliseconds and the same
seed gives the same season. Nothing is shortcut: guardians go through `start_application`
and the `submit` transition of `fire_in_session` (which check their district's window and the
closing time themselves), reviewers through `fire_in_session` too, and the phases through
`run_due()`, whose actions close the drafts, build the graduates database, classify and
allocate. Moves that happen before the next deadline share a transaction, each in its own
savepoint, so a refused move leaves the others in place.
Sandbox guardians and reviewers never log in, so their accounts get an unusable password hash
instead of a slow real one. What happens before the clock's first moment (storing and activating
the ruleset) is stamped with that moment, so the audit trail reads in order of time.
"""
from __future__ import annotations

import hashlib
import json
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.applications import fire_in_session, record_facts, start_application
from core.clock import FixedClock
from core.db import read_session, write_session
from core.errors import InvalidInput
from core.models import Account, Application, Catchment, Role, School, Season
from core.paths import ruleset_path
from core.rulesets import activate_ruleset, season_for, store_ruleset
from core.season.boundaries import Step, materialise, run_due
from core.season.calendar import Calendar, CollectionClosed, calendar_for, calendar_of, local_text
from core.season.lists import import_list, submit_list
from core.season.models import SeasonBoundary
from core.workflow import Actor

__all__ = ["replay_season", "ReplayReport", "ReplayError", "season_summary", "window_key", "load_city",
           "replay_lottery_seed"]

NEVER_SUBMIT = 0.04  # share of guardians who open a draft and never submit (closed at 17:00 on 16 June)
TOO_EARLY = 0.03  # share who try before their district's window and are turned away
BATCH = 200  # guardians' and reviewers' moves per transaction
UNUSABLE_PASSWORD = "!sandbox"  # not a werkzeug hash: nobody can log in as a replayed guardian
CITY_ADMIN = Actor("replay-city-admin", Role.city_admin.value)


class ReplayError(RuntimeError):
    """The replay cannot run here (e.g. the season already has applications)."""


@dataclass
class ReplayReport:
    """What a replay did: the phase log, its own tallies and the season summary read back from the database."""

    seed: int
    population: int
    log: list[str] = field(default_factory=list)
    tallies: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def window_key(facts: Mapping[str, Any], urban: set[str]) -> tuple[str, str | None]:
    """§2.2: the primary school's (coordinating) district, else the hukou district, else the residence's; and the group."""
    school = facts["pupil"]["primary_school"]
    if school.get("in_urban_area"):
        return school["district"], school.get("group")
    hukou = ((facts["pupil"].get("hukou") or {}).get("address") or {}).get("district")
    if hukou in urban:
        return hukou, school.get("group")
    basis = facts.get("basis") or {}
    homes = facts.get("properties", []) + facts.get("leases", [])
    home = next((h for h in homes if h.get("id") == basis.get("id")), {})
    return (home.get("address") or {}).get("district", ""), school.get("group")


def _setup_season(engine: Engine, year: int) -> Season:
    """Store and activate the year's ruleset, stamped with the moment the replay's season clock
    starts (its first phase's start): the season's own events follow from there, in order."""
    document = json.loads(ruleset_path(year).read_text())
    starts = calendar_of(document).phases[0].start
    with write_session(engine) as session:
        season = season_for(session, document)  # named by the ruleset's title, as a city's own season is
        if session.exec(select(Application.id).where(Application.season_id == season.id)).first() is not None:
            raise ReplayError(f"season {year} already has applications: replay into an empty database")
        version = store_ruleset(session, season, document, CITY_ADMIN, at=starts)
        activate_ruleset(session, season, version.sha256, CITY_ADMIN, at=starts)
        materialise(session, season)
        return season


def load_city(engine: Engine, season: Season, city) -> None:
    """Load a sandbox city's schools and catchments into a season (the replay, the demo and tests use it)."""
    with write_session(engine) as session:
        codes: dict[str, int] = {}
        for record in city.schools:
            school = School(season_id=season.id, **{k: record[k] for k in (
                "code", "name", "stage", "kind", "district", "coordinating_district", "school_group",
                "in_urban_area", "capacity", "x", "y")})
            session.add(school)
            session.flush()
            codes[school.code] = school.id
        for catchment in city.catchments:
            session.add(Catchment(season_id=season.id, code=catchment["school_id"],
                                  school_id=codes[catchment["school_id"]], rules=catchment["rules"]))


def _accounts(engine: Engine, city, districts: list[str]) -> tuple[dict[str, Account], dict[str, Account]]:
    with write_session(engine) as session:
        guardians = {f.pupil_id: Account(username=f"sandbox-{f.pupil_id}", password_hash=UNUSABLE_PASSWORD,
                                         role=Role.guardian.value, display_name=f.facts["guardians"][0]["name"]
                                         if f.facts["guardians"] else "") for f in city.families}
        reviewers = {d: Account(username=f"sandbox-reviewer-{d}", password_hash=UNUSABLE_PASSWORD,
                                role=Role.reviewer.value, district=d) for d in districts}
        session.add_all([*guardians.values(), *reviewers.values()])
    return guardians, reviewers


def _lists(engine: Engine, season: Season, city, now: datetime) -> dict[str, int]:
    """§4.1: direct-promotion lists per district and the special-policy list, imported and submitted."""
    direct: dict[str, list[dict]] = defaultdict(list)
    special: list[dict] = []
    for family in city.families:
        pupil = family.facts["pupil"]
        if pupil.get("direct_promotion") and pupil["primary_school"].get("in_urban_area"):
            direct[pupil["primary_school"]["district"]].append(
                {"pupil_id_number": pupil["id_number"], "name": pupil["name"],
                 "primary_school": pupil["primary_school"]["name"], "school_id": pupil["direct_promotion"]["school_id"]})
        elif pupil.get("special_policy") in ("military", "talent", "police_hero", "fire_rescue") and family.school:
            special.append({"pupil_id_number": pupil["id_number"], "name": pupil["name"],
                            "category": pupil["special_policy"], "school_id": family.school})
    uploads = [("direct_promotion", district, entries, Actor(f"replay-{district}-admin", Role.district_admin.value,
                                                             district=district))
               for district, entries in sorted(direct.items())]
    if special:
        uploads.append(("special_policy", "市特殊政策名单", special, CITY_ADMIN))
    for kind, owner, entries, actor in uploads:
        draft = import_list(engine, season, kind=kind, owner=owner, entries=entries, actor=actor, now=now)
        submit_list(engine, season, draft.list_id, actor=actor, now=now)
    return {"direct_promotion": sum(len(v) for v in direct.values()), "special_policy": len(special)}


def _plan(city, calendar: Calendar, urban: set[str], seed: int) -> list[tuple[datetime, int, str, int]]:
    """Every guardian's moves in season time: (when, order, what, family index)."""
    rng = random.Random(f"replay:{seed}:guardians")
    end = calendar.collection.end
    events = []
    for index, family in enumerate(city.families):
        district, group = window_key(family.facts, urban)
        window = calendar.window_for(district, group)
        opens = window.opens_at if window is not None else calendar.collection.start
        if rng.random() < TOO_EARLY:
            events.append((opens - timedelta(minutes=rng.randint(5, 90)), 0, "early", index))
        register = opens + timedelta(minutes=rng.expovariate(1 / 600) if rng.random() < 0.9
                                     else rng.uniform(0, (end - opens).total_seconds() / 60 - 60))
        register = min(register, end - timedelta(minutes=30))
        events.append((register, 1, "register", index))
        if rng.random() >= NEVER_SUBMIT:
            submit = min(register + timedelta(minutes=rng.uniform(5, 1440)), end - timedelta(seconds=1))
            events.append((submit, 2, "submit", index))
            events.append((submit + timedelta(hours=rng.uniform(1, 48)), 3, "review", index))
    events.sort()
    return events


def season_summary(session: Session, season: Season) -> dict[str, Any]:
    """Submissions per district and state, tier counts of the classified, and seats filled, from the database."""
    from core.allocation.models import AllocationRun, AllocationSeat

    by_district: dict[str, dict[str, int]] = defaultdict(dict)
    for district, state, count in session.exec(
            select(Application.district, Application.state, func.count()).where(Application.season_id == season.id)
            .group_by(Application.district, Application.state)):
        by_district[district][state] = count
    tiers = {tier or "none": count for tier, count in session.exec(
        select(Application.tier, func.count()).where(Application.season_id == season.id,
                                                     Application.state.in_(("approved", "allocated")))
        .group_by(Application.tier))}
    run = session.exec(select(AllocationRun).where(AllocationRun.season_id == season.id)
                       .order_by(AllocationRun.id.desc())).first()
    seats: dict[str, int] = {}
    filled = 0
    if run is not None:
        seats = dict(session.exec(select(AllocationSeat.how, func.count()).where(AllocationSeat.run_id == run.id)
                                  .group_by(AllocationSeat.how)).all())
        filled = session.exec(select(func.count()).select_from(AllocationSeat).where(
            AllocationSeat.run_id == run.id, AllocationSeat.school_code.is_not(None))).one()
    return {"submissions": {d: dict(sorted(s.items())) for d, s in sorted(by_district.items())},
            "tiers": dict(sorted(tiers.items())),
            "seats": {"filled": filled, "by_how": dict(sorted(seats.items()))}}


def replay_lottery_seed(seed: int) -> str:
    """The lottery seed a replay of this sandbox seed commits to. Derived rather than drawn, so
    the demo can tell its operators how to reveal it (a real season's seed comes from
    `xuewei lottery commit` and is kept offline); the database holds only its commitment."""
    return hashlib.sha256(f"xuewei-replay:{seed}".encode()).hexdigest()


def replay_season(engine: Engine, population: int, seed: int, *, year: int = 2021,
                  echo: Callable[[str], None] | None = None, until: datetime | None = None) -> ReplayReport:
    """Run a whole season on a sandbox city of `population` pupils; returns the log, tallies and summary.

    With `until`, season time stops there: what guardians, reviewers and the scheduler would
    have done by then is done, and nothing after (the demo opens on a season in progress).
    """
    from core.allocation import commitment_of
    from core.allocation.store import reveal_seed
    from plugins.sandbox.city import generate_city

    started = time.monotonic()
    report = ReplayReport(seed, population)

    def say(line: str) -> None:
        report.log.append(line)
        if echo is not None:
            echo(line)

    season = _setup_season(engine, year)
    with read_session(engine) as session:
        calendar = calendar_for(session, season)
        boundaries = session.exec(select(SeasonBoundary).where(SeasonBoundary.season_id == season.id)
                                  .order_by(SeasonBoundary.seq)).all()
        urban = {d["name"] for d in json.loads(ruleset_path(year).read_text())["districts"]}
    clock = FixedClock(calendar.phases[0].start)
    city = generate_city(seed, population)
    say(f"sandbox city seed {seed}: {len(city.families)} pupils, {len(city.schools)} schools, "
        f"{len(city.catchments)} catchments")

    def advance(to: datetime) -> None:
        clock.set(to)
        for step in run_due(engine, clock, runner="replay"):
            _log_step(say, boundaries, step)

    advance(calendar.phases[0].start)
    load_city(engine, season, city)
    guardians, reviewers = _accounts(engine, city, sorted(urban))
    lists = _lists(engine, season, city, clock.now())
    say(f"{local_text(clock.now())['en']}: lists submitted — direct promotion {lists['direct_promotion']}, "
        f"special policy {lists['special_policy']}")
    lottery_seed = replay_lottery_seed(seed)
    with write_session(engine) as session:
        session.get(Season, season.id).lottery_commitment = commitment_of(lottery_seed)
    say(f"lottery commitment published: {commitment_of(lottery_seed)[:16]}…")

    tallies: dict[str, Counter] = {k: Counter() for k in ("registered", "submitted", "refused_early", "approved",
                                                         "rejected", "refused_late", "invalid")}
    applications: dict[int, int] = {}
    dues = sorted({b.due_at for b in boundaries})

    def next_due() -> datetime:
        return next((due for due in dues if due > clock.now()), datetime.max.replace(tzinfo=clock.now().tzinfo))

    plan, i = _plan(city, calendar, urban, seed), 0
    if until is not None:
        plan = [event for event in plan if event[0] < until]
    while i < len(plan):  # consecutive moves before the next deadline share a transaction, each its own savepoint
        if plan[i][0] >= next_due():
            advance(plan[i][0])
        limit, j = next_due(), i
        with write_session(engine) as session:
            while j < len(plan) and plan[j][0] < limit and j - i < BATCH:
                when, _, what, index = plan[j]
                _act(session, season, what, city.families[index], index, when, guardians, reviewers, urban,
                     applications, tallies)
                j += 1
        i = j
    say(f"guardians: {sum(tallies['registered'].values())} registered, {sum(tallies['submitted'].values())} "
        f"submitted, {sum(tallies['refused_early'].values())} turned away before their window")

    draw = next(b.due_at for b in boundaries if "allocate_seats" in b.actions)
    for boundary in boundaries:
        if until is not None and boundary.due_at > until:
            break
        if boundary.due_at > clock.now():
            if boundary.due_at >= draw > clock.now():  # the seed is revealed at the draw, not before
                reveal_seed(engine, year, lottery_seed)
                say(f"{local_text(draw)['en']}: lottery seed revealed and checked against the commitment")
            advance(boundary.due_at)
    with read_session(engine) as session:
        report.summary = season_summary(session, session.get(Season, season.id))
    report.tallies = {k: dict(sorted(v.items())) for k, v in tallies.items()}
    report.seconds = time.monotonic() - started
    return report


def _act(session: Session, season: Season, what: str, family, index: int, when: datetime,
         guardians: dict[str, Account], reviewers: dict[str, Account], urban: set[str],
         applications: dict[int, int], tallies: dict[str, Counter]) -> None:
    """One move of a guardian or reviewer, through the same services the web layer calls."""
    district, group = window_key(family.facts, urban)
    guardian = guardians[family.pupil_id]
    try:
        with session.begin_nested():
            if what in ("early", "register"):  # first login: the service checks the district's window
                application = start_application(session, season=season, guardian=guardian,
                                                pupil_id_number=family.pupil_id,
                                                pupil_name=family.facts["pupil"]["name"], district=district,
                                                school_group=group, now=when)
                record_facts(session, application, source="sandbox", payload=family.facts, fetched_at=when)
                applications[index] = application.id
                tallies["registered"][district] += 1
            elif index not in applications:  # the registration was refused: nothing to submit or review
                return
            elif what == "submit":
                fire_in_session(session, applications[index], "submit", account=guardian, now=when)
                tallies["submitted"][district] += 1
            else:
                decision = "reject" if family.expected == "ineligible" else "approve"
                fire_in_session(session, applications[index], decision, account=reviewers[district], now=when,
                                reason="不符合报名条件（§1）" if decision == "reject" else None)
                tallies["approved" if decision == "approve" else "rejected"][district] += 1
    except CollectionClosed:
        tallies["refused_early" if what == "early" else "refused_late"][district] += 1
    except InvalidInput:
        tallies["invalid"][district] += 1


def _log_step(say: Callable[[str], None], boundaries, step: Step) -> None:
    due = next(b.due_at for b in boundaries if b.job_id == step.job_id)
    detail = f" {step.detail}" if step.detail else ""
    say(f"{local_text(due)['en']:>14}  {step.job_id:<36} {step.outcome}{detail}")
