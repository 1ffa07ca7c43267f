"""Phases as rows: each boundary fires once, in order, audited, however often it is asked to."""
from __future__ import annotations

import pytest
from sqlmodel import select

from core.db import read_session, write_session
from core.models import Event, Season
from core.season.boundaries import materialise, run_due
from core.season.models import JobRun, SeasonBoundary, SeasonPhase, SeasonWindow
from tests.season.conftest import at


def _season(engine) -> Season:
    with read_session(engine) as session:
        return session.exec(select(Season)).one()


def test_calendar_becomes_rows_with_due_times_in_order(engine, season, calendar_rows):
    jobs = [b.job_id for b in calendar_rows]
    assert jobs[:4] == ["season-2021-preparation-start", "season-2021-preparation-end",
                        "season-2021-collection-start", "season-2021-window-W1"]
    collection_end = next(b for b in calendar_rows if b.job_id == "season-2021-collection-end")
    assert collection_end.due_at == at("2021-06-16T17:00:00") and collection_end.actions == ["close_unsubmitted"]
    assert [b.seq for b in calendar_rows] == sorted(b.seq for b in calendar_rows)
    with read_session(engine) as session:
        windows = {w.window_id: w for w in session.exec(select(SeasonWindow))}
    assert windows["W4"].districts == ["红谷滩区"] and windows["W4"].opens_at == at("2021-06-02T14:00:00")
    assert windows["W4"].closes_at == at("2021-06-16T17:00:00")


def test_materialising_twice_changes_nothing(engine, season, calendar_rows):
    with write_session(engine) as session:
        again = materialise(session, season)
    assert [(b.id, b.job_id, b.due_at) for b in again] == [(b.id, b.job_id, b.due_at) for b in calendar_rows]


def test_phase_opens_once_and_is_audited_whatever_the_number_of_runs(engine, season, calendar_rows, season_clock):
    season_clock.set(at("2021-06-01T10:00:00"))
    first = run_due(engine, season_clock, runner="a")
    second = run_due(engine, season_clock, runner="b")
    assert [s.outcome for s in first] == ["fired"] * 4 and second == []
    with read_session(engine) as session:
        events = session.exec(select(Event).where(Event.subject_type == "season").order_by(Event.seq)).all()
        phase = session.exec(select(SeasonPhase).where(SeasonPhase.phase_id == "collection")).one()
        window = session.exec(select(SeasonWindow).where(SeasonWindow.window_id == "W1")).one()
    assert [(e.action, e.to_state) for e in events] == [
        ("phase_opened", "preparation"), ("phase_closed", "preparation_closed"),
        ("phase_opened", "collection"), ("window_opened", "W1")]
    assert _season(engine).phase == "collection" and phase.state == "open" and window.state == "open"


def test_a_missed_deadline_runs_late_and_records_its_lateness(engine, season, calendar_rows, season_clock):
    season_clock.set(at("2021-06-17T09:30:00"))
    run_due(engine, season_clock)
    with read_session(engine) as session:
        closed = session.exec(select(Event).where(Event.action == "phase_closed",
                                                  Event.to_state == "collection_closed")).one()
        runs = session.exec(select(JobRun).where(JobRun.job_id == "season-2021-collection-end")).all()
        windows = session.exec(select(SeasonWindow)).all()
    assert closed.data["late_seconds"] == 16.5 * 3600
    assert [r.outcome for r in runs] == ["fired"]
    assert _season(engine).phase == "verification" and {w.state for w in windows} == {"closed"}


def test_a_stale_runner_finds_the_transition_done(engine, season, calendar_rows, season_clock):
    season_clock.set(at("2021-05-15T00:00:00"))
    with read_session(engine) as session:
        stale = session.exec(select(SeasonBoundary).where(SeasonBoundary.seq == 1)).one()
    run_due(engine, season_clock, runner="first")
    from core.season.boundaries import fire_boundary

    assert fire_boundary(engine, stale, season_clock, "late").outcome == "already_done"
    with read_session(engine) as session:
        assert len(session.exec(select(Event).where(Event.action == "phase_opened")).all()) == 1


def test_a_boundary_asked_to_fire_before_its_time_is_refused_and_nothing_moves(engine, season, calendar_rows,
                                                                              season_clock):
    from core.season.boundaries import NotDue, fire_boundary

    run_due(engine, season_clock, runner="s1")
    with read_session(engine) as session:
        collection_end = session.exec(select(SeasonBoundary).where(
            SeasonBoundary.job_id == "season-2021-collection-end")).one()
    phase = _season(engine).phase
    with pytest.raises(NotDue):
        fire_boundary(engine, collection_end, season_clock, "by-hand")
    with read_session(engine) as session:
        assert session.get(SeasonBoundary, collection_end.id).state == "pending"
        assert not session.exec(select(JobRun).where(JobRun.job_id == collection_end.job_id)).all()
    assert _season(engine).phase == phase


def test_a_new_ruleset_version_moves_pending_deadlines_but_not_fired_ones(engine, season, calendar_rows, season_clock):
    import copy
    import json

    from core.paths import ruleset_path
    from core.rulesets import activate_ruleset, store_ruleset
    from core.workflow import Actor

    season_clock.set(at("2021-06-01T10:00:00"))
    run_due(engine, season_clock)
    document = copy.deepcopy(json.loads(ruleset_path(2021).read_text()))
    collection = next(p for p in document["calendar"]["phases"] if p["id"] == "collection")
    collection["start"], collection["end"] = "2021-06-01T09:00:00+08:00", "2021-06-16T18:00:00+08:00"
    admin = Actor("city-admin", "city_admin")
    with write_session(engine) as session:
        current = session.get(Season, season.id)
        activate_ruleset(session, current, store_ruleset(session, current, document, admin).sha256, admin)
        moved = {b.job_id: b for b in materialise(session, current)}
    assert moved["season-2021-collection-end"].due_at == at("2021-06-16T18:00:00")
    assert moved["season-2021-collection-start"].due_at == at("2021-06-01T10:00:00")  # already fired: history stays


def test_the_runner_that_fires_a_boundary_with_actions_holds_them_before_another_can(
        engine, season, calendar_rows, season_clock):
    """Two schedulers: the one that fires the close of collection runs its actions. Another one,
    coming in between the firing and the claim, must not take them over (the first would then
    record "waiting" for a boundary it fired, and the second "actions_done")."""
    from core.season.boundaries import _claim_actions, _transition

    season_clock.set(at("2021-06-16T12:00:00"))
    run_due(engine, season_clock, runner="first")  # everything before the close of collection
    closing = next(b for b in calendar_rows if b.job_id == "season-2021-collection-end")
    with write_session(engine) as session:
        assert _transition(session, closing, at("2021-06-16T17:00:01"), "first")
    assert not _claim_actions(engine, closing.id, "second")
    assert _claim_actions(engine, closing.id, "first")
