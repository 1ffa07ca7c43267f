"""Rows for what the runtime returns: FactRecord per valid fragment, ConnectorCall per outcome."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import insert
from sqlmodel import Session

from core.connectors.runtime import Fetched, Outcome
from core.models import ConnectorCall, FactRecord

__all__ = ["store_answers"]

_INSERT_FACTS = insert(FactRecord.__table__)
_INSERT_CALLS = insert(ConnectorCall.__table__)


def store_answers(session: Session, application_id: int | None, fragments: Iterable[Fetched],
                  outcomes: Iterable[Outcome]) -> None:
    """Add a fetch to the caller's write transaction: one FactRecord per valid fragment (with its
    source, fetch time and digest) and one ConnectorCall per source call with the plugin that
    answered (the operators' history of connector health, per source and per plugin). Inserted in
    bulk: a fetch writes a row per source and per call."""
    facts = [{"application_id": application_id, "source": f.source, "connector": f.connector,
              "fetched_at": f.fetched_at, "payload_digest": f.digest, "payload": f.payload} for f in fragments]
    calls = [{"application_id": application_id, "source": o.source, "started_at": o.started_at,
              "latency_ms": o.latency_ms, "outcome": o.status.value, "error": o.error, "plugin": o.connector}
             for o in outcomes]
    connection = session.connection()  # Core executemany: the ORM's bulk path costs more than the rows
    if facts:
        connection.execute(_INSERT_FACTS, facts)
    if calls:
        connection.execute(_INSERT_CALLS, calls)
