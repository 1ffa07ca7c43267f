"""Plugins hear of an application's moves once they are durable: after the commit, never a rolled-back one."""
from __future__ import annotations

import pytest

from core.applications import fire_transition, submit_application
from core.hookspecs import hookimpl
from core.plugins import Hooks
from core.testing import xuewei_plugins  # noqa: F401  (fixture)
from core.workflow import StaleWrite


class Webhook:
    """A vendor's lifecycle plugin: remembers what it was told, and whether the change was visible then."""

    def __init__(self, engine) -> None:
        self.engine, self.calls = engine, []

    @hookimpl
    def application_state_changed(self, application_id, transition, from_state, to_state, actor):
        self.calls.append(("state_changed", application_id, transition, from_state, to_state, actor,
                           self._stored_state(application_id)))

    @hookimpl
    def application_submitted(self, application_id, serial, ruleset_sha256):
        self.calls.append(("submitted", application_id, serial, ruleset_sha256))

    @hookimpl
    def notify_guardian(self, guardian_id, application_id, kind, message):
        self.calls.append(("notify", guardian_id, application_id, kind, message["zh"]))
        return True

    def _stored_state(self, application_id):
        """What another connection reads at the moment of the call: committed, or not."""
        from core.db import read_session
        from core.models import Application

        with read_session(self.engine) as session:
            return session.get(Application, application_id).state


@pytest.fixture
def webhook(engine, xuewei_plugins, monkeypatch):
    plugin = Webhook(engine)
    facade = Hooks(xuewei_plugins(plugin))
    monkeypatch.setattr("core.lifecycle.hooks", lambda: facade)
    return plugin


def test_a_submission_is_told_to_plugins_after_it_commits_with_its_serial_and_ruleset(engine, season, webhook,
                                                                                   draft_application, now):
    guardian, application = draft_application
    outcome = submit_application(engine, application.id, account=guardian, now=now)
    assert webhook.calls == [
        ("state_changed", application.id, "submit", "draft", "submitted", guardian.username, "submitted"),
        ("submitted", application.id, outcome.serial, season.active_ruleset_sha256)]


def test_a_refused_transition_is_told_to_nobody(engine, webhook, draft_application, now):
    guardian, application = draft_application
    with pytest.raises(StaleWrite):
        fire_transition(engine, application.id, "submit", account=guardian, now=now,
                        seen_version=application.version - 1)
    assert webhook.calls == []


@pytest.fixture
def submitted(engine, draft_application, now):
    guardian, application = draft_application
    submit_application(engine, application.id, account=guardian, now=now)
    from core.db import read_session
    from core.models import Application

    with read_session(engine) as session:
        return session.get(Application, application.id)


def test_the_family_is_told_when_the_reviewers_return_the_application_and_why(engine, webhook, submitted,
                                                                             make_account, now):
    """§8.1: returned for materials, the family must act; the channel plugins (SMS …) carry the reason."""
    from core.review import decide

    reviewer = make_account("rev-donghu", role="reviewer", district="东湖区")
    decide(engine, submitted.id, "return_for_materials", account=reviewer, now=now, reason="请上传户口簿首页")
    [told] = [call for call in webhook.calls if call[0] == "notify"]
    assert told == ("notify", submitted.guardian_id, submitted.id, "returned",
                    f"您的小升初报名（{submitted.serial}）需补充材料：请上传户口簿首页。请登录报名系统上传。")


def test_a_stale_decision_tells_the_family_nothing(engine, webhook, submitted, make_account, now):
    from core.review import decide

    reviewer = make_account("rev-donghu", role="reviewer", district="东湖区")
    with pytest.raises(StaleWrite):
        decide(engine, submitted.id, "approve", account=reviewer, now=now, seen_version=submitted.version - 1)
    assert [call for call in webhook.calls if call[0] == "notify"] == []


def test_the_family_is_told_when_an_administrator_takes_a_decision_back_and_why(engine, webhook, submitted,
                                                                               make_account, now):
    """A mis-clicked approval undone: the family was told of it, so they are told it no longer stands."""
    from core.review import decide, reopen

    decide(engine, submitted.id, "approve", account=make_account("rev-donghu", role="reviewer", district="东湖区"),
           now=now)
    admin = make_account("admin-donghu", role="district_admin", district="东湖区")
    reopen(engine, submitted.id, account=admin, now=now, reason="误点了其他申请的通过")
    told = [call for call in webhook.calls if call[0] == "notify"]
    assert [call[3] for call in told] == ["approved", "reopened"]
    assert told[-1] == ("notify", submitted.guardian_id, submitted.id, "reopened",
                        f"您的小升初报名（{submitted.serial}）的审核决定已撤销，将重新审核：误点了其他申请的通过。")
