"""The allocation of a season: locked lists, catchment draws, then nearest-seat placement."""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from .draw import draw_school
from .ledger import PropertyConflict, PropertyUse, season_conflicts, uses_from
from .lottery import Lottery, commitment_of, reveal
from .model import SCHOOL_KINDS, Pupil, School, SchoolResult, Seat
from .nearest import FreeSeats
from .reasons import Explainer
from .policy import COORDINATED, UNDETERMINED, AllocationPolicy

__all__ = ["Allocation", "AllocationError", "allocate"]


class AllocationError(ValueError):
    """Inputs the allocation cannot run on (unknown school, duplicate serial, a locked list over capacity)."""


@dataclass(frozen=True)
class Allocation:
    """Everything the allocation decided, in a canonical order (schools by id, seats by serial)."""

    season: int
    policy: AllocationPolicy
    seed: str
    commitment: str
    schools: tuple[School, ...]
    results: tuple[SchoolResult, ...]
    seats: tuple[Seat, ...]
    conflicts: Mapping[str, PropertyConflict]
    new_uses: tuple[PropertyUse, ...]

    def school(self, school_id: str) -> School:
        """The input school by id."""
        return next(school for school in self.schools if school.id == school_id)

    def seat_of(self, serial: str) -> Seat:
        """One pupil's result."""
        return next(seat for seat in self.seats if seat.serial == serial)

    def explain(self, serial: str) -> dict[str, str]:
        """The reason a guardian reads for one pupil's seat, {"zh": ..., "en": ...}."""
        return Explainer(self).why(self.seat_of(serial))


_LOCKED_HOW = {"direct_promotion": "direct", "special_policy": "special"}


def _index_schools(schools: Iterable[School]) -> dict[str, School]:
    by_id: dict[str, School] = {}
    for school in schools:
        if school.id in by_id:
            raise AllocationError(f"school {school.id} is listed twice")
        if school.capacity < 0:
            raise AllocationError(f"school {school.id} has a negative capacity")
        if school.kind not in SCHOOL_KINDS:
            raise AllocationError(f"school {school.id} has an unknown kind {school.kind!r}")
        by_id[school.id] = school
    return by_id


def _check_pupils(
    pupils: Iterable[Pupil], schools: Mapping[str, School], policy: AllocationPolicy
) -> dict[str, Pupil]:
    """The pupils by serial, in serial order, after checking what the allocation relies on."""
    tiers = set(policy.tier_order)
    known_tiers = tiers | {COORDINATED, UNDETERMINED}
    references = set(schools) | {None}
    checked: dict[str, Pupil] = {}
    for pupil in pupils:
        if pupil.serial in checked:
            raise AllocationError(f"serial {pupil.serial} is listed twice")
        if pupil.tier not in known_tiers:
            raise AllocationError(f"pupil {pupil.serial} has an unknown tier {pupil.tier!r}")
        if pupil.catchment_school is None and pupil.tier in tiers:
            raise AllocationError(f"pupil {pupil.serial} has tier {pupil.tier} but no catchment school")
        if not (
            pupil.catchment_school in references
            and pupil.direct_school in references
            and pupil.special_school in references
        ):
            raise AllocationError(f"pupil {pupil.serial} names an unknown school")
        checked[pupil.serial] = pupil
    return {serial: checked[serial] for serial in sorted(checked)}


def _placement_key(policy: AllocationPolicy, numbers: Mapping[str, str]) -> Callable[[Pupil], tuple]:
    """The ruleset's placement order (by default tier, then lottery number), ties to the serial."""
    ranks = policy.tier_ranks()
    fields: dict[str, Callable[[Pupil], object]] = {
        "tier": lambda pupil: ranks[pupil.tier],
        "lottery": lambda pupil: numbers[pupil.serial],
        "serial": lambda pupil: pupil.serial,
    }
    getters = [fields[key] for key in policy.overflow_order]
    return lambda pupil: (*[getter(pupil) for getter in getters], pupil.serial)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the allocation runs.

    An allocation builds a few acyclic objects per pupil; with the collector on, each full
    collection walks every input again, which cost a fifth of the run at 100,000 pupils.
    Reference counting still frees everything; the collector resumes as it was.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def allocate(
    schools: Iterable[School],
    pupils: Iterable[Pupil],
    *,
    season: int,
    seed: str,
    commitment: str,
    policy: AllocationPolicy | None = None,
    ledger: Iterable[PropertyUse] = (),
) -> Allocation:
    """Give every approved pupil a seat; the same inputs in any order give the same allocation."""
    with _collector_paused():
        return _allocate(schools, pupils, season, seed, commitment, policy or AllocationPolicy(), ledger)


