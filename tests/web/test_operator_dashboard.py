"""The operators' dashboard figures (core.dashboard), on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from core import dashboard
from core.applications import start_application
from core.audit import append_event
from core.connectors.metrics import SourceHealth
from core.db import read_session, write_session
from core.models import Application, ConnectorCall, Event
from core.season.models import JobRun, SeasonBoundary, SeasonPhase, SeasonWindow


def _phases(engine, season, now):
    """Collection open around `now`, verification after it."""
    with write_session(engine) as session:
        session.add(SeasonPhase(season_id=season.id, position=1, phase_id="collection", label_zh="信息采集",
                                label_en="Collection", clause="§4.2", starts_at=now - timedelta(days=1),
                                ends_at=now + timedelta(hours=1), state="open"))
        session.add(SeasonPhase(season_id=season.id, position=2, phase_id="verification", label_zh="信息核定",
                                label_en="Verification", clause="§5", starts_at=now + timedelta(hours=1),
                                ends_at=now + timedelta(days=5), state="pending"))
        session.add(SeasonWindow(season_id=season.id, window_id="w1", label_zh="6月1日上午", label_en="1 June am",
                                 clause="§2.2", districts=["东湖区"], groups=[], opens_at=now - timedelta(hours=1),
                                 closes_at=now + timedelta(hours=1)))
        session.add(SeasonWindow(season_id=season.id, window_id="w4", label_zh="6月2日下午", label_en="2 June pm",
                                 clause="§2.2", districts=["红谷滩区"], groups=[], opens_at=now + timedelta(days=1),
                                 closes_at=now + timedelta(days=2)))


def _applications(engine, season, make_account, id_number, now, states_by_district):
    guardian = make_account("guardian-counts")
    registered = now + timedelta(days=2)  # every district's window is open by then
    sequence = 100
    with write_session(engine) as session:
        for district, states in states_by_district.items():
            for state in states:
                sequence += 2
                application = start_application(session, season=season, guardian=guardian,
                                                 pupil_id_number=id_number(sequence=sequence), pupil_name="张三",
                                                 district=district, now=registered)
                application.state = state
                session.add(application)


def test_timeline_marks_the_phase_and_windows_the_clock_is_in(engine, season, now):
    _phases(engine, season, now)
    with read_session(engine) as session:
        line = dashboard.timeline(session, season, now)
    assert [(p["id"], p["current"]) for p in line["phases"]] == [("collection", True), ("verification", False)]
    assert [(w["id"], w["open_now"]) for w in line["windows"]] == [("w1", True), ("w4", False)]
    with read_session(engine) as session:
        later = dashboard.timeline(session, season, now + timedelta(hours=2))
    assert [p["id"] for p in later["phases"] if p["current"]] == ["verification"]
    assert later["phases"][1]["state"] == "pending"  # the scheduler's view, shown beside the clock's


def test_the_season_phase_is_named_by_its_label_and_a_closed_phase_says_so(engine, season, now):
    _phases(engine, season, now)
    with read_session(engine) as session:
        phases = session.exec(select(SeasonPhase)).all()
    assert dashboard.phase_label("collection", phases) == {"zh": "信息采集", "en": "Collection"}
    assert dashboard.phase_label("collection_closed", phases) == {"zh": "信息采集（已结束）", "en": "Collection (closed)"}
    assert dashboard.phase_label("preparation", phases) == {"zh": "preparation", "en": "preparation"}


def test_counts_per_state_and_district(engine, season, make_account, id_number, now):
    _applications(engine, season, make_account, id_number, now,
                  {"东湖区": ["draft", "submitted", "submitted"], "西湖区": ["submitted", "facts_pending"]})
    with read_session(engine) as session:
        counts = dashboard.application_counts(session, season)
    assert counts["total"] == 5
    assert counts["by_state"] == {"draft": 1, "facts_pending": 1, "submitted": 3}
    assert counts["by_district"] == {"东湖区": 3, "西湖区": 2}
    assert counts["by_district_state"]["东湖区"] == {"draft": 1, "submitted": 2}


def test_submissions_per_minute_counts_each_minute_and_keeps_quiet_minutes(engine, season, make_account,
                                                                            id_number, now):
    _applications(engine, season, make_account, id_number, now, {"东湖区": ["submitted"] * 4})
    with write_session(engine) as session:
        rows = session.exec(select(Application).order_by(Application.id)).all()
        offsets = [timedelta(minutes=-3), timedelta(minutes=-3, seconds=30), timedelta(seconds=5),
                   timedelta(minutes=-45)]
        for application, offset in zip(rows, offsets):
            application.submitted_at = now + offset
            session.add(application)
    with read_session(engine) as session:
        rate = dashboard.submissions_per_minute(session, season, now, minutes=10)
    assert len(rate) == 10
    assert [p["count"] for p in rate] == [0, 0, 0, 0, 0, 0, 2, 0, 0, 1]  # 45 minutes ago is outside


def test_connector_health_from_recorded_calls_with_the_runtime_breaker(engine, now):
    wall = now  # calls are stamped by the season clock (2021 in a rehearsal), and read by it
    with write_session(engine) as session:
        for i in range(20):
            session.add(ConnectorCall(source="hukou", started_at=wall - timedelta(seconds=i), latency_ms=float(i + 1),
                                      outcome="failed" if i < 5 else "ok"))
        session.add(ConnectorCall(source="property", started_at=wall - timedelta(hours=3), latency_ms=9.0,
                                  outcome="failed"))
    runtime = [SourceHealth("hukou", 7, 2, 5, 0, 12.0, "open")]
    with read_session(engine) as session:
        health = {h["source"]: h for h in dashboard.connector_health(session, runtime, now=now)}
    assert health["hukou"]["calls"] == 20
    assert health["hukou"]["failure_rate"] == 0.25
    assert health["hukou"]["p95_latency_ms"] == 19.0
    assert health["hukou"]["breaker"] == "open"
    assert health["hukou"]["worker_calls"] == 7
    assert "property" not in health  # its only call is older than the hour shown


def test_connector_health_per_plugin_tells_which_of_two_vendors_of_a_source_fails(engine, now):
    calls = [("acme_hukou", "failed", 30.0)] * 3 + [("acme_hukou", "ok", 40.0)] + [("gateway", "ok", 5.0)] * 4 \
        + [(None, "failed", 0.0)]  # refused by the open breaker: no plugin was asked
    with write_session(engine) as session:
        for i, (plugin, outcome, latency) in enumerate(calls):
            session.add(ConnectorCall(source="hukou", plugin=plugin, started_at=now - timedelta(seconds=i),
                                      latency_ms=latency, outcome=outcome))
        session.add(ConnectorCall(source="hukou", plugin="gateway", started_at=now - timedelta(hours=2),
                                  latency_ms=9.0, outcome="failed"))
    with read_session(engine) as session:
        (hukou,) = dashboard.connector_health(session, now=now)
    assert (hukou["calls"], hukou["failed"]) == (9, 4)
    plugins = [(p["plugin"], p["calls"], p["failed"], p["failure_rate"], p["p95_latency_ms"]) for p in hukou["plugins"]]
    assert plugins == [("acme_hukou", 4, 3, 0.75, 40.0), ("gateway", 4, 0, 0.0, 5.0), (None, 1, 1, 1.0, None)]


def test_application_waiting_for_sources_too_long_is_an_incident(engine, season, make_account, id_number, now):
    _applications(engine, season, make_account, id_number, now, {"东湖区": ["facts_pending", "facts_pending"]})
    with write_session(engine) as session:
        old, fresh = session.exec(select(Application).order_by(Application.id)).all()
        old.updated_at = now - timedelta(hours=2)
        fresh.updated_at = now - timedelta(minutes=5)
        session.add_all([old, fresh])
    with read_session(engine) as session:
        stuck = dashboard.stuck_applications(session, season, now)
    assert [(s["id"], s["waiting_minutes"]) for s in stuck] == [(old.id, 120)]


def test_jobs_show_next_and_last_run_and_a_failed_last_run_is_an_incident(engine, season, now):
    with write_session(engine) as session:
        for seq, (job, state) in enumerate([("close-collection", "pending"), ("open-w1", "done")]):
            session.add(SeasonBoundary(season_id=season.id, job_id=job, seq=seq, kind="phase_end",
                                       due_at=now + timedelta(hours=seq), actions=[], state=state))
        session.add(JobRun(season_id=season.id, job_id="open-w1", runner="s1", season_time=now, outcome="failed",
                           detail="boom"))
        session.add(JobRun(season_id=season.id, job_id="close-collection", runner="s1", season_time=now,
                           outcome="failed", detail="database locked"))
        session.add(JobRun(season_id=season.id, job_id="open-w1", runner="s1", season_time=now,
                           outcome="actions_done"))
    with read_session(engine) as session:
        jobs = {j["job_id"]: j for j in dashboard.scheduler_jobs(session, season)}
        failed = dashboard.failed_jobs(session, season)
    assert jobs["close-collection"]["next_run"] == jobs["close-collection"]["due_at"]
    assert jobs["open-w1"]["next_run"] is None
    assert jobs["open-w1"]["last_run"]["outcome"] == "actions_done"
    assert [j["job_id"] for j in failed] == ["close-collection"]


def test_audit_log_pages_back_and_the_chain_check_finds_an_altered_event(engine, season):
    with write_session(engine) as session:
        for i in range(3):
            append_event(session, actor="op", actor_role="operator", subject_type="test", subject_id=i,
                         action="noted")
    with read_session(engine) as session:
        newest = dashboard.audit_log(session, limit=2)
        older = dashboard.audit_log(session, limit=2, before_seq=newest[-1]["seq"])
        assert dashboard.chain_status(session)["ok"] is True
    assert newest[0]["seq"] > newest[1]["seq"] > older[0]["seq"]
    with write_session(engine) as session:
        event = session.exec(select(Event).where(Event.seq == older[0]["seq"])).one()
        event.reason = "rewritten"
        session.add(event)
    with read_session(engine) as session:
        status = dashboard.chain_status(session)
    assert status["ok"] is False and status["seq"] == older[0]["seq"]


def test_snapshot_names_states_with_the_ruleset_labels(engine, season, now):
    with read_session(engine) as session:
        data = dashboard.snapshot(session, season, now)
    assert data["state_labels"]["submitted"]["zh"]
    assert set(data) >= {"timeline", "jobs", "counts", "rate", "connectors", "incidents", "audit"}
