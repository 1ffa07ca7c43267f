"""The audit chain: every change leaves a linked event; tampering is found and named."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

from sqlalchemy import text
from sqlmodel import select

from core.applications import submit_application
from core.audit import append_event, append_events, event_hash, verify_chain
from core.canonical import sha256_hex
from core.db import read_session, write_session
from core.models import Event

# Content that JSON must escape or keep as is: quotes, backslashes, line breaks, Chinese, emoji.
AWKWARD = [
    dict(actor="张老师", actor_role="reviewer", subject_type="application", subject_id=7, action="return_for_materials",
         from_state="submitted", to_state="returned", reason='缺少"不动产权证"\\扫描件\n请补充 📎', data=None),
    dict(actor="system", actor_role="system", subject_type="season", subject_id="2021", action="phase_opened",
         data={"phase": "报名", "windows": [1, 2.5, None, True], "note": "a\tb\u2028c"}),
    dict(actor="guardian-1", actor_role="guardian", subject_type="application", subject_id=7, action="basis_chosen",
         data={"kind": "property", "id": None}),
]


def _verify_cli(db_url):
    return subprocess.run([sys.executable, "-m", "core", "audit", "verify"], capture_output=True, text=True,
                          env={"DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"}, timeout=120)


def test_untouched_chain_verifies(engine, db_url, draft_application, now):
    guardian, application = draft_application
    submit_application(engine, application.id, account=guardian, now=now)
    with read_session(engine) as session:
        assert verify_chain(session) is None
    result = _verify_cli(db_url)
    assert result.returncode == 0, result.stderr
    assert "verifies" in result.stdout


def test_audit_verify_names_the_row_after_an_event_is_edited(engine, db_url, draft_application, now):
    guardian, application = draft_application
    submit_application(engine, application.id, account=guardian, now=now)
    with engine.begin() as connection:
        target = connection.execute(text("SELECT seq FROM event WHERE action = 'submit'")).scalar_one()
        connection.execute(text("UPDATE event SET reason = 'edited' WHERE seq = :seq"), {"seq": target})
    result = _verify_cli(db_url)
    assert result.returncode == 1
    assert f"event seq {target} " in result.stderr and "altered" in result.stderr


def test_audit_verify_names_a_removed_row(engine, db_url, draft_application, now):
    guardian, application = draft_application
    submit_application(engine, application.id, account=guardian, now=now)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM event WHERE seq = 2"))
    result = _verify_cli(db_url)
    assert result.returncode == 1 and "event seq 2" in result.stderr and "removed" in result.stderr


def test_removing_the_newest_event_is_detected_through_the_head(engine, draft_application, now):
    guardian, application = draft_application
    submit_application(engine, application.id, account=guardian, now=now)
    with engine.begin() as connection:
        last = connection.execute(text("SELECT max(seq) FROM event")).scalar_one()
        connection.execute(text("DELETE FROM event WHERE seq = :seq"), {"seq": last})
    with read_session(engine) as session:
        problem = verify_chain(session)
    assert problem is not None and problem.seq == last and "removed" in problem.problem


def test_an_events_hash_is_the_sha256_of_its_canonical_json():
    """The chain's documented formula, which `event_hash` assembles in pieces for the database."""
    at = datetime(2021, 6, 2, 6, 0, 0, 123456, tzinfo=timezone.utc)
    for n, spec in enumerate(AWKWARD, 1):
        event = Event(seq=n * 1000 + 7, at=at, prev_hash="ab" * 32, hash="", **{
            **spec, "subject_id": str(spec["subject_id"])})
        assert event_hash(event) == sha256_hex({
            "seq": event.seq, "at": at.isoformat(timespec="microseconds"), "actor": event.actor,
            "actor_role": event.actor_role, "subject": [event.subject_type, event.subject_id],
            "action": event.action, "from": event.from_state, "to": event.to_state, "reason": event.reason,
            "data": event.data, "prev": event.prev_hash})


def test_events_appended_one_by_one_and_in_batches_link_and_verify(engine, season, now):
    """On PostgreSQL a single event is linked and hashed by the database, a batch in Python:
    in one transaction, mixed, both give the chain `verify_chain` checks (and a time given in
    +08:00 is hashed as it reads back, in UTC)."""
    beijing = now.astimezone(timezone(timedelta(hours=8)))
    with write_session(engine) as session:
        append_events(session, [{**AWKWARD[0], "at": now}, {**AWKWARD[1], "at": now}])
        append_event(session, **AWKWARD[2], at=beijing)
        append_event(session, **AWKWARD[0], at=now)
        append_events(session, [{**AWKWARD[1], "at": now}, {**AWKWARD[2], "at": now}])
        assert append_events(session, []) == []  # a batch step that moved nothing
    with read_session(engine) as session:
        assert verify_chain(session) is None
        stored = session.exec(select(Event).order_by(Event.seq)).all()[-6:]
    assert [e.action for e in stored] == [AWKWARD[i]["action"] for i in (0, 1, 2, 0, 1, 2)]
    assert stored[3].reason == AWKWARD[0]["reason"] and stored[1].data == AWKWARD[1]["data"]
    assert all(e.hash == event_hash(e) for e in stored)


def test_from_locking_the_audit_head_to_commit_a_submission_only_writes_the_chain(
        engine, draft_application, now, statements_run):
    """On PostgreSQL every writer on every host waits for the head row from when it is locked
    until COMMIT: there that is one statement, the transaction's last."""
    guardian, application = draft_application
    with statements_run() as seen:
        submit_application(engine, application.id, account=guardian, now=now)
    first = next(i for i, statement in enumerate(seen) if "audithead" in statement)
    assert all("audithead" in statement or "INTO event" in statement for statement in seen[first:])
    if engine.dialect.name == "postgresql":
        assert len(seen[first:]) == 1
