"""Application and document ids are never given twice: a removed one's audit events stay its own."""
from __future__ import annotations

from sqlalchemy import text
from sqlmodel import select

from core.accounts import create_account
from core.db import make_engine, read_session, write_session
from core.models import Application, Document, FactRecord, Season
from core.schema import upgrade

HEADS_BEFORE = ("0002_season", "0003_allocation", "0005_web_sessions", "0006_catchments_version",
                "0007_list_decision_reason")  # every head before 0008_ids_never_reused


def _application(session, season, guardian, pupil: str) -> Application:
    application = Application(season_id=season.id, guardian_id=guardian.id, pupil_id_number=pupil, district="东湖区")
    session.add(application)
    session.flush()
    return application


def _pupil(n: int) -> str:
    return f"36010220090715{n:04d}"


def test_the_id_of_a_removed_last_draft_is_not_given_to_the_next_application(engine):
    with write_session(engine) as session:
        season = Season(year=2031, name="ids")
        session.add(season)
        guardian = create_account(session, username="ids-parent", password="pw-2021-ids", role="guardian")
        _application(session, season, guardian, _pupil(1))
        removed = _application(session, season, guardian, _pupil(2))
    with write_session(engine) as session:
        session.delete(session.get(Application, removed.id))
    with write_session(engine) as session:
        season = session.exec(select(Season).where(Season.year == 2031)).one()
        guardian_id = removed.guardian_id
        after = Application(season_id=season.id, guardian_id=guardian_id, pupil_id_number=_pupil(3), district="东湖区")
        session.add(after)
        session.flush()
        assert after.id > removed.id


def test_upgrading_an_sqlite_database_keeps_its_applications_and_what_refers_to_them(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'before.db'}")
    for head in HEADS_BEFORE:
        upgrade(engine, head)
    with write_session(engine) as session:
        season = Season(year=2021, name="南昌")
        session.add(season)
        guardian = create_account(session, username="li-father", password="pw-2021-ids", role="guardian")
        kept = _application(session, season, guardian, _pupil(1))
        session.add(FactRecord(application_id=kept.id, source="pupil_record", payload_digest="0" * 64, payload={}))
        last = _application(session, season, guardian, _pupil(2))
    upgrade(engine)
    with write_session(engine) as session:
        session.delete(session.get(Application, last.id))
    with write_session(engine) as session:
        season = session.exec(select(Season)).one()
        new = Application(season_id=season.id, guardian_id=kept.guardian_id, pupil_id_number=_pupil(3), district="东湖区")
        session.add(new)
        session.flush()
        assert new.id > last.id
    with read_session(engine) as session:
        assert session.exec(select(FactRecord.application_id)).all() == [kept.id]
        assert session.connection().execute(text("PRAGMA foreign_key_check")).all() == []
        assert session.get(Application, kept.id).pupil_id_number == _pupil(1)
        ddl = session.connection().execute(text("SELECT sql FROM sqlite_master WHERE name = 'application'")).scalar()
        assert "AUTOINCREMENT" in ddl and "UNIQUE (season_id, pupil_id_number)" in ddl
        documents = session.connection().execute(text("SELECT sql FROM sqlite_master WHERE name = 'document'")).scalar()
        assert "AUTOINCREMENT" in documents
    engine.dispose()


def test_the_id_of_a_removed_last_document_is_not_given_to_the_next_upload(engine):
    """The audit trail names documents by id ("document_removed {document: 3}")."""
    with write_session(engine) as session:
        season = Season(year=2032, name="ids")
        session.add(season)
        guardian = create_account(session, username="doc-parent", password="pw-2021-ids", role="guardian")
        application = _application(session, season, guardian, _pupil(1))
        removed = Document(application_id=application.id, kind="other", filename="a.pdf", media_type="application/pdf",
                           size=1, sha256="0" * 64)
        session.add(removed)
    with write_session(engine) as session:
        session.delete(session.get(Document, removed.id))
    with write_session(engine) as session:
        after = Document(application_id=removed.application_id, kind="other", filename="b.pdf",
                         media_type="application/pdf", size=1, sha256="1" * 64)
        session.add(after)
        session.flush()
        assert after.id > removed.id

