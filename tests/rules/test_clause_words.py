"""Clause ids read in the notice's own numbering: §6-1 (tier row 一类) and §6.1 (the three-year
paragraph) no longer look alike to families and reviewers; ids stay ids in the data."""
from __future__ import annotations

import json

from core.rules.clauses import CLAUSES, clause_text


def test_a_tier_row_and_the_paragraph_after_the_tiers_read_apart():
    assert clause_text("§6-1") == "第六条 一类" and clause_text("§6-1", "en") == "section 6, tier 1"
    assert clause_text("§6.1") == "第六条第十段" and clause_text("§6.1", "en") == "section 6, paragraph 10"
    assert clause_text("§6-4b") == "第六条 四类第二段"
    assert clause_text("§3.4") == "第三条第3项（1）" and clause_text("§1.2") == "第一条第2项"


def test_an_unknown_clause_is_shown_as_it_is():
    assert clause_text("§9.9") == "§9.9" and clause_text("§9.9", "en") == "§9.9"
    assert clause_text(None) == "" and clause_text("") == ""


def test_every_clause_the_2021_ruleset_cites_has_words_and_no_two_read_alike(document_2021):
    cited = {value for value in _clauses(document_2021)}
    assert sorted(cited - set(CLAUSES)) == []
    for lang in ("zh", "en"):
        words = [clause_text(c, lang) for c in CLAUSES]
        assert len(set(words)) == len(words)


def _clauses(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "clause" and isinstance(value, str):
                yield value
            else:
                yield from _clauses(value)
    elif isinstance(node, list):
        for item in node:
            yield from _clauses(item)


def test_machine_output_keeps_the_ids(ruleset_2021, catchments, family):
    result = ruleset_2021.classify(family("li_tier1"), catchments, explain=True)
    assert "§6-1" in json.dumps(result.to_dict(), ensure_ascii=False)
