"""The REST API under /api/v1: session cookie plus an X-CSRF-Token header (see docs/api.md)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from web.api import applications, openapi, session  # noqa: E402,F401  (routes register on bp)
