"""`GET /metrics`: the season's figures for Prometheus, behind a bearer token.

The token is `XUEWEI_METRICS_TOKEN`; without it the endpoint does not exist (404), so an
installation that does not scrape exposes nothing. The figures are queries (core.prometheus),
the same whichever worker or host answers.
"""
from __future__ import annotations

import hmac
import os

from flask import Blueprint, Flask, Response, abort, current_app, request

from core.db import read_session
from core.prometheus import CONTENT_TYPE, exposition, season_metrics
from core.types import utcnow
from web.context import engine, now

__all__ = ["bp", "init_app"]

bp = Blueprint("metrics", __name__)


def init_app(app: Flask) -> None:
    """Read the token once, as every other setting (a test may give `METRICS_TOKEN`)."""
    app.config.setdefault("METRICS_TOKEN", os.environ.get("XUEWEI_METRICS_TOKEN") or None)
    app.register_blueprint(bp)


def _authorised(expected: str) -> bool:
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), expected.encode())


@bp.get("/metrics")
def metrics():
    """The exposition text: 404 without a configured token, 401 without the right one."""
    expected = current_app.config.get("METRICS_TOKEN")
    if not expected:
        abort(404)
    if not _authorised(expected):
        return Response("unauthorised\n", 401, {"WWW-Authenticate": 'Bearer realm="xuewei metrics"'},
                        content_type="text/plain; charset=utf-8")
    with read_session(engine()) as session:
        text = exposition(season_metrics(session, now=now(), wall_now=utcnow()))
    return Response(text, content_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})
