"""The audit trail: append-only events, each chained to the one before by its hash.

Every append happens inside the caller's write transaction, so an event exists exactly when
the change it describes was committed. The newest link is kept in `AuditHead`; locking that
row serialises appends on PostgreSQL (SQLite's `BEGIN IMMEDIATE` already does), and keeping
it means a removed last row is detected as well as an altered one.

On PostgreSQL that row lock is the one place where writers on every web host queue for each
other, and it is held from the append until COMMIT. So one event is appended there as the
transaction's last statement, in one statement that locks the head, links and hashes the event
inside the database and stores both (`_APPEND_ON_POSTGRESQL`): the lock is held for that
statement and the COMMIT, not for three statements and the Python between them. Otherwise (on
SQLite, and for batches) Python links and hashes, and three plain statements lock the head,
insert the events and move the head.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import bindparam, insert, text, update
from sqlmodel import Session, select

from core.canonical import canonical_json, sha256_hex
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
    """The hash over an event's content and its predecessor's hash: the sha256 of the canonical
    JSON of {seq, at, actor, actor_role, subject, action, from, to, reason, data, prev}."""
    before, between, after = _hashed_text(event)
    return sha256_hex(f"{before}{event.prev_hash}{between}{event.seq}{after}")


def _hashed_text(event: Event) -> tuple[str, str, str]:
    """The canonical JSON `event_hash` digests, in the three pieces around its two links to the
    chain (the predecessor's hash, then the event's seq), so that the database can put them in
    while it holds the head (`_APPEND_ON_POSTGRESQL`). Keys in sorted order, as canonical JSON
    has them; tests/core/test_audit.py checks the pieces against `canonical_json` itself."""
    c = canonical_json
    before = (f'{{"action":{c(event.action)},"actor":{c(event.actor)},"actor_role":{c(event.actor_role)},'
              f'"at":{c(event.at.isoformat(timespec="microseconds"))},"data":{c(event.data)},'
              f'"from":{c(event.from_state)},"prev":"')
    between = f'","reason":{c(event.reason)},"seq":'
    after = f',"subject":{c([event.subject_type, event.subject_id])},"to":{c(event.to_state)}}}'
    return before, between, after


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


def _new_event(spec: dict[str, Any], seq: int, prev_hash: str) -> Event:
    return Event(
        seq=seq,
        at=(spec.get("at") or utcnow()).astimezone(timezone.utc),  # as it reads back, so it hashes the same
        actor=spec["actor"],
        actor_role=str(spec["actor_role"]),
        subject_type=spec["subject_type"],
        subject_id=str(spec["subject_id"]),
        action=spec["action"],
        from_state=spec.get("from_state"),
        to_state=spec.get("to_state"),
        reason=spec.get("reason"),
        data=spec.get("data"),
        prev_hash=prev_hash,
        hash="",
    )


_CONTENT = ("at", "actor", "actor_role", "subject_type", "subject_id", "action", "from_state", "to_state",
            "reason", "data")
_EVENT, _AUDIT_HEAD = Event.__table__, AuditHead.__table__
# The chain's statements, as plain SQL statements (no ORM unit of work: on SQLite every one of
# them runs while the transaction holds the database's write lock).
_LOCK_HEAD = select(_AUDIT_HEAD.c.seq, _AUDIT_HEAD.c.hash).where(_AUDIT_HEAD.c.id == 1).with_for_update()
_INSERT_EVENTS = insert(_EVENT)
_MOVE_HEAD = update(_AUDIT_HEAD).where(_AUDIT_HEAD.c.id == 1).values(seq=bindparam("new_seq"),
                                                                       hash=bindparam("new_hash"))
# Lock the head, move it on by one event whose hash the database computes from the pieces of
# `_hashed_text` and the head's own seq and hash, and insert that event: one round trip.
_APPEND_ON_POSTGRESQL = text(f"""
WITH head AS (SELECT seq, hash FROM audithead WHERE id = 1 FOR UPDATE),
moved AS (
    UPDATE audithead SET seq = head.seq + 1,
        hash = encode(sha256(convert_to(:before || head.hash || :between || (head.seq + 1)::text || :after, 'UTF8')),
                      'hex')
    FROM head WHERE audithead.id = 1
    RETURNING audithead.seq, audithead.hash, head.hash AS prev_hash)
INSERT INTO event (seq, {", ".join(_CONTENT)}, prev_hash, hash)
SELECT moved.seq, {", ".join(f":{name}" for name in _CONTENT)}, moved.prev_hash, moved.hash FROM moved
RETURNING id, seq, prev_hash, hash
""").bindparams(*(bindparam(name, type_=_EVENT.c[name].type) for name in _CONTENT))


def _append_on_postgresql(session: Session, spec: dict[str, Any]) -> Event:
    """`append_events` of one event on PostgreSQL: one statement."""
    event = _new_event(spec, 0, "")
    before, between, after = _hashed_text(event)
    row = session.execute(_APPEND_ON_POSTGRESQL, {"before": before, "between": between, "after": after,
                                                  **{name: getattr(event, name) for name in _CONTENT}}).first()
    if row is None:  # no head row to move on: nothing was inserted
        raise _no_head()
    event.id, event.seq, event.prev_hash, event.hash = row
    return event


def _no_head() -> RuntimeError:
    return RuntimeError("audit head missing: run `xuewei db upgrade`")


def append_events(session: Session, events: list[dict[str, Any]]) -> list[Event]:
    """Append events in order (each given as `append_event`'s keyword arguments), taking the
    chain's head once: batch steps of the season move thousands of applications at a time.

    Call it last in the transaction: on PostgreSQL other writers wait from here until COMMIT
    (the session's pending changes are written first). The events are returned as written,
    not added to the session.
    """
    if not events:
        return []
    session.flush()
    if len(events) == 1 and session.get_bind().dialect.name == "postgresql":
        return [_append_on_postgresql(session, events[0])]
    head = session.execute(_LOCK_HEAD).first()
    if head is None:
        raise _no_head()
    seq, prev_hash = head
    appended = []
    for spec in events:
        event = _new_event(spec, seq + 1, prev_hash)
        event.hash = event_hash(event)
        seq, prev_hash = event.seq, event.hash
        appended.append(event)
    session.execute(_INSERT_EVENTS, [{name: getattr(e, name) for name in ("seq", *_CONTENT, "prev_hash", "hash")}
                                     for e in appended])
    session.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": prev_hash})
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
