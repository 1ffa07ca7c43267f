"""The workflow engine on a real database: role, guard, version check and event, together."""
from __future__ import annotations

import pytest
from sqlmodel import select

from core.applications import fire_transition, submit_application
from core.db import read_session, write_session
from core.models import Application, Event
from core.workflow import (Actor, FireContext, GuardFailed, IllegalTransition, NotPermitted, ReasonRequired,
                           StaleWrite, Workflow, fire)
from tests.conftest import MINIMAL_FACTS


def _row(engine, application_id):
    with read_session(engine) as session:
        return session.get(Application, application_id)


def _events(engine, application_id):
    with read_session(engine) as session:
        return session.exec(select(Event).where(Event.subject_type == "application",
                                                Event.subject_id == str(application_id)).order_by(Event.seq)).all()


def test_submit_moves_state_freezes_facts_pins_ruleset_and_issues_serial(engine, season, draft_application, now):
    guardian, application = draft_application
    outcome = submit_application(engine, application.id, account=guardian, now=now)
    row = _row(engine, application.id)
    assert row.state == "submitted" == outcome.state
    assert row.serial == outcome.serial and row.serial.startswith("2021360102")
    assert row.ruleset_sha256 == season.active_ruleset_sha256
    assert row.frozen_facts["pupil"] == MINIMAL_FACTS["pupil"]
    assert row.version == application.version + 1
    assert [e.action for e in _events(engine, application.id)] == ["application_started", "submit"]


def test_submit_without_the_pupils_school_record_is_refused_and_changes_nothing(engine, season, make_account, now,
                                                                              id_number):
    """A pupil ID that no school record knows (a typo, a made-up number) cannot be submitted empty."""
    from core.applications import record_facts, start_application

    guardian, pupil = make_account("guardian-2"), id_number(sequence=7)
    with write_session(engine) as session:
        application = start_application(session, season=season, guardian=guardian, pupil_id_number=pupil,
                                        pupil_name="张三", district="东湖区", now=now)
        record_facts(session, application, source="hukou", payload={"pupil": {"id_number": pupil}}, fetched_at=now)
    with pytest.raises(GuardFailed) as refused:
        submit_application(engine, application.id, account=guardian, now=now)
    assert "学籍信息" in refused.value.zh
    row = _row(engine, application.id)
    assert (row.state, row.serial, row.frozen_facts) == ("draft", None, None)
    assert [e.action for e in _events(engine, application.id)] == ["application_started"]


def test_stale_update_is_refused_and_leaves_the_row_unchanged(engine, draft_application, now):
    guardian, application = draft_application
    before = _row(engine, application.id)
    with pytest.raises(StaleWrite) as refused:
        fire_transition(engine, application.id, "submit", account=guardian, now=now,
                        seen_version=application.version - 1)
    assert "reload" in refused.value.en and refused.value.zh
    after = _row(engine, application.id)
    assert (after.state, after.version, after.serial, after.frozen_facts) == (
        before.state, before.version, None, None)
    assert [e.action for e in _events(engine, application.id)] == ["application_started"]


def test_illegal_transition_names_the_state_and_the_transition(engine, draft_application, make_account, now):
    _, application = draft_application
    reviewer = make_account("reviewer-dh", role="reviewer", district="东湖区")
    with pytest.raises(IllegalTransition) as refused:
        fire_transition(engine, application.id, "approve", account=reviewer, now=now)
    assert "'approve'" in refused.value.en and "'draft'" in refused.value.en
    assert refused.value.zh == "当前状态为「填报中」，不能执行「审核通过」"  # both in words, as the ruleset names them


def test_role_not_named_by_the_transition_is_refused(engine, draft_application, make_account, now):
    _, application = draft_application
    reviewer = make_account("reviewer-dh", role="reviewer", district="东湖区")
    with pytest.raises(NotPermitted):
        fire_transition(engine, application.id, "submit", account=reviewer, now=now)
    assert _row(engine, application.id).state == "draft"


def test_return_for_materials_needs_a_reason_the_guardian_sees(engine, draft_application, make_account, now):
    guardian, application = draft_application
    submit_application(engine, application.id, account=guardian, now=now)
    reviewer = make_account("reviewer-dh", role="reviewer", district="东湖区")
    with pytest.raises(ReasonRequired):
        fire_transition(engine, application.id, "return_for_materials", account=reviewer, now=now, reason="  ")
    fire_transition(engine, application.id, "return_for_materials", account=reviewer, now=now,
                    reason="请上传租赁备案证明")
    assert _events(engine, application.id)[-1].reason == "请上传租赁备案证明"
    serial = _row(engine, application.id).serial
    fire_transition(engine, application.id, "supply_materials", account=guardian, now=now)
    row = _row(engine, application.id)
    assert (row.state, row.serial) == ("submitted", serial)


def test_reviewer_of_another_district_cannot_act(engine, draft_application, make_account, now):
    from core.errors import Forbidden

    guardian, application = draft_application
    submit_application(engine, application.id, account=guardian, now=now)
    outsider = make_account("reviewer-xh", role="reviewer", district="西湖区")
    with pytest.raises(Forbidden):
        fire_transition(engine, application.id, "approve", account=outsider, now=now)


