"""`/metrics` as Prometheus scrapes it: behind a bearer token, every figure read from the database."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from core.applications import start_application
from core.db import write_session
from core.models import ConnectorCall, Document, RulesetVersion
from core.season.boundaries import materialise, run_due
from core.season.heartbeat import record_heartbeat
from core.season.models import JobRun, SchedulerHeartbeat, SeasonBoundary
from core.types import utcnow
from web import create_app

TOKEN = "scrape-token-0123456789"
SAMPLE = re.compile(r'^(?P<name>[a-z_0-9]+)(\{(?P<labels>[a-z_0-9]+="[^"\\\n]*"(,[a-z_0-9]+="[^"\\\n]*")*)\})? '
                    r'(?P<value>-?[0-9.e+]+|\+Inf)$')


@pytest.fixture
def scraper(app):
    app.config["METRICS_TOKEN"] = TOKEN
    client = app.test_client()

    def scrape() -> dict[str, float]:
        """Every sample as "name{labels}" → value, after checking each line's form."""
        response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200 and response.content_type == "text/plain; version=0.0.4; charset=utf-8"
        samples = {}
        for line in response.get_data(as_text=True).splitlines():
            if line.startswith("#"):
                assert re.match(r"^# (HELP [a-z_0-9]+ .+|TYPE [a-z_0-9]+ gauge)$", line), line
                continue
            match = SAMPLE.match(line)
            assert match, line
            key = match["name"] + (f"{{{match['labels']}}}" if match["labels"] else "")
            samples[key] = float(match["value"])
        scrape.body = response.get_data(as_text=True)
        return samples

    return scrape


def test_without_a_configured_token_there_is_no_metrics_endpoint(engine, clock, tmp_path, monkeypatch):
    monkeypatch.delenv("XUEWEI_METRICS_TOKEN", raising=False)
    app = create_app({"TESTING": True, "SECRET_KEY": "k", "ENGINE": engine, "CLOCK": clock,
                      "DOCUMENTS_DIR": str(tmp_path / "documents")})
    assert app.test_client().get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_the_token_comes_from_the_environment_and_nothing_else_opens_it(engine, clock, tmp_path, monkeypatch):
    monkeypatch.setenv("XUEWEI_METRICS_TOKEN", TOKEN)
    client = create_app({"TESTING": True, "SECRET_KEY": "k", "ENGINE": engine, "CLOCK": clock,
                         "DOCUMENTS_DIR": str(tmp_path / "documents")}).test_client()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                    {"Authorization": f"Bearer {TOKEN}x"}):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer"), headers
        assert "xuewei_" not in response.get_data(as_text=True)
    assert client.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"}).status_code == 200


def test_applications_by_state_and_recent_submissions_of_the_current_season(scraper, engine, season, make_account,
                                                                              id_number, now):
    guardian = make_account("guardian-metrics")
    with write_session(engine) as session:
        for sequence, (state, submitted) in enumerate([("draft", None), ("submitted", now - timedelta(minutes=2)),
                                                       ("submitted", now - timedelta(minutes=4, seconds=59)),
                                                       ("submitted", now - timedelta(minutes=6)),
                                                       ("approved", now - timedelta(days=1))], start=1):
            application = start_application(session, season=season, guardian=guardian, pupil_name="张小明",
                                            pupil_id_number=id_number(sequence=sequence), district="东湖区", now=now)
            application.state, application.submitted_at = state, submitted
            session.add(application)
    samples = scraper()
    assert {k: v for k, v in samples.items() if k.startswith("xuewei_applications{")} == {
        'xuewei_applications{season="2021",state="approved"}': 1,
        'xuewei_applications{season="2021",state="draft"}': 1,
        'xuewei_applications{season="2021",state="submitted"}': 3}
    assert samples['xuewei_submissions_last_5m{season="2021"}'] == 2
    assert id_number(sequence=1) not in scraper.body and "张小明" not in scraper.body and "guardian-metrics" not in scraper.body


