"""Guardian pages; every step calls one core service and shows its refusal at the field."""
from __future__ import annotations

from collections.abc import Callable

from flask import current_app, flash, make_response, redirect, render_template, request, url_for

from core.applications import choose_basis, submit_application, withdraw_draft
from core.documents import DOCUMENT_KINDS, remove_document, store_document
from core.errors import UserFacingError
from core.facts import NotTheGuardian, collect_facts
from core.portal import (active_districts, application_view, applications_of, guardian_page_view, open_application,
                         read_application_state_labels, season_overview, status_page_version, supply_materials)
from core.workflow import StaleWrite
from web.conditional import message_waiting, not_modified, page_etag, revalidate_each_time, unchanged_since
from web.context import connector_runtime, documents_root, engine, now
from web.downloads import document_response
from web.errors import anchor_unless_refused, message_of, message_unless_refused
from web.guardian import bp
from web.i18n import t
from web.inputs import form_row_version
from web.security import current_account, current_actor, login_required, role_required

guardian_only = role_required("guardian")


def _back(application_id: int, anchor: str = ""):
    """Back to the application's page, at `anchor` (the section just used) unless refused."""
    return redirect(url_for("guardian.application", application_id=application_id) + anchor_unless_refused(anchor))


def _step(application_id: int, anchor: str, run: Callable[[], object], done: str | None = None):
    """One step of the journey from a form: its refusal (or `done`) as the message, then back to
    the application's page at the section just used."""
    try:
        run()
    except UserFacingError as error:
        flash(message_unless_refused(error), "error")
    else:
        if done:
            flash(done, "ok")
    return _back(application_id, anchor)


@bp.get("/")
@guardian_only
def home():
    """The season's phase, every district's window, and the guardian's applications."""
    try:
        overview = season_overview(engine(), now=now())
    except UserFacingError as error:
        overview, closed_reason = None, message_of(error)
    else:
        closed_reason = None
    applications = applications_of(engine(), current_account())
    return render_template("guardian/home.html", overview=overview, closed_reason=closed_reason,
                           applications=applications,
                           state_labels=read_application_state_labels(engine(), applications))



@bp.route("/applications/new", methods=["GET", "POST"])
@guardian_only
def new_application():
    """The pupil's ID number (checked, with the reason at the field), name and district."""
    errors: dict[str, str] = {}
    status = 200
    form = request.form
    if request.method == "POST":
        try:
            application = open_application(engine(), account=current_account(),
                                           pupil_id_number=form.get("pupil_id_number", ""),
                                           pupil_name=form.get("pupil_name", ""),
                                           district=form.get("district", ""), now=now(),
                                           runtime=connector_runtime())
        except UserFacingError as error:
            errors[error.field or "_form"], status = message_of(error), error.http_status
        else:
            return _back(application.id)
    return render_template("guardian/new.html", errors=errors, form=form, districts=active_districts(engine())), status


@bp.get("/applications/<int:application_id>")
@guardian_only
def application(application_id: int):
    """One page for the whole journey; after submission it is the status page, which families
    poll: asked again with its ETag, it answers 304 while nothing on it has changed."""
    moment = now()  # one instant for the validator and the page: the seat shows from publication on
    version = status_page_version(engine(), current_actor(), application_id, now=moment)
    etag = None if version is None else page_etag("guardian/status.html", version)
    if etag is not None and unchanged_since(etag):
        return not_modified(etag)
    once = message_waiting()  # drawn with a message: not kept (no-store), or a reload would show it again
    view = guardian_page_view(engine(), current_actor(), application_id, now=moment)
    template = "guardian/status.html" if view.application.serial else "guardian/application.html"
    response = make_response(render_template(template, view=view, a=view.application, kinds=DOCUMENT_KINDS))
    return response if etag is None or once else revalidate_each_time(response, etag)


@bp.post("/applications/<int:application_id>/facts")
@guardian_only
def fetch_facts(application_id: int):
    """Ask the sources: the pupil record first (to confirm), then every other source."""
    sources = ["pupil_record"] if request.form.get("step") == "pupil_record" else None
    try:
        collected = collect_facts(engine(), application_id, actor=current_actor(), now=now(),
                                  runtime=connector_runtime(), sources=sources)
    except NotTheGuardian as error:  # the draft is gone
        flash(message_of(error), "error")
        return redirect(url_for(".home"))
    except UserFacingError as error:
        flash(message_unless_refused(error), "error")
    else:
        if collected.result.failed:
            flash(t("部分数据源暂时无法访问，系统将自动重试", "Some sources are unavailable; they will be asked again"),
                  "error")
    return _back(application_id, "#sources")


