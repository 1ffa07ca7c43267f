"""A whole 2021 season replayed on the sandbox city: its summary is what the database says."""
from __future__ import annotations

import json
from collections import Counter

import pytest
from sqlalchemy import text
from sqlmodel import select

from core.audit import verify_chain
from core.db import read_session
from core.models import Application, Event
from core.paths import ruleset_path
from core.rules import load_ruleset
from core.season.calendar import calendar_of
from core.season.models import GraduateSnapshot, SeasonBoundary
from core.season.replay import ReplayError, replay_season, window_key

POPULATION, SEED = 150, 1


def _sql(session, query: str) -> list:
    return session.execute(text(query)).all()


def _summary_matches_a_recomputation_from_the_database(engine, replayed):
    with read_session(engine) as session:
        per_state = _sql(session, "SELECT district, state, COUNT(*) FROM application GROUP BY district, state")
        classified = [json.loads(c) if isinstance(c, str) else c for (c,) in _sql(
            session, "SELECT classification FROM application WHERE state IN ('approved', 'allocated')")]
        filled = _sql(session, "SELECT COUNT(*) FROM allocationseat WHERE school_code IS NOT NULL "
                               "AND run_id = (SELECT MAX(id) FROM allocationrun)")[0][0]
        serials = Counter(d for (d,) in _sql(session, "SELECT district FROM application WHERE serial IS NOT NULL"))
        snapshot = session.exec(select(GraduateSnapshot)).one()
    recomputed: dict = {}
    for district, state, count in per_state:
        recomputed.setdefault(district, {})[state] = count
    assert replayed.summary["submissions"] == recomputed
    assert replayed.summary["tiers"] == dict(Counter(str(c["tier"]) for c in classified))
    assert replayed.summary["seats"]["filled"] == filled > 0
    assert replayed.tallies["submitted"] == dict(serials)
    assert replayed.tallies["registered"] == {d: sum(s.values()) for d, s in recomputed.items()}
    assert sum(replayed.tallies["registered"].values()) == POPULATION == snapshot.row_count


def _every_phase_ran_once_and_the_audit_chain_holds(engine, replayed):
    with read_session(engine) as session:
        boundaries = session.exec(select(SeasonBoundary)).all()
        season_events = Counter((e.action, e.to_state) for e in session.exec(
            select(Event).where(Event.subject_type == "season", Event.action.in_(
                ("phase_opened", "phase_closed", "window_opened")))))
        left_open = session.exec(select(Application).where(Application.state.in_(("draft", "facts_pending")))).all()
        assert verify_chain(session) is None
    assert {b.state for b in boundaries} == {"done"} and set(season_events.values()) == {1}
    assert left_open == []  # every draft was closed as not_submitted at 17:00 on 16 June
    assert sum(replayed.tallies["refused_early"].values()) > 0  # and those who came early were turned away


def _every_registration_happened_inside_its_window(engine):
    calendar = calendar_of(json.loads(ruleset_path(2021).read_text()))
    with read_session(engine) as session:
        started = {e.subject_id: e.at for e in session.exec(select(Event).where(Event.action == "application_started"))}
        applications = session.exec(select(Application)).all()
    for application in applications:
        group = application.frozen_facts["pupil"]["primary_school"].get("group") if application.frozen_facts else None
        window = calendar.window_for(application.district, group)
        assert window.opens_at <= started[str(application.id)] < window.closes_at


@pytest.mark.slow
def test_replayed_season_matches_the_database_ran_every_phase_once_and_kept_every_window(engine):
    replayed = replay_season(engine, POPULATION, SEED)
    _summary_matches_a_recomputation_from_the_database(engine, replayed)
    _every_phase_ran_once_and_the_audit_chain_holds(engine, replayed)
    _every_registration_happened_inside_its_window(engine)
    with pytest.raises(ReplayError):  # a second replay would mix two seasons in one database
        replay_season(engine, POPULATION, SEED)


def test_replay_keys_windows_as_the_ruleset_does():
    from plugins.sandbox.city import generate_city

    document = json.loads(ruleset_path(2021).read_text())
    ruleset, calendar = load_ruleset(document), calendar_of(document)
    urban = {d["name"] for d in document["districts"]}
    for family in generate_city(SEED, 600).families:  # province-run, private, group and out-of-area schools
        district, group = window_key(family.facts, urban)
        assert calendar.window_for(district, group).id == ruleset.window_for(family.facts)["id"]


def test_replay_until_a_moment_stops_the_season_there(engine):
    from core.clock import parse_instant
    from core.models import Season

    stop = parse_instant("2021-06-08T15:00:00+08:00")
    replay_season(engine, POPULATION, SEED, until=stop)
    with read_session(engine) as session:
        states = Counter(a.state for a in session.exec(select(Application)))
        fired = session.exec(select(SeasonBoundary).where(SeasonBoundary.state != "pending")).all()
        season = session.exec(select(Season)).one()
        latest = max(e.at for e in session.exec(select(Event).where(Event.subject_type == "application")))
    assert season.phase == "collection"
    assert season.name == "南昌市2021年城区小升初报名暨信息采集实施方案"  # the demo's families read it: no "（回放）"
    assert all(b.due_at <= stop for b in fired) and fired
    assert latest < stop
    assert states["submitted"] + states["approved"] > 0 and "allocated" not in states and "not_submitted" not in states
