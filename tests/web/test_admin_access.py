"""Every route of the administrators' and operators' areas tried as each role and anonymous.

*Refused* is 401, 403, 404 or a redirect to the login page; anything else (a page, a 422 for an
empty form, a redirect with a message) means the access check let the actor through.
"""
from __future__ import annotations

import pytest

from tests.web.conftest import AuthActions

AREAS = ("admin", "operator")
ACCOUNTS = {  # actor -> (username, role, district)
    "guardian": ("parent", "guardian", None), "reviewer": ("rev-dh", "reviewer", "东湖区"),
    "district_admin": ("dadmin-dh", "district_admin", "东湖区"), "city_admin": ("city", "city_admin", None),
    "operator": ("op", "operator", None),
}
ACTORS = ("anonymous", *ACCOUNTS)
CITY = {"city_admin"}
LIST_STAFF = {"city_admin", "district_admin"}
WATCHERS = {"operator", "city_admin"}

EXPECTED: dict[tuple[str, str], set[str]] = {
    ("admin.index", "GET"): CITY, ("admin.new_ruleset", "GET"): CITY, ("admin.save_ruleset", "POST"): CITY,
    ("admin.ruleset", "GET"): CITY, ("admin.ruleset_json", "GET"): CITY, ("admin.simulation", "GET"): CITY,
    ("admin.activate", "POST"): CITY, ("admin.ruleset_note", "POST"): CITY, ("admin.delete_ruleset", "POST"): CITY,
    ("admin.imports", "GET"): CITY, ("admin.run_import", "POST"): CITY,
    ("admin.lists", "GET"): LIST_STAFF, ("admin.import_locked_list", "POST"): LIST_STAFF,
    ("admin.submit_locked_list", "POST"): LIST_STAFF, ("admin.propose_list_correction", "POST"): LIST_STAFF,
    ("admin.decide_list_correction", "POST"): CITY,
    ("operator.dashboard", "GET"): WATCHERS, ("operator.dashboard_json", "GET"): WATCHERS,
    ("operator.retry_application", "POST"): WATCHERS, ("operator.retry_job", "POST"): WATCHERS,
    ("operator.audit", "GET"): WATCHERS,
}


def _cases(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in AREAS:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def _url(app, rule, season) -> str:
    from flask import url_for

    arguments = {"sha256": season.active_ruleset_sha256, "kind": "schools", "list_id": 1, "version_id": 1,
                 "application_id": 999, "job_id": "no-such-job"}
    with app.test_request_context():
        return url_for(rule.endpoint, **{name: arguments[name] for name in rule.arguments})


def _refused(response) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")


def test_every_admin_and_operator_route_has_an_expectation(app):
    assert {(rule.endpoint, method) for rule, method in _cases(app)} == set(EXPECTED)


@pytest.mark.parametrize("actor", ACTORS)
def test_each_admin_and_operator_route_lets_through_exactly_whom_it_should(app, season, make_account, actor):
    client = app.test_client()
    auth = AuthActions(client)
    if actor == "anonymous":
        token = client.get("/api/v1/session").get_json()["csrf_token"]
    else:
        username, role, district = ACCOUNTS[actor]
        make_account(username, role=role, district=district)
        assert auth.login(username).status_code == 302
        token = auth.csrf()
    wrong = []
    for rule, method in _cases(app):
        response = client.open(_url(app, rule, season), method=method, data={"csrf_token": token})
        if _refused(response) == (actor in EXPECTED[(rule.endpoint, method)]):
            wrong.append((rule.endpoint, method, response.status_code))
    assert not wrong
