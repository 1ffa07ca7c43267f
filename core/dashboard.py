"""Read models of the operators' season dashboard: every query it shows, none in the views.

Each function takes a session and returns plain, JSON-ready data, so the page and its
polling endpoint show the same figures. Times are season-clock times (`now`) except the
connector calls, which the runtime stamps with the wall clock.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.audit import verify_chain
from core.clock import Clock
from core.db import read_session
from core.errors import NotFound, UserFacingError
from core.connectors.metrics import LATENCY_WINDOW, SourceHealth, p95
from core.models import Application, ConnectorCall, Event, RulesetVersion, Season
from core.portal import EVENT_LABELS, active_season, event_labels
from core.rulesets import season_state_labels, workflow_for
from core.season.boundaries import Step, fire_boundary
from core.season.heartbeat import heartbeat_status
from core.season.models import JobRun, SeasonBoundary, SeasonPhase, SeasonWindow
from core.season.undecided import deadline_near, decision_deadline, undecided_counts
from core.types import utcnow

__all__ = [
    "snapshot", "timeline", "phase_label", "scheduler_jobs", "application_counts", "submissions_per_minute",
    "connector_health", "stuck_applications", "failed_jobs", "undecided_applications", "audit_log", "chain_status",
    "retry_job", "NotRetryable", "STUCK_AFTER", "RATE_MINUTES", "audit_words", "event_ruleset", "FAILED",
]

STUCK_AFTER = timedelta(minutes=30)  # an application waiting for sources this long is an incident
RATE_MINUTES = 30  # the submissions-per-minute chart covers this many minutes up to now
CONNECTOR_WINDOW = timedelta(hours=1)  # connector health covers the calls of this long up to now
FAILED = ("failed", "invalid")  # the connector call outcomes counted as failures
CLOSED = "_closed"  # the season's phase after a phase's end boundary, e.g. "collection_closed"


class NotRetryable(UserFacingError):
    """A retry asked for a scheduler job that has not failed."""

    code = "not_retryable"
    http_status = 409


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def timeline(session: Session, season: Season, now: datetime) -> dict[str, Any]:
    """Phases and district windows with their stored state, and which one the clock is in now.

    `current` is the clock's view, `state` the scheduler's: a phase whose time has come but
    whose state is still pending is a late scheduler, visible at a glance. `overdue` says so by
    the season clock: a phase not opened or not closed, a window not opened, past its due time.
    """
    phases = session.exec(select(SeasonPhase).where(SeasonPhase.season_id == season.id)
                          .order_by(SeasonPhase.position)).all()
    windows = session.exec(select(SeasonWindow).where(SeasonWindow.season_id == season.id)
                           .order_by(SeasonWindow.opens_at, SeasonWindow.window_id)).all()
    return {
        "now": now.isoformat(),
        "season_phase": season.phase,
        "season_phase_label": phase_label(season.phase, phases),
        "phases": [{
            "id": p.phase_id, "label": {"zh": p.label_zh, "en": p.label_en}, "clause": p.clause,
            "starts_at": _iso(p.starts_at), "ends_at": _iso(p.ends_at), "state": p.state,
            "current": p.starts_at <= now < p.ends_at,
            "overdue": (p.state == "pending" and p.starts_at <= now) or (p.state == "open" and p.ends_at <= now),
        } for p in phases],
        "windows": [{
            "id": w.window_id, "label": {"zh": w.label_zh, "en": w.label_en}, "clause": w.clause,
            "districts": list(w.districts or ()), "groups": list(w.groups or ()),
            "opens_at": _iso(w.opens_at), "closes_at": _iso(w.closes_at), "state": w.state,
            "open_now": w.opens_at <= now < w.closes_at, "overdue": w.state == "pending" and w.opens_at <= now,
        } for w in windows],
    }


def phase_label(phase: str, phases: Iterable[SeasonPhase]) -> dict[str, str]:
    """What the season's phase means to a person: "collection_closed" → "小升初信息采集（已结束）"."""
    closed = phase.endswith(CLOSED)
    for row in phases:
        if row.phase_id == (phase[: -len(CLOSED)] if closed else phase):
            if closed:
                return {"zh": f"{row.label_zh}（已结束）", "en": f"{row.label_en} (closed)"}
            return {"zh": row.label_zh, "en": row.label_en}
    return {"zh": phase, "en": phase}


