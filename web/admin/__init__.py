"""The city administrators' pages: rulesets (edit, check, compare, simulate, activate) and imports."""
from __future__ import annotations

from flask import Blueprint, render_template

from core import ruleset_editor as editor
from core.db import read_session
from core.portal import current_season
from web.context import engine
from web.security import role_required

__all__ = ["bp", "ADMINS"]

bp = Blueprint("admin", __name__, url_prefix="/admin")

ADMINS = ("city_admin",)


@bp.get("/")
@role_required(*ADMINS)
def index():
    """Every season's ruleset versions (next year's drafts beside this year's) and the way to
    every administrator's task."""
    with read_session(engine()) as session:
        stored = editor.versions(session)
        season = current_season(session)  # None on a new installation: the first ruleset uploaded opens it
    return render_template("admin/index.html", season=season, versions=stored)


from web.admin import drafts, imports, lists, rulesets  # noqa: E402,F401  (their routes register on bp)