def test_connector_calls_and_failures_of_the_last_five_minutes_by_source(scraper, engine, season, now):
    with write_session(engine) as session:
        for source, outcome, minutes_ago in [("hukou", "ok", 1), ("hukou", "failed", 2), ("hukou", "invalid", 3),
                                             ("hukou", "failed", 6), ("properties", "ok", 4)]:
            session.add(ConnectorCall(source=source, outcome=outcome, started_at=now - timedelta(minutes=minutes_ago)))
    samples = scraper()
    assert samples['xuewei_connector_calls_last_5m{source="hukou"}'] == 3
    assert samples['xuewei_connector_failures_last_5m{source="hukou"}'] == 2
    assert samples['xuewei_connector_calls_last_5m{source="properties"}'] == 1
    assert samples['xuewei_connector_failures_last_5m{source="properties"}'] == 0
    assert samples['xuewei_connector_calls_last_5m{source="leases"}'] == 0  # every source, quiet ones too


def test_documents_stored_and_the_active_ruleset(scraper, engine, draft_application):
    _, application = draft_application
    with write_session(engine) as session:
        for n, size in enumerate((1000, 2500)):
            session.add(Document(application_id=application.id, kind="other", filename=f"{n}.png",
                                 media_type="image/png", size=size, sha256=f"{n:064x}"))
        version = session.exec(select(RulesetVersion).where(RulesetVersion.status == "active")).one()
    samples = scraper()
    assert (samples["xuewei_documents_stored"], samples["xuewei_documents_stored_bytes"]) == (2, 3500)
    assert samples[f'xuewei_ruleset_info{{season="2021",ruleset_id="{version.ruleset_id}",'
                   f'version="{version.version}",sha256="{version.sha256[:16]}"}}'] == 1


def test_the_scheduler_heartbeat_overdue_deadlines_and_failed_jobs(scraper, engine, season, clock, now):
    with write_session(engine) as session:
        boundaries = materialise(session, season)
    late = [b for b in boundaries if b.due_at < now - timedelta(minutes=2)]
    assert late  # preparation has started and ended by 1 June 10:00
    samples = scraper()
    assert samples["xuewei_scheduler_heartbeat_age_seconds"] == float("inf")  # never seen …
    assert samples["xuewei_scheduler_stale"] == 1  # … while the season has deadlines to fire
    assert samples["xuewei_scheduler_overdue_deadlines"] == len(late)
    assert samples["xuewei_scheduler_failed_jobs"] == 0

    run_due(engine, clock, runner="test")
    record_heartbeat(engine, clock, started_at=utcnow(), interval_seconds=10)
    with write_session(engine) as session:
        pending = session.exec(select(SeasonBoundary).where(SeasonBoundary.state == "pending")
                               .order_by(SeasonBoundary.seq)).first()
        pending.due_at, pending.state, pending.lease_until = now - timedelta(hours=1), "fired", utcnow() + timedelta(minutes=1)
        session.add(JobRun(season_id=season.id, job_id=pending.job_id, runner="test", season_time=now,
                           outcome="failed", detail="RuntimeError"))  # its last try failed (a done job's would not count)
    samples = scraper()
    assert 0 <= samples["xuewei_scheduler_heartbeat_age_seconds"] < 30 and samples["xuewei_scheduler_stale"] == 0
    assert samples["xuewei_scheduler_overdue_deadlines"] == 0  # fired, and its actions are leased: being worked on
    assert samples["xuewei_scheduler_failed_jobs"] == 1
    with write_session(engine) as session:
        session.exec(select(SchedulerHeartbeat)).one().seen_at = utcnow() - timedelta(hours=1)
    samples = scraper()
    assert samples["xuewei_scheduler_heartbeat_age_seconds"] >= 3600 and samples["xuewei_scheduler_stale"] == 1


def test_before_any_season_the_figures_are_there_and_empty(scraper, engine):
    samples = scraper()
    assert not any(key.startswith(("xuewei_applications{", "xuewei_ruleset_info{")) for key in samples)
    assert samples["xuewei_scheduler_stale"] == 0 and samples["xuewei_documents_stored"] == 0
    assert "# TYPE xuewei_ruleset_info gauge" in scraper.body


def test_recent_submissions_are_counted_from_the_index_not_the_rows(scraper, engine, season):
    """Reaching submitted_at in a row means reading past its JSON columns (160 ms at 20,000
    applications on SQLite); the scrape and the dashboard's chart read the index instead."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan; PostgreSQL plans by its statistics")
    from sqlalchemy import event

    seen = []

    def record(_connection, _cursor, statement, parameters, *_args):
        if "submitted_at" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        scraper()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    [(statement, parameters)] = seen
    with engine.connect() as connection:
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    assert any("COVERING INDEX ix_application_season_submitted" in row[-1] for row in plan), plan
