"""Accounts: guardian sign-up with the identity check, login, logout, staff accounts, rate limits."""
from __future__ import annotations

import re

import pytest
from sqlmodel import select

from core.db import read_session
from core.models import Account
from web.security import ACCOUNT_MAX_FAILURES, MAX_FAILURES
from tests.web.conftest import PASSWORD, AuthActions, csrf_from


def _signup(client, id_number, **overrides):
    data = {"name": "张伟", "id_number": id_number, "username": "zhangwei", "password": PASSWORD,
            "password2": PASSWORD, "csrf_token": csrf_from(client, "/signup")}
    data.update(overrides)
    return client.post("/signup", data=data, content_type="multipart/form-data")


def test_guardian_signs_up_after_the_identity_check_and_is_logged_in(client, season, id_number):
    response = _signup(client, id_number(birth="19800101", sequence=1))
    assert response.status_code == 302
    assert client.get("/me").status_code == 200


def test_signup_refused_when_the_face_check_fails(client, season, id_number):
    from io import BytesIO

    response = _signup(client, id_number(birth="19800101", sequence=1),
                       face_image=(BytesIO(b"someone else"), "face.jpg"))
    assert response.status_code == 422
    assert "人脸与身份证照片不一致" in response.get_data(as_text=True)
    assert client.get("/me").status_code == 302


def test_signup_shows_a_wrong_check_character_at_the_id_field(client, season, id_number):
    good = id_number(birth="19800101", sequence=1)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    body = _signup(client, wrong).get_data(as_text=True)
    assert 'data-testid="error-id_number"' in body


def test_a_pupils_own_id_number_cannot_sign_up_as_a_guardian(client, season, id_number):
    body = _signup(client, id_number(birth="20090501", sequence=1)).get_data(as_text=True)
    assert 'data-testid="error-id_number"' in body and "监护人须年满18周岁" in body
    assert client.get("/me").status_code == 302


def test_one_id_number_signs_up_once(app, client, season, id_number):
    assert _signup(client, id_number(birth="19800101", sequence=1)).status_code == 302
    other = app.test_client()
    body = _signup(other, id_number(birth="19800101", sequence=1), username="zhangwei2").get_data(as_text=True)
    assert "该身份证号已注册过账号，请直接登录" in body
    with read_session(app.extensions["xuewei.engine"]) as session:
        assert session.exec(select(Account).where(Account.username == "zhangwei2")).first() is None


def test_login_rotates_the_session_and_its_csrf_token(client, auth, make_account):
    make_account("guardian-a")
    before = csrf_from(client)
    assert auth.login("guardian-a").status_code == 302
    assert auth.csrf() != before


def test_wrong_password_is_refused_with_one_message(client, auth, make_account):
    make_account("guardian-a")
    wrong_password = auth.login("guardian-a", "wrong password").get_data(as_text=True)
    no_such_user = auth.login("nobody-here", "wrong password").get_data(as_text=True)
    assert "用户名或密码错误" in wrong_password and "用户名或密码错误" in no_such_user


def test_login_throttled_after_repeated_failures_even_with_the_right_password(client, auth, make_account):
    make_account("guardian-a")
    for _ in range(MAX_FAILURES):
        assert auth.login("guardian-a", "wrong password").status_code == 401
    response = auth.login("guardian-a")
    assert response.status_code == 429
    assert client.get("/me").status_code == 302


def test_throttle_is_per_username(client, auth, make_account):
    make_account("guardian-a")
    make_account("guardian-b")
    for _ in range(MAX_FAILURES):
        auth.login("guardian-a", "wrong password")
    assert auth.login("guardian-b").status_code == 302


