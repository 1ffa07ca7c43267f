"""Small-city builders for allocation tests: a fixed committed seed and a one-call allocation."""

from __future__ import annotations

from core.allocation import AllocationPolicy, Pupil, School, allocate, commitment_of, lottery_number

SEED = "a1" * 32


def run(schools, pupils, *, policy=None, ledger=(), season=2021):
    """Allocate with the test seed and its true commitment."""
    return allocate(
        schools,
        pupils,
        season=season,
        seed=SEED,
        commitment=commitment_of(SEED),
        policy=policy or AllocationPolicy(),
        ledger=ledger,
    )


def by_lottery(*serials: str) -> list[str]:
    """Serials in draw order, computed from the published rule: HMAC-SHA-256(seed, serial)."""
    return sorted(serials, key=lambda serial: lottery_number(bytes.fromhex(SEED), serial))


def seats(allocation) -> dict[str, tuple[str | None, str]]:
    """serial -> (school, how)."""
    return {seat.serial: (seat.school, seat.how) for seat in allocation.seats}


def school(school_id: str, capacity: int, x: float = 0.0, y: float = 0.0) -> School:
    return School(id=school_id, name=f"{school_id}中学", capacity=capacity, x=x, y=y)


def pupil(serial: str, tier: str, catchment: str | None, x: float = 0.0, y: float = 0.0, **extra) -> Pupil:
    return Pupil(serial=serial, tier=tier, x=x, y=y, catchment_school=catchment, **extra)
