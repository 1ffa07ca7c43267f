"""The connector runtime: retries with backoff, timeouts, breakers, policies, counters."""
from __future__ import annotations

import sys
import threading
from dataclasses import replace

import pytest

from core.connectors import BreakerState, CircuitBreaker, Policy, Status
from core.connectors.sources import source_named
from core.connectors.timing import SystemClock
from core.connectors.validation import facts_validator
from core.hookspecs import InvalidResponse, hookimpl
from core.testing import FakeClock, assert_valid_fragment
from plugin_test_data import ADDRESS, FATHER, MOTHER, PUPIL

LEASE = {"id": "L1", "address": ADDRESS, "registered": True, "registered_on": "2019-08-01",
         "start": "2019-08-01", "end": "2022-07-31"}


class FlakyLeases:
    """Fails `failures` times, then answers."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    @hookimpl
    def fetch_leases(self, id_numbers):
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError("housing authority unreachable")
        return {"leases": [LEASE]}


def test_retries_with_doubling_backoff_until_an_answer(xuewei_runtime, family):
    plugin = FlakyLeases(failures=2)
    waits: list[float] = []
    runtime = xuewei_runtime(plugin, policy=Policy(retries=3, backoff=0.5), clock=SystemClock(sleep=waits.append))
    outcome, fetched = runtime.call_source_named("leases", id_numbers=family)
    assert outcome.status is Status.ok and outcome.attempts == 3
    assert waits == [0.5, 1.0]
    assert fetched.payload == {"leases": [LEASE]}


def test_backoff_is_capped():
    assert Policy(backoff=1.0, backoff_max=3.0).delay(5) == 3.0


def test_bounded_retries_end_in_failed_outcome_naming_the_plugin(xuewei_runtime, family):
    plugin = FlakyLeases(failures=10)
    runtime = xuewei_runtime(plugin, policy=Policy(retries=2))
    outcome, fetched = runtime.call_source_named("leases", id_numbers=family)
    assert fetched is None and plugin.calls == 3
    assert outcome.status is Status.failed and outcome.connector == "FlakyLeases"
    assert "ConnectionError: housing authority unreachable" in outcome.error


class ExitingLeases:
    """A vendor whose client calls sys.exit() when the housing authority is down."""

    calls = 0

    @hookimpl
    def fetch_leases(self, id_numbers):
        ExitingLeases.calls += 1
        sys.exit("housing client gave up")


def test_a_plugin_calling_sys_exit_fails_its_source_like_any_other_failure(xuewei_runtime, family):
    runtime = xuewei_runtime(ExitingLeases(), policy=Policy(retries=1, failure_threshold=2))
    result = runtime.fetch_facts(PUPIL, family, sources=["leases"])
    assert result.failed == ("leases",) and ExitingLeases.calls == 2  # retried like a transport error
    (outcome,) = result.outcomes
    assert outcome.status is Status.failed and outcome.connector == "ExitingLeases"
    assert outcome.error == "ExitingLeases: SystemExit: housing client gave up"
    runtime.fetch_facts(PUPIL, family, sources=["leases"])
    assert runtime.breaker("leases").state is BreakerState.open
    assert {h.source: h.failed for h in runtime.health()}["leases"] == 2


@pytest.mark.parametrize("stop", [KeyboardInterrupt, GeneratorExit])
def test_an_interrupt_or_generator_exit_from_a_plugin_is_not_taken_as_a_failed_source(xuewei_runtime, family,
                                                                                     stop):
    class Interrupted:
        @hookimpl
        def fetch_leases(self, id_numbers):
            raise stop()

    runtime = xuewei_runtime(Interrupted())
    with pytest.raises(stop):
        runtime.call_source_named("leases", id_numbers=family)
    assert {h.source: h.calls for h in runtime.health()}["leases"] == 0


def test_a_connector_policy_calling_sys_exit_keeps_the_defaults(xuewei_runtime, caplog):
    class Exiting:
        @hookimpl
        def connector_policy(self, source):
            sys.exit(3)

    runtime = xuewei_runtime(Exiting())
    assert runtime.policy("hukou") == runtime.default
    assert "connector_policy failed for hukou" in caplog.text


def test_invalid_response_is_not_retried(xuewei_runtime, family):
    class Garbled:
        calls = 0

        @hookimpl
        def fetch_leases(self, id_numbers):
            Garbled.calls += 1
            raise InvalidResponse("answer was an HTML page")

    runtime = xuewei_runtime(Garbled(), policy=Policy(retries=3))
    outcome, _ = runtime.call_source_named("leases", id_numbers=family)
    assert outcome.status is Status.invalid and Garbled.calls == 1


def test_a_slow_plugin_times_out(xuewei_runtime, family):
    release = threading.Event()

    class Stuck:
        @hookimpl
        def fetch_business(self, id_numbers):
            release.wait(5)
            return {"business": []}

    runtime = xuewei_runtime(Stuck(), policy=Policy(timeout=0.05, retries=0))
    outcome, fetched = runtime.call_source_named("business", id_numbers=family)
    release.set()
    assert fetched is None and outcome.status is Status.failed
    assert outcome.error == "timed out after 0.05s" and outcome.connector == "Stuck"


def test_a_slow_plugin_times_out_on_the_test_kits_clock_without_waiting(xuewei_runtime, xuewei_clock, family):
    class Slow:
        @hookimpl
        def fetch_business(self, id_numbers):
            xuewei_clock.sleep(12)  # the service took 12 s
            return {"business": []}

    runtime = xuewei_runtime(Slow(), policy=Policy(timeout=10, retries=2, backoff=1), clock=xuewei_clock)
    outcome, fetched = runtime.call_source_named("business", id_numbers=family)
    assert fetched is None and (outcome.status, outcome.attempts) == (Status.failed, 3)
    assert outcome.error == "timed out after 10s" and outcome.connector == "Slow"
    assert xuewei_clock.monotonic() == 12 + 1 + 12 + 2 + 12


class LateReader(FakeClock):
    """A FakeClock whose runtime gets to its inbox only once an answer is there (a busy thread)."""

    def inbox(self):
        inbox = super().inbox()

        class Late:
            put = inbox.put

            def get(self, until):
                return inbox.get(float("inf"))

        return Late()


def test_an_answer_after_the_deadline_is_a_timeout_however_soon_it_is_read(xuewei_runtime, family):
    clock = LateReader()

    class Slow:
        @hookimpl
        def fetch_business(self, id_numbers):
            clock.sleep(6)
            return {"business": []}

    outcome, fetched = xuewei_runtime(Slow(), policy=Policy(timeout=5, retries=0), clock=clock).call_source_named(
        "business", id_numbers=family)
    assert fetched is None and outcome.error == "timed out after 5s"


def test_the_test_kits_clock_fails_a_test_whose_plugin_blocks_in_real_time(xuewei_runtime, family):
    release = threading.Event()

    class Stuck:
        @hookimpl
        def fetch_business(self, id_numbers):
            release.wait(5)

    runtime = xuewei_runtime(Stuck(), clock=FakeClock(stall_after=0.05))
    try:
        with pytest.raises(AssertionError, match="FakeClock did not move"):
            runtime.call_source_named("business", id_numbers=family)
    finally:
        release.set()


def test_fragment_with_a_foreign_key_is_invalid(xuewei_runtime, family):
    class Overreaching:
        @hookimpl
        def fetch_leases(self, id_numbers):
            return {"leases": [], "properties": []}

    outcome, fetched = xuewei_runtime(Overreaching()).call_source_named("leases", id_numbers=family)
    assert outcome.status is Status.invalid and fetched is None
    assert "not served by this source" in outcome.error


def test_breaker_opens_after_threshold_and_refuses_calls(xuewei_runtime, family):
    plugin = FlakyLeases(failures=100)
    clock = FakeClock()
    runtime = xuewei_runtime(plugin, policy=Policy(retries=0, failure_threshold=3, reset_after=30),
                             clock=clock)
    for _ in range(3):
        runtime.call_source_named("leases", id_numbers=family)
    assert runtime.breaker("leases").state is BreakerState.open
    outcome, _ = runtime.call_source_named("leases", id_numbers=family)
    assert plugin.calls == 3 and outcome.attempts == 0
    assert outcome.status is Status.failed and outcome.error.startswith("circuit open")


def test_half_open_breaker_closes_after_a_good_trial():
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, reset_after=10, clock=clock.monotonic)
    breaker.record_failure()
    assert not breaker.allow()
    clock.advance(10)
    assert breaker.state is BreakerState.half_open
    assert breaker.allow() and not breaker.allow()  # one trial at a time
    breaker.record_success()
    assert breaker.state is BreakerState.closed and breaker.allow()


def test_half_open_breaker_reopens_after_a_failed_trial():
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=5, reset_after=10, clock=clock.monotonic)
    for _ in range(5):
        breaker.record_failure()
    clock.advance(10)
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state is BreakerState.open
    clock.advance(9.9)
    assert not breaker.allow()


def test_operator_counters_give_failure_rate_p95_and_breaker(xuewei_runtime, family):
    plugin = FlakyLeases(failures=1)
    runtime = xuewei_runtime(plugin, policy=Policy(retries=0))
    for _ in range(4):
        runtime.call_source_named("leases", id_numbers=family)
    health = {h.source: h for h in runtime.health()}["leases"]
    assert (health.calls, health.ok, health.failed, health.invalid) == (4, 3, 1, 0)
    assert health.failure_rate == 0.25
    assert health.p95_latency_ms is not None and health.breaker == "closed"


def test_connector_policy_hook_sets_the_sources_policy(xuewei_runtime):
    class Tuned:
        @hookimpl
        def connector_policy(self, source):
            return {"timeout": 1.5, "retries": 4} if source == "hukou" else None

    runtime = xuewei_runtime(Tuned())
    assert (runtime.policy("hukou").timeout, runtime.policy("hukou").retries) == (1.5, 4)
    assert runtime.policy("leases") == runtime.default


def test_connector_policy_with_unknown_setting_keeps_defaults(xuewei_runtime):
    class Misspelt:
        @hookimpl
        def connector_policy(self, source):
            return {"timout": 1.0}

    runtime = xuewei_runtime(Misspelt())
    assert runtime.policy("hukou") == runtime.default


BAD_POLICIES = [
    {"timeout": "3"}, {"timeout": None}, {"timeout": 0}, {"timeout": float("nan")}, {"timeout": True},
    {"retries": -1}, {"retries": 1.5}, {"retries": True}, {"backoff": -0.1}, {"backoff_max": -1},
    {"failure_threshold": 0}, {"failure_threshold": 2.0}, {"reset_after": 0}, {"timout": 1.0},
    [("timeout", 3)], 3, "timeout=3",
]


@pytest.mark.parametrize("answer", BAD_POLICIES, ids=repr)
def test_a_bad_connector_policy_value_is_logged_and_the_defaults_kept(xuewei_runtime, family, caplog, answer):
    class Tuned:
        @hookimpl
        def connector_policy(self, source):
            return answer if source == "hukou" else None

        @hookimpl
        def fetch_hukou(self, id_numbers):
            return {"pupil": {"id_number": id_numbers["pupil"], "hukou": {"address": ADDRESS, "collective": False}},
                    "guardians": []}

    runtime = xuewei_runtime(Tuned())
    result = runtime.fetch_facts(PUPIL, family, sources=["hukou"])  # never raises for a source
    assert result.complete and "hukou" in result.fragments
    assert runtime.policy("hukou") == runtime.default
    refused = [r.getMessage() for r in caplog.records if "connector_policy" in r.getMessage()]
    assert len(refused) == 1 and "Tuned" in refused[0] and "hukou" in refused[0]


def test_a_whole_number_is_a_valid_number_of_seconds(xuewei_runtime):
    class Tuned:
        @hookimpl
        def connector_policy(self, source):
            return {"timeout": 3, "backoff": 0, "backoff_max": 1, "reset_after": 60, "failure_threshold": 1}

    policy = xuewei_runtime(Tuned()).policy("hukou")
    assert (policy.timeout, policy.backoff, policy.failure_threshold, policy.reset_after) == (3, 0, 1, 60)


def test_a_policy_out_of_range_is_refused_when_made_naming_every_bad_setting():
    with pytest.raises(ValueError, match=r"timeout must be > 0, not 0.*retries must be a whole number, not float"):
        Policy(timeout=0, retries=1.5)


def test_pupil_record_guardians_are_asked_about_by_the_other_sources(xuewei_runtime):
    asked: list[dict] = []

    class Registry:
        @hookimpl
        def fetch_pupil_record(self, pupil_id_number):
            return {"pupil": {"id_number": pupil_id_number, "name": "张小明",
                              "primary_school": {"name": "育新学校", "district": "东湖区",
                                                 "in_urban_area": True, "province": "江西省"}},
                    "guardians": [{"relation": "father", "id_number": FATHER, "name": "张伟"},
                                  {"relation": "mother", "id_number": MOTHER, "name": "李娜"}]}

        @hookimpl
        def fetch_hukou(self, id_numbers):
            asked.append(id_numbers)
            hukou = {"address": ADDRESS, "head_relation": "father", "collective": False}
            return {"pupil": {"id_number": id_numbers["pupil"], "hukou": hukou},
                    "guardians": [{"relation": "father", "id_number": id_numbers["father"], "hukou": hukou}]}

    result = xuewei_runtime(Registry()).fetch_facts(PUPIL, sources=["hukou", "pupil_record"])
    assert [o.source for o in result.outcomes] == ["pupil_record", "hukou"]
    assert asked == [{"pupil": PUPIL, "father": FATHER, "mother": MOTHER}]
    facts = result.facts
    assert facts["pupil"]["name"] == "张小明" and facts["pupil"]["hukou"]["collective"] is False
    assert [g["relation"] for g in facts["guardians"]] == ["father", "mother"]
    assert facts["guardians"][0]["name"] == "张伟" and "hukou" in facts["guardians"][0]
    assert facts["sources"]["pupil"]["connector"] == "Registry:pupil_record"
    assert list(facts_validator().iter_errors(facts)) == []


def test_later_registered_plugin_answers_first_and_none_falls_through(xuewei_runtime, family):
    class Default:
        @hookimpl(trylast=True)
        def fetch_employment(self, id_numbers):
            return {"employment": []}

    class Vendor:
        @hookimpl
        def fetch_employment(self, id_numbers):
            return None

    outcome, fetched = xuewei_runtime(Default(), Vendor()).call_source_named("employment", id_numbers=family)
    assert outcome.connector == "Default" and fetched.payload == {"employment": []}


def test_unknown_source_name_is_refused(xuewei_runtime):
    with pytest.raises(KeyError, match="unknown data source"):
        xuewei_runtime().fetch_facts(PUPIL, sources=["hukuo"])


def test_sources_after_the_pupil_record_are_asked_at_the_same_time(xuewei_runtime, family):
    both_waiting = threading.Barrier(2, timeout=5)  # sequential calls would break the barrier

    class Housing:
        @hookimpl
        def fetch_leases(self, id_numbers):
            both_waiting.wait()
            return {"leases": []}

        @hookimpl
        def fetch_properties(self, id_numbers):
            both_waiting.wait()
            return {"properties": []}

    result = xuewei_runtime(Housing()).fetch_facts(PUPIL, family, sources=["leases", "properties"])
    assert result.complete, result.outcomes
    assert [o.source for o in result.outcomes] == ["leases", "properties"]


def test_a_source_is_retried_while_another_is_still_being_asked(xuewei_runtime, family):
    """Each source keeps its own schedule: a quick failure is retried after its backoff, not after
    the slowest source of the fetch has answered."""
    leases_retried = threading.Event()

    class Housing:
        lease_calls = property_calls = 0

        @hookimpl
        def fetch_leases(self, id_numbers):
            Housing.lease_calls += 1
            if Housing.lease_calls == 1:
                raise ConnectionError("housing authority unreachable")
            leases_retried.set()
            return {"leases": [LEASE]}

        @hookimpl
        def fetch_properties(self, id_numbers):
            Housing.property_calls += 1
            if not leases_retried.wait(5):  # answers only once the other source was asked again
                raise ConnectionError("leases were not retried meanwhile")
            return {"properties": []}

    runtime = xuewei_runtime(Housing(), policy=Policy(timeout=10, retries=1, backoff=0.01))
    result = runtime.fetch_facts(PUPIL, family, sources=["leases", "properties"])
    assert result.complete, result.outcomes
    assert [(o.source, o.attempts) for o in result.outcomes] == [("leases", 2), ("properties", 1)]
    assert Housing.property_calls == 1 and result.fragments["leases"].payload == {"leases": [LEASE]}


def test_a_bug_outside_the_plugins_reaches_the_caller(xuewei_runtime, family):
    """A source whose hook the plugin manager does not know is the runtime's mistake, not a
    failed call: it is raised, not counted as an outcome."""
    runtime = xuewei_runtime()
    misnamed = replace(source_named("leases"), hook="fetch_leasse")
    with pytest.raises(AttributeError, match="fetch_leasse"):
        runtime.call_source(misnamed, id_numbers=family)
    assert {h.source: h.calls for h in runtime.health()}["leases"] == 0


def test_assert_valid_fragment_fails_as_an_assertion_naming_the_path_for_plugin_authors():
    assert_valid_fragment("leases", {"leases": [LEASE]})
    with pytest.raises(AssertionError, match=r"\$\.leases\[0\]\.start"):
        assert_valid_fragment("leases", {"leases": [{**LEASE, "start": "31/05/2019"}]})


def test_the_test_kit_registers_a_plugin_under_the_name_it_is_given(xuewei_runtime, family):
    class Housing:
        @hookimpl
        def fetch_leases(self, id_numbers):
            return {"leases": [LEASE]}

    result = xuewei_runtime(("acme_housing", Housing())).fetch_facts(PUPIL, family, sources=["leases"])
    assert result.fragments["leases"].connector == "acme_housing"
    assert result.facts["sources"]["leases"]["connector"] == "acme_housing:leases"
