"""`python -m bench.load --write-lock` times the server's SQLite write transactions through
bench/writelock/sitecustomize.py: one line per write transaction, none for reads."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.load import write_lock_timing

PROGRAM = """
from core.db import make_engine, read_session, write_session
from sqlalchemy import text
engine = make_engine("sqlite:///{database}")
with write_session(engine) as session:
    session.execute(text("CREATE TABLE t (x INTEGER)"))
with write_session(engine) as session:
    session.execute(text("INSERT INTO t VALUES (1)"))
with read_session(engine) as session:
    session.execute(text("SELECT x FROM t")).all()
"""


def test_each_write_transaction_is_timed_and_reads_are_not(tmp_path):
    env = write_lock_timing(tmp_path / "writes")
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", PROGRAM.format(database=tmp_path / "db.sqlite3")], cwd=root,
                   env={"PATH": "/usr/bin:/bin", **env}, check=True, timeout=60)
    lines = [line.split() for path in (tmp_path / "writes").glob("writes.*") for line in path.read_text().splitlines()]
    assert len(lines) == 2
    for started, waited, held in lines:
        assert float(started) > 1.6e9 and 0 <= float(waited) < 5 and 0 < float(held) < 5
