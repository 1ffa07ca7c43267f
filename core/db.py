"""Engines and transactions for SQLite (embedded) and PostgreSQL (production).

SQLite is tuned as PITFALLS.md asks: WAL journal, foreign keys and a busy timeout on every
connection, and write transactions opened with ``BEGIN IMMEDIATE`` so that a transaction
that reads and then writes takes the write lock up front instead of failing with
``SQLITE_BUSY`` halfway. Reads use a plain (deferred) ``BEGIN``.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from urllib.parse import quote
from uuid import uuid4

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

from core.config import database_url, normalise_url

__all__ = ["make_engine", "get_engine", "read_session", "write_session", "is_sqlite", "scratch_schema"]

_WRITE = "xuewei_write"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def is_sqlite(engine: Engine) -> bool:
    """True for the embedded database, whose locking differs from PostgreSQL's."""
    return engine.dialect.name == "sqlite"


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """Create an engine for `url` (default: `DATABASE_URL`) with our per-dialect settings."""
    url = url or database_url()
    if url.startswith("sqlite"):
        return _make_sqlite_engine(url, **kwargs)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _make_sqlite_engine(url: str, **kwargs) -> Engine:
    connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    if url in ("sqlite://", "sqlite:///:memory:"):
        kwargs.setdefault("poolclass", StaticPool)
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Take transaction control away from the sqlite3 module so BEGIN is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        write = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for `url`; disposed after fork by the server (see web.server)."""
    return make_engine(url)


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session whose transaction may write: committed on success, rolled back on error."""
    with Session(engine.execution_options(**{_WRITE: True}), expire_on_commit=False) as session:
        with session.begin():
            yield session


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A read-only unit of work; rolled back at the end so it never holds a write lock."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@contextmanager
def scratch_schema(server_url: str, *, prefix: str = "scratch", keep: bool = False) -> Iterator[str]:
    """A URL to a new, empty schema on a PostgreSQL server, dropped afterwards (unless `keep`).

    Tests and benchmarks use it so runs on one server never see each other's tables.
    """
    base = normalise_url(server_url)
    schema = f"{prefix}_{uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        try:
            if not keep:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        finally:
            admin.dispose()
