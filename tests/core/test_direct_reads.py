"""DirectRead (a SELECT run straight on a pooled DBAPI connection) answers what SQLAlchemy
answers, on each database; `detached` makes the instance a closed session would leave; `by_id`
loads what `Session.get` loads; `update_by_id` writes what it is given, in order, and
`by_id(..., reload=True)` reads it back."""
from __future__ import annotations

import pytest
from sqlalchemy import bindparam, func, inspect, select
from sqlalchemy.exc import DBAPIError

from core.db import (DirectRead, by_id, detached, read_session, update_by_id, update_each_by_id, update_held,
                     write_session)
from core.models import Account, Application, Document, Event, Season, unclassified


def _every_column_of_an_application_and_more():
    """Integers, strings, aware times, JSON, a boolean expression, scalar subqueries, a literal."""
    return select(
        *Application.__table__.columns, unclassified(),
        select(func.count()).select_from(Document).where(Document.application_id == Application.id).scalar_subquery(),
        select(func.max(Event.seq)).where(Event.subject_type == "application",
                                          Event.subject_id == bindparam("subject_id")).scalar_subquery(),
    ).where(Application.id == bindparam("application_id"))


def test_values_come_back_as_sqlalchemy_gives_them(engine, draft_application):
    _, application = draft_application
    statement = _every_column_of_an_application_and_more()
    params = {"application_id": application.id, "subject_id": str(application.id)}
    with engine.connect() as connection:
        expected = tuple(connection.execute(statement, params).one())

    row = DirectRead(statement).first(engine, **params)

    assert tuple(row) == expected
    assert [type(v) for v in row] == [type(v) for v in expected]
    assert row.created_at.utcoffset().total_seconds() == 0  # UTCDateTime's own conversion ran
    assert row.state == "draft" and row.district == "东湖区"


def test_no_row_is_none_and_the_connection_goes_back_to_the_pool(engine, season):
    read = DirectRead(select(Application.id).where(Application.id == bindparam("application_id")))
    checked_out = engine.pool.checkedout()

    assert read.first(engine, application_id=999_999) is None
    assert engine.pool.checkedout() == checked_out


def test_a_failing_statement_raises_sqlalchemys_error_and_spends_its_connection(engine, season):
    read = DirectRead(select(Application.id).where(Application.id == bindparam("application_id")))
    read._prepared(engine.dialect)
    sql, *rest = read._by_dialect[engine.dialect.name]
    read._by_dialect[engine.dialect.name] = (sql.replace("application", "no_such_table"), *rest)

    with pytest.raises(DBAPIError):
        read.first(engine, application_id=1)

    assert engine.pool.checkedout() == 0
    with read_session(engine) as session:  # the pool still serves working connections
        assert session.scalar(select(func.count()).select_from(Application)) == 0


def test_expanding_parameters_are_refused_when_compiled(engine):
    read = DirectRead(select(Account.id).where(Account.id.in_(bindparam("ids", expanding=True))))
    with pytest.raises(TypeError, match="expanding"):
        read.first(engine, ids=[1, 2])


def test_detached_instance_equals_the_one_a_session_loads(engine, make_account):
    made = make_account("li-father")
    row = DirectRead(select(*Account.__table__.columns).where(Account.id == bindparam("id"))).first(engine, id=made.id)
    with read_session(engine) as session:
        loaded = session.get(Account, made.id)

    account = detached(Account, row._asdict().items())

    assert account.model_dump() == loaded.model_dump()
    assert inspect(account).detached and inspect(account).identity == (made.id,)
    with write_session(engine) as session:  # a session takes it as the stored row, not a new one
        session.add(account)
        account.display_name = "李父"
    with read_session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Account)) == 1
        assert session.get(Account, made.id).display_name == "李父"


