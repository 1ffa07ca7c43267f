"""Every route of the guardian, reviewer, account and API areas tried as each role and anonymous.

An actor is *refused* when the answer is 401, 403, 404 or a redirect to the login page, and
*let through* otherwise (a 409 or 422 past the access check still counts as let through).
The application and document used belong to another family's guardian ("owner") in 东湖区.
"""
from __future__ import annotations

import io

import pytest

from tests.web.conftest import PASSWORD, AuthActions

OWN_BLUEPRINTS = ("health", "auth", "guardian", "review", "api", "static")
ACTORS = ("anonymous", "owner", "other_guardian", "reviewer_dh", "reviewer_xh", "district_admin_dh",
          "city_admin", "operator")
EVERYONE = set(ACTORS)
LOGGED_IN = EVERYONE - {"anonymous"}
OWNER = {"owner"}
GUARDIANS = {"owner", "other_guardian"}
SEES_APPLICATION = {"owner", "reviewer_dh", "district_admin_dh", "city_admin"}  # operators watch the season only
REVIEW_PAGES = {"reviewer_dh", "reviewer_xh", "district_admin_dh", "city_admin"}
DECIDES = {"reviewer_dh", "district_admin_dh"}
CITY_ADMIN = {"city_admin"}
ADMINISTRATORS = {"district_admin_dh", "city_admin"}  # take a decision back
QUEUE_OR_OWN = LOGGED_IN - {"operator"}

# (endpoint, method) -> who is let through
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("health.healthz", "GET"): EVERYONE, ("health.readyz", "GET"): EVERYONE, ("static", "GET"): EVERYONE,
    ("auth.index", "GET"): LOGGED_IN, ("auth.login", "GET"): EVERYONE, ("auth.login", "POST"): EVERYONE,
    ("auth.signup", "GET"): EVERYONE, ("auth.signup", "POST"): EVERYONE, ("auth.logout", "POST"): EVERYONE,
    ("auth.me", "GET"): LOGGED_IN, ("auth.staff", "GET"): CITY_ADMIN, ("auth.staff", "POST"): CITY_ADMIN,
    ("auth.staff_active", "POST"): CITY_ADMIN, ("auth.staff_password", "GET"): CITY_ADMIN,
    ("auth.staff_password", "POST"): CITY_ADMIN,
    ("guardian.home", "GET"): GUARDIANS, ("guardian.new_application", "GET"): GUARDIANS,
    ("guardian.new_application", "POST"): GUARDIANS, ("guardian.application", "GET"): OWNER,
    ("guardian.fetch_facts", "POST"): OWNER, ("guardian.basis", "POST"): OWNER, ("guardian.upload", "POST"): OWNER,
    ("guardian.confirm_submit", "GET"): OWNER, ("guardian.submit", "POST"): OWNER, ("guardian.supply", "POST"): OWNER,
    ("guardian.document", "GET"): SEES_APPLICATION, ("guardian.remove", "POST"): OWNER,
    ("guardian.withdraw", "POST"): OWNER, ("api.delete_application", "DELETE"): OWNER,
    ("review.queue", "GET"): REVIEW_PAGES, ("review.queue_csv", "GET"): REVIEW_PAGES,
    ("review.application", "GET"): REVIEW_PAGES & SEES_APPLICATION,
    ("review.decision", "POST"): DECIDES, ("review.document_verdict", "POST"): DECIDES,
    ("review.reopen_decision", "POST"): ADMINISTRATORS,
    ("api.get_session", "GET"): EVERYONE, ("api.login", "POST"): EVERYONE, ("api.logout", "DELETE"): EVERYONE,
    ("api.sign_up", "POST"): EVERYONE, ("api.season", "GET"): EVERYONE, ("api.openapi_json", "GET"): EVERYONE,
    ("api.staff_list", "GET"): CITY_ADMIN, ("api.staff_create", "POST"): CITY_ADMIN,
    ("api.staff_active", "POST"): CITY_ADMIN, ("api.staff_password", "POST"): CITY_ADMIN,
    ("api.list_applications", "GET"): QUEUE_OR_OWN, ("api.create_application", "POST"): GUARDIANS,
    ("api.get_application", "GET"): SEES_APPLICATION, ("api.fetch_facts", "POST"): OWNER,
    ("api.put_basis", "PUT"): OWNER, ("api.upload_document", "POST"): OWNER, ("api.get_document", "GET"): SEES_APPLICATION,
    ("api.submit", "POST"): OWNER, ("api.supply", "POST"): OWNER, ("api.decision", "POST"): DECIDES,
    ("api.document_review", "POST"): DECIDES, ("api.delete_document", "DELETE"): OWNER,
}

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def _body(endpoint: str, token: str):
    """A well-formed request for the endpoint, so the answer is about access, not input."""
    if endpoint in ("guardian.upload", "api.upload_document"):
        return {"data": {"kind": "other", "file": (io.BytesIO(PNG), "a.png"), "csrf_token": token},
                "content_type": "multipart/form-data"}
    if endpoint.startswith("api."):
        payloads = {"api.put_basis": {"kind": "property", "id": "P1"}, "api.submit": {"confirm": True},
                    "api.decision": {"decision": "reject", "reason": ""},
                    "api.document_review": {"verdict": "rejected", "reason": ""}, "api.login": {"username": "x", "password": "y"}}
        if endpoint == "api.fetch_facts":
            return {}
        return {"json": payloads.get(endpoint, {})}
    forms = {"guardian.basis": {"basis": "property:P1"}, "guardian.submit": {"confirm": "yes"},
             "review.decision": {"decision": "reject", "reason": "", "version": "1"},
             "review.reopen_decision": {"reason": "", "version": "1"},
             "review.document_verdict": {"verdict": "rejected", "reason": "", "version": "1"}}
    return {"data": {**forms.get(endpoint, {}), "csrf_token": token}}


