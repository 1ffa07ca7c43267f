"""Health and readiness endpoints for load balancers and operators.

`/healthz` is liveness: the process answers (a load balancer restarts nothing on its failure,
an orchestrator may). `/readyz` is readiness: this host can serve families now, so the balancer
sends it traffic only then — the database answers, and the documents folder (on several hosts, a
shared mount) is there to write to. Not ready is a 503 with the reason, never an error page.
"""
from __future__ import annotations

import logging
import os

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from web.context import documents_root

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    """The process answers."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """The database answers and the documents folder takes files."""
    try:
        with current_app.extensions["xuewei.engine"].connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:  # one line per probe, not a traceback: the balancer asks every few seconds
        log.warning("not ready: the database does not answer (%s)", type(error.__cause__ or error).__name__)
        return jsonify(status="not ready", reason="database"), 503
    folder = documents_root()
    if not (folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)):
        log.warning("not ready: the documents folder %s is missing or not writable", folder)
        return jsonify(status="not ready", reason="documents"), 503
    return jsonify(status="ready")
