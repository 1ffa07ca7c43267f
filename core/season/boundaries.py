"""Phase boundaries as rows, and firing them exactly once.

`materialise()` turns the active ruleset's calendar into `SeasonPhase`, `SeasonWindow` and
`SeasonBoundary` rows (idempotent; pending rows follow a changed ruleset). `run_due()` fires
every boundary whose due time has passed, strictly in order: the season's transition is a
conditional ``UPDATE … WHERE state = 'pending'`` plus ``UPDATE season … WHERE phase = :from``
and an audit event in one transaction, so a duplicate job, a second scheduler or a restart
after a missed deadline all end with each transition done once. A boundary's phase actions
then run under a lease; a runner killed halfway leaves the lease to expire and the next run
resumes the (idempotent, batched) actions.
"""
from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.audit import append_event
from core.clock import Clock
from core.db import read_session, write_session
from core.errors import UserFacingError
from core.models import Role, Season
from core.season.calendar import Calendar, calendar_for
from core.season.models import BoundaryKind, BoundaryState, JobRun, SeasonBoundary, SeasonPhase, SeasonWindow
from core.types import utcnow

__all__ = ["PHASE_ACTIONS", "materialise", "run_due", "fire_boundary", "runner_name", "OutOfOrder", "NotDue", "Step"]

# What each phase does when it opens or closes; the names are handlers in core.season.actions.
PHASE_ACTIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("collection", BoundaryKind.phase_end): ("close_unsubmitted",),
    ("verification", BoundaryKind.phase_end): ("build_graduates_database",),
    ("classification", BoundaryKind.phase_start): ("classify_approved",),
    ("allocation", BoundaryKind.phase_start): ("allocate_seats",),
    ("publication", BoundaryKind.phase_start): ("publish_seats",),
}
LEASE = timedelta(seconds=120)  # renewed after every batch of a phase action
_ORDER = {BoundaryKind.phase_end: 0, BoundaryKind.phase_start: 1, BoundaryKind.window_open: 2}
INITIAL_PHASE = Season.model_fields["phase"].default


class OutOfOrder(RuntimeError):
    """The season is not in the phase a boundary expects: someone moved it by hand."""


class NotDue(UserFacingError):
    """A boundary asked to fire before its time: a phase would open or close early."""

    code = "not_due"
    http_status = 409


@dataclass(frozen=True)
class Step:
    """What one runner did with one boundary, as recorded in `JobRun`."""

    job_id: str
    outcome: str
    detail: str | None = None
    detail_zh: str | None = None  # a known error's reason in Chinese (`detail` has it in English)


def runner_name() -> str:
    """host:pid, so the dashboard shows which scheduler process did what."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _planned(season: Season, calendar: Calendar) -> list[dict]:
    rows = []
    for position, phase in enumerate(calendar.phases):
        for kind, due, to in ((BoundaryKind.phase_start, phase.start, phase.id),
                              (BoundaryKind.phase_end, phase.end, f"{phase.id}_closed")):
            edge = "start" if kind is BoundaryKind.phase_start else "end"
            rows.append(dict(job_id=f"season-{season.year}-{phase.id}-{edge}", kind=kind.value, phase_id=phase.id,
                             due_at=due, to_phase=to, actions=list(PHASE_ACTIONS.get((phase.id, kind), ())),
                             _key=(due, _ORDER[kind], position)))
    for position, window in enumerate(calendar.windows):
        rows.append(dict(job_id=f"season-{season.year}-window-{window.id}", kind=BoundaryKind.window_open.value,
                         window_id=window.id, due_at=window.opens_at, actions=[],
                         _key=(window.opens_at, _ORDER[BoundaryKind.window_open], position)))
    rows.sort(key=lambda row: row.pop("_key"))
    previous = INITIAL_PHASE
    for seq, row in enumerate(rows, start=1):
        row["seq"] = seq
        if row["kind"] != BoundaryKind.window_open.value:
            row["from_phase"], previous = previous, row["to_phase"]
    return rows


def materialise(session: Session, season: Season) -> list[SeasonBoundary]:
    """Write the calendar of the season's active ruleset as rows; safe to call again at any time."""
    session.exec(select(Season).where(Season.id == season.id).with_for_update()).one()
    calendar = calendar_for(session, season)
    phases = {p.phase_id: p for p in session.exec(select(SeasonPhase).where(SeasonPhase.season_id == season.id))}
    for position, phase in enumerate(calendar.phases):
        row = phases.get(phase.id) or SeasonPhase(season_id=season.id, phase_id=phase.id, position=position,
                                                  label_zh="", label_en="", clause="", starts_at=phase.start,
                                                  ends_at=phase.end)
        row.position, row.label_zh, row.label_en, row.clause = position, phase.label["zh"], phase.label["en"], phase.clause
        row.starts_at, row.ends_at = phase.start, phase.end
        session.add(row)
    windows = {w.window_id: w for w in session.exec(select(SeasonWindow).where(SeasonWindow.season_id == season.id))}
    for window in calendar.windows:
        row = windows.get(window.id) or SeasonWindow(season_id=season.id, window_id=window.id, label_zh="", label_en="",
                                                     clause="", districts=[], groups=[], opens_at=window.opens_at,
                                                     closes_at=window.closes_at)
        row.label_zh, row.label_en, row.clause = window.label["zh"], window.label["en"], window.clause
        row.districts, row.groups = list(window.districts), list(window.groups)
        row.opens_at, row.closes_at = window.opens_at, window.closes_at
        session.add(row)
    existing = {b.job_id: b for b in session.exec(select(SeasonBoundary).where(SeasonBoundary.season_id == season.id))}
    for plan in _planned(season, calendar):
        row = existing.get(plan["job_id"])
        if row is None:
            row = SeasonBoundary(season_id=season.id, **plan)
        elif row.state == BoundaryState.pending.value:  # only what has not happened may move
            for key, value in plan.items():
                setattr(row, key, value)
        session.add(row)
    session.flush()
    return list(session.exec(select(SeasonBoundary).where(SeasonBoundary.season_id == season.id)
                             .order_by(SeasonBoundary.seq)))


