"""The allocation policy comes from the ruleset: unknown keys refused, orders honoured."""

from __future__ import annotations

import json

import pytest

from core.allocation import AllocationPolicy, PolicyError
from core.paths import ruleset_path

from .cities import by_lottery, pupil, run, school, seats


def test_the_2021_ruleset_gives_the_default_policy():
    document = json.loads(ruleset_path(2021).read_text(encoding="utf-8"))
    policy = AllocationPolicy.from_ruleset(document, 2021)
    assert policy.overflow_order == ("tier", "lottery")
    assert policy.order == ("direct_promotion", "special_policy", "tiers")
    assert (policy.property_reuse_years, policy.property_reuse_treatment) == (3, "coordinated")


def test_an_unknown_policy_key_is_refused_not_ignored():
    with pytest.raises(PolicyError):
        AllocationPolicy.from_dict({"overflow_order": ["tier", "lottery"], "overflow_ordr": ["lottery"]})


def test_a_lottery_other_than_the_keyed_hash_is_refused():
    with pytest.raises(PolicyError):
        AllocationPolicy.from_dict({"lottery": {"method": "shuffle"}})


def test_placement_follows_the_lottery_alone_when_the_ruleset_says_so():
    # A has one seat; B, the only other school, one more. The tier-1 loser and the tier-3 pupil
    # compete for B: by tier the tier-1 loser wins it; by lottery alone the better number does.
    schools = [school("A", 1), school("B", 1, x=1000)]
    pupils = [pupil("p1", "1", "A"), pupil("p2", "1", "A"), pupil("p3", "3", "A")]
    loser = by_lottery("p1", "p2")[1]
    by_tier = seats(run(schools, pupils))
    assert by_tier[loser] == ("B", "placed") and by_tier["p3"] == (None, "unplaced")
    by_number = seats(run(schools, pupils, policy=AllocationPolicy.from_dict({"overflow_order": ["lottery"]})))
    first = by_lottery(loser, "p3")[0]
    assert by_number[first] == ("B", "placed")


def test_special_policy_wins_over_direct_promotion_when_listed_first():
    schools = [school("A", 1), school("B", 1, x=1000)]
    both = pupil("p1", "1", "A", direct_school="A", direct_confirmed=True, special_school="B")
    default = seats(run(schools, [both]))
    special_first = AllocationPolicy.from_dict({"order": ["special_policy", "direct_promotion", "tiers"]})
    assert default == {"p1": ("A", "direct")}
    assert seats(run(schools, [both], policy=special_first)) == {"p1": ("B", "special")}
