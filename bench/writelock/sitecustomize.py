"""Loaded by every Python process of the server when `python -m bench.load --write-lock` puts
this folder on PYTHONPATH: it times the locks that let one write transaction through at a time,
how long each transaction waited for one and how long it then held it (until its connection
went back to the pool, just after COMMIT), and appends one line per transaction and lock,
`lock started waited held` (seconds), to a file per process in $XUEWEI_BENCH_WRITES.

The locks (`LOCKS`):
- `database`: SQLite's one write lock, taken by `BEGIN IMMEDIATE`;
- `audit_head`: the audit chain's head row, which every transaction that records an event locks
  (a statement reading `FROM audithead` `FOR UPDATE`, core/audit.py). On PostgreSQL writers of
  different rows pass each other, so on several web hosts this row lets one through at a time;
- `serial_counter`: a district's serial counter row (`UPDATE serialcounter`, core/serials.py),
  which every submission in that district locks: at the opening of one district's window, all
  of the rush is in one district.
On SQLite the last two are inside the first and say nothing more (and its SELECTs have no
FOR UPDATE). "Waited" ends when the statement that takes the lock returns.

Benchmark instrumentation only: nothing in xuewei imports it.
"""
import os
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

_FOLDER = os.environ.get("XUEWEI_BENCH_WRITES")
LOCKS = {
    "database": lambda statement: statement == "BEGIN IMMEDIATE",
    "audit_head": lambda statement: "FROM audithead" in statement and "FOR UPDATE" in statement,
    "serial_counter": lambda statement: statement.startswith("UPDATE serialcounter"),
}


def _lock_taken_by(statement: str) -> str | None:
    return next((lock for lock, takes in LOCKS.items() if takes(statement)), None)


def _before(conn, cursor, statement, parameters, context, executemany):
    lock = _lock_taken_by(statement)
    if lock is not None:
        conn.info.setdefault("bench.asked", {}).setdefault(lock, (time.time(), time.perf_counter()))


def _after(conn, cursor, statement, parameters, context, executemany):
    lock = _lock_taken_by(statement)
    if lock is not None:
        conn.info.setdefault("bench.granted", {}).setdefault(lock, time.perf_counter())


def _returned(dbapi_connection, record):
    asked, granted = record.info.pop("bench.asked", {}), record.info.pop("bench.granted", {})
    released = time.perf_counter()
    lines = [f"{lock} {started:.6f} {granted[lock] - asked_at:.6f} {released - granted[lock]:.6f}\n"
             for lock, (started, asked_at) in asked.items() if lock in granted]
    if lines:
        with open(os.path.join(_FOLDER, f"writes.{os.getpid()}"), "a") as out:
            out.writelines(lines)


if _FOLDER:
    event.listen(Engine, "before_cursor_execute", _before)
    event.listen(Engine, "after_cursor_execute", _after)
    event.listen(Pool, "checkin", _returned)
