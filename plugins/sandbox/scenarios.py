"""The kinds of family the sandbox city holds, in realistic proportions, each with its outcome.

Every tier row of the 2021 ruleset (§6) is reached, and next to each a near miss that lands
lower or in coordinated placement for the reason the policy gives (§3.2–3.4, §6.1, §6.2, §1).
A scenario builds one family around a middle school's catchment and says what the ruleset
should make of it; the sandbox tests classify every family and compare.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from plugins.sandbox.families import GRANDPARENTS_BORN, Family, Household, Place, Places, located
from plugins.sandbox.people import People
from plugins.sandbox.schools import School, SchoolMap

__all__ = ["Context", "Scenario", "SCENARIOS"]

OUT_OF_PROVINCE_SCHOOL = {"name": "长沙市岳麓区博才小学", "district": "岳麓区", "group": None,
                          "in_urban_area": False, "province": "湖南省"}
STAMPED_PHOTO = {"stamped": True, "uploaded_at": "2021-06-02T09:30:00+08:00"}


@dataclass
class Context:
    """What scenarios draw on: randomness, people, places and schools of one city."""

    rng: random.Random
    people: People
    places: Places
    schools: SchoolMap
    regions: dict[str, str]  # district -> ID region code

    def primary_school(self, district: str) -> dict[str, Any]:
        """A primary school of the district, as the pupil record names it."""
        school = self.rng.choice(self.schools.primary_by_district[district])
        return {"code": school.code, "name": school.name,
                "district": school.coordinating_district or school.district,
                "group": school.school_group, "in_urban_area": True, "province": "江西省"}

    def urban_household(self, school: School) -> Household:
        """A family of the school's district (ID numbers and primary school there)."""
        return Household.start(self.people, self.regions[school.district], self.primary_school(school.district))

    def migrant_household(self, school: School) -> tuple[Household, Place]:
        """A family whose hukou is outside urban Nanchang, studying in the school's district."""
        home, region = self.places.outside()
        household = Household.start(self.people, region, self.primary_school(school.district))
        household.hukou(home, "father")
        return household, home

    def other_pupil(self) -> str:
        """The ID number of an older pupil of another family (earlier uses of a property)."""
        return self.people.id_number("360102", self.people.day_between(date(2002, 9, 1), date(2007, 8, 31)),
                                     self.rng.random() < 0.5)


Build = Callable[[Context, School], tuple[Household, Place]]


@dataclass(frozen=True)
class Scenario:
    """A kind of family: its share per mille, the outcome it should get, how to build one."""

    name: str
    per_mille: int
    expected: str
    build: Build

    def make(self, ctx: Context, school: School) -> Family:
        """Build one family of this kind around `school`'s catchment."""
        household, home = self.build(ctx, school)
        return Family(self.name, self.expected, home.school, home.x, home.y, household.facts())


# -- owners of a flat in the catchment (tiers 1 and 3, and their near misses) ------------

def _own_home(ctx: Context, school: School, **kwargs: Any) -> tuple[Household, Place]:
    """Parents (or one of them) own a residential flat in the catchment and live there."""
    h = ctx.urban_household(school)
    home = ctx.places.in_catchment(school)
    owners = ctx.rng.choice((("father", "mother"), ("father",), ("mother",)))
    pid = h.own(owners, home, **kwargs)
    h.basis = {"kind": "property", "id": pid}
    h.working_parents()
    return h, home


def tier1(ctx: Context, school: School) -> tuple[Household, Place]:
    """§6 tier 1: family hukou at their own flat, head a parent (sometimes an older sibling's earlier use)."""
    uses = ((ctx.rng.randint(2012, 2018), ctx.other_pupil()),) if ctx.rng.random() < 0.1 else ()
    h, home = _own_home(ctx, school, uses=uses)
    h.hukou(home, ctx.rng.choice(("father", "mother")))
    if ctx.rng.random() < 0.1:  # a second flat elsewhere changes nothing for tier 1
        h.own(("father",), ctx.places.elsewhere(school))
    if ctx.rng.random() < 0.03:  # studied outside Jiangxi, photo uploaded (§3.2)
        h.pupil["primary_school"] = dict(OUT_OF_PROVINCE_SCHOOL)
        h.pupil["e_record_photo"] = dict(STAMPED_PHOTO)
    return h, home


def t1_head_grandparent(ctx: Context, school: School) -> tuple[Household, Place]:
    """Near miss of tier 1: the household head is a grandparent, the flat is the parents'."""
    h, home = _own_home(ctx, school)
    h.hukou(home, "grandfather")
    return h, home


def t1_purchase_contract(ctx: Context, school: School) -> tuple[Household, Place]:
    """Near miss of tier 1: only a purchase contract (购房合同), no certificate (§3.2)."""
    h, home = _own_home(ctx, school, cert_type="purchase_contract")
    h.hukou(home, "father")
    return h, home