def _transition(session: Session, boundary: SeasonBoundary, now: datetime, runner: str) -> bool:
    """Move the season across one boundary; False when another runner already did.

    A boundary with actions is fired with the lease on them already taken by this runner, so no
    other runner can take them over between the two (and this one's run would say "waiting")."""
    lease = {"lease_owner": runner, "lease_until": utcnow() + LEASE} if boundary.actions else {}
    claimed = session.execute(
        update(SeasonBoundary)
        .where(SeasonBoundary.id == boundary.id, SeasonBoundary.state == BoundaryState.pending.value)
        .values(state=(BoundaryState.fired if boundary.actions else BoundaryState.done).value,
                fired_at=now, done_at=None if boundary.actions else now, **lease))
    if claimed.rowcount != 1:
        return False
    season = session.get(Season, boundary.season_id)
    if boundary.kind == BoundaryKind.window_open.value:
        session.execute(update(SeasonWindow).where(
            SeasonWindow.season_id == season.id, SeasonWindow.window_id == boundary.window_id,
            SeasonWindow.state == "pending").values(state="open"))
        action, from_state, to_state = "window_opened", None, boundary.window_id
    else:
        moved = session.execute(update(Season).where(Season.id == season.id, Season.phase == boundary.from_phase)
                                .values(phase=boundary.to_phase))
        if moved.rowcount != 1:
            raise OutOfOrder(f"season {season.year} is in phase {season.phase!r}, "
                             f"{boundary.job_id} expects {boundary.from_phase!r}")
        opening = boundary.kind == BoundaryKind.phase_start.value
        session.execute(update(SeasonPhase).where(
            SeasonPhase.season_id == season.id, SeasonPhase.phase_id == boundary.phase_id,
            SeasonPhase.state == ("pending" if opening else "open")).values(state="open" if opening else "closed"))
        if not opening and boundary.phase_id == calendar_for(session, season).window_phase:
            session.execute(update(SeasonWindow).where(SeasonWindow.season_id == season.id,
                                                       SeasonWindow.state != "closed").values(state="closed"))
        action = "phase_opened" if opening else "phase_closed"
        from_state, to_state = boundary.from_phase, boundary.to_phase
    append_event(session, actor=runner, actor_role=Role.system.value, subject_type="season", subject_id=season.year,
                 action=action, from_state=from_state, to_state=to_state, at=now,
                 data={"job_id": boundary.job_id, "due_at": boundary.due_at.isoformat(),
                       "late_seconds": round((now - boundary.due_at).total_seconds(), 3)})
    return True


def _claim_actions(engine: Engine, boundary_id: int, runner: str) -> bool:
    with write_session(engine) as session:
        wall = utcnow()
        claimed = session.execute(
            update(SeasonBoundary)
            .where(SeasonBoundary.id == boundary_id, SeasonBoundary.state == BoundaryState.fired.value,
                   or_(SeasonBoundary.lease_until.is_(None), SeasonBoundary.lease_until < wall,
                       SeasonBoundary.lease_owner == runner))
            .values(lease_owner=runner, lease_until=wall + LEASE))
        return claimed.rowcount == 1


