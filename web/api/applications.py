"""API: applications for guardians (start, facts, basis, documents, submit) and reviewers (queue, decide)."""
from __future__ import annotations

from flask import current_app, jsonify, request

from core.applications import choose_basis, submit_application, withdraw_draft
from core.documents import remove_document, store_document
from core.errors import InvalidInput
from core.facts import collect_facts
from core.models import Application
from core.portal import (application_view, applications_of, open_application,
                         supply_materials)
from core.review import decide, review_document, review_queue
from web.api import bp
from web.context import connector_runtime, documents_root, engine, now
from web.downloads import document_response
from web.inputs import MalformedJSON, json_body, queue_filters, row_version, text
from web.security import current_account, current_actor, login_required, role_required

GUARDIAN, DECIDERS = ("guardian",), ("reviewer", "district_admin")


def summary(application: Application) -> dict:
    """An application in a list."""
    return {"id": application.id, "serial": application.serial, "state": application.state,
            "district": application.district, "pupil_name": application.pupil_name,
            "submitted_at": application.submitted_at.isoformat() if application.submitted_at else None}


def _detail(application_id: int, status: int = 200):
    return jsonify(application_view(engine(), current_actor(), application_id, now=now()).to_dict()), status


@bp.get("/applications")
@login_required
def list_applications():
    """A guardian's own applications; for staff the review queue with its filters."""
    account = current_account()
    if account.role == "guardian":
        return jsonify(items=[summary(a) for a in applications_of(engine(), account)], has_more=False)
    page = review_queue(engine(), account=account, **queue_filters())
    return jsonify(items=[summary(a) for a in page.items], has_more=page.has_more, page=page.page)


@bp.post("/applications")
@role_required(*GUARDIAN)
def create_application():
    """Start a draft for a pupil (ID number checked, district window open)."""
    data = json_body()
    application = open_application(engine(), account=current_account(), pupil_id_number=text(data, "pupil_id_number"),
                                   pupil_name=text(data, "pupil_name"), district=text(data, "district"), now=now(),
                                   runtime=connector_runtime())
    return _detail(application.id, 201)


@bp.get("/applications/<int:application_id>")
@login_required
def get_application(application_id: int):
    """Everything about one application its viewer may see."""
    return _detail(application_id)


@bp.post("/applications/<int:application_id>/facts")
@role_required(*GUARDIAN)
def fetch_facts(application_id: int):
    """Ask the sources (all, or `sources: ["pupil_record"]` first); the answer lists each source's outcome."""
    data = json_body() if request.content_length else {}
    sources = data.get("sources")
    if sources is not None and not (isinstance(sources, list) and all(isinstance(s, str) for s in sources)):
        raise MalformedJSON("sources 须为数据源名称列表", "sources must be a list of source names")
    try:
        collected = collect_facts(engine(), application_id, actor=current_actor(), now=now(),
                                  runtime=connector_runtime(), sources=sources)
    except KeyError as error:
        raise MalformedJSON("未知的数据源", str(error)) from None
    outcomes = [{"source": o.source, "status": o.status.value, "answered": o.answered, "attempts": o.attempts}
                for o in collected.result.outcomes]
    return jsonify(state=collected.state, outcomes=outcomes,
                   application=application_view(engine(), current_actor(), application_id).to_dict())


@bp.delete("/applications/<int:application_id>")
@role_required(*GUARDIAN)
def delete_application(application_id: int):
    """Withdraw a draft before submitting it (audited as application_discarded, reason withdrawn): 204."""
    withdraw_draft(engine(), application_id, account=current_account(), now=now())
    return "", 204


@bp.put("/applications/<int:application_id>/basis")
@role_required(*GUARDIAN)
def put_basis(application_id: int):
    """Choose the residence basis: {"kind": "property"|"lease"|"demolition", "id": "..."}."""
    data = json_body()
    choose_basis(engine(), application_id, account=current_account(),
                 basis={"kind": text(data, "kind"), "id": text(data, "id") or None}, now=now())
    return _detail(application_id)


@bp.post("/applications/<int:application_id>/documents")
@role_required(*GUARDIAN)
def upload_document(application_id: int):
    """multipart/form-data with `kind` and `file`; the type is read from the content."""
    file = request.files.get("file")
    limit = current_app.config["MAX_DOCUMENT_BYTES"]
    document = store_document(engine(), application_id, actor=current_actor(), kind=request.form.get("kind", ""),
                              filename=file.filename if file else "", data=file.read(limit + 1) if file else b"",
                              now=now(), max_bytes=limit, root=documents_root())
    return jsonify(id=document.id, kind=document.kind, filename=document.filename, media_type=document.media_type,
                   size=document.size, sha256=document.sha256), 201


@bp.delete("/applications/<int:application_id>/documents/<int:document_id>")
@role_required(*GUARDIAN)
def delete_document(application_id: int, document_id: int):
    """Take back a document uploaded by mistake, before submission; answers with the application."""
    remove_document(engine(), application_id, document_id, actor=current_actor(), now=now())
    return _detail(application_id)


@bp.get("/documents/<int:document_id>")
@login_required
def get_document(document_id: int):
    """A document's bytes for someone who may see its application."""
    return document_response(document_id)


@bp.post("/applications/<int:application_id>/submit")
@role_required(*GUARDIAN)
def submit(application_id: int):
    """Submit with {"confirm": true}; repeating it answers with the same serial."""
    data = json_body()
    if data.get("confirm") is not True:
        raise InvalidInput("请确认：提交后不可修改", "confirm: a submission cannot be changed", field="confirm")
    outcome = submit_application(engine(), application_id, account=current_account(), now=now(),
                                 seen_version=row_version(data.get("version")))
    return jsonify(id=outcome.application_id, serial=outcome.serial, state=outcome.state)


@bp.post("/applications/<int:application_id>/supply")
@role_required(*GUARDIAN)
def supply(application_id: int):
    """Send a returned application back for review."""
    supply_materials(engine(), application_id, account=current_account(), now=now())
    return _detail(application_id)


@bp.post("/applications/<int:application_id>/decision")
@role_required(*DECIDERS)
def decision(application_id: int):
    """{"decision": "approve"|"return_for_materials"|"reject", "reason": "...", "version": n}."""
    data = json_body()
    decide(engine(), application_id, text(data, "decision"), account=current_account(), now=now(),
           reason=text(data, "reason"), seen_version=row_version(data.get("version")))
    return _detail(application_id)


@bp.post("/applications/<int:application_id>/documents/<int:document_id>/review")
@role_required(*DECIDERS)
def document_review(application_id: int, document_id: int):
    """{"verdict": "accepted"|"rejected", "reason": "..."}: the reason is needed to reject."""
    data = json_body()
    review_document(engine(), application_id, document_id, text(data, "verdict"), account=current_account(),
                    now=now(), reason=text(data, "reason"))
    return _detail(application_id)
