"""The audit trail: append-only events, each chained to the one before by its hash.

Every append happens inside the caller's write transaction, so an event exists exactly when
the change it describes was committed. The newest link is kept in `AuditHead`; locking that
row serialises appends on PostgreSQL (SQLite's `BEGIN IMMEDIATE` already does), and keeping
it means a removed last row is detected as well as an altered one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from core.canonical import sha256_hex
from core.models import AuditHead, Event
from core.types import utcnow

__all__ = ["GENESIS_HASH", "append_event", "append_events", "verify_chain", "ChainBreak", "event_hash"]

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class ChainBreak:
    """The first place where the stored chain differs from what was written."""

    seq: int
    event_id: int | None
    problem: str

    def __str__(self) -> str:
        row = f"event seq {self.seq}" + (f" (id {self.event_id})" if self.event_id else "")
        return f"{row}: {self.problem}"


def event_hash(event: Event) -> str:
    """The hash over an event's content and its predecessor's hash."""
    return sha256_hex({
        "seq": event.seq,
        "at": event.at.isoformat(timespec="microseconds"),
        "actor": event.actor,
        "actor_role": event.actor_role,
        "subject": [event.subject_type, event.subject_id],
        "action": event.action,
        "from": event.from_state,
        "to": event.to_state,
        "reason": event.reason,
        "data": event.data,
        "prev": event.prev_hash,
    })


def _head(session: Session) -> AuditHead:
    head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).first()
    if head is None:
        raise RuntimeError("audit head missing: run `xuewei db upgrade`")
    return head


def append_event(
    session: Session,
    *,
    actor: str,
    actor_role: str,
    subject_type: str,
    subject_id: str | int,
    action: str,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Event:
    """Append one event to the chain in the caller's (write) transaction."""
    return append_events(session, [dict(actor=actor, actor_role=actor_role, subject_type=subject_type,
                                         subject_id=subject_id, action=action, from_state=from_state,
                                         to_state=to_state, reason=reason, data=data, at=at)])[0]


def append_events(session: Session, events: list[dict[str, Any]]) -> list[Event]:
    """Append events in order (each given as `append_event`'s keyword arguments), taking the
    chain's head once: batch steps of the season move thousands of applications at a time."""
    head = _head(session)
    appended = []
    for spec in events:
        event = Event(
            seq=head.seq + 1,
            at=spec.get("at") or utcnow(),
            actor=spec["actor"],
            actor_role=str(spec["actor_role"]),
            subject_type=spec["subject_type"],
            subject_id=str(spec["subject_id"]),
            action=spec["action"],
            from_state=spec.get("from_state"),
            to_state=spec.get("to_state"),
            reason=spec.get("reason"),
            data=spec.get("data"),
            prev_hash=head.hash,
            hash="",
        )
        event.hash = event_hash(event)
        head.seq, head.hash = event.seq, event.hash
        appended.append(event)
    session.add_all(appended)
    session.add(head)
    session.flush()
    return appended


def verify_chain(session: Session, batch: int = 5000) -> ChainBreak | None:
    """Walk the whole chain; return the first break, or None when every link holds."""
    expected_seq, prev_hash, last_id = 1, GENESIS_HASH, 0
    while True:
        rows = session.exec(
            select(Event).where(Event.id > last_id).order_by(Event.id).limit(batch)
        ).all()
        if not rows:
            break
        for event in rows:
            if event.seq != expected_seq:
                return ChainBreak(expected_seq, None, "this event is missing (removed)")
            if event.prev_hash != prev_hash:
                return ChainBreak(event.seq, event.id, "does not link to the event before it")
            if event_hash(event) != event.hash:
                return ChainBreak(event.seq, event.id, "content was altered after it was written")
            expected_seq, prev_hash, last_id = expected_seq + 1, event.hash, event.id
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != expected_seq - 1 or head.hash != prev_hash):
        return ChainBreak(expected_seq, None, "this event and any after it were removed")
    return None
