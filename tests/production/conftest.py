"""Fixtures for the production tests: real `xuewei serve` processes on the test database."""
from __future__ import annotations

import pytest

from bench.common import ServerProcess, xuewei_server

SECRET_KEY = "production-tests-secret"
SEASON_NOW = "2021-06-01T10:00:00+08:00"


@pytest.fixture
def serve(db_url, tmp_path):
    """Factory: start `xuewei serve` on the test database; every server is stopped afterwards."""
    servers: list[ServerProcess] = []

    def start(*, workers: int = 2, threads: int = 4, preload: bool = False, port: int | None = None,
              extra_args: tuple[str, ...] = (), extra_env: dict[str, str] | None = None) -> ServerProcess:
        server = xuewei_server(database_url=db_url, log_path=tmp_path / f"server-{len(servers)}.log", port=port,
                               workers=workers, threads=threads, preload=preload, extra_args=extra_args,
                               extra_env={"XUEWEI_SECRET_KEY": SECRET_KEY, "XUEWEI_NOW": SEASON_NOW,
                                          "XUEWEI_DOCUMENTS_DIR": str(tmp_path / "documents"),
                                          **(extra_env or {})})
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


# The in-process app and its plugin manager, as the web tests build them.
from tests.web.conftest import app, catchments, client, plugin_manager  # noqa: E402,F401


@pytest.fixture
def signed_in_as(app):
    """Factory: (cookies, headers) of `account` logged in to the in-process app, CSRF header included."""
    from bench.load import signed_in

    def credentials(account) -> tuple[dict[str, str], dict[str, str]]:
        cookie, csrf = signed_in(app, account)
        return {app.config["SESSION_COOKIE_NAME"]: cookie}, {"X-CSRF-Token": csrf}

    return credentials


class ApiAs:
    """An in-process client logged in as one account, sending its CSRF token on every call."""

    def __init__(self, app, cookies: dict[str, str], headers: dict[str, str]):
        self.client = app.test_client()
        for name, value in cookies.items():
            self.client.set_cookie(name, value)
        self.headers = headers

    def call(self, method: str, path: str, **kwargs):
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.client.open(path, method=method, headers=headers, **kwargs)


@pytest.fixture
def api_as(app, signed_in_as):
    """Factory: ApiAs for an account."""
    return lambda account: ApiAs(app, *signed_in_as(account))
