"""The Flask application factory: one blueprint per audience, settings from the environment."""
from __future__ import annotations

import os
from datetime import timedelta

from flask import Flask, current_app
from werkzeug.routing import IntegerConverter

from core.clock import RealClock, clock_from_env
from core.config import database_url, secret_key, secret_key_fallbacks
from core.connectors.runtime import ConnectorRuntime
from core.db import get_engine
from core.documents import documents_dir

__all__ = ["create_app"]


class _RowId(IntegerConverter):
    """`<int:…>` in our URLs is a row id: past a 32-bit INTEGER no row exists, so such a URL is a
    404 instead of a database error (PostgreSQL refuses the out-of-range parameter)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def _favicon():
    """The site's icon where browsers look without a page's link (a download, a JSON answer):
    otherwise every such visit leaves a 404 in the log."""
    return current_app.send_static_file("favicon.svg")


#: How long a login lasts from its last request (docs/deploy.md): a working day at the counter,
#: and a family's phone left signed in does not stay so for weeks.
SESSION_LIFETIME = timedelta(hours=8)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app; no threads, no scheduler, no network (those have their own commands).

    `test_config` may carry `CLOCK` (a core.clock clock), `HOOKS` (a core.plugins.Hooks
    facade) and `ENGINE` (an engine to use instead of one made from DATABASE_URL).
    """
    app = Flask(__name__)
    app.url_map.converters["int"] = _RowId
    app.config.from_mapping(
        DATABASE_URL=database_url(),
        SECRET_KEY=secret_key(),
        SECRET_KEY_FALLBACKS=secret_key_fallbacks(),
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        SESSION_COOKIE_NAME="xuewei_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("XUEWEI_COOKIE_SECURE", "0") == "1",
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        MAX_DOCUMENT_BYTES=5 * 1024 * 1024,
        MAX_FACE_IMAGE_BYTES=2 * 1024 * 1024,
        DOCUMENTS_DIR=os.environ.get("XUEWEI_DOCUMENTS_DIR"),
        JSON_AS_ASCII=False,
    )
    if test_config:
        app.config.update(test_config)
    if not app.config["SECRET_KEY"]:
        raise RuntimeError("XUEWEI_SECRET_KEY is not set: sessions cannot be signed (see docs/deploy.md)")
    app.json.ensure_ascii = False
    app.extensions["xuewei.engine"] = app.config.get("ENGINE") or get_engine(app.config["DATABASE_URL"])
    app.extensions["xuewei.clock"] = clock = app.config.get("CLOCK") or clock_from_env()
    if app.config.get("CONNECTOR_RUNTIME") is None and not isinstance(clock, RealClock):
        # A season clock that is not the wall clock (the demo's, a rehearsal's): the sources'
        # answers are stamped by it too, or a page would show two calendars side by side.
        app.config["CONNECTOR_RUNTIME"] = ConnectorRuntime(now=clock.now)
    if app.config.get("HOOKS") is not None:
        app.extensions["xuewei.hooks"] = app.config["HOOKS"]
    # Made here, not at the first upload: /readyz takes a missing folder for a missing mount.
    documents_dir(app.config["DOCUMENTS_DIR"]).mkdir(parents=True, exist_ok=True)

    from web import admin, api, auth, errors, guardian, health, i18n, metrics, operator, review, security, static_versions

    i18n.init_app(app)
    static_versions.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    app.register_blueprint(health.bp)
    metrics.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(guardian.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(operator.bp)
    app.register_blueprint(admin.bp)
    app.add_url_rule("/favicon.ico", "favicon", _favicon)
    return app
