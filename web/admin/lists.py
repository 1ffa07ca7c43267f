"""The locked preparation lists (§4.1): import a draft, submit it, propose and decide corrections.

The rules (who may import which list, before collection only, locked once submitted, a
correction approved by a city administrator) are the season's list service's; this page
turns CSV uploads into its calls and shows every version.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from core.db import read_session
from core.errors import InvalidInput, UserFacingError
from core.imports import ImportFailed, decode_csv, list_entries, locked_lists
from core.portal import active_season, season_districts
from core.rulesets import clause_wordings
from core.season.lists import LIST_KINDS, decide_correction, import_list, may_act, propose_correction, submit_list
from web.admin import bp
from web.context import engine, now
from web.i18n import t, term
from web.security import current_actor, role_required

LIST_STAFF = ("city_admin", "district_admin")
def _season():
    with read_session(engine()) as session:
        return active_season(session)


@bp.get("/lists")
@role_required(*LIST_STAFF)
def lists():
    """Every list with its versions, and the forms the signed-in account may use: submit and
    correct only on the lists it is responsible for (its own district's, for district staff)."""
    with read_session(engine()) as session:
        season = active_season(session)
        held = locked_lists(session, season)
        districts = season_districts(session, season)
        clauses = clause_wordings(session, season.active_ruleset_sha256)  # "§4.1" as the season's notice numbers it
    actor = current_actor()
    acting = {item["list"].id for item in held if may_act(item["list"].kind, item["list"].owner, actor)}
    return render_template("admin/lists.html", held=held, kinds=LIST_KINDS, districts=districts, acting=acting,
                           clauses=clauses)


def _entries():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput("没有选择文件", "no file was chosen", field="file")
    return list_entries(decode_csv(upload.read()))


def _done(action):
    """Run a list-service call; its refusals become messages on the lists page."""
    try:
        version = action()
    except ImportFailed as error:
        flash(t("名单文件有问题，未作任何更改：" + error.zh, "the list file was refused, nothing changed: " + str(error)),
              "error")
    except UserFacingError as error:
        flash(t(error.zh, error.en), "error")
    else:
        state = term("list_state", version.state)
        flash(t(f"名单第 {version.version} 版：{state}", f"list version {version.version}: {state}"), "ok")
    return redirect(url_for("admin.lists"))


@bp.post("/lists/import")
@role_required(*LIST_STAFF)
def import_locked_list():
    """Import (or replace) a draft list during preparation."""
    owner = request.form.get("owner") or current_actor().district or "city"
    return _done(lambda: import_list(engine(), _season(), kind=request.form.get("kind", ""), owner=owner,
                                     entries=_entries(), actor=current_actor(), now=now()))


@bp.post("/lists/<int:list_id>/submit")
@role_required(*LIST_STAFF)
def submit_locked_list(list_id: int):
    """Submit a draft: from now on it is locked."""
    return _done(lambda: submit_list(engine(), _season(), list_id, actor=current_actor(), now=now()))


@bp.post("/lists/<int:list_id>/correction")
@role_required(*LIST_STAFF)
def propose_list_correction(list_id: int):
    """A corrected list with its reason, for a city administrator to decide."""
    return _done(lambda: propose_correction(engine(), _season(), list_id, entries=_entries(),
                                            reason=request.form.get("reason", ""), actor=current_actor(), now=now()))


@bp.post("/lists/versions/<int:version_id>/decision")
@role_required("city_admin")
def decide_list_correction(version_id: int):
    """Approve or refuse a proposed correction (audited either way)."""
    return _done(lambda: decide_correction(engine(), _season(), version_id, approve=request.form.get("approve") == "1",
                                           actor=current_actor(), now=now(), reason=request.form.get("reason")))
