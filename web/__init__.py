"""The Flask application factory: one blueprint per audience, settings from the environment."""
from __future__ import annotations

from flask import Flask

from core.config import database_url, secret_key
from core.db import get_engine

__all__ = ["create_app"]


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app; no threads, no scheduler, no network (those have their own commands)."""
    app = Flask(__name__)
    app.config.from_mapping(
        DATABASE_URL=database_url(),
        SECRET_KEY=secret_key(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
    )
    if test_config:
        app.config.update(test_config)
    if not app.config["SECRET_KEY"]:
        raise RuntimeError("XUEWEI_SECRET_KEY is not set: sessions cannot be signed (see docs/deploy.md)")
    app.extensions["xuewei.engine"] = get_engine(app.config["DATABASE_URL"])

    from web import health

    app.register_blueprint(health.bp)
    return app
