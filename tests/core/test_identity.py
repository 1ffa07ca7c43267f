"""Guardian sign-up and log-in through the identity hook: a failing or unreadable face check
refuses as unavailable (503), never verifies and never errors."""
from __future__ import annotations

import logging

import pytest
from sqlmodel import select

from core.db import read_session
from core.errors import UserFacingError
from core.hookspecs import hookimpl
from core.identity import IdentityRejected, check_guardian_login, sign_up_guardian
from core.models import Account
from core.plugins import Hooks, PluginManager

FATHER_BIRTH = "19800101"


def hooks_answering(answer) -> Hooks:
    """Hooks over one face plugin that gives `answer` (raising it when it is an exception)."""

    class Face:
        @hookimpl
        def verify_identity(self, id_number, name, face_image):
            if isinstance(answer, BaseException):
                raise answer
            return answer

    pm = PluginManager()
    pm.register(Face(), name="face")
    return Hooks(pm)


def refused_as_unavailable():
    """Expect the sign-up or log-in refused as a 503 the person may retry (checked by its code:
    the class is an implementation detail)."""
    return pytest.raises(UserFacingError, check=lambda e: (e.code, e.http_status) == ("source_unavailable", 503))


def sign_up(engine, hooks, id_number, now):
    return sign_up_guardian(engine, hooks=hooks, username="zhangwei", password="correct horse 1", name="张伟",
                            id_number=id_number(birth=FATHER_BIRTH, sequence=1), face_image=b"capture", now=now)


def accounts(engine) -> list:
    with read_session(engine) as session:
        return list(session.exec(select(Account.username)).all())


def test_a_face_plugin_that_raises_refuses_the_sign_up_as_unavailable(engine, id_number, now, caplog):
    with refused_as_unavailable() as refused:
        sign_up(engine, hooks_answering(TimeoutError("face service did not answer")), id_number, now)
    assert refused.value.zh == "人脸识别服务暂时无法使用，请稍后再试"
    assert accounts(engine) == []
    assert any("verify_identity failed" in record.getMessage() for record in caplog.records)


def test_a_face_plugin_calling_sys_exit_refuses_sign_up_and_log_in_as_unavailable(engine, id_number, now, caplog):
    with refused_as_unavailable():
        sign_up(engine, hooks_answering(SystemExit("face SDK gave up")), id_number, now)
    assert accounts(engine) == []
    assert "SystemExit: face SDK gave up" in caplog.text
    account = sign_up(engine, hooks_answering({"verified": True, "method": "face"}), id_number, now)
    with refused_as_unavailable():
        check_guardian_login(hooks_answering(SystemExit(1)), account, b"capture")


@pytest.mark.parametrize("stop", [KeyboardInterrupt, GeneratorExit])
def test_an_interrupt_from_a_face_plugin_is_not_taken_as_an_outage(engine, id_number, now, stop):
    with pytest.raises(stop):
        sign_up(engine, hooks_answering(stop()), id_number, now)


@pytest.mark.parametrize("answer", [{"verified": "false"}, {"verified": "true"}, {"verified": 1}, {"method": "face"},
                                    ["verified"], "verified", True], ids=repr)
def test_an_answer_that_is_not_a_verdict_refuses_the_sign_up_and_never_verifies(engine, id_number, now, caplog,
                                                                                 answer):
    with caplog.at_level(logging.ERROR, logger="core.identity"), refused_as_unavailable():
        sign_up(engine, hooks_answering(answer), id_number, now)
    assert accounts(engine) == []
    assert any("invalid verdict" in record.getMessage() for record in caplog.records)


def test_not_this_person_is_still_a_rejection_not_an_outage(engine, id_number, now):
    with pytest.raises(IdentityRejected, match="the face does not match"):
        sign_up(engine, hooks_answering({"verified": False, "reason": "the face does not match"}), id_number, now)


def test_a_guardian_log_in_is_refused_as_unavailable_while_the_face_check_raises(engine, id_number, now):
    account = sign_up(engine, hooks_answering({"verified": True, "method": "face"}), id_number, now)
    with refused_as_unavailable():
        check_guardian_login(hooks_answering(ConnectionError("face service refused the connection")), account,
                             b"capture")


def test_a_sign_up_is_stamped_by_the_season_clock_like_the_rest_of_the_season(engine, id_number, now):
    """In the demo or a rehearsal the season clock is not the wall clock: the account and its
    audit event carry the clock's time, so the audit trail stays in order of time."""
    from core.models import Event

    account = sign_up(engine, hooks_answering({"verified": True, "method": "face"}), id_number, now)
    with read_session(engine) as session:
        [created] = session.exec(select(Event).where(Event.action == "account_created")).all()
        stored = session.get(Account, account.id)
    assert created.at == now and stored.created_at == now and stored.identity_verified_at == now
