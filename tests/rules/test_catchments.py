"""Catchment import (JSON and CSV) and address lookup: streets, number ranges with parity, compounds."""
from __future__ import annotations

import pytest

from core.rules.catchments import CatchmentError, load_catchments

CATCHMENTS = [
    {"school_id": "a", "rules": [{"district": "东湖区", "street": "八一大道", "numbers": {"from": 1, "to": 99, "parity": "odd"}},
                                 {"district": "东湖区", "compound": "滨江花园"}]},
    {"school_id": "b", "rules": [{"district": "东湖区", "street": "八一大道", "numbers": {"from": 2, "to": 98, "parity": "even"}}]},
    {"school_id": "c", "rules": [{"district": "东湖区", "street": "阳明路"}]},
    {"school_id": "d", "rules": [{"district": "西湖区"}]},
]


def addr(**fields):
    return {"city": "南昌市", "district": "东湖区", "text": "x", **fields}


@pytest.fixture(scope="module")
def index():
    return load_catchments(CATCHMENTS)


def test_odd_and_even_sides_of_a_street_belong_to_different_schools(index):
    assert index.school_of(addr(street="八一大道", number=11)) == "a"
    assert index.school_of(addr(street="八一大道", number=12)) == "b"


def test_numbers_outside_the_range_are_outside_the_catchment(index):
    assert index.school_of(addr(street="八一大道", number=101)) is None


def test_a_compound_rule_wins_over_a_street_rule(index):
    assert index.lookup(addr(street="八一大道", number=12, compound="滨江花园")) == ["a", "b"]


def test_a_street_without_numbers_covers_the_whole_street(index):
    assert index.school_of(addr(street="阳明路", number=999)) == "c"


def test_a_district_rule_covers_the_whole_district(index):
    assert index.school_of({"city": "南昌市", "district": "西湖区", "text": "x"}) == "d"


def test_csv_and_json_forms_import_the_same_catchments(tmp_path):
    path = tmp_path / "catchments.csv"
    path.write_text("school_id,school_name,district,street,from,to,parity,compound\n"
                    "a,甲中学,东湖区,八一大道,1,99,odd,\n"
                    "a,甲中学,东湖区,,,,,滨江花园\n"
                    "d,,西湖区,,,,,\n", encoding="utf-8")
    index = load_catchments(path)
    assert index.catchments["a"]["rules"] == CATCHMENTS[0]["rules"]
    assert index.catchments["a"]["school_name"] == "甲中学"
    assert index.school_of({"district": "西湖区"}) == "d"


def test_csv_with_half_a_number_range_is_refused(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("school_id,school_name,district,street,from,to,parity,compound\na,,东湖区,八一大道,1,,odd,\n", encoding="utf-8")
    with pytest.raises(CatchmentError) as caught:
        load_catchments(path)
    assert caught.value.problems[0].pointer == "line 2"


def test_a_rule_with_both_street_and_compound_is_refused():
    with pytest.raises(CatchmentError) as caught:
        load_catchments([{"school_id": "x", "rules": [{"district": "东湖区", "street": "s", "compound": "c"}]}])
    assert caught.value.problems[0].pointer == "/0/rules/0"


def test_an_empty_number_range_is_refused():
    with pytest.raises(CatchmentError) as caught:
        load_catchments([{"school_id": "x", "rules": [{"district": "东湖区", "street": "s",
                                                       "numbers": {"from": 9, "to": 1, "parity": "all"}}]}])
    assert caught.value.problems[0].pointer == "/0/rules/0/numbers"


def test_a_school_listed_twice_is_refused():
    with pytest.raises(CatchmentError) as caught:
        load_catchments([CATCHMENTS[3], CATCHMENTS[3]])
    assert caught.value.problems[0].pointer == "/1/school_id"
