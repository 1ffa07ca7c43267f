"""Tables of the season clock: phases, windows, due boundaries, job runs, locked lists, snapshots.

Phases, windows and boundaries are materialised from the active ruleset's `calendar`; the
boundaries are the scheduler's queue (deadlines live in our database, not in APScheduler's).
Locked-list versions and graduate snapshots are never edited once submitted or frozen.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.types import UTCDateTime, utcnow

__all__ = [
    "BoundaryKind", "BoundaryState", "SeasonPhase", "SeasonWindow", "SeasonBoundary", "JobRun",
    "LockedList", "LockedListVersion", "GraduateSnapshot", "GraduateRow", "SchedulerHeartbeat",
]


def _json(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(JSON, nullable=nullable))


def _time(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


def _created() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class BoundaryKind(StrEnum):
    """What happens at a boundary: a phase opens, a phase closes, a district window opens."""

    phase_start = "phase_start"
    phase_end = "phase_end"
    window_open = "window_open"


class BoundaryState(StrEnum):
    """pending → fired (the season moved, exactly once) → done (its phase actions finished)."""

    pending = "pending"
    fired = "fired"
    done = "done"


class SeasonPhase(SQLModel, table=True):
    """One phase of the season (§4, §5) as the ruleset dates it: pending → open → closed."""

    __table_args__ = (UniqueConstraint("season_id", "phase_id"),)

    id: int | None = Field(default=None, primary_key=True)
    season_id: int = Field(foreign_key="season.id", index=True)
    position: int
    phase_id: str = Field(max_length=40)
    label_zh: str = Field(max_length=120)
    label_en: str = Field(max_length=120)
    clause: str = Field(max_length=20)
    starts_at: datetime = _time(nullable=False)
    ends_at: datetime = _time(nullable=False)
    state: str = Field(default="pending", max_length=16)


class SeasonWindow(SQLModel, table=True):
    """A staggered first-login window (§2.2): districts or school groups, open until collection ends."""

    __table_args__ = (UniqueConstraint("season_id", "window_id"),)

    id: int | None = Field(default=None, primary_key=True)
    season_id: int = Field(foreign_key="season.id", index=True)
    window_id: str = Field(max_length=40)
    label_zh: str = Field(max_length=120)
    label_en: str = Field(max_length=120)
    clause: str = Field(max_length=20)
    districts: Any = _json(nullable=False)
    groups: Any = _json(nullable=False)
    opens_at: datetime = _time(nullable=False)
    closes_at: datetime = _time(nullable=False)
    state: str = Field(default="pending", max_length=16)


class SeasonBoundary(SQLModel, table=True):
    """A deadline the scheduler fires: due time, state, and the season phase it moves from and to."""

    __table_args__ = (UniqueConstraint("season_id", "job_id"), Index("ix_boundary_due", "state", "due_at"))

    id: int | None = Field(default=None, primary_key=True)
    season_id: int = Field(foreign_key="season.id", index=True)
    job_id: str = Field(max_length=80)
    seq: int
    kind: str = Field(max_length=16)  # BoundaryKind
    phase_id: str | None = Field(default=None, max_length=40)
    window_id: str | None = Field(default=None, max_length=40)
    due_at: datetime = _time(nullable=False)
    from_phase: str | None = Field(default=None, max_length=40)
    to_phase: str | None = Field(default=None, max_length=40)
    actions: Any = _json(nullable=False)
    state: str = Field(default=BoundaryState.pending.value, max_length=16)
    fired_at: datetime | None = _time()
    done_at: datetime | None = _time()
    lease_owner: str | None = Field(default=None, max_length=80)
    lease_until: datetime | None = _time()


class JobRun(SQLModel, table=True):
    """One run of a scheduler job, for the operators' dashboard: who, when, and how it ended."""

    id: int | None = Field(default=None, primary_key=True)
    season_id: int = Field(foreign_key="season.id", index=True)
    job_id: str = Field(max_length=80, index=True)
    runner: str = Field(max_length=80)
    season_time: datetime = _time(nullable=False)
    started_at: datetime = _created()
    finished_at: datetime | None = _time()
    outcome: str = Field(default="running", max_length=20)  # running | fired | already_done | actions_done | waiting | failed
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # a failure's reason in Chinese when the error is a known one (core.errors.UserFacingError);
    # `detail` then holds the English
    detail_zh: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class SchedulerHeartbeat(SQLModel, table=True):
    """The latest sign of life of the scheduler on one host (core.season.heartbeat rewrites it).

    `started_at` and `seen_at` are wall-clock times, since they say whether a process is alive;
    `season_time` and `next_due_at` are the season clock's."""

    host: str = Field(primary_key=True, max_length=80)
    pid: int
    started_at: datetime = _time(nullable=False)
    seen_at: datetime = _time(nullable=False)
    interval_seconds: float
    season_time: datetime = _time(nullable=False)
    next_job_id: str | None = Field(default=None, max_length=80)
    next_due_at: datetime | None = _time()


class LockedList(SQLModel, table=True):
    """A preparation list (§4.1) of one kind from one owner: its versions live in LockedListVersion."""

    __table_args__ = (UniqueConstraint("season_id", "kind", "owner"),)

    id: int | None = Field(default=None, primary_key=True)
    season_id: int = Field(foreign_key="season.id", index=True)
    kind: str = Field(max_length=32)  # direct_promotion | special_policy | province_staff
    owner: str = Field(max_length=120)
    current_version: int | None = None
    created_at: datetime = _created()


class LockedListVersion(SQLModel, table=True):
    """One version of a list: draft (editable) → submitted (locked); corrections: proposed → approved."""

    __table_args__ = (UniqueConstraint("list_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    list_id: int = Field(foreign_key="lockedlist.id", index=True)
    version: int
    state: str = Field(max_length=16)  # draft | submitted | proposed | approved | superseded | refused
    entries: Any = _json(nullable=False)
    entries_sha256: str = Field(max_length=64)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_by: str = Field(max_length=80)
    created_at: datetime = _created()
    decided_by: str | None = Field(default=None, max_length=80)
    decided_at: datetime | None = _time()
    decision_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # why it was refused


class GraduateSnapshot(SQLModel, table=True):
    """The graduates database (§5): a frozen copy of every application, with its counts and digest."""

    __table_args__ = (UniqueConstraint("season_id", "label"),)

    id: int | None = Field(default=None, primary_key=True)
    season_id: int = Field(foreign_key="season.id", index=True)
    label: str = Field(max_length=40)
    season_time: datetime = _time(nullable=False)
    built_at: datetime = _created()
    built_by: str = Field(max_length=80)
    row_count: int
    counts: Any = _json(nullable=False)
    sha256: str = Field(max_length=64)


class GraduateRow(SQLModel, table=True):
    """One application as the snapshot froze it."""

    __table_args__ = (UniqueConstraint("snapshot_id", "application_id"),)

    id: int | None = Field(default=None, primary_key=True)
    snapshot_id: int = Field(foreign_key="graduatesnapshot.id", index=True)
    application_id: int = Field(foreign_key="application.id")
    serial: str | None = Field(default=None, max_length=24)
    pupil_id_number: str = Field(max_length=18)
    pupil_name: str = Field(default="", max_length=80)
    district: str = Field(max_length=40)
    state: str = Field(max_length=32)
    tier: str | None = Field(default=None, max_length=16)
