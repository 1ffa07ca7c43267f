"""Fixtures for the web layer: an app on the `engine` fixture, a client, logins per role.

`web_hooks` is a plugin manager holding one test plugin whose identity check refuses the
face image b"someone else"; fact sources come from whatever `web_hooks` registers.
"""
from __future__ import annotations

import re

import pytest

from core.hookspecs import hookimpl
from core.plugins import Hooks, PluginManager
from web import create_app

PASSWORD = "correct horse 1"
CSRF_PATTERN = re.compile(r'name="csrf_token" value="([^"]+)"')


class FaceCheck:
    """The identity hook as a test plugin: any face but b"someone else" passes."""

    @hookimpl
    def verify_identity(self, id_number, name, face_image):
        if face_image == b"someone else":
            return {"verified": False, "method": "face", "score": 0.2, "reason": "人脸与身份证照片不一致"}
        return {"verified": True, "method": "face", "score": 0.98}


@pytest.fixture
def plugin_manager():
    """A plugin manager with only the test identity plugin (tests add connectors to it)."""
    pm = PluginManager()
    pm.register(FaceCheck(), name="face-check")
    return pm


@pytest.fixture
def app(engine, clock, plugin_manager, tmp_path):
    """The app on the test database, with the fixed season clock and the test plugins."""
    return create_app({
        "TESTING": True, "SECRET_KEY": "test-secret", "ENGINE": engine, "CLOCK": clock,
        "HOOKS": Hooks(plugin_manager), "PLUGIN_MANAGER": plugin_manager,
        "DOCUMENTS_DIR": str(tmp_path / "documents"),
    })


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_from(client, path: str = "/login") -> str:
    """The CSRF token of the client's session, as a page renders it."""
    match = CSRF_PATTERN.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF field on {path}"
    return match.group(1)


class AuthActions:
    """Log a test client in and out through the real login form."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = PASSWORD):
        token = csrf_from(self.client)
        return self.client.post("/login", data={"username": username, "password": password, "csrf_token": token})

    def csrf(self) -> str:
        with self.client.session_transaction() as session:
            return session["csrf"]


@pytest.fixture
def auth(client):
    return AuthActions(client)


def ruleset_tests() -> dict:
    """The 2021 ruleset's embedded test data: catchments and model families."""
    import json

    from core.paths import ruleset_path

    return json.loads(ruleset_path(2021).read_text())["tests"]


def valid_id(number: str) -> str:
    """The same number with a correct GB 11643 check character (the tests' families have none)."""
    from core.idnumbers import resident_id_check_char

    return number[:17] + resident_id_check_char(number[:17])


def family_fragments(name: str) -> dict[str, dict]:
    """A model family of the ruleset's tests, cut into what each data source would say.

    Every ID number in it gets a correct check character, so the pupil can be registered.
    """
    import json

    text = json.dumps(ruleset_tests()["families"][name], ensure_ascii=False)
    for number in set(re.findall(r'"(\d{17}[\dX])"', text)):
        text = text.replace(number, valid_id(number))
    facts = json.loads(text)
    people = [{"relation": g["relation"], "id_number": g["id_number"], "name": g["name"]} for g in facts["guardians"]]
    pupil = {k: v for k, v in facts["pupil"].items() if k != "hukou"}
    fragments = {
        "pupil_record": {"pupil": pupil, "guardians": people},
        "hukou": {"pupil": {"id_number": pupil["id_number"], "hukou": facts["pupil"]["hukou"]},
                  "guardians": [{"relation": g["relation"], "id_number": g["id_number"], "hukou": g["hukou"]}
                                for g in facts["guardians"] if g.get("hukou")]},
    }
    for key in ("properties", "leases", "residence_permits", "social_insurance", "business", "employment",
                "demolition"):
        fragments[key] = {key: facts.get(key)}
    return fragments


