"""A bad ruleset is refused with every problem named by its JSON pointer, most relevant first."""
from __future__ import annotations

import re

import pytest

from core.rules import RulesetError, load_ruleset

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def problems_of(doc) -> list:
    with pytest.raises(RulesetError) as caught:
        load_ruleset(doc)
    assert caught.value.problems, "a refused ruleset must say why"
    return caught.value.problems


def first_pointer(doc) -> str:
    return problems_of(doc)[0].pointer


def test_unknown_key_is_named_by_its_pointer(lean_document):
    lean_document["tiers"]["rows"][0]["tier_label"] = "一类"
    assert first_pointer(lean_document) == "/tiers/rows/0/tier_label"


def test_unknown_top_level_section_is_refused(lean_document):
    lean_document["priorities"] = []
    assert first_pointer(lean_document) == "/priorities"


def test_unknown_operator_is_named_by_its_pointer(lean_document):
    lean_document["predicates"]["head_is_parent"]["when"] = {"method": [{"var": "pupil.name"}, "upper"]}
    problem = problems_of(lean_document)[0]
    assert problem.pointer == "/predicates/head_is_parent/when/method"
    assert "unknown operator" in problem.message


def test_unresolved_fact_is_a_load_error(lean_document):
    lean_document["predicates"]["head_is_parent"]["when"] = {"in": [{"var": "pupil.hukou.householder"}, {"param": "parent_relations"}]}
    problem = problems_of(lean_document)[0]
    assert problem.pointer == "/predicates/head_is_parent/when/in/0/var"
    assert "householder" in problem.message


def test_no_attribute_access_through_var(lean_document):
    lean_document["predicates"]["head_is_parent"]["when"] = {"===": [{"var": "pupil.name.__class__"}, "str"]}
    assert first_pointer(lean_document) == "/predicates/head_is_parent/when/===/0/var"


def test_bad_parameter_date_is_refused(lean_document):
    lean_document["parameters"]["evidence_cutoff"]["values"][0]["value"] = "2021-02-30"
    problem = problems_of(lean_document)[0]
    assert problem.pointer == "/parameters/evidence_cutoff/values/0/value"
    assert "date" in problem.message


def test_a_negative_number_of_years_is_refused_at_its_value(lean_document):
    lean_document["parameters"]["demolition_valid_years"]["values"][0]["value"] = -3
    problem = problems_of(lean_document)[0]
    assert problem.pointer == "/parameters/demolition_valid_years/values/0/value"
    assert "must be at least 0" in problem.message and "不能小于 0" in problem.zh


def test_a_parameter_may_declare_its_own_minimum_lower_or_higher(lean_document):
    lean_document["parameters"]["demolition_valid_years"].update(minimum=-5, values=[{"from": "2021-01-01", "value": -3}])
    lean_document["parameters"]["min_holding_years"].update(minimum=1, values=[{"from": "2021-01-01", "value": 0}])
    problems = problems_of(lean_document)
    assert [(p.pointer, p.message) for p in problems] == [
        ("/parameters/min_holding_years/values/0/value", "bad value 0: parameter 'min_holding_years' must be at least 1")]


def test_a_minimum_on_a_parameter_that_is_not_a_number_is_refused(lean_document):
    lean_document["parameters"]["evidence_cutoff"]["minimum"] = 0
    problem = problems_of(lean_document)[0]
    assert problem.pointer == "/parameters/evidence_cutoff/minimum"
    assert "integer and number parameters only" in problem.message


def test_bad_date_literal_in_an_expression_is_refused(lean_document):
    lean_document["evidence"][1]["require"] = {"<=": [{"get": [{"derived": "basis_property"}, "issued_on"]}, {"date": "2021-13-01"}]}
    assert first_pointer(lean_document) == "/evidence/1/require/<=/1/date"


def test_bad_date_format_in_meta_is_a_schema_error(lean_document):
    lean_document["meta"]["effective"]["from"] = "15/05/2021"
    assert first_pointer(lean_document) == "/meta/effective/from"


def test_loose_equality_is_refused(lean_document):
    lean_document["predicates"]["basis_is_lease"]["when"] = {"==": [{"var": "basis.kind"}, "lease"]}
    problem = problems_of(lean_document)[0]
    assert problem.pointer == "/predicates/basis_is_lease/when/=="
    assert "===" in problem.message


def test_duplicate_row_id_names_the_second_row(lean_document):
    lean_document["tiers"]["rows"][3]["id"] = "T2"
    problem = problems_of(lean_document)[0]
    assert problem.pointer == "/tiers/rows/3/id"
    assert "duplicate" in problem.message


def test_duplicate_id_across_checks_and_rows(lean_document):
    lean_document["coordinated"][0]["id"] = "E-certificate-type"
    assert first_pointer(lean_document) == "/coordinated/0/id"


