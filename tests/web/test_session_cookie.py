"""The login cookie slides its 8-hour expiry in steps: it is re-sent when the session changed
or was signed more than REFRESH_AFTER ago, never on every answer; an old cookie is refused."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner

import web.sessions
from core.types import utcnow
from web.sessions import REFRESH_AFTER, VerifiedCookies


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


def test_a_login_lasts_eight_hours_from_its_last_request_not_a_month(app, client, auth, make_account, monkeypatch):
    """Flask's default is 31 days: a phone left signed in at a print shop would stay so for weeks."""
    make_account("li-father")
    response = auth.login("li-father")
    expires = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("xuewei_session="))
    assert app.permanent_session_lifetime == timedelta(hours=8)
    nine_hours = int(time.time() + timedelta(hours=9).total_seconds())
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _signer: nine_hours)
    assert "/login" in client.get("/me").headers["Location"] and "Expires=" in expires


def test_a_rotated_key_keeps_everyone_signed_in_while_the_old_one_is_a_fallback(app, logged_in, engine, clock,
                                                                                plugin_manager, tmp_path):
    """Hosts restarted one by one with a new XUEWEI_SECRET_KEY keep accepting each other's cookies."""
    from core.plugins import Hooks
    from web import create_app

    def host(**keys):
        return create_app({"TESTING": True, "ENGINE": engine, "CLOCK": clock, "HOOKS": Hooks(plugin_manager),
                           "PLUGIN_MANAGER": plugin_manager, "DOCUMENTS_DIR": str(tmp_path / "documents"), **keys})

    cookie = logged_in.get_cookie("xuewei_session").value
    for new_host, logs_in in ((host(SECRET_KEY="new-secret", SECRET_KEY_FALLBACKS=["test-secret"]), True),
                              (host(SECRET_KEY="new-secret"), False)):
        other = new_host.test_client()
        other.set_cookie("xuewei_session", cookie)
        assert (other.get("/me").status_code == 200) is logs_in


def test_fallback_keys_come_from_the_environment(monkeypatch):
    from core.config import secret_key_fallbacks

    monkeypatch.setenv("XUEWEI_SECRET_KEY_FALLBACKS", "old-one, older-one")
    assert secret_key_fallbacks() == ["old-one", "older-one"]


# -- a worker verifies a cookie's signature once (families poll with the same cookie) --------

@pytest.fixture
def verifications(app, monkeypatch):
    """How many times a cookie's signature was checked."""
    calls = []
    interface = app.session_interface
    signing_serializer = type(interface).get_signing_serializer

    def counted(self, app_):
        calls.append(1)
        return signing_serializer(self, app_)

    monkeypatch.setattr(type(interface), "get_signing_serializer", counted)
    return calls


def test_a_cookie_verified_once_is_not_verified_again(logged_in, verifications):
    assert logged_in.get("/me").status_code == 200
    assert logged_in.get("/me").status_code == 200
    assert logged_in.get("/me").status_code == 200
    assert len(verifications) == 1


def test_a_remembered_cookie_older_than_the_lifetime_no_longer_logs_in(app, logged_in, monkeypatch):
    assert logged_in.get("/me").status_code == 200  # verified and remembered
    _later(monkeypatch, app.permanent_session_lifetime + timedelta(seconds=1))
    response = logged_in.get("/me")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_remembered_cookie_is_refused_once_the_secret_key_changes(app, logged_in):
    assert logged_in.get("/me").status_code == 200
    app.secret_key = "another-secret-key-" + "x" * 32
    response = logged_in.get("/me")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_tampered_copy_of_a_remembered_cookie_is_refused(logged_in):
    assert logged_in.get("/me").status_code == 200
    cookie = logged_in.get_cookie("xuewei_session").value
    logged_in.set_cookie("xuewei_session", cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"))
    response = logged_in.get("/me")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_request_changing_its_session_does_not_change_what_the_cookie_holds(logged_in):
    assert logged_in.get("/me").status_code == 200
    cookie = logged_in.get_cookie("xuewei_session").value
    assert "Log out" in logged_in.get("/me?lang=en").get_data(as_text=True)  # this session now says English
    logged_in.set_cookie("xuewei_session", cookie)  # the browser sends the old cookie again
    assert "退出" in logged_in.get("/me").get_data(as_text=True)


def test_only_sessions_of_plain_values_are_remembered():
    verified = VerifiedCookies()
    verified.remember(("key",), "plain", {"account_id": 1, "csrf": "t", "_permanent": True}, utcnow())
    verified.remember(("key",), "flashes", {"account_id": 1, "_flashes": [("error", "…")]}, utcnow())
    assert verified.get(("key",), "plain") is not None
    assert verified.get(("key",), "flashes") is None
    assert verified.get(("other key",), "plain") is None


def test_remembered_cookies_are_bounded():
    verified = VerifiedCookies(limit=3)
    for n in range(7):
        verified.remember(("key",), f"cookie-{n}", {"n": n}, utcnow())
    remembered = [n for n in range(7) if verified.get(("key",), f"cookie-{n}")]
    assert 0 < len(remembered) <= 3 and 6 in remembered
