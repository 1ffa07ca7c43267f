"""Import pages: schools, capacities and catchments from CSV (catchments also JSON), with every faulty row listed."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from core.db import read_session, write_session
from core.imports import IMPORTERS, ImportFailed, import_file, summary
from core.portal import active_season
from web.admin import ADMINS, bp
from web.context import engine
from web.i18n import t
from web.security import current_actor, role_required


def _page(failed: ImportFailed | None = None, kind: str | None = None, status: int = 200):
    """The imports page; after a refused file, its problems (the first ones, and how many more)."""
    with read_session(engine()) as session:
        held = summary(session, active_season(session))
    return render_template("admin/imports.html", held=held, problems=failed.shown if failed else [],
                           unshown=failed.unshown if failed else 0, failed_kind=kind), status


@bp.get("/imports")
@role_required(*ADMINS)
def imports():
    """The three upload forms and what the season holds so far."""
    return _page()


@bp.post("/imports/<kind>")
@role_required(*ADMINS)
def run_import(kind: str):
    """Import one file; nothing changes unless every row is right, and a catchments file that
    would remove schools' catchments only when the form confirms replacing them all."""
    if kind not in IMPORTERS:
        abort(404)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(t("请选择要导入的CSV文件", "choose a CSV file to import"), "error")
        return redirect(url_for("admin.imports"))
    try:
        with write_session(engine()) as session:
            result = import_file(session, active_season(session), kind, upload.read(), actor=current_actor(),
                                 filename=upload.filename, replace=request.form.get("replace") == "1")
    except ImportFailed as error:
        return _page(error, kind, status=422)
    flash(t(result.zh, result.message), "ok")
    return redirect(url_for("admin.imports"))