def t1_issued_after_cutoff(ctx: Context, school: School) -> tuple[Household, Place]:
    """Near miss of tier 1: the certificate was issued after 31 May 2021 (§3.3)."""
    issued = ctx.people.day_between(date(2021, 6, 1), date(2021, 6, 12))
    h, home = _own_home(ctx, school, issued_on=issued)
    h.hukou(home, "father")
    return h, home


def t1_used_in_2019(ctx: Context, school: School) -> tuple[Household, Place]:
    """Near miss of tier 1: the flat already served another child in 2019 or 2020 (§6.1)."""
    h, home = _own_home(ctx, school, uses=((ctx.rng.choice((2019, 2020)), ctx.other_pupil()),))
    h.hukou(home, "father")
    return h, home


def t1_co_owned(ctx: Context, school: School) -> tuple[Household, Place]:
    """Near miss of tier 1: the flat is co-owned with a non-direct relative (§3.3, §6.2)."""
    h, home = _own_home(ctx, school, co_owned=True)
    h.hukou(home, "father")
    return h, home


def t1_collective(ctx: Context, school: School) -> tuple[Household, Place]:
    """Near miss of tier 1 landing in tier 3: a parent's collective hukou (集体户口)."""
    h, home = _own_home(ctx, school)
    h.hukou(home, "father", who=("pupil", "mother"))
    h.hukou(ctx.places.in_catchment(school), None, who=("father",), collective=True)
    return h, home


def t1_out_of_province_no_photo(ctx: Context, school: School) -> tuple[Household, Place]:
    """Tier-1 family from a primary school outside Jiangxi without the stamped photo (§3.2)."""
    h, home = _own_home(ctx, school)
    h.hukou(home, "father")
    h.pupil["primary_school"] = dict(OUT_OF_PROVINCE_SCHOOL)
    return h, home


def tier3_parent_elsewhere(ctx: Context, school: School) -> tuple[Household, Place]:
    """§6 tier 3: own flat in the catchment, a parent's hukou in another catchment."""
    h, home = _own_home(ctx, school)
    h.hukou(home, "mother", who=("pupil", "mother"))
    h.hukou(ctx.places.elsewhere(school), "father", who=("father",))
    return h, home


def tier3_family_elsewhere(ctx: Context, school: School) -> tuple[Household, Place]:
    """§6 tier 3: own flat in the catchment, the family's hukou still at the grandparents'."""
    h, home = _own_home(ctx, school)
    h.hukou(ctx.places.elsewhere(school), "grandfather")
    return h, home


# -- grandparents' flats (tiers 2 and 4b) ----------------------------------------------

def _grandparents_home(ctx: Context, school: School) -> tuple[Household, Place]:
    h = ctx.urban_household(school)
    h.add_guardian("grandfather", GRANDPARENTS_BORN, h.surname)
    h.add_guardian("grandmother", GRANDPARENTS_BORN, None)
    home = ctx.places.in_catchment(school)
    h.basis = {"kind": "property", "id": h.own(("grandfather", "grandmother"), home)}
    h.working_parents()
    return h, home


def tier2(ctx: Context, school: School) -> tuple[Household, Place]:
    """§6 tier 2: hukou in the grandparents' household and flat; the parents own nothing."""
    h, home = _grandparents_home(ctx, school)
    h.hukou(home, "grandfather", who=("pupil", "father", "mother", "grandfather", "grandmother"))
    return h, home


def t2_parents_own_flat(ctx: Context, school: School) -> tuple[Household, Place]:
    """Near miss of tier 2: as tier 2, but the parents own a flat elsewhere in the city."""
    h, home = tier2(ctx, school)
    h.own(("father", "mother"), ctx.places.elsewhere(school))
    return h, home


def tier4b(ctx: Context, school: School) -> tuple[Household, Place]:
    """§6 tier 4b: grandparents' flat in the catchment, the family's hukou elsewhere."""
    h, home = _grandparents_home(ctx, school)
    h.hukou(ctx.places.elsewhere(school), "father")
    h.hukou(home, "grandfather", who=("grandfather", "grandmother"))
    return h, home


def tier4b_collective(ctx: Context, school: School) -> tuple[Household, Place]:
    """§6 tier 4b: grandparents' flat, the family on a collective hukou (集体户口)."""
    h, home = _grandparents_home(ctx, school)
    h.hukou(ctx.places.in_catchment(school), None, collective=True)
    return h, home


# -- non-residential property (tiers 4a and 6b) -----------------------------------------