def test_unreachable_tier_row_is_refused(lean_document):
    rows = lean_document["tiers"]["rows"]
    rows.insert(2, {**rows[0], "id": "T1-copy", "all": rows[0]["all"] + ["family_owns_no_urban_property"]})
    problem = problems_of(lean_document)[0]
    assert problem.pointer == "/tiers/rows/2"
    assert "unreachable" in problem.message


def _predicate(doc, name, when):
    doc["predicates"][name] = {"label": {"zh": name, "en": name}, "clause": "§6", "when": when}


def test_a_row_needing_a_predicate_and_its_negation_is_refused_naming_both(lean_document):
    lean_document["tiers"]["rows"][0]["all"].append("family_hukou_not_in_catchment")
    problem = problems_of(lean_document)[0]
    assert problem.pointer == "/tiers/rows/0"
    assert "row 'T1' can never match" in problem.message and "永远不会被命中" in problem.zh
    assert "/tiers/rows/0/all/0" in problem.message and "/tiers/rows/0/all/5" in problem.message
    assert "/predicates/family_hukou_not_in_catchment/when/!/pred" in problem.message


def test_a_row_needing_one_fact_equal_to_two_constants_is_refused(lean_document):
    _predicate(lean_document, "basis_is_property", {"===": [{"var": "$.basis.kind"}, "property"]})
    lean_document["tiers"]["rows"][5]["all"].append("basis_is_property")  # T5 needs basis.kind === "lease"
    problem = problems_of(lean_document)[0]
    assert problem.pointer == "/tiers/rows/5"
    assert '/predicates/basis_is_lease/when/===' in problem.message and '/predicates/basis_is_property/when/===' in problem.message
    assert 'basis.kind === "lease"' in problem.zh and 'basis.kind === "property"' in problem.zh


def test_a_row_needing_disjoint_date_ranges_of_one_fact_is_refused(lean_document):
    _predicate(lean_document, "settled_early", {"<": [{"var": "pupil.hukou.since"}, {"date": "2021-05-31"}]})
    _predicate(lean_document, "settled_late", {"!": {"<": [{"date": "2021-06-01"}, {"var": "pupil.hukou.since"}]}})
    _predicate(lean_document, "settled_in_june", {"and": [{">=": [{"var": "pupil.hukou.since"}, {"date": "2021-06-01"}]},
                                                          {"pred": "settled_late"}]})
    lean_document["tiers"]["rows"][2]["all"] += ["settled_early", "settled_in_june"]
    problem = problems_of(lean_document)[0]
    assert problem.pointer == "/tiers/rows/2"
    assert "/predicates/settled_early/when/<" in problem.message
    assert "/predicates/settled_in_june/when/and/0/>=" in problem.message


def test_a_row_needing_in_lists_with_no_common_member_is_refused(lean_document):
    lean_document["tiers"]["rows"][0]["all"].append("head_is_grandparent")  # T1 also needs head_is_parent
    problem = problems_of(lean_document)[0]
    assert problem.pointer == "/tiers/rows/0"
    assert "'head_is_parent' (/tiers/rows/0/all/1)" in problem.message
    assert "'head_is_grandparent' (/tiers/rows/0/all/5)" in problem.message


def test_a_row_whose_conditions_can_all_hold_is_not_refused(lean_document):
    """The look is sound: ranges that touch, lists that share a member, a negated ordering (true
    for null too) beside an equality with null, and a disjunction are all satisfiable."""
    _predicate(lean_document, "on_or_before", {"<=": [{"var": "pupil.hukou.since"}, {"date": "2021-05-31"}]})
    _predicate(lean_document, "on_or_after", {">=": [{"var": "pupil.hukou.since"}, {"date": "2021-05-31"}]})
    _predicate(lean_document, "a_parent_or_other", {"in": [{"var": "pupil.hukou.head_relation"}, ["mother", "other"]]})
    _predicate(lean_document, "no_agreement", {"===": [{"var": "demolition.agreement_on"}, None]})
    _predicate(lean_document, "not_agreed_before", {"!": {"<": [{"var": "demolition.agreement_on"}, {"date": "2021-01-01"}]}})
    _predicate(lean_document, "lease_or_parent", {"or": [{"pred": "basis_is_lease"}, {"pred": "head_is_parent"}]})
    lean_document["tiers"]["rows"][0]["all"] += ["on_or_before", "on_or_after", "a_parent_or_other", "no_agreement",
                                                  "not_agreed_before", "lease_or_parent"]
    load_ruleset(lean_document)


