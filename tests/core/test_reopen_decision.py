"""Taking a decision back (the workflow's `reopen`, rulesets/2021.json): a mis-click on the
wrong row is not final, but only administrators may undo it, in their reach, with a reason,
while review is open, and the audit log keeps who did and why."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from core.applications import submit_application
from core.db import read_session
from core.errors import Forbidden
from core.models import Application, Event
from core.review import decide, reopen
from core.season.calendar import CollectionClosed, calendar_for
from core.workflow import NotPermitted, ReasonRequired


@pytest.fixture
def decided(engine, draft_application, make_account, now):
    """An application a reviewer of 东湖区 approved."""
    guardian, application = draft_application
    submit_application(engine, application.id, account=guardian, now=now)
    decide(engine, application.id, "approve", account=make_account("rev-donghu", role="reviewer", district="东湖区"),
           now=now)
    return application


def _state(engine, application_id):
    with read_session(engine) as session:
        return session.get(Application, application_id).state


def test_a_district_administrator_sends_an_approved_application_back_for_review_and_it_is_audited(
        engine, decided, make_account, now):
    admin = make_account("admin-donghu", role="district_admin", district="东湖区")
    reopen(engine, decided.id, account=admin, now=now, reason="误点了其他申请的通过")
    assert _state(engine, decided.id) == "submitted"
    with read_session(engine) as session:
        event = session.exec(select(Event).where(Event.subject_id == str(decided.id)).order_by(Event.id.desc())).first()
    assert (event.action, event.actor, event.from_state, event.to_state, event.reason) == (
        "reopen", "admin-donghu", "approved", "submitted", "误点了其他申请的通过")


def test_the_city_administrator_reopens_a_rejection_in_any_district(engine, draft_application, make_account, now):
    guardian, application = draft_application
    submit_application(engine, application.id, account=guardian, now=now)
    decide(engine, application.id, "reject", account=make_account("rev-donghu", role="reviewer", district="东湖区"),
           now=now, reason="学籍不在城区")
    reopen(engine, application.id, account=make_account("city", role="city_admin"), now=now, reason="学籍核对有误")
    assert _state(engine, application.id) == "submitted"


@pytest.mark.parametrize("role, district, refusal", [
    ("reviewer", "东湖区", NotPermitted),  # the workflow's `by`: administrators only
    ("district_admin", "西湖区", Forbidden),  # reach: their own district only
])
def test_only_an_administrator_in_reach_takes_a_decision_back(engine, decided, make_account, now, role, district,
                                                              refusal):
    with pytest.raises(refusal):
        reopen(engine, decided.id, account=make_account("someone", role=role, district=district), now=now,
               reason="误点")
    assert _state(engine, decided.id) == "approved"


def test_taking_a_decision_back_needs_a_reason(engine, decided, make_account, now):
    admin = make_account("admin-donghu", role="district_admin", district="东湖区")
    with pytest.raises(ReasonRequired):
        reopen(engine, decided.id, account=admin, now=now, reason="  ")
    assert _state(engine, decided.id) == "approved"


def test_a_decision_cannot_be_taken_back_once_review_has_closed(engine, season, decided, make_account, now):
    from core.models import Season

    with read_session(engine) as session:
        after = calendar_for(session, session.get(Season, season.id)).phase("verification").end + timedelta(minutes=1)
    admin = make_account("admin-donghu", role="district_admin", district="东湖区")
    with pytest.raises(CollectionClosed) as refused:
        reopen(engine, decided.id, account=admin, now=after, reason="误点")
    assert "已于" in refused.value.zh and "截止" in refused.value.zh
    assert _state(engine, decided.id) == "approved"
