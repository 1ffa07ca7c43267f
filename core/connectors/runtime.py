"""The connector runtime: calls each data source safely and says what came of it.

Every source call runs with a timeout, bounded retries with exponential backoff and the
source's circuit breaker; its outcome (ok / failed / invalid, latency, error) is counted for
the operators and returned. Fragments are checked against the fact schema, and an invalid
one is reported, never returned as a fact. The runtime writes nothing: it returns a
`FetchResult`, and the caller stores the facts and outcomes in one transaction (or moves the
application to "facts pending" when `result.failed` is not empty).
"""
from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

import pluggy

from core.canonical import canonical_json, sha256_hex
from core.connectors.breaker import BreakerState, CircuitBreaker
from core.connectors.merge import merge_fragments
from core.connectors.metrics import ConnectorMetrics, SourceHealth
from core.connectors.sources import SOURCES, Source, source_named
from core.connectors.threads import DaemonThreads
from core.connectors.timing import Inbox, RuntimeClock, SystemClock
from core.connectors.validation import FragmentError, validate_fragment
from core.hookspecs import InvalidResponse
from core.plugins import NOT_PLUGIN_FAILURES, call_in_order, get_plugin_manager
from core.types import utcnow

__all__ = ["Policy", "Status", "Outcome", "Fetched", "FetchResult", "ConnectorRuntime",
           "get_runtime", "ERROR_MAX"]

log = logging.getLogger(__name__)

ERROR_MAX = 500  # the length of ConnectorCall.error
PERSONS = ("pupil", "father", "mother", "grandfather", "grandmother", "maternal_grandfather",
           "maternal_grandmother")


#: What each Policy setting accepts: whole numbers only or any finite number, the least value,
#: and whether the least value itself is refused (a timeout of 0 would fail every attempt).
_LIMITS: dict[str, tuple[bool, float, bool]] = {
    "timeout": (False, 0, True),
    "retries": (True, 0, False),
    "backoff": (False, 0, False),
    "backoff_max": (False, 0, False),
    "failure_threshold": (True, 1, False),
    "reset_after": (False, 0, True),
}


def _setting_problem(name: str, value: Any) -> str | None:
    """What is wrong with one setting's value, or None. A bool is not a number here, though
    Python counts it as one. Names the type, not the value, of a wrong type."""
    whole, least, exclusive = _LIMITS[name]
    kinds = (int,) if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        return f"{name} must be {'a whole number' if whole else 'a number'}, not {type(value).__name__}"
    if not math.isfinite(value) or value < least or (exclusive and value == least):
        return f"{name} must be {'>' if exclusive else '≥'} {least:g}, not {value!r}"
    return None


