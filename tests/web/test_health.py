"""Liveness and readiness as a load balancer asks them: not ready is a 503 with the reason."""
from __future__ import annotations

import shutil

from sqlalchemy import create_engine


def test_a_ready_host_says_so(client):
    assert client.get("/readyz").get_json() == {"status": "ready"}


def test_without_its_database_a_host_is_not_ready_and_says_why_in_one_line(app, client, caplog):
    app.extensions["xuewei.engine"] = create_engine("sqlite:////nonexistent/folder/x.sqlite3")
    response = client.get("/readyz")
    assert (response.status_code, response.get_json()) == (503, {"status": "not ready", "reason": "database"})
    assert client.get("/healthz").status_code == 200  # alive: nothing to restart
    [line] = [r for r in caplog.records if r.name == "web.health"]
    assert line.exc_info is None  # no traceback per probe


def test_without_its_documents_folder_a_host_is_not_ready(app, client):
    """On several hosts the folder is a shared mount: a host without it would keep uploads to itself."""
    shutil.rmtree(app.config["DOCUMENTS_DIR"])
    response = client.get("/readyz")
    assert (response.status_code, response.get_json()) == (503, {"status": "not ready", "reason": "documents"})
