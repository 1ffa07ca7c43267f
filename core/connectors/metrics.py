"""In-memory counters per data source, for the operators' connector-health page."""
from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass

__all__ = ["SourceHealth", "ConnectorMetrics"]

LATENCY_WINDOW = 1000  # the p95 is taken over this many latest calls


@dataclass(frozen=True)
class SourceHealth:
    """One source's health: calls so far, how many failed or were invalid, p95, breaker."""

    source: str
    calls: int
    ok: int
    failed: int
    invalid: int
    p95_latency_ms: float | None
    breaker: str

    @property
    def failure_rate(self) -> float:
        """Share of calls that did not bring valid facts (failed or invalid)."""
        return (self.failed + self.invalid) / self.calls if self.calls else 0.0


def p95(values: list[float]) -> float | None:
    """The 95th percentile by the nearest-rank method (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


class ConnectorMetrics:
    """Counts outcomes per source; thread-safe, process-local, reset on restart."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, dict[str, int]] = {}
        self._latencies: dict[str, deque[float]] = {}

    def count(self, source: str, status: str, latency_ms: float | None) -> None:
        """Add one call's outcome (`ok`, `failed` or `invalid`) and latency.

        A call the breaker refused has no latency (None): it counts, but not towards p95.
        """
        with self._lock:
            counts = self._counts.setdefault(source, {"ok": 0, "failed": 0, "invalid": 0})
            counts[status] += 1
            if latency_ms is not None:
                self._latencies.setdefault(source, deque(maxlen=LATENCY_WINDOW)).append(latency_ms)

    def health(self, source: str, breaker: str) -> SourceHealth:
        """The health of one source, given its breaker's state."""
        with self._lock:
            counts = dict(self._counts.get(source, {"ok": 0, "failed": 0, "invalid": 0}))
            latencies = list(self._latencies.get(source, ()))
        return SourceHealth(source, sum(counts.values()), counts["ok"], counts["failed"],
                            counts["invalid"], p95(latencies), breaker)
