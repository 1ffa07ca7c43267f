"""The operators' dashboard pages: who may see them, what they show, the retry buttons."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlmodel import select

from core.db import read_session, write_session
from core.models import Application, ConnectorCall, Event, Season
from core.season.boundaries import materialise, run_due
from core.season.models import JobRun, SeasonBoundary

OPERATOR_PAGES = ("/operator/", "/operator/dashboard.json", "/operator/audit")


@pytest.fixture
def calendar(engine, season):
    """The 2021 calendar as phase, window and boundary rows."""
    with write_session(engine) as session:
        materialise(session, session.merge(season))
    return season


@pytest.mark.parametrize("role", ["guardian", "reviewer", "district_admin"])
def test_dashboard_is_refused_to_everyone_but_operators_and_city_admins(client, auth, make_account, season, role):
    make_account("someone", role=role, district="东湖区" if role != "guardian" else None)
    auth.login("someone")
    for path in OPERATOR_PAGES:
        assert client.get(path).status_code == 403, path


def test_anonymous_visitors_are_sent_to_the_login_page(client, season):
    for path in OPERATOR_PAGES:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


@pytest.mark.parametrize("role", ["operator", "city_admin"])
def test_dashboard_shows_the_current_phase_on_the_timeline(client, auth, make_account, calendar, role):
    make_account("watcher", role=role)
    auth.login("watcher")
    body = client.get("/operator/").get_data(as_text=True)
    assert 'data-testid="phase-collection" data-current="true"' in body
    assert 'data-testid="phase-verification" data-current="false"' in body
    assert re.search(r'data-testid="phase-collection".*?· 第四部分第2项</span>', body, re.S)  # §4.2, as the ruleset words it
    assert re.search(r'src="/static/operator.js\?v=[0-9a-f]{12}"', body) and "<script>" not in body  # CSP: no inline script


def test_dashboard_json_matches_the_page_and_follows_the_clock(client, auth, make_account, calendar, clock):
    make_account("op", role="operator")
    auth.login("op")
    data = client.get("/operator/dashboard.json").get_json()
    assert [p["id"] for p in data["timeline"]["phases"] if p["current"]] == ["collection"]
    clock.set(clock.now() + timedelta(days=16))
    data = client.get("/operator/dashboard.json").get_json()
    assert [p["id"] for p in data["timeline"]["phases"] if p["current"]] == ["verification"]
    assert {"jobs", "counts", "rate", "connectors", "incidents", "audit"} <= set(data)


def test_retrying_a_stuck_application_asks_the_sources_again(client, auth, make_account, draft_application,
                                                             engine, clock):
    _, application = draft_application
    with write_session(engine) as session:
        row = session.get(Application, application.id)
        row.state, row.updated_at = "facts_pending", clock.now() - timedelta(hours=3)
        session.add(row)
    make_account("op", role="operator")
    auth.login("op")
    assert 'data-testid="stuck-%d"' % application.id in client.get("/operator/").get_data(as_text=True)
    response = client.post(f"/operator/incidents/applications/{application.id}/retry", data={"csrf_token": auth.csrf()})
    assert response.status_code == 302
    with read_session(engine) as session:
        assert session.get(Application, application.id).state == "draft"  # no source failed this time


def test_retry_without_the_csrf_token_is_refused(client, auth, make_account, draft_application):
    _, application = draft_application
    make_account("op", role="operator")
    auth.login("op")
    assert client.post(f"/operator/incidents/applications/{application.id}/retry").status_code == 400


def test_a_failed_job_is_shown_and_its_retry_runs_it_once(client, auth, make_account, calendar, engine, clock):
    run_due(engine, clock, runner="s1")  # the season is in collection
    clock.set(clock.now() + timedelta(days=16))  # collection has closed, but its job failed
    with write_session(engine) as session:
        boundary = session.exec(select(SeasonBoundary).where(SeasonBoundary.phase_id == "collection",
                                                             SeasonBoundary.kind == "phase_end")).one()
        session.add(JobRun(season_id=calendar.id, job_id=boundary.job_id, runner="s1", season_time=clock.now(),
                           outcome="failed", detail="OperationalError: database is locked"))
    make_account("op", role="operator")
    auth.login("op")
    assert f'data-testid="retry-job-{boundary.job_id}"' in client.get("/operator/").get_data(as_text=True)
    client.post(f"/operator/incidents/jobs/{boundary.job_id}/retry", data={"csrf_token": auth.csrf()})
    with read_session(engine) as session:
        runs = session.exec(select(JobRun).where(JobRun.job_id == boundary.job_id).order_by(JobRun.id)).all()
        closed = session.exec(select(Event).where(Event.action.contains("phase"))).all()
    assert runs[-1].outcome != "failed" and runs[-1].runner == "operator:op"
    assert closed  # the season moved, audited
    assert f'data-testid="retry-job-{boundary.job_id}"' not in client.get("/operator/").get_data(as_text=True)


@pytest.mark.parametrize("job", ["season-2021-collection-end", "season-2021-collection-start"])
def test_retrying_a_job_that_has_not_failed_is_refused_and_moves_nothing(client, auth, make_account, calendar,
                                                                        engine, clock, job):
    """Collection's end is not due yet; its start ran and did not fail: neither may be run by hand."""
    run_due(engine, clock, runner="s1")  # the season is in collection
    with read_session(engine) as session:
        phase, runs = session.get(Season, calendar.id).phase, len(session.exec(select(JobRun)).all())
        closed = len(session.exec(select(Event).where(Event.action == "phase_closed")).all())
    make_account("op", role="operator")
    auth.login("op")
    response = client.post(f"/operator/incidents/jobs/{job}/retry", data={"csrf_token": auth.csrf()},
                           follow_redirects=True)
    assert "没有失败，无需重试" in response.get_data(as_text=True)
    with read_session(engine) as session:
        assert session.get(Season, calendar.id).phase == phase == "collection"
        assert len(session.exec(select(JobRun)).all()) == runs
        assert len(session.exec(select(Event).where(Event.action == "phase_closed")).all()) == closed


