"""Every table of xuewei, as SQLModel classes.

Rows that record decisions (applications, events, ruleset versions) are never deleted:
corrections are new rows or new events. (A ruleset draft never activated, that nothing refers
to, decided nothing: an administrator may delete it, audited; core.ruleset_drafts.) Times are aware UTC datetimes (`UTCDateTime`).
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, cast, event, or_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel

from core.types import UTCDateTime, utcnow

__all__ = [
    "Role", "RulesetStatus", "Season", "RULESET_NOTE_MAX", "RulesetVersion", "School", "Catchment", "Account",
    "Application", "unclassified", "FactRecord", "ConnectorCall", "Document", "Event", "AuditHead",
    "SerialCounter", "CatchmentsVersion", "LoginSession",
]


def _json(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(JSON, nullable=nullable))


def _time(nullable: bool = True, **kwargs) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, **kwargs))


def _created() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Role(StrEnum):
    """Who an account acts as; `system` is the scheduler and phase actions."""

    guardian = "guardian"
    reviewer = "reviewer"
    district_admin = "district_admin"
    city_admin = "city_admin"
    operator = "operator"
    system = "system"


class RulesetStatus(StrEnum):
    """A ruleset version's life: draft → validated → active → retired."""

    draft = "draft"
    validated = "validated"
    active = "active"
    retired = "retired"


class Season(SQLModel, table=True):
    """One admission year of one city, e.g. Nanchang 2021."""

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True, unique=True)
    name: str
    phase: str = Field(default="preparation", max_length=40)
    active_ruleset_sha256: str | None = Field(default=None, max_length=64)
    lottery_commitment: str | None = Field(default=None, max_length=64)
    lottery_seed: str | None = Field(default=None, max_length=256)
    created_at: datetime = _created()


RULESET_NOTE_MAX = 200  # characters of an administrator's note on a ruleset version


class RulesetVersion(SQLModel, table=True):
    """A ruleset as submitted by an administrator, known by the sha256 of its canonical JSON."""

    id: int | None = Field(default=None, primary_key=True)
    season_id: int = Field(foreign_key="season.id", index=True)
    ruleset_id: str = Field(max_length=80)
    version: str = Field(max_length=40)
    sha256: str = Field(max_length=64, unique=True)
    canonical_json: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=RulesetStatus.draft.value, max_length=16)  # RulesetStatus
    created_by: str | None = Field(default=None, max_length=80)
    created_at: datetime = _created()
    activated_at: datetime | None = _time()
    note: str | None = Field(default=None, max_length=RULESET_NOTE_MAX)  # what it is for; not part of its content