@pytest.fixture
def world(app, engine, submitted, make_account, tmp_path):
    """The owner's submitted application with one document, and an account for every actor."""
    from core.audit import append_event
    from core.db import write_session
    from core.documents import store_document
    from core.models import Application
    from core.workflow import Actor

    make_account("other-parent")
    make_account("rev-dh", role="reviewer", district="东湖区")
    make_account("rev-xh", role="reviewer", district="西湖区")
    make_account("dadmin-dh", role="district_admin", district="东湖区")
    make_account("city", role="city_admin")
    make_account("op", role="operator")
    with write_session(engine) as session:  # back to returned, so uploads are possible for the owner
        row = session.get(Application, submitted.id)
        row.state = "returned"
        session.add(row)
    document = store_document(engine, submitted.id, actor=Actor("li-father", "guardian", submitted.guardian_id),
                              kind="other", filename="a.png", data=PNG, now=submitted.created_at,
                              max_bytes=1 << 20, root=tmp_path / "documents")
    with write_session(engine) as session:  # returned again since: the document stays, whoever tries to remove it
        append_event(session, actor="rev-dh", actor_role="reviewer", subject_type="application",
                     subject_id=submitted.id, action="return_for_materials", from_state="submitted",
                     to_state="returned", reason="再补一份", at=submitted.created_at)
    return {"application_id": submitted.id, "document_id": document.id, "filename": "app.css", "username": "op"}


USERNAMES = {"owner": "li-father", "other_guardian": "other-parent", "reviewer_dh": "rev-dh", "reviewer_xh": "rev-xh",
             "district_admin_dh": "dadmin-dh", "city_admin": "city", "operator": "op"}


def _url(app, rule, world) -> str:
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{name: world[name] for name in rule.arguments})


def _refused(response) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")


def _cases(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in OWN_BLUEPRINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_own_route_has_an_expectation(app):
    missing = {(rule.endpoint, method) for rule, method in _cases(app)} - set(EXPECTED)
    assert not missing


@pytest.mark.parametrize("actor", ACTORS)
def test_each_route_lets_through_exactly_whom_it_should(app, world, actor):
    client = app.test_client()
    auth = AuthActions(client)
    if actor != "anonymous":
        assert auth.login(USERNAMES[actor], PASSWORD).status_code == 302
    token = AuthActions(client).csrf() if actor != "anonymous" else _anonymous_token(client)
    wrong = []
    for rule, method in _cases(app):
        if (rule.endpoint, method) in (("auth.logout", "POST"), ("api.logout", "DELETE"), ("api.login", "POST"),
                                       ("auth.login", "POST")):
            continue  # these end or replace the session; tried in test_login and test_rest_api
        response = client.open(_url(app, rule, world), method=method, headers={"X-CSRF-Token": token},
                               **_body(rule.endpoint, token))
        allowed = actor in EXPECTED[(rule.endpoint, method)]
        if _refused(response) == allowed:
            wrong.append((rule.endpoint, method, response.status_code))
    assert not wrong


def _anonymous_token(client) -> str:
    return client.get("/api/v1/session").get_json()["csrf_token"]


def test_refusals_leak_nothing_of_the_application(app, world, submitted):
    client = app.test_client()
    AuthActions(client).login("other-parent")
    for path in (f"/guardian/applications/{submitted.id}", f"/api/v1/applications/{submitted.id}",
                 f"/guardian/documents/{world['document_id']}", f"/review/applications/{submitted.id}"):
        body = client.get(path).get_data(as_text=True)
        assert submitted.pupil_id_number not in body and "李小明" not in body
