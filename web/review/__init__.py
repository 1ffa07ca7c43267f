"""The reviewers' pages: the district queue, one application in full, the decision."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("review", __name__, url_prefix="/review")

from web.review import views  # noqa: E402,F401  (routes register on bp)
