"""Fact paths of the decision trace in words, by the fact sheet's vocabulary, else as they are."""
from __future__ import annotations

import pytest

from web.review.fact_sheet import fact_name
from web.review.trace_words import fact_words


@pytest.fixture(autouse=True)
def page_request(app):
    with app.test_request_context("/"):
        yield


def test_a_fact_path_reads_by_the_fact_sheets_names():
    assert fact_name("pupil.hukou.head_relation") == "学生 · 户主（与学生关系）"
    assert fact_name("guardians[1].hukou.address") == "监护人（第2项） · 户口地址"
    assert fact_name("properties[0]") == "房产（第1项）"
    assert fact_name("basis.kind") == "居住依据类型"


def test_a_path_without_a_word_stays_raw():
    assert fact_name("pupil.shoe_size") is None
    assert fact_words({"fact": "pupil.shoe_size"}) == "pupil.shoe_size"


def test_a_derived_value_reads_by_the_label_the_trace_carries_from_the_ruleset():
    failed = {"fact": "basis_usage", "fact_label": {"zh": "房屋权证性质", "en": "usage of the basis property"}}
    assert fact_words(failed) == "房屋权证性质"


def test_words_follow_the_page_language(app):
    with app.test_request_context("/?lang=en"):
        assert fact_words({"fact": "pupil.hukou.head_relation"}) == "Pupil · Household head"
