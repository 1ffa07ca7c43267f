"""Streets with house numbers, compounds and coordinates for the sandbox's urban districts.

Coordinates are metres east (x) and north (y) of 八一广场, the city centre; `lat_lon` turns
them into degrees. Each district's streets lie on a grid around the district's centre, a house
number every 8 m, odd numbers on one side and even on the other.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass

from plugins.sandbox.names import COMPOUND_PREFIXES, COMPOUND_SUFFIXES, DISTRICTS

__all__ = ["Street", "Compound", "District", "build_districts", "address", "lat_lon", "CITY", "PROVINCE"]

CITY, PROVINCE = "南昌市", "江西省"
CENTRE_LAT, CENTRE_LON = 28.6829, 115.8932
METRES_PER_NUMBER = 8.0
STREET_SPACING = 450.0


@dataclass(frozen=True)
class Street:
    """A street of one district: house numbers 1..max_number along a straight line."""

    district: str
    name: str
    max_number: int
    origin: tuple[float, float]
    direction: tuple[float, float]

    def position(self, number: int) -> tuple[float, float]:
        """Where house `number` stands (odd side 15 m left of the line, even side right)."""
        along = number * METRES_PER_NUMBER
        side = 15.0 if number % 2 else -15.0
        dx, dy = self.direction
        return (self.origin[0] + dx * along - dy * side, self.origin[1] + dy * along + dx * side)


@dataclass(frozen=True)
class Compound:
    """A residential compound (小区) whose gate is at a street and house number."""

    district: str
    name: str
    street: str
    number: int
    buildings: int


@dataclass(frozen=True)
class District:
    """One urban district with its ID region code, streets and compounds."""

    name: str
    region: str
    streets: tuple[Street, ...]
    compounds: tuple[Compound, ...]

    def street(self, name: str) -> Street:
        """The street called `name` in this district."""
        return next(street for street in self.streets if street.name == name)


def lat_lon(x: float, y: float) -> tuple[float, float]:
    """Degrees latitude and longitude of a point given in metres from the centre."""
    lat = CENTRE_LAT + y / 111_320.0
    lon = CENTRE_LON + x / (111_320.0 * math.cos(math.radians(CENTRE_LAT)))
    return round(lat, 6), round(lon, 6)


def _streets(rng: random.Random, name: str, centre: tuple[float, float], names: tuple[str, ...]) -> list[Street]:
    streets = []
    half = len(names) // 2
    for index, street_name in enumerate(names):
        max_number = rng.randrange(160, 520, 2)
        length = max_number * METRES_PER_NUMBER
        if index < half:  # east-west streets
            offset = (index - half / 2) * STREET_SPACING
            origin, direction = (centre[0] - length / 2, centre[1] + offset), (1.0, 0.0)
        else:  # north-south streets
            offset = (index - half - (len(names) - half) / 2) * STREET_SPACING
            origin, direction = (centre[0] + offset, centre[1] - length / 2), (0.0, 1.0)
        streets.append(Street(name, street_name, max_number, origin, direction))
    return streets


def _compounds(rng: random.Random, name: str, streets: list[Street]) -> list[Compound]:
    names = [p + s for p in COMPOUND_PREFIXES for s in COMPOUND_SUFFIXES]
    rng.shuffle(names)
    compounds = []
    for street in streets:
        for _ in range(rng.randint(3, 6)):
            compound_name = names.pop()
            number = rng.randrange(1, street.max_number + 1)
            compounds.append(Compound(name, compound_name, street.name, number, rng.randint(4, 30)))
    return compounds


def build_districts(rng: random.Random) -> tuple[District, ...]:
    """The seven urban districts with streets and compounds laid out for this seed."""
    districts = []
    for name, (region, centre, street_names) in DISTRICTS.items():
        streets = _streets(rng, name, centre, street_names)
        districts.append(District(name, region, tuple(streets), tuple(_compounds(rng, name, streets))))
    return tuple(districts)


def address(district: str, street: str, number: int, compound: str | None = None,
            unit: str | None = None) -> dict[str, object]:
    """An address as facts.schema.json spells it, with the printed text."""
    value: dict[str, object] = {"province": PROVINCE, "city": CITY, "district": district,
                                "street": street, "number": number}
    text = f"{PROVINCE}{CITY}{district}{street}{number}号"
    if compound:
        value["compound"] = compound
        text += compound
    if unit:
        value["unit"] = unit
        text += unit
    value["text"] = text
    return value
