"""The season's figures for Prometheus (`GET /metrics`), computed from the database at each scrape.

Never from counters in a process: gunicorn runs several workers on several hosts, and a scrape
reaches one of them, so every figure is a query (a gauge over a recent window, or a count of
rows). Nothing personal is exposed, only counts labelled by workflow state, data source, season
and ruleset version. The text is Prometheus's exposition format 0.0.4.

The windows over recent activity ("last 5 minutes") are read with the season clock, which
stamps submissions and connector calls; the scheduler's heartbeat and the deadlines' leases
with the wall clock, which stamps them.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_
from sqlmodel import Session, select

from core.connectors.sources import SOURCES
from core.dashboard import FAILED, failed_jobs
from core.models import Application, ConnectorCall, Document, RulesetVersion, Season
from core.portal import current_season
from core.season.heartbeat import heartbeat_status
from core.season.models import BoundaryState, SeasonBoundary

__all__ = ["Family", "exposition", "season_metrics", "CONTENT_TYPE", "RECENT", "OVERDUE_AFTER"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
RECENT = timedelta(minutes=5)  # the window of the "last 5 minutes" gauges
OVERDUE_AFTER = timedelta(minutes=2)  # a deadline this late, with nobody working on it, is overdue


@dataclass
class Family:
    """One metric: its name, help text and samples (labels → value); every one is a gauge."""

    name: str
    help: str
    samples: list[tuple[Mapping[str, str], float]] = field(default_factory=list)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def exposition(families: Iterable[Family]) -> str:
    """The text a scrape reads: HELP and TYPE lines, then one line per sample."""
    lines = []
    for family in families:
        lines += [f"# HELP {family.name} {family.help}", f"# TYPE {family.name} gauge"]
        for labels, value in family.samples:
            text = ",".join(f'{key}="{_escape(str(val))}"' for key, val in labels.items())
            lines.append(f"{family.name}{{{text}}} {_number(value)}" if text else f"{family.name} {_number(value)}")
    return "\n".join(lines) + "\n"


def _applications(session: Session, season: Season | None, now: datetime) -> list[Family]:
    by_state = Family("xuewei_applications", "Applications of the current season by workflow state.")
    recent = Family("xuewei_submissions_last_5m", "Applications submitted in the last 5 minutes (season clock).")
    if season is not None:
        year = {"season": str(season.year)}
        for state, count in session.exec(select(Application.state, func.count()).where(
                Application.season_id == season.id).group_by(Application.state).order_by(Application.state)):
            by_state.samples.append(({**year, "state": state}, count))
        submitted = session.exec(select(func.count()).select_from(Application).where(
            Application.season_id == season.id, Application.submitted_at > now - RECENT,
            Application.submitted_at <= now)).one()
        recent.samples.append((year, submitted))
    return [by_state, recent]


def _connectors(session: Session, now: datetime) -> list[Family]:
    calls = Family("xuewei_connector_calls_last_5m", "Calls to each data source in the last 5 minutes (every worker's).")
    failures = Family("xuewei_connector_failures_last_5m",
                      "Calls to each data source in the last 5 minutes that failed or answered invalid data.")
    counts: dict[str, dict[str, int]] = {source.name: {} for source in SOURCES}
    for source, outcome, count in session.exec(
            select(ConnectorCall.source, ConnectorCall.outcome, func.count())
            .where(ConnectorCall.started_at > now - RECENT, ConnectorCall.started_at <= now)
            .group_by(ConnectorCall.source, ConnectorCall.outcome)):
        counts.setdefault(source, {})[outcome] = count
    for source in sorted(counts):
        calls.samples.append(({"source": source}, sum(counts[source].values())))
        failures.samples.append(({"source": source}, sum(counts[source].get(o, 0) for o in FAILED)))
    return [calls, failures]


def _documents(session: Session) -> list[Family]:
    count, size = session.exec(select(func.count(), func.coalesce(func.sum(Document.size), 0)).select_from(Document)).one()
    return [Family("xuewei_documents_stored", "Uploaded documents stored.", [({}, count)]),
            Family("xuewei_documents_stored_bytes", "Bytes of the uploaded documents stored.", [({}, size)])]


def _scheduler(session: Session, season: Season | None, now: datetime, wall_now: datetime) -> list[Family]:
    beat = heartbeat_status(session, season, wall_now=wall_now)
    overdue = 0
    failed = 0
    if season is not None:
        overdue = session.exec(select(func.count()).select_from(SeasonBoundary).where(
            SeasonBoundary.season_id == season.id, SeasonBoundary.state != BoundaryState.done.value,
            SeasonBoundary.due_at < now - OVERDUE_AFTER,
            or_(SeasonBoundary.lease_until.is_(None), SeasonBoundary.lease_until < wall_now))).one()
        failed = len(failed_jobs(session, season))
    return [
        Family("xuewei_scheduler_heartbeat_age_seconds",
               "Seconds since the scheduler's last heartbeat (wall clock); +Inf when it never wrote one.",
               [({}, beat["age_seconds"] if beat["seen"] else math.inf)]),
        Family("xuewei_scheduler_stale",
               "1 when the dashboard warns: the heartbeat is stale or missing while the season has a deadline to fire.",
               [({}, 1 if beat["warning"] else 0)]),
        Family("xuewei_scheduler_overdue_deadlines",
               "Deadlines due more than 2 minutes ago, not done, with nobody working on them.", [({}, overdue)]),
        Family("xuewei_scheduler_failed_jobs", "Scheduler jobs whose latest run failed.", [({}, failed)]),
    ]


def _ruleset(session: Session, season: Season | None) -> list[Family]:
    info = Family("xuewei_ruleset_info", "The active ruleset of the current season (always 1).")
    if season is not None:
        version = session.exec(select(RulesetVersion).where(
            RulesetVersion.sha256 == season.active_ruleset_sha256)).one()
        info.samples.append(({"season": str(season.year), "ruleset_id": version.ruleset_id, "version": version.version,
                              "sha256": version.sha256[:16]}, 1))
    return [info]


def season_metrics(session: Session, *, now: datetime, wall_now: datetime) -> list[Family]:
    """Every figure of a scrape: `now` is the season clock's, `wall_now` the wall clock's."""
    season = current_season(session)
    return [*_applications(session, season, now), *_connectors(session, now), *_documents(session),
            *_scheduler(session, season, now, wall_now), *_ruleset(session, season)]
