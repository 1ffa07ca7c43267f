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
