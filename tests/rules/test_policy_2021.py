"""The 2021 Nanchang policy, clause by clause, on the ruleset's own families."""
from __future__ import annotations

from core.rules.testing import run_tests

R = lambda path, value: {"op": "replace", "path": path, "value": value}  # noqa: E731
ADD = lambda path, value: {"op": "add", "path": path, "value": value}  # noqa: E731
RM = lambda path: {"op": "remove", "path": path}  # noqa: E731
ELSEWHERE = {"city": "南昌市", "district": "西湖区", "street": "孺子路", "number": 5, "text": "西湖区孺子路5号"}


def classify(ruleset, catchments, facts, explain=False):
    return ruleset.classify(facts, catchments, explain=explain)


def test_every_embedded_case_of_the_2021_ruleset_passes(ruleset_2021):
    results = run_tests(ruleset_2021)
    assert len(results) >= 60
    assert [r.name for r in results if not r.passed] == []


def test_embedded_cases_reach_every_tier_and_coordinated_placement(ruleset_2021):
    rows = {r.got.row for r in run_tests(ruleset_2021)}
    tiers = {r.got.tier for r in run_tests(ruleset_2021)}
    assert {"T1", "T2", "T3", "T4a", "T4b", "T5", "T6a", "T6b", "T7"} <= rows
    assert {1, 2, 3, 4, 5, 6, 7, "coordinated", "undetermined", None} <= tiers


def test_tier1_when_family_hukou_and_parents_flat_in_catchment(ruleset_2021, catchments, family):
    got = classify(ruleset_2021, catchments, family("li_tier1"))
    assert (got.eligible, got.tier, got.row, got.catchment) == (True, 1, "T1", "dh-yuzhang")
    assert got.reasons[0]["clause"] == "§6-1"


def test_tier3_when_parent_hukou_outside_catchment(ruleset_2021, catchments, family):
    got = classify(ruleset_2021, catchments, family("li_tier1", R("/guardians/0/hukou/address", ELSEWHERE)), explain=True)
    assert (got.tier, got.row) == (3, "T3")
    t1 = got.trace["better"][0]
    assert (t1["row"], t1["failed"]["condition"]) == ("T1", "family_hukou_in_catchment")
    assert t1["failed"]["fact"] == "guardians[0].hukou.address"
    assert t1["failed"]["actual"] == "西湖区孺子路5号"


def test_tier3_when_collective_hukou_even_inside_catchment(ruleset_2021, catchments, family):
    got = classify(ruleset_2021, catchments, family("li_tier1", R("/pupil/hukou/collective", True), R("/pupil/hukou/head_relation", None)))
    assert got.tier == 3


def test_coordinated_when_household_head_is_not_a_parent(ruleset_2021, catchments, family):
    got = classify(ruleset_2021, catchments, family("li_tier1", R("/pupil/hukou/head_relation", "other")), explain=True)
    assert got.tier == "coordinated"
    failed = got.trace["better"][0]["failed"]
    assert (failed["condition"], failed["fact"], failed["actual"]) == ("head_is_parent", "pupil.hukou.head_relation", "other")
    assert failed["expected"] == {"op": "in", "value": ["father", "mother"]}
    assert failed["label"]["zh"] == "户主为其父或其母"


def test_purchase_contract_is_no_basis_for_a_tier(ruleset_2021, catchments, family):
    got = classify(ruleset_2021, catchments, family("li_tier1", R("/properties/0/cert_type", "purchase_contract")))
    assert (got.tier, got.reasons[0]["code"], got.reasons[0]["clause"]) == ("coordinated", "E-certificate-type", "§3.2")


def test_property_used_for_a_sibling_in_2019_cannot_serve_again(ruleset_2021, catchments, family):
    got = classify(ruleset_2021, catchments, family(
        "li_tier1", ADD("/properties/0/enrolment_uses/-", {"year": 2019, "pupil_id_number": "360102200712120013"})))
    assert (got.tier, got.reasons[0]["code"]) == ("coordinated", "R-three-year")


def test_the_pupils_own_earlier_use_of_the_property_does_not_count(ruleset_2021, catchments, family):
    got = classify(ruleset_2021, catchments, family(
        "li_tier1", ADD("/properties/0/enrolment_uses/-", {"year": 2020, "pupil_id_number": "360102200907150011"})))
    assert got.tier == 1


