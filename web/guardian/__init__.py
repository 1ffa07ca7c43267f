"""The guardian portal: season status, start, facts, basis, documents, submit, status."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("guardian", __name__, url_prefix="/guardian")

from web.guardian import views  # noqa: E402,F401  (routes register on bp)
