"""Submitted applications nobody has decided, and until when they can still be decided.

The workflow lets reviewers decide only during the phases its decisions name (`during`); after
the last of them ends nobody can approve, reject or return an application, so one still
waiting then gets no seat. The review pages name that deadline, the dashboard lists what is
still undecided as it nears, and the allocation refuses to run over undecided applications
unless told to leave them out (`xuewei allocate --leave-undecided`).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from core.errors import UserFacingError
from core.models import Application, Role, Season
from core.review import DECISIONS
from core.rulesets import workflow_for
from core.season.calendar import last_phase_end, local_text
from core.workflow import Workflow

__all__ = ["DEADLINE_NEAR", "undecided_states", "decision_deadline", "deadline_near", "undecided_counts",
           "UndecidedApplications", "check_all_decided"]

DEADLINE_NEAR = timedelta(hours=24)  # the dashboard lists undecided applications from this long before the deadline


def undecided_states(workflow: Workflow) -> tuple[str, ...]:
    """States of a submitted application still waiting for a decision: those a decision is made
    from ("submitted"), and those a decision sent it to from which the guardian brings it back
    there ("returned": the guardian supplies the materials). A decision staff may take back
    ("approved", "rejected": the `reopen` step) is a decision all the same."""
    decisions = [workflow.transitions[d] for d in DECISIONS if d in workflow.transitions]
    waiting = set().union(*(t.sources for t in decisions))
    back = {t.target for t in decisions
            if any(t.target in other.sources and other.target in waiting and Role.guardian.value in other.by
                   for other in workflow.transitions.values())}
    return tuple(state for state in workflow.states if state in waiting | back)


def decision_deadline(session: Session, season: Season) -> dict[str, Any] | None:
    """When the last phase in which the ruleset lets reviewers decide ends (what the refusal of a
    late decision names): {"at": datetime, "text": {"zh", "en"}}; None when decisions are never
    held to a phase."""
    workflow = workflow_for(session, season.active_ruleset_sha256)
    at = last_phase_end(session, season, (workflow.transitions[d] for d in DECISIONS if d in workflow.transitions))
    return None if at is None else {"at": at, "text": local_text(at)}


def undecided_counts(session: Session, season: Season) -> dict[str, dict[str, int]]:
    """Undecided submitted applications per district and state, districts in order."""
    states = undecided_states(workflow_for(session, season.active_ruleset_sha256))
    rows = session.exec(select(Application.district, Application.state, func.count())
                        .where(Application.season_id == season.id, Application.state.in_(states))
                        .group_by(Application.district, Application.state)).all()
    counts: dict[str, dict[str, int]] = {}
    for district, state, count in sorted(rows, key=lambda row: (row[0] or "", states.index(row[1]))):
        counts.setdefault(district, {})[state] = count
    return counts


class UndecidedApplications(UserFacingError):
    """The allocation was asked to run while submitted applications are still undecided."""

    code = "undecided_applications"
    http_status = 409

    def __init__(self, counts: dict[str, dict[str, int]], labels: Any):
        parts = [(district, state, count, labels(state)) for district, states in counts.items()
                 for state, count in states.items()]
        total = sum(count for _, _, count, _ in parts)
        super().__init__(
            f"仍有 {total} 份已提交的申请未作审核决定（" + "；".join(f"{d} {label['zh']} {n} 份" for d, _, n, label in parts)
            + "），分配时将没有学位。确认将其排除在分配之外时，请使用 --leave-undecided",
            f"{total} submitted application(s) are still undecided ("
            + "; ".join(f"{d} {label['en']}: {n}" for d, _, n, label in parts)
            + ") and would get no seat; pass --leave-undecided to allocate without them")
        self.counts = counts


def check_all_decided(session: Session, season: Season, *, leave_undecided: bool = False) -> dict[str, dict[str, int]]:
    """Refuse (UndecidedApplications) while any submitted application of the season is undecided,
    unless told to leave them out; returns what is left out, per district and state."""
    counts = undecided_counts(session, season)
    if counts and not leave_undecided:
        raise UndecidedApplications(counts, workflow_for(session, season.active_ruleset_sha256).state_label)
    return counts


def deadline_near(deadline: dict[str, Any] | None, now: datetime) -> bool:
    """Whether `now` is within DEADLINE_NEAR of the decision deadline, or past it."""
    return deadline is not None and now >= deadline["at"] - DEADLINE_NEAR
