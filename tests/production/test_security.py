"""Security: CSRF on every state-changing route, stored XSS in every free-text field that is
shown back, SQL injection in every filter, IDOR on every id-bearing route, login brute force,
session fixation, secrets only from the environment, security headers from the real server."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import func
from sqlmodel import select

from core.applications import record_facts
from core.cli import main
from core.errors import InvalidInput
from core.db import read_session, write_session
from core.models import Account, Application, Event
from tests.conftest import MINIMAL_FACTS
from tests.production.conftest import ApiAs
from tests.web.conftest import PASSWORD, submit_family

XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;alert("
SQL_INJECTIONS = ["' OR '1'='1", "1; DROP TABLE application; --", "东湖区' UNION SELECT password_hash FROM account --",
                  "%' OR 1=1 --", "1 OR 1=1"]
ROOT = Path(__file__).resolve().parents[2]


def _example(rule) -> str:
    """A concrete URL for a rule: 1 for every id, a plausible word for every other variable."""
    values = {name: 1 if type(converter).__name__ in ("_RowId", "IntegerConverter") else "schools"
              for name, converter in rule._converters.items()}
    return rule.build(values, append_unknown=False)[1]


def _routes(app, methods: set[str]):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & methods):
            if rule.endpoint != "static":
                yield rule, method


# --- CSRF ------------------------------------------------------------------------------------

def test_every_state_changing_route_refuses_a_request_without_the_sessions_token(app, make_account, signed_in_as):
    cookies, _ = signed_in_as(make_account("city-admin-1", role="city_admin"))
    _, foreign = signed_in_as(make_account("guardian-9"))  # a valid token, of another session
    checked = []
    for rule, method in _routes(app, {"POST", "PUT", "PATCH", "DELETE"}):
        for headers in ({}, foreign):
            response = ApiAs(app, cookies, headers).call(method, _example(rule), data={"x": "1"})
            assert response.status_code == 400, f"{method} {rule.rule} without the token: {response.status_code}"
            if rule.rule.startswith("/api/"):
                assert response.get_json()["code"] == "csrf_failed"
        checked.append(rule.rule)
    assert len(checked) >= 25


# --- stored XSS ------------------------------------------------------------------------------

def _pages_show_no_raw_payload(client_as, paths) -> None:
    for path in paths:
        response = client_as.call("GET", path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert XSS not in html and "<script>alert" not in html, f"{path} renders the payload unescaped"
        assert ESCAPED in html, f"{path} does not show the field at all (test would prove nothing)"


def test_free_text_a_guardian_enters_is_escaped_wherever_it_is_shown(app, api_as, engine, season, make_account,
                                                                     id_number):
    guardian = make_account("guardian-xss")
    api = api_as(guardian)
    created = api.call("POST", "/api/v1/applications",
                       json={"pupil_id_number": id_number(sequence=21), "pupil_name": XSS, "district": "东湖区"})
    assert created.status_code == 201, created.get_data(as_text=True)
    application_id = created.get_json()["id"]
    upload = api.call("POST", f"/api/v1/applications/{application_id}/documents", content_type="multipart/form-data",
                      data={"kind": "other", "file": (io.BytesIO(b"%PDF-1.4 x"), XSS + ".pdf", "application/pdf")})
    assert upload.status_code == 201
    with write_session(engine) as session:  # the school record and the family's data, without which nothing is submitted
        for source in ("pupil_record", "sandbox"):
            record_facts(session, session.get(Application, application_id), source=source, payload=MINIMAL_FACTS,
                         fetched_at=season.created_at)
    assert api.call("POST", f"/api/v1/applications/{application_id}/submit", json={"confirm": True}).status_code == 200
    _pages_show_no_raw_payload(api, ["/guardian/", f"/guardian/applications/{application_id}"])
    reviewer = api_as(make_account("reviewer-dh", role="reviewer", district="东湖区"))
    _pages_show_no_raw_payload(reviewer, ["/review/", f"/review/applications/{application_id}"])


def test_a_reviewers_reason_is_escaped_on_the_guardians_page(api_as, engine, season, catchments, now, make_account):
    application = submit_family(engine, season, now, "li-father")
    reviewer = api_as(make_account("reviewer-dh", role="reviewer", district="东湖区"))
    decided = reviewer.call("POST", f"/api/v1/applications/{application.id}/decision",
                            json={"decision": "return_for_materials", "reason": XSS})
    assert decided.status_code == 200, decided.get_data(as_text=True)
    with read_session(engine) as session:
        guardian = session.exec(select(Account).where(Account.username == "li-father")).one()
    _pages_show_no_raw_payload(api_as(guardian), [f"/guardian/applications/{application.id}"])
    _pages_show_no_raw_payload(api_as(make_account("operator-1", role="operator")), ["/operator/audit"])


def test_names_of_accounts_are_escaped_on_the_staff_page_and_the_account_page(api_as, make_account, season, engine):
    admin = api_as(make_account("city-admin-1", role="city_admin"))
    created = admin.call("POST", "/api/v1/staff", json={"username": "op-xss", "password": PASSWORD,
                                                        "role": "operator", "display_name": XSS})
    assert created.status_code == 201, created.get_data(as_text=True)
    _pages_show_no_raw_payload(admin, ["/staff"])
    with pytest.raises(InvalidInput):
        make_account(XSS[:80])  # user names are letters, digits and . _ - @
    guardian = make_account("guardian-xss")
    with write_session(engine) as session:  # a name as signed up (checked against the ID, not its characters)
        session.get(Account, guardian.id).display_name = XSS[:80]
    _pages_show_no_raw_payload(api_as(guardian), ["/me"])


# --- SQL injection ---------------------------------------------------------------------------

def _table_counts(engine) -> tuple[int, int, int]:
    with read_session(engine) as session:
        return tuple(session.exec(select(func.count()).select_from(model)).one() for model in (Application, Account, Event))


@pytest.mark.parametrize("attempt", SQL_INJECTIONS)
def test_sql_in_a_filter_is_only_ever_a_value(api_as, engine, season, catchments, now, make_account, attempt):
    submit_family(engine, season, now, "li-father")
    submit_family(engine, season, now, "jk-father", district="经开区", pupil_sequence="0031")
    reviewer = api_as(make_account("reviewer-dh", role="reviewer", district="东湖区"))
    admin = api_as(make_account("city-admin-1", role="city_admin"))
    operator = api_as(make_account("operator-1", role="operator"))
    before = _table_counts(engine)
    # (who, filter, the districts whose rows may come back): a filter holding the attempt matches
    # nothing; one a district reviewer cannot set anyway leaves them their own district only.
    for client, path, may_see in [
        (reviewer, "/api/v1/applications?state={}", set()), (reviewer, "/api/v1/applications?district={}", {"东湖区"}),
        (reviewer, "/api/v1/applications?problem={}", set()), (reviewer, "/api/v1/applications?page={}", {"东湖区"}),
        (admin, "/api/v1/applications?district={}", set()), (admin, "/api/v1/applications?state={}", set()),
        (reviewer, "/api/v1/applications?q={}", set()), (admin, "/api/v1/applications?q={}", set()),
        (reviewer, "/review/?state={}", None), (reviewer, "/review/?district={}", None), (admin, "/review/?district={}", None),
        (reviewer, "/review/?q={}", None),
        (operator, "/operator/audit?before={}", None), (admin, "/admin/rulesets/new?from={}", None), (reviewer, "/?lang={}", None),
    ]:
        response = client.call("GET", path.format(requests.utils.quote(attempt)))
        assert response.status_code < 500, f"{path}: {response.status_code}"
        if may_see is not None and response.status_code == 200:
            districts = {item["district"] for item in response.get_json()["items"]}
            assert districts <= may_see, f"{path} with {attempt!r} returned rows of {districts}"
    assert _table_counts(engine) == before


# --- IDOR ------------------------------------------------------------------------------------

def test_no_id_bearing_route_serves_another_familys_or_districts_application(app, api_as, engine, season,
                                                                           catchments, now, make_account):
    application = submit_family(engine, season, now, "li-father")
    owner = api_as(_account(engine, "li-father"))
    document = owner.call("POST", f"/api/v1/applications/{application.id}/documents",
                          content_type="multipart/form-data",
                          data={"kind": "other", "file": (io.BytesIO(b"%PDF-1.4 secret"), "a.pdf")})
    document_id = document.get_json()["id"] if document.status_code == 201 else application.id
    intruders = {"other guardian": api_as(make_account("guardian-b")),
                 "reviewer of 西湖区": api_as(make_account("reviewer-xh", role="reviewer", district="西湖区"))}
    routes = [(rule, method) for rule, method in _routes(app, {"GET", "POST", "PUT", "PATCH", "DELETE"})
              if any(name in rule.arguments for name in ("application_id", "document_id"))]
    assert len(routes) >= 12
    events_before = _events_of(engine, application.id)
    for who, client in intruders.items():
        for rule, method in routes:
            url = rule.build({name: document_id if name == "document_id" else application.id
                              for name in rule.arguments}, append_unknown=False)[1]
            response = client.call(method, url, json={"confirm": True, "decision": "approve", "kind": "property"})
            # Refused outright, or (a page form) sent back with the refusal as a message.
            assert response.status_code in (302, 401, 403, 404), f"{who}: {method} {url} answered {response.status_code}"
            assert "李小明" not in response.get_data(as_text=True) and b"secret" not in response.data
    assert _events_of(engine, application.id) == events_before  # nothing was done to the application
    with read_session(engine) as session:
        assert session.get(Application, application.id).state == "submitted"


def test_another_familys_application_answers_as_if_it_did_not_exist(api_as, engine, season, catchments, now,
                                                                    make_account):
    """Whether an id belongs to some family is itself something a guardian must not learn."""
    application = submit_family(engine, season, now, "li-father")
    intruder = api_as(make_account("guardian-b"))
    theirs, missing = (intruder.call("GET", f"/api/v1/applications/{n}") for n in (application.id, application.id + 1000))
    assert theirs.status_code == missing.status_code == 404
    assert {**theirs.get_json(), "message_en": ""} == {**missing.get_json(), "message_en": ""}  # that names the id
    theirs, missing = (intruder.call("GET", f"/guardian/applications/{n}") for n in (application.id, application.id + 1000))
    assert theirs.status_code == missing.status_code == 404
    assert theirs.get_data(as_text=True) == missing.get_data(as_text=True)


def _events_of(engine, application_id: int) -> list[str]:
    with read_session(engine) as session:
        return list(session.exec(select(Event.action).where(Event.subject_type == "application",
                                                            Event.subject_id == str(application_id))))


def _account(engine, username: str) -> Account:
    with read_session(engine) as session:
        return session.exec(select(Account).where(Account.username == username)).one()


# --- the real server: brute force, session fixation, headers, secrets ------------------------

def _new_session(base_url: str) -> requests.Session:
    browser = requests.Session()
    browser.headers["X-CSRF-Token"] = browser.get(base_url + "/api/v1/session", timeout=30).json()["csrf_token"]
    return browser


def _login(browser: requests.Session, base_url: str, username: str, password: str) -> requests.Response:
    answer = browser.post(base_url + "/api/v1/session", json={"username": username, "password": password}, timeout=30)
    if answer.ok:
        browser.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return answer


@pytest.fixture
def live(engine, season, make_account, serve):
    """A real two-worker server on the test database, with a guardian to attack."""
    make_account("li-father")
    return serve(workers=2, threads=2).base_url


def test_login_brute_force_is_throttled_across_workers_even_for_the_right_password(live):
    # Each try on a new connection, so the failures land on both workers: the count is shared.
    answers = [_login(_new_session(live), live, "li-father", f"guess-{n}").status_code for n in range(5)]
    assert answers == [401] * 5
    blocked = _login(_new_session(live), live, "li-father", PASSWORD)
    assert blocked.status_code == 429 and blocked.json()["code"] == "too_many_attempts"


def test_a_forged_forwarded_for_header_does_not_escape_the_throttle(live):
    # No trusted proxy configured: X-Forwarded-For is the client's word, and is ignored.
    for n in range(5):
        browser = _new_session(live)
        browser.headers["X-Forwarded-For"] = f"203.0.113.{n}"
        assert _login(browser, live, "li-father", f"guess-{n}").status_code == 401
    browser = _new_session(live)
    browser.headers["X-Forwarded-For"] = "203.0.113.99"
    assert _login(browser, live, "li-father", PASSWORD).status_code == 429


def test_behind_a_trusted_proxy_the_throttle_counts_each_client_address(engine, season, make_account, serve):
    make_account("li-father")
    base = serve(workers=1, threads=2, extra_args=("--proxy-hops", "1")).base_url

    def through_proxy(client_address: str) -> requests.Session:
        browser = _new_session(base)
        browser.headers["X-Forwarded-For"] = client_address
        return browser

    for n in range(5):
        assert _login(through_proxy("198.51.100.7"), base, "li-father", f"guess-{n}").status_code == 401
    assert _login(through_proxy("198.51.100.7"), base, "li-father", PASSWORD).status_code == 429
    assert _login(through_proxy("198.51.100.8"), base, "li-father", PASSWORD).status_code == 200


def test_a_session_cookie_planted_before_login_is_worthless_after_it(live):
    victim = _new_session(live)
    planted = dict(victim.cookies)  # what an attacker fixed in the victim's browser
    assert _login(victim, live, "li-father", PASSWORD).status_code == 200
    assert dict(victim.cookies) != planted
    assert victim.get(live + "/api/v1/session", timeout=30).json()["account"]["username"] == "li-father"
    attacker = requests.Session()
    attacker.cookies.update(planted)
    assert attacker.get(live + "/api/v1/session", timeout=30).json()["account"] is None
    assert attacker.get(live + "/api/v1/applications", timeout=30).status_code == 401


def test_every_kind_of_answer_from_the_real_server_carries_the_security_headers(live):
    browser = _new_session(live)
    _login(browser, live, "li-father", PASSWORD)
    answers = {path: browser.get(live + path, timeout=30, allow_redirects=False)
               for path in ("/login", "/guardian/", "/api/v1/applications", "/api/v1/applications/999999",
                            "/no/such/page", "/static/app.css")}
    for path, answer in answers.items():
        headers = answer.headers
        assert "frame-ancestors 'none'" in headers.get("Content-Security-Policy", ""), path
        assert headers.get("X-Content-Type-Options") == "nosniff", path
        assert headers.get("X-Frame-Options") == "DENY", path
        assert headers.get("Referrer-Policy"), path
    assert answers["/api/v1/applications/999999"].status_code == 404
    cookie = next(c for c in browser.cookies if c.name == "xuewei_session")
    assert cookie.has_nonstandard_attr("HttpOnly")


def test_the_server_refuses_to_start_without_a_secret_key_from_the_environment(engine, db_url, tmp_path):
    from bench.common import xuewei_server

    server = xuewei_server(database_url=db_url, log_path=tmp_path / "no-secret.log")
    server.env.pop("XUEWEI_SECRET_KEY")
    with pytest.raises(RuntimeError, match="exited"):
        server.start(timeout=120)
    assert "XUEWEI_SECRET_KEY" in server.log_path.read_text()


def test_no_secret_is_written_in_the_code():
    assignment = re.compile(r"""(?<![A-Za-z_])(SECRET_KEY|PASSWORD|TOKEN|API_KEY)\s*[:=]\s*["'][^"']{6,}["']""", re.IGNORECASE)
    credentials_in_url = re.compile(r"postgres(?:ql)?(?:\+\w+)?://\w+:[^@\s/]+@")
    offenders = []
    for folder in ("core", "web", "plugins"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            offenders += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in assignment.finditer(text)]
            offenders += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in credentials_in_url.finditer(text)]
    assert offenders == []


@pytest.mark.parametrize("db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_the_database_password_is_never_printed(engine, db_url):
    # The test server trusts local connections, so the password is accepted and the upgrade runs.
    url_with_password = db_url.replace("postgres@", "postgres:s3cret-pw@", 1)
    assert "s3cret-pw" in url_with_password
    result = CliRunner().invoke(main, ["db", "upgrade"], env={"DATABASE_URL": url_with_password})
    assert result.exit_code == 0 and "is up to date" in result.output
    assert "s3cret-pw" not in result.output
