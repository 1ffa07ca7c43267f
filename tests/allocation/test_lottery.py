"""The verifiable lottery: commitment, reveal, keyed numbers independent of order and machine."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from core.allocation import LotteryError, allocate, commitment_of, lottery_number, new_seed, reveal
from core.allocation.lottery import Lottery

from .cities import SEED, pupil, run, school, seats


def test_commitment_is_the_sha256_of_the_seed_bytes():
    assert commitment_of(SEED) == hashlib.sha256(bytes.fromhex(SEED)).hexdigest()


def test_reveal_refuses_a_seed_that_does_not_match_the_commitment():
    with pytest.raises(LotteryError):
        reveal("b2" * 32, commitment_of(SEED))


def test_allocation_refuses_a_seed_swapped_after_the_commitment():
    with pytest.raises(LotteryError):
        allocate([school("A", 1)], [pupil("a", "1", "A")], season=2021, seed="b2" * 32, commitment=commitment_of(SEED))


def test_reveal_refuses_a_short_or_malformed_seed():
    with pytest.raises(LotteryError):
        commitment_of("abcd")
    with pytest.raises(LotteryError):
        commitment_of("zz" * 32)


def test_lottery_number_is_hmac_sha256_of_seed_and_serial():
    seed = bytes.fromhex(SEED)
    expected = hmac.new(seed, "202136010200017".encode(), hashlib.sha256).hexdigest()
    assert lottery_number(seed, "202136010200017") == expected
    assert Lottery(seed).number("202136010200017") == expected


def test_fast_numbers_match_the_reference_for_long_seeds():
    seed = bytes(range(100))  # longer than a SHA-256 block: HMAC hashes the key first
    assert Lottery(seed).number("序号-1") == lottery_number(seed, "序号-1")


def test_new_seeds_differ_and_commit():
    first, second = new_seed(), new_seed()
    assert first != second
    assert reveal(first, commitment_of(first)) == bytes.fromhex(first)


def test_draw_does_not_depend_on_input_order():
    schools = [school("A", 3), school("B", 10, x=2000)]
    pupils = [pupil(f"p{n}", "1", "A") for n in range(8)]
    assert seats(run(schools, pupils)) == seats(run(list(reversed(schools)), list(reversed(pupils))))