def _finish_actions(engine: Engine, boundary: SeasonBoundary, now: datetime, runner: str, summary: dict) -> None:
    with write_session(engine) as session:
        finished = session.execute(
            update(SeasonBoundary)
            .where(SeasonBoundary.id == boundary.id, SeasonBoundary.state == BoundaryState.fired.value,
                   SeasonBoundary.lease_owner == runner)
            .values(state=BoundaryState.done.value, done_at=now, lease_owner=None, lease_until=None))
        if finished.rowcount == 1:
            season = session.get(Season, boundary.season_id)
            append_event(session, actor=runner, actor_role=Role.system.value, subject_type="season",
                         subject_id=season.year, action="phase_actions_done", at=now,
                         data={"job_id": boundary.job_id, "actions": summary})


def _record(engine: Engine, boundary: SeasonBoundary, runner: str, now: datetime, started: datetime,
            step: Step) -> Step:
    with write_session(engine) as session:
        session.add(JobRun(season_id=boundary.season_id, job_id=boundary.job_id, runner=runner, season_time=now,
                           started_at=started, finished_at=utcnow(), outcome=step.outcome, detail=step.detail,
                           detail_zh=step.detail_zh))
    return step


def _release_lease(engine: Engine, boundary_id: int, runner: str) -> None:
    """Give up this runner's lease on a boundary whose actions failed, so the next attempt (any
    runner's) retries them at once instead of reading "waiting" until the lease runs out."""
    with write_session(engine) as session:
        session.execute(update(SeasonBoundary)
                        .where(SeasonBoundary.id == boundary_id, SeasonBoundary.lease_owner == runner)
                        .values(lease_owner=None, lease_until=None))


def _failure(job_id: str, exc: BaseException) -> Step:
    """A failed run as recorded: a known error (UserFacingError) with its Chinese and English
    reason, any other by its type and text (English)."""
    if isinstance(exc, UserFacingError):
        return Step(job_id, "failed", exc.en, exc.zh)
    return Step(job_id, "failed", f"{type(exc).__name__}: {exc}")


def fire_boundary(engine: Engine, boundary: SeasonBoundary, clock: Clock, runner: str, *,
                  leave_undecided: bool = False) -> Step:
    """Transition one due boundary (once) and run its actions (resumably); returns what happened.
    `leave_undecided`: the allocation may leave undecided applications out (core.season.actions)."""
    from core.season.actions import run_actions

    started, now = utcnow(), clock.now()
    if boundary.due_at > now:
        raise NotDue(f"调度任务 {boundary.job_id} 未到执行时间（{boundary.due_at.isoformat()}）",
                     f"scheduler job {boundary.job_id} is not due before {boundary.due_at.isoformat()}")
    try:
        fired_now = False
        if boundary.state == BoundaryState.pending.value:
            with write_session(engine) as session:
                fired_now = _transition(session, boundary, now, runner)
            if not boundary.actions:
                return _record(engine, boundary, runner, now, started,
                               Step(boundary.job_id, "fired" if fired_now else "already_done"))
        if not _claim_actions(engine, boundary.id, runner):
            with read_session(engine) as session:
                done = session.get(SeasonBoundary, boundary.id).state == BoundaryState.done.value
            outcome = ("fired" if fired_now else "already_done") if done else "waiting"
            return _record(engine, boundary, runner, now, started, Step(boundary.job_id, outcome))
        summary = run_actions(engine, boundary, now, keep_alive=lambda: _claim_actions(engine, boundary.id, runner),
                              leave_undecided=leave_undecided)
        _finish_actions(engine, boundary, now, runner, summary)
        return _record(engine, boundary, runner, now, started,
                       Step(boundary.job_id, "fired" if fired_now else "actions_done", repr(summary)))
    except Exception as exc:  # recorded for the dashboard, then re-raised for the scheduler's log
        _release_lease(engine, boundary.id, runner)
        _record(engine, boundary, runner, now, started, _failure(boundary.job_id, exc))
        raise


def run_due(engine: Engine, clock: Clock, *, runner: str | None = None,
            on_step: Callable[[Step], None] | None = None, leave_undecided: bool = False) -> list[Step]:
    """Fire every boundary that is due, oldest first; stop at one another runner is still working on."""
    runner = runner or runner_name()
    steps: list[Step] = []
    now = clock.now()
    with read_session(engine) as session:
        due = list(session.exec(select(SeasonBoundary).where(SeasonBoundary.state != BoundaryState.done.value,
                                                             SeasonBoundary.due_at <= now)
                                .order_by(SeasonBoundary.season_id, SeasonBoundary.seq)))
    for boundary in due:
        step = fire_boundary(engine, boundary, clock, runner, leave_undecided=leave_undecided)
        steps.append(step)
        if on_step is not None:
            on_step(step)
        if step.outcome == "waiting":
            break
    return steps