class Family:
    """Every data source as a test plugin answering for one model family; `down` sources fail."""

    def __init__(self, name: str):
        self.fragments = family_fragments(name)
        self.down: set[str] = set()

    def _answer(self, source: str):
        if source in self.down:
            raise ConnectionError(f"{source} is down")
        return self.fragments[source]

    @hookimpl
    def fetch_pupil_record(self, pupil_id_number):
        return self._answer("pupil_record")

    @hookimpl
    def fetch_hukou(self, id_numbers):
        return self._answer("hukou")

    @hookimpl
    def fetch_properties(self, id_numbers):
        return self._answer("properties")

    @hookimpl
    def fetch_leases(self, id_numbers):
        return self._answer("leases")

    @hookimpl
    def fetch_residence_permits(self, id_numbers):
        return self._answer("residence_permits")

    @hookimpl
    def fetch_social_insurance(self, id_numbers):
        return self._answer("social_insurance")

    @hookimpl
    def fetch_business(self, id_numbers):
        return self._answer("business")

    @hookimpl
    def fetch_employment(self, id_numbers):
        return self._answer("employment")

    @hookimpl
    def fetch_demolition(self, id_numbers):
        return self._answer("demolition")


@pytest.fixture
def family(plugin_manager, app):
    """The tier-1 family 李 answering every source, through a runtime that never retries."""
    from core.connectors.runtime import ConnectorRuntime, Policy

    answering = Family("li_tier1")
    plugin_manager.register(answering, name="family")
    app.config["CONNECTOR_RUNTIME"] = ConnectorRuntime(plugin_manager, default=Policy(retries=0))
    return answering


@pytest.fixture
def catchments(engine, season):
    """The ruleset tests' catchments imported as schools and catchment rows of the season."""
    from core.db import write_session
    from core.models import Catchment, School

    with write_session(engine) as session:
        for position, item in enumerate(ruleset_tests()["catchments"]):
            school = School(season_id=season.id, code=item["school_id"], name=item["school_name"], stage="middle",
                            district=item["district"], capacity=100, x=float(position), y=0.0)
            session.add(school)
            session.flush()
            session.add(Catchment(season_id=season.id, code=item["school_id"], school_id=school.id, rules=item["rules"]))


LI_PUPIL = valid_id("360102200907150011")


def submit_family(engine, season, now, guardian_username: str, *, family: str = "li_tier1",
                  district: str = "东湖区", pupil_sequence: str | None = None, fragments: dict | None = None):
    """A guardian's application built through the core services and submitted; returns it as
    stored after submission (its state, serial, submission time and version), read anew.

    `fragments` are what the sources answered when not the model family's `family_fragments`
    (a source left out never answered)."""
    from core.accounts import create_account
    from core.applications import choose_basis, record_facts, start_application, submit_application
    from core.db import read_session, write_session
    from core.models import Application

    fragments = fragments or family_fragments(family)
    pupil = fragments["pupil_record"]["pupil"]["id_number"]
    if pupil_sequence is not None:  # a second family reusing the model's facts under another pupil
        pupil = valid_id(pupil[:14] + pupil_sequence)
    with write_session(engine) as session:
        guardian = create_account(session, username=guardian_username, password=PASSWORD, role="guardian")
        application = start_application(session, season=season, guardian=guardian, pupil_id_number=pupil,
                                        pupil_name="李小明", district=district, now=now)
        for source, payload in fragments.items():
            record_facts(session, application, source=source, payload=payload, fetched_at=now, connector="test")
    choose_basis(engine, application.id, account=guardian, basis={"kind": "property", "id": "P1"}, now=now)
    submit_application(engine, application.id, account=guardian, now=now)
    with read_session(engine) as session:
        return session.get(Application, application.id)


@pytest.fixture
def submitted(engine, season, catchments, now):
    """Application of guardian "li-father" in 东湖区, submitted with the tier-1 family's facts."""
    return submit_family(engine, season, now, "li-father")
