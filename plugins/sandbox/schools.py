"""Middle and primary schools of the sandbox city, and the middle schools' catchments (学区).

Every address of a district lies in exactly one catchment: each street is given whole to one
school, or split by house-number range, or by odd and even side; some compounds (小区) are
given by name to a school other than their street's, as districts do (a compound rule is more
specific than a street rule). Catchments come out in the format of
schemas/catchments.schema.json.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cached_property

from plugins.sandbox.geography import Compound, District, Street, lat_lon

__all__ = ["School", "Segment", "SchoolMap", "build_schools"]

NUMERALS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1..99 in Chinese numerals, as school names write them (第二十八中学)."""
    tens, ones = divmod(n, 10)
    text = ("" if tens == 1 else NUMERALS[tens]) + "十" if tens else ""
    return text + (NUMERALS[ones] if ones else "")


@dataclass
class School:
    """A school as the season stores it (see core.models.School), plus coordinates."""

    code: str
    name: str
    stage: str  # primary | middle
    district: str
    x: float
    y: float
    kind: str = "public"
    coordinating_district: str | None = None
    school_group: str | None = None
    in_urban_area: bool = True
    capacity: int = 0
    feeds: str | None = None  # primary schools: the middle school of its direct promotion (对口直升)

    def as_dict(self) -> dict[str, object]:
        """A plain record: the School table's columns, latitude and longitude."""
        lat, lon = lat_lon(self.x, self.y)
        return {"code": self.code, "name": self.name, "stage": self.stage, "kind": self.kind,
                "district": self.district, "coordinating_district": self.coordinating_district,
                "school_group": self.school_group, "in_urban_area": self.in_urban_area,
                "capacity": self.capacity, "x": round(self.x, 1), "y": round(self.y, 1),
                "lat": lat, "lon": lon, "feeds": self.feeds}


@dataclass(frozen=True)
class Segment:
    """A stretch of a street that belongs to one catchment: numbers lo..hi on a side."""

    street: Street
    lo: int
    hi: int
    parity: str  # odd | even | all

    def numbers(self) -> range:
        """The house numbers of the stretch."""
        if self.parity == "all":
            return range(self.lo, self.hi + 1)
        first = self.lo if (self.lo % 2 == 1) == (self.parity == "odd") else self.lo + 1
        return range(first, self.hi + 1, 2)

    def contains(self, number: int) -> bool:
        """Whether a house number of this street lies on the stretch."""
        return self.lo <= number <= self.hi and (
            self.parity == "all" or (number % 2 == 1) == (self.parity == "odd"))

    def rule(self) -> dict[str, object]:
        """The catchment rule for this stretch (a whole street needs no numbers)."""
        rule: dict[str, object] = {"district": self.street.district, "street": self.street.name}
        if not (self.lo == 1 and self.hi == self.street.max_number and self.parity == "all"):
            rule["numbers"] = {"from": self.lo, "to": self.hi, "parity": self.parity}
        return rule


@dataclass
class SchoolMap:
    """Schools and catchments, with what the family generator needs to place a home."""

    middle: list[School]
    primary: list[School]
    segments: dict[str, list[Segment]] = field(default_factory=dict)  # school code -> stretches
    compound_rules: dict[tuple[str, str], str] = field(default_factory=dict)  # (district, compound) -> code
    compounds_of: dict[str, list[Compound]] = field(default_factory=dict)  # code -> compounds inside

    @cached_property
    def primary_by_district(self) -> dict[str, list[School]]:
        """Primary schools grouped by district (computed once the map is complete)."""
        grouped: dict[str, list[School]] = {}
        for school in self.primary:
            grouped.setdefault(school.district, []).append(school)
        return grouped

    def contains(self, code: str, address: dict[str, object]) -> bool:
        """Whether any rule of school `code`'s catchment matches the address (not only the most specific)."""
        district = address.get("district")
        if self.compound_rules.get((district, address.get("compound"))) == code:
            return True
        return any(s.street.district == district and s.street.name == address.get("street")
                   and s.contains(address.get("number", -1)) for s in self.segments[code])

    def catchments(self) -> list[dict[str, object]]:
        """All catchments in the format of schemas/catchments.schema.json."""
        compounds_by_school: dict[str, list[tuple[str, str]]] = {}
        for (district, compound), code in self.compound_rules.items():
            compounds_by_school.setdefault(code, []).append((district, compound))
        result = []
        for school in self.middle:
            rules = [segment.rule() for segment in self.segments[school.code]]
            rules += [{"district": d, "compound": c} for d, c in sorted(compounds_by_school.get(school.code, []))]
            result.append({"school_id": school.code, "school_name": school.name,
                           "district": school.district, "rules": rules})
        return result


