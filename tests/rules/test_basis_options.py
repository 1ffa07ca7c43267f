"""What a family may name as its residence basis: every property, lease and demolished home, with its address."""
from __future__ import annotations

from core.applications import address_text, basis_options


def test_a_demolition_household_sees_the_demolished_homes_address_as_an_option(family):
    """§3.4: the demolished home is a basis of its own, located at its original address (the
    ruleset's `basis_address` for a demolition basis)."""
    facts = family("sun_demolition")
    demolition = [o for o in basis_options(facts) if o["kind"] == "demolition"]
    assert [o["address"] for o in demolition] == [address_text(facts["demolition"]["original_address"])]
    assert demolition[0]["address"] and demolition[0]["detail"] == facts["demolition"]["agreement_on"]


def test_every_property_and_lease_is_an_option_with_its_address(family):
    facts = family("sun_demolition")
    listed = {(o["kind"], o["id"]): o["address"] for o in basis_options(facts)}
    for p in facts.get("properties") or []:
        assert listed[("property", p["id"])] == address_text(p["address"])
    for lease in facts.get("leases") or []:
        assert listed[("lease", lease["id"])] == address_text(lease["address"])
