"""Loaded by every Python process of the server when `python -m bench.load --write-lock` puts
this folder on PYTHONPATH: it times each SQLite write transaction, how long it waited for the
database's one write lock (`BEGIN IMMEDIATE`) and how long it then held it (until its
connection went back to the pool, just after COMMIT), and appends one line per transaction,
`started waited held` in seconds, to a file per process in $XUEWEI_BENCH_WRITES.

Benchmark instrumentation only: nothing in xuewei imports it.
"""
import os
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

_FOLDER = os.environ.get("XUEWEI_BENCH_WRITES")
_WRITE_BEGIN = "BEGIN IMMEDIATE"


def _before(conn, cursor, statement, parameters, context, executemany):
    if statement == _WRITE_BEGIN:
        conn.info["bench.asked"] = (time.time(), time.perf_counter())


def _after(conn, cursor, statement, parameters, context, executemany):
    if statement == _WRITE_BEGIN and "bench.asked" in conn.info:
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
