"""The sandbox city's generated families classify as the generator says the 2021 policy wants."""
from __future__ import annotations

import pytest

from core.rules import load_catchments
from core.rules.schemas import schema_problems

sandbox = pytest.importorskip("plugins.sandbox.city")


def outcome(result) -> str:
    if result.eligible is False:
        return "ineligible"
    if result.tier == "coordinated":
        return f"coordinated:{result.reasons[0]['code']}"
    return result.row or str(result.tier)


def test_every_generated_family_gets_the_expected_row_or_reason(ruleset_2021):
    city = sandbox.generate_city(2021, 400)
    index = load_catchments(city.catchments)
    wrong = []
    for family in city.families:
        assert schema_problems("facts", family.facts) == [], family.scenario
        result = ruleset_2021.classify(family.facts, index)
        misplaced = result.eligible and family.school and result.catchment != family.school
        if outcome(result) != family.expected or misplaced:
            wrong.append((family.scenario, family.expected, outcome(result), result.catchment, family.school))
    assert wrong == []
