"""The services check the calendar themselves (§2.2, §4.3): no scheduler needed to refuse."""
from __future__ import annotations

import pytest

from core.applications import record_facts, start_application, submit_application
from core.db import read_session, write_session
from core.models import Application
from core.season.calendar import CollectionClosed, WindowNotOpen
from tests.season.conftest import at


def _draft(engine, season, guardian, id_number, district, now, **kwargs):
    with write_session(engine) as session:
        application = start_application(session, season=season, guardian=guardian, pupil_id_number=id_number(),
                                        pupil_name="李四", district=district, now=now, **kwargs)
        record_facts(session, application, source="sandbox", payload={"pupil": {}, "guardians": []}, fetched_at=now)
    return application


def test_submission_at_16_59_59_is_accepted_by_the_service(engine, draft_application):
    guardian, application = draft_application
    outcome = submit_application(engine, application.id, account=guardian, now=at("2021-06-16T16:59:59"))
    assert outcome.state == "submitted" and outcome.serial


def test_submission_at_17_00_00_is_refused_and_nothing_changes(engine, draft_application):
    guardian, application = draft_application
    with pytest.raises(CollectionClosed) as refused:
        submit_application(engine, application.id, account=guardian, now=at("2021-06-16T17:00:00"))
    assert "信息采集已于6月16日 17:00截止" in refused.value.zh
    with read_session(engine) as session:
        stored = session.get(Application, application.id)
    assert stored.state == "draft" and stored.serial is None


def test_honggutan_guardian_cannot_start_a_draft_on_2_june_morning(engine, season, make_account, id_number):
    guardian = make_account("honggutan-family")
    with pytest.raises(WindowNotOpen):
        _draft(engine, season, guardian, id_number, "红谷滩区", at("2021-06-02T13:59:00"))
    assert _draft(engine, season, guardian, id_number, "红谷滩区", at("2021-06-02T14:00:00")).state == "draft"


def test_group_member_school_in_donghu_waits_for_the_group_window(engine, season, make_account, id_number):
    guardian = make_account("nanshi-family")
    with pytest.raises(WindowNotOpen):
        _draft(engine, season, guardian, id_number, "东湖区", at("2021-06-01T10:00:00"), school_group="南师附小集团成员校")