@bp.post("/applications/<int:application_id>/basis")
@guardian_only
def basis(application_id: int):
    """The property, lease or demolition the family's residence rests on."""
    kind, _, item = request.form.get("basis", "").partition(":")
    return _step(application_id, "#assessment", lambda: choose_basis(
        engine(), application_id, account=current_account(), basis={"kind": kind, "id": item or None}, now=now()))


@bp.post("/applications/<int:application_id>/documents")
@guardian_only
def upload(application_id: int):
    """A PDF, JPEG or PNG, checked by its content; stored by its sha256."""
    file = request.files.get("file")
    data = file.read(current_app.config["MAX_DOCUMENT_BYTES"] + 1) if file else b""
    return _step(application_id, "#documents", lambda: store_document(
        engine(), application_id, actor=current_actor(), kind=request.form.get("kind", ""),
        filename=file.filename if file else "", data=data, now=now(),
        max_bytes=current_app.config["MAX_DOCUMENT_BYTES"], root=documents_root()), t("材料已上传", "Document uploaded"))


@bp.post("/applications/<int:application_id>/documents/<int:document_id>/remove")
@guardian_only
def remove(application_id: int, document_id: int):
    """Take back a document uploaded by mistake (see core.documents.removable_documents)."""
    return _step(application_id, "#documents", lambda: remove_document(
        engine(), application_id, document_id, actor=current_actor(), now=now()), t("材料已删除", "Document removed"))


@bp.post("/applications/<int:application_id>/withdraw")
@guardian_only
def withdraw(application_id: int):
    """Take back a draft before submitting it, to start again."""
    try:
        withdraw_draft(engine(), application_id, account=current_account(), now=now())
    except UserFacingError as error:
        flash(message_unless_refused(error), "error")
        return _back(application_id)
    flash(t("已撤销本次填报，可以重新开始", "The draft is withdrawn; you may start again"), "ok")
    return redirect(url_for(".home"))


@bp.get("/applications/<int:application_id>/submit")
@guardian_only
def confirm_submit(application_id: int):
    """The explicit confirmation: after submitting nothing can be changed."""
    view = application_view(engine(), current_actor(), application_id)
    if view.application.serial:
        return _back(application_id)
    return render_template("guardian/submit.html", view=view, a=view.application)


@bp.post("/applications/<int:application_id>/submit")
@guardian_only
def submit(application_id: int):
    """Submit once; a double click lands on the same serial number."""
    if request.form.get("confirm") != "yes":
        flash(t("请勾选确认：提交后不可修改", "Tick the box: this cannot be changed"), "error")
        return redirect(url_for("guardian.confirm_submit", application_id=application_id))
    try:
        outcome = submit_application(engine(), application_id, account=current_account(), now=now(),
                                     seen_version=form_row_version())
    except StaleWrite as error:  # the page was drawn before a change: the family looks again before submitting
        flash(message_of(error), "error")
        return redirect(url_for("guardian.confirm_submit", application_id=application_id))
    except UserFacingError as error:
        flash(message_unless_refused(error), "error")
        return _back(application_id)
    flash(t(f"提交成功，报名序号 {outcome.serial}", f"Submitted; serial number {outcome.serial}"), "ok")
    return _back(application_id)


@bp.post("/applications/<int:application_id>/supply")
@guardian_only
def supply(application_id: int):
    """Send a returned application back for review once the documents are uploaded."""
    try:
        supply_materials(engine(), application_id, account=current_account(), now=now())
    except UserFacingError as error:
        flash(message_unless_refused(error), "error")
    else:
        flash(t("已重新提交审核", "Sent back for review"), "ok")
    return _back(application_id)


@bp.get("/documents/<int:document_id>")
@login_required
def document(document_id: int):
    """A document's bytes, for the family and the staff who may see its application."""
    return document_response(document_id)
