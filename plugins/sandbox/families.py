"""Building one family's facts: people, homes, hukou, property, leases and papers.

`Household` collects a family's records as facts.schema.json spells them; `Places` finds
homes inside or outside a given school's catchment. The scenarios (scenarios.py) combine
them into families that land in every tier and every near miss of the 2021 ruleset.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from plugins.sandbox.geography import CITY, PROVINCE, District, address
from plugins.sandbox.names import OUTSIDE_PLACES
from plugins.sandbox.people import People, iso
from plugins.sandbox.schools import School, SchoolMap

__all__ = ["Place", "Places", "Household", "Family", "CUTOFF", "located"]

CUTOFF = date(2021, 5, 31)  # §3.3: certificates by this day; leases and permits a year older
PUPILS_BORN = (date(2008, 9, 1), date(2009, 8, 31))
PARENTS_BORN = (date(1974, 1, 1), date(1988, 12, 31))
GRANDPARENTS_BORN = (date(1945, 1, 1), date(1960, 12, 31))
COUNTY = ("南昌县", "360121", ("澄湖西路", "莲塘北大道", "向阳路", "迎宾中大道"), (0.0, -16000.0))


@dataclass(frozen=True)
class Place:
    """An address with its coordinates and the catchment (middle school code) it lies in."""

    address: dict[str, Any]
    x: float
    y: float
    school: str | None
    urban: bool = True


def located(place: Place) -> dict[str, Any]:
    """The place's address as a housing record gives it: with where the building stands (the
    public-security records, hukou and residence permits, carry no location)."""
    return {**place.address, "location": {"x": round(place.x, 1), "y": round(place.y, 1)}}


@dataclass
class Family:
    """One generated pupil's family: the facts, what the 2021 ruleset should make of them.

    `expected` is the tier row (``"T1"`` … ``"T7"``, ``"T4a"``), ``"coordinated:<reason>"``
    with the ruleset's reason code, or ``"ineligible"``; `school` is the catchment of the
    residence named as basis; `x`, `y` where the family lives (metres from the centre).
    """

    scenario: str
    expected: str
    school: str | None
    x: float
    y: float
    facts: dict[str, Any]

    @property
    def pupil_id(self) -> str:
        """The pupil's resident ID number."""
        return self.facts["pupil"]["id_number"]


class Places:
    """Homes inside a school's catchment, in another catchment, or outside urban Nanchang."""

    def __init__(self, rng: random.Random, districts: tuple[District, ...], schools: SchoolMap) -> None:
        self.rng = rng
        self.districts = {d.name: d for d in districts}
        self.schools = schools
        self.middle = schools.middle

    def _unit(self) -> str:
        rng = self.rng
        return f"{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元{rng.randint(1, 28)}{rng.randint(1, 4):02d}"

    def in_catchment(self, school: School) -> Place:
        """A home in `school`'s catchment: mostly in a compound, else a street address."""
        rng = self.rng
        compounds = self.schools.compounds_of.get(school.code, [])
        if compounds and rng.random() < 0.7:
            compound = rng.choice(compounds)
            street = self.districts[compound.district].street(compound.street)
            x, y = street.position(compound.number)
            return Place(address(compound.district, compound.street, compound.number, compound.name,
                                 self._unit()), x, y, school.code)
        segment = rng.choice(self.schools.segments[school.code])
        number = rng.choice(segment.numbers())
        x, y = segment.street.position(number)
        return Place(address(school.district, segment.street.name, number), x, y, school.code)

    def elsewhere(self, school: School) -> Place:
        """A home in urban Nanchang that no rule of `school`'s catchment takes in."""
        others = [s for s in self.middle if s.code != school.code]
        while True:
            place = self.in_catchment(self.rng.choice(others))
            if not self.schools.contains(school.code, place.address):
                return place

    def outside(self) -> tuple[Place, str]:
        """A home outside urban Nanchang (a county or another city), and its ID region code."""
        province, city, district, region = self.rng.choice(OUTSIDE_PLACES)
        village = f"{self.rng.choice('东南西北')}{self.rng.choice('山塘湖岭')}村{self.rng.randint(1, 30)}组"
        text = f"{province}{city}{district}{village}"
        return Place({"province": province, "city": city, "district": district, "text": text},
                     0.0, 0.0, None, urban=False), region

    def county(self) -> Place:
        """A street address in 南昌县, beside the city but in no urban catchment."""
        name, _, streets, (cx, cy) = COUNTY
        street, number = self.rng.choice(streets), self.rng.randint(1, 400)
        value = {"province": PROVINCE, "city": CITY, "district": name, "street": street, "number": number,
                 "unit": self._unit()}
        value["text"] = f"{PROVINCE}{CITY}{name}{street}{number}号{value['unit']}"
        return Place(value, cx + number * 8.0, cy, None, urban=False)


