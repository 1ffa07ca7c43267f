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
