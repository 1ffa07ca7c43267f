"""Loaded by every Python process of the server when `python -m bench.load --write-lock` puts
this folder on PYTHONPATH: it times the lock that lets one write transaction through at a time,
how long each transaction waited for it and how long it then held it (until its connection went
back to the pool, just after COMMIT), and appends one line per transaction, `started waited
held` in seconds, to a file per process in $XUEWEI_BENCH_WRITES.

On SQLite that lock is the database's one write lock, taken by `BEGIN IMMEDIATE`. On
PostgreSQL writers of different rows pass each other, except on the audit chain's head row,
which every transaction that records an event locks (a statement reading `FROM audithead`
`FOR UPDATE`, core/audit.py) until it commits: on several web hosts, that row is what lets one
writer through at a time. There "waited" ends when the statement that locks the head returns.

Benchmark instrumentation only: nothing in xuewei imports it.
"""
import os
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

_FOLDER = os.environ.get("XUEWEI_BENCH_WRITES")


def _takes_the_lock(statement: str) -> bool:
    return statement == "BEGIN IMMEDIATE" or ("FROM audithead" in statement and "FOR UPDATE" in statement)


def _before(conn, cursor, statement, parameters, context, executemany):
    if "bench.asked" not in conn.info and _takes_the_lock(statement):
        conn.info["bench.asked"] = (time.time(), time.perf_counter())


def _after(conn, cursor, statement, parameters, context, executemany):
    if "bench.asked" in conn.info and "bench.granted" not in conn.info and _takes_the_lock(statement):
        conn.info["bench.granted"] = time.perf_counter()


def _returned(dbapi_connection, record):
    asked, granted = record.info.pop("bench.asked", None), record.info.pop("bench.granted", None)
    if asked is None or granted is None:
        return
    (started, asked_at), released = asked, time.perf_counter()
    with open(os.path.join(_FOLDER, f"writes.{os.getpid()}"), "a") as out:
        out.write(f"{started:.6f} {granted - asked_at:.6f} {released - granted:.6f}\n")


if _FOLDER:
    event.listen(Engine, "before_cursor_execute", _before)
    event.listen(Engine, "after_cursor_execute", _after)
    event.listen(Pool, "checkin", _returned)
