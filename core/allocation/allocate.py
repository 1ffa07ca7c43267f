"""The allocation of a season: locked lists, catchment draws, then nearest-seat placement."""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .draw import Draw, draw_school
from .ledger import PropertyConflict, PropertyUse, season_conflicts, uses_from
from .lottery import Lottery, commitment_of, reveal
from .model import SCHOOL_KINDS, Pupil, School, SchoolResult, Seat
from .nearest import FreeSeats
from .policy import COORDINATED, UNDETERMINED, AllocationPolicy
from .reasons import Explainer

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
    grounds: Mapping[str, tuple[tuple[str, str, str], ...]] = field(default_factory=dict)  # Pupil.grounds by serial

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
            unknown = [ref for ref in (pupil.catchment_school, pupil.direct_school, pupil.special_school)
                       if ref not in references]  # fmt: skip
            raise AllocationError(f"pupil {pupil.serial} names unknown school(s) {unknown}")
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
    run = _Run(_index_schools(schools), policy, Lottery(reveal(seed, commitment)))
    run.check(pupils)
    pool = run.seat_locked_lists()
    claims = [pupil for pupil in pool if pupil.property_key is not None and pupil.tier in run.tiers]
    conflicts = season_conflicts(claims, season, ledger, policy.property_reuse_years)
    late = run.draw_catchments(pool, conflicts)
    run.place_the_rest(late, conflicts)
    return Allocation(
        season=season,
        policy=policy,
        seed=seed,
        commitment=commitment_of(seed),
        schools=tuple(run.schools[school_id] for school_id in run.free),
        results=run.school_results(),
        seats=tuple(run.seats[serial] for serial in run.pupils),  # pupils are in serial order
        conflicts=conflicts,
        new_uses=tuple(uses_from(claims, run.seats, season)),
        grounds={serial: pupil.grounds for serial, pupil in run.pupils.items() if pupil.grounds},
    )


