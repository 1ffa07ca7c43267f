"""The login cookie slides its 8-hour expiry in steps: it is re-sent when the session changed
or was signed more than REFRESH_AFTER ago, never on every answer; an old cookie is refused."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner

import web.sessions
from core.types import utcnow
from web.sessions import REFRESH_AFTER


@pytest.fixture
def logged_in(client, auth, make_account):
    make_account("li-father")
    assert auth.login("li-father").status_code == 302
    return client


def _sets_cookie(response) -> bool:
    return any(h.startswith("xuewei_session=") for h in response.headers.getlist("Set-Cookie"))


def _later(monkeypatch, by: timedelta) -> None:
    monkeypatch.setattr(web.sessions, "utcnow", lambda: utcnow() + by)


def test_a_fresh_cookie_is_not_sent_again(logged_in):
    response = logged_in.get("/me")
    assert response.status_code == 200
    assert not _sets_cookie(response)


def test_a_cookie_older_than_the_step_is_re_signed_and_still_logs_in(logged_in, monkeypatch):
    _later(monkeypatch, REFRESH_AFTER + timedelta(seconds=1))
    response = logged_in.get("/me")
    assert response.status_code == 200 and _sets_cookie(response)
    monkeypatch.undo()
    assert logged_in.get("/me").status_code == 200
    assert not _sets_cookie(logged_in.get("/me"))


def test_a_changed_session_is_always_sent(logged_in):
    response = logged_in.get("/me?lang=en")
    assert _sets_cookie(response)


def test_a_cookie_signed_longer_ago_than_the_lifetime_no_longer_logs_in(app, logged_in, monkeypatch):
    past_lifetime = int(time.time() + app.permanent_session_lifetime.total_seconds()) + 60
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _signer: past_lifetime)  # the signer's "now"
    response = logged_in.get("/me")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