def test_a_failed_effect_leaves_no_event_and_no_state_change(engine, draft_application, now):
    guardian, application = draft_application
    workflow = Workflow.from_spec({
        "initial": "draft", "states": [{"id": "draft"}, {"id": "submitted"}],
        "transitions": [{"id": "submit", "from": ["draft"], "to": "submitted", "by": ["guardian"],
                         "effects": ["pin_ruleset"]}]})
    actor = Actor(guardian.username, "guardian", guardian.id)
    with pytest.raises(Exception):
        with write_session(engine) as session:
            row = session.get(Application, application.id)
            fire(session, row, "submit", workflow=workflow,
                 context=FireContext(actor=actor, now=now, season_year=2021, ruleset_sha256=None))
    assert _row(engine, application.id).state == "draft"
    assert len(_events(engine, application.id)) == 1


def test_guard_that_does_not_hold_refuses_the_transition(engine, draft_application, now):
    from core.workflow import GuardFailed

    guardian, application = draft_application
    spec = {"initial": "draft", "states": [{"id": "draft"}, {"id": "submitted"}],
            "transitions": [{"id": "submit", "from": ["draft"], "to": "submitted", "by": ["guardian"],
                             "guard": "district must be 西湖区"}]}
    workflow = Workflow.from_spec(spec, compile_guard=lambda _expr: lambda ctx: ctx["application"]["district"] == "西湖区")
    actor = Actor(guardian.username, "guardian", guardian.id)
    with pytest.raises(GuardFailed):
        with write_session(engine) as session:
            fire(session, session.get(Application, application.id), "submit", workflow=workflow,
                 context=FireContext(actor=actor, now=now, season_year=2021))
    assert _row(engine, application.id).state == "draft"


def test_workflow_spec_with_unknown_state_or_effect_is_refused():
    with pytest.raises(ValueError, match="unknown state"):
        Workflow.from_spec({"initial": "a", "states": [{"id": "a"}],
                            "transitions": [{"id": "t", "from": ["a"], "to": "b", "by": ["system"]}]})
    with pytest.raises(ValueError, match="unknown effect"):
        Workflow.from_spec({"initial": "a", "states": [{"id": "a"}],
                            "transitions": [{"id": "t", "from": ["a"], "to": "a", "by": ["system"],
                                             "effects": ["send_money"]}]})


def _drafts(engine, season, make_account, id_number, now, count):
    from core.applications import start_application

    guardian = make_account("guardian-many")
    with write_session(engine) as session:
        return [start_application(session, season=season, guardian=guardian, pupil_id_number=id_number(sequence=2 * n + 1),
                                  pupil_name="张小明", district="东湖区", now=now).id for n in range(count)]


def _close_all(engine, season, ids, now, workflow=None):
    from core.rulesets import workflow_for
    from core.workflow import fire_many

    system = Actor.system("scheduler")
    with write_session(engine) as session:
        rows = [session.get(Application, i) for i in ids]
        chosen = workflow or workflow_for(session, season.active_ruleset_sha256)
        fire_many(session, rows, "close_unsubmitted", prepare=lambda application: (chosen, FireContext(
            actor=system, now=now, season_year=2021, ruleset_sha256=season.active_ruleset_sha256)))


def test_closing_many_drafts_moves_each_once_and_audits_each_in_the_chain(engine, season, make_account, id_number, now):
    from core.audit import verify_chain

    ids = _drafts(engine, season, make_account, id_number, now, 4)
    _close_all(engine, season, ids, now)
    rows = [_row(engine, i) for i in ids]
    assert [(r.state, r.version) for r in rows] == [("not_submitted", 2)] * 4
    for i in ids:
        assert [(e.action, e.from_state, e.to_state, e.actor) for e in _events(engine, i)][1:] == [
            ("close_unsubmitted", "draft", "not_submitted", "scheduler")]
    with read_session(engine) as session:
        assert verify_chain(session) is None


def test_one_application_changed_meanwhile_leaves_the_whole_batch_unmoved(engine, season, make_account, id_number, now):
    from sqlalchemy import update

    ids = _drafts(engine, season, make_account, id_number, now, 3)
    from core.rulesets import workflow_for
    from core.workflow import fire_many

    system = Actor.system("scheduler")
    with pytest.raises(StaleWrite):
        with write_session(engine) as session:
            rows = [session.get(Application, i) for i in ids]
            session.execute(update(Application).where(Application.id == ids[1])  # a guardian's save lands first
                            .values(version=Application.version + 1).execution_options(synchronize_session=False))
            workflow = workflow_for(session, season.active_ruleset_sha256)
            fire_many(session, rows, "close_unsubmitted", prepare=lambda application: (workflow, FireContext(
                actor=system, now=now, season_year=2021)))
    assert [_row(engine, i).state for i in ids] == ["draft"] * 3
    assert all(len(_events(engine, i)) == 1 for i in ids)


def test_a_batch_transition_the_ruleset_gives_effects_runs_them_one_by_one(engine, season, make_account, id_number, now):
    workflow = Workflow.from_spec({
        "initial": "draft", "states": [{"id": "draft"}, {"id": "not_submitted"}],
        "transitions": [{"id": "close_unsubmitted", "from": ["draft"], "to": "not_submitted", "by": ["system"],
                         "effects": ["pin_ruleset"]}]})
    ids = _drafts(engine, season, make_account, id_number, now, 2)
    _close_all(engine, season, ids, now, workflow=workflow)
    assert [(_row(engine, i).state, _row(engine, i).ruleset_sha256) for i in ids] == [
        ("not_submitted", season.active_ruleset_sha256)] * 2
