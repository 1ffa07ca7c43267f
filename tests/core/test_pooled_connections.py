"""How xuewei uses its pooled connections: read sessions write nothing (on each database); on
PostgreSQL they run without a transaction, so prepared statements stay prepared; a connection
is pinged only after it sat idle; a connection the server dropped is replaced, and the polled
reads (DirectRead) repeat themselves once on a new one."""
from __future__ import annotations

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.exc import DBAPIError

from core.db import DirectRead, ReadOnlySessionError, make_engine, read_session, write_session
from core.models import Account, Season
from core.schema import upgrade


def test_a_read_session_refuses_to_write_and_nothing_is_written(engine, season, make_account):
    account = make_account("reader-1")
    with read_session(engine) as session:
        held = session.get(Account, account.id)
        held.display_name = "changed in a read session"
        with pytest.raises(ReadOnlySessionError):
            session.flush()
    with read_session(engine) as session:
        session.add(Account(username="added-in-a-read", password_hash="x", role="guardian"))
        with pytest.raises(ReadOnlySessionError):
            session.flush()
    with read_session(engine) as session:
        with pytest.raises(ReadOnlySessionError):
            session.execute(update(Season).values(name="renamed in a read session"))

    with read_session(engine) as session:
        assert session.get(Account, account.id).display_name != "changed in a read session"
        assert session.scalar(select(func.count()).where(Account.username == "added-in-a-read")) == 0
        assert session.get(Season, season.id).name != "renamed in a read session"


def test_a_read_session_may_look_without_changing_anything(engine, season):
    with read_session(engine) as session:
        loaded = session.get(Season, season.id)
        loaded.name = loaded.name  # set to what it was: nothing to write
        session.flush()
        assert session.scalar(select(func.count()).select_from(Season)) == 1


# --- PostgreSQL only --------------------------------------------------------------------------

def _engine(url: str, **kwargs):
    """A migrated database with one season in it."""
    engine = make_engine(url, **kwargs)
    upgrade(engine)
    with write_session(engine) as session:
        session.add(Season(year=2021, name="南昌市2021年城区小升初"))
    return engine


@pytest.fixture
def pings(monkeypatch):
    """Counts the pings of every engine's dialect from now on."""
    from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

    seen = []
    real_ping = PGDialect_psycopg.do_ping

    def counted(self, dbapi_connection):
        seen.append(dbapi_connection)
        return real_ping(self, dbapi_connection)

    monkeypatch.setattr(PGDialect_psycopg, "do_ping", counted)
    return seen


def _backend_pid(engine) -> int:
    with read_session(engine) as session:
        return session.scalar(select(func.pg_backend_pid()))


def _drop_every_connection_of(engine, url: str) -> None:
    """What a restart of the server does to the pool's connections (from another connection)."""
    pids = set()
    held = [engine.raw_connection() for _ in range(2)]  # two in the pool, not one
    for connection in held:
        cursor = connection.cursor()
        cursor.execute("SELECT pg_backend_pid()")
        pids.add(cursor.fetchone()[0])
        cursor.close()
    for connection in held:
        connection.close()
    killer = make_engine(url)
    with killer.connect() as connection:
        for pid in pids:
            connection.execute(select(func.pg_terminate_backend(pid)))
        connection.commit()
    killer.dispose()


def _both_connections_answer(engine) -> None:
    """Two connections at once (as many as `_drop_every_connection_of` dropped) work."""
    with read_session(engine) as session, write_session(engine) as other:
        assert session.scalar(select(func.count()).select_from(Season)) == 1
        assert other.scalar(select(func.count()).select_from(Season)) == 1


_SEASON_NAME = DirectRead(select(Season.name).where(Season.year == bindparam("year")))


@pytest.mark.postgres
def test_connections_used_a_moment_ago_are_not_pinged(postgres_url, pings):
    engine = _engine(postgres_url, ping_after_idle=60)
    for _ in range(3):
        _SEASON_NAME.first(engine, year=2021)
        with read_session(engine) as session:
            session.scalar(select(func.count()).select_from(Season))
        with write_session(engine) as session:
            session.execute(update(Season).values(name="x").where(Season.year == 1900))
    assert pings == []
    engine.dispose()


@pytest.mark.postgres
def test_a_connection_that_sat_idle_is_pinged_and_replaced_when_the_server_dropped_it(postgres_url, pings):
    engine = _engine(postgres_url, ping_after_idle=0)
    first_pid = _backend_pid(engine)
    _drop_every_connection_of(engine, postgres_url)

    second_pid = _backend_pid(engine)  # no error: the ping found the connection gone

    assert pings and second_pid != first_pid
    engine.dispose()


@pytest.mark.postgres
def test_a_lost_connection_used_a_moment_ago_fails_one_statement_then_the_pool_is_renewed(postgres_url):
    engine = _engine(postgres_url, ping_after_idle=60)
    _drop_every_connection_of(engine, postgres_url)

    with pytest.raises(DBAPIError) as raised, read_session(engine) as session:
        session.scalar(select(func.count()).select_from(Season))
    assert raised.value.connection_invalidated

    _both_connections_answer(engine)  # the one not used since was replaced too
    engine.dispose()


@pytest.mark.postgres
def test_the_polled_reads_repeat_themselves_on_a_new_connection_when_theirs_was_lost(postgres_url):
    engine = _engine(postgres_url, ping_after_idle=60)
    _drop_every_connection_of(engine, postgres_url)

    assert _SEASON_NAME.first(engine, year=2021).name == "南昌市2021年城区小升初"

    _both_connections_answer(engine)  # it renewed the pool as SQLAlchemy does
    engine.dispose()


@pytest.mark.postgres
def test_read_sessions_run_without_a_transaction_so_statements_stay_prepared(postgres_url):
    engine = _engine(postgres_url, pool_size=1, max_overflow=0)  # one connection: every session uses it
    statement = select(Season.name).where(Season.year == bindparam("year"))
    for _ in range(6):  # psycopg prepares a statement the fifth time it runs on a connection
        with read_session(engine) as session:
            assert session.scalar(statement, {"year": 2021}) == "南昌市2021年城区小升初"
            driver = session.connection().connection.dbapi_connection
            assert driver.info.transaction_status == TransactionStatus.IDLE  # no BEGIN was sent

    with read_session(engine) as session:
        prepared = session.scalar(text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE :sql"),
                                  {"sql": "SELECT season.name %"})
    assert prepared == 1
    engine.dispose()
