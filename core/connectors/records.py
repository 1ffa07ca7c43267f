"""Rows for what the runtime returns: FactRecord per valid fragment, ConnectorCall per outcome."""
from __future__ import annotations

from sqlmodel import Session

from core.connectors.runtime import Fetched, Outcome
from core.models import ConnectorCall, FactRecord

__all__ = ["fact_row", "outcome_row", "record_outcome"]


def fact_row(fetched: Fetched, application_id: int) -> FactRecord:
    """A FactRecord keeping the fragment with its source, fetch time and digest."""
    return FactRecord(application_id=application_id, source=fetched.source,
                      connector=fetched.connector, fetched_at=fetched.fetched_at, payload_digest=fetched.digest,
                      payload=fetched.payload)


def outcome_row(outcome: Outcome, application_id: int | None = None) -> ConnectorCall:
    """A ConnectorCall row for one source call (operators' history of connector health)."""
    return ConnectorCall(application_id=application_id, source=outcome.source,
                         started_at=outcome.started_at, latency_ms=outcome.latency_ms,
                         outcome=outcome.status.value, error=outcome.error)


def record_outcome(session: Session, outcome: Outcome, application_id: int | None = None) -> ConnectorCall:
    """Add one outcome row to the caller's write transaction (committed with it)."""
    row = outcome_row(outcome, application_id)
    session.add(row)
    return row
