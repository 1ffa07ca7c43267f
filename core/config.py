"""Settings read from the environment, so one build runs in tests, demos and production."""
from __future__ import annotations

import os

from core.paths import instance_dir

__all__ = ["database_url", "secret_key", "secret_key_fallbacks"]


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


def secret_key_fallbacks() -> list[str]:
    """Earlier session-signing keys still accepted (`XUEWEI_SECRET_KEY_FALLBACKS`, separated by
    spaces or commas): a key is rotated without signing everyone out. A host with the new key
    accepts cookies signed with the old one, not the other way round, so a rotation goes in
    steps (docs/deploy.md, "Rotating the secret key"). Drop the old key once every host has the
    new one and a login lifetime has passed."""
    return [key for key in os.environ.get("XUEWEI_SECRET_KEY_FALLBACKS", "").replace(",", " ").split() if key]
