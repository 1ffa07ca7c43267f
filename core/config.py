"""Settings read from the environment, so one build runs in tests, demos and production."""
from __future__ import annotations

import os

from core.paths import instance_dir

__all__ = ["database_url", "secret_key"]


def database_url() -> str:
    """`DATABASE_URL`, or an SQLite file in the instance folder when unset."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return normalise_url(url)
    return f"sqlite:///{instance_dir() / 'xuewei.sqlite3'}"


def normalise_url(url: str) -> str:
    """Point plain postgresql:// URLs at psycopg 3, the only PostgreSQL driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def secret_key() -> str | None:
    """The session-signing key; only ever from the environment (`XUEWEI_SECRET_KEY`)."""
    return os.environ.get("XUEWEI_SECRET_KEY")