@dataclass
class Household:
    """A family's records while a scenario builds them; `facts()` gives the document."""

    people: People
    rng: random.Random
    region: str
    surname: str
    pupil: dict[str, Any]
    guardians: list[dict[str, Any]] = field(default_factory=list)
    properties: list[dict[str, Any]] = field(default_factory=list)
    leases: list[dict[str, Any]] = field(default_factory=list)
    residence_permits: list[dict[str, Any]] = field(default_factory=list)
    social_insurance: list[dict[str, Any]] = field(default_factory=list)
    business: list[dict[str, Any]] = field(default_factory=list)
    employment: list[dict[str, Any]] = field(default_factory=list)
    demolition: dict[str, Any] | None = None
    basis: dict[str, Any] | None = None

    @classmethod
    def start(cls, people: People, region: str, primary_school: dict[str, Any]) -> Household:
        """A pupil with father and mother, all born in `region` (their ID numbers say so)."""
        rng = people.rng
        surname = people.name()[0]
        male = rng.random() < 0.5
        pupil = {"id_number": people.id_number(region, people.day_between(*PUPILS_BORN), male),
                 "name": people.name(surname), "primary_school": primary_school,
                 "e_record_photo": None, "special_policy": None, "direct_promotion": None}
        pupil["birth_date"] = _birth(pupil["id_number"])
        household = cls(people, rng, region, surname, pupil)
        household.add_guardian("father", PARENTS_BORN, surname)
        household.add_guardian("mother", PARENTS_BORN, None)
        return household

    def add_guardian(self, relation: str, born: tuple[date, date], surname: str | None) -> str:
        """Add a guardian (parents, or a grandparent who heads the household); their ID number."""
        male = relation in ("father", "grandfather", "maternal_grandfather")
        number = self.people.id_number(self.region, self.people.day_between(*born), male)
        self.guardians.append({"relation": relation, "id_number": number, "name": self.people.name(surname)})
        return number

    def id_of(self, relation: str) -> str:
        """The ID number of the pupil or a guardian, by relation to the pupil."""
        if relation == "pupil":
            return self.pupil["id_number"]
        return next(g["id_number"] for g in self.guardians if g["relation"] == relation)

    # -- hukou ------------------------------------------------------------------------

    def hukou(self, place: Place, head: str | None, who: tuple[str, ...] = ("pupil", "father", "mother"),
              collective: bool = False) -> None:
        """Register `who` at `place` (户籍), with the household head relative to the pupil."""
        record = {"address": place.address, "head_relation": None if collective else head,
                  "collective": collective,
                  "since": iso(self.people.day_between(date(2000, 1, 1), date(2016, 12, 31)))}
        for relation in who:
            target = self.pupil if relation == "pupil" else next(
                g for g in self.guardians if g["relation"] == relation)
            target["hukou"] = dict(record)

    # -- residence --------------------------------------------------------------------

    def own(self, owners: tuple[str, ...], place: Place, usage: str = "residential",
            cert_type: str | None = None, issued_on: date | None = None, co_owned: bool = False,
            uses: tuple[tuple[int, str], ...] = ()) -> str:
        """Add a property owned by `owners` (relations); its id for the basis."""
        issued = issued_on or self.people.day_between(date(2003, 1, 1), date(2020, 12, 31))
        kind = cert_type or ("real_estate_certificate" if issued.year >= 2016 else "property_certificate")
        pid = f"P{len(self.properties) + 1}"
        owner_list = [{"relation": r, "id_number": self.id_of(r)} for r in owners]
        if co_owned:
            owner_list.append({"relation": "other", "id_number": self.people.id_number(
                self.region, self.people.day_between(*PARENTS_BORN), self.rng.random() < 0.5)})
        self.properties.append({
            "id": pid, "cert_type": kind, "cert_number": _cert_number(kind, issued, self.rng),
            "address": located(place), "usage": usage, "owners": owner_list,
            "co_owned_with_non_direct_relatives": co_owned, "issued_on": iso(issued),
            "enrolment_uses": [{"year": year, "pupil_id_number": pupil} for year, pupil in uses]})
        return pid

    def rent(self, place: Place, registered: bool = True, registered_on: date | None = None,
             tenant: str = "father") -> str:
        """Add a lease (registered with housing, 备案, by default more than a year ago)."""
        start = registered_on or self.people.day_between(date(2015, 1, 1), date(2020, 4, 30))
        lid = f"L{len(self.leases) + 1}"
        self.leases.append({"id": lid, "address": located(place), "registered": registered,
                            "registered_on": iso(start) if registered else None, "start": iso(start),
                            "end": iso(date(start.year + 3, start.month, min(start.day, 28))),
                            "tenant_relation": tenant})
        return lid

    def permit(self, place: Place, holder: str = "father", issued_on: date | None = None) -> None:
        """Add a residence permit (居住证), by default held for more than a year."""
        issued = issued_on or self.people.day_between(date(2016, 1, 1), date(2020, 5, 1))
        self.residence_permits.append({"holder": holder, "address": place.address, "issued_on": iso(issued),
                                       "valid_until": iso(date(issued.year + 5, issued.month, min(issued.day, 28)))})

    # -- work and insurance -----------------------------------------------------------

    def insured(self, holder: str = "father", paid: bool = True) -> None:
        """Add a social pension insurance record (社会养老保险)."""
        self.social_insurance.append({"holder": holder, "pension_paid": paid,
                                      "months_paid": self.rng.randint(13, 180) if paid else 0, "city": CITY})

    def employed(self, holder: str = "father") -> None:
        """Add a labour contract (用工合同) in the urban area."""
        self.employment.append({"holder": holder, "labour_contract": True,
                                "employer": f"南昌{self.rng.choice('华新达盛信诚')}{self.rng.choice('科技商贸物流建设')}有限公司",
                                "in_urban_area": True,
                                "since": iso(self.people.day_between(date(2008, 1, 1), date(2020, 1, 1)))})

    def runs_business(self, holder: str = "father") -> None:
        """Add a business licence with tax registration (工商执照 + 税务登记)."""
        self.business.append({"holder": holder, "licence_number": self.people.licence_number("360102"),
                              "tax_registered": True, "in_urban_area": True,
                              "since": iso(self.people.day_between(date(2010, 1, 1), date(2020, 1, 1)))})

    def working_parents(self) -> None:
        """The usual urban family: insured, one or both parents under a labour contract."""
        for parent in ("father", "mother"):
            if self.rng.random() < 0.85:
                self.insured(parent)
                self.employed(parent)

    # -- the document -----------------------------------------------------------------

    def facts(self) -> dict[str, Any]:
        """The family's facts document (valid against schemas/facts.schema.json)."""
        return {"pupil": self.pupil, "guardians": self.guardians, "properties": self.properties,
                "leases": self.leases, "residence_permits": self.residence_permits,
                "social_insurance": self.social_insurance, "business": self.business,
                "employment": self.employment, "demolition": self.demolition, "basis": self.basis}


def _birth(id_number: str) -> str:
    return f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}"


def _cert_number(kind: str, issued: date, rng: random.Random) -> str:
    if kind == "real_estate_certificate":
        return f"赣({issued.year})南昌市不动产权第{rng.randrange(10**7):07d}号"
    if kind == "property_certificate":
        return f"洪房权证字第{rng.randrange(10**6):06d}号"
    return f"商品房买卖合同{issued.year}-{rng.randrange(10**6):06d}"
