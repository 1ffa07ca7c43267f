"""A stored version's note, and deleting a draft made by mistake (core.ruleset_drafts)."""
from __future__ import annotations

from flask import flash, redirect, request, url_for

from core import ruleset_drafts as drafts
from core.db import write_session
from core.errors import InvalidInput
from web.admin import ADMINS, bp
from web.context import engine
from web.i18n import t
from web.security import current_actor, role_required

__all__: list[str] = []  # routes only: they register on web.admin.bp


@bp.post("/rulesets/<sha256>/note")
@role_required(*ADMINS)
def ruleset_note(sha256: str):
    """Say what the version is for: shown in the versions list, audited when it changes."""
    try:
        with write_session(engine()) as session:
            drafts.set_note(session, sha256, request.form.get("note", ""), current_actor())
    except InvalidInput as error:
        flash(t(error.zh, error.en), "error")
    else:
        flash(t("备注已保存", "The note is saved"), "ok")
    return redirect(url_for("admin.ruleset", sha256=sha256))


@bp.post("/rulesets/<sha256>/delete")
@role_required(*ADMINS)
def delete_ruleset(sha256: str):
    """Delete a draft never active that nothing refers to, once the administrator ticked that
    they mean it; refused, in words, otherwise."""
    if request.form.get("confirmed") != "1":
        flash(t("请勾选确认后再删除", "tick the confirmation to delete the draft"), "error")
        return redirect(url_for("admin.ruleset", sha256=sha256))
    try:
        with write_session(engine()) as session:
            deleted = drafts.delete_draft(session, sha256, current_actor())
    except drafts.DraftNotDeletable as error:
        flash(t(f"不能删除：{error.zh}", f"cannot delete: {error.en}"), "error")
        return redirect(url_for("admin.ruleset", sha256=sha256))
    flash(t(f"草稿 {deleted.ruleset_id} {deleted.version}（{sha256[:12]}）已删除",
            f"the draft {deleted.ruleset_id} {deleted.version} ({sha256[:12]}) is deleted"), "ok")
    return redirect(url_for("admin.index"))
