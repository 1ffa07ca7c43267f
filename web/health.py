"""Health and readiness endpoints for load balancers and operators."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process answers."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """The database answers too."""
    engine = current_app.extensions["xuewei.engine"]
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return jsonify(status="ready")