def test_parameter_used_before_its_effective_date_is_refused(lean_document):
    lean_document["parameters"]["evidence_cutoff"]["values"][0]["from"] = "2021-06-01"
    problems = problems_of(lean_document)
    assert problems[0].pointer == "/derived/holding_cutoff/expr/add_years/0/param"
    assert "before its effective date" in problems[0].message
    assert "/evidence/1/require/<=/1/param" in [p.pointer for p in problems]


def test_type_mismatch_date_against_number_is_refused(lean_document):
    lean_document["evidence"][1]["require"] = {"<=": [{"get": [{"derived": "basis_property"}, "issued_on"]}, 20210531]}
    problem = problems_of(lean_document)[0]
    assert problem.pointer == "/evidence/1/require/<="
    assert "type mismatch" in problem.message


def test_comparing_with_a_value_an_enum_never_takes_is_refused(lean_document):
    lean_document["predicates"]["basis_is_lease"]["when"] = {"===": [{"var": "basis.kind"}, "rental"]}
    assert first_pointer(lean_document) == "/predicates/basis_is_lease/when/===/1"


def test_bad_tier_reference_in_a_row_is_refused(lean_document):
    lean_document["tiers"]["rows"][0]["all"][1] = "head_is_father"
    problem = problems_of(lean_document)[0]
    assert problem.pointer == "/tiers/rows/0/all/1"
    assert "unknown predicate" in problem.message


def test_bad_tier_reference_in_a_test_case_is_refused(lean_document):
    lean_document["tests"]["cases"] = [{"name": "t", "facts": {"pupil": {}, "guardians": []}, "expect": {"row": "T8"}}]
    pointers = [p.pointer for p in problems_of(lean_document)]
    assert "/tests/cases/0/expect/row" in pointers


def test_rows_out_of_tier_order_are_refused(lean_document):
    rows = lean_document["tiers"]["rows"]
    rows[0], rows[2] = rows[2], rows[0]
    pointers = [p.pointer for p in problems_of(lean_document)]
    assert "/tiers/rows/1/tier" in pointers


def test_workflow_transition_to_unknown_state_is_refused(lean_document):
    lean_document["workflow"]["transitions"][0]["to"] = "limbo"
    assert first_pointer(lean_document) == "/workflow/transitions/0/to"


def test_a_phase_that_starts_before_the_previous_one_ends_is_refused(lean_document):
    """§4: the season is in one phase at a time (verification cannot start while collection runs)."""
    lean_document["calendar"]["phases"][2]["start"] = "2021-06-10T00:00:00+08:00"
    [problem] = problems_of(lean_document)
    assert problem.pointer == "/calendar/phases/2/start" and "'collection'" in problem.zh


def test_a_ruleset_copied_for_next_year_with_last_years_dates_is_refused(lean_document):
    lean_document["meta"]["year"] = 2022
    problems = problems_of(lean_document)
    assert {p.pointer for p in problems} == {f"/calendar/phases/{i}/{key}" for i in range(6) for key in ("start", "end")}
    assert "不在本规则的年度 2022 年" in problems[0].zh


def test_a_window_naming_a_misspelt_district_is_refused_and_the_district_it_left_out_named(lean_document):
    """§2.2: every district has its first-login window; a misspelt one would never open."""
    lean_document["calendar"]["windows"][0]["districts"] = ["东胡区", "经开区"]
    problems = {p.pointer: p for p in problems_of(lean_document)}
    assert set(problems) == {"/calendar/windows/0/districts/0", "/districts/0"}
    assert "'东胡区' 不是本规则的区县" in problems["/calendar/windows/0/districts/0"].zh
    assert problems["/districts/0"].zh == "区县 '东湖区' 没有首次登录时段（/calendar/windows）"


def test_a_district_in_two_windows_is_refused(lean_document):
    lean_document["calendar"]["windows"][1]["districts"].append("东湖区")
    [problem] = problems_of(lean_document)
    assert problem.pointer == "/calendar/windows/1/districts/2" and "'W1'" in problem.message


def test_every_problem_is_reported_not_only_the_first(lean_document):
    lean_document["predicates"]["basis_is_lease"]["when"] = {"==": [{"var": "basis.kind"}, "lease"]}
    lean_document["predicates"]["head_is_parent"]["when"] = {"in": [{"var": "pupil.hukou.householder"}, ["father"]]}
    lean_document["tiers"]["rows"][3]["id"] = "T2"
    pointers = {p.pointer for p in problems_of(lean_document)}
    assert {"/predicates/basis_is_lease/when/==", "/predicates/head_is_parent/when/in/0/var", "/tiers/rows/3/id"} <= pointers


def test_a_predicate_referring_to_itself_is_refused(lean_document):
    lean_document["predicates"]["basis_is_lease"]["when"] = {"!": {"pred": "basis_is_lease"}}
    assert "refers to itself" in problems_of(lean_document)[0].message


