"""Engines and transactions for SQLite (embedded) and PostgreSQL (production).

SQLite is tuned as PITFALLS.md asks: WAL journal, foreign keys and a busy timeout on every
connection, and write transactions opened with ``BEGIN IMMEDIATE`` so that a transaction
that reads and then writes takes the write lock up front instead of failing with
``SQLITE_BUSY`` halfway. Reads use a plain (deferred) ``BEGIN``: one snapshot for the session.

On PostgreSQL every round trip counts (the rush is served by several hosts on one database),
so a pooled connection is pinged only after it sat idle (`PING_AFTER_IDLE_S`), and read
sessions run without a transaction around them (see `read_session`).
"""
from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache, partial
from time import monotonic
from typing import Any, TypeVar
from urllib.parse import quote
from uuid import uuid4

from sqlalchemy import Select, Update, bindparam, event, inspect, select, text, update
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError, InvalidatePoolError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

from core.config import database_url, normalise_url

__all__ = ["make_engine", "get_engine", "read_session", "write_session", "is_sqlite", "scratch_schema", "DirectRead",
           "detached", "by_id", "update_by_id", "update_held", "update_each_by_id", "ReadOnlySessionError"]

_WRITE = "xuewei_write"
T = TypeVar("T")
SQLITE_BUSY_TIMEOUT_MS = 30_000
PING_AFTER_IDLE_S = 1.0
PG_CONNECT_TIMEOUT_S = 5  # unless DATABASE_URL says `?connect_timeout=`


def is_sqlite(engine: Engine) -> bool:
    """True for the embedded database, whose locking differs from PostgreSQL's."""
    return engine.dialect.name == "sqlite"


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """Create an engine for `url` (default: `DATABASE_URL`) with our per-dialect settings.

    A statement's parameters are never written into its error (`hide_parameters`): they are
    names, password hashes and ID numbers, and a failed statement's error is logged."""
    url = url or database_url()
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        return _make_sqlite_engine(url, **kwargs)
    return _make_postgres_engine(url, **kwargs)


def _make_postgres_engine(url: str, *, ping_after_idle: float = PING_AFTER_IDLE_S, **kwargs) -> Engine:
    """An engine whose pool asks a connection whether it is still alive only when it has sat idle
    for `ping_after_idle` seconds.

    SQLAlchemy's `pool_pre_ping` asks on every checkout: a round trip before each request's first
    statement, two for a polled status page (the login check and the page's validator), twelve
    in a guardian's journey. Measured in one process, two runs each: a revalidated status read
    cost the web process 0.79–0.86 ms of CPU with it and 0.67–0.75 ms without, a journey
    19.3–19.4 ms and 16.8–16.9 ms (docs/deploy.md, "PostgreSQL's round trips").

    A connection used a moment ago is as good as sure to be alive; one that sat idle (a quiet
    evening, a firewall that drops idle flows) is asked first, and the pool is replaced when it
    does not answer, as `pool_pre_ping` does. A connection lost between two uses less than
    `ping_after_idle` apart (the server restarted in that second) fails its next statement, and
    SQLAlchemy then replaces every connection of the pool made before it; the polled reads
    repeat themselves once on a new one (`DirectRead`). The pool hands out the connection used
    last (LIFO), so under light load the same few are used and the rest idle, and are asked.
    """
    kwargs.setdefault("pool_use_lifo", True)
    if "connect_timeout" not in url:  # a database that drops packets fails a connection in seconds, not minutes
        kwargs.setdefault("connect_args", {"connect_timeout": PG_CONNECT_TIMEOUT_S})
    engine = create_engine(url, **kwargs)
    event.listen(engine, "checkin", _note_idle_since)
    event.listen(engine, "checkout", partial(_ping_if_idle, engine.dialect, ping_after_idle))
    return engine


def _note_idle_since(_dbapi_connection, record) -> None:
    record.info["idle_since"] = monotonic()  # `info` lives as long as the DBAPI connection


