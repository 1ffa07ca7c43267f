"""Which steps people may take in which phase is ruleset data (`during`), checked on every request."""
from __future__ import annotations

import json
from datetime import datetime

import pytest

from core.applications import fire_transition, submit_application
from core.clock import parse_instant
from core.paths import ruleset_path
from core.rules import RulesetError, load_ruleset
from core.season.calendar import CollectionClosed


def _at(text: str) -> datetime:
    return parse_instant(text)


@pytest.fixture
def returned_application(engine, draft_application, make_account, now):
    guardian, application = draft_application
    submit_application(engine, application.id, account=guardian, now=now)
    reviewer = make_account("reviewer-dh", role="reviewer", district="东湖区")
    fire_transition(engine, application.id, "return_for_materials", account=reviewer, now=now,
                    reason="请上传不动产权证书")
    return guardian, reviewer, application


def test_guardian_answers_a_request_for_materials_after_collection_closed(engine, returned_application):
    guardian, reviewer, application = returned_application
    during_verification = _at("2021-06-18T09:00:00+08:00")
    fire_transition(engine, application.id, "supply_materials", account=guardian, now=during_verification)
    approved = fire_transition(engine, application.id, "approve", account=reviewer, now=during_verification)
    assert approved.state == "approved"


def test_materials_after_verification_ended_are_refused_with_the_closing_time(engine, returned_application):
    guardian, _, application = returned_application
    with pytest.raises(CollectionClosed) as refused:
        fire_transition(engine, application.id, "supply_materials", account=guardian,
                        now=_at("2021-06-22T08:00:00+08:00"))
    assert "22 June 00:00" in refused.value.en and "6月22日" in refused.value.zh


def test_the_system_is_not_held_to_the_phases_of_people(engine, draft_application):
    from core.workflow import Actor

    _, application = draft_application
    closed = fire_transition(engine, application.id, "close_unsubmitted", account=None,
                             actor=Actor.system(), now=_at("2021-06-16T17:00:00+08:00"))
    assert closed.state == "not_submitted"


def test_a_transition_allowed_during_an_unknown_phase_is_refused_at_its_pointer():
    document = json.loads(ruleset_path(2021).read_text())
    index = next(i for i, t in enumerate(document["workflow"]["transitions"]) if t["id"] == "submit")
    document["workflow"]["transitions"][index]["during"] = ["collection", "holidays"]
    with pytest.raises(RulesetError) as refused:
        load_ruleset(document)
    assert any(p.pointer == f"/workflow/transitions/{index}/during/1" and "holidays" in p.message
               for p in refused.value.problems)