def test_audit_page_verifies_the_chain(client, auth, make_account, season):
    make_account("op", role="operator")
    auth.login("op")
    assert 'data-testid="chain-ok"' in client.get("/operator/audit?verify=1").get_data(as_text=True)
    assert 'data-testid="chain-ok"' not in client.get("/operator/audit").get_data(as_text=True)


def _audit_actions(client, query: str = "") -> dict[str, str]:
    """Each action on the audit page by its code, as the page words it (tags dropped)."""
    page = client.get("/operator/audit" + query).get_data(as_text=True)
    cells = re.findall(r'data-testid="audit-action" data-value="([^"]+)">(.*?)</td>', page, re.S)
    return {action: re.sub(r"<[^>]+>", "", words) for action, words in cells}


def _audit_subjects(client, query: str = "") -> list[str]:
    """Each event's subject on the audit page, as the page words it (tags dropped)."""
    page = client.get("/operator/audit" + query).get_data(as_text=True)
    return [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r'data-testid="audit-subject">(.*?)</td>', page)]


def test_staff_pages_show_the_year_of_each_time(client, auth, make_account, engine, season):
    """Next year's drafts sit beside this year's season and audit events span years: a time on a
    staff page says its year ("2021-01-01 04:00", not "01-01 04:00")."""
    from core.audit import append_event
    from core.clock import parse_instant
    from core.models import RulesetVersion

    new_year = parse_instant("2020-12-31T20:00:00+00:00")  # New Year's Day in Nanchang
    with write_session(engine) as session:
        version = session.exec(select(RulesetVersion)).one()
        version.created_at = new_year
        session.add(version)
        append_event(session, actor="city", actor_role="city_admin", subject_type="account", subject_id=9,
                     action="account_created", at=new_year)
    make_account("city", role="city_admin")
    auth.login("city")
    versions = client.get("/admin/").get_data(as_text=True)
    assert "<td>2021-01-01 04:00</td>" in versions
    audit = client.get("/operator/audit").get_data(as_text=True)
    assert re.search(r'data-testid="event-\d+"><td>\d+</td><td>2021-01-01 04:00</td>', audit)


