"""`python -m bench.load --write-lock` times the locks that let the server's write transactions
through one at a time, through bench/writelock/sitecustomize.py: SQLite's write lock for every
write transaction; on PostgreSQL the audit chain's head row and a district's serial counter row
for the transactions that take them; nothing for reads."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.load import print_write_lock, write_lock_timing

PROGRAM = """
from core.audit import append_event
from core.db import make_engine, read_session, write_session
from core.models import Event
from core.rulesets import ensure_season
from core.schema import upgrade
from core.serials import issue_serial
from sqlmodel import select
engine = make_engine({url!r})
upgrade(engine)
with write_session(engine) as session:
    season_id = ensure_season(session, 2021, "2021").id
with write_session(engine) as session:
    append_event(session, actor="system", actor_role="system", subject_type="season", subject_id=2021, action="opened")
with write_session(engine) as session:
    issue_serial(session, season_id=season_id, year=2021, district_code="360102")
with read_session(engine) as session:
    session.exec(select(Event)).all()
"""


def test_each_lock_a_write_transaction_takes_is_timed_and_reads_take_none(tmp_path, db_url):
    env = write_lock_timing(tmp_path / "writes")
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", PROGRAM.format(url=db_url)], cwd=root,
                   env={"PATH": "/usr/bin:/bin", **env}, check=True, timeout=120)
    lines = [line.split() for path in (tmp_path / "writes").glob("writes.*") for line in path.read_text().splitlines()]
    for _lock, started, waited, held in lines:
        assert float(started) > 1.6e9 and 0 <= float(waited) < 5 and 0 < float(held) < 5
    taken = sorted(lock for lock, *_ in lines)
    if db_url.startswith("sqlite"):
        # the three write transactions hold the database's lock; the counter row is locked inside it (SQLite
        # has no FOR UPDATE, so the head's SELECT takes nothing of its own)
        assert taken == ["database", "database", "database", "serial_counter"]
    else:
        assert taken == ["audit_head", "serial_counter"]


def test_the_report_names_each_lock_with_its_share_of_the_rush(tmp_path, capsys):
    folder = tmp_path / "writes"
    folder.mkdir()
    (folder / "writes.1").write_text("audit_head 100.0 0.001 0.002\n" "serial_counter 100.5 0.003 0.004\n"
                                     "audit_head 101.0 0.001 0.002\n" "database 101.5 0.001 0.001\n"
                                     "audit_head 200.0 0.001 0.002\n")  # after the rush
    figures = print_write_lock(folder, 100.0, 102.0, "PostgreSQL")
    out = capsys.readouterr().out
    assert "the audit chain's head row during the rush (2 write transactions, 1/s)" in out
    assert "serial counter rows" in out and "held 0% of the rush's wall time" in out
    assert figures["audit_head"]["transactions"] == 2 and abs(figures["audit_head"]["busy"] - 0.002) < 1e-9
    assert figures["serial_counter"]["transactions"] == 1 and "database" not in figures