def _ping_if_idle(dialect: Dialect, after: float, dbapi_connection, record, _proxy) -> None:
    idle_since = record.info.get("idle_since")
    if idle_since is None or monotonic() - idle_since < after:
        return  # a new connection, or one that answered a moment ago
    try:
        dialect.do_ping(dbapi_connection)
    except dialect.loaded_dbapi.Error as error:
        if dialect.is_disconnect(error, dbapi_connection, None):
            # As pool_pre_ping does: the pool replaces every connection made before now, and
            # gives this checkout a new one.
            raise InvalidatePoolError(f"an idle pooled connection no longer answers: {error}") from error
        raise


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
    with Session(_with_options(engine, **{_WRITE: True}), expire_on_commit=False) as session:
        with session.begin():
            yield session


class ReadOnlySessionError(RuntimeError):
    """Something tried to write through a `read_session`."""


class _ReadSession(Session):
    """A session that refuses to write: see `read_session`."""


@event.listens_for(_ReadSession, "before_flush")
def _refuse_to_flush(session: Session, _context, _instances) -> None:
    if session.new or session.deleted or any(session.is_modified(o) for o in session.dirty):
        raise ReadOnlySessionError("a read session cannot write: use write_session")


@event.listens_for(_ReadSession, "do_orm_execute")
def _refuse_to_execute_writes(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise ReadOnlySessionError("a read session cannot write: use write_session")


def _with_options(engine: Engine, **options: Any) -> Engine:
    """`engine.execution_options(**options)`, made once per engine and kept on it (so it goes
    when the engine goes): making one costs about 20 µs, and every session asks for one."""
    variants = engine.__dict__.setdefault("_xuewei_variants", {})
    key = tuple(sorted(options.items()))
    found = variants.get(key)
    if found is None:
        found = variants[key] = engine.execution_options(**options)
    return found


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A unit of work that only reads: it never holds a write lock, and a flush with something
    to write or an INSERT, UPDATE or DELETE statement raises `ReadOnlySessionError` instead of
    writing (raw SQL text is not inspected: do not write through it here).

    On SQLite the reads share one snapshot (a deferred BEGIN, rolled back at the end). On
    PostgreSQL, whose READ COMMITTED transactions give each statement a snapshot of its own
    anyway, the statements run without a transaction: a BEGIN and a ROLLBACK fewer, and, more
    important, no ROLLBACK to make psycopg forget the statements it prepared (it does on every
    one, and sends DEALLOCATE ALL): with a transaction per read session hardly any statement
    stayed prepared, and PostgreSQL planned each one anew. Measured in one process over 60
    journeys: PostgreSQL's CPU per journey went from 6.3–6.5 ms to 3.3 ms; the web process's own
    was unchanged.
    """
    if engine.dialect.name == "postgresql":
        engine = _with_options(engine, isolation_level="AUTOCOMMIT")  # the driver's client-side switch
    with _ReadSession(engine, expire_on_commit=False) as session:
        yield session


@contextmanager
def _outside_a_transaction(driver_connection: Any, dialect: Dialect) -> Iterator[None]:
    """One statement on its own, without BEGIN and ROLLBACK around it: on PostgreSQL that is
    two round trips fewer (the driver's autocommit is a client-side switch while no transaction
    is open; it is switched back before the pool gets the connection again). SQLite connections
    are in autocommit already (see `_on_connect`)."""
    if dialect.name != "postgresql":
        yield
        return
    driver_connection.autocommit = True
    try:
        yield
    finally:
        if not driver_connection.closed:  # a lost connection cannot be switched back, nor used again
            driver_connection.autocommit = False


class DirectRead:
    """One SELECT, compiled once per database dialect and run straight on a pooled DBAPI
    connection; `first()` answers its first row, or None.

    For the reads every polled request makes (the login check, the status page's validator):
    SQLAlchemy's per-execution work (statement cache key, execution context, result metadata,
    the ORM's loading) costs five to ten times what the database takes to run such a query
    (measured: 157 µs through an ORM session, 66 µs through a Core connection, 12 µs direct).
    Values come back converted by their column types, as they would through SQLAlchemy; the
    statement runs alone, outside a transaction (see `_outside_a_transaction`). Parameters are
    plain values (no expanding IN lists).
    """

    def __init__(self, statement: Select) -> None:
        self.statement = statement
        self.Row = namedtuple("Row", statement.selected_columns.keys(), rename=True)
        self._by_dialect: dict[str, tuple] = {}

    def _prepared(self, dialect: Dialect) -> tuple:
        prepared = self._by_dialect.get(dialect.name)
        if prepared is None:
            compiled = self.statement.compile(dialect=dialect)
            binds = {name: bind for bind, name in compiled.bind_names.items()}  # by their names in the SQL
            if any(bind.expanding for bind in binds.values()):
                raise TypeError("DirectRead cannot run a statement with an expanding IN parameter")
            constants = {name: bind.effective_value for name, bind in binds.items() if not bind.required}
            converters = {name: convert for name, bind in binds.items()
                          if (convert := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None}
            results = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None)
                            for column in self.statement.selected_columns)
            order = tuple(compiled.positiontup) if dialect.positional else None
            prepared = self._by_dialect[dialect.name] = (str(compiled), constants, converters, order, results)
        return prepared

    def first(self, engine: Engine, **params: Any) -> tuple | None:
        sql, constants, converters, order, results = self._prepared(engine.dialect)
        values = {**constants, **params}
        for name, convert in converters.items():
            values[name] = convert(values[name])
        arguments = values if order is None else [values[name] for name in order]
        row = self._run(engine, sql, arguments)
        if row is None:
            return None
        return self.Row._make(value if convert is None else convert(value) for value, convert in zip(row, results))

    @staticmethod
    def _run(engine: Engine, sql: str, arguments: Any, *, again_if_lost: bool = True) -> tuple | None:
        dialect = engine.dialect
        connection = engine.raw_connection()
        dbapi_connection = connection.dbapi_connection
        try:
            with _outside_a_transaction(dbapi_connection, dialect):
                cursor = connection.cursor()
                cursor.execute(sql, arguments)
                row = cursor.fetchone()
                cursor.close()
                return row
        except dialect.loaded_dbapi.Error as error:
            lost = dialect.is_disconnect(error, dbapi_connection, None)
            if lost:
                # What SQLAlchemy does when its own statements find the connection gone (the
                # server restarted), with the same method of its pool (sqlalchemy < 2.1 is
                # pinned): every connection made before now is replaced at its next checkout,
                # this one at once.
                engine.pool._invalidate(connection, error)
            else:
                connection.invalidate()  # do not hand a connection in an unknown state to the next request
            failure = error
        finally:
            connection.close()  # back to the pool
        if lost and again_if_lost:
            return DirectRead._run(engine, sql, arguments, again_if_lost=False)  # it only reads: safe to repeat
        raise DBAPIError.instance(sql, arguments, failure, dialect.loaded_dbapi.Error, connection_invalidated=lost,
                                  dialect=dialect) from failure


def detached(model: type, values: Iterable[tuple[str, Any]]):
    """An instance of the table model `model` holding `values` (column name, value), as a
    session that has closed leaves what it loaded: for rows read with DirectRead. Made the way
    the ORM makes loaded instances (no validation, no change tracking of the values), at a
    sixth of the cost of calling the model's constructor."""
    instance = inspect(model).class_manager.new_instance()
    instance.__dict__.update(values)
    make_transient_to_detached(instance)
    return instance


_ROW_BY_ID: dict[type, tuple[tuple[str, ...], Select]] = {}


def _row_by_id(model: type) -> tuple[tuple[str, ...], Select]:
    """The attribute names of `model`'s columns, and a Core SELECT of those columns by primary
    key (parameter `pk`): built once per model."""
    found = _ROW_BY_ID.get(model)
    if found is None:
        mapper = inspect(model)
        (key_column,) = mapper.primary_key
        attributes = mapper.column_attrs
        found = _ROW_BY_ID[model] = (tuple(a.key for a in attributes),
                                      select(*(a.columns[0] for a in attributes)).where(key_column == bindparam("pk")))
    return found


def by_id(session: Session, model: type[T], pk: Any, *, reload: bool = False) -> T | None:
    """`session.get(model, pk)` at about half its cost, for the loads every request of the
    journey makes (the application, its season).

    `Session.get` builds, annotates and keys a new SELECT on each call that misses the session's
    identity map, then runs it through the ORM's loading machinery. Here the row is read with
    a Core SELECT built once per model, on the session's own connection and transaction, and
    made into an instance the way `detached` makes one, which the session then holds as if it
    had loaded it (its changes are tracked and flushed as usual). Like `get`, it answers from
    the identity map when the row is there, and does not flush.
    With `reload`, the row is read again and written over the object the session holds, as
    `Session.refresh` does (after an `update_by_id`).
    """
    held = session.identity_map.get(inspect(model).identity_key_from_primary_key((pk,)))
    if held is not None and not reload:
        return session.get(model, pk)
    names, statement = _row_by_id(model)
    row = session.connection().execute(statement, {"pk": pk}).first()
    if row is None:
        return None
    if held is not None:
        for name, value in zip(names, row):
            set_committed_value(held, name, value)
        return held
    instance = detached(model, zip(names, row))
    session.add(instance)
    return instance


_UPDATES: dict[tuple, Update] = {}


def _update_statement(model: type, columns: tuple[str, ...], versioned: bool) -> Update:
    """UPDATE `model` SET `columns` WHERE its primary key (and `version`): built once per shape.
    Parameters: `set_<column>`, `where_pk`, `where_version` (apart: the SET may hold a new version)."""
    key = (model, columns, versioned)
    statement = _UPDATES.get(key)
    if statement is None:
        table = model.__table__
        (column,) = inspect(model).primary_key
        condition = table.c[column.name] == bindparam("where_pk")
        if versioned:
            condition &= table.c.version == bindparam("where_version")
        statement = _UPDATES[key] = update(table).where(condition).values(
            {name: bindparam(f"set_{name}") for name in columns})
    return statement


def _update_parameters(pk: Any, values: Mapping[str, Any], version: int | None) -> dict[str, Any]:
    parameters = {f"set_{name}": value for name, value in values.items()}
    parameters["where_pk"] = pk
    if version is not None:
        parameters["where_version"] = version
    return parameters


def update_by_id(session: Session, model: type, pk: Any, values: Mapping[str, Any], *,
                 version: int | None = None) -> int:
    """UPDATE the row `pk` of `model` to `values`, only while its `version` column is `version`
    when one is given; the number of rows changed (0: gone, or moved on meanwhile).

    For the updates inside the journey's write transactions (on SQLite they hold the database's
    one write lock): run in Core, with a statement built once per model and set of columns,
    instead of a new ORM statement or a unit-of-work flush each time. The session is flushed
    first, as an ORM update would be; objects it holds are not changed: reload them
    (`by_id(..., reload=True)`), or write through the object with `update_held`.
    """
    statement = _update_statement(model, tuple(sorted(values)), version is not None)
    session.flush()
    return session.connection().execute(statement, _update_parameters(pk, values, version)).rowcount


def update_held(session: Session, instance: Any, values: Mapping[str, Any]) -> int:
    """`update_by_id` on the row of `instance`, a table model the session holds, which is then
    given the same values as committed ones: what was written, without reading the row back."""
    model = type(instance)
    (pk,) = inspect(model).primary_key_from_instance(instance)
    changed = update_by_id(session, model, pk, values)
    for name, value in values.items():
        set_committed_value(instance, name, value)
    return changed


def update_each_by_id(session: Session, model: type,
                      rows: Sequence[tuple[Any, int, Mapping[str, Any]]]) -> int:
    """`update_by_id` for many rows in one statement run once per row (executemany): each row is
    (pk, version, values), all setting the same columns; the number of rows changed."""
    statement = _update_statement(model, tuple(sorted(rows[0][2])), True)
    session.flush()
    parameters = [_update_parameters(pk, values, version) for pk, version, values in rows]
    return session.connection().execute(statement, parameters).rowcount


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
