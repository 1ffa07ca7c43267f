"""Clause ids worded as the year's notice numbers them, by the ruleset's own `clauses`: §6-1 (tier
row 一类) and §6.1 (the three-year paragraph) no longer look alike to families and reviewers,
next year's notice is worded by next year's ruleset, and ids stay ids in the data."""
from __future__ import annotations

import json
import re
from pathlib import Path

from core.rules import RulesetError, diff, load_ruleset
from core.rules.clauses import CLAUSE_ID, FIXED_TEXT_CLAUSES, clause_text, clauses_in
from core.ruleset_editor import merge, next_year, split

ROOT = Path(__file__).resolve().parents[2]


def warned(doc) -> dict[str, str]:
    return {w.pointer: f"{w.message} | {w.zh}" for w in load_ruleset(doc).warnings}


def test_parts_items_and_tiers_read_as_a_reader_of_the_notice_cites_them(ruleset_2021):
    words = ruleset_2021.clauses
    assert clause_text(words, "§6-1") == "第六部分 一类" and clause_text(words, "§6-1", "en") == "part 6, tier 1"
    assert clause_text(words, "§3.2") == "第三部分第2项" and clause_text(words, "§6") == "第六部分"
    assert clause_text(words, "§3.4") == "第三部分第3项（1）"


def test_an_unnumbered_paragraph_is_cited_by_what_it_is_about(ruleset_2021):
    words = ruleset_2021.clauses
    assert clause_text(words, "§6.1") == "第六部分（一套房产三年内只作一个家庭入学依据）"
    assert clause_text(words, "§6.1", "en") == "part 6 (one property, one family, once in three years)"
    assert clause_text(words, "§6.2") == "第六部分（租赁未满一年、非直系亲属共有房产）"


def test_no_wording_counts_paragraphs_or_calls_a_part_an_article_and_none_reads_like_another(ruleset_2021):
    for lang in ("zh", "en"):
        texts = [clause_text(ruleset_2021.clauses, c, lang) for c in ruleset_2021.clauses]
        assert len(set(texts)) == len(texts)
        assert not [t for t in texts if re.search(r"第.条|段|paragraph|section", t)]


def test_an_id_the_ruleset_does_not_word_is_shown_as_it_is(ruleset_2021):
    assert clause_text(ruleset_2021.clauses, "§9.9") == "§9.9" and clause_text({}, "§6-1", "en") == "§6-1"
    assert clause_text(None, "§6-1") == "§6-1" and clause_text(ruleset_2021.clauses, None) == ""


def test_ids_inside_a_stored_text_are_worded_for_reading_and_unknown_ones_kept(ruleset_2021):
    stored = "本次不再作为入学依据（§6.1）；按实际居住地就近统筹安排（§6，§9.9）"
    assert clauses_in(ruleset_2021.clauses, stored) == (
        "本次不再作为入学依据（第六部分（一套房产三年内只作一个家庭入学依据））；按实际居住地就近统筹安排（第六部分，§9.9）")
    assert clauses_in(ruleset_2021.clauses, "no basis this time (§6.1)", "en") == (
        "no basis this time (part 6 (one property, one family, once in three years))")


def test_a_cited_clause_without_wording_is_a_warning_at_its_first_citation(lean_document):
    del lean_document["clauses"]["§6-1"], lean_document["clauses"]["§6"]
    warnings = warned(lean_document)
    assert sorted(warnings) == ["/parameters/city/clause", "/tiers/rows/0/clause"]
    assert "clause §6-1 is cited here but /clauses does not word it" in warnings["/tiers/rows/0/clause"]
    assert "more places" in warnings["/parameters/city/clause"] and "页面上将直接显示编号" in warnings["/parameters/city/clause"]


def test_a_wording_nothing_cites_is_a_warning_at_its_key(lean_document):
    lean_document["clauses"]["§6.3"] = {"zh": "第六部分（省属事业单位办学校）", "en": "part 6 (province-run schools)"}
    assert list(warned(lean_document)) == ["/clauses/§6.3"]


def test_an_id_only_the_programs_own_texts_cite_counts_as_cited_and_must_be_worded(lean_document):
    """§3.5 (special-policy lists) is cited by the seat reasons, not by the ruleset."""
    assert warned(lean_document) == {}
    del lean_document["clauses"]["§3.5"]
    warnings = warned(lean_document)
    assert list(warnings) == ["/clauses"] and "clause §3.5, cited by the program's own texts" in warnings["/clauses"]


def test_a_ruleset_without_wordings_loads_and_says_which_ids_pages_will_show(lean_document, catchments, family):
    del lean_document["clauses"]
    ruleset = load_ruleset(lean_document)
    assert ruleset.clauses == {} and len(ruleset.warnings) == 25  # 24 cited ids, and §3.5 for the seat reasons
    assert ruleset.classify(family("li_tier1"), catchments).reasons[0]["clause"] == "§6-1"


def test_a_wording_must_say_both_languages_and_its_key_must_be_a_clause_id(lean_document):
    lean_document["clauses"]["§6-1"] = {"zh": "", "en": "part 6, tier 1", "fr": "partie 6"}
    lean_document["clauses"]["6-1"] = {"zh": "第六部分 一类"}
    try:
        load_ruleset(lean_document)
    except RulesetError as error:
        pointers = {p.pointer for p in error.problems}
    else:
        raise AssertionError("refused ruleset loaded")
    # empty Chinese, an unknown language, no English, and a key that is no clause id
    assert {"/clauses/§6-1/zh", "/clauses/§6-1/fr", "/clauses/6-1", "/clauses"} <= pointers


def test_next_years_copy_keeps_the_wordings_and_the_editor_offers_them_as_fields(document_2021):
    assert next_year(document_2021)["clauses"] == document_2021["clauses"]
    fields, rest = split(document_2021)
    shown = {f.pointer: f for f in fields}
    assert shown["/clauses/§6.1/zh"].value == "第六部分（一套房产三年内只作一个家庭入学依据）"
    assert shown["/clauses/§6.1/en"].group == "/clauses/§6.1" and "clauses" not in rest
    edited = {p: (f.kind, f.value) for p, f in shown.items()} | {"/clauses/§6-1/zh": ("text", "第六部分第一类")}
    document, problems = merge(edited, rest)
    assert problems == [] and document["clauses"]["§6-1"]["zh"] == "第六部分第一类"


def test_a_reworded_clause_is_a_change_the_diff_shows(document_2021):
    edited = json.loads(json.dumps(document_2021))
    edited["clauses"]["§6-1"]["zh"] = "第六部分第一类"
    assert [(c["kind"], c["id"], c["details"]) for c in diff(document_2021, edited)] == [
        ("clause", "§6-1", [{"path": "zh", "old": "第六部分 一类", "new": "第六部分第一类"}])]


def test_the_programs_own_texts_cite_exactly_the_ids_it_counts_as_cited(ruleset_2021):
    texts = [ROOT / "core/allocation/reasons.py", ROOT / "web/templates/admin/lists.html",
             ROOT / "web/templates/review/application.html"]
    cited = {clause for path in texts for clause in CLAUSE_ID.findall(path.read_text(encoding="utf-8"))}
    cited.add(ruleset_2021._no_row["clause"])  # "fits no catchment tier"
    assert cited == set(FIXED_TEXT_CLAUSES)


def test_machine_output_keeps_the_ids(ruleset_2021, catchments, family):
    result = ruleset_2021.classify(family("li_tier1"), catchments, explain=True)
    assert "§6-1" in json.dumps(result.to_dict(), ensure_ascii=False)
