"""A circuit breaker per data source: closed, open, half-open.

Closed: calls go through; `failure_threshold` failed calls in a row open it. Open: calls
are refused at once (the application waits in "facts pending") until `reset_after` seconds
have passed; then it is half-open and lets one trial call through — its success closes the
breaker, its failure opens it again for another `reset_after`.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import StrEnum

__all__ = ["BreakerState", "CircuitBreaker"]


class BreakerState(StrEnum):
    """Where a breaker stands, as operators see it."""

    closed = "closed"
    open = "open"
    half_open = "half_open"


class CircuitBreaker:
    """Stops calling a source that keeps failing, and probes it again after a pause."""

    def __init__(self, failure_threshold: int = 5, reset_after: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self.failure_threshold = failure_threshold
        self.reset_after = reset_after
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> BreakerState:
        """The state now (an open breaker whose pause is over reads as half-open)."""
        with self._lock:
            return self._state()

    def _state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.closed
        if self._clock() - self._opened_at >= self.reset_after:
            return BreakerState.half_open
        return BreakerState.open

    def allow(self) -> bool:
        """Whether a call may go out now; a half-open breaker admits one trial at a time."""
        with self._lock:
            state = self._state()
            if state is BreakerState.closed:
                return True
            if state is BreakerState.half_open and not self._trial_running:
                self._trial_running = True
                return True
            return False

    def record_success(self) -> None:
        """A call succeeded: close the breaker and forget earlier failures."""
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._trial_running = False

    def record_failure(self) -> None:
        """A call failed: count it, and open (or re-open) the breaker when it is time."""
        with self._lock:
            self._failures += 1
            if self._trial_running or self._failures >= self.failure_threshold:
                self._opened_at = self._clock()
            self._trial_running = False
