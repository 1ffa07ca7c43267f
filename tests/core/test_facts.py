"""Collecting facts (§3.1): a failing source parks the application, never loses it."""
from __future__ import annotations

import sys

import pytest
from sqlmodel import select

from core import testing
from core.applications import current_facts, submit_application
from core.canonical import sha256_hex
from core.db import read_session
from core.facts import collect_facts, retry_pending_facts
from core.hookspecs import hookimpl
from core.models import Application, ConnectorCall, FactRecord
from core.workflow import Actor

xuewei_plugins, xuewei_runtime = testing.xuewei_plugins, testing.xuewei_runtime  # the plugin kit's fixtures


def _pupil_record(pupil_id_number):
    return {"pupil": {"id_number": pupil_id_number, "name": "张小明", "birth_date": "2009-05-01",
                      "primary_school": {"name": "南昌市育新学校", "district": "东湖区",
                                         "in_urban_area": True, "province": "江西省"}},
            "guardians": []}


class EducationBureau:
    @hookimpl
    def fetch_pupil_record(self, pupil_id_number):
        return _pupil_record(pupil_id_number)


class BrokenPublicSecurity:
    @hookimpl
    def fetch_hukou(self, id_numbers):
        raise ConnectionError("gateway unreachable")


def _actor(guardian):
    return Actor(guardian.username, "guardian", guardian.id)


def _state(engine, application_id):
    with read_session(engine) as session:
        return session.get(Application, application_id).state


def test_failing_source_parks_the_application_in_facts_pending_and_keeps_what_arrived(
        engine, draft_application, now, xuewei_runtime):
    guardian, application = draft_application
    runtime = xuewei_runtime(EducationBureau(), BrokenPublicSecurity())
    collected = collect_facts(engine, application.id, actor=_actor(guardian), now=now, runtime=runtime)
    assert collected.state == "facts_pending" == _state(engine, application.id)
    assert "hukou" in collected.result.failed
    with read_session(engine) as session:
        records = {r.source: r for r in session.exec(select(FactRecord).where(FactRecord.application_id == application.id))}
        calls = {(c.source, c.outcome) for c in session.exec(select(ConnectorCall))}
        facts = current_facts(session, session.get(Application, application.id))
    assert records["pupil_record"].payload_digest == sha256_hex(records["pupil_record"].payload)
    assert ("hukou", "failed") in calls and ("pupil_record", "ok") in calls
    assert facts["pupil"]["name"] == "张小明"
    assert facts["pupil"]["primary_school"]["district"] == "东湖区"


def test_a_plugin_calling_sys_exit_parks_the_application_and_its_calls_name_the_plugins(
        engine, draft_application, now, xuewei_runtime):
    class ExitingPublicSecurity:
        @hookimpl
        def fetch_hukou(self, id_numbers):
            sys.exit("hukou client gave up")

    guardian, application = draft_application
    runtime = xuewei_runtime(EducationBureau(), ExitingPublicSecurity())
    collected = collect_facts(engine, application.id, actor=_actor(guardian), now=now, runtime=runtime,
                              sources=["pupil_record", "hukou", "leases"])
    assert collected.state == "facts_pending" and collected.result.failed == ("hukou",)
    with read_session(engine) as session:
        calls = {(c.source, c.outcome, c.plugin) for c in session.exec(select(ConnectorCall))}
    assert calls == {("pupil_record", "ok", "EducationBureau"), ("hukou", "failed", "ExitingPublicSecurity"),
                     ("leases", "ok", None)}  # no plugin serves leases


def test_the_pupils_name_is_taken_from_the_school_record_not_as_typed(engine, draft_application, now, xuewei_runtime):
    """The queue, the serial list and the graduates database (§5) carry the record's spelling."""
    from core.db import write_session

    guardian, application = draft_application
    with write_session(engine) as session:
        session.get(Application, application.id).pupil_name = "张晓明"  # a homophone typed at the start
    collect_facts(engine, application.id, actor=_actor(guardian), now=now, runtime=xuewei_runtime(EducationBureau()))
    with read_session(engine) as session:
        assert session.get(Application, application.id).pupil_name == "张小明"