def _allocate(
    schools: Iterable[School],
    pupils: Iterable[Pupil],
    season: int,
    seed: str,
    commitment: str,
    policy: AllocationPolicy,
    ledger: Iterable[PropertyUse],
) -> Allocation:
    seed = seed.strip().lower()
    lottery = Lottery(reveal(seed, commitment))
    by_id = _index_schools(schools)
    by_serial = _check_pupils(pupils, by_id, policy)
    ordered = list(by_serial.values())
    numbers = lottery.numbers(by_serial)
    free = {school_id: by_id[school_id].capacity for school_id in sorted(by_id)}
    seats: dict[str, Seat] = {}

    # §4.1 and §3.5: the locked lists take their seats first.
    locked: dict[str, dict[str, list[str]]] = {"direct": defaultdict(list), "special": defaultdict(list)}
    pool: list[Pupil] = []
    for pupil in ordered:
        if pupil.special_school is None and not (pupil.direct_confirmed and pupil.direct_school is not None):
            pool.append(pupil)
            continue
        listed = {
            "direct_promotion": pupil.direct_school if pupil.direct_confirmed else None,
            "special_policy": pupil.special_school,
        }
        kind = next((kind for kind in policy.order[:-1] if listed[kind] is not None), None)
        if kind is None:
            pool.append(pupil)
            continue
        how, school_id = _LOCKED_HOW[kind], listed[kind]
        locked[how][school_id].append(pupil.serial)
        seats[pupil.serial] = Seat(pupil.serial, school_id, how, pupil.tier, pupil.catchment_school, numbers[pupil.serial])
        free[school_id] -= 1
    over = sorted(school_id for school_id, seats_left in free.items() if seats_left < 0)
    if over:
        raise AllocationError(f"locked direct-promotion and special-policy lists exceed the capacity of {over}")

    # §6.1: a property another family used within the window is no basis; the claim is coordinated.
    tiers = set(policy.tier_order)
    claims = [pupil for pupil in pool if pupil.property_key is not None and pupil.tier in tiers]
    conflicts = season_conflicts(claims, season, ledger, policy.property_reuse_years)
    applicants: dict[str, dict[str, list[str]]] = {school_id: defaultdict(list) for school_id in free}
    late: list[Pupil] = []
    for pupil in pool:
        if pupil.tier in tiers and pupil.serial not in conflicts:
            applicants[pupil.catchment_school][pupil.tier].append(pupil.serial)
        else:
            late.append(pupil)

    # §6: each catchment, whole tiers while they fit, the overflowing tier by lottery.
    draws = {}
    left_out: list[Pupil] = []
    notes: dict[str, tuple[str, int | None]] = {}
    for school_id in free:
        result = draw_school(free[school_id], applicants[school_id], policy.tier_order, numbers.__getitem__)
        draws[school_id] = result
        for how, rank, serials in (("tier", None, result.whole), ("lottery", 1, result.won)):
            for offset, serial in enumerate(serials):
                pupil = by_serial[serial]
                note = "direct_unconfirmed" if pupil.direct_school is not None else ""
                seats[serial] = Seat(
                    serial, school_id, how, pupil.tier, school_id, numbers[serial], rank and rank + offset, None, note
                )
        free[school_id] -= len(result.whole) + len(result.won)
        for offset, serial in enumerate(result.lost, result.lottery_seats + 1):
            notes[serial] = ("lottery_out", offset)
        for serial in result.full:
            notes[serial] = ("full", None)
        left_out.extend(by_serial[serial] for serial in (*result.lost, *result.full))

    # §6 and §6.2: the rest, nearest school with a free seat from the residence.
    index = FreeSeats(by_id.values(), free)
    placed_in: dict[str, int] = defaultdict(int)

    def place(pupil: Pupil, how: str, tier: str, note: str, rank: int | None) -> None:
        anchor = pupil.catchment_school or index.nearest_school(pupil.x, pupil.y)
        found = index.nearest_free(pupil.x, pupil.y, anchor)
        school_id, distance = found if found is not None else (None, None)
        if school_id is None:
            how = "unplaced"
        else:
            index.take(school_id)
            placed_in[school_id] += 1
        seats[pupil.serial] = Seat(
            pupil.serial, school_id, how, tier, pupil.catchment_school, numbers[pupil.serial], rank, distance, note
        )

    key = _placement_key(policy, numbers)
    for pupil in sorted(left_out, key=key):
        place(pupil, "placed", pupil.tier, *notes[pupil.serial])
    for pupil in sorted(late, key=key):
        if pupil.serial in conflicts:
            place(pupil, "coordinated", COORDINATED, "property_reuse", None)
        else:
            place(pupil, "coordinated", pupil.tier, pupil.tier, None)

    results = tuple(
        SchoolResult(
            school=school_id,
            capacity=by_id[school_id].capacity,
            direct=tuple(locked["direct"].get(school_id, ())),
            special=tuple(locked["special"].get(school_id, ())),
            applicants={tier: tuple(group) for tier, group in applicants[school_id].items() if group},
            overflow_tier=draws[school_id].overflow_tier,
            lottery_size=draws[school_id].lottery_size,
            lottery_seats=draws[school_id].lottery_seats,
            cutoff_rank=draws[school_id].cutoff_rank,
            cutoff_number=draws[school_id].cutoff_number,
            placed_elsewhere=draws[school_id].left_out,
            placed_in=placed_in[school_id],
            admitted=by_id[school_id].capacity - index.free[school_id],
        )
        for school_id in sorted(by_id)
    )
    return Allocation(
        season=season,
        policy=policy,
        seed=seed,
        commitment=commitment_of(seed),
        schools=tuple(by_id[school_id] for school_id in sorted(by_id)),
        results=results,
        seats=tuple(seats[serial] for serial in sorted(seats)),
        conflicts=conflicts,
        new_uses=tuple(uses_from(claims, seats, season)),
    )