@dataclass(frozen=True)
class Policy:
    """How one source is called: per-attempt timeout (s), retries, backoff, breaker limits.

    A setting of the wrong type or out of range is refused when the policy is made (ValueError),
    not when a call uses it: a bad timeout or threshold would otherwise make every call of the
    source raise.
    """

    timeout: float = 10.0
    retries: int = 2
    backoff: float = 0.25
    backoff_max: float = 4.0
    failure_threshold: int = 5
    reset_after: float = 30.0

    def __post_init__(self) -> None:
        problems = [p for p in (_setting_problem(f.name, getattr(self, f.name)) for f in fields(self)) if p]
        if problems:
            raise ValueError("; ".join(problems))

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based): doubling, capped."""
        return min(self.backoff * 2 ** (attempt - 1), self.backoff_max)

    def with_settings(self, settings: Any) -> Policy:
        """This policy with a plugin's settings (a `connector_policy` answer) in place of its own.

        Raises ValueError naming what is wrong: an answer that is not a dict, an unknown
        setting, or a value of the wrong type or out of range.
        """
        if not isinstance(settings, Mapping):
            raise ValueError(f"the answer must be a dict of settings, not {type(settings).__name__}")
        unknown = sorted(str(name) for name in set(settings) - {f.name for f in fields(self)})
        if unknown:
            raise ValueError(f"unknown settings {unknown}")
        return replace(self, **settings)


class Status(StrEnum):
    """How a source call ended (the `outcome` column of ConnectorCall)."""

    ok = "ok"
    failed = "failed"
    invalid = "invalid"


@dataclass(frozen=True)
class Outcome:
    """One source call: what happened, how long it took, who answered, what went wrong.

    `answered` is False for an ok call that no plugin answered (the source is not served, or
    knows nothing): the facts stay absent and rules on them are undetermined.
    """

    source: str
    status: Status
    started_at: datetime
    latency_ms: float
    attempts: int
    connector: str | None = None
    error: str | None = None
    answered: bool = True


@dataclass(frozen=True)
class Fetched:
    """A valid fragment from one source, ready to be stored as a FactRecord."""

    source: str
    connector: str
    fetched_at: datetime
    payload: dict[str, Any]
    digest: str  # sha256 hex of the payload's canonical JSON


@dataclass(frozen=True)
class FetchResult:
    """Everything one fetch learned, for the caller to store.

    - `facts`: the partial facts document merged from the valid fragments, with
      `sources[key] = {connector, fetched_at, digest}` (facts.schema.json's provenance);
    - `fragments`: the valid fragment per source name (store each as a FactRecord);
    - `outcomes`: one per source called, in call order (store each as a ConnectorCall);
    - `failed`: sources whose call failed or was invalid — the application waits in
      "facts pending" and they are asked again later (`fetch_facts(..., sources=failed)`);
    - `unanswered`: sources that no plugin answered — retrying will not help, the guardian
      uploads the document instead.
    """

    facts: dict[str, Any]
    fragments: dict[str, Fetched]
    outcomes: tuple[Outcome, ...]

    @property
    def failed(self) -> tuple[str, ...]:
        """Sources to ask again later (failed or invalid)."""
        return tuple(o.source for o in self.outcomes if o.status is not Status.ok)

    @property
    def unanswered(self) -> tuple[str, ...]:
        """Sources that no plugin serves for this family."""
        return tuple(o.source for o in self.outcomes if o.status is Status.ok and not o.answered)

    @property
    def complete(self) -> bool:
        """True when no source failed (some may still be unanswered)."""
        return not self.failed


class _ImplementationError(Exception):
    """An exception raised inside a plugin, labelled with the plugin's name."""

    def __init__(self, plugin: str, exc: BaseException) -> None:
        super().__init__(f"{plugin}: {type(exc).__name__}: {exc}")
        self.plugin = plugin
        self.invalid = isinstance(exc, InvalidResponse)


@dataclass(eq=False)
class _Call:
    """One source call in progress (see `ConnectorRuntime._call_all`): its attempts so far, the
    running attempt's deadline (None: none runs) or when the next one is due, and how it ended."""

    source: Source
    kwargs: dict[str, Any]
    policy: Policy
    breaker: CircuitBreaker
    started_at: datetime
    start: float  # the runtime's clock when the call began, for its latency
    attempts: int = 0
    deadline: float | None = None  # the runtime's clock at which the running attempt times out
    retry_at: float = 0.0
    calling: list[str] = field(default_factory=list)  # the plugins the running attempt has asked
    status: Status = Status.failed  # how it ends if `error` is set
    error: str | None = None
    connector: str | None = None
    payload: Any = None
    ended: tuple[Outcome, Fetched | None] | None = None


class ConnectorRuntime:
    """Calls the sources through the plugin manager with timeouts, retries and breakers.

    `clock` measures every deadline, backoff, latency and breaker pause (core.connectors.timing;
    the test kit's `FakeClock` moves only when told); `now` stamps calls and facts (wall time).
    """

    def __init__(self, pm: pluggy.PluginManager | None = None, *,
                 policies: Mapping[str, Policy] | None = None, default: Policy = Policy(),
                 clock: RuntimeClock = SystemClock(),
                 now: Callable[[], datetime] = utcnow) -> None:
        self.pm = pm if pm is not None else get_plugin_manager()
        self.policies = dict(policies or {})
        self.default = default
        self.metrics = ConnectorMetrics()
        self._clock, self._now = clock, now
        self._breakers: dict[str, CircuitBreaker] = {}
        self._lock = threading.Lock()
        self.threads = DaemonThreads("xuewei-connector")

    def policy(self, source: str) -> Policy:
        """The policy of a source: given to the runtime, else asked of the plugins, else default."""
        with self._lock:
            if source not in self.policies:
                self.policies[source] = self._policy_from_plugins(source)
            return self.policies[source]

    def _policy_from_plugins(self, source: str) -> Policy:
        """The first plugin's `connector_policy` answer over the defaults; the defaults alone when
        no plugin answers, or when the answer raised or is unusable. A vendor's bad policy is
        logged by plugin and source, and must not stop the source from being asked (nor make
        every fetch raise until a restart)."""
        try:
            plugin, answer = self._first_answer("connector_policy", {"source": source}, [])
        except _ImplementationError:
            log.exception("connector_policy failed for %s; using the defaults", source)
            return self.default
        if answer is None:
            return self.default
        try:
            return self.default.with_settings(answer)
        except ValueError as exc:
            log.error("connector_policy of plugin %s for %s is refused (%s); using the defaults",
                      plugin, source, exc)
            return self.default

    def breaker(self, source: str) -> CircuitBreaker:
        """The circuit breaker of a source, created on first use."""
        policy = self.policy(source)
        with self._lock:
            if source not in self._breakers:
                self._breakers[source] = CircuitBreaker(policy.failure_threshold,
                                                        policy.reset_after, self._clock.monotonic)
            return self._breakers[source]

    def health(self) -> list[SourceHealth]:
        """Calls, failure rate, p95 latency and breaker state of every source."""
        states = {name: breaker.state for name, breaker in self._breakers.items()}
        return [self.metrics.health(s.name, states.get(s.name, BreakerState.closed).value)
                for s in SOURCES]

    def fetch_facts(self, pupil_id_number: str, id_numbers: Mapping[str, str] | None = None,
                    sources: Iterable[str] | None = None) -> FetchResult:
        """Ask every source (or the named ones) about a pupil's family; never raises for a source.

        The pupil record is asked first: the guardians it lists are added to `id_numbers`
        (keyed by relation to the pupil). The other sources are then asked at the same time,
        so a slow source costs its own timeout, not the sum of all of them.
        """
        wanted = [source_named(name) for name in sources] if sources is not None else list(SOURCES)
        ids = {"pupil": pupil_id_number, **(id_numbers or {})}
        answers: dict[str, tuple[Outcome, Fetched | None]] = {}
        for source in (s for s in wanted if s.pupil_only):
            answers[source.name] = self.call_source(source, pupil_id_number=pupil_id_number)
            fetched = answers[source.name][1]
            for guardian in fetched.payload.get("guardians", []) if fetched else ():
                if guardian["relation"] in PERSONS:
                    ids.setdefault(guardian["relation"], guardian["id_number"])
        together = [s for s in wanted if not s.pupil_only]
        answers.update(zip((s.name for s in together),
                           self._call_all([(s, {"id_numbers": dict(ids)}) for s in together])))
        ordered = [answers[s.name] for s in sorted(wanted, key=lambda s: not s.pupil_only)]
        fragments = {fetched.source: fetched for _, fetched in ordered if fetched is not None}
        return FetchResult(merge_fragments(fragments.values()), fragments,
                           tuple(outcome for outcome, _ in ordered))

    def call_source_named(self, name: str, **kwargs: Any) -> tuple[Outcome, Fetched | None]:
        """`call_source` by the source's name (e.g. "leases"); a KeyError for an unknown name.

        Returns ``(outcome, fetched)``: the `Outcome` of the call (status, attempts, connector,
        error), and the valid fragment as `Fetched` — None when the call failed, was invalid
        or no plugin answered (an ok outcome whose `answered` is False). Part of the test kit's API
        (docs/plugins.md, "Testing a plugin").
        """
        return self.call_source(source_named(name), **kwargs)

    def call_source(self, source: Source, **kwargs: Any) -> tuple[Outcome, Fetched | None]:
        """One source call with breaker, timeout and retries; the outcome is counted."""
        (answer,) = self._call_all([(source, kwargs)])
        return answer

    def _call_all(self, requests: list[tuple[Source, dict[str, Any]]]) -> list[tuple[Outcome, Fetched | None]]:
        """Call several sources at the same time, each with its breaker, timeout and retries.

        Each attempt runs the hook on a pool thread (threads.py) and puts what came of it in the
        clock's inbox (timing.py); this thread waits on the inbox for whichever comes first: an
        answer, the running attempt's timeout, or the moment a retry is due. An attempt that
        timed out is left behind and its late answer ignored: an answer is in time when the inbox
        stamped it before the attempt's deadline, however late this thread gets to it. So a fetch costs one thread hand-off per
        attempt (9 for a family) and none for waiting. With a thread per source waiting for its
        attempts it cost 17, and a family's fetch from the sandbox took 3.0–3.2 ms of CPU
        against 2.1–2.8 ms this way (one process, alternating runs).

        An exception that is not a source failure is a bug, not an outcome: it is raised here.
        Retry delays pass through the clock's `sleep` when no attempt is running.
        """
        answers = self._clock.inbox()
        calls = [self._begin(source, kwargs) for source, kwargs in requests]
        now = self._clock.monotonic()
        for call in calls:
            if call.ended is None:
                self._attempt(call, answers)
        while open_calls := [call for call in calls if call.ended is None]:
            running = [call for call in open_calls if call.deadline is not None]
            if running:
                until = min([call.deadline for call in running]
                            + [call.retry_at for call in open_calls if call.deadline is None])
                answered = answers.get(until)
                now = self._clock.monotonic()
                if answered is not None:
                    at, (call, attempt, answer) = answered
                    if call.deadline is not None and call.attempts == attempt and at < call.deadline:
                        self._answered(call, answer, now)  # in time, and not from an attempt left behind
                for call in running:
                    if call.deadline is not None and now >= call.deadline:
                        self._timed_out(call, now)
            else:  # only retries wait: sleep until the first is due
                until = min(call.retry_at for call in open_calls)
                self._clock.sleep(max(until - now, 0.0))
                now = max(until, self._clock.monotonic())
            for call in open_calls:
                if call.ended is None and call.deadline is None and call.retry_at <= now:
                    self._attempt(call, answers)
        return [call.ended for call in calls]

    def _begin(self, source: Source, kwargs: dict[str, Any]) -> _Call:
        """A call about to start, or already ended when the source's breaker is open."""
        call = _Call(source, kwargs, self.policy(source.name), self.breaker(source.name), self._now(),
                     self._clock.monotonic())
        if not call.breaker.allow():
            call.ended = self._count(Outcome(source.name, Status.failed, call.started_at, 0.0, 0,
                                             error="circuit open: source skipped until it recovers")), None
        return call

    def _attempt(self, call: _Call, answers: Inbox) -> None:
        """Start the call's next attempt on a pool thread; its answer goes to `answers`.

        A plugin that hangs is left behind (Python cannot kill a thread) but, its thread being a
        daemon, never keeps the process from exiting; the breaker soon stops new calls to it.
        """
        call.attempts += 1
        call.calling = []
        call.deadline = self._clock.monotonic() + call.policy.timeout
        self.threads.submit(self._answer_into, answers, call, call.attempts, call.calling)

    def _answer_into(self, answers: Inbox, call: _Call, attempt: int, calling: list[str]) -> None:
        """Run on a pool thread: the first plugin answer (or the exception) of one attempt."""
        try:
            answer: Any = self._first_answer(call.source.hook, call.kwargs, calling)
        except BaseException as exc:  # handed to the waiting thread, which decides
            answer = exc
        answers.put((call, attempt, answer))

    def _answered(self, call: _Call, answer: Any, now: float) -> None:
        call.deadline = None
        if isinstance(answer, _ImplementationError):
            call.connector, call.error = answer.plugin, str(answer)
            if answer.invalid:  # the source answered; asking again gets the same answer
                call.status = Status.invalid
                self._end(call)
            else:
                self._retry_or_end(call, now)
        elif isinstance(answer, BaseException):
            raise answer
        else:
            (call.connector, call.payload), call.error = answer, None
            self._end(call)

    def _timed_out(self, call: _Call, now: float) -> None:
        call.deadline = None
        call.connector = call.calling[-1] if call.calling else None  # the plugin being called
        call.error = f"timed out after {call.policy.timeout:g}s"
        self._retry_or_end(call, now)

    def _retry_or_end(self, call: _Call, now: float) -> None:
        if call.attempts <= call.policy.retries:
            call.retry_at = now + call.policy.delay(call.attempts)
        else:
            self._end(call)

    def _end(self, call: _Call) -> None:
        """The call's outcome (counted; the breaker told) and its valid fragment, if any."""
        source, attempts, connector = call.source, call.attempts, call.connector
        latency_ms = (self._clock.monotonic() - call.start) * 1000
        if call.error is not None:
            call.breaker.record_failure()
            call.ended = self._count(Outcome(source.name, call.status, call.started_at, latency_ms,
                                             attempts, connector, call.error[:ERROR_MAX])), None
            return
        if call.payload is None:
            call.breaker.record_success()
            call.ended = self._count(Outcome(source.name, Status.ok, call.started_at, latency_ms, attempts,
                                             answered=False)), None
            return
        try:
            validate_fragment(source, call.payload, call.kwargs)
            payload = json.loads(canonical_json(call.payload))
        except (FragmentError, TypeError, ValueError) as exc:
            call.breaker.record_failure()
            call.ended = self._count(Outcome(source.name, Status.invalid, call.started_at, latency_ms,
                                             attempts, connector, str(exc)[:ERROR_MAX])), None
            return
        call.breaker.record_success()
        fetched = Fetched(source.name, connector or "", self._now(), payload, sha256_hex(payload))
        call.ended = self._count(Outcome(source.name, Status.ok, call.started_at, latency_ms, attempts,
                                         connector)), fetched

    def _first_answer(self, hook: str, kwargs: dict[str, Any],
                      calling: list[str]) -> tuple[str | None, Any]:
        for plugin_name, function, argnames in call_in_order(self.pm, hook):
            calling.append(plugin_name)
            try:
                result = function(**{name: kwargs[name] for name in argnames})
            except NOT_PLUGIN_FAILURES:
                raise
            except BaseException as exc:  # SystemExit too: a failure of the source like any other
                raise _ImplementationError(plugin_name, exc) from exc
            if result is not None:
                return plugin_name, result
        return None, None

    def _count(self, outcome: Outcome) -> Outcome:
        latency = outcome.latency_ms if outcome.attempts else None
        self.metrics.count(outcome.source, outcome.status.value, latency)
        return outcome


@lru_cache(maxsize=1)
def get_runtime() -> ConnectorRuntime:
    """The process-wide runtime, so breakers and counters are shared by all requests."""
    return ConnectorRuntime()