def test_retry_brings_a_pending_application_back_to_draft_once_the_source_answers(
        engine, draft_application, now, xuewei_runtime):
    guardian, application = draft_application
    collect_facts(engine, application.id, actor=_actor(guardian), now=now,
                  runtime=xuewei_runtime(EducationBureau(), BrokenPublicSecurity()))
    retried = retry_pending_facts(engine, now=now, runtime=xuewei_runtime(EducationBureau()))
    assert [c.state for c in retried] == ["draft"]
    assert _state(engine, application.id) == "draft"


def test_submitted_application_refuses_new_facts(engine, draft_application, now, xuewei_runtime):
    import pytest

    from core.errors import InvalidInput

    guardian, application = draft_application
    submit_application(engine, application.id, account=guardian, now=now)
    with pytest.raises(InvalidInput):
        collect_facts(engine, application.id, actor=_actor(guardian), now=now, runtime=xuewei_runtime(EducationBureau()))


def test_another_family_cannot_collect_facts_for_an_application(engine, draft_application, make_account, now,
                                                                xuewei_runtime):
    from core.errors import NotFound

    _, application = draft_application
    stranger = make_account("stranger")
    with pytest.raises(NotFound):  # to a guardian, another family's application is one that does not exist
        collect_facts(engine, application.id, actor=_actor(stranger), now=now, runtime=xuewei_runtime(EducationBureau()))


def test_the_systems_retry_removes_the_draft_of_a_guardian_the_school_record_does_not_name(
        engine, draft_application, now, xuewei_runtime, id_number):
    """The check is about the application's guardian, whoever asks the sources: the system's own
    retry of an application parked while the school record was unavailable removes it too,
    stores nothing of the family, and goes on with the other applications."""
    from core.db import write_session
    from core.models import Account

    guardian, application = draft_application
    with write_session(engine) as session:
        account = session.get(Account, guardian.id)
        account.id_number = id_number(birth="19800101", sequence=31)  # not among the record's guardians
        session.add(account)
        session.get(Application, application.id).state = "facts_pending"
    assert retry_pending_facts(engine, now=now, runtime=xuewei_runtime(EducationBureau())) == []
    with read_session(engine) as session:
        assert session.get(Application, application.id) is None
        assert not session.exec(select(FactRecord).where(FactRecord.application_id == application.id)).all()
        assert {c.source for c in session.exec(select(ConnectorCall))} >= {"pupil_record"}


def test_a_double_click_on_fetch_by_someone_the_record_does_not_name_removes_the_draft_once(
        engine, draft_application, now, xuewei_runtime, id_number):
    """Both requests read the draft before either removed it (the school record answers the first
    only after the second has finished): the first finds it gone and says so, instead of failing
    half-way or storing its answers."""
    from core.db import write_session
    from core.facts import NotTheGuardian
    from core.models import Account, Event

    guardian, application = draft_application
    with write_session(engine) as session:
        session.get(Account, guardian.id).id_number = id_number(birth="19800101", sequence=31)

    class SlowBureau(EducationBureau):
        clicks = 0

        @hookimpl
        def fetch_pupil_record(self, pupil_id_number):
            SlowBureau.clicks += 1
            if SlowBureau.clicks == 1:  # the second click runs to the end meanwhile
                with pytest.raises(NotTheGuardian):
                    collect_facts(engine, application.id, actor=_actor(guardian), now=now, runtime=runtime)
            return _pupil_record(pupil_id_number)

    runtime = xuewei_runtime(SlowBureau())
    with pytest.raises(NotTheGuardian):
        collect_facts(engine, application.id, actor=_actor(guardian), now=now, runtime=runtime)
    with read_session(engine) as session:
        assert len(session.exec(select(Event).where(Event.action == "application_discarded")).all()) == 1
        assert session.get(Application, application.id) is None
        assert len(session.exec(select(ConnectorCall).where(ConnectorCall.source == "pupil_record")).all()) == 2
