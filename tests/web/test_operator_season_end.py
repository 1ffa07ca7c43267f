"""What operators and reviewers see at the end of the season: deadlines past and not run marked
overdue by the season clock, submitted applications nobody decided before review ends, until
when decisions can be made, and a failed phase action in Chinese first."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

import pytest

from core.clock import parse_instant
from core.db import write_session
from core.season.boundaries import materialise, run_due
from core.season.models import JobRun


@pytest.fixture
def calendar(engine, season):
    """The 2021 calendar as phase, window and boundary rows."""
    with write_session(engine) as session:
        materialise(session, session.merge(season))
    return season


def _at(text: str) -> datetime:
    return parse_instant(f"{text}+08:00")


def test_deadlines_past_due_and_not_run_are_marked_overdue_by_the_season_clock(client, auth, make_account, calendar,
                                                                               engine, clock):
    run_due(engine, clock, runner="s1")  # 1 June 10:00: collection open; then no scheduler runs
    clock.set(_at("2021-06-16T17:30:00"))
    make_account("op", role="operator")
    auth.login("op")
    data = client.get("/operator/dashboard.json").get_json()
    phases = {p["id"]: p for p in data["timeline"]["phases"]}
    assert phases["collection"]["state"] == "open" and phases["collection"]["overdue"]
    assert not phases["verification"]["overdue"] and not phases["preparation"]["overdue"]
    assert all(w["overdue"] for w in data["timeline"]["windows"] if w["state"] == "pending")
    assert "season-2021-collection-end" in [j["job_id"] for j in data["incidents"]["overdue_jobs"]]
    body = client.get("/operator/").get_data(as_text=True)
    assert 'data-testid="overdue-collection">逾期未执行<' in body
    assert 'data-testid="overdue-job-season-2021-collection-end"' in body
    assert 'data-term="job_state" data-value="overdue">逾期未执行<' in body
    clock.set(_at("2021-06-16T16:59:00"))  # before its time the close of collection is not overdue
    overdue = client.get("/operator/dashboard.json").get_json()["incidents"]["overdue_jobs"]
    assert overdue and "season-2021-collection-end" not in [j["job_id"] for j in overdue]


def test_undecided_applications_are_incidents_from_a_day_before_review_ends(client, auth, make_account, calendar,
                                                                           submitted, clock):
    make_account("op", role="operator")
    auth.login("op")
    assert client.get("/operator/dashboard.json").get_json()["incidents"]["undecided"] is None  # 1 June
    clock.set(_at("2021-06-21T00:00:00"))
    undecided = client.get("/operator/dashboard.json").get_json()["incidents"]["undecided"]
    assert undecided["districts"] == [{"district": "东湖区", "states": {"submitted": 1}, "total": 1}]
    assert not undecided["passed"] and undecided["deadline_text"]["zh"] == "6月22日 00:00"
    clock.set(_at("2021-06-28T09:00:00"))
    body = client.get("/operator/").get_data(as_text=True)
    assert "审核已于6月22日 00:00截止，以下申请未作决定，分配时将没有学位" in body
    assert f'href="/review/?state=submitted&amp;district={quote("东湖区")}"' in body
    assert 'data-testid="undecided-东湖区-submitted">已提交，待审核 1</a>' in body


def test_reviewers_read_until_when_they_can_decide(client, auth, make_account, calendar, submitted, clock):
    make_account("rev", role="reviewer", district="东湖区")
    auth.login("rev")
    for path in ("/review/", f"/review/applications/{submitted.id}"):
        assert "审核决定（通过、退回补充材料、不符合条件）须在6月22日 00:00前作出" in client.get(path).get_data(as_text=True)
    clock.set(_at("2021-06-22T00:00:00"))
    assert 'data-passed="true">审核已于6月22日 00:00截止' in client.get("/review/").get_data(as_text=True)


def test_a_failed_job_reads_failed_with_its_reason_in_chinese_first(client, auth, make_account, calendar, engine,
                                                                    clock):
    clock.set(_at("2021-06-25T00:10:00"))
    with write_session(engine) as session:
        session.add(JobRun(season_id=calendar.id, job_id="season-2021-preparation-start", runner="s1",
                           season_time=clock.now(), outcome="failed", detail="season 2021: reveal the seed first",
                           detail_zh="2021年度随机派位种子尚未公开"))
    make_account("op", role="operator")
    auth.login("op")
    body = client.get("/operator/").get_data(as_text=True)
    assert 'data-term="job_state" data-value="failed">阶段操作失败<' in body
    assert "2021-06-25 00:10 · 2021年度随机派位种子尚未公开" in body
    assert "· season 2021: reveal the seed first" in client.get("/operator/?lang=en").get_data(as_text=True)
