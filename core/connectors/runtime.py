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
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, fields, replace
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
from core.connectors.validation import FragmentError, validate_fragment
from core.hookspecs import InvalidResponse
from core.plugins import call_in_order, get_plugin_manager
from core.types import utcnow

__all__ = ["Policy", "Status", "Outcome", "Fetched", "FetchResult", "ConnectorRuntime",
           "get_runtime", "ERROR_MAX"]

log = logging.getLogger(__name__)

ERROR_MAX = 500  # the length of ConnectorCall.error
PERSONS = ("pupil", "father", "mother", "grandfather", "grandmother", "maternal_grandfather",
           "maternal_grandmother")


@dataclass(frozen=True)
class Policy:
    """How one source is called: per-attempt timeout (s), retries, backoff, breaker limits."""

    timeout: float = 10.0
    retries: int = 2
    backoff: float = 0.25
    backoff_max: float = 4.0
    failure_threshold: int = 5
    reset_after: float = 30.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based): doubling, capped."""
        return min(self.backoff * 2 ** (attempt - 1), self.backoff_max)


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


class _TimedOut(Exception):
    """The plugin did not answer within the policy's timeout."""


class _ImplementationError(Exception):
    """An exception raised inside a plugin, labelled with the plugin's name."""

    def __init__(self, plugin: str, exc: BaseException) -> None:
        super().__init__(f"{plugin}: {type(exc).__name__}: {exc}")
        self.plugin = plugin
        self.invalid = isinstance(exc, InvalidResponse)


class ConnectorRuntime:
    """Calls the sources through the plugin manager with timeouts, retries and breakers."""

    def __init__(self, pm: pluggy.PluginManager | None = None, *,
                 policies: Mapping[str, Policy] | None = None, default: Policy = Policy(),
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 now: Callable[[], datetime] = utcnow) -> None:
        self.pm = pm if pm is not None else get_plugin_manager()
        self.policies = dict(policies or {})
        self.default = default
        self.metrics = ConnectorMetrics()
        self._clock, self._sleep, self._now = clock, sleep, now
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
        try:
            answer = self.pm.hook.connector_policy(source=source)
        except Exception:  # a vendor's bad policy must not stop the source from being asked
            log.exception("connector_policy failed for %s; using the defaults", source)
            return self.default
        if not answer:
            return self.default
        known = {f.name for f in fields(Policy)}
        unknown = set(answer) - known
        if unknown:
            log.error("connector_policy for %s names unknown settings %s; using the defaults",
                      source, sorted(unknown))
            return self.default
        return replace(self.default, **answer)

    def breaker(self, source: str) -> CircuitBreaker:
        """The circuit breaker of a source, created on first use."""
        policy = self.policy(source)
        with self._lock:
            if source not in self._breakers:
                self._breakers[source] = CircuitBreaker(policy.failure_threshold,
                                                        policy.reset_after, self._clock)
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
        answers.update(self._call_together([s for s in wanted if not s.pupil_only], ids))
        ordered = [answers[s.name] for s in sorted(wanted, key=lambda s: not s.pupil_only)]
        fragments = {fetched.source: fetched for _, fetched in ordered if fetched is not None}
        return FetchResult(merge_fragments(fragments.values()), fragments,
                           tuple(outcome for outcome, _ in ordered))

    def _call_together(self, sources: list[Source], ids: dict[str, str]) -> dict[str, tuple[Outcome, Fetched | None]]:
        """Call several sources in parallel threads; each call is bounded by its own policy, so
        waiting for all of them needs no timeout of its own. An exception is a bug, not a
        source failure (call_source reports those): it is raised here."""
        calls = {source.name: self.threads.submit(self._call_with_ids, source, dict(ids)) for source in sources}
        return {name: call.result() for name, call in calls.items()}

    def _call_with_ids(self, source: Source, id_numbers: dict[str, str]) -> tuple[Outcome, Fetched | None]:
        return self.call_source(source, id_numbers=id_numbers)

    def call_source_named(self, name: str, **kwargs: Any) -> tuple[Outcome, Fetched | None]:
        """`call_source` by the source's name (e.g. "leases")."""
        return self.call_source(source_named(name), **kwargs)

    def call_source(self, source: Source, **kwargs: Any) -> tuple[Outcome, Fetched | None]:
        """One source call with breaker, timeout and retries; the outcome is counted."""
        policy = self.policy(source.name)
        breaker = self.breaker(source.name)
        started_at = self._now()
        if not breaker.allow():
            return self._count(Outcome(source.name, Status.failed, started_at, 0.0, 0,
                                       error="circuit open: source skipped until it recovers")), None
        start = self._clock()
        error: str | None = None
        status = Status.failed
        connector: str | None = None
        payload: Any = None
        attempts = 0
        for attempts in range(1, policy.retries + 2):
            calling: list[str] = []  # the plugin being called, to name it on a timeout
            try:
                connector, payload = self._invoke(source, kwargs, policy.timeout, calling)
                error = None
                break
            except _TimedOut:
                connector = calling[-1] if calling else None
                error = f"timed out after {policy.timeout:g}s"
            except _ImplementationError as exc:
                connector, error = exc.plugin, str(exc)
                if exc.invalid:  # the source answered; asking again gets the same answer
                    status = Status.invalid
                    break
            if attempts <= policy.retries:
                self._sleep(policy.delay(attempts))
        latency_ms = (self._clock() - start) * 1000
        if error is not None:
            breaker.record_failure()
            return self._count(Outcome(source.name, status, started_at, latency_ms,
                                       attempts, connector, error[:ERROR_MAX])), None
        if payload is None:
            breaker.record_success()
            return self._count(Outcome(source.name, Status.ok, started_at, latency_ms, attempts,
                                       answered=False)), None
        try:
            validate_fragment(source, payload)
            payload = json.loads(canonical_json(payload))
        except (FragmentError, TypeError, ValueError) as exc:
            breaker.record_failure()
            return self._count(Outcome(source.name, Status.invalid, started_at, latency_ms,
                                       attempts, connector, str(exc)[:ERROR_MAX])), None
        breaker.record_success()
        fetched = Fetched(source.name, connector or "", self._now(), payload, sha256_hex(payload))
        return self._count(Outcome(source.name, Status.ok, started_at, latency_ms, attempts,
                                   connector)), fetched

    def _invoke(self, source: Source, kwargs: dict[str, Any], timeout: float,
                calling: list[str]) -> tuple[str | None, Any]:
        """Run the hook on a daemon thread (reused: threads.py) and wait at most `timeout` for it.

        A plugin that hangs is left behind (Python cannot kill a thread) but, being a daemon,
        never keeps the process from exiting; the breaker soon stops new calls to it.
        """
        call = self.threads.submit(self._first_answer, source.hook, kwargs, calling)
        try:
            return call.result(timeout)
        except FutureTimeout:  # the hook's own exceptions arrive wrapped in _ImplementationError
            raise _TimedOut from None

    def _first_answer(self, hook: str, kwargs: dict[str, Any],
                      calling: list[str]) -> tuple[str | None, Any]:
        for plugin_name, function, argnames in call_in_order(self.pm, hook):
            calling.append(plugin_name)
            try:
                result = function(**{name: kwargs[name] for name in argnames})
            except Exception as exc:
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