def tier4a(ctx: Context, school: School) -> tuple[Household, Place]:
    """§6 tier 4a: hukou registered at the family's own apartment (公寓/商住楼) in the catchment."""
    h = ctx.urban_household(school)
    home = ctx.places.in_catchment(school)
    usage = ctx.rng.choice(("apartment", "commercial_residential"))
    h.basis = {"kind": "property", "id": h.own(("father", "mother"), home, usage=usage)}
    h.hukou(home, "father")
    h.working_parents()
    return h, home


def t4a_hukou_not_at_apartment(ctx: Context, school: School) -> tuple[Household, Place]:
    """Near miss of tier 4a: hukou in the catchment, but not at the apartment's address."""
    h, home = tier4a(ctx, school)
    registered = home
    while registered.address == home.address:
        registered = ctx.places.in_catchment(school)
    h.hukou(registered, "father")
    return h, home


def tier6b(ctx: Context, school: School) -> tuple[Household, Place]:
    """§6 tier 6: own apartment in the catchment, urban hukou in another catchment."""
    h, home = tier4a(ctx, school)
    h.hukou(ctx.places.elsewhere(school), "father")
    return h, home


# -- tenants (tiers 5, 6a, 7) ----------------------------------------------------------

def _tenants(ctx: Context, school: School, h: Household, **lease: Any) -> Place:
    home = ctx.places.in_catchment(school)
    h.basis = {"kind": "lease", "id": h.rent(home, **lease)}
    return home


def _urban_tenants(ctx: Context, school: School, hukou_in_catchment: bool = True,
                   collective: bool = False, **lease: Any) -> tuple[Household, Place]:
    """Urban family renting in the catchment; hukou at a relative's there, or elsewhere."""
    h = ctx.urban_household(school)
    if hukou_in_catchment:
        h.hukou(ctx.places.in_catchment(school), None if collective else "other", collective=collective)
    else:
        h.hukou(ctx.places.elsewhere(school), "father")
    h.working_parents()
    return h, _tenants(ctx, school, h, **lease)


def tier5(ctx: Context, school: School) -> tuple[Household, Place]:
    """§6 tier 5: hukou in the catchment (at a relative's), renting there, no property."""
    return _urban_tenants(ctx, school)


def tier5_collective(ctx: Context, school: School) -> tuple[Household, Place]:
    """§6 tier 5: collective hukou in the catchment, renting there."""
    return _urban_tenants(ctx, school, collective=True)


def t5_lease_under_a_year(ctx: Context, school: School) -> tuple[Household, Place]:
    """Near miss of tier 5: the lease was registered 11 months before the cut-off (§6.2)."""
    return _urban_tenants(ctx, school, registered_on=ctx.people.day_between(date(2020, 6, 2), date(2020, 7, 31)))


def t5_unregistered_lease(ctx: Context, school: School) -> tuple[Household, Place]:
    """Near miss of tier 5: a lease contract never registered with housing (§3.2)."""
    return _urban_tenants(ctx, school, registered=False)


def tier6a(ctx: Context, school: School) -> tuple[Household, Place]:
    """§6 tier 6: urban hukou in another catchment, renting in this one, no property."""
    return _urban_tenants(ctx, school, hukou_in_catchment=False)


def tier7_business(ctx: Context, school: School) -> tuple[Household, Place]:
    """§6 tier 7 via §1.2(a): migrant parent with licence, tax, insurance; lease and permit."""
    h, hometown = ctx.migrant_household(school)
    h.runs_business("father")
    h.insured("father")
    if ctx.rng.random() < 0.3:  # a house back home is no urban property
        h.own(("father",), hometown)
    home = _tenants(ctx, school, h)
    h.permit(home, "father")
    return h, home


def _employed_migrants(ctx: Context, school: School, pension_paid: bool = True,
                       permit_issued: date | None = None) -> tuple[Household, Place]:
    """Migrant family: a parent under a labour contract, renting with a residence permit."""
    h, _ = ctx.migrant_household(school)
    parent = ctx.rng.choice(("father", "mother"))
    h.employed(parent)
    h.insured(parent, paid=pension_paid)
    home = _tenants(ctx, school, h, tenant=parent)
    h.permit(home, parent, issued_on=permit_issued)
    return h, home


def tier7_employment(ctx: Context, school: School) -> tuple[Household, Place]:
    """§6 tier 7 via §1.2(b): migrant parent under a labour contract, insured; lease and permit."""
    return _employed_migrants(ctx, school)


def t7_no_insurance(ctx: Context, school: School) -> tuple[Household, Place]:
    """Near miss of tier 7: migrant parent employed but paying no pension insurance (§1.2)."""
    return _employed_migrants(ctx, school, pension_paid=False)


def t7_permit_too_new(ctx: Context, school: School) -> tuple[Household, Place]:
    """Near miss of tier 7: the residence permit is less than a year old (§3.3)."""
    return _employed_migrants(ctx, school, permit_issued=ctx.people.day_between(date(2020, 9, 1), date(2021, 3, 31)))


