"""Phase actions: what happens when collection closes, verification ends, classification and allocation open.

Each action is idempotent and works in batches of its own transactions, selecting only what
is still to do (drafts still open, approved applications not yet classified), so a run that
was killed halfway resumes where it stopped and a second run changes nothing.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import select

from core.applications import fire_on_season
from core.assessment import catchments_of
from core.db import read_session, write_session
from core.errors import UserFacingError
from core.models import Application, Season, unclassified
from core.rulesets import ruleset_document
from core.season.graduates import build_graduates_database
from core.season.models import SeasonBoundary
from core.season.undecided import check_all_decided
from core.workflow import Actor

__all__ = ["ACTIONS", "run_actions", "close_unsubmitted", "classify_approved", "allocate_seats", "publish_seats",
           "BATCH", "SeedNotRevealed"]

BATCH = 200
KeepAlive = Callable[[], Any]
Action = Callable[[Engine, int, datetime, KeepAlive], dict[str, Any]]
CLOSE = "close_unsubmitted"
ALLOCATE = "allocate_seats"


class SeedNotRevealed(UserFacingError):
    """The allocation's draw cannot run before the committed seed is revealed (xuewei lottery reveal)."""

    code = "seed_not_revealed"
    http_status = 409


def close_unsubmitted(engine: Engine, season_id: int, now: datetime, keep_alive: KeepAlive) -> dict[str, Any]:
    """§4.3: every application still open when collection closes becomes `not_submitted` (kept, not deleted)."""
    return {"closed": fire_on_season(engine, season_id, CLOSE, actor=Actor.system("scheduler"), now=now,
                                     batch_size=BATCH, keep_alive=keep_alive)}


def classify_approved(engine: Engine, season_id: int, now: datetime, keep_alive: KeepAlive) -> dict[str, Any]:
    """§6: run the pinned ruleset over every approved application and store its tier and reasons."""
    from core.rules import load_ruleset

    rulesets: dict[str, Any] = {}
    with write_session(engine) as session:
        catchments = catchments_of(session, season_id)
    classified, last_id = 0, 0
    while True:
        with write_session(engine) as session:
            batch = session.exec(select(Application).where(
                Application.season_id == season_id, Application.state == "approved",
                unclassified(), Application.id > last_id)
                .order_by(Application.id).limit(BATCH)).all()
            for application in batch:
                sha = application.ruleset_sha256
                if sha not in rulesets:
                    rulesets[sha] = load_ruleset(ruleset_document(session, sha))
                result = rulesets[sha].classify(application.frozen_facts or {}, catchments, explain=True)
                session.execute(update(Application).where(Application.id == application.id, unclassified())
                                .values(classification=result.to_dict(),
                                        tier=None if result.tier is None else str(result.tier))
                                .execution_options(synchronize_session=False))
                last_id = application.id
        classified += len(batch)
        if len(batch) < BATCH:
            return {"classified": classified}
        keep_alive()


def allocate_seats(engine: Engine, season_id: int, now: datetime, keep_alive: KeepAlive, *,
                   leave_undecided: bool = False) -> dict[str, Any]:
    """§6: hand the season to the allocation step (core.allocation), which owns seats and the draw.

    Refused (SeedNotRevealed, UndecidedApplications: known errors, worded in Chinese and
    English for the dashboard) before the draw's seed is revealed, and while submitted
    applications are undecided unless `leave_undecided`; what was left out is then in the
    summary, which the phase's `phase_actions_done` audit event records."""
    from core import allocation

    step = getattr(allocation, "run_season_allocation", None)
    if step is None:
        raise RuntimeError("core.allocation offers no season step (run_season_allocation(engine, season_id, now))")
    with read_session(engine) as session:
        season = session.get(Season, season_id)
        undecided = check_all_decided(session, season, leave_undecided=leave_undecided)
        if not season.lottery_seed or not season.lottery_commitment:
            raise SeedNotRevealed(
                f"{season.year}年度随机派位种子尚未公开，不能分配学位：请先运行 xuewei lottery reveal --season {season.year} --seed …",
                f"season {season.year}: reveal the committed lottery seed first (xuewei lottery reveal --season "
                f"{season.year} --seed …)")
    summary = dict(step(engine, season_id, now) or {})
    return {**summary, "left_undecided": undecided} if undecided else summary


def publish_seats(engine: Engine, season_id: int, now: datetime, keep_alive: KeepAlive) -> dict[str, Any]:
    """§8.1: the pre-allocation is published; every family is told its seat (core.allocation)."""
    from core.allocation.store import announce_published

    return announce_published(engine, season_id, now)


def _graduates(engine: Engine, season_id: int, now: datetime, keep_alive: KeepAlive) -> dict[str, Any]:
    snapshot = build_graduates_database(engine, season_id, now)
    return {"snapshot": snapshot.id, "rows": snapshot.row_count}


ACTIONS: dict[str, Action] = {
    "close_unsubmitted": close_unsubmitted,
    "build_graduates_database": _graduates,
    "classify_approved": classify_approved,
    ALLOCATE: allocate_seats,
    "publish_seats": publish_seats,
}


def run_actions(engine: Engine, boundary: SeasonBoundary, now: datetime, *, keep_alive: KeepAlive,
                leave_undecided: bool = False) -> dict[str, Any]:
    """Run a boundary's actions in order; each is safe to run again after an interruption.
    `leave_undecided` is the operator's word that the allocation may leave undecided
    applications out (`xuewei scheduler --leave-undecided`); no other action takes a word."""
    summary: dict[str, Any] = {}
    for name in boundary.actions:
        if name == ALLOCATE:
            summary[name] = allocate_seats(engine, boundary.season_id, now, keep_alive, leave_undecided=leave_undecided)
        else:
            summary[name] = ACTIONS[name](engine, boundary.season_id, now, keep_alive)
        keep_alive()
    return summary
