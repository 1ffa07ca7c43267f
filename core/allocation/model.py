"""Typed inputs and results of the allocation, free of any storage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Pupil", "School", "SchoolResult", "Seat"]

SCHOOL_KINDS = frozenset({"public", "province_run", "private"})


@dataclass(frozen=True, slots=True)
class School:
    """A middle school with its public capacity for the season and a location in metres."""

    id: str
    name: str
    capacity: int
    x: float
    y: float
    district: str = ""
    kind: str = "public"
    catchment_id: str | None = None


@dataclass(frozen=True, slots=True)
class Pupil:
    """An approved, classified application as the allocation needs it.

    `tier` is a tier id of the policy's tier order, or "coordinated" (§6.2) or
    "undetermined"; `catchment_school` is the school whose catchment holds the residence
    basis; x, y are the residence in the schools' metres, `located` False when they only stand
    in for it (the source gave no location): placement still uses them, but no distance is
    claimed. `grounds` say why the classification left the pupil to the authority (coordinated,
    undetermined): its own reasons as (clause, zh, en), which the seat's reason cites.
    """

    serial: str
    tier: str
    x: float
    y: float
    catchment_school: str | None = None
    direct_school: str | None = None
    direct_confirmed: bool = False
    special_school: str | None = None
    property_key: str | None = None
    family_key: str | None = None
    submitted_at: str = ""
    located: bool = True
    grounds: tuple[tuple[str, str, str], ...] = ()

    @property
    def family(self) -> str:
        """Who counts as one family for §6.1; a pupil without a family key is a family alone."""
        return self.family_key or f"pupil:{self.serial}"


@dataclass(slots=True)
class Seat:
    """One pupil's result: where, how, and what the explanation is built from.

    `how` is direct, special, tier, lottery, placed, coordinated or unplaced.

    Not frozen only because frozen dataclasses cost six times as much to build, and an
    allocation builds one per pupil; treat it as read-only.
    """

    serial: str
    school: str | None
    how: str
    tier: str
    catchment_school: str | None
    lottery_number: str
    lottery_rank: int | None = None
    distance_m: float | None = None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Plain values for the exports."""
        return {
            "serial": self.serial,
            "school": self.school,
            "how": self.how,
            "tier": self.tier,
            "catchment_school": self.catchment_school,
            "lottery_number": self.lottery_number,
            "lottery_rank": self.lottery_rank,
            "distance_m": None if self.distance_m is None else round(self.distance_m, 1),
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class SchoolResult:
    """One school's table: capacity, the catchment's applicants per tier, the draw, the flows."""

    school: str
    capacity: int
    direct: tuple[str, ...]
    special: tuple[str, ...]
    applicants: dict[str, tuple[str, ...]]
    overflow_tier: str | None
    lottery_size: int
    lottery_seats: int
    cutoff_rank: int | None
    cutoff_number: str | None
    placed_elsewhere: int
    placed_in: int
    admitted: int

    @property
    def free(self) -> int:
        """Seats left after everything."""
        return self.capacity - self.admitted
