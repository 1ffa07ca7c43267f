"""A city administrator disables, enables and sets a new password for staff on /staff: the
account's logins end at once, every step is audited without the password, and the city is
never left without an active city administrator."""
from __future__ import annotations

import pytest
from sqlmodel import select

from core.db import read_session
from core.errors import InvalidInput
from core.models import Event
from core.workflow import Actor
from tests.web.conftest import PASSWORD, AuthActions

NEW_PASSWORD = "another horse 2"


@pytest.fixture
def admin(client, auth, make_account):
    make_account("city", role="city_admin")
    auth.login("city")
    return auth


@pytest.fixture
def reviewer_logged_in(app, make_account):
    """The reviewer's own browser, logged in before the administrator acts."""
    make_account("rev-dh", role="reviewer", district="东湖区")
    browser = app.test_client()
    AuthActions(browser).login("rev-dh")
    assert browser.get("/me").status_code == 200
    return browser


def _events(engine, action: str) -> list[Event]:
    with read_session(engine) as session:
        return list(session.exec(select(Event).where(Event.action == action)))


def _logged_out(browser) -> bool:
    answer = browser.get("/me")
    return answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_disabling_ends_the_staff_members_login_at_once_and_enabling_does_not_revive_it(
        app, client, admin, engine, reviewer_logged_in):
    page = client.get("/staff").get_data(as_text=True)
    assert 'data-testid="staff-disable-rev-dh"' in page and "data-confirm=" in page
    answer = client.post("/staff/rev-dh/active", data={"active": "0", "csrf_token": admin.csrf()},
                         follow_redirects=True).get_data(as_text=True)
    assert "已停用账号 rev-dh" in answer and 'data-value="disabled"' in answer
    assert _logged_out(reviewer_logged_in)
    assert AuthActions(app.test_client()).login("rev-dh").status_code == 401
    client.post("/staff/rev-dh/active", data={"active": "1", "csrf_token": admin.csrf()})
    assert _logged_out(reviewer_logged_in)  # the old cookie stays worthless
    again = app.test_client()
    AuthActions(again).login("rev-dh")
    assert again.get("/me").status_code == 200
    [disabled], [enabled] = _events(engine, "account_disabled"), _events(engine, "account_enabled")
    assert (disabled.actor, disabled.actor_role, disabled.data["username"]) == ("city", "city_admin", "rev-dh")
    assert enabled.actor == "city"


def test_a_new_password_ends_the_old_logins_and_is_never_audited(app, client, admin, engine, reviewer_logged_in):
    assert 'data-testid="staff-password-form"' in client.get("/staff/rev-dh/password").get_data(as_text=True)
    differ = client.post("/staff/rev-dh/password", data={"password": NEW_PASSWORD, "password2": "other",
                                                         "csrf_token": admin.csrf()})
    assert differ.status_code == 422 and "两次输入的密码不一致" in differ.get_data(as_text=True)
    short = client.post("/staff/rev-dh/password", data={"password": "short", "password2": "short",
                                                        "csrf_token": admin.csrf()})
    assert short.status_code == 422 and "密码至少8位" in short.get_data(as_text=True)
    assert not _logged_out(reviewer_logged_in)  # nothing changed yet
    done = client.post("/staff/rev-dh/password", data={"password": NEW_PASSWORD, "password2": NEW_PASSWORD,
                                                       "csrf_token": admin.csrf()}, follow_redirects=True)
    assert "已为 rev-dh 设置新密码" in done.get_data(as_text=True)
    assert _logged_out(reviewer_logged_in)
    assert AuthActions(app.test_client()).login("rev-dh", PASSWORD).status_code == 401
    assert AuthActions(app.test_client()).login("rev-dh", NEW_PASSWORD).status_code == 302
    [event] = _events(engine, "account_password_set")
    assert event.actor == "city" and NEW_PASSWORD not in str(event.data) and "password" not in str(event.data)


def test_an_administrator_setting_their_own_password_stays_logged_in(client, admin):
    client.post("/staff/city/password", data={"password": NEW_PASSWORD, "password2": NEW_PASSWORD,
                                              "csrf_token": admin.csrf()})
    assert client.get("/staff").status_code == 200


def test_nobody_disables_themselves_nor_the_last_active_city_administrator(client, admin, engine, make_account):
    own = client.post("/staff/city/active", data={"active": "0", "csrf_token": admin.csrf()}, follow_redirects=True)
    assert "不能停用自己的账号" in own.get_data(as_text=True)
    make_account("city2", role="city_admin")
    client.post("/staff/city2/active", data={"active": "0", "csrf_token": admin.csrf()})
    from core.staff import set_staff_active  # as the command line does

    with pytest.raises(InvalidInput, match="last active city administrator"):
        set_staff_active(engine, by=Actor.system("cli"), username="city", active=False)
    page = client.get("/staff").get_data(as_text=True)
    assert 'data-testid="staff-enable-city2"' in page
    assert _events(engine, "account_disabled")[0].data["username"] == "city2"


def test_guardians_are_not_managed_here_and_the_form_needs_its_token(client, admin, make_account, engine):
    make_account("li-father")
    assert client.post("/staff/li-father/active", data={"active": "0", "csrf_token": admin.csrf()}).status_code == 404
    assert client.get("/staff/li-father/password").status_code == 404
    assert client.post("/staff/a%00b/password", data={"password": NEW_PASSWORD, "password2": NEW_PASSWORD,
                                                      "csrf_token": admin.csrf()}).status_code == 404
    make_account("rev-dh", role="reviewer", district="东湖区")
    assert client.post("/staff/rev-dh/active", data={"active": "0"}).status_code == 400
    assert _events(engine, "account_disabled") == []
