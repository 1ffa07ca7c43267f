"""Phase actions (§4.3, §5, §6): run by the boundary, idempotent, resumable after a crash."""
from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from core import applications
from core.applications import choose_basis, fire_transition, record_facts, start_application, submit_application
from core.db import read_session, write_session
from core.models import Application, Catchment, School
from core.paths import ruleset_path
from core.season import actions
from core.season.boundaries import run_due
from core.season.graduates import GRADUATES, graduates_csv
from core.season.models import GraduateSnapshot, SeasonBoundary
from core.types import utcnow
from tests.season.conftest import at

RULESET = json.loads(ruleset_path(2021).read_text())
OPEN = at("2021-06-01T10:30:00")


def _family(engine, season, guardian, family: str, pupil_id: str):
    """A 东湖区 family from the ruleset's embedded cases (with a valid pupil ID), registered and submitted."""
    embedded = RULESET["tests"]["families"][family]
    facts = json.loads(json.dumps(embedded).replace(embedded["pupil"]["id_number"], pupil_id))
    with write_session(engine) as session:
        application = start_application(session, season=season, guardian=guardian,
                                        pupil_id_number=facts["pupil"]["id_number"], pupil_name=facts["pupil"]["name"],
                                        district="东湖区", now=OPEN)
        record_facts(session, application, source="sandbox", payload=facts, fetched_at=OPEN)
    if facts.get("basis"):  # as the family does before submitting (core.applications.submit_blocker)
        choose_basis(engine, application.id, account=guardian, basis=facts["basis"], now=OPEN)
    submit_application(engine, application.id, account=guardian, now=OPEN)
    return application.id


def _catchments(engine, season):
    with write_session(engine) as session:
        for entry in RULESET["tests"]["catchments"]:
            school = School(season_id=season.id, code=entry["school_id"], name=entry["school_name"], stage="middle",
                            district=entry["district"], capacity=100)
            session.add(school)
            session.flush()
            session.add(Catchment(season_id=season.id, code=entry["school_id"], school_id=school.id, rules=entry["rules"]))


def _drafts(engine, season, guardian, id_number, count):
    with write_session(engine) as session:
        return [start_application(session, season=season, guardian=guardian, pupil_id_number=id_number(sequence=n),
                                  pupil_name="赵六", district="东湖区", now=OPEN).id for n in range(1, count + 1)]


def _states(engine) -> dict[int, str]:
    with read_session(engine) as session:
        return {a.id: a.state for a in session.exec(select(Application))}


def test_close_of_collection_keeps_drafts_as_not_submitted(engine, season, calendar_rows, season_clock,
                                                           make_account, id_number):
    guardian = make_account("family")
    drafts = _drafts(engine, season, guardian, id_number, 3)
    submitted = _family(engine, season, guardian, "li_tier1", id_number(sequence=901))
    season_clock.set(at("2021-06-16T17:00:00"))
    run_due(engine, season_clock)
    assert _states(engine) == {**{d: "not_submitted" for d in drafts}, submitted: "submitted"}


def test_interrupted_close_resumes_and_closes_each_draft_once(engine, season, calendar_rows, season_clock,
                                                              make_account, id_number, monkeypatch):
    guardian = make_account("family")
    drafts = _drafts(engine, season, guardian, id_number, 12)
    monkeypatch.setattr(actions, "BATCH", 5)
    real_fire_many, calls = applications.fire_many, []

    def crash_in_the_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt("the scheduler process dies here")
        return real_fire_many(*args, **kwargs)

    monkeypatch.setattr(applications, "fire_many", crash_in_the_second_batch)
    season_clock.set(at("2021-06-16T17:00:00"))
    with pytest.raises(KeyboardInterrupt):
        run_due(engine, season_clock, runner="dies")
    assert sorted(_states(engine).values()) == ["draft"] * 7 + ["not_submitted"] * 5  # the first batch committed
    with write_session(engine) as session:  # two minutes later the dead runner's lease has run out
        session.execute(update(SeasonBoundary).values(lease_until=utcnow() - timedelta(seconds=1))
                        .where(SeasonBoundary.lease_owner == "dies"))
    run_due(engine, season_clock, runner="resumes")
    assert _states(engine) == {d: "not_submitted" for d in drafts}
    with read_session(engine) as session:
        boundary = session.exec(select(SeasonBoundary).where(SeasonBoundary.job_id == "season-2021-collection-end")).one()
    assert boundary.state == "done"


def test_verification_builds_a_frozen_graduates_database_with_counts_and_csv(engine, season, calendar_rows,
                                                                             season_clock, make_account, id_number):
    guardian = make_account("family")
    _drafts(engine, season, guardian, id_number, 2)
    _family(engine, season, guardian, "li_tier1", id_number(sequence=901))
    season_clock.set(at("2021-06-22T00:00:00"))
    run_due(engine, season_clock)
    with read_session(engine) as session:
        snapshot = session.exec(select(GraduateSnapshot).where(GraduateSnapshot.label == GRADUATES)).one()
        text = graduates_csv(session, snapshot.id)
    assert snapshot.row_count == 3
    assert snapshot.counts == [{"district": "东湖区", "state": "not_submitted", "tier": None, "count": 2},
                               {"district": "东湖区", "state": "submitted", "tier": None, "count": 1}]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["state"] for r in rows] == ["not_submitted", "not_submitted", "submitted"] and rows[2]["serial"]


def test_a_name_excel_would_run_as_a_formula_is_text_in_the_graduates_csv(engine, season, calendar_rows,
                                                                        season_clock, make_account, id_number):
    """The family typed the pupil's name; the bureau opens the file in Excel. The snapshot's
    digest is over its rows' values, not the file, and is the same whatever the names are."""
    guardian = make_account("family")
    [draft] = _drafts(engine, season, guardian, id_number, 1)
    with write_session(engine) as session:
        session.get(Application, draft).pupil_name = "=HYPERLINK(\"http://x\")"
    season_clock.set(at("2021-06-22T00:00:00"))
    run_due(engine, season_clock)
    with read_session(engine) as session:
        snapshot = session.exec(select(GraduateSnapshot).where(GraduateSnapshot.label == GRADUATES)).one()
        text = graduates_csv(session, snapshot.id)
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["pupil_name"] == "'=HYPERLINK(\"http://x\")" and row["pupil_id_number"] == id_number(sequence=1)


def test_classification_stores_the_tier_of_every_approved_application(engine, season, calendar_rows, season_clock,
                                                                      make_account, id_number):
    _catchments(engine, season)
    guardian, reviewer = make_account("family"), make_account("reviewer", role="reviewer", district="东湖区")
    tier1 = _family(engine, season, guardian, "li_tier1", id_number(sequence=901))
    tier3 = _family(engine, season, guardian, "wang_tier3", id_number(sequence=903))
    waiting = _family(engine, season, guardian, "zhang_tier2", id_number(sequence=905))
    for application_id in (tier1, tier3):
        fire_transition(engine, application_id, "approve", account=reviewer, now=at("2021-06-18T09:00:00"))
    season_clock.set(at("2021-06-22T00:00:00"))
    run_due(engine, season_clock)
    with read_session(engine) as session:
        stored = {a.id: a for a in session.exec(select(Application))}
    assert (stored[tier1].tier, stored[tier1].classification["row"]) == ("1", "T1")
    assert (stored[tier3].tier, stored[tier3].classification["catchment"]) == ("3", "dh-yuzhang")
    assert stored[waiting].classification is None  # not approved: not classified