# -- demolition and homes outside every catchment ---------------------------------------

def _demolished(ctx: Context, school: School, agreement_on: date, choice: str) -> tuple[Household, Place]:
    h = ctx.urban_household(school)
    original = ctx.places.in_catchment(school)
    h.hukou(original, "father")
    h.demolition = {"kind": ctx.rng.choice(("metro", "shanty_town", "state_construction")),
                    "agreement_on": agreement_on.isoformat(), "original_address": located(original),
                    "original_usage": "residential", "original_owner": "father",
                    "resettlement_address": located(ctx.places.elsewhere(school)), "choice": choice}
    h.basis = {"kind": "demolition", "id": None}
    h.working_parents()
    return h, original


def demolition_original(ctx: Context, school: School) -> tuple[Household, Place]:
    """§3.4: a demolished household choosing the original home address: tier 1 there."""
    return _demolished(ctx, school, ctx.people.day_between(date(2018, 7, 1), date(2021, 3, 31)), "original")


def demolition_expired(ctx: Context, school: School) -> tuple[Household, Place]:
    """Near miss of §3.4: the demolition agreement is more than three years old."""
    return _demolished(ctx, school, ctx.people.day_between(date(2015, 1, 1), date(2018, 4, 30)), "original")


def demolition_placement(ctx: Context, school: School) -> tuple[Household, Place]:
    """§3.4: a demolished household asking to be placed near the new home."""
    return _demolished(ctx, school, ctx.people.day_between(date(2018, 7, 1), date(2021, 3, 31)), "coordinated")


def no_catchment(ctx: Context, school: School) -> tuple[Household, Place]:
    """Urban hukou, but the family's flat is in 南昌县, inside no urban catchment."""
    h = ctx.urban_household(school)
    h.hukou(ctx.places.in_catchment(school), "father")
    home = ctx.places.county()
    h.basis = {"kind": "property", "id": h.own(("father", "mother"), home)}
    h.working_parents()
    return h, home


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("tier1", 300, "T1", tier1),
    Scenario("demolition_original", 8, "T1", demolition_original),
    Scenario("tier2", 40, "T2", tier2),
    Scenario("tier3_parent_elsewhere", 60, "T3", tier3_parent_elsewhere),
    Scenario("tier3_family_elsewhere", 20, "T3", tier3_family_elsewhere),
    Scenario("t1_collective", 10, "T3", t1_collective),
    Scenario("tier4a", 20, "T4a", tier4a),
    Scenario("tier4b", 20, "T4b", tier4b),
    Scenario("tier4b_collective", 6, "T4b", tier4b_collective),
    Scenario("tier5", 25, "T5", tier5),
    Scenario("tier5_collective", 8, "T5", tier5_collective),
    Scenario("tier6a", 60, "T6a", tier6a),
    Scenario("tier6b", 15, "T6b", tier6b),
    Scenario("tier7_business", 40, "T7", tier7_business),
    Scenario("tier7_employment", 80, "T7", tier7_employment),
    Scenario("t1_head_grandparent", 15, "coordinated:no_row", t1_head_grandparent),
    Scenario("t2_parents_own_flat", 8, "coordinated:no_row", t2_parents_own_flat),
    Scenario("t4a_hukou_not_at_apartment", 5, "coordinated:no_row", t4a_hukou_not_at_apartment),
    Scenario("t7_permit_too_new", 7, "coordinated:no_row", t7_permit_too_new),
    Scenario("t1_purchase_contract", 10, "coordinated:E-certificate-type", t1_purchase_contract),
    Scenario("t1_issued_after_cutoff", 5, "coordinated:E-certificate-cutoff", t1_issued_after_cutoff),
    Scenario("t5_unregistered_lease", 10, "coordinated:E-lease-registered", t5_unregistered_lease),
    Scenario("demolition_expired", 3, "coordinated:E-demolition-valid", demolition_expired),
    Scenario("t1_out_of_province_no_photo", 5, "coordinated:E-e-record-photo", t1_out_of_province_no_photo),
    Scenario("t1_used_in_2019", 8, "coordinated:R-three-year", t1_used_in_2019),
    Scenario("t5_lease_under_a_year", 15, "coordinated:C-lease-under-one-year", t5_lease_under_a_year),
    Scenario("t1_co_owned", 7, "coordinated:C-non-direct-co-owned", t1_co_owned),
    Scenario("demolition_placement", 3, "coordinated:C-demolition-placement", demolition_placement),
    Scenario("no_catchment", 5, "coordinated:no_catchment", no_catchment),
    Scenario("t7_no_insurance", 15, "ineligible", t7_no_insurance),
)
