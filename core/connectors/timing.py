"""How the connector runtime tells time and waits for answers: the system's clock or a test's.

The runtime reads one clock for every attempt's deadline, every backoff between retries, each
call's latency and its breakers' pauses, and waits for its attempts' answers through that
clock's inbox. A test gives it a clock whose time moves only when told (`core.testing.FakeClock`)
and checks a plugin's timeouts, retries and breaker without waiting for them.
"""
from __future__ import annotations

import queue
import time
from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["Inbox", "RuntimeClock", "SystemClock"]


class Inbox(Protocol):
    """Where the pool threads put what each attempt came to, stamped with the clock's time."""

    def put(self, item: Any) -> None:
        """Hand over one item, stamped with the time it arrived."""

    def get(self, until: float) -> tuple[float, Any] | None:
        """The next item and its stamp, waiting for it until the clock reads `until` (then None)."""


class RuntimeClock(Protocol):
    """The runtime's time: seconds that only go forward, a way to wait, and an inbox."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary start; deadlines, latencies and breaker pauses use them."""

    def sleep(self, seconds: float) -> None:
        """Wait between retries (nothing else is waited for with it)."""

    def inbox(self) -> Inbox:
        """A new inbox for one batch of calls."""


class _QueueInbox:
    """An inbox over a queue, waiting in real time."""

    def __init__(self, monotonic: Callable[[], float]) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._monotonic = monotonic

    def put(self, item: Any) -> None:
        self._queue.put((self._monotonic(), item))

    def get(self, until: float) -> tuple[float, Any] | None:
        try:
            return self._queue.get(timeout=max(until - self._monotonic(), 0.0))
        except queue.Empty:
            return None


class SystemClock:
    """Real time (`time.monotonic`), and `time.sleep` between retries unless another `sleep` is
    given (the test kit's runtime skips those waits: its tests need not wait for a backoff)."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        self.sleep = sleep

    def monotonic(self) -> float:
        return time.monotonic()

    def inbox(self) -> Inbox:
        return _QueueInbox(time.monotonic)
