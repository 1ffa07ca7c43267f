"""Ruleset versions: only a valid ruleset whose embedded tests pass can become active."""
from __future__ import annotations

import copy
import json

import pytest
from sqlmodel import select

from core.db import read_session, write_session
from core.models import Event, RulesetVersion, Season
from core.paths import ruleset_path
from core.rulesets import RulesetNotActivatable, activate_ruleset, store_ruleset
from core.workflow import Actor

ADMIN = Actor("city-admin", "city_admin")


def _ruleset_2021():
    return json.loads(ruleset_path(2021).read_text())


def _store(engine, season, document):
    with write_session(engine) as session:
        return store_ruleset(session, session.get(Season, season.id), document, ADMIN)


def test_activation_is_audited_and_retires_the_previous_version(engine, season):
    changed = _ruleset_2021()
    changed["meta"]["version"] = "1.0.1"
    version = _store(engine, season, changed)
    with write_session(engine) as session:
        activate_ruleset(session, session.get(Season, season.id), version.sha256, ADMIN)
    with read_session(engine) as session:
        statuses = {v.version: v.status for v in session.exec(select(RulesetVersion))}
        activation = session.exec(select(Event).where(Event.action == "ruleset_activated")
                                  .order_by(Event.seq.desc())).first()
        assert session.get(Season, season.id).active_ruleset_sha256 == version.sha256
    assert statuses == {"1.0.0": "retired", "1.0.1": "active"}
    assert activation.data["sha256"] == version.sha256 and activation.actor == "city-admin"


def test_a_ruleset_that_does_not_validate_cannot_be_activated_and_says_why_in_chinese_too(engine, season):
    broken = _ruleset_2021()
    broken["meta"]["unexpected"] = True
    version = _store(engine, season, broken)
    with pytest.raises(RulesetNotActivatable) as refused, write_session(engine) as session:
        activate_ruleset(session, session.get(Season, season.id), version.sha256, ADMIN)
    assert any(problem.pointer.startswith("/meta") and "不允许的键" in problem.zh for problem in refused.value.problems)


def test_a_ruleset_whose_embedded_test_fails_cannot_be_activated_and_names_the_expectation(engine, season):
    document = _ruleset_2021()
    wrong = copy.deepcopy(document)
    case = wrong["tests"]["cases"][0]
    case["expect"]["tier"] = 7 if case["expect"].get("tier") != 7 else 1
    version = _store(engine, season, wrong)
    with pytest.raises(RulesetNotActivatable) as refused, write_session(engine) as session:
        activate_ruleset(session, session.get(Season, season.id), version.sha256, ADMIN)
    assert [(p.pointer, p.message, p.zh) for p in refused.value.problems] == [
        ("/tests/cases/0/expect/tier", f"case {case['name']!r} fails: tier: expected {case['expect']['tier']}, got 1",
         f"测试用例 {case['name']!r} 未通过：tier：应为 {case['expect']['tier']}，实际为 1")]
    with read_session(engine) as session:
        assert session.get(Season, season.id).active_ruleset_sha256 == season.active_ruleset_sha256


def test_storing_the_same_content_twice_keeps_one_version(engine, season):
    first = _store(engine, season, _ruleset_2021())
    again = _store(engine, season, json.loads(json.dumps(_ruleset_2021(), indent=4)))
    assert first.sha256 == again.sha256 == season.active_ruleset_sha256


def test_a_submitted_application_keeps_the_version_it_was_submitted_under(engine, season, draft_application, now):
    from core.applications import submit_application
    from core.models import Application

    guardian, application = draft_application
    submit_application(engine, application.id, account=guardian, now=now)
    newer = _ruleset_2021()
    newer["meta"]["version"] = "1.1.0"
    version = _store(engine, season, newer)
    with write_session(engine) as session:
        activate_ruleset(session, session.get(Season, season.id), version.sha256, ADMIN)
    with read_session(engine) as session:
        assert session.get(Application, application.id).ruleset_sha256 == season.active_ruleset_sha256 != version.sha256


def test_an_applications_state_is_worded_by_its_version_a_seasons_states_by_the_active_one(
        engine, season, draft_application, now):
    """A reworded version activated after a submission: the application's state keeps the words
    of the version it was submitted under (its page, the queue's table); the season's states,
    which the dashboard counts and the queue's filter offers, take the active version's."""
    from core.applications import submit_application
    from core.models import Application
    from core.rulesets import application_state_labels, season_state_labels

    guardian, application = draft_application
    submit_application(engine, application.id, account=guardian, now=now)
    reworded = _ruleset_2021()
    reworded["meta"]["version"] = "1.1.0"
    for state in reworded["workflow"]["states"]:
        state["label"] = {"zh": state["label"]["zh"] + "（新）", "en": state["label"]["en"] + " (new)"}
    version = _store(engine, season, reworded)
    with write_session(engine) as session:
        activate_ruleset(session, session.get(Season, season.id), version.sha256, ADMIN)
    with read_session(engine) as session:
        stored = session.get(Application, application.id)
        assert application_state_labels(session, [stored]) == {
            application.id: {"zh": "已提交，待审核", "en": "Submitted, awaiting review"}}
        labels = season_state_labels(session, session.get(Season, season.id))
    assert list(labels) == [state["id"] for state in reworded["workflow"]["states"]]
    assert labels["submitted"] == {"zh": "已提交，待审核（新）", "en": "Submitted, awaiting review (new)"}