def test_schema_problems_come_most_relevant_first(lean_document):
    del lean_document["allocation"]
    lean_document["tiers"]["rows"][0]["tier_label"] = "一类"
    problems = problems_of(lean_document)
    assert [p.pointer for p in problems] == ["", "/tiers/rows/0/tier_label"]
    assert "allocation" in problems[0].message


def _rows_out_of_order(doc):
    rows = doc["tiers"]["rows"]
    rows[0], rows[2] = rows[2], rows[0]


#: Semantic faults, one per place (the loader reports them all at once), by the pointer each is reported at.
SEMANTIC_MUTATIONS = {
    "/predicates/head_is_parent/when/method":
        lambda d: d["predicates"]["head_is_parent"].update(when={"method": [{"var": "pupil.name"}, "upper"]}),
    "/predicates/basis_is_lease/when/==":
        lambda d: d["predicates"]["basis_is_lease"].update(when={"==": [{"var": "basis.kind"}, "lease"]}),
    "/predicates/pupil_urban_hukou/when/in/0/var":
        lambda d: d["predicates"]["pupil_urban_hukou"].update(when={"in": [{"var": "pupil.hukou.householder"}, ["x"]]}),
    "/parameters/evidence_cutoff/values/0/value":
        lambda d: d["parameters"]["evidence_cutoff"]["values"][0].update(value="2021-02-30"),
    "/parameters/property_reuse_years/values/0/value":
        lambda d: d["parameters"]["property_reuse_years"]["values"][0].update(value=-1),
    "/parameters/city/minimum": lambda d: d["parameters"]["city"].update(minimum=1),
    "/evidence/1/require/<=/1/date": lambda d: d["evidence"][1].update(
        require={"<=": [{"get": [{"derived": "basis_property"}, "issued_on"]}, {"date": "2021-13-01"}]}),
    "/evidence/0/require/<=": lambda d: d["evidence"][0].update(require={"<=": [{"var": "pupil.birth_date"}, 20210531]}),
    "/tiers/rows/3/id": lambda d: d["tiers"]["rows"][3].update(id="T2"),
    "/tiers/rows/1/tier": _rows_out_of_order,
    "/tiers/rows/6": lambda d: d["tiers"]["rows"][6]["all"].append("family_hukou_not_urban"),
    "/coordinated/0/when/!/pred": lambda d: d["coordinated"][0].update(when={"!": {"pred": "no_such_predicate"}}),
    "/workflow/transitions/0/to": lambda d: d["workflow"]["transitions"][0].update(to="limbo"),
    "/workflow/initial": lambda d: d["workflow"].update(initial="nowhere"),
    "/calendar/phases/0/end": lambda d: d["calendar"]["phases"][0].update(end=d["calendar"]["phases"][0]["start"]),
    "/calendar/phases/3/start": lambda d: d["calendar"]["phases"][3].update(start="2021-06-20T00:00:00+08:00"),
    "/calendar/phases/5/end": lambda d: d["calendar"]["phases"][5].update(end="2022-07-10T00:00:00+08:00"),
    "/calendar/windows/1/districts/0": lambda d: d["calendar"]["windows"][1]["districts"].__setitem__(0, "西胡区"),
    "/meta/effective/to": lambda d: d["meta"]["effective"].update(to="2021-05-14"),
    "/tests/cases/0/expect/row": lambda d: d["tests"]["cases"].append(
        {"name": "t", "facts": {"pupil": {}, "guardians": []}, "expect": {"row": "T8"}}),
}

#: Faults the schema finds (it is checked first, so these are loaded apart from the semantic ones).
SCHEMA_MUTATIONS = {
    "/tiers/rows/0/tier_label": lambda d: d["tiers"]["rows"][0].update(tier_label="一类"),
    "": lambda d: d.pop("allocation"),
    "/meta/effective/from": lambda d: d["meta"]["effective"].update({"from": "15/05/2021"}),
    "/tiers/rows/1/tier": lambda d: d["tiers"]["rows"][1].update(tier="one"),
    "/tiers/hit_policy": lambda d: d["tiers"].update(hit_policy="LAST"),
    "/coordinated/0/id": lambda d: d["coordinated"][0].update(id=""),
    "/eligibility/any": lambda d: d["eligibility"].update(any=[]),
}


@pytest.mark.parametrize("mutations", [SEMANTIC_MUTATIONS, SCHEMA_MUTATIONS], ids=["semantic", "schema"])
def test_every_problem_says_in_chinese_too_what_is_wrong(lean_document, mutations):
    for mutate in mutations.values():
        mutate(lean_document)
    problems = problems_of(lean_document)
    assert set(mutations) <= {p.pointer for p in problems}
    assert [p for p in problems if not CHINESE.search(p.zh)] == []