def _from_address(app, ip: str) -> AuthActions:
    """A browser of its own, seen by the server at this client address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return AuthActions(client)


def _spray(app, username: str, failures: int) -> None:
    """Wrong passwords from many addresses, each staying under the per-address limit."""
    per_address = MAX_FAILURES - 1
    for n in range(0, failures, per_address):
        browser = _from_address(app, f"198.51.100.{n // per_address + 1}")
        for _ in range(min(per_address, failures - n)):
            assert browser.login(username, "wrong password").status_code == 401


def test_a_password_sprayed_from_many_addresses_pauses_logins_from_new_addresses(app, make_account):
    make_account("guardian-a")
    _spray(app, "guardian-a", ACCOUNT_MAX_FAILURES)
    response = _from_address(app, "203.0.113.9").login("guardian-a")
    assert response.status_code == 429
    assert "暂停从未登录过的网络登录" in response.get_data(as_text=True)


def test_the_user_still_logs_in_from_an_address_used_before_a_spray(app, make_account):
    make_account("guardian-a")
    home = _from_address(app, "203.0.113.7")
    assert home.login("guardian-a").status_code == 302
    _spray(app, "guardian-a", ACCOUNT_MAX_FAILURES)
    assert _from_address(app, "203.0.113.7").login("guardian-a").status_code == 302


def test_failures_below_the_account_limit_leave_new_addresses_open(app, make_account):
    make_account("guardian-a")
    _spray(app, "guardian-a", ACCOUNT_MAX_FAILURES - 1)
    assert _from_address(app, "203.0.113.9").login("guardian-a").status_code == 302


def test_logout_needs_a_post_with_the_token(client, auth, make_account):
    make_account("guardian-a")
    auth.login("guardian-a")
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf_token": auth.csrf()}).status_code == 302
    assert client.get("/me").status_code == 302


def test_login_ignores_an_offsite_next(client, make_account):
    make_account("guardian-a")
    token = csrf_from(client)
    response = client.post("/login?next=//evil.example/x",
                           data={"username": "guardian-a", "password": PASSWORD, "csrf_token": token})
    assert "evil.example" not in response.headers["Location"]


def test_city_admin_creates_a_district_reviewer(client, auth, make_account, season):
    make_account("city", role="city_admin")
    auth.login("city")
    response = client.post("/staff", data={"username": "rev-donghu", "password": PASSWORD, "role": "reviewer",
                                           "district": "东湖区", "csrf_token": auth.csrf()})
    assert response.status_code == 302
    assert "rev-donghu" in client.get("/staff").get_data(as_text=True)


def test_a_staff_account_is_stamped_by_the_season_clock(app, client, auth, make_account, season, now):
    """In a rehearsal the season clock is not the wall clock: the audit trail stays in time order."""
    from core.models import Event

    make_account("city", role="city_admin")
    auth.login("city")
    client.post("/staff", data={"username": "rev-donghu", "password": PASSWORD, "role": "reviewer",
                                "district": "东湖区", "csrf_token": auth.csrf()})
    with read_session(app.extensions["xuewei.engine"]) as session:
        made = session.exec(select(Account).where(Account.username == "rev-donghu")).one()
        [event] = session.exec(select(Event).where(Event.action == "account_created",
                                                   Event.subject_id == str(made.id))).all()
    assert event.at == now and made.created_at == now


def test_reviewer_without_district_is_refused_at_the_field(client, auth, make_account, season):
    make_account("city", role="city_admin")
    auth.login("city")
    response = client.post("/staff", data={"username": "rev-x", "password": PASSWORD, "role": "reviewer",
                                           "district": "", "csrf_token": auth.csrf()})
    assert response.status_code == 422
    assert 'data-testid="error-district"' in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["city_admin", "operator"])
def test_a_district_chosen_for_city_wide_staff_is_refused_at_the_field_not_dropped(client, auth, make_account,
                                                                                   season, role):
    make_account("city", role="city_admin")
    auth.login("city")
    response = client.post("/staff", data={"username": "wide", "password": PASSWORD, "role": role,
                                           "district": "东湖区", "csrf_token": auth.csrf()})
    assert response.status_code == 422
    error = re.search(r'data-testid="error-district">([^<]*)<', response.get_data(as_text=True)).group(1)
    assert "不属于任何区县" in error
    with read_session(client.application.extensions["xuewei.engine"]) as session:
        assert session.exec(select(Account).where(Account.username == "wide")).first() is None


@pytest.mark.parametrize("field, form", [
    ("username", {"username": "rev 东湖"}),
    ("username", {"username": "<script>x</script>"}),
    ("username", {"username": "r" * 81}),
    ("display_name", {"username": "rev-dh", "display_name": "名" * 81}),
])
def test_a_username_or_name_staff_could_not_read_back_is_refused_at_its_field(client, auth, make_account, season,
                                                                              field, form):
    """Spaces and markup in user names, and names longer than the column (which PostgreSQL
    would refuse with an error page), are refused next to the field, nothing created."""
    make_account("city", role="city_admin")
    auth.login("city")
    response = client.post("/staff", data={"password": PASSWORD, "role": "reviewer", "district": "东湖区",
                                           "csrf_token": auth.csrf(), **form})
    assert response.status_code == 422
    assert f'data-testid="error-{field}"' in response.get_data(as_text=True)
    with read_session(client.application.extensions["xuewei.engine"]) as session:
        assert session.exec(select(Account).where(Account.role == "reviewer")).first() is None


def test_only_a_city_admin_reaches_the_staff_page(client, auth, make_account):
    make_account("rev", role="reviewer", district="东湖区")
    auth.login("rev")
    assert client.get("/staff").status_code == 403


def test_a_copied_session_cookie_is_worthless_after_logout(client, auth, make_account):
    make_account("guardian-a")
    auth.login("guardian-a")
    copied = client.get_cookie("xuewei_session").value
    client.post("/logout", data={"csrf_token": auth.csrf()})
    client.set_cookie("xuewei_session", copied)
    assert client.get("/me").status_code == 302


def test_guardian_login_is_refused_when_the_face_check_fails(client, season, id_number):
    from io import BytesIO

    _signup(client, id_number(birth="19800101", sequence=1))
    client.post("/logout", data={"csrf_token": csrf_from(client, "/me")})
    response = client.post("/login", data={"username": "zhangwei", "password": PASSWORD,
                                           "face_image": (BytesIO(b"someone else"), "face.jpg"),
                                           "csrf_token": csrf_from(client)}, content_type="multipart/form-data")
    assert response.status_code == 422 and "人脸与身份证照片不一致" in response.get_data(as_text=True)
    assert client.get("/me").status_code == 302


def test_a_form_sent_after_the_login_ended_asks_to_log_in_again_and_returns_to_the_page(client, auth, make_account,
                                                                                      season):
    """Logged out in another tab (or expired): not "the request did not come from this site"."""
    make_account("li-father")
    auth.login("li-father")
    token = auth.csrf()
    client.post("/logout", data={"csrf_token": token})  # the other tab
    response = client.post("/guardian/applications/new", data={"pupil_id_number": "x", "csrf_token": token},
                           headers={"Referer": "http://localhost/guardian/applications/new"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/guardian/applications/new"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "登录已过期或已在其他页面退出，请重新登录" in page and "请求来源不可信" not in page


def test_a_forged_form_from_a_logged_in_session_is_still_refused(client, auth, make_account, season):
    make_account("li-father")
    auth.login("li-father")
    response = client.post("/guardian/applications/new", data={"pupil_id_number": "x", "csrf_token": "forged"})
    assert response.status_code == 400 and "请求来源不可信" in response.get_data(as_text=True)
