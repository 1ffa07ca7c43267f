"""Shared fixtures: a real database per test, on SQLite and (where configured) PostgreSQL.

PostgreSQL tests run when `XUEWEI_TEST_POSTGRES_URL` points at a server (CI sets it); each
test gets a schema of its own, dropped afterwards. With `XUEWEI_REQUIRE_POSTGRES=1` (CI) a
missing server fails the test instead of skipping it.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import datetime

import pytest
from sqlalchemy import event

from core.clock import FixedClock, parse_instant
from core.db import make_engine, scratch_schema
from core.schema import upgrade

POSTGRES_URL = os.environ.get("XUEWEI_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("XUEWEI_REQUIRE_POSTGRES") == "1"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """A URL to an empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'xuewei.sqlite3'}"
        return
    with _postgres_schema() as url:
        yield url


@pytest.fixture
def postgres_url():
    """A URL to an empty schema on PostgreSQL, for tests about PostgreSQL alone (mark them
    `postgres`)."""
    with _postgres_schema() as url:
        yield url


@contextmanager
def _postgres_schema():
    if not POSTGRES_URL:
        reason = "PostgreSQL not configured: set XUEWEI_TEST_POSTGRES_URL (CI's .ci/run does)"
        if REQUIRE_POSTGRES:
            pytest.fail(reason)
        pytest.skip(reason)
    with scratch_schema(POSTGRES_URL, prefix="t") as url:
        yield url


@pytest.fixture
def engine(db_url):
    """A migrated database (Alembic, exactly as `xuewei db upgrade` does it)."""
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    """Season time fixed at the opening of collection in 东湖区 (1 June 2021, 10:00 +08:00)."""
    return FixedClock(parse_instant("2021-06-01T10:00:00+08:00"))


@pytest.fixture
def now(clock) -> datetime:
    return clock.now()


def make_id_number(region: str = "360102", birth: str = "20090501", sequence: int = 123) -> str:
    """A resident ID number with a correct check character (sequence odd: male)."""
    from core.idnumbers import resident_id_check_char

    first17 = f"{region}{birth}{sequence:03d}"
    return first17 + resident_id_check_char(first17)


@pytest.fixture
def id_number():
    """Factory for valid resident ID numbers: id_number(sequence=5, birth="20090501")."""
    return make_id_number


@pytest.fixture
def season(engine):
    """The 2021 season with rulesets/2021.json stored and active."""
    import json

    from core.db import write_session
    from core.paths import ruleset_path
    from core.rulesets import activate_ruleset, ensure_season, store_ruleset
    from core.workflow import Actor

    admin = Actor("city-admin", "city_admin")
    with write_session(engine) as session:
        season = ensure_season(session, 2021, "南昌市2021年城区小升初")
        version = store_ruleset(session, season, json.loads(ruleset_path(2021).read_text()), admin)
        activate_ruleset(session, season, version.sha256, admin)
    return season


@pytest.fixture
def statements_run(engine):
    """`with statements_run() as seen:` lists the SQL statements the engine runs in the block."""
    @contextmanager
    def recording():
        seen: list[str] = []

        def record(_connection, _cursor, statement, *_args):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            yield seen
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return recording


@pytest.fixture
def make_account(engine):
    """Factory for accounts: make_account("alice", role="guardian"); a reviewer or district
    admin is in 东湖区 unless another district is given."""
    from core.accounts import DISTRICT_ROLES, create_account
    from core.db import write_session

    def make(username: str, role: str = "guardian", district: str | None = None, password: str = "correct horse 1"):
        if district is None and role in DISTRICT_ROLES:
            district = "东湖区"
        with write_session(engine) as session:
            return create_account(session, username=username, password=password, role=role, district=district)

    return make


MINIMAL_FACTS = {  # enough to submit: the pupil's school record (see core.workflow._freeze_facts)
    "pupil": {"name": "张小明", "primary_school": {"name": "南昌市育才小学", "district": "东湖区", "group": None,
                                                "in_urban_area": True, "province": "江西省"}},
    "guardians": [],
}


@pytest.fixture
def draft_application(engine, season, make_account, now, id_number):
    """A guardian's draft in 东湖区 with one source's facts recorded."""
    from core.applications import record_facts, start_application
    from core.db import write_session

    guardian = make_account("guardian-1")
    with write_session(engine) as session:
        application = start_application(session, season=season, guardian=guardian, pupil_id_number=id_number(),
                                        pupil_name="张小明", district="东湖区", now=now)
        record_facts(session, application, source="sandbox", payload=MINIMAL_FACTS, fetched_at=now)
    return guardian, application