class _Run:
    """The state of one allocation as its steps run: free seats, seats given, draws, placements."""

    def __init__(self, schools: dict[str, School], policy: AllocationPolicy, lottery: Lottery) -> None:
        self.schools = schools
        self.policy = policy
        self.lottery = lottery
        self.tiers = frozenset(policy.tier_order)
        self.free = {school_id: schools[school_id].capacity for school_id in sorted(schools)}
        self.seats: dict[str, Seat] = {}
        self.locked: dict[str, dict[str, list[str]]] = {"direct": defaultdict(list), "special": defaultdict(list)}
        self.applicants: dict[str, dict[str, list[str]]] = {school_id: defaultdict(list) for school_id in self.free}
        self.draws: dict[str, Draw] = {}
        self.placed_in: dict[str, int] = defaultdict(int)

    def check(self, pupils: Iterable[Pupil]) -> None:
        """Index the pupils by serial and draw everyone's lottery number."""
        self.pupils = _check_pupils(pupils, self.schools, self.policy)
        self.numbers = self.lottery.numbers(self.pupils)

    def _give(self, pupil: Pupil, school_id: str | None, how: str, tier: str, **details: Any) -> None:
        self.seats[pupil.serial] = Seat(
            pupil.serial, school_id, how, tier, pupil.catchment_school, self.numbers[pupil.serial], **details
        )

    def seat_locked_lists(self) -> list[Pupil]:
        """§4.1, §3.5: confirmed direct promotion and special policy take their seats; the rest is the pool."""
        pool: list[Pupil] = []
        for pupil in self.pupils.values():
            if pupil.special_school is None and not (pupil.direct_confirmed and pupil.direct_school is not None):
                pool.append(pupil)  # the common case, decided without building `listed`
                continue
            listed = {
                "direct_promotion": pupil.direct_school if pupil.direct_confirmed else None,
                "special_policy": pupil.special_school,
            }
            kind = next((kind for kind in self.policy.order[:-1] if listed[kind] is not None), None)
            if kind is None:
                pool.append(pupil)
                continue
            how, school_id = _LOCKED_HOW[kind], listed[kind]
            self.locked[how][school_id].append(pupil.serial)
            self._give(pupil, school_id, how, pupil.tier)
            self.free[school_id] -= 1
        over = sorted(school_id for school_id, seats_left in self.free.items() if seats_left < 0)
        if over:
            raise AllocationError(f"locked direct-promotion and special-policy lists exceed the capacity of {over}")
        return pool

    def draw_catchments(self, pool: list[Pupil], conflicts: Mapping[str, PropertyConflict]) -> list[Pupil]:
        """§6: per catchment, whole tiers while they fit, the overflowing tier by lottery; returns the untiered."""
        late: list[Pupil] = []
        for pupil in pool:
            if pupil.tier in self.tiers and pupil.serial not in conflicts:
                self.applicants[pupil.catchment_school][pupil.tier].append(pupil.serial)
            else:
                late.append(pupil)
        self.left_out: list[tuple[Pupil, str, int | None]] = []
        for school_id, applicants in self.applicants.items():
            draw = draw_school(self.free[school_id], applicants, self.policy.tier_order, self.numbers.__getitem__)
            self.draws[school_id] = draw
            self._admit(school_id, "tier", draw.whole, None)
            self._admit(school_id, "lottery", draw.won, 1)
            self.free[school_id] -= len(draw.whole) + len(draw.won)
            first_lost = draw.lottery_seats + 1
            self.left_out.extend(
                (self.pupils[serial], "lottery_out", rank) for rank, serial in enumerate(draw.lost, first_lost)
            )
            self.left_out.extend((self.pupils[serial], "full", None) for serial in draw.full)
        return late

    def _admit(self, school_id: str, how: str, serials: Iterable[str], first_rank: int | None) -> None:
        # The hot loop of a season (most pupils are admitted here), so Seat is built directly.
        pupils, numbers, seats = self.pupils, self.numbers, self.seats
        for offset, serial in enumerate(serials):
            pupil = pupils[serial]
            seats[serial] = Seat(
                serial, school_id, how, pupil.tier, school_id, numbers[serial],
                None if first_rank is None else first_rank + offset, None,
                "direct_unconfirmed" if pupil.direct_school is not None else "",
            )  # fmt: skip

    def place_the_rest(self, late: list[Pupil], conflicts: Mapping[str, PropertyConflict]) -> None:
        """§6, §6.2: those left out in the policy's order, then the untiered, at the nearest free seat."""
        index = FreeSeats(self.schools.values(), self.free)
        key = _placement_key(self.policy, self.numbers)
        for pupil, note, rank in sorted(self.left_out, key=lambda entry: key(entry[0])):
            self._place(index, pupil, "placed", pupil.tier, note, rank)
        for pupil in sorted(late, key=key):
            if pupil.serial in conflicts:
                self._place(index, pupil, "coordinated", COORDINATED, "property_reuse", None)
            else:
                self._place(index, pupil, "coordinated", pupil.tier, pupil.tier, None)

    def _place(self, index: FreeSeats, pupil: Pupil, how: str, tier: str, note: str, rank: int | None) -> None:
        anchor = pupil.catchment_school or index.nearest_school(pupil.x, pupil.y)
        found = index.nearest_free(pupil.x, pupil.y, anchor)
        if found is None:
            self._give(pupil, None, "unplaced", tier, lottery_rank=rank, note=note)
            return
        school_id, distance = found
        index.take(school_id)
        self.placed_in[school_id] += 1
        self._give(pupil, school_id, how, tier, lottery_rank=rank, distance_m=distance if pupil.located else None,
                   note=note)

    def school_results(self) -> tuple[SchoolResult, ...]:
        """The per-school table, schools by id, applicants in tier order."""
        return tuple(
            SchoolResult(
                school=school_id,
                capacity=self.schools[school_id].capacity,
                direct=tuple(self.locked["direct"].get(school_id, ())),
                special=tuple(self.locked["special"].get(school_id, ())),
                applicants={
                    tier: tuple(self.applicants[school_id][tier])
                    for tier in self.policy.tier_order
                    if self.applicants[school_id].get(tier)
                },
                overflow_tier=draw.overflow_tier,
                lottery_size=draw.lottery_size,
                lottery_seats=draw.lottery_seats,
                cutoff_rank=draw.cutoff_rank,
                cutoff_number=draw.cutoff_number,
                placed_elsewhere=draw.left_out,
                placed_in=self.placed_in[school_id],
                admitted=self.schools[school_id].capacity - self.free[school_id],
            )
            for school_id, draw in self.draws.items()
        )