def test_audit_page_shows_one_subjects_history_or_one_kind_of_subject(client, auth, make_account, calendar,
                                                                      engine, clock):
    run_due(engine, clock, runner="s1")
    make_account("op", role="operator")
    auth.login("op")
    assert set(_audit_subjects(client, "?subject_type=season")) == {"年度 2021"}
    assert _audit_subjects(client, "?subject_type=account&subject_id=1") == ["账号 1"]
    assert client.get("/operator/audit?subject_type=bogus").status_code == 422


def test_audit_page_words_an_applications_actions_and_states_by_its_workflow(client, auth, make_account, engine,
                                                                            submitted, now):
    from core.audit import append_event

    with write_session(engine) as session:  # as core.documents writes it
        append_event(session, actor="li-father", actor_role="guardian", subject_type="application",
                     subject_id=submitted.id, action="document_uploaded", data={"kind": "hukou_booklet"}, at=now)
    make_account("op", role="operator")
    auth.login("op")
    actions = _audit_actions(client)
    assert actions["submit"] == "已提交 填报中 → 已提交，待审核"  # what happened, not the button
    assert actions["document_uploaded"] == "上传材料" and actions["application_started"] == "开始填报  → 填报中"
    english = _audit_actions(client, "?lang=en")
    assert english["submit"] == "Submitted Draft → Submitted, awaiting review"
    assert "填报中" not in actions["ruleset_activated"]  # a ruleset's draft is not an application's


def _renamed_2021(version: str) -> dict:
    """The 2021 ruleset as a later version that renames the submitted state and the submit step."""
    from core.paths import ruleset_path

    document = json.loads(ruleset_path(2021).read_text())
    document["meta"]["version"] = version
    for item in document["workflow"]["states"] + document["workflow"]["transitions"]:
        if item["id"] in ("submitted", "submit"):
            for key in ("label", "history_label"):  # the history wording, where the step has its own
                if key in item:
                    item[key] = {"zh": f"{item[key]['zh']}（{version}）", "en": f"{item[key]['en']} ({version})"}
    return document


def test_audit_page_words_each_application_event_by_the_ruleset_it_was_recorded_under(
        client, auth, make_account, engine, season, catchments, now):
    """An application submitted under 1.0.0 keeps 1.0.0's words after 1.1.0 renames the step and the
    state; one submitted under 1.1.0 reads 1.1.0's; an event under a version no longer stored
    shows its codes."""
    from core.audit import append_event
    from core.rulesets import activate_ruleset, store_ruleset
    from core.workflow import Actor
    from tests.web.conftest import submit_family

    earlier = submit_family(engine, season, now, "li-father")
    with write_session(engine) as session:
        current = session.get(Season, season.id)
        version = store_ruleset(session, current, _renamed_2021("1.1.0"), Actor("city", "city_admin"))
        activate_ruleset(session, current, version.sha256, Actor("city", "city_admin"))
    with read_session(engine) as session:
        current = session.get(Season, season.id)
    later = submit_family(engine, current, now, "wang-father", pupil_sequence="0027")
    with write_session(engine) as session:
        append_event(session, actor="reviewer", actor_role="reviewer", subject_type="application",
                     subject_id=earlier.id, action="return_for_materials", from_state="submitted",
                     to_state="returned", data={"ruleset_sha256": "0" * 64}, at=now)
    make_account("op", role="operator")
    auth.login("op")
    before = _audit_actions(client, f"?subject_type=application&subject_id={earlier.id}")
    after = _audit_actions(client, f"?subject_type=application&subject_id={later.id}")
    assert before["submit"] == "已提交 填报中 → 已提交，待审核"
    assert after["submit"] == "已提交（1.1.0） 填报中 → 已提交，待审核（1.1.0）"
    assert before["return_for_materials"] == "return_for_materials submitted → returned"
    assert before["application_started"] == "开始填报  → 填报中"
    latest = {e["subject_id"]: e for e in client.get("/operator/dashboard.json").get_json()["audit"]
              if e["action"] == "submit"}  # what operator.js redraws, worded alike
    assert latest[str(earlier.id)]["words"]["to"]["zh"] == "已提交，待审核"
    assert latest[str(later.id)]["words"]["to"]["zh"] == "已提交，待审核（1.1.0）"