def test_the_read_runs_outside_a_transaction_and_leaves_the_connection_as_it_was(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite connections are in autocommit already; only PostgreSQL's driver opens a transaction")
    alone = DirectRead(select(func.transaction_timestamp() == func.statement_timestamp()))
    assert alone.first(engine)[0] is True  # no BEGIN before it: its transaction is the statement
    with engine.connect() as connection:  # the pool hands out connections that open transactions again
        assert connection.connection.dbapi_connection.autocommit is False
        assert connection.execute(select(func.transaction_timestamp() == func.statement_timestamp())).scalar() is False


@pytest.fixture
def statements(statements_run):
    """The SQL statements the engine runs from now on."""
    with statements_run() as seen:
        yield seen


def test_by_id_loads_what_session_get_loads(engine, draft_application):
    _, draft = draft_application
    columns = Application.__table__.columns.keys()
    with read_session(engine) as session:
        expected = [getattr(session.get(Application, draft.id), c) for c in columns]
        season_name = session.get(Season, draft.season_id).name
    with read_session(engine) as session:
        loaded = by_id(session, Application, draft.id)
        assert [getattr(loaded, c) for c in columns] == expected
        assert by_id(session, Season, draft.season_id).name == season_name
        assert by_id(session, Application, 999_999) is None


def test_by_id_answers_from_the_identity_map_without_a_query(engine, draft_application, statements):
    _, draft = draft_application
    with read_session(engine) as session:
        first = by_id(session, Application, draft.id)
        asked = len(statements)
        assert by_id(session, Application, draft.id) is first
        assert len(statements) == asked


def test_by_id_does_not_flush_pending_changes(engine, draft_application, statements):
    _, draft = draft_application
    with write_session(engine) as session:
        application = by_id(session, Application, draft.id)
        application.pupil_name = "张小红"
        by_id(session, Season, draft.season_id)
        assert not any(s.lstrip().upper().startswith("UPDATE") for s in statements)
        session.rollback()


def test_by_id_instance_is_held_by_the_session_and_its_changes_are_written(engine, draft_application):
    _, draft = draft_application
    with write_session(engine) as session:
        application = by_id(session, Application, draft.id)
        assert application in session and session.get(Application, draft.id) is application
        assert not session.dirty, "a fresh load has no changes"
        application.pupil_name = "张小红"
        assert list(session.dirty) == [application]
    assert _stored(engine, draft.id).pupil_name == "张小红"


def test_by_id_reads_inside_the_sessions_transaction(engine, draft_application):
    """What the transaction wrote and has not committed is what it reads back."""
    _, draft = draft_application
    with write_session(engine) as session:
        update_by_id(session, Application, draft.id, {"pupil_name": "张小红"})
        assert by_id(session, Application, draft.id).pupil_name == "张小红"
        session.rollback()
    assert _stored(engine, draft.id).pupil_name == draft.pupil_name


def _stored(engine, application_id):
    with read_session(engine) as session:
        return session.get(Application, application_id)


def test_update_by_id_writes_the_values_while_the_row_is_at_the_version_given(engine, draft_application, now):
    _, draft = draft_application
    with write_session(engine) as session:
        changes = {"state": "pending", "version": draft.version + 1, "updated_at": now,
                   "residence_basis": {"kind": "lease", "id": "L1"}}
        assert update_by_id(session, Application, draft.id, changes, version=draft.version) == 1
    stored = _stored(engine, draft.id)
    assert (stored.state, stored.version, stored.updated_at, stored.residence_basis) == (
        "pending", draft.version + 1, now, {"kind": "lease", "id": "L1"})


def test_update_by_id_at_another_version_changes_nothing(engine, draft_application):
    _, draft = draft_application
    with write_session(engine) as session:
        assert update_by_id(session, Application, draft.id, {"state": "pending", "version": draft.version + 5},
                            version=draft.version + 4) == 0
        assert update_by_id(session, Application, 999_999, {"state": "pending"}) == 0
    assert (_stored(engine, draft.id).state, _stored(engine, draft.id).version) == ("draft", draft.version)


def test_update_by_id_flushes_pending_changes_first_and_leaves_the_object_as_it_was(engine, draft_application,
                                                                                     statements):
    _, draft = draft_application
    with write_session(engine) as session:
        application = by_id(session, Application, draft.id)
        application.pupil_name = "张小红"  # pending: must reach the row before the UPDATE below
        assert update_by_id(session, Application, draft.id, {"version": draft.version + 1},
                            version=draft.version) == 1
        assert application.version == draft.version  # not refreshed: the caller decides
        updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
        assert len(updates) == 2 and "pupil_name" in updates[0] and "pupil_name" not in updates[1]
    stored = _stored(engine, draft.id)
    assert (stored.pupil_name, stored.version) == ("张小红", draft.version + 1)


def test_by_id_reload_overwrites_the_object_the_session_holds(engine, draft_application):
    _, draft = draft_application
    with write_session(engine) as session:
        application = by_id(session, Application, draft.id)
        update_by_id(session, Application, draft.id, {"state": "pending", "version": draft.version + 1})
        assert by_id(session, Application, draft.id) is application and application.state == "draft"
        assert by_id(session, Application, draft.id, reload=True) is application
        assert (application.state, application.version) == ("pending", draft.version + 1)


def test_update_held_writes_the_row_and_the_object_holds_the_values_as_committed(engine, draft_application,
                                                                                  statements):
    _, draft = draft_application
    with write_session(engine) as session:
        application = by_id(session, Application, draft.id)
        asked = len(statements)
        assert update_held(session, application, {"pupil_name": "张小红", "version": draft.version + 1}) == 1
        assert len(statements) == asked + 1, "the row is written, not read back"
        assert (application.pupil_name, application.version) == ("张小红", draft.version + 1)
        assert not session.dirty, "nothing is left for a flush to write again"
    stored = _stored(engine, draft.id)
    assert (stored.pupil_name, stored.version) == ("张小红", draft.version + 1)


def test_update_each_by_id_moves_only_the_rows_still_at_their_version(engine, season, make_account, now, id_number):
    from core.applications import start_application

    guardian = make_account("guardian-each")
    with write_session(engine) as session:
        drafts = [start_application(session, season=season, guardian=guardian,
                                    pupil_id_number=id_number(sequence=10 + n), pupil_name=f"学生{n}",
                                    district="东湖区", now=now) for n in range(3)]
    rows = [(d.id, d.version + (1 if n == 1 else 0), {"state": "pending", "version": d.version + 1})
            for n, d in enumerate(drafts)]  # the second is checked at a version it is not at
    with write_session(engine) as session:
        assert update_each_by_id(session, Application, rows) == 2
    assert [_stored(engine, d.id).state for d in drafts] == ["pending", "draft", "pending"]
