"""Calling the government data sources: sources, runtime, breakers, validation, rows.

See core.connectors.runtime for the runtime and its `FetchResult`.
"""
from __future__ import annotations

from core.connectors.breaker import BreakerState, CircuitBreaker
from core.connectors.metrics import SourceHealth
from core.connectors.runtime import (ConnectorRuntime, Fetched, FetchResult, Outcome, Policy,
                                     Status, get_runtime)
from core.connectors.sources import SOURCES, Source, source_named
from core.connectors.validation import FragmentError, validate_fragment

__all__ = [
    "BreakerState", "CircuitBreaker", "SourceHealth", "ConnectorRuntime", "Fetched",
    "FetchResult", "Outcome", "Policy", "Status", "get_runtime", "SOURCES", "Source",
    "source_named", "FragmentError", "validate_fragment",
]
