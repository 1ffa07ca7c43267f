"""Tables of the allocation: runs, each pupil's pre-allocated seat, and the §6.1 property ledger.

A run is never edited: running again with other inputs adds a run, and the newest run of a
season is the pre-allocation guardians see. Running again with the same inputs finds the run
with the same export digest and changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.types import UTCDateTime, utcnow

__all__ = ["AllocationRun", "AllocationSeat", "PropertyLedgerEntry"]


def _created() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class AllocationRun(SQLModel, table=True):
    """One allocation of a season: the revealed seed, the policy's ruleset and the export digest."""

    __table_args__ = (UniqueConstraint("season_id", "export_sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    season_id: int = Field(foreign_key="season.id", index=True)
    ruleset_sha256: str = Field(max_length=64)
    seed: str = Field(max_length=256)
    commitment: str = Field(max_length=64)
    export_sha256: str = Field(max_length=64)
    pupils: int
    schools: int
    run_by: str = Field(max_length=80)
    created_at: datetime = _created()


class AllocationSeat(SQLModel, table=True):
    """One pupil's pre-allocated seat (学位预分配, §8.1): where, how, and why in zh and en."""

    __table_args__ = (UniqueConstraint("run_id", "application_id"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="allocationrun.id", index=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    serial: str = Field(max_length=24)
    school_code: str | None = Field(default=None, max_length=40)
    how: str = Field(max_length=16)  # direct | special | tier | lottery | placed | coordinated | unplaced
    tier: str = Field(max_length=16)
    catchment_school: str | None = Field(default=None, max_length=40)
    lottery_number: str = Field(max_length=64)
    lottery_rank: int | None = None
    distance_m: float | None = None
    note: str = Field(default="", max_length=24)
    why_zh: str = Field(sa_column=Column(Text, nullable=False))
    why_en: str = Field(sa_column=Column(Text, nullable=False))


class PropertyLedgerEntry(SQLModel, table=True):
    """§6.1: a property certificate that gave a seat, with the admission year, the pupil and the family."""

    __table_args__ = (UniqueConstraint("season_id", "property_key", "serial"),)

    id: int | None = Field(default=None, primary_key=True)
    season_id: int = Field(foreign_key="season.id", index=True)
    run_id: int = Field(foreign_key="allocationrun.id", index=True)
    property_key: str = Field(max_length=120, index=True)
    year: int
    serial: str = Field(max_length=24)
    family_key: str = Field(max_length=64)
    created_at: datetime = _created()
