"""CSRF on every state-changing request, security headers and cookie flags on every answer."""
from __future__ import annotations


def test_every_answer_carries_the_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_scripts(client):
    body = client.get("/login").get_data(as_text=True)
    assert "<script>" not in body and "onclick" not in body


def test_session_cookie_is_httponly_and_lax(client):
    client.get("/login")
    cookie = client.get_cookie("xuewei_session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_post_without_csrf_token_is_refused(client, make_account):
    make_account("guardian-a")
    response = client.post("/login", data={"username": "guardian-a", "password": "correct horse 1"})
    assert response.status_code == 400
    assert client.get("/me").status_code == 302


def test_post_with_a_token_of_another_session_is_refused(app, client, make_account):
    from tests.web.conftest import csrf_from

    make_account("guardian-a")
    other_token = csrf_from(app.test_client())
    csrf_from(client)
    response = client.post("/login", data={"username": "guardian-a", "password": "correct horse 1",
                                           "csrf_token": other_token})
    assert response.status_code == 400


def test_english_switch_is_remembered(client):
    assert "Log in" in client.get("/login?lang=en").get_data(as_text=True)
    assert "Log in" in client.get("/login").get_data(as_text=True)
    assert "登录" in client.get("/login?lang=zh").get_data(as_text=True)


def test_app_refuses_to_start_without_a_secret_key(engine, monkeypatch):
    import pytest

    from web import create_app

    monkeypatch.delenv("XUEWEI_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError):
        create_app({"ENGINE": engine})


OWN_TEMPLATES = ("base.html", "error.html", "_macros.html", "_assessment.html", "auth", "guardian", "review")


def _own_templates():
    from pathlib import Path

    import web

    root = Path(web.__file__).parent / "templates"
    for name in OWN_TEMPLATES:
        path = root / name
        yield from (sorted(path.rglob("*.html")) if path.is_dir() else [path])


def test_templates_need_no_inline_script_or_style_under_the_csp():
    import re

    for path in _own_templates():
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"\s(on[a-z]+|style)=", text), path


def test_every_post_form_in_the_templates_carries_the_csrf_token():
    import re

    for path in _own_templates():
        text = path.read_text()
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", text, flags=re.S):
            assert "csrf()" in form or 'name="csrf_token"' in form, path