def test_audit_page_words_the_seasons_rulesets_and_accounts_events(client, auth, make_account, calendar, engine,
                                                                   clock):
    """Not only applications: the season's phases and windows, rulesets and accounts in words too."""
    run_due(engine, clock, runner="s1")  # preparation opens and closes, the first district window opens
    make_account("op", role="operator")
    auth.login("op")
    actions = _audit_actions(client)
    assert actions["phase_closed"] == "阶段结束 信息采集准备，确定直升及政策优待名单 → 信息采集准备，确定直升及政策优待名单（已结束）"
    assert actions["window_opened"].startswith("首次登录时段开放  → ") and "W1" not in actions["window_opened"]
    assert actions["ruleset_activated"] == "启用规则集 草稿 → 已启用" and actions["account_created"] == "创建账号"
    subjects = _audit_subjects(client)
    assert {"年度 2021", "账号 1", "规则集 nanchang-2021 1.0.0"} <= set(subjects)
    latest = client.get("/operator/dashboard.json").get_json()["audit"]  # what operator.js redraws
    assert {e["words"]["action"]["zh"] for e in latest} >= {"创建账号", "首次登录时段开放"}
    english = _audit_actions(client, "?lang=en")
    assert english["ruleset_stored"] == "ruleset version stored  → draft"


def test_connector_health_shows_an_open_breaker_of_this_worker(app, client, auth, make_account, season,
                                                               plugin_manager):
    from core.connectors.runtime import ConnectorRuntime, Policy

    runtime = ConnectorRuntime(plugin_manager, default=Policy(failure_threshold=2, reset_after=600))
    for _ in range(2):
        runtime.breaker("hukou").record_failure()
    app.config["CONNECTOR_RUNTIME"] = runtime
    make_account("op", role="operator")
    auth.login("op")
    health = {c["source"]: c for c in client.get("/operator/dashboard.json").get_json()["connectors"]}
    assert health["hukou"]["breaker"] == "open" and health["properties"]["breaker"] == "closed"


def test_connector_health_shows_each_plugin_of_a_source_in_chinese_first(client, auth, make_account, season, engine,
                                                                         clock):
    with write_session(engine) as session:
        for i, (plugin, outcome) in enumerate([("acme_hukou", "failed")] * 3 + [("acme_hukou", "ok"), (None, "failed")]):
            session.add(ConnectorCall(source="hukou", plugin=plugin, started_at=clock.now() - timedelta(seconds=i),
                                      latency_ms=20.0, outcome=outcome))
    make_account("op", role="operator")
    auth.login("op")
    body = client.get("/operator/").get_data(as_text=True)
    assert "数据源 / 插件" in body
    vendor = re.search(r'data-testid="connector-hukou-plugin-acme_hukou"><td>└ acme_hukou</td><td>4</td><td>75.0%</td>',
                       body)
    nobody = re.search(r'data-testid="connector-hukou-plugin-"><td>└ 无插件作答（熔断拒绝或无人作答）</td><td>1</td><td>100.0%', body)
    assert vendor and nobody and vendor.start() < nobody.start()
    english = client.get("/operator/?lang=en").get_data(as_text=True)
    assert "Source / plugin" in english and "└ none (breaker open, or no plugin answered)" in english


