"""Reviewer pages; district staff are held to their own district by core.review and core.access."""
from __future__ import annotations

from collections.abc import Iterable

from flask import Response, flash, redirect, render_template, request, stream_with_context, url_for

from core.clock import SHANGHAI
from core.errors import UserFacingError
from core.models import Document
from core.db import read_session
from core.portal import (active_districts, active_season, active_state_labels, application_view,
                         read_application_state_labels)
from core.review import (DECISIONS, DOCUMENT_REVIEW_STATES, PROBLEMS, REOPEN, decide, queue_rows, reopen,
                         review_document, review_queue, unsettled_documents)
from core.season.undecided import decision_deadline
from web.context import engine, now
from web.downloads import attachment
from web.errors import anchor_unless_refused, message_unless_refused
from web.i18n import label, t
from web.inputs import form_row_version, queue_filters
from web.review import bp
from web.review.export import queue_csv_chunks
from web.review.fact_sheet import fact_sheet, provenance
from web.review.trace_words import expectation, fact_words, trace_value
from web.security import current_account, current_actor, role_required

STAFF = ("reviewer", "district_admin", "city_admin")
DECIDERS = ("reviewer", "district_admin")
ADMINISTRATORS = ("district_admin", "city_admin")  # who may take a decision back (the workflow's `reopen`)


bp.add_app_template_filter(trace_value)  # review/_trace.html
bp.add_app_template_filter(expectation)
bp.add_app_template_filter(fact_words)
bp.add_app_template_filter(provenance)


@bp.get("/")
@role_required(*STAFF)
def queue():
    """The queue, filtered by state and problem (and district for city staff), or searched."""
    page = review_queue(engine(), account=current_account(), **queue_filters())
    return render_template("review/queue.html", page=page, problems=PROBLEMS, districts=active_districts(engine()),
                           states=active_state_labels(engine()),
                           state_labels=read_application_state_labels(engine(), page.items),
                           deadline=_decision_deadline())


@bp.get("/queue.csv")
@role_required(*STAFF)
def queue_csv():
    """The queue with the page's filters (every page of it, not only one) as a CSV file for
    Excel; district staff get their own district's, as on the page. Pupils' names are masked."""
    filters = {k: v for k, v in queue_filters().items() if k != "page"}
    rows = queue_rows(engine(), account=current_account(), **filters)  # refuses bad filters before streaming
    district = current_account().district or filters["district"] or "全市"
    name = f"审核队列-{district}-{now().astimezone(SHANGHAI):%Y%m%d-%H%M}.csv"
    return Response(stream_with_context(queue_csv_chunks(rows)), mimetype="text/csv",
                    headers={"Content-Disposition": attachment(name)})


@bp.get("/applications/<int:application_id>")
@role_required(*STAFF)
def application(application_id: int, *, reason: str = ""):
    """The family's facts in words (and each source's raw record for audit), the documents, the
    tier with its trace, the history (and, after a refused decision, the reason as it was typed)."""
    view = application_view(engine(), current_actor(), application_id)
    decisions = [tr for tr in view.transitions if tr["id"] in DECISIONS]
    undo = next((tr for tr in view.transitions if tr["id"] == REOPEN), None)
    return render_template("review/application.html", view=view, a=view.application, decisions=decisions, undo=undo,
                           sheet=fact_sheet(view.facts), document_review_states=DOCUMENT_REVIEW_STATES,
                           reason=reason, confirmations=_confirmations(view.documents), deadline=_decision_deadline())


def _decision_deadline() -> dict | None:
    """Until when reviewers can decide, and whether that has passed (review/_deadline.html): the
    same phase end a late decision's refusal names."""
    with read_session(engine()) as session:
        deadline = decision_deadline(session, active_season(session))
    return None if deadline is None else {**deadline, "passed": now() >= deadline["at"]}


# How many documents are in an unsettled review state, as the approval's question counts them.
_UNSETTLED_WORDS = {"pending": ("{}份材料待审核", "still pending: {}"), "rejected": ("{}份材料未认可", "rejected: {}")}


def _confirmations(documents: Iterable[Document]) -> dict[str, str]:
    """What the page asks before sending a decision (web/static/app.js): before a rejection
    always; before an approval while documents are still pending or rejected, how many (a
    count of none is left out: it is nothing to weigh). The server takes either way: the
    decision is the reviewer's."""
    asked = {"reject": t("确定该申请不符合报名条件？申请人将看到所填原因。",
                         "Reject the application as not eligible? The guardian will read the reason.")}
    unsettled = {state: n for state, n in unsettled_documents(d.review_state for d in documents).items() if n}
    if unsettled:
        counted = t("、", "; ").join(t(*_UNSETTLED_WORDS[state]).format(n) for state, n in unsettled.items())
        asked["approve"] = t("尚有{}，确定审核通过？", "Documents {}. Approve anyway?").format(counted)
    return asked


@bp.post("/applications/<int:application_id>/decision")
@role_required(*DECIDERS)
def decision(application_id: int):
    """Approve, return for materials or reject, with the reason the guardian will read."""
    try:
        decided = decide(engine(), application_id, request.form.get("decision", ""), account=current_account(),
                         now=now(), reason=request.form.get("reason"), seen_version=form_row_version(required=True))
    except UserFacingError as error:  # the page again, with the reason as typed: nothing is lost
        flash(message_unless_refused(error), "error")
        return application(application_id, reason=request.form.get("reason", "")), error.http_status
    # Back at the queue, the reviewer sees which row the decision went to, and which it was.
    words = label(read_application_state_labels(engine(), [decided])[decided.id])
    flash(t("已记录审核决定：%s「%s」", "Decision recorded: %s “%s”") % (decided.serial, words), "ok")
    return redirect(url_for("review.queue"))


@bp.post("/applications/<int:application_id>/reopen")
@role_required(*ADMINISTRATORS)
def reopen_decision(application_id: int):
    """Take a decision back, with the reason the guardian will read: the application is with
    the reviewers again, and the page shows it so."""
    try:
        reopen(engine(), application_id, account=current_account(), now=now(), reason=request.form.get("reason"),
               seen_version=form_row_version(required=True))
    except UserFacingError as error:
        flash(message_unless_refused(error), "error")
        return application(application_id, reason=request.form.get("reason", "")), error.http_status
    flash(t("已撤销审核决定，该申请重新进入审核", "Decision undone: the application is back for review"), "ok")
    return redirect(url_for("review.application", application_id=application_id))


@bp.post("/applications/<int:application_id>/documents/<int:document_id>")
@role_required(*DECIDERS)
def document_verdict(application_id: int, document_id: int):
    """Accept a document, or reject it with the reason the guardian will read; back at the
    documents, or after a refusal at the top of the page, where its message is."""
    try:
        review_document(engine(), application_id, document_id, request.form.get("verdict", ""),
                        account=current_account(), now=now(), reason=request.form.get("reason"),
                        seen_version=form_row_version(required=True))
    except UserFacingError as error:
        flash(message_unless_refused(error), "error")
    else:
        flash(t("已记录材料审核结论", "Document verdict recorded"), "ok")
    return redirect(url_for("review.application", application_id=application_id) + anchor_unless_refused("#documents"))
