"""Tier hit policies: FIRST (the default), PRIORITY (best tier among matches), COLLECT (all matches)."""
from __future__ import annotations

from core.rules import load_ruleset

OVERLAP = {"id": "T9", "tier": 7, "clause": "§6-7", "label": {"zh": "测试", "en": "test"},
           "all": ["basis_residential", "basis_in_catchment"]}


def with_policy(doc, policy, extra_first=False):
    doc["tiers"]["hit_policy"] = policy
    if extra_first:
        doc["tiers"]["rows"].insert(0, OVERLAP)
    else:
        doc["tiers"]["rows"].append(OVERLAP)
    return load_ruleset(doc)


def test_first_policy_takes_the_first_matching_row(lean_document, catchments, family):
    rs = with_policy(lean_document, "FIRST")
    assert rs.classify(family("li_tier1"), catchments).row == "T1"


def test_priority_policy_takes_the_best_tier_whatever_the_row_order(lean_document, catchments, family):
    rs = with_policy(lean_document, "PRIORITY", extra_first=True)
    got = rs.classify(family("li_tier1"), catchments)
    assert (got.tier, got.row) == (1, "T1")


def test_collect_policy_lists_every_matching_row(lean_document, catchments, family):
    rs = with_policy(lean_document, "COLLECT")
    got = rs.classify(family("li_tier1"), catchments)
    assert (got.tier, got.row, got.matches) == (1, "T1", ("T1", "T9"))


def test_priority_policy_is_undetermined_when_a_better_row_is(lean_document, catchments, family):
    rs = with_policy(lean_document, "PRIORITY", extra_first=True)
    got = rs.classify(family("li_tier1", {"op": "remove", "path": "/guardians/0/hukou"}), catchments)
    assert got.tier == "undetermined"