def test_dashboard_speaks_english_on_request(client, auth, make_account, calendar):
    make_account("op", role="operator")
    auth.login("op")
    body = client.get("/operator/?lang=en").get_data(as_text=True)
    assert "Season dashboard" in body and "Scheduler jobs" in body and "赛季运行看板" not in body


def _badges(body: str) -> set[tuple[str, str, str]]:
    """Every state badge of the page: (kind of state, code, the words shown)."""
    return set(re.findall(r'data-term="(\w+)" data-value="(\w+)">([^<]*)<', body))


def test_phases_windows_jobs_and_breakers_are_named_in_words_not_codes(client, auth, make_account, calendar,
                                                                        engine, clock):
    run_due(engine, clock, runner="s1")  # preparation closed, collection open, the first windows open
    make_account("op", role="operator")
    auth.login("op")
    shown = _badges(client.get("/operator/").get_data(as_text=True))
    assert {("phase_state", "closed", "已结束"), ("phase_state", "open", "进行中"), ("phase_state", "pending", "未开始"),
            ("window_state", "open", "已开放"), ("window_state", "pending", "未开放"),
            ("job_state", "done", "已完成"), ("job_state", "pending", "待执行")} <= shown
    assert not [words for _, code, words in shown if words == code]  # no code is left as it is
    assert ("phase_state", "closed", "closed") in _badges(client.get("/operator/?lang=en").get_data(as_text=True))


def test_dashboard_json_carries_the_words_the_script_redraws_states_with(client, auth, make_account, calendar):
    make_account("op", role="operator")
    auth.login("op")
    terms = client.get("/operator/dashboard.json").get_json()["terms"]
    assert terms["job_outcome"]["failed"] == {"zh": "失败", "en": "failed"}
    assert terms["breaker"]["open"]["zh"] == "已熔断" and set(terms) >= {"phase_state", "window_state", "job_state"}


def test_dashboard_warns_in_chinese_when_the_scheduler_stopped_beating(client, auth, make_account, calendar, engine,
                                                                      clock):
    from core.season.heartbeat import record_heartbeat
    from core.season.models import SchedulerHeartbeat
    from core.types import utcnow

    make_account("op", role="operator")
    auth.login("op")
    record_heartbeat(engine, clock, started_at=utcnow(), interval_seconds=10, host="sched-host", pid=321)
    body = client.get("/operator/").get_data(as_text=True)
    assert 'data-testid="scheduler-heartbeat" data-stale="false"' in body and "sched-host · 进程 321" in body
    assert re.search(r'data-testid="scheduler-warning" role="alert" hidden>\s*</p>', body)
    with write_session(engine) as session:  # the process died five minutes ago (wall clock)
        session.get(SchedulerHeartbeat, "sched-host").seen_at = utcnow() - timedelta(minutes=5)
    body = client.get("/operator/").get_data(as_text=True)
    assert 'data-stale="true"' in body and "调度进程已 5 分钟未上报心跳（最后一次来自 sched-host，进程 321）" in body
    data = client.get("/operator/dashboard.json").get_json()
    assert data["scheduler"]["stale"] and data["scheduler"]["warning"]["en"].startswith("The scheduler has not reported")


def test_dashboard_json_carries_the_active_rulesets_clause_words_the_script_redraws_phases_with(
        client, auth, make_account, calendar):
    """operator.js redraws the timeline from this JSON: without the words, "§4.2" came back on
    the first refresh. The phases keep their ids."""
    make_account("op", role="operator")
    auth.login("op")
    data = client.get("/operator/dashboard.json").get_json()
    collection = next(p for p in data["timeline"]["phases"] if p["id"] == "collection")
    assert collection["clause"] == "§4.2" and data["clauses"]["§4.2"] == {"zh": "第四部分第2项", "en": "part 4, item 2"}
