"""The sandbox city: `generate_city(seed, population)` gives schools, catchments and families.

Deterministic for a seed: the same seed and population give the same city, byte for byte.
Geography and schools depend on the seed only; families on the seed and the population.
Every kind of family in scenarios.py appears at least once when the population allows it,
the rest in the kinds' realistic proportions. Capacities are set from the demand so that
about half the middle schools overflow (lottery) and the others have seats to spare.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from plugins.sandbox.families import Family, Places
from plugins.sandbox.geography import District, build_districts
from plugins.sandbox.people import People
from plugins.sandbox.scenarios import SCENARIOS, Context
from plugins.sandbox.schools import SchoolMap, build_schools

__all__ = ["City", "generate_city"]

SPECIAL_POLICIES = ("military", "talent", "police_hero", "fire_rescue", "moral_model", "ethnic_minority_migrant")
DIRECT_PROMOTION_SHARE = 0.3  # of pupils whose primary school promotes directly (对口直升)
SPECIAL_POLICY_SHARE = 0.01


@dataclass
class City:
    """A generated city: districts, schools (middle and primary), catchments and families."""

    seed: int
    districts: tuple[District, ...]
    school_map: SchoolMap
    families: list[Family]
    _by_person: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def schools(self) -> list[dict[str, Any]]:
        """Every school as a plain record (middle schools first)."""
        return [s.as_dict() for s in self.school_map.middle + self.school_map.primary]

    @property
    def catchments(self) -> list[dict[str, Any]]:
        """The middle schools' catchments (schemas/catchments.schema.json)."""
        return self.school_map.catchments()

    def family_of(self, id_number: str) -> Family | None:
        """The family a pupil, parent or grandparent (by ID number) belongs to."""
        if not self._by_person:
            for index, family in enumerate(self.families):
                self._by_person[family.pupil_id] = index
                for guardian in family.facts["guardians"]:
                    self._by_person.setdefault(guardian["id_number"], index)
        index = self._by_person.get(id_number)
        return None if index is None else self.families[index]


def _flags(rng: random.Random, family: Family, feeds: dict[str, str]) -> None:
    pupil = family.facts["pupil"]
    feeder = feeds.get(pupil["primary_school"].get("code", ""))
    if feeder and rng.random() < DIRECT_PROMOTION_SHARE:
        pupil["direct_promotion"] = {"school_id": feeder, "reported": True}
    elif rng.random() < SPECIAL_POLICY_SHARE:
        pupil["special_policy"] = rng.choice(SPECIAL_POLICIES)


def _capacities(rng: random.Random, city: City) -> None:
    demand: dict[str, int] = {}
    for family in city.families:
        if family.school is not None:
            demand[family.school] = demand.get(family.school, 0) + 1
    for school in city.school_map.middle:
        wanted = demand.get(school.code, 0)
        factor = rng.uniform(0.7, 0.95) if rng.random() < 0.5 else rng.uniform(1.05, 1.4)
        school.capacity = max(5, 5 * math.ceil(wanted * factor / 5))


def generate_city(seed: int, population: int) -> City:
    """A city of `population` pupils for this seed (same inputs, same city)."""
    rng = random.Random(seed)
    districts = build_districts(rng)
    school_map = build_schools(rng, districts)
    family_rng = random.Random(f"{seed}:families:{population}")
    people = People(family_rng)
    context = Context(family_rng, people, Places(family_rng, districts, school_map), school_map,
                      {d.name: d.region for d in districts})
    weights = [scenario.per_mille for scenario in SCENARIOS]
    guaranteed = list(SCENARIOS) if population >= len(SCENARIOS) else []
    kinds = guaranteed + family_rng.choices(SCENARIOS, weights, k=population - len(guaranteed))
    feeds = {s.code: s.feeds for s in school_map.primary if s.feeds}
    families = []
    for scenario in kinds:
        family = scenario.make(context, family_rng.choice(school_map.middle))
        _flags(family_rng, family, feeds)
        families.append(family)
    city = City(seed, districts, school_map, families)
    _capacities(rng, city)
    return city
