"""§2.2 and §4.3: the calendar decides who may register and submit, whatever the scheduler does."""
from __future__ import annotations

import pytest

from core.db import read_session
from core.season.calendar import CollectionClosed, WindowNotOpen, check_can_register, check_can_submit, window_status
from tests.season.conftest import at


def test_submission_at_16_june_16_59_59_is_accepted(engine, season):
    with read_session(engine) as session:
        assert check_can_submit(session, season, now=at("2021-06-16T16:59:59")).id == "collection"


def test_submission_at_16_june_17_00_00_is_refused_with_the_closing_time(engine, season):
    with read_session(engine) as session, pytest.raises(CollectionClosed) as refused:
        check_can_submit(session, season, now=at("2021-06-16T17:00:00"))
    assert "6月16日 17:00" in refused.value.zh and "16 June 17:00" in refused.value.en
    assert refused.value.to_dict()["code"] == "collection_closed"


def test_honggutan_guardian_cannot_register_before_2_june_afternoon(engine, season):
    with read_session(engine) as session:
        with pytest.raises(WindowNotOpen) as refused:
            check_can_register(session, season, district="红谷滩区", now=at("2021-06-02T13:59:59"))
        assert "红谷滩区" in refused.value.zh and "2 June 14:00" in refused.value.en
        assert check_can_register(session, season, district="红谷滩区", now=at("2021-06-02T14:00:00")).id == "W4"


def test_donghu_opens_with_collection_on_1_june_at_10(engine, season):
    with read_session(engine) as session:
        with pytest.raises(CollectionClosed):
            check_can_register(session, season, district="东湖区", now=at("2021-06-01T09:59:59"))
        assert check_can_register(session, season, district="东湖区", now=at("2021-06-01T10:00:00")).id == "W1"


def test_nanshi_group_school_follows_the_group_window_not_its_district(engine, season):
    with read_session(engine) as session:
        with pytest.raises(WindowNotOpen) as refused:
            check_can_register(session, season, district="东湖区", school_group="南师附小集团成员校", now=at("2021-06-01T10:00:00"))
    assert "南师附小集团" in refused.value.zh


def test_no_district_may_register_after_collection_closes(engine, season):
    with read_session(engine) as session, pytest.raises(CollectionClosed):
        check_can_register(session, season, district="东湖区", now=at("2021-06-16T17:00:00"))


def test_guardian_sees_when_the_district_opens_and_how_long_is_left(engine, season):
    with read_session(engine) as session:
        before = window_status(session, season, district="青山湖区", now=at("2021-06-01T08:00:00"))
        during = window_status(session, season, district="青山湖区", now=at("2021-06-16T16:00:00"))
        after = window_status(session, season, district="青山湖区", now=at("2021-06-16T17:00:00"))
    assert before["state"] == "not_yet" and before["seconds_until_open"] == 24 * 3600
    assert "6月2日 08:00" in before["message"]["zh"]
    assert during["state"] == "open" and during["seconds_left"] == 3600
    assert after["state"] == "closed" and after["seconds_left"] == 0
