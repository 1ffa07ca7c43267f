"""The staff application page: the seat a family was given, taking a decision back, messages
that say what happened, and the tier explanation in words with each fact's true source."""
from __future__ import annotations

import re

import pytest

from tests.web.conftest import AuthActions, csrf_from, submit_family


@pytest.fixture
def approved(engine, submitted, make_account, now):
    from core.review import decide

    decide(engine, submitted.id, "approve", account=make_account("rev-donghu", role="reviewer", district="东湖区"),
           now=now)
    return submitted


def _page(client, application, query: str = "") -> str:
    return client.get(f"/review/applications/{application.id}{query}").get_data(as_text=True)


def _login(app, make_account, username, role, district=None):
    make_account(username, role=role, district=district)
    client = app.test_client()
    AuthActions(client).login(username)
    return client


@pytest.mark.parametrize("role, district", [("reviewer", "东湖区"), ("city_admin", None)])
def test_staff_see_the_pre_allocated_school_the_stored_reason_and_the_run(app, engine, season, approved, now,
                                                                         make_account, role, district):
    """Parents call the district about their seat: staff read what the family reads, and which run."""
    from core.allocation.store import allocate_season, commit_seed, reveal_seed, seat_of_application
    from core.db import read_session
    from core.season.actions import classify_approved

    classify_approved(engine, season.id, now, lambda: None)
    seed, _ = commit_seed(engine, season.year)
    reveal_seed(engine, season.year, seed)
    allocate_season(engine, season.id, now)
    with read_session(engine) as session:
        seat = seat_of_application(session, approved.id)
    body = _page(_login(app, make_account, f"staff-{role}", role, district), approved)
    section = body[body.index('data-testid="seat"'):body.index('id="assessment"')]
    assert 'data-testid="seat-school" data-value="dh-yuzhang">' in section
    assert f'data-testid="seat-why">{seat["why"]["zh"]}<' in section  # as stored, clause ids and all
    assert f'data-run="{seat["run"]}"' in section and f'第{seat["run"]}次分配' in section


def test_no_seat_section_before_allocation(app, approved, make_account):
    body = _page(_login(app, make_account, "rev-2", "reviewer", "东湖区"), approved)
    assert 'data-testid="seat"' not in body


def test_a_district_administrator_takes_a_decision_back_from_the_page(app, engine, approved, make_account):
    from core.db import read_session
    from core.models import Application

    client = _login(app, make_account, "admin-donghu", "district_admin", "东湖区")
    body = _page(client, approved)
    assert 'data-testid="reopen-form"' in body and "撤销审核决定，重新审核" in body
    version = re.search(r'data-testid="reopen-form">.*?name="version" value="(\d+)"', body, re.S).group(1)
    response = client.post(f"/review/applications/{approved.id}/reopen", follow_redirects=True,
                           data={"reason": "误点了其他申请", "version": version, "csrf_token": csrf_from(client, "/me")})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "已撤销审核决定，该申请重新进入审核" in page
    assert 'data-testid="event" data-action="reopen"' in page and "误点了其他申请" in page
    with read_session(engine) as session:
        assert session.get(Application, approved.id).state == "submitted"


def test_reviewers_are_not_offered_to_take_a_decision_back(app, approved, make_account):
    client = _login(app, make_account, "rev-2", "reviewer", "东湖区")
    assert 'data-testid="reopen-form"' not in _page(client, approved)
    response = client.post(f"/review/applications/{approved.id}/reopen",
                           data={"reason": "x", "version": "9", "csrf_token": csrf_from(client, "/me")})
    assert response.status_code == 403


def test_taking_a_decision_back_without_a_reason_keeps_the_page_and_says_why(app, approved, make_account):
    client = _login(app, make_account, "city", "city_admin")
    body = _page(client, approved)
    version = re.search(r'data-testid="reopen-form">.*?name="version" value="(\d+)"', body, re.S).group(1)
    response = client.post(f"/review/applications/{approved.id}/reopen",
                           data={"reason": " ", "version": version, "csrf_token": csrf_from(client, "/me")})
    assert response.status_code == 422 and "请填写原因" in response.get_data(as_text=True)