def scheduler_jobs(session: Session, season: Season, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every scheduler job (a season boundary): when it is due, how its last run ended (a failure's
    `reason` in Chinese and English when the error was a known one), and `status`, what the
    operators read: the boundary's state, or "failed" when its last run failed, or "overdue"
    when it is still pending past its due time by the season clock `now`."""
    boundaries = session.exec(select(SeasonBoundary).where(SeasonBoundary.season_id == season.id)
                              .order_by(SeasonBoundary.due_at, SeasonBoundary.seq)).all()
    latest = select(JobRun.job_id, func.max(JobRun.id).label("last_id")).where(
        JobRun.season_id == season.id).group_by(JobRun.job_id).subquery()
    runs = {run.job_id: run for run in session.exec(select(JobRun).join(latest, JobRun.id == latest.c.last_id))}
    jobs = []
    for boundary in boundaries:
        run = runs.get(boundary.job_id)
        overdue = now is not None and boundary.state == "pending" and boundary.due_at <= now
        failed = run is not None and run.outcome == "failed" and boundary.state != "done"
        jobs.append({
            "job_id": boundary.job_id, "kind": boundary.kind, "phase": boundary.phase_id,
            "window": boundary.window_id, "due_at": _iso(boundary.due_at), "state": boundary.state,
            "status": "failed" if failed else "overdue" if overdue else boundary.state,
            "next_run": _iso(boundary.due_at) if boundary.state == "pending" else None,
            "last_run": None if run is None else {
                "started_at": _iso(run.started_at), "finished_at": _iso(run.finished_at),
                "season_time": _iso(run.season_time), "outcome": run.outcome, "detail": run.detail,
                "reason": {"zh": run.detail_zh or run.detail or "", "en": run.detail or ""},
                "runner": run.runner},
        })
    return jobs


def application_counts(session: Session, season: Season) -> dict[str, Any]:
    """Applications per state, per district, and per district and state."""
    rows = session.exec(select(Application.district, Application.state, func.count())
                        .where(Application.season_id == season.id)
                        .group_by(Application.district, Application.state)).all()
    by_state: Counter[str] = Counter()
    by_district: Counter[str] = Counter()
    matrix: dict[str, dict[str, int]] = {}
    for district, state, count in rows:
        by_state[state] += count
        by_district[district] += count
        matrix.setdefault(district, {})[state] = count
    return {"total": sum(by_state.values()), "by_state": dict(sorted(by_state.items())),
            "by_district": dict(sorted(by_district.items())),
            "by_district_state": {d: matrix[d] for d in sorted(matrix)}}


def submissions_per_minute(session: Session, season: Season, now: datetime,
                           minutes: int = RATE_MINUTES) -> list[dict[str, Any]]:
    """Submissions in each of the last `minutes` season-clock minutes (oldest first, zeros kept)."""
    end = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    start = end - timedelta(minutes=minutes)
    times = session.exec(select(Application.submitted_at).where(
        Application.season_id == season.id, Application.submitted_at >= start,
        Application.submitted_at < end)).all()
    counts = Counter(int((t - start).total_seconds() // 60) for t in times)
    return [{"minute": (start + timedelta(minutes=i)).isoformat(), "count": counts.get(i, 0)}
            for i in range(minutes)]


def connector_health(session: Session, runtime: Iterable[SourceHealth] = (), *,
                     now: datetime) -> list[dict[str, Any]]:
    """Per source: calls, failure rate and p95 latency of the calls recorded in the hour up to
    `now` (every worker's), beside this process's runtime counters and breaker state (`runtime`,
    from `ConnectorRuntime.health()`); and the same figures per plugin (`plugins`, the calls no
    plugin answered last, as `plugin: None`), so that when two plugins serve a source, or a
    vendor's replaces a built-in, operators see which one fails. The breaker is the source's.
    Calls are stamped by the season clock, so `now` is its time too: a rehearsal in 2021 shows
    its own calls, not none."""
    since = now - CONNECTOR_WINDOW
    live = {h.source: h for h in runtime}
    rows = session.exec(select(ConnectorCall.source, ConnectorCall.plugin, ConnectorCall.outcome, func.count())
                        .where(ConnectorCall.started_at >= since)
                        .group_by(ConnectorCall.source, ConnectorCall.plugin, ConnectorCall.outcome)).all()
    counts: dict[str, dict[str | None, Counter[str]]] = {}
    for source, plugin, outcome, count in rows:
        counts.setdefault(source, {}).setdefault(plugin, Counter())[outcome] += count
    health = []
    for source in sorted(set(counts) | set(live)):
        by_plugin = counts.get(source, {})
        here = live.get(source)
        health.append({
            "source": source,
            **_call_figures(session, since, [ConnectorCall.source == source], sum(by_plugin.values(), Counter())),
            "breaker": here.breaker if here else "closed",
            "worker_calls": here.calls if here else 0,
            "worker_failure_rate": round(here.failure_rate, 4) if here else 0.0,
            "plugins": [{"plugin": plugin, **_call_figures(
                session, since, [ConnectorCall.source == source, ConnectorCall.plugin.is_(None) if plugin is None
                                 else ConnectorCall.plugin == plugin], outcomes)}
                for plugin, outcomes in sorted(by_plugin.items(), key=lambda item: (item[0] is None, item[0] or ""))],
        })
    return health


def _call_figures(session: Session, since: datetime, where: list[Any], outcomes: Counter[str]) -> dict[str, Any]:
    """Calls, ok, failed, failure rate and p95 latency of the calls since `since` that `where`
    picks, given their count per outcome."""
    calls = sum(outcomes.values())
    failed = sum(outcomes[o] for o in FAILED)
    latencies = session.exec(select(ConnectorCall.latency_ms).where(
        *where, ConnectorCall.started_at >= since, ConnectorCall.latency_ms > 0)
        .order_by(ConnectorCall.started_at.desc()).limit(LATENCY_WINDOW)).all()
    return {"calls": calls, "ok": outcomes["ok"], "failed": failed,
            "failure_rate": round(failed / calls, 4) if calls else 0.0, "p95_latency_ms": p95(list(latencies))}


def stuck_applications(session: Session, season: Season, now: datetime,
                       stuck_after: timedelta = STUCK_AFTER, limit: int = 50) -> list[dict[str, Any]]:
    """Applications waiting for data sources longer than `stuck_after` (season clock), oldest first."""
    rows = session.exec(select(Application).where(
        Application.season_id == season.id, Application.state == "facts_pending",
        Application.updated_at <= now - stuck_after).order_by(Application.updated_at).limit(limit)).all()
    return [{"id": a.id, "district": a.district, "state": a.state, "since": _iso(a.updated_at),
             "waiting_minutes": int((now - a.updated_at).total_seconds() // 60)} for a in rows]


def _having(jobs: Iterable[dict[str, Any]], status: str) -> list[dict[str, Any]]:
    """The jobs (of `scheduler_jobs`) of one status: "failed", or "overdue" (past their due time by
    the season clock and not fired: no scheduler is running, or it is behind)."""
    return [job for job in jobs if job["status"] == status]


def undecided_applications(session: Session, season: Season, now: datetime) -> dict[str, Any] | None:
    """Submitted applications nobody has decided, per district and state, from DEADLINE_NEAR
    before the last moment the ruleset lets reviewers decide, and after it (they get no seat):
    {"deadline", "deadline_text", "passed", "districts": [{"district", "states": {state: count},
    "total"}]}; None before then, or when every submitted application is decided."""
    deadline = decision_deadline(session, season)
    if not deadline_near(deadline, now):
        return None
    counts = undecided_counts(session, season)
    if not counts:
        return None
    return {"deadline": deadline["at"].isoformat(), "deadline_text": deadline["text"], "passed": now >= deadline["at"],
            "districts": [{"district": district, "states": states, "total": sum(states.values())}
                          for district, states in counts.items()]}


def failed_jobs(session: Session, season: Season) -> list[dict[str, Any]]:
    """Scheduler jobs whose latest run failed (a later success clears the incident)."""
    return _having(scheduler_jobs(session, season), "failed")


def retry_job(engine: Engine, season: Season, job_id: str, clock: Clock, runner: str) -> Step:
    """Run a failed scheduler job again now, as the scheduler would (exactly once; its actions
    resume). Only a job whose latest run failed: any other would open or close a phase by hand."""
    with read_session(engine) as session:
        boundary = session.exec(select(SeasonBoundary).where(SeasonBoundary.season_id == season.id,
                                                             SeasonBoundary.job_id == job_id)).first()
        failed = boundary is not None and any(job["job_id"] == job_id for job in failed_jobs(session, season))
    if boundary is None:
        raise NotFound("调度任务不存在", f"no scheduler job {job_id!r} in this season")
    if not failed:
        raise NotRetryable(f"调度任务 {job_id} 最近一次运行没有失败，无需重试",
                           f"scheduler job {job_id} did not fail in its latest run: there is nothing to retry")
    return fire_boundary(engine, boundary, clock, runner)


def audit_log(session: Session, *, limit: int = 50, before_seq: int | None = None, subject_type: str | None = None,
              subject_id: str | None = None) -> list[dict[str, Any]]:
    """The newest audit events (before `before_seq` when paging back), of one subject or one kind
    of subject when asked: an application's whole history, every ruleset event."""
    query = select(Event).order_by(Event.seq.desc()).limit(limit)
    if before_seq is not None:
        query = query.where(Event.seq < before_seq)
    for column, value in ((Event.subject_type, subject_type), (Event.subject_id, subject_id)):
        if value is not None:
            query = query.where(column == value)
    return [{"seq": e.seq, "at": _iso(e.at), "actor": e.actor, "actor_role": e.actor_role,
             "subject_type": e.subject_type, "subject_id": e.subject_id, "action": e.action,
             "from_state": e.from_state, "to_state": e.to_state, "reason": e.reason,
             "hash": e.hash[:12]} for e in session.exec(query)]


def audit_words(session: Session, events: Iterable[Mapping[str, Any]] = ()) -> dict[str, dict[Any, Any]]:
    """What the audit log calls things, by code: each application event's actions and states
    (`applications`, by the event's seq) by the workflow of the ruleset it was recorded under
    (`event_ruleset`), since a later version may rename a state or a step; where that version is
    no longer stored, its codes stay as they are (an event's own name, such as "document_uploaded",
    still reads in words). Also the season's states (`season`: its phases, "collection" and
    "collection_closed" alike, and its district windows) and each ruleset version by its id and
    version (`rulesets`, by the audit's 16-character subject id; a deleted draft as its deletion
    event recorded it). Empty before a season is set up."""
    try:
        season = active_season(session)
    except NotFound:
        return {"applications": {}, "season": {}, "rulesets": {}}
    phases = session.exec(select(SeasonPhase).where(SeasonPhase.season_id == season.id)).all()
    windows = session.exec(select(SeasonWindow).where(SeasonWindow.season_id == season.id)).all()
    season_states = {state: phase_label(state, phases) for row in phases for state in (row.phase_id, row.phase_id + CLOSED)}
    season_states.update({w.window_id: {"zh": w.label_zh, "en": w.label_en} for w in windows})
    stored = session.exec(select(RulesetVersion.sha256, RulesetVersion.ruleset_id, RulesetVersion.version)).all()
    rulesets = {sha[:16]: f"{ruleset_id} {version}" for sha, ruleset_id, version in stored}
    for subject_id, data in session.exec(select(Event.subject_id, Event.data).where(Event.action == "ruleset_deleted")):
        rulesets.setdefault(subject_id, f"{data['ruleset_id']} {data['version']}")  # a deleted draft, as it was
    under = event_ruleset(session, events, fallback=season.active_ruleset_sha256)
    flows = {sha: _workflow_words(session, sha) if sha in {row[0] for row in stored} else _UNWORDED
             for sha in set(under.values())}
    return {"applications": {seq: flows[sha] for seq, sha in under.items()}, "season": season_states,
            "rulesets": rulesets}


_UNWORDED = {"actions": EVENT_LABELS, "states": {}}


def _workflow_words(session: Session, sha256: str) -> dict[str, Mapping[str, Any]]:
    workflow = workflow_for(session, sha256)
    return {"actions": event_labels(workflow), "states": dict(workflow.states)}


def event_ruleset(session: Session, events: Iterable[Mapping[str, Any]], *, fallback: str | None) -> dict[int, str | None]:
    """The sha256 of the ruleset each application event (of `events`, core.dashboard.audit_log's)
    was recorded under, by seq: the one the event names (a submission keeps the version it
    pinned), else its application's (pinned at submission, before it its season's active one),
    else, for a removed draft, `fallback` (the current season's active version)."""
    events = [e for e in events if e["subject_type"] == "application"]
    if not events:
        return {}
    named = {seq: data.get("ruleset_sha256") for seq, data in session.exec(
        select(Event.seq, Event.data).where(Event.seq.in_([e["seq"] for e in events]))) if isinstance(data, dict)}
    ids = {_int(e["subject_id"]) for e in events} - {None}
    judged = {application_id: pinned or active for application_id, pinned, active in session.exec(
        select(Application.id, Application.ruleset_sha256, Season.active_ruleset_sha256)
        .join(Season, Season.id == Application.season_id).where(Application.id.in_(ids)))}
    return {e["seq"]: named.get(e["seq"]) or judged.get(_int(e["subject_id"])) or fallback for e in events}


def _int(value: Any) -> int | None:
    return int(value) if str(value).isdigit() else None  # an application's id; any other subject id is no row


def chain_status(session: Session) -> dict[str, Any]:
    """Whether the audit chain verifies end to end, and where it breaks if not."""
    problem = verify_chain(session)
    count = session.exec(select(func.count()).select_from(Event)).one()
    if problem is None:
        return {"ok": True, "events": count, "checked_at": utcnow().isoformat()}
    return {"ok": False, "events": count, "checked_at": utcnow().isoformat(), "seq": problem.seq,
            "problem": problem.problem}


def snapshot(session: Session, season: Season, now: datetime,
             runtime: Iterable[SourceHealth] = (), *, wall_now: datetime | None = None) -> dict[str, Any]:
    """Every live section of the dashboard at once (the audit chain is verified on request only);
    the scheduler's heartbeat is judged by the wall clock (`wall_now`, default: the real one)."""
    jobs = scheduler_jobs(session, season, now)
    return {
        "season": {"year": season.year, "name": season.name, "phase": season.phase},
        "state_labels": season_state_labels(session, season),
        "timeline": timeline(session, season, now),
        "scheduler": heartbeat_status(session, season, wall_now=wall_now),
        "jobs": jobs,
        "counts": application_counts(session, season),
        "rate": submissions_per_minute(session, season, now),
        "connectors": connector_health(session, runtime, now=now),
        "incidents": {"stuck": stuck_applications(session, season, now),
                      "failed_jobs": _having(jobs, "failed"), "overdue_jobs": _having(jobs, "overdue"),
                      "undecided": undecided_applications(session, season, now)},
        "audit": audit_log(session, limit=10),
    }
