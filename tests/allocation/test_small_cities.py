"""Hand-computed small cities: the §4.1 and §6 order of work, school by school."""

from __future__ import annotations

import pytest

from core.allocation import AllocationError, PropertyUse

from .cities import by_lottery, pupil, run, school, seats


def test_everyone_admitted_when_every_catchment_fits():
    schools = [school("A", 3), school("B", 2, x=1000)]
    pupils = [pupil("a1", "1", "A"), pupil("a2", "3", "A"), pupil("b1", "5", "B", x=1000)]
    result = run(schools, pupils)
    assert seats(result) == {"a1": ("A", "tier"), "a2": ("A", "tier"), "b1": ("B", "tier")}
    table = {row.school: row for row in result.results}
    assert table["A"].overflow_tier is None and table["A"].lottery_size == 0
    assert table["A"].applicants == {"1": ("a1",), "3": ("a2",)}
    assert (table["A"].admitted, table["A"].free) == (2, 1)


def test_overflowing_tier_is_drawn_and_later_tiers_placed_elsewhere():
    schools = [school("A", 4), school("B", 10, x=3000)]
    pupils = [
        pupil("t1-a", "1", "A"),
        pupil("t1-b", "1", "A"),
        *(pupil(f"t2-{n}", "2", "A") for n in "abc"),
        pupil("t3-a", "3", "A"),
    ]
    result = run(schools, pupils)
    winners = by_lottery("t2-a", "t2-b", "t2-c")
    got = seats(result)
    assert got["t1-a"] == got["t1-b"] == ("A", "tier")
    assert got[winners[0]] == got[winners[1]] == ("A", "lottery")
    assert got[winners[2]] == ("B", "placed")
    assert got["t3-a"] == ("B", "placed")
    row = result.results[0]
    assert (row.overflow_tier, row.lottery_size, row.lottery_seats, row.cutoff_rank) == ("2", 3, 2, 2)
    assert row.placed_elsewhere == 2
    assert result.seat_of(winners[2]).lottery_rank == 3
    assert result.seat_of(winners[2]).note == "lottery_out"
    assert result.seat_of("t3-a").note == "full"


def test_placement_chains_to_the_next_nearest_free_seat_in_tier_order():
    # A, B and C hold one seat each on a line; D, far out, holds three.
    schools = [school("A", 1), school("B", 1, x=1000), school("C", 1, x=2000), school("D", 3, x=6000)]
    pupils = [
        pupil("a1", "1", "A"),
        pupil("a2", "1", "A"),
        pupil("b1", "1", "B", x=1000),
        pupil("b2", "3", "B", x=1200),
    ]
    result = run(schools, pupils)
    winner, loser = by_lottery("a1", "a2")
    got = seats(result)
    assert got[winner] == ("A", "lottery")
    assert got["b1"] == ("B", "tier")
    # The tier-1 loser of A is placed first and takes C (2 km); tier-3 b2 then finds C full and goes to D.
    assert got[loser] == ("C", "placed")
    assert got["b2"] == ("D", "placed")
    assert result.seat_of("b2").distance_m == 4800.0
    assert {row.school: row.placed_in for row in result.results} == {"A": 0, "B": 0, "C": 1, "D": 1}


def test_equally_near_schools_break_the_tie_by_school_id():
    schools = [school("A", 0), school("Z", 1, x=-500), school("M", 1, x=500)]
    result = run(schools, [pupil("p", "1", "A")])
    assert seats(result) == {"p": ("M", "placed")}


def test_confirmed_direct_promotion_takes_a_feeder_seat_and_leaves_the_catchment_pool():
    schools = [school("A", 2), school("B", 5, x=2000)]
    pupils = [
        pupil("p1", "1", "B", x=2000, direct_school="A", direct_confirmed=True),
        pupil("p3", "1", "A"),
        pupil("b1", "1", "B", x=2000),
    ]
    result = run(schools, pupils)
    assert seats(result) == {"p1": ("A", "direct"), "p3": ("A", "tier"), "b1": ("B", "tier")}
    table = {row.school: row for row in result.results}
    assert table["A"].direct == ("p1",)
    assert table["B"].applicants == {"1": ("b1",)}


def test_unconfirmed_direct_promotion_falls_back_to_the_catchment_pool():
    schools = [school("A", 2), school("B", 5, x=2000)]
    pupils = [
        pupil("p1", "1", "B", x=2000, direct_school="A", direct_confirmed=True),
        pupil("p2", "3", "A", direct_school="A", direct_confirmed=False),
        pupil("p3", "1", "A"),
        pupil("p4", "1", "B", x=2000, direct_school="A", direct_confirmed=False),
    ]
    result = run(schools, pupils)
    got = seats(result)
    # A keeps one seat after p1; its tier 1 fits, p2 (tier 3, no confirmation) is placed like anyone else.
    assert got == {"p1": ("A", "direct"), "p2": ("B", "placed"), "p3": ("A", "tier"), "p4": ("B", "tier")}
    table = {row.school: row for row in result.results}
    assert table["A"].applicants == {"1": ("p3",), "3": ("p2",)}
    assert result.seat_of("p4").note == "direct_unconfirmed"
    assert "未确认对口直升" in result.explain("p4")["zh"]


