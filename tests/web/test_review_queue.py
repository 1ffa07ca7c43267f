"""Reviewers: the district queue, the full application, decisions with reasons the guardian reads."""
from __future__ import annotations

import re

import pytest

from tests.web.conftest import submit_family


@pytest.fixture
def reviewer(client, auth, make_account, submitted):
    make_account("rev-donghu", role="reviewer", district="东湖区")
    auth.login("rev-donghu")
    return auth


def test_queue_lists_own_district_submissions_with_their_tier(client, reviewer, submitted):
    body = client.get("/review/").get_data(as_text=True)
    assert f'data-application-id="{submitted.id}"' in body
    assert 'data-testid="queue-tier" data-value="1"' in body


def test_queue_never_shows_another_district_even_when_asked(client, auth, make_account, submitted):
    make_account("rev-xihu", role="reviewer", district="西湖区")
    auth.login("rev-xihu")
    body = client.get("/review/?district=东湖区").get_data(as_text=True)
    assert 'data-testid="queue-row"' not in body


def test_reviewer_of_another_district_cannot_open_the_application(client, auth, make_account, submitted):
    make_account("rev-xihu", role="reviewer", district="西湖区")
    auth.login("rev-xihu")
    assert client.get(f"/review/applications/{submitted.id}").status_code == 403


def test_queue_filters_by_problem(client, reviewer, engine, season, now):
    resubmitted_only = client.get("/review/?problem=resubmitted").get_data(as_text=True)
    assert 'data-testid="queue-row"' not in resubmitted_only


def test_application_page_shows_each_source_with_its_fetch_time_and_the_tier_explanation(client, reviewer, submitted):
    body = client.get(f"/review/applications/{submitted.id}").get_data(as_text=True)
    assert body.count('data-testid="fact-record"') == 9
    assert 'data-source="properties"' in body and "获取于" in body
    assert 'data-testid="tier" data-value="1"' in body and 'data-testid="trace"' in body


def test_return_for_materials_needs_a_reason(client, reviewer, submitted):
    page = client.get(f"/review/applications/{submitted.id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    client.post(f"/review/applications/{submitted.id}/decision", data={
        "decision": "return_for_materials", "reason": "", "version": version, "csrf_token": reviewer.csrf()})
    assert 'data-value="submitted"' in client.get(f"/review/applications/{submitted.id}").get_data(as_text=True)


def test_returned_with_a_reason_the_guardian_reads_and_answers(app, client, reviewer, submitted):
    page = client.get(f"/review/applications/{submitted.id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    client.post(f"/review/applications/{submitted.id}/decision", data={
        "decision": "return_for_materials", "reason": "请上传户口簿首页", "version": version,
        "csrf_token": reviewer.csrf()})
    history = client.get(f"/review/applications/{submitted.id}").get_data(as_text=True)
    assert 'data-action="return_for_materials"' in history and "rev-donghu" in history

    from tests.web.conftest import AuthActions

    family = app.test_client()
    guardian = AuthActions(family)
    guardian.login("li-father")
    status = family.get(f"/guardian/applications/{submitted.id}").get_data(as_text=True)
    assert "请上传户口簿首页" in status and 'data-value="returned"' in status
    family.post(f"/guardian/applications/{submitted.id}/supply", data={"csrf_token": guardian.csrf()})
    assert 'data-value="submitted"' in family.get(f"/guardian/applications/{submitted.id}").get_data(as_text=True)
    resubmitted = client.get("/review/?problem=resubmitted").get_data(as_text=True)
    assert f'data-application-id="{submitted.id}"' in resubmitted


def test_approve_is_audited(client, reviewer, submitted, engine):
    from core.audit import verify_chain
    from core.db import read_session

    page = client.get(f"/review/applications/{submitted.id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    client.post(f"/review/applications/{submitted.id}/decision", data={
        "decision": "approve", "version": version, "csrf_token": reviewer.csrf()})
    page = client.get(f"/review/applications/{submitted.id}").get_data(as_text=True)
    assert 'data-value="approved"' in page and 'data-action="approve"' in page
    with read_session(engine) as session:
        assert verify_chain(session) is None


def test_city_admin_sees_every_district_and_may_filter(client, auth, make_account, engine, season, now, submitted):
    submit_family(engine, season, now, "xihu-parent", district="经开区", pupil_sequence="0031")
    make_account("city", role="city_admin")
    auth.login("city")
    assert client.get("/review/").get_data(as_text=True).count('data-testid="queue-row"') == 2
    assert client.get("/review/?district=经开区").get_data(as_text=True).count('data-testid="queue-row"') == 1
