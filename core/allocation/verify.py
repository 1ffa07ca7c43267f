"""`lottery verify`: recompute every school's draw from a published export alone."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .draw import draw_school
from .lottery import Lottery, LotteryError, commitment_of
from .policy import AllocationPolicy

__all__ = ["Difference", "verify_export"]

_PLACED = ("placed", "unplaced")


@dataclass(frozen=True, slots=True)
class Difference:
    """One place where the export disagrees with the recomputation."""

    school: str | None
    serial: str | None
    field: str
    expected: Any
    actual: Any

    def __str__(self) -> str:
        parts = (self.school and f"school {self.school}", self.serial and f"pupil {self.serial}")
        where = ", ".join(part for part in parts if part)
        return f"{where or 'export'}: {self.field} should be {self.expected!r}, export says {self.actual!r}"


def _check_pupil(
    pupils: Mapping[str, Mapping[str, Any]], school: str, serial: str, expect: Mapping[str, Any]
) -> list[Difference]:
    row = pupils.get(serial)
    if row is None:
        return [Difference(school, serial, "pupil", "listed", None)]
    differences = []
    for field, value in expect.items():
        actual = row.get(field)
        ok = actual in value if isinstance(value, tuple) else actual == value
        if not ok:
            differences.append(Difference(school, serial, field, value, actual))
    return differences


def _verify_school(
    school: Mapping[str, Any],
    pupils: Mapping[str, Mapping[str, Any]],
    policy: AllocationPolicy,
    number: Callable[[str], str],
) -> tuple[list[Difference], set[str]]:
    school_id = school["id"]
    differences: list[Difference] = []
    expected: set[str] = set()
    for how in ("direct", "special"):
        for serial in school[how]:
            differences += _check_pupil(pupils, school_id, serial, {"school": school_id, "how": how})
            expected.add(serial)
    seats_left = school["capacity"] - len(school["direct"]) - len(school["special"])
    if seats_left < 0:
        locked = len(school["direct"]) + len(school["special"])
        differences.append(Difference(school_id, None, "capacity", f"at least {locked}", school["capacity"]))
        seats_left = 0
    draw = draw_school(seats_left, school["applicants"], policy.tier_order, number)
    for serial in draw.whole:
        expect = {"school": school_id, "how": "tier", "lottery_rank": None}
        differences += _check_pupil(pupils, school_id, serial, expect)
    for rank, serial in enumerate(draw.won, 1):
        expect = {"school": school_id, "how": "lottery", "lottery_rank": rank}
        differences += _check_pupil(pupils, school_id, serial, expect)
    for rank, serial in enumerate(draw.lost, draw.lottery_seats + 1):
        differences += _check_pupil(pupils, school_id, serial, {"how": _PLACED, "lottery_rank": rank})
    for serial in draw.full:
        differences += _check_pupil(pupils, school_id, serial, {"how": _PLACED, "lottery_rank": None})
    expected.update(draw.whole, draw.won)
    figures = {
        "overflow_tier": draw.overflow_tier,
        "lottery_size": draw.lottery_size,
        "lottery_seats": draw.lottery_seats,
        "cutoff_rank": draw.cutoff_rank,
        "cutoff_number": draw.cutoff_number,
        "placed_elsewhere": draw.left_out,
    }
    differences += [
        Difference(school_id, None, field, value, school.get(field))
        for field, value in figures.items()
        if school.get(field) != value
    ]
    return differences, expected


def verify_export(export: Mapping[str, Any]) -> list[Difference]:
    """Every difference between the export's results and a recomputation from its own inputs."""
    lottery_section = export["lottery"]
    seed = lottery_section["seed"]
    try:
        commitment = commitment_of(seed)
    except LotteryError as exc:
        return [Difference(None, None, "seed", "hexadecimal seed of 16 bytes or more", str(exc))]
    differences: list[Difference] = []
    if commitment != lottery_section["commitment"]:
        differences.append(Difference(None, None, "commitment", commitment, lottery_section["commitment"]))
    policy = AllocationPolicy.from_dict(export["policy"])
    lottery = Lottery(bytes.fromhex(seed))
    pupils = {row["serial"]: row for row in export["pupils"]}
    numbers = lottery.numbers(pupils)
    for serial, row in pupils.items():
        number = numbers[serial]
        if row["lottery_number"] != number:
            differences.append(Difference(row.get("school"), serial, "lottery_number", number, row["lottery_number"]))
    listed: dict[str, str] = {}
    for school in export["schools"]:
        lists = [school["direct"], school["special"], *school["applicants"].values()]
        for serial in (serial for serials in lists for serial in serials):
            if serial in listed:
                differences.append(Difference(school["id"], serial, "listed at", listed[serial], school["id"]))
            listed.setdefault(serial, school["id"])
    def number_of(serial: str) -> str:
        return numbers.get(serial) or lottery.number(serial)  # an applicant the export lists no row for

    seated: dict[str, int] = {}
    locked_or_drawn: set[str] = set()
    for row in pupils.values():
        if row["school"] is not None:
            seated[row["school"]] = seated.get(row["school"], 0) + 1
    for school in export["schools"]:
        found, expected = _verify_school(school, pupils, policy, number_of)
        differences += found
        locked_or_drawn |= expected
        count = seated.get(school["id"], 0)
        if count > school["capacity"] or count != school["admitted"]:
            differences.append(Difference(school["id"], None, "admitted", count, school["admitted"]))
    for serial, row in pupils.items():
        if row["how"] in ("direct", "special", "tier", "lottery") and serial not in locked_or_drawn:
            expected_how = "placed, coordinated or unplaced"
            differences.append(Difference(row["school"], serial, "how", expected_how, row["how"]))
    return differences
