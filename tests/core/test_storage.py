"""The storage layer on each database: migrations, SQLite settings, write transactions."""
from __future__ import annotations

import threading

import pytest

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel, select

from core.db import is_sqlite, read_session, write_session
from core.models import Season
from core.schema import import_all_models


def test_migrations_create_exactly_the_models(engine):
    import_all_models()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys(engine):
    if not is_sqlite(engine):
        pytest.skip("SQLite pragmas; PostgreSQL has neither setting")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_foreign_keys_are_enforced(engine):
    from core.models import Catchment

    try:
        with write_session(engine) as session:
            session.add(Catchment(season_id=999, code="x", school_id=999, rules=[]))
    except Exception as exc:  # IntegrityError from either driver
        assert "foreign" in str(exc).lower() or "constraint" in str(exc).lower()
    else:
        raise AssertionError("a catchment of a missing school was stored")


def test_a_failed_statement_never_carries_its_parameters_into_the_logs(engine):
    """A statement's parameters are names, password hashes, ID numbers: its error (which is
    logged) says where it failed, not with what."""
    from sqlalchemy.exc import IntegrityError

    from core.models import Account

    with write_session(engine) as session:
        session.add(Account(username="li-father", password_hash="scrypt:secret-hash", role="guardian", display_name="李大伟"))
    with pytest.raises(IntegrityError) as refused:
        with write_session(engine) as session:
            session.add(Account(username="li-father", password_hash="scrypt:secret-hash", role="guardian",
                                display_name="李大伟"))
    assert "scrypt:secret-hash" not in str(refused.value) and "李大伟" not in str(refused.value)


def test_a_postgresql_server_that_never_answers_fails_the_connection_in_seconds(monkeypatch):
    """A database host that drops packets (a partition, a failover to a dead address) must not hang
    every request for minutes: the connection gives up after PG_CONNECT_TIMEOUT_S."""
    import socket

    import core.db
    from sqlalchemy.exc import OperationalError

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel completes the handshake; nobody ever answers
    monkeypatch.setattr(core.db, "PG_CONNECT_TIMEOUT_S", 1)
    engine = core.db.make_engine(f"postgresql+psycopg://xuewei@127.0.0.1:{silent.getsockname()[1]}/xuewei")
    outcome: list[BaseException] = []
    attempt = threading.Thread(target=lambda: outcome.append(_connect_error(engine)), daemon=True)
    attempt.start()
    attempt.join(15)
    silent.close()
    assert outcome and isinstance(outcome[0], OperationalError), "still waiting after 15 s"


def _connect_error(engine) -> BaseException | None:
    try:
        engine.connect().close()
    except BaseException as error:  # noqa: BLE001 (the test looks at which)
        return error
    return None


def test_write_session_rolls_back_everything_on_error(engine):
    try:
        with write_session(engine) as session:
            session.add(Season(year=2030, name="x"))
            session.flush()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with read_session(engine) as session:
        assert session.exec(select(Season).where(Season.year == 2030)).first() is None


def test_concurrent_read_then_write_transactions_never_fail_busy(engine):
    """Each writer reads a counter then writes it back; none may fail and none may be lost."""
    with write_session(engine) as session:
        session.add(Season(year=2040, name="0"))
    errors = []

    def bump():
        try:
            for _ in range(10):
                with write_session(engine) as session:
                    row = session.exec(select(Season).where(Season.year == 2040).with_for_update()).one()
                    row.name = str(int(row.name) + 1)
                    session.add(row)
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with read_session(engine) as session:
        assert session.exec(select(Season).where(Season.year == 2040)).one().name == "60"


def test_times_come_back_aware_in_utc(engine, now):
    with write_session(engine) as session:
        session.add(Season(year=2050, name="t", created_at=now))
    with read_session(engine) as session:
        stored = session.exec(select(Season).where(Season.year == 2050)).one().created_at
    assert stored == now and stored.utcoffset().total_seconds() == 0


def test_database_answers(engine):
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1


def test_two_hosts_migrating_a_new_postgresql_database_at_once_both_succeed(postgres_url):
    """`xuewei db upgrade` run on two hosts together: the second waits and finds nothing to do
    (without the lock one failed creating a type the other had just made)."""
    from core.db import make_engine
    from core.schema import upgrade

    engines = [make_engine(postgres_url) for _ in range(2)]
    start, failures = threading.Barrier(2), []

    def migrate(engine):
        start.wait()
        try:
            upgrade(engine)
        except Exception as error:  # noqa: BLE001 (the test collects what failed)
            failures.append(error)

    runs = [threading.Thread(target=migrate, args=(engine,)) for engine in engines]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    for engine in engines:
        engine.dispose()
    assert failures == []
