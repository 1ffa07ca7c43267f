"""When families see their seat: from the start of the calendar's publication phase (§8.1).

Allocation runs in the allocation phase, days before 学位预分配结果查询 opens: staff check the
result (`xuewei lottery verify`, the exports) and may run it again. Until publication a family
whose application has a seat reads that the result is being prepared and when it will be
published, never the school, and nobody is told anything; the scheduler's boundary that opens
the publication phase tells every family its seat (`store.announce_published`, the phase
action `publish_seats`). A ruleset whose calendar has no publication phase publishes at allocation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from core.clock import SHANGHAI
from core.models import Season
from core.plugins import hooks
from core.season.calendar import CalendarMissing, calendar_for, local_text

__all__ = ["PUBLICATION_PHASE", "publication_start", "is_published", "family_seat", "tell_family"]

PUBLICATION_PHASE = "publication"


def publication_start(session: Session, season: Season) -> datetime | None:
    """When the season's seats are published (the publication phase's start), or None when the
    active ruleset's calendar has no such phase (seats are then published as soon as allocated)."""
    try:
        phases = calendar_for(session, season).phases
    except CalendarMissing:
        return None
    return next((phase.start for phase in phases if phase.id == PUBLICATION_PHASE), None)


def is_published(session: Session, season: Season, now: datetime | None) -> bool:
    """Whether families may see their seats at `now` (an unknown time is not yet)."""
    start = publication_start(session, season)
    return start is None or (now is not None and now >= start)


def family_seat(session: Session, season: Season, seat: dict[str, Any] | None,
                now: datetime | None) -> dict[str, Any] | None:
    """A seat (`store.seat_of_application`) as its family may see it at `now`: the whole seat once
    published; before, only that a result is being prepared and when it will be published."""
    if seat is None:
        return None
    if is_published(session, season, now):
        return {**seat, "published": True}
    start = publication_start(session, season)
    return {"published": False, "publishes_at": start.astimezone(SHANGHAI).isoformat(), "publishes_at_text": local_text(start)}


def tell_family(guardian_id: int, application_id: int, why: dict[str, str]) -> None:
    """Send one family its seat's reason (`notify_guardian`, kind `allocated`)."""
    hooks().notify_guardian(guardian_id=guardian_id, application_id=application_id, kind="allocated", message=why)
