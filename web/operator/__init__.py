"""The operators' season dashboard: timeline, jobs, counts, connector health, incidents, audit."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for

from core import dashboard as queries
from core.db import read_session
from core.errors import UserFacingError
from core.facts import collect_facts
from core.portal import active_season
from core.rulesets import clause_wordings
from core.workflow import Actor
from web.context import connector_runtime, engine, now
from web.i18n import DASHBOARD_TERMS, TERMS, t
from web.inputs import audit_filters
from web.operator.audit_words import worded
from web.security import current_actor, role_required

__all__ = ["bp", "STAFF"]

bp = Blueprint("operator", __name__, url_prefix="/operator")

STAFF = ("operator", "city_admin")
AUDIT_PAGE = 50


def _snapshot() -> dict:
    """Everything the dashboard shows, as the page renders it and the script polls it, with the
    words for its state codes (`terms`) and the active ruleset's wordings of its clause ids
    (`clauses`), so the script redraws them as the page first drew them."""
    with read_session(engine()) as session:
        season = active_season(session)
        data = queries.snapshot(session, season, now(), connector_runtime().health())
        data["clauses"] = clause_wordings(session, season.active_ruleset_sha256)
        data["audit"] = worded(data["audit"], queries.audit_words(session, data["audit"]))
    return {**data, "terms": {kind: TERMS[kind] for kind in DASHBOARD_TERMS}}


@bp.get("/")
@role_required(*STAFF)
def dashboard():
    """The dashboard; `operator.js` keeps it current by polling `dashboard.json`."""
    refresh = min(max(request.args.get("refresh", 5, type=int), 1), 60)
    return render_template("operator/dashboard.html", data=_snapshot(), refresh=refresh)


@bp.get("/dashboard.json")
@role_required(*STAFF)
def dashboard_json():
    """The same figures as JSON, for the page's own refresh."""
    return jsonify(_snapshot())


@bp.post("/incidents/applications/<int:application_id>/retry")
@role_required(*STAFF)
def retry_application(application_id: int):
    """Ask the data sources again for an application stuck waiting for them, as the system's own
    retry does (an operator sees no application: see core.access), on the operator's word."""
    try:
        collected = collect_facts(engine(), application_id, actor=Actor.system(f"operator:{current_actor().name}"),
                                  now=now())
    except UserFacingError as error:
        flash(t(error.zh, error.en), "error")
    else:
        flash(t(f"申请 {application_id} 已重试，当前状态：{collected.state}",
                f"application {application_id} retried; it is now {collected.state}"), "ok")
    return redirect(url_for(".dashboard", _anchor="incidents"))


@bp.post("/incidents/jobs/<job_id>/retry")
@role_required(*STAFF)
def retry_job(job_id: str):
    """Run a failed scheduler job again; the outcome is recorded as a job run like any other."""
    runner = f"operator:{current_actor().name}"
    with read_session(engine()) as session:
        season = active_season(session)
    try:
        step = queries.retry_job(engine(), season, job_id, current_app.extensions["xuewei.clock"], runner)
    except UserFacingError as error:
        flash(t(error.zh, error.en), "error")
    except Exception as error:  # the failure is recorded as a job run; say so instead of a 500
        flash(t(f"任务 {job_id} 再次失败：{error}", f"job {job_id} failed again: {error}"), "error")
    else:
        flash(t(f"任务 {job_id} 已重新运行：{step.outcome}", f"job {job_id} ran again: {step.outcome}"), "ok")
    return redirect(url_for(".dashboard", _anchor="incidents"))


@bp.get("/audit")
@role_required(*STAFF)
def audit():
    """The audit trail page by page, of one subject or kind of subject when asked (an
    application's whole history), each event's subject, action and states in words
    (web.operator.audit_words), and the chain verified on request."""
    before = request.args.get("before", type=int)
    filters = audit_filters()
    with read_session(engine()) as session:
        events = queries.audit_log(session, limit=AUDIT_PAGE, before_seq=before, **filters)
        chain = queries.chain_status(session) if request.args.get("verify") else None
        events = worded(events, queries.audit_words(session, events))
    older = events[-1]["seq"] if len(events) == AUDIT_PAGE else None
    return render_template("operator/audit.html", events=events, chain=chain, older=older, filters=filters,
                           subject_types=TERMS["subject_type"])
