"""The audit chain: every change leaves a linked event; tampering is found and named."""
from __future__ import annotations

import subprocess
import sys

from sqlalchemy import text

from core.applications import submit_application
from core.audit import verify_chain
from core.db import read_session


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