class School(SQLModel, table=True):
    """A primary or middle school of the season, with its public capacity (middle schools)."""

    __table_args__ = (UniqueConstraint("season_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    season_id: int = Field(foreign_key="season.id", index=True)
    code: str = Field(max_length=40)
    name: str = Field(max_length=120)
    stage: str = Field(max_length=16)  # primary | middle
    kind: str = Field(default="public", max_length=20)  # public | province_run | private
    district: str = Field(max_length=40)
    coordinating_district: str | None = Field(default=None, max_length=40)
    school_group: str | None = Field(default=None, max_length=80)
    in_urban_area: bool = True
    capacity: int = 0
    x: float | None = None
    y: float | None = None


class Catchment(SQLModel, table=True):
    """A middle school's catchment (学区): rules over address fields, imported per season."""

    __table_args__ = (UniqueConstraint("season_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    season_id: int = Field(foreign_key="season.id", index=True)
    code: str = Field(max_length=40)
    school_id: int = Field(foreign_key="school.id", index=True)
    rules: Any = _json(nullable=False)


class Account(SQLModel, table=True):
    """A login: a guardian, or a staff member created by a city administrator."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=20)  # a Role value
    district: str | None = Field(default=None, max_length=40)
    display_name: str = Field(default="", max_length=80)
    id_number: str | None = Field(default=None, max_length=18)
    identity_verified_at: datetime | None = _time()
    is_active: bool = True
    created_at: datetime = _created()



class LoginSession(SQLModel, table=True):
    """One login: the signed cookie names it, so logging out ends it for good (not just in the
    browser); disabling an account or setting its password ends its logins here too."""

    sid: str = Field(primary_key=True, max_length=64)
    account_id: int = Field(foreign_key="account.id", index=True)
    created_at: datetime = _created()
    ended_at: datetime | None = _time()

class Application(SQLModel, table=True):
    """One pupil's registration: its workflow state, and once submitted, frozen for good."""

    # An id is never given twice (SQLite's AUTOINCREMENT; PostgreSQL's sequences never reuse):
    # a removed draft's audit events must not become another application's history.
    # Submissions in a recent window (the dashboard's per-minute chart, /metrics) are read from the
    # index: reaching submitted_at in the row means reading past its JSON columns.
    __table_args__ = (UniqueConstraint("season_id", "pupil_id_number"),
                      Index("ix_application_season_submitted", "season_id", "submitted_at"), {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, primary_key=True)
    season_id: int = Field(foreign_key="season.id", index=True)
    guardian_id: int = Field(foreign_key="account.id", index=True)
    pupil_id_number: str = Field(max_length=18)
    pupil_name: str = Field(default="", max_length=80)
    district: str = Field(max_length=40, index=True)
    state: str = Field(default="draft", max_length=32, index=True)
    version: int = Field(default=1)
    serial: str | None = Field(default=None, max_length=24, unique=True)
    ruleset_sha256: str | None = Field(default=None, max_length=64)
    residence_basis: Any = _json()
    frozen_facts: Any = _json()
    classification: Any = _json()
    tier: str | None = Field(default=None, max_length=16)
    created_at: datetime = _created()
    updated_at: datetime = _created()
    submitted_at: datetime | None = _time()

    def judging_ruleset(self, season: Season) -> str | None:
        """The sha256 of the ruleset this application is judged by: the version it was submitted
        under (it keeps it for good), else, before submission, the season's active one."""
        return self.ruleset_sha256 or season.active_ruleset_sha256



def unclassified():
    """SQL: the application has no stored classification yet (SQL NULL, or the JSON null a
    None is stored as)."""
    return or_(Application.classification.is_(None), cast(Application.classification, Text) == "null")

class FactRecord(SQLModel, table=True):
    """What one source said about one application, with when and a digest of the payload."""

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    source: str = Field(max_length=40)
    connector: str = Field(default="", max_length=80)  # the plugin that answered
    fetched_at: datetime = _created()
    payload_digest: str = Field(max_length=64)
    payload: Any = _json(nullable=False)


class ConnectorCall(SQLModel, table=True):
    """One call to a data source and how it went, for operators' connector health."""

    __table_args__ = (Index("ix_connectorcall_source_started", "source", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: int | None = Field(default=None, foreign_key="application.id", index=True)
    source: str = Field(max_length=40)
    started_at: datetime = _created()
    latency_ms: float = 0.0
    outcome: str = Field(max_length=16)  # ok | failed | invalid
    error: str | None = Field(default=None, max_length=500)
    plugin: str | None = Field(default=None, max_length=80)  # that answered, failed or timed out; None: none did


class Document(SQLModel, table=True):
    """A file a guardian uploaded, identified by its content hash and checked by content."""

    __table_args__ = ({"sqlite_autoincrement": True},)  # audit events name documents by id: never given twice

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    kind: str = Field(max_length=40)
    filename: str = Field(max_length=200)
    media_type: str = Field(max_length=60)
    size: int
    sha256: str = Field(max_length=64)
    uploaded_at: datetime = _created()
    review_state: str = Field(default="pending", max_length=16)


class Event(SQLModel, table=True):
    """The append-only audit trail; each row carries the hash of the one before it."""

    __table_args__ = (Index("ix_event_subject", "subject_type", "subject_id"),)

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True)
    at: datetime = _created()
    actor: str = Field(max_length=80)
    actor_role: str = Field(max_length=20)
    subject_type: str = Field(max_length=40)
    subject_id: str = Field(max_length=40)
    action: str = Field(max_length=60)
    from_state: str | None = Field(default=None, max_length=32)
    to_state: str | None = Field(default=None, max_length=32)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    data: Any = _json()
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """The newest link of the audit chain; its row lock serialises appends on PostgreSQL."""

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(max_length=64)


class SerialCounter(SQLModel, table=True):
    """The last sequence number handed out per season and district."""

    season_id: int = Field(foreign_key="season.id", primary_key=True)
    district_code: str = Field(max_length=8, primary_key=True)
    last: int = 0


class CatchmentsVersion(SQLModel, table=True):
    """How many times a season's schools or catchments have changed: caches of the catchment
    index (core.assessment) are keyed on it. A row of its own, not a column of `Season`, so a
    stale `Season` object written back can never set the count back."""

    season_id: int = Field(foreign_key="season.id", primary_key=True)
    version: int = 0


@event.listens_for(Session, "before_flush")
def _count_catchment_changes(session: Session, _context, _instances) -> None:
    """Count one change for every season whose schools or catchments this flush adds, changes
    or deletes, in the same transaction. One atomic upsert, so two concurrent imports can never
    both leave the same number behind."""
    changed = {row.season_id for row in (*session.new, *session.dirty, *session.deleted)
               if isinstance(row, (School, Catchment)) and row.season_id is not None}
    if not changed:
        return
    dialect = session.get_bind().dialect.name
    insert = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}[dialect]
    for season_id in sorted(changed):
        statement = insert(CatchmentsVersion).values(season_id=season_id, version=1)
        session.execute(statement.on_conflict_do_update(
            index_elements=["season_id"], set_={"version": CatchmentsVersion.version + 1}))
