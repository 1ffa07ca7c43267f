"""The example vendor's residence permits when its register is slow or down, as a vendor tests
its own policy: on the test kit's FakeClock, so the timeout, the retry's backoff and the breaker's
pause are checked without waiting for any of them."""
from __future__ import annotations

from core.connectors import BreakerState, Status


class SlowRegister:
    """The vendor's register taking `seconds` of the test's clock per request (one per question)."""

    def __init__(self, clock, seconds: float, register) -> None:
        self.clock, self.seconds, self.register = clock, seconds, register

    def permits(self, id_numbers):
        self.clock.sleep(self.seconds)
        return self.register.permits(id_numbers)


class DownRegister:
    """The register refusing connections."""

    def permits(self, id_numbers):
        raise ConnectionError("permit register unreachable")


def test_a_register_slower_than_the_policys_timeout_fails_after_one_retry(example_vendor, xuewei_runtime,
                                                                           xuewei_clock, family, monkeypatch):
    monkeypatch.setattr(example_vendor, "REGISTER", SlowRegister(xuewei_clock, 3.0, example_vendor.PermitRegister()))
    runtime = xuewei_runtime(example_vendor, clock=xuewei_clock)
    outcome, fetched = runtime.call_source_named("residence_permits", id_numbers=family)
    assert fetched is None and outcome.status is Status.failed
    assert (outcome.attempts, outcome.error, outcome.connector) == (2, "timed out after 2s", "example_vendor")
    assert xuewei_clock.monotonic() == outcome.latency_ms / 1000 == 3.0 + 0.5 + 3.0  # two requests, one backoff


def test_a_register_within_the_timeout_answers(example_vendor, xuewei_runtime, xuewei_clock, family, monkeypatch):
    monkeypatch.setattr(example_vendor, "REGISTER", SlowRegister(xuewei_clock, 1.9, example_vendor.PermitRegister()))
    outcome, fetched = xuewei_runtime(example_vendor, clock=xuewei_clock).call_source_named(
        "residence_permits", id_numbers=family)
    assert outcome.status is Status.ok and outcome.attempts == 1
    assert fetched.payload["residence_permits"][0]["holder"] == "mother"


def test_a_register_that_is_down_opens_the_breaker_until_its_pause_has_passed(example_vendor, xuewei_runtime,
                                                                               xuewei_clock, family, monkeypatch):
    monkeypatch.setattr(example_vendor, "REGISTER", DownRegister())
    runtime = xuewei_runtime(example_vendor, clock=xuewei_clock)
    for _ in range(3):  # the policy's failure_threshold
        outcome, _ = runtime.call_source_named("residence_permits", id_numbers=family)
        assert (outcome.status, outcome.attempts) == (Status.failed, 2)
    assert runtime.breaker("residence_permits").state is BreakerState.open
    assert xuewei_clock.monotonic() == 1.5  # three backoffs of 0.5 s: the breaker opened then
    monkeypatch.setattr(example_vendor, "REGISTER", example_vendor.PermitRegister())  # the register is back
    xuewei_clock.advance(58)
    refused, _ = runtime.call_source_named("residence_permits", id_numbers=family)
    assert refused.attempts == 0 and refused.error.startswith("circuit open")
    xuewei_clock.advance(2)  # reset_after (60 s) has passed: one trial call goes through
    outcome, fetched = runtime.call_source_named("residence_permits", id_numbers=family)
    assert outcome.status is Status.ok and fetched.payload["residence_permits"]
    assert runtime.breaker("residence_permits").state is BreakerState.closed
