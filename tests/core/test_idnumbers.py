"""GB 11643 resident ID numbers and GB 32100 unified social credit codes."""
from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from core.idnumbers import (CREDIT_CODE_ALPHABET, check_credit_code, check_pupil_id, check_resident_id,
                            credit_code_check_char, mask_id_number, resident_id_check_char)

regions = st.integers(110000, 659999).map(str)
birth_dates = st.dates(date(1930, 1, 1), date(2020, 12, 31))
sequences = st.integers(0, 999).map(lambda n: f"{n:03d}")


def _first17(region, born, sequence):
    return f"{region}{born:%Y%m%d}{sequence}"


@given(regions, birth_dates, sequences)
def test_only_the_computed_check_character_is_accepted(region, born, sequence):
    first17 = _first17(region, born, sequence)
    right = resident_id_check_char(first17)
    for candidate in "0123456789X":
        result = check_resident_id(first17 + candidate)
        assert result.ok is (candidate == right)
        if candidate != right:
            assert "check character" in result.message


def test_every_check_character_occurs():
    seen = {resident_id_check_char(f"3601022009050{n:04d}") for n in range(200)}
    assert seen == set("0123456789X")


def test_published_examples_validate():
    assert check_resident_id("11010519491231002X").ok
    assert check_resident_id("11010519491231002x").ok  # lower-case x is normalised
    assert check_credit_code("91350100M000100Y43").ok


@given(regions, sequences, st.integers(0, 400))
def test_a_birth_date_that_does_not_exist_is_refused(region, sequence, day):
    first17 = f"{region}2021{(day % 12) + 1:02d}{32 + day % 60:02d}{sequence}"
    result = check_resident_id(first17 + resident_id_check_char(first17))
    assert not result.ok and "birth date" in result.message


@given(st.text(max_size=25))
def test_malformed_numbers_are_refused_with_a_message(text):
    result = check_resident_id(text)
    if not result.ok:
        assert result.problems and result.message


@given(birth_dates)
def test_pupil_age_must_fit_grade_six_in_the_season(born):
    first17 = _first17("360102", born, "123")
    result = check_pupil_id(first17 + resident_id_check_char(first17), 2021)
    age = 2021 - born.year - ((8, 31) < (born.month, born.day))
    assert result.ok is (10 <= age <= 15)


def test_pupil_born_2009_is_plausible_and_an_adult_is_not():
    assert check_pupil_id(_id(date(2009, 5, 1)), 2021).ok
    adult = check_pupil_id(_id(date(1985, 5, 1)), 2021)
    assert not adult.ok and "grade-6" in adult.message


def _id(born):
    first17 = _first17("360102", born, "123")
    return first17 + resident_id_check_char(first17)


credit_bodies = st.tuples(
    st.text(CREDIT_CODE_ALPHABET, min_size=2, max_size=2),
    st.integers(0, 999999).map(lambda n: f"{n:06d}"),
    st.text(CREDIT_CODE_ALPHABET, min_size=9, max_size=9),
).map("".join)


@given(credit_bodies)
def test_only_the_computed_credit_code_check_character_is_accepted(body):
    right = credit_code_check_char(body)
    for candidate in CREDIT_CODE_ALPHABET:
        assert check_credit_code(body + candidate).ok is (candidate == right)


def test_every_credit_code_check_character_occurs():
    seen = {credit_code_check_char(f"913601{n:06d}00000") for n in range(2000)}
    assert seen == set(CREDIT_CODE_ALPHABET)


def test_credit_code_with_forbidden_letters_is_refused():
    assert "no I, O, S, V, Z" in check_credit_code("91350100M000100I43").message


def test_masking_keeps_only_the_ends():
    assert mask_id_number("11010519491231002X") == "110*************2X"
    assert mask_id_number(None) == ""


def test_reviewers_pages_keep_the_last_four_characters_only():
    assert mask_id_number("11010519491231002X", first=0, last=4) == "**************002X"
    assert mask_id_number("002X", first=0, last=4) == "****"