def test_the_decision_flash_names_the_serial_and_the_decision(app, engine, submitted, make_account):
    from core.db import read_session
    from core.models import Application

    client = _login(app, make_account, "rev-2", "reviewer", "东湖区")
    body = _page(client, submitted)
    version = re.search(r'id="decision-form".*?name="version" value="(\d+)"', body, re.S).group(1)
    response = client.post(f"/review/applications/{submitted.id}/decision", follow_redirects=True,
                           data={"decision": "return_for_materials", "reason": "请上传户口簿", "version": version,
                                 "csrf_token": csrf_from(client, "/me")})
    with read_session(engine) as session:
        serial = session.get(Application, submitted.id).serial
    assert f"已记录审核决定：{serial}「退回补充材料」" in response.get_data(as_text=True)


def test_a_stale_tab_is_told_who_moved_the_application_and_when(app, engine, submitted, make_account, now):
    from core.review import decide

    client = _login(app, make_account, "rev-2", "reviewer", "东湖区")
    body = _page(client, submitted)
    version = re.search(r'id="decision-form".*?name="version" value="(\d+)"', body, re.S).group(1)
    decide(engine, submitted.id, "return_for_materials", reason="请上传户口簿", now=now,
           account=make_account("rev-colleague", role="reviewer", district="东湖区"))  # a colleague, meanwhile
    response = client.post(f"/review/applications/{submitted.id}/decision",
                           data={"decision": "approve", "version": version, "csrf_token": csrf_from(client, "/me")})
    text = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "当前状态为「退回补充材料」，不能执行「审核通过」：rev-colleague已于6月1日 10:00执行「退回补充材料」" in text


def test_a_form_sent_after_logging_out_in_another_tab_asks_to_log_in_again(app, submitted, make_account):
    """The other tab, logged out, landed on the login page: the browser now holds a new anonymous
    session with a token of its own, which is not the form's."""
    client = _login(app, make_account, "rev-2", "reviewer", "东湖区")
    path = f"/review/applications/{submitted.id}"
    token = csrf_from(client, path)
    client.post("/logout", data={"csrf_token": token})
    csrf_from(client, "/login")  # the login page the other tab shows
    response = client.post(f"{path}/decision", data={"decision": "approve", "version": "1", "csrf_token": token},
                           headers={"Referer": f"http://localhost{path}"})
    assert response.status_code == 302 and response.headers["Location"] == f"/login?next={path}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "登录已过期或已在其他页面退出，请重新登录" in page and "请求来源不可信" not in page


def test_a_form_without_a_token_from_an_anonymous_session_is_still_refused_as_untrusted(app, submitted, make_account):
    client = app.test_client()
    csrf_from(client, "/login")
    response = client.post(f"/review/applications/{submitted.id}/decision", data={"decision": "approve"})
    assert response.status_code == 400 and "请求来源不可信" in response.get_data(as_text=True)


def test_the_household_head_reads_in_words_from_the_hukou_register(app, engine, season, catchments, now,
                                                                   make_account):
    application = submit_family(engine, season, now, "zhang-father", family="zhang_tier2")
    body = _page(_login(app, make_account, "rev-2", "reviewer", "东湖区"), application)
    step = body[body.index('data-kind="better" data-row="T1"'):]
    step = step[:step.index("</li>")]
    assert '<span data-testid="trace-fact" data-value="pupil.hukou.head_relation">学生 · 户主（与学生关系）</span>' in step
    assert "户籍 · 获取于" in step and "学籍" not in step
    pupil = body[body.index('data-key="pupil"'):body.index('data-key="guardians"')]
    assert "学籍 · 获取于" in pupil and '<span data-testid="field-source">户口：户籍 · 获取于' in pupil