def test_special_policy_pupils_take_seats_before_the_catchment():
    schools = [school("A", 2), school("B", 5, x=2000)]
    pupils = [pupil("s1", "5", "B", x=2000, special_school="A"), pupil("a1", "1", "A"), pupil("a2", "1", "A")]
    result = run(schools, pupils)
    winner, loser = by_lottery("a1", "a2")
    assert seats(result) == {"s1": ("A", "special"), winner: ("A", "lottery"), loser: ("B", "placed")}


def test_two_families_claiming_one_property_the_later_claim_is_coordinated():
    schools = [school("A", 5), school("B", 5, x=3000)]
    pupils = [
        pupil("p1", "1", "A", property_key="洪房-001", family_key="F1", submitted_at="2021-06-01T10:00"),
        pupil("p2", "1", "A", property_key="洪房-001", family_key="F2", submitted_at="2021-06-02T09:00"),
        pupil("p0", "1", "A", property_key="洪房-001", family_key="F1", submitted_at="2021-06-03T09:00"),
    ]
    result = run(schools, pupils)
    got = seats(result)
    assert got["p1"] == ("A", "tier")
    assert got["p0"] == ("A", "tier")  # the same family's other child keeps the basis
    assert got["p2"] == ("A", "coordinated")  # nearest free seat from the residence, after every tier
    seat = result.seat_of("p2")
    assert (seat.tier, seat.note) == ("coordinated", "property_reuse")
    assert "§6.1" in result.explain("p2")["zh"] and "§6.1" in result.explain("p2")["en"]
    assert [(use.property_key, use.serial) for use in result.new_uses] == [("洪房-001", "p0"), ("洪房-001", "p1")]


def test_property_used_by_another_family_two_years_ago_is_no_basis():
    schools = [school("A", 1), school("B", 5, x=3000)]
    ledger = [PropertyUse("洪房-009", 2019, "2019-0042", "F9")]
    pupils = [pupil("p1", "1", "A", property_key="洪房-009", family_key="F1"), pupil("p2", "3", "A")]
    result = run(schools, pupils, ledger=ledger)
    assert seats(result) == {"p1": ("B", "coordinated"), "p2": ("A", "tier")}
    assert result.conflicts["p1"].used_year == 2019
    assert "2019" in result.explain("p1")["zh"]


def test_property_used_three_admission_years_ago_serves_again():
    ledger = [PropertyUse("洪房-009", 2018, "2018-0042", "F9")]
    result = run([school("A", 1)], [pupil("p1", "1", "A", property_key="洪房-009", family_key="F1")], ledger=ledger)
    assert seats(result) == {"p1": ("A", "tier")}


def test_coordinated_and_undetermined_pupils_are_placed_after_every_tier():
    schools = [school("A", 1), school("B", 1, x=5000)]
    pupils = [
        pupil("c1", "coordinated", "A"),
        pupil("u1", "undetermined", None, x=100),
        pupil("a1", "1", "A"),
        pupil("a2", "7", "A"),
    ]
    result = run(schools, pupils)
    got = seats(result)
    assert got["a1"] == ("A", "tier")
    assert got["a2"] == ("B", "placed")  # the tier-7 pupil is placed before them
    assert got["c1"][1] == got["u1"][1] == "unplaced"


def test_pupils_beyond_the_city_capacity_are_unplaced_with_a_reason():
    result = run([school("A", 1)], [pupil("a1", "1", "A"), pupil("a2", "1", "A")])
    loser = by_lottery("a1", "a2")[1]
    assert seats(result)[loser] == (None, "unplaced")
    assert "教育部门" in result.explain(loser)["zh"]


def test_inputs_naming_an_unknown_school_are_refused():
    with pytest.raises(AllocationError, match="M-X"):
        run([school("A", 1)], [pupil("p", "1", "M-X")])


def test_locked_lists_larger_than_the_school_are_refused_not_cut():
    pupils = [pupil(f"d{n}", "1", "A", direct_school="A", direct_confirmed=True) for n in range(2)]
    with pytest.raises(AllocationError, match="exceed the capacity"):
        run([school("A", 1)], pupils)


def test_the_same_serial_twice_is_refused():
    with pytest.raises(AllocationError, match="twice"):
        run([school("A", 2)], [pupil("p", "1", "A"), pupil("p", "3", "A")])