def test_lease_eleven_months_old_goes_to_coordinated_placement(ruleset_2021, catchments, family):
    got = classify(ruleset_2021, catchments, family("liu_tier5", R("/leases/0/registered_on", "2020-06-30")))
    assert (got.tier, got.reasons[0]["code"], got.reasons[0]["clause"]) == ("coordinated", "C-lease-under-one-year", "§6.2")


def test_non_direct_relative_co_ownership_goes_to_coordinated_placement(ruleset_2021, catchments, family):
    got = classify(ruleset_2021, catchments, family("li_tier1", R("/properties/0/co_owned_with_non_direct_relatives", True)))
    assert got.reasons[0]["code"] == "C-non-direct-co-owned"


def test_grandparents_flat_while_parents_own_a_flat_fits_no_tier(ruleset_2021, catchments, family):
    flat = {"id": "P2", "cert_type": "real_estate_certificate", "address": dict(ELSEWHERE), "usage": "residential",
            "owners": [{"relation": "father", "id_number": "360102198001010015"}],
            "co_owned_with_non_direct_relatives": False, "issued_on": "2016-01-01", "enrolment_uses": []}
    got = classify(ruleset_2021, catchments, family("zhang_tier2", ADD("/properties/-", flat)), explain=True)
    assert got.tier == "coordinated"
    t2 = next(b for b in got.trace["better"] if b["row"] == "T2")
    assert t2["failed"]["condition"] == "family_owns_no_urban_property"
    assert t2["failed"]["fact"] == "properties[1]"


def test_out_of_province_pupil_needs_the_stamped_e_record_photo(ruleset_2021, catchments, family):
    away = [R("/pupil/primary_school/province", "湖南省"), R("/pupil/primary_school/in_urban_area", False)]
    assert classify(ruleset_2021, catchments, family("li_tier1", *away)).reasons[0]["code"] == "E-e-record-photo"
    photo = R("/pupil/e_record_photo", {"stamped": True})
    assert classify(ruleset_2021, catchments, family("li_tier1", *away, photo)).tier == 1


def test_migrant_without_social_insurance_is_not_eligible(ruleset_2021, catchments, family):
    got = classify(ruleset_2021, catchments, family("wu_tier7", R("/social_insurance", [])))
    assert (got.eligible, got.tier, got.reasons[0]["clause"]) == (False, None, "§1")


def test_migrant_with_contract_pension_lease_and_permit_is_tier7(ruleset_2021, catchments, family):
    got = classify(ruleset_2021, catchments, family("wu_tier7"))
    assert (got.eligible, got.tier, got.row) == (True, 7, "T7")


def test_missing_parent_hukou_is_undetermined_never_a_lower_tier(ruleset_2021, catchments, family):
    got = classify(ruleset_2021, catchments, family("li_tier1", RM("/guardians/0/hukou")))
    assert (got.eligible, got.tier, got.row) == (True, "undetermined", None)


def test_missing_property_records_are_undetermined(ruleset_2021, catchments, family):
    assert classify(ruleset_2021, catchments, family("li_tier1", RM("/properties"))).tier == "undetermined"


def test_demolition_household_may_keep_the_original_address(ruleset_2021, catchments, family):
    assert classify(ruleset_2021, catchments, family("sun_demolition")).tier == 1
    expired = family("sun_demolition", R("/demolition/agreement_on", "2018-05-30"))
    assert classify(ruleset_2021, catchments, expired).reasons[0]["code"] == "E-demolition-valid"


def test_explanation_names_the_source_connector_of_the_failed_fact(ruleset_2021, catchments, family):
    got = classify(ruleset_2021, catchments, family("li_tier1", R("/guardians/0/hukou/address", ELSEWHERE)), explain=True)
    assert got.trace["better"][0]["failed"]["source"]["connector"] == "sandbox.hukou"


def test_fast_path_and_explained_path_agree_on_every_case(ruleset_2021, catchments, document_2021):
    from core.rules.loader import test_facts
    for case in document_2021["tests"]["cases"]:
        facts = test_facts(case, document_2021["tests"]["families"])
        a, b = ruleset_2021.classify(facts, catchments), ruleset_2021.classify(facts, catchments, explain=True)
        assert (a.eligible, a.tier, a.row, a.reasons) == (b.eligible, b.tier, b.row, b.reasons), case["name"]
