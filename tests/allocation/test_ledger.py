"""§6.1: one urban property serves one family's child once in three years."""

from __future__ import annotations

from core.allocation import PropertyUse, find_reuse, season_conflicts

from .cities import pupil

LEDGER = [PropertyUse("洪房-1", 2019, "2019-7", "F9"), PropertyUse("洪房-2", 2018, "2018-3", "F8")]


def test_use_by_another_family_within_three_years_blocks_the_claim():
    assert find_reuse("洪房-1", "F1", 2021, LEDGER) == LEDGER[0]


def test_use_three_admission_years_ago_no_longer_blocks():
    assert find_reuse("洪房-2", "F1", 2021, LEDGER) is None
    assert find_reuse("洪房-2", "F1", 2020, LEDGER) == LEDGER[1]


def test_the_same_family_may_use_its_property_again():
    assert find_reuse("洪房-1", "F9", 2021, LEDGER) is None


def test_window_follows_the_ruleset():
    assert find_reuse("洪房-2", "F1", 2021, LEDGER, window_years=4) == LEDGER[1]


def test_pupil_without_family_key_is_a_family_of_its_own():
    claims = [pupil("s1", "1", "A", property_key="K"), pupil("s2", "1", "A", property_key="K")]
    conflicts = season_conflicts(claims, 2021, [])
    assert list(conflicts) == ["s2"] and conflicts["s2"].used_by == "s1"


def test_earlier_submission_keeps_the_property_whatever_the_serial():
    claims = [
        pupil("s1", "1", "A", property_key="K", family_key="F1", submitted_at="2021-06-05T10:00"),
        pupil("s2", "1", "A", property_key="K", family_key="F2", submitted_at="2021-06-01T10:00"),
    ]
    assert list(season_conflicts(claims, 2021, [])) == ["s1"]