def _split_streets(rng: random.Random, district: District, schools: list[School]) -> dict[str, list[Segment]]:
    segments: dict[str, list[Segment]] = {school.code: [] for school in schools}
    streets = list(district.streets)
    rng.shuffle(streets)
    for index, street in enumerate(streets):
        first = schools[index % len(schools)]
        second = schools[(index + 1) % len(schools)]
        pattern = rng.random() if first is not second else 0.0
        if pattern < 0.5:
            segments[first.code].append(Segment(street, 1, street.max_number, "all"))
        elif pattern < 0.8:
            middle = rng.randrange(street.max_number // 3, 2 * street.max_number // 3)
            segments[first.code].append(Segment(street, 1, middle, "all"))
            segments[second.code].append(Segment(street, middle + 1, street.max_number, "all"))
        else:
            segments[first.code].append(Segment(street, 1, street.max_number, "odd"))
            segments[second.code].append(Segment(street, 1, street.max_number, "even"))
    return segments


def _street_school(segments: dict[str, list[Segment]], street: str, number: int) -> str:
    for code, stretches in segments.items():
        if any(s.street.name == street and s.contains(number) for s in stretches):
            return code
    raise LookupError(f"{street} {number} is in no catchment")


def build_schools(rng: random.Random, districts: tuple[District, ...]) -> SchoolMap:
    """Middle schools with catchments, and primary schools, for every district."""
    middle: list[School] = []
    primary: list[School] = []
    school_map = SchoolMap(middle, primary)
    number = 0
    for d_index, district in enumerate(districts):
        prefix = f"d{d_index + 1}"
        count = max(3, len(district.streets) // 2)
        schools = []
        for index in range(count):
            number += 1
            street = district.streets[(index * 2) % len(district.streets)]
            x, y = street.position(rng.randrange(1, street.max_number + 1))
            schools.append(School(f"{prefix}-m{index + 1:02d}", f"南昌市第{chinese_number(number)}中学",
                                  "middle", district.name, x, y))
        middle += schools
        segments = _split_streets(rng, district, schools)
        school_map.segments.update(segments)
        for compound in district.compounds:
            if rng.random() < 0.2:
                code = rng.choice(schools).code
                school_map.compound_rules[(district.name, compound.name)] = code
            else:
                code = _street_school(segments, compound.street, compound.number)
            school_map.compounds_of.setdefault(code, []).append(compound)
        for index, street in enumerate(district.streets):
            x, y = street.position(rng.randrange(1, street.max_number + 1))
            school = School(f"{prefix}-p{index + 1:02d}", f"南昌市{street.name}小学", "primary",
                            district.name, x, y)
            if index % 4 == 0:  # a quarter of primary schools promote directly (对口直升)
                school.feeds = schools[index % len(schools)].code
            primary.append(school)
    _special_primaries(rng, primary)
    return school_map


def _special_primaries(rng: random.Random, primary: list[School]) -> None:
    """Province-run and private schools follow a coordinating district; 南师附小集团 members."""
    for school in rng.sample(primary, 4):
        school.kind = "province_run"
        school.coordinating_district = school.district
        school.feeds = None
    for school in rng.sample([s for s in primary if s.kind == "public"], 3):
        school.kind = "private"
        school.coordinating_district = school.district
    for school in rng.sample([s for s in primary if s.kind == "public"], 3):
        school.school_group = "南师附小集团成员校"
