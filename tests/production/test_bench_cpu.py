"""The load benchmark counts a local PostgreSQL's CPU beside the server's: on one machine the
database's share of the cores is part of what a request costs."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bench.common import local_postgres_cpu_seconds
from bench.load import database_is_local
from core.db import make_engine


@pytest.mark.parametrize(("url", "local"), [
    ("postgresql://postgres@127.0.0.1:5432/test", True),
    ("postgresql+psycopg://postgres@localhost/test", True),
    ("postgresql:///test?host=/var/run/postgresql", True),
    ("postgresql://xuewei@db.internal:5432/xuewei", False),
    (None, False),  # SQLite: no database server at all
])
def test_only_a_database_on_this_machine_is_counted(url, local):
    assert database_is_local(url) is local


@pytest.mark.postgres
def test_work_done_by_postgresql_shows_in_its_cpu(postgres_url):
    engine = make_engine(postgres_url)
    before = local_postgres_cpu_seconds()
    with engine.connect() as connection:
        connection.execute(select(func.count()).select_from(func.generate_series(1, 5_000_000))).scalar()
    assert local_postgres_cpu_seconds() > before
    engine.dispose()
